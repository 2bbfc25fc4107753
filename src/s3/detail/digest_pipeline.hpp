// Hashes an upload's bytes on a thread of its own, so that the MD5 of the
// ETag (and the SHA-256 of a signed payload, a checksum when one is sent)
// runs beside receiving and writing the body instead of in series with
// them: a large PutObject then costs about the slower of hashing and the
// disk, not their sum.
//
// Bytes are copied into a fixed set of buffers (kBuffers x kBufferBytes, the
// memory of one upload however large it is); Update blocks while every
// buffer is waiting to be hashed. A stream shorter than one buffer never
// starts the thread: Finish hashes it on the caller's thread.
//
// One instance per upload, used by one thread at a time (the connection's).
// The digests belong to the caller; between the first Update and Finish only
// the pipeline's thread touches them, after Finish only the caller.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "crypto/digest.hpp"

namespace plumbline::s3 {

class DigestPipeline {
 public:
  static constexpr size_t kBuffers = 4;
  static constexpr size_t kBufferBytes = 1u << 20;

  // Null entries are skipped.
  explicit DigestPipeline(std::vector<crypto::Digest*> digests);
  // Stops the thread (what it had not hashed yet is dropped).
  ~DigestPipeline();
  DigestPipeline(const DigestPipeline&) = delete;
  DigestPipeline& operator=(const DigestPipeline&) = delete;

  void Update(std::string_view bytes);
  // Returns once every byte given to Update has gone into every digest.
  void Finish();
  // Whether a thread was started (tests).
  bool threaded() const { return worker_.joinable() || finished_threaded_; }

 private:
  struct Buffer {
    std::unique_ptr<char[]> bytes;
    size_t size = 0;
  };
  void Hash(std::string_view bytes);
  void Run();
  void HandOver();  // the current buffer to the thread; takes a free one

  std::vector<crypto::Digest*> digests_;
  std::vector<Buffer> buffers_;
  size_t current_ = 0;
  std::mutex mu_;
  std::condition_variable work_cv_, free_cv_;
  std::deque<size_t> full_;   // buffer indexes waiting for the thread, in order
  std::deque<size_t> free_;   // buffer indexes the caller may fill
  bool done_ = false;         // no more buffers will come
  bool finished_threaded_ = false;
  std::thread worker_;
};

}  // namespace plumbline::s3
