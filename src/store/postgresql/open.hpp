// The PostgreSQL store's entry point, for store/store.cpp's OpenStore only.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace plumbline::store::postgresql {

// Connects to the server the libpq URI names (and migrates its schema).
// kUnavailable when it cannot connect or the schema is newer than this
// program.
Result<std::unique_ptr<Store>> Open(const std::string& url, const StoreOptions& options);

// The schema of the database the URI names, read without changing it.
Result<SchemaInfo> Inspect(const std::string& url);

// Copies the SQLite store at `sqlite_path` into the (migrated, empty)
// database the URI names; store.hpp's CopyStore says the rest.
Result<std::vector<TableCopied>> ImportSqlite(const std::string& sqlite_path, const std::string& url,
                                              const CopyProgress& progress);

}  // namespace plumbline::store::postgresql
