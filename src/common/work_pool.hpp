#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plumbline {

// A fixed number of threads that run posted work in arrival order: for CPU-
// heavy steps (password hashing) that must neither hold a server's I/O
// threads nor run unbounded in parallel. The destructor runs what is still
// queued, then joins.
class WorkPool {
 public:
  WorkPool(int threads, std::string name);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Post(std::function<void()> work);

 private:
  void Loop();
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace plumbline
