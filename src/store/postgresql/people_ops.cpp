// The PostgreSQL store's users, sessions, keys, teams, KMS keys, invitations
// and audit log: sql::SqlPeople over this store's statements (Dialect in
// pg_store.hpp), compiled here; and the identity version, read for many
// session lookups at once (identity_version_).
#include "store/postgresql/pg_store.hpp"
#include "store/sql/sql_people_impl.hpp"

namespace plumbline::store {
template class sql::SqlPeople<postgresql::PgStore>;
}  // namespace plumbline::store

namespace plumbline::store::postgresql {

Result<int64_t> PgStore::IdentityVersion() { return identity_version_.Get(); }

}  // namespace plumbline::store::postgresql
