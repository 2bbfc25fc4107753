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

}  // namespace plumbline::store::postgresql
