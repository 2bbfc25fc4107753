// ObjectStore: where manifests, label configs, templates and outputs live.
//
// URIs: "s3://bucket/key", "file:///abs/path" and plain paths. The embedded
// implementation (OpenLocal) maps s3://BUCKET/KEY to DATA_DIR/buckets/BUCKET/KEY;
// an S3-compatible implementation comes later behind the same interface.
//
// Thread safety: an ObjectStore may be used from several threads at once.
// Readers and writers are used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace plumbline::storage {

// A sequential byte stream.
class Reader {
 public:
  virtual ~Reader() = default;
  // Reads up to n bytes into buf; returns 0 at the end. kUnavailable on I/O errors.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
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
};

// The embedded store rooted at data_dir (see the URI mapping above).
std::unique_ptr<ObjectStore> OpenLocal(const std::string& data_dir);

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
