// Opening a data dir: the folder, its database, the account id every ARN of
// this installation carries, and identity/ over the store. Shared by serve
// and the admin commands, which may run while the server does (SQLite WAL,
// or a PostgreSQL server).
//
// The database is the data dir's SQLite file (plumbline.db) unless a store
// URL is given, or set in the environment as PLUMBLINE_STORE (so that every
// admin command of an installation on PostgreSQL reaches the same database):
// see store::StoreOptions::url. The data dir still holds the secrets key
// that seals access-key secrets, and the embedded buckets.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "identity/identity.hpp"
#include "store/store.hpp"

namespace plumbline::cli {

struct OpenedDataDir {
  std::unique_ptr<store::Store> store;
  std::string account_id;  // 12 digits, chosen when the dir is created
  // People, sessions, access keys and the audit log over `store`.
  std::unique_ptr<identity::Identity> identity;
};

// `migrate` false: the store's schema must be current already (see
// store::StoreOptions::migrate and `plumbline migrate`).
Result<OpenedDataDir> OpenDataDir(const std::string& dir, const std::string& store_url = "",
                                  bool migrate = true);

// The store URL OpenDataDir uses: `store_url`, else $PLUMBLINE_STORE, else
// sqlite:DIR/plumbline.db.
std::string StoreUrlFor(const std::string& dir, const std::string& store_url);

}  // namespace plumbline::cli
