// ObjectStore: where manifests, label configs, templates and outputs live.
//
// URIs: "s3://bucket/key", "file:///abs/path" and plain paths. The embedded
// implementation (OpenLocal) maps s3://BUCKET/KEY to DATA_DIR/buckets/BUCKET/KEY;
// OpenS3 talks to an S3-compatible server behind the same interface.
//
// Thread safety: an ObjectStore may be used from several threads at once.
// Readers and writers are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace plumbline::storage {

// A sequential byte stream.
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to n bytes into buf; returns 0 at the end. kUnavailable on I/O errors.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // The open file the bytes come from unchanged, positioned at the next
  // byte to read, or -1 when they do not come straight from one file
  // (decrypted, fetched over the network). Lets a server send them with
  // sendfile(2); the descriptor stays the reader's.
  virtual int FileDescriptor() const { return -1; }

  // What the reader knows of its object before any byte is read: its size
  // and a tag that changes whenever its bytes do (an HTTP entity tag,
  // without quotes). Empty when the reader cannot tell without reading
  // everything (decrypted objects).
  struct Version {
    uint64_t size = 0;
    std::string etag;
  };
  virtual std::optional<Version> Describe() const { return std::nullopt; }
  // Moves `n` bytes ahead without returning them (the start of a range); at
  // most to the end. The default reads and drops them.
  virtual Status Skip(uint64_t n);
};

// A streaming writer whose object appears atomically on Commit(): readers see
// either the old object or the whole new one, never a prefix. Dropping a
// writer without Commit() discards what was written.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual Status Append(std::string_view data) = 0;
  // Flushes to durable storage and publishes the object.
  virtual Status Commit() = 0;
};

class ObjectStore {
 public:
  ObjectStore() = default;
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;
  virtual ~ObjectStore() = default;

  // Opens the object for streaming. kNotFound names the URI when it does not
  // exist; kInvalidArgument for a URI this store cannot address.
  virtual Result<std::unique_ptr<Reader>> OpenRead(const std::string& uri) = 0;
  virtual Result<std::unique_ptr<Writer>> OpenWrite(const std::string& uri) = 0;

  // Whole-object helpers built on the streaming calls.
  Result<std::string> ReadAll(const std::string& uri, size_t max_bytes = 64u << 20);
  Status WriteAll(const std::string& uri, std::string_view data);
  // Writes several whole objects; durable when it returns, like as many
  // WriteAll calls. Stores that can make a batch durable at once (the local
  // one: one filesystem sync for the batch instead of two per file) override
  // it. On an error some of the objects may have been written.
  virtual Status WriteAllBatch(const std::vector<std::pair<std::string, std::string>>& objects);
};

// The embedded store rooted at data_dir (see the URI mapping above).
std::unique_ptr<ObjectStore> OpenLocal(const std::string& data_dir);

// --- S3-compatible storage (s3_store.cpp) ---
//
// Talks the S3 REST protocol over libcurl, every request signed with AWS
// Signature V4 (service "s3", payload hash in X-Amz-Content-Sha256). Reads
// stream with ranged GETs of `read_bytes` (pinned to the first response's
// ETag with If-Match, so a replaced object is noticed rather than mixed);
// writers send objects below `part_bytes` with one PUT on Commit() and larger
// ones as a multipart upload (parts of >= part_bytes, completed on Commit(),
// aborted when the writer is dropped). Connection errors, 5xx and 429 are
// retried `max_attempts` times with exponential backoff. Errors name the URI:
// kNotFound (404), kPermissionDenied (403), kInvalidArgument (other 4xx),
// kUnavailable (5xx or no connection after the retries).
struct S3Options {
  // "http://127.0.0.1:9000"; empty: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string region = "us-east-1";
  bool path_style = true;        // false: virtual-host style (bucket.host/key)
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;     // optional (X-Amz-Security-Token)
  size_t part_bytes = 8u << 20;  // >= 5 MiB (S3's minimum part size)
  size_t read_bytes = 4u << 20;  // bytes per ranged GET
  int max_attempts = 4;          // per request, including the first
  int backoff_ms = 100;          // first retry delay; doubles each time
  long timeout_seconds = 120;    // per request
  // URIs that are not s3:// (file://, paths) go here; nullptr: refused with
  // kInvalidArgument. Borrowed; must outlive the S3 store.
  ObjectStore* fallback = nullptr;
};

// Credentials and region from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN and AWS_REGION (or AWS_DEFAULT_REGION), else from the
// shared files (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, and
// AWS_CONFIG_FILE or ~/.aws/config; profile AWS_PROFILE or "default").
// kUnauthenticated when no credentials are found.
Result<S3Options> S3OptionsFromEnvironment(const std::string& endpoint);

// An S3-compatible store. Thread-safe like every ObjectStore; connections are
// pooled and reused.
std::unique_ptr<ObjectStore> OpenS3(const S3Options& options);

// Splits "s3://bucket/key" into bucket and key. False for other schemes or
// an empty bucket.
bool ParseS3Uri(std::string_view uri, std::string* bucket, std::string* key);
// Joins a prefix URI and a relative path with exactly one '/'.
std::string JoinUri(std::string_view prefix, std::string_view rest);

// Splits a stream into lines ("\n" or "\r\n"), numbering them from 1, with
// bounded memory: a line longer than max_line fails with kInvalidArgument.
class LineReader {
 public:
  explicit LineReader(std::unique_ptr<Reader> reader, size_t max_line = 1u << 20);
  // Sets *line to the next line (without its terminator) and returns true;
  // false at the end of the stream.
  Result<bool> Next(std::string_view* line);
  // Number of the line last returned (1-based).
  size_t line_number() const { return line_number_; }

 private:
  std::unique_ptr<Reader> reader_;
  size_t max_line_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  size_t line_number_ = 0;
};

}  // namespace plumbline::storage
