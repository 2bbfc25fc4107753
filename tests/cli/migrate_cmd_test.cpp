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
  // PostgreSQL has seven more: its claims and submits as server-side
  // functions, the same in fewer statements, a batch of them in one, the
  // objects' pick state, computed by the table and then set by writes, a
  // batch's submits in one statement, and its claims from a pool.
  const int64_t orders = GetParam() ? latest - 7 : latest;
  EXPECT_NE(listed.find("  " + std::to_string(orders - 2) + "  runner leases"), std::string::npos)
      << listed;
  EXPECT_NE(listed.find("  " + std::to_string(orders - 1) + "  invitations"), std::string::npos)
      << listed;
  EXPECT_NE(listed.find("  " + std::to_string(orders) + "  job list orders"), std::string::npos)
      << listed;
  if (GetParam()) {
    const char* const pg_only[] = {
        "claims and submits as server-side functions",
        "claims and submits in fewer statements",
        "a batch's claims and submits in one statement",
        "an object's pick state as a stored column",
        "the pick state set by each write",
        "a batch's submits as one statement",
        "a batch's claims from a pool",
    };
    for (int64_t k = 0; k < 7; ++k)
      EXPECT_NE(listed.find("  " + std::to_string(orders + 1 + k) + "  " + pg_only[k]),
                std::string::npos)
          << pg_only[k] << "\n"
          << listed;
  }
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

// --from: an SQLite installation copied into PostgreSQL, row for row, and
// usable there (ids carry on after the copied ones); a second copy into the
// same database is refused and changes nothing.
TEST_P(MigrateCmdTest, CopiesAnSqliteStoreIntoAnEmptyPostgresOne) {
  const std::string source = "sqlite:" + (dir_ / "source.db").string();
  const std::string tricky = "tab\there, newline\nthere, backslash \\N, \u00e9t\u00e9 \xf0\x9f\x99\x82";
  int64_t job_id = 0;
  fs::create_directories(dir_);
  {
    store::StoreOptions so;
    so.url = source;
    so.durable = false;
    auto st = store::OpenStore(so).value();
    ASSERT_TRUE(st->PutSetting("greeting", tricky));
    store::User u;
    u.username = "Ana";
    u.password_hash = "hash";
    u.worker_key = "0123456789abcdef";
    u.sub = "sub-1";
    u.groups = {"labelers"};
    ASSERT_TRUE(st->CreateUser(u));
    store::Job j;
    j.name = "copied-job";
    j.arn = "arn:aws:sagemaker:us-east-1:000000000000:labeling-job/copied-job";
    j.request_json = "{}";
    j.workteam_arn = "arn:team";
    j.job_reference_code = "ref";
    j.created_ms = j.modified_ms = 1000;
    j.workers_per_object = 3;
    j.status = store::JobStatus::kInProgress;
    auto created = st->CreateJob(j);
    ASSERT_TRUE(created) << created.error().message;
    job_id = created->id;
    std::vector<store::DataObject> objects(3);
    for (int i = 0; i < 3; ++i) {
      objects[i].index = i;
      objects[i].line = "{\"source\":\"" + std::to_string(i) + " " + tricky + "\"}";
    }
    ASSERT_TRUE(st->InsertObjects(job_id, objects, 2000));
    // Two objects released and the first started: PostgreSQL works out
    // their pick state (objects.pick, which SQLite lacks) from them.
    ASSERT_TRUE(st->ReleaseObjects(job_id, 2, 2000));
    store::ClaimRequest claim;
    claim.job_id = job_id;
    claim.user_id = st->GetUserByName("ana").value().id;
    claim.now_ms = 2000;
    claim.lease_ms = 600000;
    auto started = st->Claim(claim);
    ASSERT_TRUE(started && started->has_value());
    ASSERT_EQ((*started)->object_index, 0);
  }
  MigrateOptions copy = o_;
  copy.from_url = source;
  std::ostringstream out;
  auto r = RunMigrate(copy, out);
  if (!GetParam()) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("PostgreSQL"), std::string::npos) << r.error().message;
    return;
  }
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(out.str().find("  jobs: 1 row\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("  objects: 3 rows\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("  users: 1 row\n"), std::string::npos) << out.str();

  store::StoreOptions po;
  po.url = Url();
  auto pg = store::OpenStore(po).value();
  EXPECT_EQ(pg->GetSetting("greeting").value().value_or(""), tricky);
  auto ana = pg->GetUserByName("ana");
  ASSERT_TRUE(ana) << ana.error().message;
  EXPECT_EQ(ana->groups, std::vector<std::string>{"labelers"});
  auto job = pg->GetJobByName("copied-job");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job->id, job_id);
  EXPECT_EQ(job->object_count, 3);
  EXPECT_EQ(job->workers_per_object, 3);
  EXPECT_EQ(pg->GetObject(job_id, 2).value().line, "{\"source\":\"2 " + tricky + "\"}");
  // Other workers get the started object's two free places (N = 3) first,
  // then the released one nobody started.
  int64_t user = 100;
  for (int64_t want : {0, 0, 1}) {
    store::ClaimRequest claim;
    claim.job_id = job_id;
    claim.user_id = user++;
    claim.now_ms = 3000;
    claim.lease_ms = 600000;
    auto got = pg->Claim(claim);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->has_value() ? (*got)->object_index : int64_t{-1}, want) << "user " << claim.user_id;
  }
  // New rows get fresh ids after the copied ones.
  store::Job next;
  next.name = "after-the-copy";
  next.arn = "arn:aws:sagemaker:us-east-1:000000000000:labeling-job/after-the-copy";
  next.request_json = "{}";
  auto made = pg->CreateJob(next);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_GT(made->id, job_id);
  pg.reset();

  // The target holds rows now: a second copy is refused and adds nothing.
  std::ostringstream again;
  auto refused = RunMigrate(copy, again);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_NE(refused.error().message.find("already holds rows"), std::string::npos) << refused.error().message;
  pg = store::OpenStore(po).value();
  EXPECT_EQ(pg->ListJobs({}).value().size(), 2u);

  // A source that is not an SQLite store at its latest schema is refused.
  MigrateOptions missing = o_;
  missing.from_url = "sqlite:" + (dir_ / "nothing-here.db").string();
  EXPECT_EQ(RunMigrate(missing, again).error().code, ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(, MigrateCmdTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "Postgres" : "Sqlite";
                         });

}  // namespace
}  // namespace plumbline::cli
