// LocalBuckets: the embedded store's buckets as S3 sees them. Bucket BUCKET
// is the folder DATA/buckets/BUCKET and object KEY the file
// DATA/buckets/BUCKET/KEY (the same mapping as OpenLocal, so labeling jobs
// read and write the objects S3 clients put and get). What S3 needs beyond
// bytes lives beside them:
//  * an object's metadata (ETag, Content-Type, x-amz-meta-*, server-side
//    encryption) in the file's extended attribute "user.plumbline.s3",
//    written to the temporary file before the rename, so bytes and metadata
//    appear together. A file without it (written by a job, or copied into the
//    folder) gets its ETag computed from its bytes on first use and kept; a
//    file changed outside S3 (size or mtime differs from the attribute) too.
//  * temporary files of uploads and multipart parts under DATA/s3-staging
//    (same filesystem, so publishing is one rename).
//
// Keys a filesystem cannot hold are refused (kInvalidArgument, see CheckKey):
// an empty segment ("a//b", a leading '/'), "." or ".." segments, a key
// ending in '/', a segment over 255 bytes, a NUL byte. A key that is a
// folder of other keys ("a" when "a/b" exists, and the reverse) cannot be
// written: kConflict. Listings skip the temporary files of OpenLocal's
// writers (".tmp-<16 hex>-name").
//
// Thread safety: every method may be called concurrently; two writers of
// one key race like two PUTs on S3 (the last rename wins).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "storage/object_store.hpp"

namespace plumbline::storage {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;          // bytes as a GET returns them (plaintext size)
  std::string etag;           // without quotes: md5 hex, or md5-of-md5s "-N"
  int64_t mtime_ms = 0;
  std::string content_type;   // "" when none was given
  std::vector<std::pair<std::string, std::string>> metadata;  // x-amz-meta-* (names lower case, without the prefix)
  // Server-side encryption: "" or "aws:kms" with the key's ARN. The file
  // then holds the envelope (crypto/envelope.hpp), stored_size bytes.
  std::string sse;
  std::string sse_kms_key_id;
  uint64_t stored_size = 0;
};

struct BucketInfo {
  std::string name;
  int64_t created_ms = 0;
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  std::string start_after;   // keys (and common prefixes) <= this are skipped
  size_t max_keys = 1000;
};

struct ListResult {
  // Objects and common prefixes in S3's order (UTF-8 byte order of keys).
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;  // the last key or common prefix returned (next marker)
};

// Writes one object (or part): bytes go to a temporary file; Commit fsyncs
// it, stores the metadata, renames it into place and syncs the folder.
// Dropped uncommitted: the temporary file is removed.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual uint64_t written() const = 0;
  // Makes what was appended so far durable (fsync) ahead of Commit, which
  // then has only what came after to sync: a caller that still has work to
  // do before it knows the metadata (hashing the tail) overlaps the two.
  virtual Status Sync() = 0;
  // `info.etag`, size etc. are the caller's (it hashed what it wrote).
  virtual Status Commit(const ObjectInfo& info) = 0;
};

struct UploadInfo {
  std::string upload_id;
  std::string bucket;
  std::string key;
  int64_t initiated_ms = 0;
  ObjectInfo meta;  // content type, metadata, encryption of the object to be
};

struct PartInfo {
  int number = 0;
  uint64_t size = 0;
  std::string etag;
  int64_t mtime_ms = 0;
  bool in_place = false;  // in the upload's data file at `offset`, else a file of its own
  uint64_t offset = 0;
};

class LocalBuckets {
 public:
  explicit LocalBuckets(std::string data_dir);

  // S3's bucket naming rules (3-63 of a-z 0-9 . -, starting and ending
  // with a letter or digit, not an IP address).
  static bool ValidBucketName(std::string_view name);
  // OK, or kInvalidArgument naming what the filesystem cannot hold.
  static Status CheckKey(std::string_view key);

  // Buckets by name (folders of DATA/buckets with valid names). kUnavailable.
  Result<std::vector<BucketInfo>> ListBuckets();
  // kAlreadyExists when the folder exists, kInvalidArgument for a bad name.
  Status CreateBucket(const std::string& name);
  Result<BucketInfo> HeadBucket(const std::string& name);  // kNotFound
  // kNotFound, kConflict when it holds objects.
  Status DeleteBucket(const std::string& name);
  // A bucket setting (e.g. "encryption"); "" when unset. kNotFound.
  Result<std::string> GetBucketSetting(const std::string& name, const std::string& setting);
  Status SetBucketSetting(const std::string& name, const std::string& setting,
                          const std::string& value);  // "" removes

  // kNotFound (no bucket / no object), kInvalidArgument (bad key).
  Result<ObjectInfo> Head(const std::string& bucket, const std::string& key);
  // The stored bytes from `offset` (Read returns 0 after them).
  Result<std::unique_ptr<Reader>> Open(const std::string& bucket, const std::string& key,
                                       uint64_t offset);
  // kNotFound (bucket), kInvalidArgument (key), kConflict (folder clash).
  Result<std::unique_ptr<ObjectWriter>> Create(const std::string& bucket, const std::string& key);
  // OK when absent too (S3's DeleteObject). Removes folders left empty.
  Status Delete(const std::string& bucket, const std::string& key);
  // kNotFound (bucket).
  Result<ListResult> List(const std::string& bucket, const ListOptions& options);

  // --- multipart uploads, staged under DATA/s3-staging/uploads/<id>/ ---
  Result<UploadInfo> CreateUpload(const std::string& bucket, const std::string& key,
                                  const ObjectInfo& meta);
  // kNotFound ("NoSuchUpload") when the id is unknown or for another key.
  Result<UploadInfo> GetUpload(const std::string& bucket, const std::string& key,
                               const std::string& upload_id);
  // A part's writer. `size`, the part's length when the request declares
  // it (0 when not), lets the part go straight to its place in the
  // object-to-be: the first such part of an upload fixes the stride, and a
  // later one no longer than it (and not being written already) goes to
  // (number - 1) x stride of the upload's data file, so that completing
  // parts 1..N that all lie in place (all of the stride but the last) only
  // renames that file. Any other part goes to a file of its own, and
  // completing copies. An SSE-KMS upload's parts always have files of their own.
  Result<std::unique_ptr<ObjectWriter>> CreatePart(const UploadInfo& upload, int number,
                                                   uint64_t size = 0);
  // The parts uploaded, by number (a part uploaded again: the last one).
  Result<std::vector<PartInfo>> ListParts(const UploadInfo& upload);
  // A listed part's stored bytes. kNotFound.
  Result<std::unique_ptr<Reader>> OpenPart(const UploadInfo& upload, const PartInfo& part);
  Result<std::vector<UploadInfo>> ListUploads(const std::string& bucket);
  // Joins `parts` (as ListParts gave them, in the object's order) into the
  // object and ends the upload; `info` is the object's metadata (etag
  // computed by the caller). (An encrypted upload's parts are envelopes of
  // their own: s3/ re-encrypts them into one object through Create, then
  // ends the upload with Abort.)
  Status CompleteUpload(const UploadInfo& upload, const std::vector<PartInfo>& parts,
                        const ObjectInfo& info);
  Status AbortUpload(const UploadInfo& upload);

  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string BucketDir(const std::string& bucket) const;
  // kNotFound, kInvalidArgument, kConflict: where an object `key` would lie.
  Result<std::string> TargetPath(const std::string& bucket, const std::string& key);
  std::string data_dir_;
  struct PartsInFlight;  // the (upload, part number)s being written in place
  std::shared_ptr<PartsInFlight> in_flight_;
};

}  // namespace plumbline::storage
