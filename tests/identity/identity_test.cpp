#include "identity/identity.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.hpp"
#include "crypto/sigv4.hpp"

namespace plumbline::identity {
namespace {
namespace fs = std::filesystem;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-identity-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "plumbline.db").string(), false}).value();
    IdentityOptions o;
    o.account_id = "123456789012";
    o.session_ttl_seconds = 60;
    id_ = std::make_unique<Identity>(*store_, clock_, o);
  }
  void TearDown() override { fs::remove_all(dir_); }

  store::User Add(const std::string& name, bool admin = false) {
    return id_->CreateUser({name, name + "-password", {"g"}, admin}).value();
  }
  std::vector<store::AuditEntry> Audit() { return id_->ListAudit(0, 1000).value(); }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Identity> id_;
  const RequestSource from_{"10.0.0.1", "test-agent"};
};

TEST_F(IdentityTest, UsersAndGroups) {
  EXPECT_EQ(id_->CreateUser({"short", "1234567", {}, false}).error().code,
            ErrorCode::kInvalidArgument);
  auto alice = Add("alice", true);
  EXPECT_TRUE(alice.is_admin);
  EXPECT_EQ(alice.worker_key.size(), 16u);
  EXPECT_FALSE(alice.sub.empty());
  EXPECT_EQ(id_->CreateUser({"ALICE", "long-enough", {}, false}).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(id_->GetUser("nobody").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(id_->ChangeGroups("alice", GroupChange::kAdd, {"h", "g"}).value().groups,
            (std::vector<std::string>{"g", "h"}));
  EXPECT_EQ(id_->ChangeGroups("alice", GroupChange::kRemove, {"g"}).value().groups,
            (std::vector<std::string>{"h"}));
  EXPECT_EQ(id_->ChangeGroups("alice", GroupChange::kSet, {"x", "y"}).value().groups,
            (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(id_->GetUser("alice").value().groups, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(id_->SetDisabled("alice", true).value().disabled);
  EXPECT_EQ(id_->ListUsers().value().size(), 1u);
}

TEST_F(IdentityTest, SignInFindSessionAndSignOut) {
  Add("bob");
  auto in = id_->SignIn("bob", "bob-password", from_);
  ASSERT_TRUE(in.status) << in.status.error().message;
  ASSERT_TRUE(in.signed_in);
  const auto& session = in.signed_in->session;
  EXPECT_EQ(in.signed_in->user.username, "bob");
  EXPECT_TRUE(Identity::CsrfMatches(session, session.csrf_token));
  EXPECT_FALSE(Identity::CsrfMatches(session, session.csrf_token + "x"));
  EXPECT_FALSE(Identity::CsrfMatches(session, ""));

  auto found = id_->FindSession(session.token).value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user.username, "bob");
  EXPECT_FALSE(id_->FindSession("no-such-token").value());
  EXPECT_FALSE(id_->FindSession("").value());

  ASSERT_TRUE(id_->SignOut(*found, from_));
  EXPECT_FALSE(id_->FindSession(session.token).value());

  // Sessions end after session_ttl_seconds.
  auto again = id_->SignIn("bob", "bob-password", from_);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_FALSE(id_->FindSession(again.signed_in->session.token).value());

  std::vector<std::string> outcomes;
  for (const auto& e : Audit())
    if (e.action == "portal:login" || e.action == "portal:logout")
      outcomes.push_back(e.action + "/" + e.outcome + "/" + e.source + "/" + e.detail);
  EXPECT_EQ(outcomes, (std::vector<std::string>{"portal:login/ok/10.0.0.1/test-agent",
                                                "portal:logout/ok/10.0.0.1/test-agent",
                                                "portal:login/ok/10.0.0.1/test-agent"}));
}

TEST_F(IdentityTest, WrongPasswordsAreOneAnswerAndGetThrottled) {
  Add("carol");
  Add("dave");
  ASSERT_TRUE(id_->SetDisabled("dave", true));
  for (const char* who : {"carol", "dave", "nobody"}) {
    auto r = id_->SignIn(who, who == std::string("dave") ? "dave-password" : "wrong-password", from_);
    ASSERT_FALSE(r.status) << who;
    EXPECT_EQ(r.status.error().code, ErrorCode::kUnauthenticated) << who;
    EXPECT_EQ(r.status.error().message, "wrong username or password");
    EXPECT_EQ(r.retry_after_seconds, 0);
  }
  for (int i = 0; i < 4; ++i) (void)id_->SignIn("carol", "wrong-password", from_);
  auto throttled = id_->SignIn("carol", "carol-password", from_);  // right, but locked out
  EXPECT_EQ(throttled.status.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(throttled.retry_after_seconds, 60);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_TRUE(id_->SignIn("carol", "carol-password", from_).status);
  EXPECT_EQ(Audit().back().outcome, "ok");
}

TEST_F(IdentityTest, DisabledUsersSessionsAreRefused) {
  Add("erin");
  auto in = id_->SignIn("erin", "erin-password", from_);
  ASSERT_TRUE(in.status);
  // Disabling ends the sessions in the store; a session row that survived
  // (another process's cache) is still refused.
  store::Session kept = in.signed_in->session;
  ASSERT_TRUE(id_->SetDisabled("erin", true));
  ASSERT_TRUE(store_->PutSession(kept));
  auto found = id_->FindSession(kept.token);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(IdentityTest, AccessKeysAndTheRootKey) {
  auto created = id_->EnsureRootKey(std::nullopt).value();
  ASSERT_TRUE(created);
  EXPECT_FALSE(id_->EnsureRootKey(std::nullopt).value());  // kept, not shown again
  Add("frank");
  auto key = id_->CreateAccessKey("frank").value();
  EXPECT_EQ(key.access_key_id.rfind("AKIA", 0), 0u);
  EXPECT_EQ(key.secret.size(), 40u);
  EXPECT_EQ(id_->CreateAccessKey("nobody").error().code, ErrorCode::kNotFound);

  auto all = id_->ListAccessKeys(std::nullopt).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].username, "(root)");
  EXPECT_EQ(all[1].username, "frank");
  EXPECT_EQ(id_->ListAccessKeys("frank").value().size(), 1u);

  EXPECT_EQ(id_->RevokeAccessKey(created->access_key_id).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(id_->RevokeAccessKey(key.access_key_id));
  EXPECT_FALSE(id_->ListAccessKeys("frank").value()[0].key.active);
}

crypto::RequestView View(const std::vector<crypto::Header>& headers, const std::string& body) {
  return {"POST", "/", headers, body};
}

TEST_F(IdentityTest, AuthenticateNamesThePrincipal) {
  Add("grace", true);
  auto key = id_->CreateAccessKey("grace").value();
  std::string body = "{}";
  std::vector<crypto::Header> headers = {{"Host", "127.0.0.1:9"},
                                         {"X-Amz-Target", "SageMaker.ListWorkteams"}};
  crypto::SigningParams p;
  p.access_key_id = key.access_key_id;
  p.secret_access_key = key.secret;
  p.region = "eu-west-1";
  p.service = "sagemaker";
  p.time = clock_.Now();
  auto signed_req = crypto::Sign(View(headers, body), p);
  for (const auto& h : signed_req.headers_to_add) headers.push_back(h);

  crypto::VerifyOptions v;
  v.expected_service = "sagemaker";
  auto who = id_->Authenticate(View(headers, body), v);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_FALSE(who->is_root);
  EXPECT_EQ(who->arn, "arn:aws:iam::123456789012:user/grace");
  EXPECT_EQ(who->region, "eu-west-1");
  EXPECT_EQ(who->AuditActor(), "grace:" + key.access_key_id);

  ASSERT_TRUE(id_->RevokeAccessKey(key.access_key_id));
  auto revoked = id_->Authenticate(View(headers, body), v);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, "UnrecognizedClientException");
}

TEST_F(IdentityTest, AuthorizeSpeaksAwsAccessDenied) {
  Principal root{true, "AKIAROOT", std::nullopt, "arn:aws:iam::123456789012:root", ""};
  EXPECT_TRUE(Identity::Authorize(root, Role::kAdmin, "sagemaker:CreateWorkteam", "*"));
  Principal worker{false, "AKIAW", Add("henry"), "arn:aws:iam::123456789012:user/henry", ""};
  EXPECT_TRUE(Identity::Authorize(worker, Role::kWorker, "portal:claim", "*"));
  auto denied = Identity::Authorize(worker, Role::kAdmin, "sagemaker:CreateWorkteam",
                                    "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/t");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.error().message,
            "User: arn:aws:iam::123456789012:user/henry is not authorized to perform: "
            "sagemaker:CreateWorkteam on resource: "
            "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/t");
  Principal admin{false, "AKIAA", Add("ivy", true), "arn:aws:iam::123456789012:user/ivy", ""};
  EXPECT_TRUE(Identity::Authorize(admin, Role::kAdmin, "sagemaker:CreateWorkteam", "*"));
  admin.user->disabled = true;
  EXPECT_FALSE(Identity::Authorize(admin, Role::kAdmin, "sagemaker:CreateWorkteam", "*"));
  EXPECT_FALSE(Identity::Authorize(admin, Role::kWorker, "portal:claim", "*"));
}

TEST_F(IdentityTest, AnInvitationLinkWorksOnceBeforeItExpires) {
  EXPECT_EQ(id_->Invite({"", {}, false, "boss", 3600}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(id_->Invite({"n", {}, false, "boss", 60}).error().code, ErrorCode::kInvalidArgument);
  Add("taken");
  EXPECT_EQ(id_->Invite({"taken", {}, false, "boss", 3600}).error().code, ErrorCode::kAlreadyExists);
  auto issued = id_->Invite({"newcomer", {"g", "h"}, false, "boss", 3600}).value();
  EXPECT_EQ(issued.token.size(), 64u);
  // Only the token's hash is stored.
  EXPECT_NE(issued.invitation.token_hash, issued.token);
  for (const auto& inv : id_->ListInvitations().value()) EXPECT_NE(inv.token_hash, issued.token);
  EXPECT_EQ(id_->CheckInvitation(issued.token).value().username, "newcomer");

  // A forged or mistyped token names nothing.
  std::string forged = issued.token;
  forged[0] = forged[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(id_->CheckInvitation(forged).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(id_->AcceptInvitation(forged, "a-password", from_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(id_->AcceptInvitation(issued.token, "short", from_).error().code,
            ErrorCode::kInvalidArgument);

  auto in = id_->AcceptInvitation(issued.token, "newcomer-password", from_).value();
  EXPECT_EQ(in.user.username, "newcomer");
  EXPECT_EQ(in.user.groups, (std::vector<std::string>{"g", "h"}));
  EXPECT_FALSE(in.user.is_admin);
  EXPECT_EQ(id_->FindSession(in.session.token).value()->user.username, "newcomer");
  EXPECT_TRUE(id_->SignIn("newcomer", "newcomer-password", from_).status);

  // The second time: refused, saying it was used.
  auto again = id_->AcceptInvitation(issued.token, "other-password", from_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_NE(again.error().message.find("already used"), std::string::npos);
  EXPECT_NE(id_->CheckInvitation(issued.token).error().message.find("already used"),
            std::string::npos);
  EXPECT_FALSE(id_->SignIn("newcomer", "other-password", from_).status);

  // Expired: refused with the time it expired, and no user is made.
  auto late = id_->Invite({"late", {}, false, "boss", 300}).value();
  clock_.Advance(std::chrono::seconds(300));
  auto expired = id_->AcceptInvitation(late.token, "late-password", from_);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kConflict);
  EXPECT_NE(expired.error().message.find("expired on "), std::string::npos);
  EXPECT_EQ(id_->GetUser("late").error().code, ErrorCode::kNotFound);

  int accepted = 0, refused = 0;
  for (const auto& e : Audit()) {
    if (e.action != "portal:accept-invitation") continue;
    EXPECT_EQ(e.source, "10.0.0.1");
    (e.outcome == "ok" ? accepted : refused)++;
    EXPECT_EQ(e.detail.find(issued.token), std::string::npos);  // never the token
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(refused, 4);  // forged, short password, used, expired
}

TEST_F(IdentityTest, AuditEntriesGetTheTime) {
  store::AuditEntry e;
  e.actor = "cli:me";
  e.action = "users:add";
  id_->Audit(e);
  auto entries = Audit();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].time_ms, ToEpochMs(clock_.Now()));
}

}  // namespace
}  // namespace plumbline::identity
