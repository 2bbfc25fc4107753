#include "common/text.hpp"
#include "identity/detail/sign_in_throttle.hpp"

#include <algorithm>
#include <vector>

namespace plumbline::identity {
namespace {
std::string UserKey(const std::string& username) {
  return "u:" + AsciiLower(std::string_view(username).substr(0, 256));
}
std::string AddressKey(const std::string& address) { return "a:" + address; }
}  // namespace

SignInThrottle::SignInThrottle(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

int64_t SignInThrottle::Wait(const std::string& key, int64_t now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until_ms <= now) return 0;
  return (it->second.locked_until_ms - now + 999) / 1000;
}

int64_t SignInThrottle::RetryAfterSeconds(const std::string& username, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = ToEpochMs(clock_.Now());
  return std::max(Wait(UserKey(username), now), Wait(AddressKey(address), now));
}

void SignInThrottle::Fail(const std::string& key, int limit, int64_t now) {
  Entry& e = entries_[key];
  const int64_t window = options_.window.count() * 1000;
  const int64_t max_lockout = options_.max_lockout.count() * 1000;
  // A key quiet for longer than the longest lockout starts its backoff afresh.
  if (e.last_failure_ms && now - e.last_failure_ms > max_lockout) e.lockouts = 0;
  e.last_failure_ms = now;
  while (!e.failures_ms.empty() && e.failures_ms.front() <= now - window) e.failures_ms.pop_front();
  e.failures_ms.push_back(now);
  if (static_cast<int>(e.failures_ms.size()) >= limit) {
    int64_t lockout = options_.first_lockout.count() * 1000;
    for (int i = 0; i < e.lockouts && lockout < max_lockout; ++i) lockout *= 2;
    e.locked_until_ms = now + std::min(lockout, max_lockout);
    ++e.lockouts;
    e.failures_ms.clear();
  }
}

void SignInThrottle::RecordFailure(const std::string& username, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = ToEpochMs(clock_.Now());
  if (entries_.size() >= options_.max_tracked) Prune(now);
  Fail(UserKey(username), options_.max_failures_per_user, now);
  Fail(AddressKey(address), options_.max_failures_per_address, now);
}

void SignInThrottle::RecordSuccess(const std::string& username) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(UserKey(username));
}

void SignInThrottle::Prune(int64_t now) {
  const int64_t window = options_.window.count() * 1000;
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.locked_until_ms <= now && kv.second.last_failure_ms <= now - window;
  });
  // Still full (an attack from very many keys): forget the oldest half.
  if (entries_.size() >= options_.max_tracked) {
    std::vector<std::pair<int64_t, std::string>> by_age;
    for (const auto& [k, e] : entries_) by_age.emplace_back(e.last_failure_ms, k);
    std::sort(by_age.begin(), by_age.end());
    for (size_t i = 0; i < by_age.size() / 2; ++i) entries_.erase(by_age[i].second);
  }
}

}  // namespace plumbline::identity
