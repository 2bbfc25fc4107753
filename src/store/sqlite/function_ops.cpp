// The SQLite store's registered functions (custom hooks):
// sql::SqlFunctions over this store's statements, compiled here.
#include "store/sql/sql_functions_impl.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store {
template class sql::SqlFunctions<sqlite::SqliteStore>;
}  // namespace plumbline::store
