#include "s3/detail/digest_pipeline.hpp"

#include <cstring>

#include "common/thread_name.hpp"

namespace plumbline::s3 {

DigestPipeline::DigestPipeline(std::vector<crypto::Digest*> digests) {
  for (crypto::Digest* d : digests)
    if (d) digests_.push_back(d);
  // The first buffer now; the others when the thread starts.
  buffers_.reserve(kBuffers);
  buffers_.push_back({std::make_unique<char[]>(kBufferBytes), 0});
}

DigestPipeline::~DigestPipeline() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    full_.clear();
    done_ = true;
  }
  work_cv_.notify_all();
  worker_.join();
}

void DigestPipeline::Hash(std::string_view bytes) {
  for (crypto::Digest* d : digests_) d->Update(bytes);
}

void DigestPipeline::Update(std::string_view bytes) {
  if (digests_.empty()) return;
  while (!bytes.empty()) {
    Buffer& b = buffers_[current_];
    size_t n = std::min(bytes.size(), kBufferBytes - b.size);
    std::memcpy(b.bytes.get() + b.size, bytes.data(), n);
    b.size += n;
    bytes.remove_prefix(n);
    if (b.size == kBufferBytes) HandOver();
  }
}

void DigestPipeline::HandOver() {
  if (!worker_.joinable()) {
    for (size_t i = 1; i < kBuffers; ++i) {
      buffers_.push_back({std::make_unique<char[]>(kBufferBytes), 0});
      free_.push_back(i);
    }
    worker_ = std::thread([this] {
      NameThisThread("plb-s3-digest");
      Run();
    });
  }
  std::unique_lock<std::mutex> lock(mu_);
  full_.push_back(current_);
  work_cv_.notify_one();
  free_cv_.wait(lock, [&] { return !free_.empty(); });
  current_ = free_.front();
  free_.pop_front();
}

void DigestPipeline::Run() {
  for (;;) {
    size_t index;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return !full_.empty() || done_; });
      if (full_.empty()) return;  // done, all hashed
      index = full_.front();
      full_.pop_front();
    }
    Buffer& b = buffers_[index];
    Hash(std::string_view(b.bytes.get(), b.size));
    b.size = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_.push_back(index);
    }
    free_cv_.notify_one();
  }
}

void DigestPipeline::Finish() {
  Buffer& last = buffers_[current_];
  if (!worker_.joinable()) {
    Hash(std::string_view(last.bytes.get(), last.size));
    last.size = 0;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last.size > 0) full_.push_back(current_);
    done_ = true;
  }
  work_cv_.notify_one();
  worker_.join();  // the thread empties full_ before it returns
  finished_threaded_ = true;
}

}  // namespace plumbline::s3
