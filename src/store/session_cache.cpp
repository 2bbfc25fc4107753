#include "store/session_cache.hpp"

namespace plumbline::store {

Result<std::optional<SessionUser>> SessionCache::Find(const std::string& token, SessionCheck check,
                                                      const ReadVersion& read_version,
                                                      const ReadUncached& read_uncached) {
  using Out = std::optional<SessionUser>;
  if (check == SessionCheck::kCurrent) {
    PLB_ASSIGN_OR_RETURN(int64_t version, read_version());
    std::lock_guard<std::mutex> lock(mu_);
    if (version > version_) {
      entries_.clear();
      version_ = version;
    }
    // (A lookup that read an older version than the cache's is answered
    // from the database.)
    if (version == version_)
      if (auto it = entries_.find(token); it != entries_.end())
        return Out(SessionUser{it->second.first, it->second.second, version});
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = entries_.find(token); it != entries_.end())
      return Out(SessionUser{it->second.first, it->second.second, version_});
  }
  int64_t read_at = 0;
  PLB_ASSIGN_OR_RETURN(auto found, read_uncached(token, &read_at));
  if (!found) return Out();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The read's snapshot is a committed state: entries older than it go.
    if (read_at > version_) {
      entries_.clear();
      version_ = read_at;
    }
    if (read_at == version_) {
      if (entries_.size() >= kMaxEntries) entries_.clear();
      entries_.emplace(token, *found);
    }
  }
  return Out(SessionUser{std::move(found->first), std::move(found->second), read_at});
}

}  // namespace plumbline::store
