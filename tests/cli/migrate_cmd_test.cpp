// `plumbline migrate` as a function (src/cli/migrate_cmd.hpp), on an SQLite
// data dir, and on PostgreSQL when PLUMBLINE_TEST_PG names a server (the
// ctest cli_migrate_postgres starts one).
#include "cli/migrate_cmd.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "common/ids.hpp"
#include "store/store.hpp"

namespace plumbline::cli {
namespace {

namespace fs = std::filesystem;

class MigrateCmdTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb_migrate_" + RandomHex(6));
    o_.data_dir = (dir_ / "data").string();
    if (GetParam()) {
      const char* pg = std::getenv("PLUMBLINE_TEST_PG");
      if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "PLUMBLINE_TEST_PG is not set";
      std::string url = pg;
      std::string schema = dir_.filename().string();
      for (auto& c : schema) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      o_.store_url = url + (url.find('?') == std::string::npos ? "?" : "&") + "schema=" + schema;
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Run(MigrateOptions o, int expect_status) {
    std::ostringstream out;
    auto r = RunMigrate(o, out);
    EXPECT_TRUE(r) << r.error().message;
    if (r) EXPECT_EQ(*r, expect_status) << out.str();
    return out.str();
  }
  std::string Url() const { return o_.store_url.empty() ? "sqlite:" + o_.data_dir + "/plumbline.db" : o_.store_url; }

  fs::path dir_;
  MigrateOptions o_;
};

TEST_P(MigrateCmdTest, DryRunListsCheckFailsApplyAppliesOnce) {
  const int64_t latest = store::InspectSchema(Url()).value().latest;
  const std::string all = std::to_string(latest);
  MigrateOptions dry = o_;
  dry.dry_run = true;
  std::string listed = Run(dry, 0);
  EXPECT_NE(listed.find("schema version 0 of " + all + "; " + all + " migrations pending"),
            std::string::npos)
      << listed;
  EXPECT_NE(listed.find("  1  "), std::string::npos) << listed;
  EXPECT_NE(listed.find("  " + std::to_string(latest - 2) + "  runner leases"), std::string::npos)
      << listed;
  EXPECT_NE(listed.find("  " + std::to_string(latest - 1) + "  invitations"), std::string::npos)
      << listed;
  EXPECT_NE(listed.find("  " + all + "  job list orders"), std::string::npos) << listed;
  EXPECT_NE(listed.find("nothing applied"), std::string::npos) << listed;
  if (!GetParam()) EXPECT_FALSE(fs::exists(o_.data_dir)) << "a dry run created the data dir";
  EXPECT_EQ(store::InspectSchema(Url()).value().version, 0);

  MigrateOptions check = o_;
  check.check = true;
  Run(check, 1);

  std::string applied = Run(o_, 0);
  EXPECT_NE(applied.find("applied " + all + " migrations; schema version " + all + " of " + all),
            std::string::npos)
      << applied;
  EXPECT_EQ(store::InspectSchema(Url()).value().version, latest);
  EXPECT_NE(Run(check, 0).find("up to date"), std::string::npos);
  EXPECT_NE(Run(o_, 0).find("up to date"), std::string::npos);

  // A store that may not migrate opens the migrated database.
  store::StoreOptions no_migrate;
  no_migrate.url = Url();
  no_migrate.migrate = false;
  auto opened = store::OpenStore(no_migrate);
  EXPECT_TRUE(opened) << opened.error().message;
}

TEST_P(MigrateCmdTest, ListsOnlyWhatIsPendingPastThePresentVersion) {
  {
    if (!GetParam()) fs::create_directories(o_.data_dir);
    store::StoreOptions part;
    part.url = Url();
    part.schema_version = 2;
    ASSERT_TRUE(store::OpenStore(part));
  }
  MigrateOptions dry = o_;
  dry.dry_run = true;
  std::string listed = Run(dry, 0);
  EXPECT_NE(listed.find("schema version 2 of "), std::string::npos) << listed;
  EXPECT_EQ(listed.find("  2  "), std::string::npos) << listed;
  EXPECT_NE(listed.find("  3  "), std::string::npos) << listed;
  store::StoreOptions no_migrate;
  no_migrate.url = Url();
  no_migrate.migrate = false;
  auto refused = store::OpenStore(no_migrate);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("schema version 2"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(Run(o_, 0).find("schema version "), std::string::npos);
  EXPECT_TRUE(store::InspectSchema(Url()).value().pending.empty());
}

TEST_P(MigrateCmdTest, DryRunWithCheckAndBadUrlsAreRefused) {
  MigrateOptions both = o_;
  both.dry_run = both.check = true;
  std::ostringstream out;
  EXPECT_EQ(RunMigrate(both, out).error().code, ErrorCode::kInvalidArgument);
  MigrateOptions bad = o_;
  bad.store_url = "mysql://x";
  EXPECT_EQ(RunMigrate(bad, out).error().code, ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(, MigrateCmdTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "Postgres" : "Sqlite";
                         });

}  // namespace
}  // namespace plumbline::cli
