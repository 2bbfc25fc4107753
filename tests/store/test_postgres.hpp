// The PostgreSQL server of the store tests: PLUMBLINE_TEST_PG names it (the
// ctest entries run the test under scripts/with-postgres.sh, which starts a
// throwaway server and sets it); each test works in a schema of its own.
#pragma once

#include <cstdlib>
#include <string>

#include "common/ids.hpp"
#include "store/store.hpp"

namespace plumbline::store::test_postgres {

// The server's URL, or "" when none is named (the test then skips).
inline std::string Server() {
  const char* pg = std::getenv("PLUMBLINE_TEST_PG");
  return pg == nullptr ? "" : pg;
}

// Options that open a new, empty schema `<prefix>_<random>` on `server`.
inline StoreOptions FreshSchema(const std::string& server, const std::string& prefix) {
  StoreOptions o;
  o.url = server + (server.find('?') == std::string::npos ? "?" : "&") + "schema=" + prefix +
          "_" + RandomHex(6);
  o.durable = false;
  return o;
}

}  // namespace plumbline::store::test_postgres
