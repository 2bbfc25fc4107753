// Store contract for issue #6: work team changes, account lifecycle, access
// key revocation, secrets sealed at rest, the audit log, the session cache
// and the identity version; run against every implementation (see
// contract_targets.hpp).
#include "store/store.hpp"

#include <gtest/gtest.h>

#include "common/await.hpp"
#include "common/ids.hpp"
#include "contract_targets.hpp"
#include "test_jobs.hpp"

namespace plumbline::store {
namespace {
using contract::ContractTest;
using contract::ToySealer;


class AccessControlStoreTest : public ContractTest {
 protected:
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
};

TEST_P(AccessControlStoreTest, UpdateWorkteamReplacesGroupsAndDocument) {
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

TEST_P(AccessControlStoreTest, DeleteWorkteamRefusesWhileARunningJobUsesIt) {
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

TEST_P(AccessControlStoreTest, DisablingAUserEndsTheirSessions) {
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

TEST_P(AccessControlStoreTest, ResetPasswordEndsSessions) {
  User u = MakeUser("alice");
  ASSERT_TRUE(store_->PutSession({"s1", u.id, "c", 99}));
  ASSERT_TRUE(store_->SetUserPassword(u.id, "h2"));
  EXPECT_EQ(store_->GetUser(u.id)->password_hash, "h2");
  EXPECT_FALSE(store_->FindSessionUser("s1").value().has_value());
}

// FindSessionUser is cached; changes made here or through another store on
// the same database (another process: the `plumbline users` commands) reach
// it at once.
TEST_P(AccessControlStoreTest, CachedSessionsSeeChangesFromThisAndOtherProcesses) {
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

  auto other = Open(options_);  // another process
  ASSERT_TRUE(store_->FindSessionUser("s1").value());
  ASSERT_TRUE(other->SetUserGroups(u.id, {"c"}));
  EXPECT_EQ(store_->FindSessionUser("s1").value()->second.groups, std::vector<std::string>{"c"});
  ASSERT_TRUE(other->SetUserDisabled(u.id, true));
  EXPECT_FALSE(store_->FindSessionUser("s1").value());  // disabling ends the sessions
}

TEST_P(AccessControlStoreTest, RevokedKeysNoLongerAuthenticateButAreListed) {
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

// Secrets go through the sealer on their way in and out; rows stored in
// plaintext before a sealer was configured are still read. (That the
// plaintext is gone from the files is the implementation's test, e.g.
// sqlite_store_test.cpp.)
TEST_P(AccessControlStoreTest, SealedSecretsReadBackAndLegacyRowsMigrate) {
  const std::string secret = "LegacyPlaintextSecretValue1234567890abcd";
  ASSERT_TRUE(store_->PutAccessKey({"AKIALEGACY", secret, 0, true}));
  store_.reset();
  StoreOptions sealed = options_;
  sealed.secret_sealer = ToySealer();
  store_ = Open(sealed);
  EXPECT_EQ(store_->FindAccessKey("AKIALEGACY").value()->secret, secret);
  const std::string fresh = "FreshSecretValueThatMustNeverBeOnDisk0001";
  ASSERT_TRUE(store_->PutAccessKey({"AKIAFRESH", fresh, 0, false}));
  EXPECT_EQ(store_->FindAccessKey("AKIAFRESH").value()->secret, fresh);
  store_.reset();
  // Opened without the sealer the store hands out the sealed text, which
  // never verifies a signature; with it again, the secret.
  store_ = Open(options_);
  EXPECT_NE(store_->FindAccessKey("AKIAFRESH").value()->secret, fresh);
  store_.reset();
  store_ = Open(sealed);
  EXPECT_EQ(store_->FindAccessKey("AKIAFRESH").value()->secret, fresh);
}

// Every change a cache of identities could hold grows the version, in the
// change's own transaction; a failed change does not; another store on the
// same database sees the same number.
TEST_P(AccessControlStoreTest, IdentityVersionGrowsWithEveryIdentityChange) {
  User u = MakeUser("alice", {"a"});
  auto other = Open(options_);
  int64_t v = store_->IdentityVersion().value();
  auto grew = [&](const char* what) {
    int64_t now = store_->IdentityVersion().value();
    EXPECT_GT(now, v) << what;
    EXPECT_EQ(other->IdentityVersion().value(), now) << what;
    v = now;
  };
  ASSERT_TRUE(store_->SetUserGroups(u.id, {"b"}));
  grew("groups");
  ASSERT_TRUE(store_->PutSession({"s1", u.id, "c", 99}));
  ASSERT_TRUE(store_->DeleteSession("s1"));
  grew("session ended");
  ASSERT_TRUE(other->SetUserPassword(u.id, "h2"));
  grew("password, from the other store");
  ASSERT_TRUE(store_->SetUserDisabled(u.id, true));
  grew("disabled");
  ASSERT_TRUE(store_->PutAccessKey({"AKIA1", "s", u.id, false}));
  grew("access key");
  ASSERT_TRUE(store_->RevokeAccessKey("AKIA1", 5));
  grew("revoked");
  ASSERT_FALSE(store_->SetUserDisabled(999, true));
  EXPECT_EQ(store_->IdentityVersion().value(), v);  // rolled back with the change
}

// A lookup for a worker write may answer from the cache without reading
// the current identity version, and then says which version its answer was
// read under; a current lookup never answers what a change replaced.
TEST_P(AccessControlStoreTest, ASessionForAWriteComesWithTheVersionItWasReadUnder) {
  User u = MakeUser("alice", {"a"});
  ASSERT_TRUE(store_->PutSession({"s1", u.id, "c", 99}));
  auto first = store_->FindSession("s1", SessionCheck::kCurrent).value();
  ASSERT_TRUE(first);
  const int64_t v1 = first->identity_version;
  EXPECT_EQ(v1, store_->IdentityVersion().value());

  auto other = Open(options_);  // another process
  ASSERT_TRUE(other->SetUserGroups(u.id, {"b"}));
  auto cached = store_->FindSession("s1", SessionCheck::kCheckedByTheWrite).value();
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->identity_version, v1);  // what the cache holds, and its version
  EXPECT_EQ(cached->user.groups, std::vector<std::string>{"a"});

  auto current = store_->FindSession("s1", SessionCheck::kCurrent).value();
  ASSERT_TRUE(current);
  EXPECT_GT(current->identity_version, v1);
  EXPECT_EQ(current->user.groups, std::vector<std::string>{"b"});
  auto after = store_->FindSession("s1", SessionCheck::kCheckedByTheWrite).value();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->identity_version, current->identity_version);
  EXPECT_EQ(after->user.groups, std::vector<std::string>{"b"});

  // Not cached yet: read with the version of the read's own snapshot.
  ASSERT_TRUE(other->PutSession({"s2", u.id, "c2", 99}));
  auto fresh = store_->FindSession("s2", SessionCheck::kCheckedByTheWrite).value();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->identity_version, store_->IdentityVersion().value());
  EXPECT_FALSE(store_->FindSession("nope", SessionCheck::kCheckedByTheWrite).value());
}

// A claim, a submit and a submit-and-claim authorised under an identity
// version that has moved since (a change here or in another process) are
// refused with IdentityChanged and change nothing; under the current
// version they go through.
TEST_P(AccessControlStoreTest, WorkerWritesAuthorisedUnderAnOlderIdentityVersionChangeNothing) {
  User u = MakeUser("alice", {"a"});
  const int64_t job = test_jobs::MakeReleasedJob(*store_, "j", 3);
  auto request = [&](int64_t now) {
    ClaimRequest r;
    r.job_id = job;
    r.user_id = u.id;
    r.now_ms = now;
    r.lease_ms = 60000;
    return r;
  };
  auto claim = [&](int64_t version, int64_t now) {
    return Await<Result<std::optional<Assignment>>>(
        [&](auto done) { store_->ClaimAsync(request(now), version, std::move(done)); });
  };
  auto submit = [&](int64_t task, int64_t version) {
    return Await<Result<SubmitOutcome>>([&](auto done) {
      store_->SubmitAsync(task, u.id, "{\"x\":1}", 1, 200, version, std::move(done));
    });
  };
  auto submit_and_claim = [&](int64_t task, int64_t version) {
    return Await<Result<Store::SubmittedAndClaimed>>([&](auto done) {
      store_->SubmitAndClaimAsync(task, u.id, "{\"x\":1}", 1, 300, request(300), version,
                                  std::move(done));
    });
  };
  auto leases = [&] {
    int64_t n = 0;
    for (int i = 0; i < 3; ++i) n += store_->GetObject(job, i).value().leases;
    return n;
  };
  auto answers = [&] {
    int64_t n = 0;
    for (int i = 0; i < 3; ++i) n += store_->GetObject(job, i).value().answers;
    return n;
  };
  const int64_t v1 = store_->IdentityVersion().value();
  auto task = claim(v1, 100);
  ASSERT_TRUE(task);
  ASSERT_TRUE(*task);
  EXPECT_EQ(leases(), 1);

  ASSERT_TRUE(store_->SetUserGroups(u.id, {"b"}));  // this process
  auto refused = submit((*task)->id, v1);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(IsIdentityChanged(refused.error())) << refused.error().message;
  auto both = submit_and_claim((*task)->id, v1);
  ASSERT_FALSE(both);
  EXPECT_TRUE(IsIdentityChanged(both.error())) << both.error().message;
  EXPECT_EQ(answers(), 0);
  EXPECT_EQ(leases(), 1);

  const int64_t v2 = store_->IdentityVersion().value();
  auto other = Open(options_);  // another process
  ASSERT_TRUE(other->SetUserGroups(u.id, {"c"}));
  auto stale_claim = claim(v2, 150);
  ASSERT_FALSE(stale_claim);
  EXPECT_TRUE(IsIdentityChanged(stale_claim.error())) << stale_claim.error().message;
  EXPECT_EQ(leases(), 1);
  EXPECT_EQ(store_->Stats().identity_refused, 3);

  // Under the current version: the answer is stored and the next task
  // handed out in the same transaction.
  const int64_t v3 = store_->IdentityVersion().value();
  auto ok = submit_and_claim((*task)->id, v3);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->first, SubmitOutcome::kAccepted);
  ASSERT_TRUE(ok->second);
  EXPECT_EQ(answers(), 1);
  EXPECT_EQ(leases(), 1);
  auto unchecked = submit(ok->second->id, 0);  // 0: not checked
  ASSERT_TRUE(unchecked);
  EXPECT_EQ(answers(), 2);
  EXPECT_EQ(store_->Stats().identity_refused, 3);
}

TEST_P(AccessControlStoreTest, AuditLogKeepsEntriesInOrderAndFilters) {
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

TEST_P(AccessControlStoreTest, AnInvitationMakesOneUserOnceBeforeItExpires) {
  MakeUser("taken");
  Invitation inv;
  inv.token_hash = "hash-1";
  inv.username = "Newcomer";
  inv.groups = {"labelers", "night shift"};
  inv.invited_by = "boss";
  inv.created_ms = 1000;
  inv.expires_ms = 5000;
  ASSERT_TRUE(store_->CreateInvitation(inv));
  // A second invitation with the same token, or for an existing user, is refused.
  EXPECT_EQ(store_->CreateInvitation(inv).error().code, ErrorCode::kAlreadyExists);
  Invitation for_taken = inv;
  for_taken.token_hash = "hash-2";
  for_taken.username = "TAKEN";
  EXPECT_EQ(store_->CreateInvitation(for_taken).error().code, ErrorCode::kAlreadyExists);
  Invitation got = store_->GetInvitation("hash-1").value();
  EXPECT_EQ(got.username, "Newcomer");
  EXPECT_EQ(got.groups, (std::vector<std::string>{"labelers", "night shift"}));
  EXPECT_EQ(got.invited_by, "boss");
  EXPECT_EQ(got.expires_ms, 5000);
  EXPECT_EQ(got.used_ms, 0);
  EXPECT_FALSE(got.is_admin);
  EXPECT_EQ(store_->GetInvitation("nope").error().code, ErrorCode::kNotFound);

  User u;
  u.password_hash = "new-hash";
  u.worker_key = RandomHex(8);
  u.sub = RandomUuid();
  u.username = "ignored";  // the invitation's username wins
  u.is_admin = true;       // and its role
  EXPECT_EQ(store_->AcceptInvitation("nope", u, 2000).error().code, ErrorCode::kNotFound);
  User made = store_->AcceptInvitation("hash-1", u, 2000).value();
  EXPECT_EQ(made.username, "Newcomer");
  EXPECT_FALSE(made.is_admin);
  EXPECT_GT(made.id, 0);
  User read = store_->GetUserByName("newcomer").value();
  EXPECT_EQ(read.id, made.id);
  EXPECT_EQ(read.password_hash, "new-hash");
  EXPECT_EQ(read.groups, (std::vector<std::string>{"labelers", "night shift"}));
  EXPECT_EQ(store_->GetInvitation("hash-1").value().used_ms, 2000);
  // Used once: refused the second time, and no second user.
  auto again = store_->AcceptInvitation("hash-1", u, 2100);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("already used"), std::string::npos);

  // Expired: refused from its expiry on, and nothing is made.
  Invitation late = inv;
  late.token_hash = "hash-3";
  late.username = "late";
  late.created_ms = 1100;
  ASSERT_TRUE(store_->CreateInvitation(late));
  auto expired = store_->AcceptInvitation("hash-3", u, 5000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kConflict);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  EXPECT_EQ(store_->GetUserByName("late").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetInvitation("hash-3").value().used_ms, 0);

  // The username taken after the invitation was made.
  Invitation raced = inv;
  raced.token_hash = "hash-4";
  raced.username = "raced";
  raced.created_ms = 900;
  ASSERT_TRUE(store_->CreateInvitation(raced));
  MakeUser("Raced");
  EXPECT_EQ(store_->AcceptInvitation("hash-4", u, 2000).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->GetInvitation("hash-4").value().used_ms, 0);

  auto all = store_->ListInvitations().value();
  ASSERT_EQ(all.size(), 3u);  // oldest first
  EXPECT_EQ(all[0].token_hash, "hash-4");
  EXPECT_EQ(all[1].token_hash, "hash-1");
  EXPECT_EQ(all[2].token_hash, "hash-3");
}

INSTANTIATE_TEST_SUITE_P(, AccessControlStoreTest,
                         ::testing::ValuesIn(contract::ContractTargets()), contract::TargetName);

}  // namespace
}  // namespace plumbline::store
