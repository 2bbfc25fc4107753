// What a store tells its readers about committed changes: which kinds of
// thing changed (ChangeSet) and a feed (ChangeFeed) that counts them, wakes
// waiters and calls watchers. Every Store has one (Store::Feed): caches
// drop what a change may have made stale, and live views (the console's
// long polls) answer when what they show may have moved.
//
// Where the changes come from is the implementation's business: the SQLite
// store publishes its own commits; the PostgreSQL store publishes its own
// commits and what other processes sharing the database announce (LISTEN/
// NOTIFY), and everything at once when it may have missed an announcement.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace plumbline::store {

// A set of kinds of change, as bits.
using ChangeSet = uint32_t;
namespace changes {
inline constexpr ChangeSet kNone = 0;            // nothing watched (runner leases, the audit log)
inline constexpr ChangeSet kJobs = 1u << 0;      // a job's row: made, status, inputs, output
inline constexpr ChangeSet kWork = 1u << 1;      // objects, assignments, answers: a job's progress
inline constexpr ChangeSet kTeams = 1u << 2;     // work teams
inline constexpr ChangeSet kPeople = 1u << 3;    // users, groups, sessions, keys, invitations
inline constexpr ChangeSet kFunctions = 1u << 4;  // registered functions
inline constexpr ChangeSet kKeys = 1u << 5;      // KMS keys and aliases
inline constexpr ChangeSet kSettings = 1u << 6;  // the store's settings
inline constexpr int kKinds = 7;
inline constexpr ChangeSet kAll = (1u << kKinds) - 1;
}  // namespace changes

// Counts the changes published to it, per kind, and passes them on.
// Thread-safe.
class ChangeFeed {
 public:
  ChangeFeed() = default;
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Records a committed change touching `set` (nothing for an empty set):
  // the sequences of its kinds grow, waiters wake and the watchers of any of
  // its kinds are called, on the publishing thread.
  void Publish(ChangeSet set);

  // A number that grows with every publication touching any kind in `set`
  // (the sum of the kinds' counts). Never blocks.
  int64_t Sequence(ChangeSet set) const;

  // Returns Sequence(set) once it differs from `since`, or when `timeout`
  // has passed.
  int64_t WaitForChange(ChangeSet set, int64_t since, std::chrono::milliseconds timeout);

  // Calls `fn` with the published set after every publication touching any
  // kind in `set`. `fn` runs on the publishing thread (a store's writer or
  // listener) with the feed's lock held: it must return quickly and must not
  // call the store or this feed. Returns the id Unwatch takes.
  using WatchId = uint64_t;
  WatchId Watch(ChangeSet set, std::function<void(ChangeSet)> fn);
  // Stops calling the watcher; once this returns it is not running either.
  void Unwatch(WatchId id);

 private:
  struct Watcher {
    ChangeSet set = 0;
    std::function<void(ChangeSet)> fn;
  };
  std::atomic<int64_t> counts_[changes::kKinds] = {};
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<WatchId, Watcher> watchers_;
  WatchId next_id_ = 1;
};

// Watches a feed for as long as it lives (the watcher goes before what it
// touches: make it the last member of its owner).
class ChangeWatch {
 public:
  ChangeWatch() = default;
  ChangeWatch(ChangeFeed& feed, ChangeSet set, std::function<void(ChangeSet)> fn)
      : feed_(&feed), id_(feed.Watch(set, std::move(fn))) {}
  ~ChangeWatch() { Reset(); }
  ChangeWatch(const ChangeWatch&) = delete;
  ChangeWatch& operator=(const ChangeWatch&) = delete;
  ChangeWatch(ChangeWatch&& o) noexcept : feed_(o.feed_), id_(o.id_) { o.feed_ = nullptr; }
  ChangeWatch& operator=(ChangeWatch&& o) noexcept {
    if (this != &o) {
      Reset();
      feed_ = o.feed_;
      id_ = o.id_;
      o.feed_ = nullptr;
    }
    return *this;
  }
  void Reset() {
    if (feed_) feed_->Unwatch(id_);
    feed_ = nullptr;
  }

 private:
  ChangeFeed* feed_ = nullptr;
  ChangeFeed::WatchId id_ = 0;
};

}  // namespace plumbline::store
