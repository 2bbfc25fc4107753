// Opening a data dir: the folder, its SQLite database, the account id
// every ARN of this installation carries, and identity/ over the store. Shared by serve and the admin
// commands, which may run while the server does (SQLite WAL).
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

Result<OpenedDataDir> OpenDataDir(const std::string& dir);

}  // namespace plumbline::cli
