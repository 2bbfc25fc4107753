// What is particular to the SQLite store: opening by URL, migrations of
// older database files, and what lands in the files on disk. The behaviour
// every store shares is in the contract suite (store_contract_test.cpp).
#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/ids.hpp"
#include "contract_targets.hpp"

namespace plumbline::store {
namespace {
namespace fs = std::filesystem;
using contract::ToySealer;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-sqlite-" + RandomHex(6));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Runs SQL on the file directly, as an older version of plumbline left it.
  void Exec(const fs::path& db, const char* sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }
  fs::path dir_;
};

TEST_F(SqliteStoreTest, OpenStoreChoosesByUrl) {
  std::string path = (dir_ / "a.sqlite").string();
  ASSERT_TRUE(OpenStore({"sqlite:" + path, false}));
  EXPECT_TRUE(fs::exists(path));
  ASSERT_TRUE(OpenStore({path, false}));  // a plain path is SQLite too
  ASSERT_TRUE(OpenStore({"sqlite://" + path, false}));
  // PostgreSQL URLs go to the PostgreSQL store: a server that is not there
  // is unavailable (named without its password), a URL without `//` invalid.
  auto pg = OpenStore({"postgresql://user:secret@127.0.0.1:1/plumbline?connect_timeout=2", false});
  ASSERT_FALSE(pg);
  EXPECT_EQ(pg.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(pg.error().message.find("cannot connect to PostgreSQL at "
                                    "postgresql://user:***@127.0.0.1:1/plumbline?connect_timeout=2"),
            std::string::npos)
      << pg.error().message;
  auto bad_pg = OpenStore({"postgres:plumbline", false});
  ASSERT_FALSE(bad_pg);
  EXPECT_EQ(bad_pg.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_pg.error().message.find("postgres://"), std::string::npos) << bad_pg.error().message;
  auto unknown = OpenStore({"mysql://x/y", false});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("mysql"), std::string::npos) << unknown.error().message;
  EXPECT_EQ(OpenStore({"", false}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(OpenStore({"sqlite:", false}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(OpenStore({"sqlite:" + (dir_ / "no" / "such" / "dir.db").string(), false}).error().code,
            ErrorCode::kUnavailable);
}

// Session changes reach other processes through the database alone: no
// file beside it.
TEST_F(SqliteStoreTest, NoFileBesideTheDatabaseButItsOwn) {
  std::string db = (dir_ / "db.sqlite").string();
  auto store = OpenStore({"sqlite:" + db, false}).value();
  User u;
  u.username = "alice";
  u.password_hash = "h";
  u.worker_key = "k";
  u.sub = "s";
  int64_t id = store->CreateUser(u).value().id;
  ASSERT_TRUE(store->PutSession({"s1", id, "c", 99}));
  ASSERT_TRUE(store->FindSessionUser("s1").value());
  ASSERT_TRUE(store->SetUserGroups(id, {"g"}));
  ASSERT_TRUE(store->DeleteSession("s1"));
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "db.sqlite" || name == "db.sqlite-wal" || name == "db.sqlite-shm") << name;
  }
}

TEST_F(SqliteStoreTest, SecretsAreSealedOnDiskAndLegacyRowsMigrate) {
  std::string db = (dir_ / "db.sqlite").string();
  // A database made before encryption at rest: the secret is in plaintext.
  const std::string secret = "LegacyPlaintextSecretValue1234567890abcd";
  {
    auto store = OpenStore({"sqlite:" + db, false}).value();
    ASSERT_TRUE(store->PutAccessKey({"AKIALEGACY", secret, 0, true}));
  }
  // The plaintext really is on disk before the migration.
  EXPECT_TRUE(ReadAll(db).find(secret) != std::string::npos ||
              ReadAll(db + "-wal").find(secret) != std::string::npos);
  StoreOptions o{"sqlite:" + db, false, ToySealer()};
  const std::string fresh = "FreshSecretValueThatMustNeverBeOnDisk0001";
  {
    auto store = OpenStore(o).value();
    EXPECT_EQ(store->FindAccessKey("AKIALEGACY").value()->secret, secret);
    ASSERT_TRUE(store->PutAccessKey({"AKIAFRESH", fresh, 0, false}));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string bytes = ReadAll(db + suffix);
    EXPECT_EQ(bytes.find(secret), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find(fresh), std::string::npos) << suffix;
  }
}

// Migrations 5 and 6 on a version-4 file: the identity version starts, and
// the objects already there have no task input (pre-processing picks them
// up; claims without require_task_input hand them out as before).
TEST_F(SqliteStoreTest, MigrationsFiveAndSixAddTheIdentityVersionAndTaskInputs) {
  fs::path db = dir_ / "v4.sqlite";
  ASSERT_TRUE(OpenStore({"sqlite:" + db.string(), false, std::nullopt, 4}));
  Exec(db, R"sql(
    INSERT INTO jobs(id,name,arn,status,request,workteam_arn,job_reference_code,created_ms,
                     modified_ms,object_count,workers_per_object)
      VALUES(1,'old','arn:old','InProgress','{}','arn:team','x',5000,5000,2,1);
    INSERT INTO objects(job_id,idx,state,line,needed,released_ms) VALUES
      (1,0,0,'{"source":"0"}',1,5000),(1,1,0,'{"source":"1"}',1,5000);
  )sql");
  auto store = OpenStore({"sqlite:" + db.string(), false}).value();
  EXPECT_GT(store->IdentityVersion().value(), 0);
  auto todo = store->ObjectsToPreprocess(1, 10).value();
  ASSERT_EQ(todo.size(), 2u);
  EXPECT_EQ(todo[0].task_input_json, "");
  ClaimRequest r;
  r.job_id = 1;
  r.user_id = 7;
  r.now_ms = 6000;
  r.lease_ms = 1000;
  auto a = store->Claim(r).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_line, "{\"source\":\"0\"}");
}

// Migration 7 on a version-6 file (the latest before the KMS API): a key's
// alias moves to kms_aliases, and the key gets its manager, no deletion date
// and no tags.
TEST_F(SqliteStoreTest, MigrationSevenMovesKmsAliasesToTheirTable) {
  fs::path db = dir_ / "v6.sqlite";
  ASSERT_TRUE(OpenStore({"sqlite:" + db.string(), false, std::nullopt, 6}));
  Exec(db, R"sql(
    INSERT INTO kms_keys(key_id,arn,alias,description,wrapped_key,policy,enabled,created_ms,modified_ms)
      VALUES('k1','arn:aws:kms:us-east-1:123456789012:key/k1','alias/old','d','00',
             '{"Version":"plumbline-1","AllowDecrypt":["alice"]}',1,5000,6000),
            ('k2','arn:aws:kms:us-east-1:123456789012:key/k2',NULL,'','00','{}',0,7000,7000);
  )sql");
  auto store = OpenStore({"sqlite:" + db.string(), false}).value();
  auto k1 = store->GetKmsKeyByAlias("alias/old").value();
  EXPECT_EQ(k1.key_id, "k1");
  EXPECT_EQ(k1.alias, "alias/old");
  EXPECT_EQ(k1.policy_json, "{\"Version\":\"plumbline-1\",\"AllowDecrypt\":[\"alice\"]}");
  EXPECT_EQ(k1.key_manager, "CUSTOMER");
  EXPECT_EQ(k1.deletion_ms, 0);
  EXPECT_EQ(k1.tags_json, "[]");
  auto aliases = store->ListKmsAliases().value();
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].alias, "alias/old");
  EXPECT_EQ(aliases[0].key_id, "k1");
  EXPECT_EQ(aliases[0].created_ms, 5000);
  auto k2 = store->GetKmsKey("k2").value();
  EXPECT_EQ(k2.alias, "");
  EXPECT_FALSE(k2.enabled);
  // The moved alias is unique in its new home too.
  KmsAlias dup{"alias/old", "k2", 8000, 8000};
  EXPECT_EQ(store->CreateKmsAlias(dup).error().code, ErrorCode::kAlreadyExists);
}

// A job running when a version-3 database is migrated keeps its answers,
// leases and declines: each object learns the answers it needs and its
// declines, and the started objects plus the next MaxConcurrentTaskCount are
// released at the job's creation time.
TEST_F(SqliteStoreTest, MigrationFourCarriesARunningJobOver) {
  fs::path db = dir_ / "old.sqlite";
  ASSERT_TRUE(OpenStore({"sqlite:" + db.string(), false, std::nullopt, 3}));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  const char* setup = R"sql(
    INSERT INTO jobs(id,name,arn,status,request,workteam_arn,job_reference_code,created_ms,
                     modified_ms,object_count)
      VALUES(1,'old','arn:old','InProgress',
             '{"HumanTaskConfig":{"NumberOfHumanWorkersPerDataObject":2,"MaxConcurrentTaskCount":2}}',
             'arn:team','x',5000,5000,5);
    INSERT INTO objects(job_id,idx,state,line,answers,leases) VALUES
      (1,0,0,'{"source":"0"}',1,1),(1,1,0,'{"source":"1"}',0,0),(1,2,0,'{"source":"2"}',0,0),
      (1,3,0,'{"source":"3"}',0,0),(1,4,0,'{"source":"4"}',0,0),(1,5,0,'{"source":"5"}',0,0);
    INSERT INTO assignments(job_id,idx,user_id,state,accepted_ms,deadline_ms,submitted_ms,answer)
      VALUES(1,0,7,1,5000,9000,5100,'{}'),(1,0,8,0,5200,999999999,0,''),
            (1,1,9,3,5300,9000,0,'');
  )sql";
  ASSERT_EQ(sqlite3_exec(raw, setup, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
  sqlite3_close(raw);

  auto migrated = OpenStore({"sqlite:" + db.string(), false}).value();
  EXPECT_EQ(migrated->GetJob(1).value().workers_per_object, 2);
  // Released at 5000: objects 0 and 1 (started) and 2, 3 (the next two).
  // Object 0 still has a live lease, so it is not among the settleable ones.
  auto expired = migrated->ExpiredObjects(1, 5001, 10).value();
  EXPECT_EQ(expired, (std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {2, 0}, {3, 0}}));
  ClaimRequest r;
  r.job_id = 1;
  r.now_ms = 6000;
  r.lease_ms = 1000;
  r.user_id = 9;  // declined object 1
  auto a = migrated->Claim(r).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_index, 2);  // 0 has one answer + one lease = N; 1 was declined by 9
  r.user_id = 10;
  auto b = migrated->Claim(r).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 1);  // one decline, one place left; started objects first
  r.user_id = 11;
  auto c = migrated->Claim(r).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 2);  // 1 is full now; 2 has one lease and a place left
  r.user_id = 12;
  auto d = migrated->Claim(r).value();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->object_index, 3);  // the last released object; 4 and 5 are not released
  r.user_id = 13;
  EXPECT_EQ(migrated->Claim(r).value()->object_index, 3);
  r.user_id = 14;
  EXPECT_FALSE(migrated->Claim(r).value());
}

}  // namespace
}  // namespace plumbline::store
