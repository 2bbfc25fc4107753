// The embedded object store: folders on the local file system.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/ids.hpp"
#include "storage/object_store.hpp"

namespace plumbline::storage {
namespace fs = std::filesystem;

bool ParseS3Uri(std::string_view uri, std::string* bucket, std::string* key) {
  if (uri.substr(0, 5) != "s3://") return false;
  std::string_view rest = uri.substr(5);
  size_t slash = rest.find('/');
  std::string_view b = rest.substr(0, slash);
  if (b.empty()) return false;
  *bucket = std::string(b);
  *key = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  return true;
}

std::string JoinUri(std::string_view prefix, std::string_view rest) {
  std::string out(prefix);
  while (!out.empty() && out.back() == '/') out.pop_back();
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  out.push_back('/');
  out.append(rest);
  return out;
}

Result<std::string> ObjectStore::ReadAll(const std::string& uri, size_t max_bytes) {
  PLB_ASSIGN_OR_RETURN(auto reader, OpenRead(uri));
  std::string out;
  char buf[65536];
  for (;;) {
    PLB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof buf));
    if (n == 0) break;
    out.append(buf, n);
    if (out.size() > max_bytes)
      return InvalidArgument(uri + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  return out;
}

Status Reader::Skip(uint64_t n) {
  char buf[65536];
  while (n > 0) {
    PLB_ASSIGN_OR_RETURN(size_t got, Read(buf, static_cast<size_t>(std::min<uint64_t>(n, sizeof buf))));
    if (got == 0) break;
    n -= got;
  }
  return {};
}

Status ObjectStore::WriteAllBatch(const std::vector<std::pair<std::string, std::string>>& objects) {
  for (const auto& [uri, data] : objects) PLB_TRY(WriteAll(uri, data));
  return {};
}

Status ObjectStore::WriteAll(const std::string& uri, std::string_view data) {
  PLB_ASSIGN_OR_RETURN(auto writer, OpenWrite(uri));
  PLB_TRY(writer->Append(data));
  return writer->Commit();
}

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

class FileReader final : public Reader {
 public:
  explicit FileReader(int fd) : fd_(fd) {}
  ~FileReader() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return Unavailable(Errno("read failed"));
    }
  }
  int FileDescriptor() const override { return fd_; }
  // Objects are replaced by renaming a new file over the old one, so the
  // file's identity, size and modification time tell one version from
  // another.
  std::optional<Version> Describe() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return std::nullopt;
    char tag[96];
    std::snprintf(tag, sizeof tag, "%llx-%llx-%llx%09lx", static_cast<unsigned long long>(st.st_ino),
                  static_cast<unsigned long long>(st.st_size),
                  static_cast<unsigned long long>(st.st_mtim.tv_sec),
                  static_cast<unsigned long>(st.st_mtim.tv_nsec));
    return Version{static_cast<uint64_t>(st.st_size), tag};
  }
  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return Unavailable(Errno("seek failed"));
    return {};
  }

 private:
  int fd_;
};

// Writes to a temporary file beside the target, then fsyncs and renames it.
// A writer dropped before it published its file removes the temporary file.
class FileWriter final : public Writer {
 public:
  FileWriter(int fd, fs::path tmp, fs::path target)
      : fd_(fd), tmp_(std::move(tmp)), target_(std::move(target)) {}
  ~FileWriter() override {
    Close();
    if (!published_) {
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t w = ::write(fd_, data.data(), data.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return Unavailable(Errno("write " + target_.string() + " failed"));
      }
      data.remove_prefix(static_cast<size_t>(w));
    }
    return {};
  }
  Status Commit() override {
    if (::fsync(fd_) != 0) return Unavailable(Errno("fsync failed"));
    Close();
    PLB_TRY(Publish());
    // Make the rename itself durable.
    int dfd = ::open(target_.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return {};
  }

  // The two halves of Commit for a batch that syncs the filesystem once
  // for all its files (LocalObjectStore::WriteAllBatch).
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  Status Publish() {
    if (::rename(tmp_.c_str(), target_.c_str()) != 0)
      return Unavailable(Errno("rename to " + target_.string() + " failed"));
    published_ = true;
    return {};
  }
  const fs::path& tmp() const { return tmp_; }
  const fs::path& target() const { return target_; }

 private:
  int fd_;
  fs::path tmp_;
  fs::path target_;
  bool published_ = false;
};

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  // Every object to a temporary file, one sync of the filesystem, the
  // renames, one more sync (for the renames): two syncs per batch instead of
  // two fsyncs per object (consolidation writes one file per data object).
  Status WriteAllBatch(const std::vector<std::pair<std::string, std::string>>& objects) override {
    // Writers not published when this returns remove their temporary files.
    std::vector<std::unique_ptr<FileWriter>> pending;
    pending.reserve(objects.size());
    for (const auto& [uri, data] : objects) {
      PLB_ASSIGN_OR_RETURN(auto writer, OpenFile(uri));
      PLB_TRY(writer->Append(data));
      writer->Close();
      pending.push_back(std::move(writer));
    }
    if (pending.empty()) return {};
    PLB_TRY(SyncFs(pending.front()->tmp()));
    for (auto& w : pending) PLB_TRY(w->Publish());
    return SyncFs(pending.front()->target());
  }

  Result<std::unique_ptr<Reader>> OpenRead(const std::string& uri) override {
    PLB_ASSIGN_OR_RETURN(fs::path p, Resolve(uri));
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return NotFound("no such object: " + uri);
      return Unavailable(Errno("cannot open " + uri));
    }
    if (fs::is_directory(p)) {
      ::close(fd);
      return NotFound("no such object: " + uri + " (it is a folder)");
    }
    return std::unique_ptr<Reader>(new FileReader(fd));
  }

  Result<std::unique_ptr<Writer>> OpenWrite(const std::string& uri) override {
    PLB_ASSIGN_OR_RETURN(auto writer, OpenFile(uri));
    return std::unique_ptr<Writer>(std::move(writer));
  }

 private:
  // A writer to a new temporary file beside the object's path.
  Result<std::unique_ptr<FileWriter>> OpenFile(const std::string& uri) {
    PLB_ASSIGN_OR_RETURN(fs::path p, Resolve(uri));
    // One mkdir where the parent folder exists (consolidation makes a folder
    // per data object in one that does); create_directories would first
    // look at each folder of the path.
    if (::mkdir(p.parent_path().c_str(), 0755) != 0 && errno != EEXIST) {
      std::error_code ec;
      fs::create_directories(p.parent_path(), ec);
      if (ec) return Unavailable("cannot create folder for " + uri + ": " + ec.message());
    }
    fs::path tmp = p.parent_path() / (".tmp-" + RandomHex(8) + "-" + p.filename().string());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Unavailable(Errno("cannot write " + uri));
    return std::make_unique<FileWriter>(fd, std::move(tmp), std::move(p));
  }

  Result<fs::path> Resolve(const std::string& uri) {
    std::string bucket, key;
    if (uri.rfind("s3://", 0) == 0) {
      if (!ParseS3Uri(uri, &bucket, &key) || key.empty())
        return InvalidArgument("not an object URI: " + uri);
      fs::path rel = fs::path(key).lexically_normal();
      if (rel.is_absolute() || rel.empty() || *rel.begin() == "..")
        return InvalidArgument("object key escapes its bucket: " + uri);
      if (bucket.find('/') != std::string::npos || bucket == ".." || bucket == ".")
        return InvalidArgument("bad bucket name in " + uri);
      return fs::path(data_dir_) / "buckets" / bucket / rel;
    }
    if (uri.rfind("file://", 0) == 0) return fs::path(uri.substr(7));
    if (uri.find("://") != std::string::npos)
      return InvalidArgument("unsupported URI scheme: " + uri);
    return fs::path(uri);
  }

  // Flushes the filesystem holding `path` (data, metadata and renames).
  static Status SyncFs(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Unavailable(Errno("cannot open " + path.string()));
    int rc = ::syncfs(fd);
    ::close(fd);
    if (rc != 0) return Unavailable(Errno("syncfs failed"));
    return {};
  }

  std::string data_dir_;
};

}  // namespace

std::unique_ptr<ObjectStore> OpenLocal(const std::string& data_dir) {
  return std::make_unique<LocalObjectStore>(data_dir);
}

LineReader::LineReader(std::unique_ptr<Reader> reader, size_t max_line)
    : reader_(std::move(reader)), max_line_(max_line) {}

Result<bool> LineReader::Next(std::string_view* line) {
  for (;;) {
    size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos || (eof_ && pos_ < buf_.size())) {
      size_t end = nl == std::string::npos ? buf_.size() : nl;
      size_t len = end - pos_;
      if (len > 0 && buf_[end - 1] == '\r') --len;
      *line = std::string_view(buf_).substr(pos_, len);
      pos_ = nl == std::string::npos ? buf_.size() : nl + 1;
      ++line_number_;
      if (len > max_line_)
        return InvalidArgument("line " + std::to_string(line_number_) + " is longer than " +
                               std::to_string(max_line_) + " bytes");
      return true;
    }
    if (eof_) return false;
    // Compact, then read more.
    buf_.erase(0, pos_);
    pos_ = 0;
    if (buf_.size() > max_line_)
      return InvalidArgument("line " + std::to_string(line_number_ + 1) + " is longer than " +
                             std::to_string(max_line_) + " bytes");
    size_t old = buf_.size();
    buf_.resize(old + (1u << 16));
    PLB_ASSIGN_OR_RETURN(size_t n, reader_->Read(buf_.data() + old, 1u << 16));
    buf_.resize(old + n);
    if (n == 0) eof_ = true;
  }
}

}  // namespace plumbline::storage
