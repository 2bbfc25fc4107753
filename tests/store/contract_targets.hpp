// The Store implementations the contract suite runs against, and the
// fixture every contract test starts from. A contract test sees only
// store/store.hpp: it never opens a database itself.
//
// Targets: SQLite always, and SQLite through FaultInjectingStore with no
// fault configured (which proves the wrapper transparent). PostgreSQL joins
// when PLUMBLINE_TEST_PG names a server (see ContractTargets).
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "store/fault_injecting_store.hpp"
#include "store/store.hpp"

namespace plumbline::store::contract {

struct StoreTarget {
  std::string name;
  // The options that open a fresh, empty database for one test. `scratch`
  // is a new directory of the test's, removed after it.
  std::function<StoreOptions(const std::filesystem::path& scratch)> fresh;
  // Opens the store as the test uses it (e.g. inside a decorator).
  std::function<Result<std::unique_ptr<Store>>(const StoreOptions&)> open;
};

inline std::vector<StoreTarget> ContractTargets() {
  auto sqlite_file = [](const std::filesystem::path& scratch) {
    StoreOptions o;
    o.url = "sqlite:" + (scratch / "db.sqlite").string();
    o.durable = false;  // the contract does not depend on it; the tests run faster
    return o;
  };
  std::vector<StoreTarget> targets;
  targets.push_back({"Sqlite", sqlite_file, [](const StoreOptions& o) { return OpenStore(o); }});
  targets.push_back({"SqliteThroughFaultWrapper", sqlite_file,
                     [](const StoreOptions& o) -> Result<std::unique_ptr<Store>> {
                       PLB_ASSIGN_OR_RETURN(auto inner, OpenStore(o));
                       return std::unique_ptr<Store>(
                           std::make_unique<FaultInjectingStore>(std::move(inner)));
                     }});
  // The PostgreSQL store: with PLUMBLINE_TEST_PG=postgresql://... set (the
  // ctest fixture tests/store/run_with_postgres.sh starts a throwaway
  // server and sets it), every contract test also runs against that
  // server, each in an empty schema of its own named after `scratch`.
  if (const char* pg = std::getenv("PLUMBLINE_TEST_PG"); pg != nullptr && *pg != '\0') {
    std::string url = pg;
    targets.push_back({"Postgres",
                       [url](const std::filesystem::path& scratch) {
                         std::string schema;
                         for (char c : scratch.filename().string())
                           schema += std::isalnum(static_cast<unsigned char>(c))
                                         ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                                         : '_';
                         StoreOptions o;
                         o.url = url + (url.find('?') == std::string::npos ? "?" : "&") +
                                 "schema=" + schema;
                         return o;
                       },
                       [](const StoreOptions& o) { return OpenStore(o); }});
  }
  return targets;
}

inline std::string TargetName(const ::testing::TestParamInfo<StoreTarget>& info) {
  return info.param.name;
}

// A fresh store of the target for each test (store_), and Open for a second
// store on the same database (a reopen, or another process).
class ContractTest : public ::testing::TestWithParam<StoreTarget> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("plb-store-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    options_ = GetParam().fresh(dir_);
    auto opened = GetParam().open(options_);
    if (!opened && opened.error().code == ErrorCode::kInvalidArgument)
      GTEST_SKIP() << GetParam().name << ": " << opened.error().message;
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Store> Open(const StoreOptions& options) {
    return GetParam().open(options).value();
  }

  std::filesystem::path dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

// A toy sealer (reversible, prefixed, context-bound) standing in for
// crypto::SecretBox, so the store's contract is tested without libsodium.
inline SecretSealer ToySealer() {
  return SecretSealer{
      [](const std::string& plain, const std::string& ctx) -> Result<std::string> {
        std::string out = std::string("toy:").append(ctx).append(":");
        for (char c : plain) out += static_cast<char>(c ^ 0x20);
        return out;
      },
      [](const std::string& sealed, const std::string& ctx) -> Result<std::string> {
        const std::string prefix = std::string("toy:").append(ctx).append(":");
        if (sealed.rfind(prefix, 0) != 0) return InvalidArgument("wrong context");
        std::string out;
        for (char c : sealed.substr(prefix.size())) out += static_cast<char>(c ^ 0x20);
        return out;
      },
      [](const std::string& stored) { return stored.rfind("toy:", 0) == 0; }};
}

}  // namespace plumbline::store::contract
