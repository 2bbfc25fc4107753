// The change feed every store keeps (changes.hpp).
#include "store/changes.hpp"

namespace plumbline::store {

void ChangeFeed::Publish(ChangeSet set) {
  set &= changes::kAll;
  if (set == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < changes::kKinds; ++i)
    if (set & (1u << i)) counts_[i].fetch_add(1, std::memory_order_relaxed);
  for (auto& [id, w] : watchers_)
    if (w.set & set) w.fn(set);
  cv_.notify_all();
}

int64_t ChangeFeed::Sequence(ChangeSet set) const {
  int64_t sum = 0;
  for (int i = 0; i < changes::kKinds; ++i)
    if (set & (1u << i)) sum += counts_[i].load(std::memory_order_relaxed);
  return sum;
}

int64_t ChangeFeed::WaitForChange(ChangeSet set, int64_t since, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return Sequence(set) != since; });
  return Sequence(set);
}

ChangeFeed::WatchId ChangeFeed::Watch(ChangeSet set, std::function<void(ChangeSet)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  WatchId id = next_id_++;
  watchers_.emplace(id, Watcher{set, std::move(fn)});
  return id;
}

void ChangeFeed::Unwatch(WatchId id) {
  std::lock_guard<std::mutex> lock(mu_);
  watchers_.erase(id);
}

}  // namespace plumbline::store
