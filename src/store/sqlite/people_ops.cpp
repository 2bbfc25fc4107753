// The SQLite store's users, sessions, keys, teams, KMS keys, invitations and
// audit log: sql::SqlPeople over this store's statements (Dialect in
// sqlite_store.hpp), compiled here; and the identity version, read by each
// lookup that needs it.
#include "store/sql/sql_people_impl.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store {
template class sql::SqlPeople<sqlite::SqliteStore>;
}  // namespace plumbline::store

namespace plumbline::store::sqlite {

Result<int64_t> SqliteStore::IdentityVersion() {
  return Read<int64_t>([&]() -> Result<int64_t> { return ReadIdentityVersion(); });
}

}  // namespace plumbline::store::sqlite
