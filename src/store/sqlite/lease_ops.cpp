// The SQLite store: runner leases (see Store::AcquireLease).
#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store::sqlite {

Result<int64_t> SqliteStore::AcquireLease(const std::string& name, const std::string& holder,
                                          int64_t now_ms, int64_t ttl_ms) {
  if (name.empty()) return InvalidArgument("lease name must not be empty");
  if (holder.empty()) return InvalidArgument("lease holder must not be empty");
  if (ttl_ms <= 0) return InvalidArgument("lease ttl_ms must be positive");
  return Txn<int64_t>(changes::kNone, [&]() -> Result<int64_t> {
    // The row is taken when it is free, expired or already the holder's;
    // the epoch grows when the holder changes. (SET reads the old row.)
    Query q = Q(
        "INSERT INTO runner_leases(name,holder,expires_ms,epoch) VALUES(?,?,?,1) "
        "ON CONFLICT(name) DO UPDATE SET "
        "epoch=CASE WHEN runner_leases.holder=excluded.holder THEN runner_leases.epoch "
        "ELSE runner_leases.epoch+1 END, "
        "holder=excluded.holder, expires_ms=excluded.expires_ms "
        "WHERE runner_leases.holder=excluded.holder OR runner_leases.expires_ms<=? "
        "RETURNING epoch");
    q.Bind(1, name).Bind(2, holder).Bind(3, now_ms + ttl_ms).Bind(4, now_ms);
    if (!q.Step()) return int64_t{0};  // another holder's lease is live
    return q.Int(0);
  });
}

Status SqliteStore::ReleaseLease(const std::string& name, const std::string& holder) {
  return Txn<void>(changes::kNone, [&]() -> Status {
    Q("UPDATE runner_leases SET holder='', expires_ms=0 WHERE name=? AND holder=?")
        .Bind(1, name)
        .Bind(2, holder)
        .Step();
    return {};
  });
}

Status SqliteStore::CheckFence(const LeaseFence* fence) {
  if (!fence) return {};
  // One writer at a time: no takeover can come between this read and the
  // write it guards.
  Query q = Q("SELECT holder, epoch FROM runner_leases WHERE name=?");
  q.Bind(1, fence->name);
  if (!q.Step()) return LeaseLost(*fence, "", 0);
  std::string holder = q.Text(0);
  int64_t epoch = q.Int(1);
  if (holder != fence->holder || epoch != fence->epoch) return LeaseLost(*fence, holder, epoch);
  return {};
}

}  // namespace plumbline::store::sqlite
