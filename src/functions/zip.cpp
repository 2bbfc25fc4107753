// Unpacking a function's deployment package: a zip archive (stored or
// deflated entries; no ZIP64, no encryption), read from its central
// directory. Unix permission bits in the archive are kept, so a packaged
// program stays executable.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "functions/functions.hpp"

namespace plumbline::functions {
namespace {

uint32_t U16(std::string_view z, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(z[at])) |
         static_cast<uint32_t>(static_cast<unsigned char>(z[at + 1])) << 8;
}
uint32_t U32(std::string_view z, size_t at) { return U16(z, at) | U16(z, at + 2) << 16; }

Result<std::string> Inflate(std::string_view data, size_t size, const std::string& name) {
  std::string out(size, '\0');
  z_stream s{};
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK) return Internal("zlib cannot start");
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&s, Z_FINISH);
  size_t produced = s.total_out;
  inflateEnd(&s);
  if (rc != Z_STREAM_END || produced != size)
    return InvalidArgument("zip entry " + name + " does not inflate to its recorded size");
  return out;
}

// A relative path that stays inside the folder it is unpacked into.
bool SafePath(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find('\\') != std::string::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string_view part(name.data() + start, end - start);
    if (part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Status Unzip(std::string_view z, const std::string& dir) {
  namespace fs = std::filesystem;
  if (z.size() < 22) return InvalidArgument("the zip file is too short to be an archive");
  // The end of central directory record: within the last 64 KiB + 22 bytes.
  size_t eocd = std::string_view::npos;
  size_t lowest = z.size() > 65557 ? z.size() - 65557 : 0;
  for (size_t at = z.size() - 22 + 1; at-- > lowest;) {
    if (U32(z, at) == 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd == std::string_view::npos)
    return InvalidArgument("the zip file has no end of central directory record");
  uint32_t entries = U16(z, eocd + 10);
  uint32_t cd_size = U32(z, eocd + 12);
  uint32_t cd_offset = U32(z, eocd + 16);
  if (entries == 0xffff || cd_offset == 0xffffffffu)
    return InvalidArgument("ZIP64 archives are not supported");
  if (static_cast<uint64_t>(cd_offset) + cd_size > eocd)
    return InvalidArgument("the zip file's central directory lies outside the file");
  size_t at = cd_offset;
  for (uint32_t i = 0; i < entries; ++i) {
    if (at + 46 > z.size() || U32(z, at) != 0x02014b50)
      return InvalidArgument("zip central directory entry " + std::to_string(i) + " is damaged");
    uint32_t made_by = U16(z, at + 4);
    uint32_t flags = U16(z, at + 8);
    uint32_t method = U16(z, at + 10);
    uint32_t crc = U32(z, at + 16);
    uint32_t csize = U32(z, at + 20);
    uint32_t usize = U32(z, at + 24);
    uint32_t nlen = U16(z, at + 28), elen = U16(z, at + 30), clen = U16(z, at + 32);
    uint32_t external = U32(z, at + 38);
    uint32_t local = U32(z, at + 42);
    if (at + 46 + nlen > z.size())
      return InvalidArgument("zip central directory entry " + std::to_string(i) + " is damaged");
    std::string name(z.substr(at + 46, nlen));
    at += 46 + nlen + elen + clen;
    if (!SafePath(name)) return InvalidArgument("zip entry " + name + " leaves the package folder");
    if (flags & 1) return InvalidArgument("zip entry " + name + " is encrypted");
    fs::path target = fs::path(dir) / name;
    std::error_code ec;
    if (name.back() == '/') {
      fs::create_directories(target, ec);
      if (ec) return Internal("cannot create " + target.string() + ": " + ec.message());
      continue;
    }
    if (static_cast<uint64_t>(local) + 30 > z.size() || U32(z, local) != 0x04034b50)
      return InvalidArgument("zip entry " + name + " has no local header");
    size_t data_at = local + 30 + U16(z, local + 26) + U16(z, local + 28);
    if (data_at + static_cast<uint64_t>(csize) > z.size())
      return InvalidArgument("zip entry " + name + " runs past the end of the file");
    std::string_view data = z.substr(data_at, csize);
    std::string content;
    if (method == 0) {
      if (csize != usize) return InvalidArgument("zip entry " + name + " has inconsistent sizes");
      content = std::string(data);
    } else if (method == 8) {
      PLB_ASSIGN_OR_RETURN(content, Inflate(data, usize, name));
    } else {
      return InvalidArgument("zip entry " + name + " uses compression method " +
                             std::to_string(method) + " (only stored and deflated are supported)");
    }
    if (crc32(0, reinterpret_cast<const Bytef*>(content.data()),
              static_cast<uInt>(content.size())) != crc)
      return InvalidArgument("zip entry " + name + " fails its CRC check");
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Internal("cannot create " + target.parent_path().string() + ": " + ec.message());
    // Unix permissions when the archive was made on Unix; else rw-r--r--.
    mode_t mode = 0644;
    if ((made_by >> 8) == 3 && (external >> 16) != 0) mode = ((external >> 16) & 0777) | 0600;
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return Internal("cannot write " + target.string() + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < content.size()) {
      ssize_t n = ::write(fd, content.data() + off, content.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::close(fd);
        return Internal("cannot write " + target.string() + ": " + std::strerror(errno));
      }
      off += static_cast<size_t>(n);
    }
    ::fchmod(fd, mode);
    ::close(fd);
  }
  return {};
}

}  // namespace plumbline::functions
