// Hashes an upload's bytes on threads of their own, so that the MD5 of the
// ETag (and the SHA-256 of a signed payload, a checksum when one is sent)
// runs beside receiving and writing the body instead of in series with
// them: a large PutObject then costs about the slowest of them, not their
// sum. Each digest gets a thread (an unsigned upload's MD5 one, a signed
// upload's MD5 and SHA-256 two), and each thread hashes every buffer.
//
// The bytes sit in a ring of buffers (kBuffers x kBufferBytes, the memory of
// one upload however large it is; the buffers come from a small pool shared
// by uploads, so a new upload does not fault fresh pages in). A buffer is
// filled either by copying (Update) or in place: the caller receives the
// body straight into Room() and reports it with Filled, and is handed each
// full buffer to store (write to the file) while the threads hash it, so
// the bytes are never copied in user space. The caller blocks while every
// buffer is waiting to be hashed. A stream shorter than one buffer never
// starts a thread: Finish hashes it on the caller's thread.
//
// One instance per upload, filled by one thread at a time (the
// connection's), either by Update or in place, not both. The digests belong
// to the caller; between the first full buffer and Finish only the
// pipeline's threads touch them, after Finish only the caller.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "crypto/digest.hpp"

namespace plumbline::s3 {

class DigestPipeline {
 public:
  // Eight buffers rather than four: the body can then run up to 8 MiB ahead
  // of the MD5 (the slowest of the work), so the client is done sending, and
  // off the cores, sooner. Measured on the 2-core development machine, 64 MiB
  // uploads through curl alternated between the two sizes: 8% less time
  // (median of the pairs' ratios); 16 buffers, or 16 of 512 KiB, were no
  // better than 8.
  static constexpr size_t kBuffers = 8;
  static constexpr size_t kBufferBytes = 1u << 20;
  // Where a full buffer's bytes go besides the digests (in place only).
  using Store = std::function<Status(std::string_view)>;

  // Null entries are skipped.
  explicit DigestPipeline(std::vector<crypto::Digest*> digests);
  // Stops the threads (what they had not hashed yet is dropped).
  ~DigestPipeline();
  DigestPipeline(const DigestPipeline&) = delete;
  DigestPipeline& operator=(const DigestPipeline&) = delete;

  // Copies `bytes` in.
  void Update(std::string_view bytes);

  // In place: where the next bytes go (never empty).
  std::span<char> Room();
  // `n` bytes were put at the start of Room(). When that fills the buffer,
  // it goes to the threads and `store` gets its bytes, on this thread while
  // they hash them, before the next buffer is taken; its error is returned.
  Status Filled(size_t n, const Store& store);
  // After the last Filled: the last, partly filled buffer goes to the threads
  // and `store` the same way, so that what the caller does next (an fsync)
  // overlaps the hashing of the tail. Finish still has to be called.
  Status Flush(const Store& store);

  // Returns once every byte given has gone into every digest.
  void Finish();
  // Whether threads were started (tests).
  bool threaded() const { return !workers_.empty() || finished_threaded_; }

 private:
  struct Buffer {
    char* bytes = nullptr;
    size_t size = 0;
  };
  void Run(size_t digest);
  void HandOver();  // the current buffer to the threads (starts them)
  void TakeNext();  // waits until the next buffer of the ring is free
  Buffer& current() { return ring_[handed_ % kBuffers]; }

  std::vector<crypto::Digest*> digests_;
  std::vector<Buffer> ring_;  // the first buffer now, the others with the threads
  std::mutex mu_;
  std::condition_variable work_cv_, free_cv_;
  // Buffer number k lies in ring_[k % kBuffers]. handed_ buffers went to the
  // threads; the one being filled is number handed_. done_[d] is how many
  // digest d's thread has hashed; buffer k is free once every done_ > k.
  uint64_t handed_ = 0;
  std::vector<uint64_t> done_;
  bool closing_ = false;  // no more buffers will come
  bool stop_ = false;     // dropped: the threads end now
  bool flushed_ = false;  // Flush handed the last buffer over
  bool finished_threaded_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace plumbline::s3
