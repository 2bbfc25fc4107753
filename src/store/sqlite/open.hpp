// The SQLite store's entry point, for store/store.cpp's OpenStore only.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace plumbline::store::sqlite {

// Opens (and migrates) the database file at `path`. kUnavailable when it
// cannot be opened or its schema is newer than this program.
Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options);

// The schema of the database file at `path`, read without changing it (a
// missing file is an empty database).
Result<SchemaInfo> Inspect(const std::string& path);

}  // namespace plumbline::store::sqlite
