#include "s3/detail/digest_pipeline.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "common/thread_name.hpp"

namespace plumbline::s3 {
namespace {

// Buffers kept for the next uploads (a few uploads' worth): a fresh
// allocation of this size is a fresh mapping, and each of its pages is a
// page fault on first touch, which costs more than hashing the page does on
// a virtual machine. A new buffer is mapped with its pages populated at
// once: on the 2-core development machine (a virtual machine where each
// page fault is a trip to the hypervisor) touching 8 MiB of fresh memory
// page by page took 31-36 ms, populating it in the mmap 3.3-3.9 ms; the
// first upload a server receives used to pay the former while receiving.
class BufferPool {
 public:
  static constexpr size_t kKept = 2 * DigestPipeline::kBuffers;

  char* Take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!kept_.empty()) {
        char* b = kept_.back();
        kept_.pop_back();
        return b;
      }
    }
    void* b = ::mmap(nullptr, DigestPipeline::kBufferBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (b == MAP_FAILED) throw std::bad_alloc();
    return static_cast<char*>(b);
  }
  void Give(char* b) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (kept_.size() < kKept) {
        kept_.push_back(b);
        return;
      }
    }
    ::munmap(b, DigestPipeline::kBufferBytes);
  }

 private:
  std::mutex mu_;
  std::vector<char*> kept_;
};

BufferPool& Pool() {
  static BufferPool* pool = new BufferPool();  // lives as long as the process
  return *pool;
}

}  // namespace

DigestPipeline::DigestPipeline(std::vector<crypto::Digest*> digests) {
  for (crypto::Digest* d : digests)
    if (d) digests_.push_back(d);
  done_.assign(digests_.size(), 0);
  // The first buffer now; the others when the threads start.
  ring_.reserve(kBuffers);
  ring_.push_back({Pool().Take(), 0});
}

DigestPipeline::~DigestPipeline() {
  if (!workers_.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  for (Buffer& b : ring_) Pool().Give(b.bytes);
}

void DigestPipeline::Update(std::string_view bytes) {
  if (digests_.empty()) return;
  while (!bytes.empty()) {
    std::span<char> room = Room();
    size_t n = std::min(bytes.size(), room.size());
    std::memcpy(room.data(), bytes.data(), n);
    bytes.remove_prefix(n);
    (void)Filled(n, nullptr);
  }
}

std::span<char> DigestPipeline::Room() {
  Buffer& b = current();
  return {b.bytes + b.size, kBufferBytes - b.size};
}

Status DigestPipeline::Filled(size_t n, const Store& store) {
  Buffer& b = current();
  b.size += n;
  if (b.size < kBufferBytes) return {};
  if (digests_.empty()) {  // nothing to hash: the one buffer is reused
    Status s = store ? store(std::string_view(b.bytes, b.size)) : Status{};
    b.size = 0;
    return s;
  }
  HandOver();
  Status s = store ? store(std::string_view(b.bytes, b.size)) : Status{};
  TakeNext();
  return s;
}

Status DigestPipeline::Flush(const Store& store) {
  Buffer& b = current();
  if (b.size == 0) return {};
  if (workers_.empty()) return store ? store(std::string_view(b.bytes, b.size)) : Status{};
  HandOver();
  flushed_ = true;
  return store ? store(std::string_view(b.bytes, b.size)) : Status{};
}

void DigestPipeline::HandOver() {
  if (workers_.empty()) {
    while (ring_.size() < kBuffers) ring_.push_back({Pool().Take(), 0});
    for (size_t d = 0; d < digests_.size(); ++d)
      workers_.emplace_back([this, d] {
        NameThisThread("plb-s3-digest");
        Run(d);
      });
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++handed_;
  }
  work_cv_.notify_all();
}

void DigestPipeline::TakeNext() {
  std::unique_lock<std::mutex> lock(mu_);
  // Buffer number handed_ reuses the slot of number handed_ - kBuffers.
  free_cv_.wait(lock, [&] {
    return *std::min_element(done_.begin(), done_.end()) + kBuffers > handed_;
  });
  current().size = 0;
}

void DigestPipeline::Run(size_t digest) {
  for (;;) {
    uint64_t number;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || closing_ || done_[digest] < handed_; });
      if (stop_ || done_[digest] == handed_) return;  // dropped, or done and all hashed
      number = done_[digest];
    }
    const Buffer& b = ring_[number % kBuffers];
    digests_[digest]->Update(std::string_view(b.bytes, b.size));
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++done_[digest];
    }
    free_cv_.notify_one();
  }
}

void DigestPipeline::Finish() {
  if (workers_.empty()) {
    Buffer& last = current();
    for (crypto::Digest* d : digests_) d->Update(std::string_view(last.bytes, last.size));
    last.size = 0;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!flushed_ && current().size > 0) ++handed_;
    closing_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  finished_threaded_ = true;
}

}  // namespace plumbline::s3
