// Store contract for issue #6: work team changes, account lifecycle, access
// key revocation, secrets sealed at rest, the audit log.
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/ids.hpp"

namespace plumbline::store {
namespace {
namespace fs = std::filesystem;

// A toy sealer (reversible, prefixed, context-bound) standing in for
// crypto::SecretBox, so the store's contract is tested without libsodium.
SecretSealer ToySealer() {
  return SecretSealer{
      [](const std::string& plain, const std::string& ctx) -> Result<std::string> {
        std::string out = "toy:" + ctx + ":";
        for (char c : plain) out += static_cast<char>(c ^ 0x20);
        return out;
      },
      [](const std::string& sealed, const std::string& ctx) -> Result<std::string> {
        std::string prefix = "toy:" + ctx + ":";
        if (sealed.rfind(prefix, 0) != 0) return InvalidArgument("wrong context");
        std::string out;
        for (char c : sealed.substr(prefix.size())) out += static_cast<char>(c ^ 0x20);
        return out;
      },
      [](const std::string& stored) { return stored.rfind("toy:", 0) == 0; }};
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AccessControlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-acl-" + RandomHex(6));
    fs::create_directories(dir_);
    db_ = (dir_ / "db.sqlite").string();
    store_ = OpenSqlite({db_, false}).value();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  User MakeUser(const std::string& name, std::vector<std::string> groups = {}) {
    User u;
    u.username = name;
    u.password_hash = "h";
    u.worker_key = RandomHex(8);
    u.sub = RandomUuid();
    u.groups = std::move(groups);
    return store_->CreateUser(u).value();
  }
  Workteam MakeTeam(const std::string& name, std::vector<std::string> groups) {
    Workteam t;
    t.name = name;
    t.arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/" + name;
    t.doc_json = "{}";
    t.groups = std::move(groups);
    t.created_ms = t.updated_ms = 1000;
    return store_->CreateWorkteam(t).value();
  }
  fs::path dir_;
  std::string db_;
  std::unique_ptr<Store> store_;
};

TEST_F(AccessControlStoreTest, UpdateWorkteamReplacesGroupsAndDocument) {
  MakeTeam("team", {"a", "b"});
  Workteam t;
  t.name = "TEAM";  // case-insensitive
  t.doc_json = R"({"Description":"new"})";
  t.groups = {"c"};
  t.updated_ms = 2000;
  Workteam out = store_->UpdateWorkteam(t).value();
  EXPECT_EQ(out.name, "team");
  EXPECT_EQ(out.groups, std::vector<std::string>{"c"});
  EXPECT_EQ(out.doc_json, R"({"Description":"new"})");
  EXPECT_EQ(out.updated_ms, 2000);
  EXPECT_EQ(out.created_ms, 1000);
  t.name = "nope";
  EXPECT_EQ(store_->UpdateWorkteam(t).error().code, ErrorCode::kNotFound);
}

TEST_F(AccessControlStoreTest, DeleteWorkteamRefusesWhileARunningJobUsesIt) {
  Workteam team = MakeTeam("team", {"a"});
  Job j;
  j.name = "job";
  j.arn = "arn:job";
  j.request_json = "{}";
  j.workteam_arn = team.arn;
  j.job_reference_code = "x";
  int64_t id = store_->CreateJob(j).value().id;
  EXPECT_EQ(store_->DeleteWorkteam("team").error().code, ErrorCode::kConflict);
  ASSERT_TRUE(store_->SetJobStatus(id, JobStatus::kStopped, "", 5));
  EXPECT_TRUE(store_->DeleteWorkteam("team"));
  EXPECT_EQ(store_->GetWorkteamByName("team").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->DeleteWorkteam("team").error().code, ErrorCode::kNotFound);
  // The name can be used again.
  MakeTeam("team", {"z"});
}

TEST_F(AccessControlStoreTest, DisablingAUserEndsTheirSessions) {
  User u = MakeUser("alice");
  User other = MakeUser("bob");
  ASSERT_TRUE(store_->PutSession({"s1", u.id, "c", 99}));
  ASSERT_TRUE(store_->PutSession({"s2", other.id, "c", 99}));
  ASSERT_TRUE(store_->SetUserDisabled(u.id, true));
  EXPECT_TRUE(store_->GetUser(u.id)->disabled);
  EXPECT_FALSE(store_->FindSessionUser("s1").value().has_value());
  EXPECT_TRUE(store_->FindSessionUser("s2").value().has_value());
  ASSERT_TRUE(store_->SetUserDisabled(u.id, false));
  EXPECT_FALSE(store_->GetUser(u.id)->disabled);
  EXPECT_EQ(store_->SetUserDisabled(999, true).error().code, ErrorCode::kNotFound);
}

TEST_F(AccessControlStoreTest, ResetPasswordEndsSessions) {
  User u = MakeUser("alice");
  ASSERT_TRUE(store_->PutSession({"s1", u.id, "c", 99}));
  ASSERT_TRUE(store_->SetUserPassword(u.id, "h2"));
  EXPECT_EQ(store_->GetUser(u.id)->password_hash, "h2");
  EXPECT_FALSE(store_->FindSessionUser("s1").value().has_value());
}

// FindSessionUser is cached; changes made here or through another store on
// the same database (another process: the `plumbline users` commands) reach
// it at once.
TEST_F(AccessControlStoreTest, CachedSessionsSeeChangesFromThisAndOtherProcesses) {
  User u = MakeUser("alice", {"a"});
  ASSERT_TRUE(store_->PutSession({"s1", u.id, "c", 99}));
  ASSERT_TRUE(store_->PutSession({"s2", u.id, "c", 99}));
  auto found = store_->FindSessionUser("s1").value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->second.groups, std::vector<std::string>{"a"});
  EXPECT_FALSE(store_->FindSessionUser("nope").value());
  ASSERT_TRUE(store_->SetUserGroups(u.id, {"b"}));  // this process
  EXPECT_EQ(store_->FindSessionUser("s1").value()->second.groups, std::vector<std::string>{"b"});
  ASSERT_TRUE(store_->DeleteSession("s2"));
  EXPECT_FALSE(store_->FindSessionUser("s2").value());

  auto other = OpenSqlite({db_, false}).value();  // another process
  ASSERT_TRUE(store_->FindSessionUser("s1").value());
  ASSERT_TRUE(other->SetUserGroups(u.id, {"c"}));
  EXPECT_EQ(store_->FindSessionUser("s1").value()->second.groups, std::vector<std::string>{"c"});
  ASSERT_TRUE(other->SetUserDisabled(u.id, true));
  EXPECT_FALSE(store_->FindSessionUser("s1").value());  // disabling ends the sessions
}

TEST_F(AccessControlStoreTest, RevokedKeysNoLongerAuthenticateButAreListed) {
  User u = MakeUser("alice");
  ASSERT_TRUE(store_->PutAccessKey({"AKIAROOT", "rootsecret", 0, true}));
  ASSERT_TRUE(store_->PutAccessKey({"AKIAALICE", "alicesecret", u.id, false}));
  ASSERT_TRUE(store_->FindAccessKey("AKIAALICE").value().has_value());
  ASSERT_TRUE(store_->RevokeAccessKey("AKIAALICE", 5000));
  EXPECT_FALSE(store_->FindAccessKey("AKIAALICE").value().has_value());
  EXPECT_TRUE(store_->RevokeAccessKey("AKIAALICE", 6000));  // idempotent
  EXPECT_EQ(store_->RevokeAccessKey("AKIANONE", 5000).error().code, ErrorCode::kNotFound);
  auto all = store_->ListAccessKeys(std::nullopt).value();
  ASSERT_EQ(all.size(), 2u);
  auto mine = store_->ListAccessKeys(u.id).value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_FALSE(mine[0].active);
  EXPECT_EQ(mine[0].revoked_ms, 5000);
  EXPECT_GT(mine[0].created_ms, 0);
}

TEST_F(AccessControlStoreTest, SecretsAreSealedAtRestAndLegacyRowsMigrate) {
  // A database made before encryption at rest: the secret is in plaintext.
  const std::string secret = "LegacyPlaintextSecretValue1234567890abcd";
  ASSERT_TRUE(store_->PutAccessKey({"AKIALEGACY", secret, 0, true}));
  store_.reset();
  // The plaintext really is on disk before the migration.
  EXPECT_TRUE(ReadAll(db_).find(secret) != std::string::npos ||
              ReadAll(db_ + "-wal").find(secret) != std::string::npos);
  SqliteOptions o{db_, false, ToySealer()};
  store_ = OpenSqlite(o).value();
  EXPECT_EQ(store_->FindAccessKey("AKIALEGACY").value()->secret, secret);
  const std::string fresh = "FreshSecretValueThatMustNeverBeOnDisk0001";
  ASSERT_TRUE(store_->PutAccessKey({"AKIAFRESH", fresh, 0, false}));
  EXPECT_EQ(store_->FindAccessKey("AKIAFRESH").value()->secret, fresh);
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string bytes = ReadAll(db_ + suffix);
    EXPECT_EQ(bytes.find(secret), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find(fresh), std::string::npos) << suffix;
  }
  // Opened with the sealer again: still readable; without it the store
  // hands out the sealed text, which never verifies a signature.
  store_ = OpenSqlite(o).value();
  EXPECT_EQ(store_->FindAccessKey("AKIAFRESH").value()->secret, fresh);
}

TEST_F(AccessControlStoreTest, AuditLogKeepsEntriesInOrderAndFilters) {
  for (int i = 0; i < 5; ++i) {
    AuditEntry e;
    e.time_ms = 1000 * (i + 1);
    e.actor = "root";
    e.action = "sagemaker:CreateWorkteam";
    e.target = "t" + std::to_string(i);
    e.source = "127.0.0.1";
    e.outcome = "ok";
    ASSERT_TRUE(store_->AppendAudit(e));
  }
  auto all = store_->ListAudit(0, 100).value();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].target, "t0");
  EXPECT_EQ(all[4].target, "t4");
  auto since = store_->ListAudit(3000, 100).value();
  ASSERT_EQ(since.size(), 3u);
  EXPECT_EQ(since[0].target, "t2");
  auto newest = store_->ListAudit(0, 2).value();
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].target, "t3");
  EXPECT_EQ(newest[1].target, "t4");
}

}  // namespace
}  // namespace plumbline::store
