// The PostgreSQL store's registered functions (custom hooks):
// sql::SqlFunctions over this store's statements, compiled here.
#include "store/postgresql/pg_store.hpp"
#include "store/sql/sql_functions_impl.hpp"

namespace plumbline::store {
template class sql::SqlFunctions<postgresql::PgStore>;
}  // namespace plumbline::store
