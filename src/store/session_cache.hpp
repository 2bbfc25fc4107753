// The session cache both stores keep behind Store::FindSession. Private to
// store/.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/result.hpp"
#include "store/store.hpp"

namespace plumbline::store {

// The session cache both stores keep (Store::FindSession): entries read
// under one identity version, dropped when a lookup meets a newer one. A
// kCurrent lookup reads the current version first (`read_version`); a
// kCheckedByTheWrite one answers from the cache as it is, with the version
// its entries were read under. A miss reads the session, its user and the
// version in one snapshot (`read_uncached`). Thread-safe.
class SessionCache {
 public:
  using ReadVersion = std::function<Result<int64_t>()>;
  using ReadUncached = std::function<Result<std::optional<std::pair<Session, User>>>(
      const std::string& token, int64_t* version)>;
  Result<std::optional<SessionUser>> Find(const std::string& token, SessionCheck check,
                                          const ReadVersion& read_version,
                                          const ReadUncached& read_uncached);

 private:
  static constexpr size_t kMaxEntries = 100000;
  std::mutex mu_;
  int64_t version_ = -1;  // what every entry was read under
  std::unordered_map<std::string, std::pair<Session, User>> entries_;
};

}  // namespace plumbline::store
