// The embedded store's buckets for the S3 API (see buckets.hpp).
#include "storage/buckets.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/ids.hpp"
#include "common/text.hpp"
#include "crypto/digest.hpp"
#include "crypto/envelope.hpp"
#include "crypto/hash.hpp"

namespace plumbline::storage {
namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

constexpr char kAttr[] = "user.plumbline.s3";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

int64_t MtimeNs(const struct stat& st) {
  return int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string ReadAttr(const std::string& path, const char* name) {
  char buf[8192];
  ssize_t n = ::getxattr(path.c_str(), name, buf, sizeof buf);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

// An object's info is kept in an extended attribute of its file, in one of
// two encodings. Most objects (a plain MD5 or multipart ETag, a short or no
// Content-Type, no user metadata, no SSE) take the compact one, small enough
// for ext4 to keep inside the inode (60 bytes with this attribute's name on
// 256-byte inodes); a longer value costs each object a block of its own,
// 4 KiB on disk and an allocation for every PutObject and for the first
// listing of a file written without S3 (44% of that listing's CPU). The
// rest, and attributes written before the compact form, are JSON.
//   compact: 0x01, flags (1: multipart ETag, 2: Content-Type), the ETag's
//   16 MD5 bytes, size, file size and mtime (ns) as varints, the part count
//   as a varint when multipart, then the Content-Type to the end.
constexpr char kCompact = 0x01;
constexpr size_t kCompactContentType = 24;  // "application/octet-stream" fits

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    *v |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// The 16 bytes of a 32-digit lower-case hex MD5, and the part count after
// a '-' (0 for none).
bool SplitEtag(const std::string& etag, std::string* md5, uint64_t* parts) {
  if (etag.size() < 32) return false;
  const std::string_view hex = std::string_view(etag).substr(0, 32);
  auto raw = HexDecode(hex);
  if (!raw || AsciiLower(hex) != hex) return false;  // re-encoded lower case
  *md5 = std::move(*raw);
  *parts = 0;
  if (etag.size() == 32) return true;
  if (etag[32] != '-' || etag.size() == 33 || etag.size() > 38 || etag[33] == '0') return false;
  for (size_t i = 33; i < etag.size(); ++i) {
    if (etag[i] < '0' || etag[i] > '9') return false;
    *parts = *parts * 10 + static_cast<uint64_t>(etag[i] - '0');
  }
  return true;
}

std::optional<std::string> EncodeCompact(const ObjectInfo& info, const struct stat& st) {
  std::string md5;
  uint64_t parts = 0;
  if (!info.metadata.empty() || !info.sse.empty() || !info.sse_kms_key_id.empty() ||
      info.content_type.size() > kCompactContentType || !SplitEtag(info.etag, &md5, &parts))
    return std::nullopt;
  std::string out{kCompact};
  out.push_back(static_cast<char>((parts ? 1 : 0) | (info.content_type.empty() ? 0 : 2)));
  out += md5;
  PutVarint(out, info.size);
  PutVarint(out, static_cast<uint64_t>(st.st_size));
  PutVarint(out, static_cast<uint64_t>(MtimeNs(st)));
  if (parts) PutVarint(out, parts);
  return out + info.content_type;
}

bool DecodeCompact(std::string_view in, const struct stat& st, ObjectInfo* info) {
  if (in.size() < 2 + 16) return false;
  const auto flags = static_cast<unsigned char>(in[1]);
  std::string_view md5 = in.substr(2, 16);
  in.remove_prefix(2 + 16);
  uint64_t size = 0, fsize = 0, mtime = 0, parts = 0;
  if (!GetVarint(in, &size) || !GetVarint(in, &fsize) || !GetVarint(in, &mtime)) return false;
  if ((flags & 1) && (!GetVarint(in, &parts) || parts == 0)) return false;
  if (fsize != static_cast<uint64_t>(st.st_size) || static_cast<int64_t>(mtime) != MtimeNs(st))
    return false;
  info->etag = crypto::HexEncode(md5);
  if (parts) info->etag += "-" + std::to_string(parts);
  info->size = size;
  if (flags & 2) info->content_type = std::string(in);
  return true;
}

std::string EncodeInfo(const ObjectInfo& info, const struct stat& st) {
  if (auto compact = EncodeCompact(info, st)) return *compact;
  bj::object o;
  o["etag"] = info.etag;
  o["size"] = info.size;
  o["fsize"] = static_cast<uint64_t>(st.st_size);
  o["mtime"] = MtimeNs(st);
  if (!info.content_type.empty()) o["ct"] = info.content_type;
  if (!info.metadata.empty()) {
    bj::array meta;
    for (const auto& [k, v] : info.metadata) meta.push_back(bj::array{bj::string(k), bj::string(v)});
    o["meta"] = std::move(meta);
  }
  if (!info.sse.empty()) o["sse"] = info.sse;
  if (!info.sse_kms_key_id.empty()) o["kms"] = info.sse_kms_key_id;
  return bj::serialize(o);
}

// The stored info when it still describes the file (same size and mtime).
bool DecodeInfo(const std::string& text, const struct stat& st, ObjectInfo* info) {
  if (text.empty()) return false;
  if (text[0] == kCompact) return DecodeCompact(text, st, info);
  boost::system::error_code ec;
  bj::value v = bj::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const bj::object& o = v.as_object();
  try {
    if (o.at("fsize").to_number<uint64_t>() != static_cast<uint64_t>(st.st_size) ||
        o.at("mtime").to_number<int64_t>() != MtimeNs(st))
      return false;
    info->etag = bj::value_to<std::string>(o.at("etag"));
    info->size = o.at("size").to_number<uint64_t>();
    if (auto* ct = o.if_contains("ct")) info->content_type = bj::value_to<std::string>(*ct);
    if (auto* m = o.if_contains("meta"))
      for (const auto& kv : m->as_array())
        info->metadata.emplace_back(bj::value_to<std::string>(kv.as_array().at(0)),
                                    bj::value_to<std::string>(kv.as_array().at(1)));
    if (auto* s = o.if_contains("sse")) info->sse = bj::value_to<std::string>(*s);
    if (auto* k = o.if_contains("kms")) info->sse_kms_key_id = bj::value_to<std::string>(*k);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// An object whose bytes are an envelope (a job's output written through
// kms::EncryptingStore, here or by another server of the installation that
// sent it through S3 without SSE headers) is kept as SSE-KMS under the
// envelope's key: decrypted for the callers its policy allows, its size the
// plaintext's. The envelope's chunks are not read here; a reader that
// decrypts checks them. `fd` must be open for reading.
void NoteEnvelope(int fd, ObjectInfo* info) {
  if (!info->sse.empty()) return;
  struct stat st {};
  char magic[8];
  if (::fstat(fd, &st) != 0 || st.st_size <= 12 || ::pread(fd, magic, sizeof magic, 0) != 8 ||
      std::string_view(magic, sizeof magic) != crypto::kEnvelopeMagic)
    return;
  std::string head(static_cast<size_t>(std::min<off_t>(st.st_size, crypto::kEnvelopeHeadBytes)), '\0');
  ssize_t got = ::pread(fd, head.data(), head.size(), 0);
  if (got <= 0) return;
  head.resize(static_cast<size_t>(got));
  if (auto layout = crypto::InspectEnvelope(head, static_cast<uint64_t>(st.st_size))) {
    info->sse = "aws:kms";
    info->sse_kms_key_id = layout->header.key_arn;
    info->size = layout->plaintext_size;
  }
}

// A file's S3 info: its attribute, else its MD5 (kept for next time).
Result<ObjectInfo> InfoOf(const std::string& path, const std::string& key, const struct stat& st) {
  ObjectInfo info;
  info.key = key;
  info.stored_size = static_cast<uint64_t>(st.st_size);
  info.mtime_ms = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  if (DecodeInfo(ReadAttr(path, kAttr), st, &info)) return info;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable(Errno("cannot read " + key));
  crypto::Digest md5(crypto::Digest::Kind::kMd5);
  // Sized to the file, and not zeroed: a listing of many small files that
  // were written without S3 comes here once per file (zeroing a 1 MiB
  // buffer each time took 50 µs a key, 90% of a first listing's CPU).
  const size_t room = static_cast<size_t>(std::clamp<off_t>(st.st_size, 1, 1 << 20));
  std::unique_ptr<char[]> buf(new char[room]);
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), room);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Unavailable(Errno("cannot read " + key));
    }
    if (n == 0) break;
    md5.Update(std::string_view(buf.get(), static_cast<size_t>(n)));
  }
  info.etag = crypto::HexEncode(md5.Finish());
  info.size = static_cast<uint64_t>(st.st_size);
  NoteEnvelope(fd, &info);
  ::close(fd);
  std::string attr = EncodeInfo(info, st);
  ::setxattr(path.c_str(), kAttr, attr.data(), attr.size(), 0);  // a cache: best effort
  return info;
}

bool IsStagingName(std::string_view name) {
  // OpenLocal's writers: ".tmp-" + 16 hex + "-" + name.
  if (name.size() < 22 || name.substr(0, 5) != ".tmp-" || name[21] != '-') return false;
  for (size_t i = 5; i < 21; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

struct Entry {
  std::string name;
  bool dir = false;
  std::string sort_key;  // name, or name + "/" for a folder
};

std::vector<Entry> SortedEntries(const std::string& dir) {
  std::vector<Entry> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || IsStagingName(name)) continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st;
      if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;
      is_dir = S_ISDIR(st.st_mode);
    } else if (e->d_type != DT_DIR && e->d_type != DT_REG) {
      continue;
    }
    out.push_back({name, is_dir, is_dir ? name + "/" : name});
  }
  ::closedir(d);
  // Sorting folders as "name/" gives S3's byte order of the keys beneath.
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
  return out;
}

bool HasObject(const std::string& dir) {
  for (const Entry& e : SortedEntries(dir)) {
    if (!e.dir) return true;
    if (HasObject(dir + "/" + e.name)) return true;
  }
  return false;
}

// Removes empty folders from `dir` up to (not including) `stop`.
void PruneEmpty(fs::path dir, const fs::path& stop) {
  while (dir != stop && dir.string().size() > stop.string().size()) {
    if (::rmdir(dir.c_str()) != 0) return;
    dir = dir.parent_path();
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Stores an object's info in its file's attribute (as of the file's size
// and modification time now, which DecodeInfo checks).
Status KeepInfo(int fd, const ObjectInfo& info) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Unavailable(Errno("stat failed"));
  std::string attr = EncodeInfo(info, st);
  if (::fsetxattr(fd, kAttr, attr.data(), attr.size(), 0) != 0)
    return Unavailable(Errno("cannot store the object's metadata (extended attributes)"));
  return {};
}

// A new file in `dir` holding `text`, synced: the caller renames or links
// it into place (and syncs `dir`). Returns its path.
Result<std::string> StageSmallFile(const std::string& dir, std::string_view text) {
  std::string tmp = dir + "/.tmp-" + RandomHex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable(Errno("cannot write in " + dir));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return Unavailable(Errno("cannot write in " + dir));
  }
  return tmp;
}

// A small file's bytes (its first `limit`), nullopt when it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path, size_t limit = 64 << 10) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[4096];
  ssize_t n = 0;
  while (text.size() < limit && (n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return std::nullopt;
  return text;
}

Status SyncDir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Unavailable(Errno("cannot open " + dir));
  ::fsync(dfd);
  ::close(dfd);
  return {};
}

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

 private:
  int fd_;
};

// Writes an object's or a part's bytes into an open file from `base` on (at
// most `room` of them), handing them to writeback as they come; publishing
// them is the subclass's.
class FileWriter : public ObjectWriter {
 public:
  ~FileWriter() override {
    WaitForCommitter();
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    if (data.size() > room_ - written_)
      return InvalidArgument("more bytes for " + key_ + " than the " + std::to_string(room_) + " it has room for");
    while (!data.empty()) {
      ssize_t w = ::write(fd_, data.data(), std::min(data.size(), kMaxWrite));
      if (w < 0) {
        if (errno == EINTR) continue;
        return Unavailable(Errno("write of " + key_ + " failed"));
      }
      data.remove_prefix(static_cast<size_t>(w));
      written_ += static_cast<uint64_t>(w);
    }
    StartWriteback();
    return {};
  }
  // Appends `length` bytes of the file open at `from`, from `at` (to its
  // end when it is shorter): copied by the kernel (copy_file_range(2): no
  // trip through this process, and on file systems that share extents, no
  // copy at all), with read and write where the kernel cannot copy between
  // these two files.
  Status AppendFile(int from, off_t at, uint64_t length) {
    for (;;) {
      if (length == 0) return {};
      ssize_t n = ::copy_file_range(from, &at, fd_, nullptr, std::min<uint64_t>(length, kCopyPiece), 0);
      if (n > 0) {
        written_ += static_cast<uint64_t>(n);
        length -= static_cast<uint64_t>(n);
        StartWriteback();
        continue;
      }
      if (n == 0) return {};
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return Unavailable(Errno("copy into " + key_ + " failed"));
      break;
    }
    std::vector<char> buf(kMaxWrite);
    while (length > 0) {
      ssize_t r = ::pread(from, buf.data(), std::min<uint64_t>(buf.size(), length), at);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Unavailable(Errno("read for " + key_ + " failed"));
      if (r == 0) return {};
      at += r;
      length -= static_cast<uint64_t>(r);
      PLB_TRY(Append(std::string_view(buf.data(), static_cast<size_t>(r))));
    }
    return {};
  }
  uint64_t written() const override { return written_; }
  Status Sync() override {
    WaitForCommitter();
    if (commit_errno_ != 0) {
      errno = commit_errno_;
      return Unavailable(Errno("fsync of " + key_ + " failed"));
    }
    if (::fsync(fd_) != 0) return Unavailable(Errno("fsync of " + key_ + " failed"));
    synced_ = written_;
    return {};
  }

 protected:
  FileWriter(int fd, std::string key, uint64_t base = 0, uint64_t room = UINT64_MAX)
      : fd_(fd), key_(std::move(key)), base_(base), room_(room) {}
  // Only the tail not yet written back (or synced by Sync) is left.
  Status SyncRest() { return synced_ != written_ || written_ == 0 ? Sync() : Status{}; }

  int fd_;
  std::string key_;

 private:
  // A large upload's pages go to the disk while the rest of the body is
  // still arriving, so the fsync in Sync/Commit waits for the last windows
  // only instead of the whole object. Each full window is handed to
  // writeback (without waiting); the one before it is waited for, so dirty
  // pages stay bounded to about two windows, and so does the fsync's tail
  // (which comes after the last byte: the smaller, the sooner the answer).
  static constexpr uint64_t kWindow = 1u << 20;
  // The data being on disk is not the whole of an fsync: the blocks it was
  // given are journalled metadata, and committing that took 35 ms on the
  // development machine's ext4 however little data was left to write. So
  // every kCommitEvery bytes, a thread of the writer's runs fdatasync(2)
  // while the body goes on arriving (never two at once, and the writer
  // never waits for it): the fsync after the last byte then commits only
  // what came since the last one (5-8 ms there).
  static constexpr uint64_t kCommitEvery = 16u << 20;
  // Larger writes go to the page cache in pieces of this size. Measured on
  // a 2-core virtual machine: writes of 512 KiB and 1 MiB at a time spent
  // 5-15 times as long copying into the page cache as 256 KiB ones did,
  // often but not always (larger writes get larger folios; fresh memory
  // for those is the likely cost).
  static constexpr size_t kMaxWrite = 256u << 10;
  // AppendFile's pieces: one window's worth is handed to writeback as each
  // lands, as Append does.
  static constexpr size_t kCopyPiece = 4u << 20;
  void StartWriteback() {
    while (written_ - flushed_ >= kWindow) {
      ::sync_file_range(fd_, static_cast<off_t>(base_ + flushed_), kWindow, SYNC_FILE_RANGE_WRITE);
      if (flushed_ >= kWindow)
        ::sync_file_range(fd_, static_cast<off_t>(base_ + flushed_ - kWindow), kWindow,
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      flushed_ += kWindow;
    }
    if (written_ - committed_ >= kCommitEvery && !committing_.load()) {
      if (committer_.joinable()) committer_.join();  // done: committing_ is false
      committed_ = written_;
      committing_.store(true);
      committer_ = std::thread([this] {
        // A write-back error is reported once per open file: keep it for Sync.
        if (::fdatasync(fd_) != 0) commit_errno_ = errno;
        committing_.store(false);
      });
    }
  }
  void WaitForCommitter() {
    if (committer_.joinable()) committer_.join();
  }

  const uint64_t base_;  // where the bytes start in the file
  const uint64_t room_;  // how many may be written
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;  // bytes handed to writeback
  uint64_t synced_ = 0;   // bytes made durable by Sync
  uint64_t committed_ = 0;  // bytes written when the last fdatasync started
  std::atomic<bool> committing_{false};
  int commit_errno_ = 0;  // the committer's; read after joining it
  std::thread committer_;
};

// Publishes an object (or a part in a file of its own): its info in the
// file's attribute, then the staged file renamed over the target.
class StagedWriter final : public FileWriter {
 public:
  StagedWriter(int fd, std::string tmp, std::string target, std::string key)
      : FileWriter(fd, std::move(key)), tmp_(std::move(tmp)), target_(std::move(target)) {}
  // A part in a file of its own replaces the part's record of the same
  // number (`other`) under `lock`, so the part committed last stands.
  StagedWriter(int fd, std::string tmp, std::string target, std::string key, std::string other,
               std::shared_ptr<std::mutex> lock)
      : StagedWriter(fd, std::move(tmp), std::move(target), std::move(key)) {
    other_ = std::move(other);
    lock_ = std::move(lock);
    part_ = true;
  }
  ~StagedWriter() override {
    if (!published_) ::unlink(tmp_.c_str());
  }
  Status Commit(const ObjectInfo& info) override {
    PLB_TRY(SyncRest());
    ObjectInfo kept = info;
    if (!part_) NoteEnvelope(fd_, &kept);
    PLB_TRY(KeepInfo(fd_, kept));
    ::close(fd_);
    fd_ = -1;
    return Publish(tmp_, target_, key_, &published_, other_, lock_.get());
  }

  // Renames a complete, synced file over an object's path (making the
  // folders above it) and syncs the folder.
  // With `other`, removes that file too, the two under `lock`.
  static Status Publish(const std::string& from, const std::string& target, const std::string& key,
                        bool* published, const std::string& other = "", std::mutex* lock = nullptr) {
    fs::path parent = fs::path(target).parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) return Conflict("the key " + key + " lies under an existing object: " + ec.message());
    {
      std::unique_lock<std::mutex> held;
      if (lock) held = std::unique_lock<std::mutex>(*lock);
      if (::rename(from.c_str(), target.c_str()) != 0) {
        if (errno == EISDIR || errno == ENOTEMPTY || errno == ENOTDIR || errno == EEXIST)
          return Conflict(Errno("the key " + key + " is a folder of other keys"));
        return Unavailable(Errno("cannot publish " + key));
      }
      if (!other.empty()) ::unlink(other.c_str());
    }
    *published = true;
    return SyncDir(parent.string());
  }

 private:
  std::string tmp_, target_;
  std::string other_;
  std::shared_ptr<std::mutex> lock_;
  bool part_ = false;  // a part's file, not an object
  bool published_ = false;
};

// A part written in place: into its upload's data file at its slot, and
// published by a record beside it ("part-N.at": where it lies, its size,
// ETag and time), written once its bytes are on disk. `release` runs when
// the writer goes, committed or not.
class RegionWriter final : public FileWriter {
 public:
  // `other`: the part's file of its own, removed with the record's
  // publishing under `lock`, so the part committed last stands.
  RegionWriter(int fd, uint64_t offset, uint64_t room, std::string record, std::string key,
               std::string other, std::shared_ptr<std::mutex> lock, std::function<void()> release)
      : FileWriter(fd, std::move(key), offset, room),
        offset_(offset),
        record_(std::move(record)),
        other_(std::move(other)),
        lock_(std::move(lock)),
        release_(std::move(release)) {}
  ~RegionWriter() override { release_(); }
  Status Commit(const ObjectInfo& info) override {
    PLB_TRY(SyncRest());
    std::string text = "plbpart1 " + std::to_string(offset_) + " " + std::to_string(written()) + " " +
                       info.etag + " " + std::to_string(NowMs()) + "\n";
    const std::string dir = fs::path(record_).parent_path().string();
    PLB_ASSIGN_OR_RETURN(std::string tmp, StageSmallFile(dir, text));
    bool published = false;
    {
      std::lock_guard<std::mutex> held(*lock_);
      published = ::rename(tmp.c_str(), record_.c_str()) == 0;
      if (published) ::unlink(other_.c_str());
    }
    if (!published) {
      ::unlink(tmp.c_str());
      return Unavailable(Errno("cannot record a part"));
    }
    return SyncDir(dir);
  }

 private:
  uint64_t offset_;
  std::string record_, other_;
  std::shared_ptr<std::mutex> lock_;
  std::function<void()> release_;
};

// Reads `size` bytes of an open file from `offset` (a part written in place).
class RegionReader final : public Reader {
 public:
  RegionReader(int fd, uint64_t offset, uint64_t size) : fd_(fd), at_(offset), left_(size) {}
  ~RegionReader() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t n) override {
    for (;;) {
      ssize_t r = ::pread(fd_, buf, static_cast<size_t>(std::min<uint64_t>(n, left_)), static_cast<off_t>(at_));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Unavailable(Errno("read failed"));
      at_ += static_cast<uint64_t>(r);
      left_ -= static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
  }

 private:
  int fd_;
  uint64_t at_, left_;
};

}  // namespace

struct LocalBuckets::PartsInFlight {
  std::mutex m;
  std::set<std::pair<std::string, int>> writing;  // (upload id, part number)
  // Held while a part is published and its other form removed.
  std::shared_ptr<std::mutex> publishing = std::make_shared<std::mutex>();
};

LocalBuckets::LocalBuckets(std::string data_dir)
    : data_dir_(std::move(data_dir)), in_flight_(std::make_shared<PartsInFlight>()) {}

std::string LocalBuckets::BucketDir(const std::string& bucket) const {
  return data_dir_ + "/buckets/" + bucket;
}

bool LocalBuckets::ValidBucketName(std::string_view n) {
  if (n.size() < 3 || n.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) return false;
  bool all_digits_dots = true;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && i > 0 && (n[i - 1] == '.' || n[i - 1] == '-')) return false;
    if (c == '-' && i > 0 && n[i - 1] == '.') return false;
    if (!(c == '.' || (c >= '0' && c <= '9'))) all_digits_dots = false;
  }
  return !all_digits_dots;
}

Status LocalBuckets::CheckKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("the object key is empty");
  if (key.size() > 1024) return InvalidArgument("Your key is too long");
  if (key.find('\0') != std::string_view::npos)
    return InvalidArgument("object keys may not contain NUL in this store");
  if (key.back() == '/')
    return InvalidArgument("object keys ending in '/' (folder markers) are not stored by this "
                           "store: its keys are files");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return InvalidArgument("object keys may not hold an empty segment ('//' or a leading '/') in this store");
    if (seg == "." || seg == "..") return InvalidArgument("object keys may not hold '.' or '..' segments in this store");
    if (seg.size() > 255) return InvalidArgument("Your key is too long (a segment between '/' is over 255 bytes)");
    start = end + 1;
  }
  return {};
}

Result<std::vector<BucketInfo>> LocalBuckets::ListBuckets() {
  std::vector<BucketInfo> out;
  for (const Entry& e : SortedEntries(data_dir_ + "/buckets")) {
    if (!e.dir || !ValidBucketName(e.name)) continue;
    struct stat st;
    if (::stat(BucketDir(e.name).c_str(), &st) != 0) continue;
    out.push_back({e.name, int64_t(st.st_ctim.tv_sec) * 1000});
  }
  return out;
}

Status LocalBuckets::CreateBucket(const std::string& name) {
  if (!ValidBucketName(name)) return InvalidArgument("The specified bucket is not valid.");
  std::error_code ec;
  fs::create_directories(data_dir_ + "/buckets", ec);
  if (::mkdir(BucketDir(name).c_str(), 0755) != 0) {
    if (errno == EEXIST) return AlreadyExists("bucket " + name + " exists");
    return Unavailable(Errno("cannot create bucket " + name));
  }
  return SyncDir(data_dir_ + "/buckets");
}

Result<BucketInfo> LocalBuckets::HeadBucket(const std::string& name) {
  struct stat st;
  if (!ValidBucketName(name) || ::stat(BucketDir(name).c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return NotFound("The specified bucket does not exist");
  return BucketInfo{name, int64_t(st.st_ctim.tv_sec) * 1000};
}

Status LocalBuckets::DeleteBucket(const std::string& name) {
  PLB_TRY(HeadBucket(name));
  std::string dir = BucketDir(name);
  if (HasObject(dir)) return Conflict("The bucket you tried to delete is not empty");
  std::error_code ec;
  fs::remove_all(dir, ec);  // empty folders only: no objects are left
  if (ec) return Unavailable("cannot delete bucket " + name + ": " + ec.message());
  return {};
}

Result<std::string> LocalBuckets::GetBucketSetting(const std::string& name,
                                                   const std::string& setting) {
  PLB_TRY(HeadBucket(name));
  return ReadAttr(BucketDir(name), ("user.plumbline." + setting).c_str());
}

Status LocalBuckets::SetBucketSetting(const std::string& name, const std::string& setting,
                                      const std::string& value) {
  PLB_TRY(HeadBucket(name));
  std::string attr = "user.plumbline." + setting;
  int rc = value.empty() ? ::removexattr(BucketDir(name).c_str(), attr.c_str())
                         : ::setxattr(BucketDir(name).c_str(), attr.c_str(), value.data(),
                                      value.size(), 0);
  if (rc != 0 && !(value.empty() && errno == ENODATA))
    return Unavailable(Errno("cannot store the bucket setting " + setting));
  return {};
}

Result<ObjectInfo> LocalBuckets::Head(const std::string& bucket, const std::string& key) {
  PLB_TRY(HeadBucket(bucket));
  PLB_TRY(CheckKey(key));
  std::string path = BucketDir(bucket) + "/" + key;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return NotFound("The specified key does not exist.");
  return InfoOf(path, key, st);
}

Result<std::unique_ptr<Reader>> LocalBuckets::Open(const std::string& bucket,
                                                   const std::string& key, uint64_t offset) {
  PLB_TRY(CheckKey(key));
  std::string path = BucketDir(bucket) + "/" + key;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("The specified key does not exist.");
  if (offset > 0 && ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    ::close(fd);
    return Unavailable(Errno("seek failed"));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<Reader>(new FileReader(fd));
}

Result<std::string> LocalBuckets::TargetPath(const std::string& bucket, const std::string& key) {
  PLB_TRY(HeadBucket(bucket));
  PLB_TRY(CheckKey(key));
  // A key under an object, or an object where a folder is: refuse before
  // the body is read.
  std::string target = BucketDir(bucket) + "/" + key;
  struct stat st;
  if (::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Conflict("the key " + key + " is a folder of other keys in this store");
  for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1)) {
    std::string above = BucketDir(bucket) + "/" + key.substr(0, slash);
    if (::stat(above.c_str(), &st) != 0) break;
    if (!S_ISDIR(st.st_mode))
      return Conflict("the key " + key + " lies under the object " + key.substr(0, slash) +
                      " in this store");
  }
  return target;
}

Result<std::unique_ptr<ObjectWriter>> LocalBuckets::Create(const std::string& bucket,
                                                           const std::string& key) {
  PLB_ASSIGN_OR_RETURN(std::string target, TargetPath(bucket, key));
  std::string staging = data_dir_ + "/s3-staging/tmp";
  std::error_code ec;
  fs::create_directories(staging, ec);
  std::string tmp = staging + "/" + RandomHex(12);
  // Read too: Commit looks at the first bytes (NoteEnvelope).
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable(Errno("cannot stage " + key));
  return std::unique_ptr<ObjectWriter>(new StagedWriter(fd, tmp, target, key));
}

Status LocalBuckets::Delete(const std::string& bucket, const std::string& key) {
  PLB_TRY(HeadBucket(bucket));
  PLB_TRY(CheckKey(key));
  fs::path path = fs::path(BucketDir(bucket)) / key;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Unavailable(Errno("cannot delete " + key));
  PruneEmpty(path.parent_path(), fs::path(BucketDir(bucket)));
  return SyncDir(path.parent_path().string()).has_value() ? Status{} : Status{};
}

namespace {

// Walks a bucket's keys in S3 order, from a folder, with start-after
// skipping whole subtrees and delimiter folding.
struct Walker {
  const ListOptions& o;
  ListResult& out;
  size_t emitted = 0;
  bool done = false;

  bool Full() {
    if (emitted < o.max_keys) return false;
    out.truncated = true;
    done = true;
    return true;
  }
  void EmitPrefix(const std::string& cp) {
    if (cp <= o.start_after) return;
    if (!out.common_prefixes.empty() && out.common_prefixes.back() == cp) return;
    if (Full()) return;
    out.common_prefixes.push_back(cp);
    out.last = cp;
    ++emitted;
  }
  void EmitKey(const std::string& path, const std::string& key) {
    if (key <= o.start_after || key.compare(0, o.prefix.size(), o.prefix) != 0) return;
    if (!o.delimiter.empty()) {
      size_t pos = key.find(o.delimiter, o.prefix.size());
      if (pos != std::string::npos) {
        EmitPrefix(key.substr(0, pos + o.delimiter.size()));
        return;
      }
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return;
    auto info = InfoOf(path, key, st);
    if (!info) return;
    if (Full()) return;
    out.objects.push_back(std::move(*info));
    out.last = key;
    ++emitted;
  }
  void Walk(const std::string& dir, const std::string& key_prefix) {
    for (const Entry& e : SortedEntries(dir)) {
      if (done) return;
      std::string key = key_prefix + e.name;
      // Only names that can still match the prefix.
      size_t n = std::min(key.size(), o.prefix.size());
      if (key.compare(0, n, o.prefix, 0, n) != 0) continue;
      if (!e.dir) {
        EmitKey(dir + "/" + e.name, key);
        continue;
      }
      std::string sub = key + "/";
      if (sub.size() < o.prefix.size() && o.prefix.compare(0, sub.size(), sub) != 0) continue;
      // Every key under `sub` is below start_after: skip the subtree.
      if (o.start_after > sub && o.start_after.compare(0, sub.size(), sub) != 0) continue;
      if (o.delimiter == "/" && sub.size() > o.prefix.size()) {
        if (HasObject(dir + "/" + e.name)) EmitPrefix(sub);
        continue;
      }
      Walk(dir + "/" + e.name, sub);
    }
  }
};

}  // namespace

Result<ListResult> LocalBuckets::List(const std::string& bucket, const ListOptions& options) {
  PLB_TRY(HeadBucket(bucket));
  ListResult out;
  if (options.max_keys == 0) return out;
  // Start in the deepest folder the prefix names.
  size_t slash = options.prefix.rfind('/');
  std::string start_key = slash == std::string::npos ? "" : options.prefix.substr(0, slash + 1);
  if (!start_key.empty() && !CheckKey(start_key.substr(0, start_key.size() - 1))) {
    return out;  // no such folder can exist
  }
  Walker w{options, out};
  w.Walk(BucketDir(bucket) + (start_key.empty() ? "" : "/" + start_key.substr(0, start_key.size() - 1)),
         start_key);
  return out;
}

// ---------------------------------------------------------------- multipart

namespace {

std::string UploadDir(const std::string& data_dir, const std::string& id) {
  return data_dir + "/s3-staging/uploads/" + id;
}

bool ValidUploadId(const std::string& id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Result<UploadInfo> LocalBuckets::CreateUpload(const std::string& bucket, const std::string& key,
                                              const ObjectInfo& meta) {
  PLB_TRY(HeadBucket(bucket));
  PLB_TRY(CheckKey(key));
  UploadInfo u{RandomHex(16), bucket, key, NowMs(), meta};
  std::string dir = UploadDir(data_dir_, u.upload_id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot stage an upload: " + ec.message());
  bj::object o;
  o["bucket"] = bucket;
  o["key"] = key;
  o["initiated"] = u.initiated_ms;
  o["ct"] = meta.content_type;
  bj::array m;
  for (const auto& [k, v] : meta.metadata) m.push_back(bj::array{bj::string(k), bj::string(v)});
  o["meta"] = std::move(m);
  o["sse"] = meta.sse;
  o["kms"] = meta.sse_kms_key_id;
  PLB_ASSIGN_OR_RETURN(std::string tmp, StageSmallFile(dir, bj::serialize(o)));
  if (::rename(tmp.c_str(), (dir + "/upload.json").c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Unavailable(Errno("cannot stage an upload"));
  }
  PLB_TRY(SyncDir(dir));
  PLB_TRY(SyncDir(fs::path(dir).parent_path().string()));  // the upload's folder itself
  return u;
}

Result<UploadInfo> LocalBuckets::GetUpload(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id) {
  auto none = NotFound(
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
      "been aborted or completed.");
  if (!ValidUploadId(upload_id)) return none;
  auto text = ReadSmallFile(UploadDir(data_dir_, upload_id) + "/upload.json");
  if (!text) return none;
  boost::system::error_code ec;
  bj::value v = bj::parse(*text, ec);
  if (ec || !v.is_object()) return none;
  const bj::object& o = v.as_object();
  UploadInfo u;
  try {
    u.upload_id = upload_id;
    u.bucket = bj::value_to<std::string>(o.at("bucket"));
    u.key = bj::value_to<std::string>(o.at("key"));
    u.initiated_ms = o.at("initiated").to_number<int64_t>();
    u.meta.content_type = bj::value_to<std::string>(o.at("ct"));
    for (const auto& kv : o.at("meta").as_array())
      u.meta.metadata.emplace_back(bj::value_to<std::string>(kv.as_array().at(0)),
                                   bj::value_to<std::string>(kv.as_array().at(1)));
    u.meta.sse = bj::value_to<std::string>(o.at("sse"));
    u.meta.sse_kms_key_id = bj::value_to<std::string>(o.at("kms"));
  } catch (const std::exception&) {
    return none;
  }
  if (u.bucket != bucket || (!key.empty() && u.key != key)) return none;
  return u;
}

namespace {

// The upload's stride: the size of the first part offered to go in place,
// made once (a complete file linked into place, so two parts racing agree)
// and on disk before any part record that relies on it: a record becomes
// durable with a sync of this same folder, which the link precedes.
Result<uint64_t> StrideOf(const std::string& dir, uint64_t proposed) {
  const std::string path = dir + "/stride";
  auto read = [&]() -> std::optional<uint64_t> {
    auto text = ReadSmallFile(path, 32);
    uint64_t v = text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
    return v > 0 ? std::optional<uint64_t>(v) : std::nullopt;
  };
  if (auto v = read()) return *v;
  PLB_ASSIGN_OR_RETURN(std::string tmp, StageSmallFile(dir, std::to_string(proposed)));
  bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  ::unlink(tmp.c_str());
  if (linked) return proposed;
  if (auto v = read()) return *v;  // another part's stride came first
  return Unavailable(Errno("cannot stage a part"));
}

// A part's record (RegionWriter::Commit), or nullopt when it is not one.
std::optional<PartInfo> ReadRecord(const std::string& path, int number) {
  auto text = ReadSmallFile(path, 256);
  if (!text) return std::nullopt;
  char etag[80] = {};
  unsigned long long offset = 0, size = 0;
  long long mtime = 0;
  if (std::sscanf(text->c_str(), "plbpart1 %llu %llu %79s %lld", &offset, &size, etag, &mtime) != 4)
    return std::nullopt;
  PartInfo p;
  p.number = number;
  p.size = size;
  p.etag = etag;
  p.mtime_ms = mtime;
  p.in_place = true;
  p.offset = offset;
  return p;
}

int64_t ChangedNs(const struct stat& st) { return int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec; }

}  // namespace

Result<std::unique_ptr<ObjectWriter>> LocalBuckets::CreatePart(const UploadInfo& upload, int number,
                                                               uint64_t size) {
  std::string dir = UploadDir(data_dir_, upload.upload_id);
  if (size > 0 && upload.meta.sse.empty() && number >= 1) {
    PLB_ASSIGN_OR_RETURN(uint64_t stride, StrideOf(dir, size));
    auto slot = std::make_pair(upload.upload_id, number);
    bool free = false;
    if (size <= stride) {
      std::lock_guard<std::mutex> lock(in_flight_->m);
      free = in_flight_->writing.insert(slot).second;
    }
    if (free) {
      auto release = [in_flight = in_flight_, slot] {
        std::lock_guard<std::mutex> lock(in_flight->m);
        in_flight->writing.erase(slot);
      };
      const uint64_t offset = static_cast<uint64_t>(number - 1) * stride;
      int fd = ::open((dir + "/data").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 || ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
        if (fd >= 0) ::close(fd);
        release();
        return Unavailable(Errno("cannot stage a part"));
      }
      const std::string file = dir + "/part-" + std::to_string(number);
      return std::unique_ptr<ObjectWriter>(new RegionWriter(fd, offset, stride, file + ".at", upload.key,
                                                            file, in_flight_->publishing, release));
    }
  }
  std::string tmp = dir + "/.tmp-" + RandomHex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable(Errno("cannot stage a part"));
  const std::string file = dir + "/part-" + std::to_string(number);
  return std::unique_ptr<ObjectWriter>(
      new StagedWriter(fd, tmp, file, upload.key, file + ".at", in_flight_->publishing));
}

namespace {

// Where a listed part's bytes lie in its upload's folder.
std::string PartFile(const std::string& dir, const PartInfo& p) {
  return p.in_place ? dir + "/data" : dir + "/part-" + std::to_string(p.number);
}

}  // namespace

Result<std::unique_ptr<Reader>> LocalBuckets::OpenPart(const UploadInfo& upload, const PartInfo& part) {
  int fd = ::open(PartFile(UploadDir(data_dir_, upload.upload_id), part).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("part " + std::to_string(part.number) + " is missing");
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (part.in_place) return std::unique_ptr<Reader>(new RegionReader(fd, part.offset, part.size));
  return std::unique_ptr<Reader>(new FileReader(fd));
}

Result<std::vector<PartInfo>> LocalBuckets::ListParts(const UploadInfo& upload) {
  std::map<int, std::pair<PartInfo, int64_t>> parts;  // number: the part, when it was stored (ns)
  std::string dir = UploadDir(data_dir_, upload.upload_id);
  for (const Entry& e : SortedEntries(dir)) {
    if (e.dir || e.name.rfind("part-", 0) != 0) continue;
    std::string path = dir + "/" + e.name;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    const int number = std::atoi(e.name.c_str() + 5);
    std::optional<PartInfo> part;
    if (e.name.size() > 3 && e.name.compare(e.name.size() - 3, 3, ".at") == 0) {
      part = ReadRecord(path, number);
    } else {
      PLB_ASSIGN_OR_RETURN(ObjectInfo info, InfoOf(path, e.name, st));
      part = PartInfo{number, info.size, info.etag, info.mtime_ms};
    }
    if (!part) continue;
    // Both forms (a crash between publishing one and removing the other):
    // the later one stands.
    auto [it, added] = parts.try_emplace(number, *part, ChangedNs(st));
    if (!added && ChangedNs(st) > it->second.second) it->second = {*part, ChangedNs(st)};
  }
  std::vector<PartInfo> out;
  for (auto& [number, part] : parts) out.push_back(std::move(part.first));
  return out;
}

Result<std::vector<UploadInfo>> LocalBuckets::ListUploads(const std::string& bucket) {
  PLB_TRY(HeadBucket(bucket));
  std::vector<UploadInfo> out;
  for (const Entry& e : SortedEntries(data_dir_ + "/s3-staging/uploads")) {
    auto u = GetUpload(bucket, "", e.name);
    if (u) out.push_back(std::move(*u));
  }
  std::sort(out.begin(), out.end(), [](const UploadInfo& a, const UploadInfo& b) {
    return std::tie(a.key, a.initiated_ms) < std::tie(b.key, b.initiated_ms);
  });
  return out;
}

Status LocalBuckets::CompleteUpload(const UploadInfo& upload, const std::vector<PartInfo>& parts,
                                    const ObjectInfo& info) {
  const std::string dir = UploadDir(data_dir_, upload.upload_id);
  // Parts 1..N all in place, each a whole stride but the last: the data
  // file is the object already.
  bool whole = !parts.empty();
  const uint64_t stride = whole ? parts[0].size : 0;
  uint64_t total = 0;
  for (size_t i = 0; whole && i < parts.size(); ++i) {
    const PartInfo& p = parts[i];
    whole = p.in_place && p.number == static_cast<int>(i) + 1 && p.offset == i * stride &&
            (i + 1 == parts.size() ? p.size <= stride : p.size == stride);
    total += p.size;
  }
  if (whole) {
    PLB_ASSIGN_OR_RETURN(std::string target, TargetPath(upload.bucket, upload.key));
    const std::string data = dir + "/data";
    int fd = ::open(data.c_str(), O_RDWR | O_CLOEXEC);  // read too: NoteEnvelope
    if (fd < 0) return Unavailable(Errno("cannot open the upload's data"));
    ObjectInfo object = info;
    Status kept = ::ftruncate(fd, static_cast<off_t>(total)) != 0
                      ? Unavailable(Errno("cannot complete " + upload.key))
                      : Status{};
    if (kept) NoteEnvelope(fd, &object);
    if (kept) kept = KeepInfo(fd, object);
    if (kept && ::fsync(fd) != 0) kept = Unavailable(Errno("fsync of " + upload.key + " failed"));
    ::close(fd);
    PLB_TRY(kept);
    bool published = false;
    PLB_TRY(StagedWriter::Publish(data, target, upload.key, &published));
    return AbortUpload(upload);
  }
  PLB_ASSIGN_OR_RETURN(auto created, Create(upload.bucket, upload.key));
  auto& writer = static_cast<StagedWriter&>(*created);  // what Create makes
  for (const PartInfo& p : parts) {
    int fd = ::open(PartFile(dir, p).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NotFound("part " + std::to_string(p.number) + " is missing");
    Status copied = p.in_place ? writer.AppendFile(fd, static_cast<off_t>(p.offset), p.size)
                               : writer.AppendFile(fd, 0, UINT64_MAX);
    ::close(fd);
    PLB_TRY(copied);
  }
  PLB_TRY(writer.Commit(info));
  return AbortUpload(upload);
}

Status LocalBuckets::AbortUpload(const UploadInfo& upload) {
  std::error_code ec;
  fs::remove_all(UploadDir(data_dir_, upload.upload_id), ec);
  if (ec) return Unavailable("cannot remove the upload: " + ec.message());
  return {};
}

}  // namespace plumbline::storage
