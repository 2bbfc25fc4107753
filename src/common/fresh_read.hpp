#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

namespace plumbline {

// Reads a value that other processes change (a row's counter, say) for many
// threads at once with as few reads as it can, without ever answering from a
// read older than the call: a caller is answered by a read that started
// after it called, and one read answers every caller that was waiting when it
// started. So a change committed before the call is always seen, while under
// load the reads run back to back, each answering the callers that arrived
// during the one before (as a group commit does for writes).
//
// A call that finds no read running makes one itself, on its own thread; one
// that finds a read running waits for it to end, then for the next, which the
// first waiter to wake makes. `Read` is a callable returning V (a Result, so a
// failed read answers its waiters with the same error). Thread-safe.
template <class V, class Read>
class FreshRead {
 public:
  explicit FreshRead(Read read) : read_(std::move(read)) {}
  FreshRead(const FreshRead&) = delete;
  FreshRead& operator=(const FreshRead&) = delete;

  V Get() {
    std::unique_lock<std::mutex> lock(mu_);
    // Reads are numbered as they start; the one running (if any) started
    // before this call, so only a later one may answer it.
    const uint64_t needed = started_ + 1;
    for (;;) {
      if (finished_ >= needed) return *last_;
      if (!running_) break;
      ended_.wait(lock);
    }
    running_ = true;
    const uint64_t mine = ++started_;
    lock.unlock();
    std::optional<V> value;
    try {
      value.emplace(read_());
    } catch (...) {
      lock.lock();
      running_ = false;
      ended_.notify_all();  // a waiter makes the next read
      throw;
    }
    lock.lock();
    last_ = std::move(value);
    finished_ = mine;
    running_ = false;
    ended_.notify_all();
    return *last_;
  }

  // How many reads have ended with a value (tests compare it with the
  // calls made).
  uint64_t reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }

 private:
  Read read_;
  mutable std::mutex mu_;
  std::condition_variable ended_;
  uint64_t started_ = 0;   // reads begun
  uint64_t finished_ = 0;  // the newest read that ended (reads end in order: one runs at a time)
  bool running_ = false;
  std::optional<V> last_;  // what read `finished_` gave
};

}  // namespace plumbline
