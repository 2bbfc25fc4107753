// STS over the query protocol (api/sts_api.hpp): caller identity, session
// credentials that sign later requests, their expiry and tampering, and the
// form-body parser.
#include "api/sts_api.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.hpp"
#include "crypto/secretbox.hpp"
#include "crypto/sigv4.hpp"
#include "identity/identity.hpp"
#include "store/store.hpp"

namespace plumbline::api {
namespace {
namespace fs = std::filesystem;

constexpr char kAccount[] = "123456789012";
constexpr char kSecretsKey[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

struct Creds {
  std::string key, secret, token;
};

// The text of the first <name>...</name> in `xml`; "" when absent.
std::string Tag(const std::string& xml, const std::string& name) {
  size_t b = xml.find("<" + name + ">");
  if (b == std::string::npos) return "";
  b += name.size() + 2;
  size_t e = xml.find("</" + name + ">", b);
  return e == std::string::npos ? "" : xml.substr(b, e - b);
}

class StsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-sts-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "plumbline.db").string(), false}).value();
    identity_ = MakeIdentity(kSecretsKey);
    StsApiOptions o;
    o.min_duration_seconds = 900;
    sts_ = std::make_unique<StsApi>(*identity_, o);
    ASSERT_TRUE(store_->PutAccessKey({"AKIAROOT", "root-secret", 0, true}));
    for (const char* name : {"alice", "carol"}) {
      auto u = identity_->CreateUser({name, std::string(name) + "-password", {}, false}).value();
      ASSERT_TRUE(store_->PutAccessKey({std::string("AKIA") + name, std::string(name) + "-secret",
                                        u.id, false}));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<identity::Identity> MakeIdentity(const std::string& secrets_hex) {
    identity::IdentityOptions o;
    o.account_id = kAccount;
    o.session_box = crypto::SecretBox::FromHex(secrets_hex).value();
    return std::make_unique<identity::Identity>(*store_, clock_, o);
  }

  http::Request Signed(const std::string& body, const Creds& c,
                       const std::string& service = "sts") {
    http::Request r;
    r.method = "POST";
    r.target = "/";
    r.path = "/";
    r.body = body;
    std::vector<crypto::Header> headers = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Host", "127.0.0.1:9"}};
    crypto::SigningParams p;
    p.access_key_id = c.key;
    p.secret_access_key = c.secret;
    p.session_token = c.token;
    p.region = "us-east-1";
    p.service = service;
    p.time = clock_.Now();
    auto s = crypto::Sign({r.method, r.target, headers, r.body}, p);
    for (const auto& h : headers) r.headers.push_back({h.first, h.second});
    for (const auto& h : s.headers_to_add) r.headers.push_back({h.first, h.second});
    return r;
  }

  static Creds User(const std::string& name) {
    return {"AKIA" + name, name == "ROOT" ? "root-secret" : name + "-secret", ""};
  }

  // AssumeRole as `who`; the session's credentials.
  Creds Assume(const Creds& who, const std::string& role, const std::string& session,
               int duration = 900) {
    auto r = sts_->Handle(Signed("Action=AssumeRole&Version=2011-06-15&RoleArn=" + role +
                                     "&RoleSessionName=" + session +
                                     "&DurationSeconds=" + std::to_string(duration),
                                 who));
    EXPECT_EQ(r.status, 200) << r.body;
    return {Tag(r.body, "AccessKeyId"), Tag(r.body, "SecretAccessKey"), Tag(r.body, "SessionToken")};
  }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<identity::Identity> identity_;
  std::unique_ptr<StsApi> sts_;
  const std::string role_ = std::string("arn:aws:iam::") + kAccount + ":role/labeling";
};

TEST_F(StsApiTest, GetCallerIdentityNamesTheSigningPrincipal) {
  auto root = sts_->Handle(Signed("Action=GetCallerIdentity&Version=2011-06-15", User("ROOT")));
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_NE(root.body.find("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
            std::string::npos);
  EXPECT_EQ(Tag(root.body, "Arn"), std::string("arn:aws:iam::") + kAccount + ":root");
  EXPECT_EQ(Tag(root.body, "Account"), kAccount);
  EXPECT_EQ(Tag(root.body, "UserId"), kAccount);

  auto alice = sts_->Handle(Signed("Action=GetCallerIdentity&Version=2011-06-15", User("alice")));
  ASSERT_EQ(alice.status, 200) << alice.body;
  EXPECT_EQ(Tag(alice.body, "Arn"), std::string("arn:aws:iam::") + kAccount + ":user/alice");
  EXPECT_EQ(Tag(alice.body, "UserId").rfind("AIDA", 0), 0u);
  EXPECT_EQ(Tag(alice.body, "UserId").size(), 21u);

  // Signed for another service, unsigned, or with a wrong secret: refused.
  auto wrong_service = sts_->Handle(
      Signed("Action=GetCallerIdentity&Version=2011-06-15", User("alice"), "kms"));
  EXPECT_EQ(wrong_service.status, 403);
  auto bad_secret = sts_->Handle(
      Signed("Action=GetCallerIdentity&Version=2011-06-15", {"AKIAalice", "not-it", ""}));
  EXPECT_EQ(bad_secret.status, 403);
  EXPECT_EQ(Tag(bad_secret.body, "Code"), "SignatureDoesNotMatch");
  http::Request unsigned_req;
  unsigned_req.method = "POST";
  unsigned_req.target = unsigned_req.path = "/";
  unsigned_req.body = "Action=GetCallerIdentity";
  EXPECT_EQ(Tag(sts_->Handle(unsigned_req).body, "Code"), "MissingAuthenticationToken");
  auto unknown = sts_->Handle(Signed("Action=Frobnicate&Version=2011-06-15", User("alice")));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Tag(unknown.body, "Code"), "InvalidAction");
}

TEST_F(StsApiTest, AssumeRoleCredentialsSignLaterRequests) {
  Creds s = Assume(User("alice"), role_, "job-7");
  EXPECT_EQ(s.key.rfind("ASIA", 0), 0u);
  EXPECT_EQ(s.key.size(), 20u);
  EXPECT_FALSE(s.secret.empty());
  EXPECT_FALSE(s.token.empty());

  auto who = sts_->Handle(Signed("Action=GetCallerIdentity&Version=2011-06-15", s));
  ASSERT_EQ(who.status, 200) << who.body;
  const std::string session_arn = std::string("arn:aws:sts::") + kAccount + ":assumed-role/labeling/job-7";
  EXPECT_EQ(Tag(who.body, "Arn"), session_arn);
  EXPECT_EQ(Tag(who.body, "UserId").rfind("AROA", 0), 0u);
  EXPECT_NE(Tag(who.body, "UserId").find(":job-7"), std::string::npos);

  // The session acts as alice for other services too (the identity layer
  // verifies it for any service the request is signed for).
  http::Request kms = Signed("{}", s, "kms");
  std::vector<crypto::Header> headers;
  for (const auto& h : kms.headers) headers.emplace_back(h.name, h.value);
  crypto::VerifyOptions vo;
  vo.expected_service = "kms";
  auto p = identity_->Authenticate({kms.method, kms.target, headers, kms.body}, vo);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->arn, session_arn);
  EXPECT_EQ(p->base_arn, std::string("arn:aws:iam::") + kAccount + ":user/alice");
  EXPECT_EQ(p->role_arn, role_);
  ASSERT_TRUE(p->user);
  EXPECT_EQ(p->user->username, "alice");

  // Stateless: another replica sharing the secrets key accepts the token...
  auto replica = MakeIdentity(kSecretsKey);
  StsApi replica_sts(*replica);
  EXPECT_EQ(replica_sts.Handle(Signed("Action=GetCallerIdentity&Version=2011-06-15", s)).status, 200);
  // ...one with another secrets key does not.
  auto stranger = MakeIdentity(std::string(64, 'f'));
  StsApi stranger_sts(*stranger);
  auto refused = stranger_sts.Handle(Signed("Action=GetCallerIdentity&Version=2011-06-15", s));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(Tag(refused.body, "Code"), "InvalidClientTokenId");

  // GetSessionToken: the caller's own ARN; not from a session (as AWS).
  auto st = sts_->Handle(Signed("Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900",
                                User("alice")));
  ASSERT_EQ(st.status, 200) << st.body;
  Creds own{Tag(st.body, "AccessKeyId"), Tag(st.body, "SecretAccessKey"), Tag(st.body, "SessionToken")};
  EXPECT_EQ(Tag(sts_->Handle(Signed("Action=GetCallerIdentity", own)).body, "Arn"),
            std::string("arn:aws:iam::") + kAccount + ":user/alice");
  auto chained = sts_->Handle(Signed("Action=GetSessionToken&Version=2011-06-15", s));
  EXPECT_EQ(chained.status, 403);
  EXPECT_EQ(Tag(chained.body, "Code"), "AccessDenied");
}

TEST_F(StsApiTest, ExpiredTamperedOrMissingSessionTokensAreRefused) {
  Creds s = Assume(User("alice"), role_, "short", 900);
  const std::string body = "Action=GetCallerIdentity&Version=2011-06-15";
  ASSERT_EQ(sts_->Handle(Signed(body, s)).status, 200);

  // One character of the token changed, anywhere: refused. The change must
  // change the bytes: the token is hex, whose decoder takes 'A' for 'a', so
  // writing 'A' over an 'a' changed nothing and the test failed now and then.
  auto flip = [](char c) {
    static const std::string kDigits =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t v = kDigits.find(c);
    return v == std::string::npos ? (c == 'A' ? 'B' : 'A') : kDigits[v ^ 32];
  };
  for (size_t i : {size_t{0}, s.token.size() / 2, s.token.size() - 1}) {
    Creds bad = s;
    bad.token[i] = flip(bad.token[i]);
    auto r = sts_->Handle(Signed(body, bad));
    EXPECT_EQ(r.status, 403) << i;
    EXPECT_EQ(Tag(r.body, "Code"), "InvalidClientTokenId") << i;
  }
  // No token, or the token of another session key: refused.
  EXPECT_EQ(Tag(sts_->Handle(Signed(body, {s.key, s.secret, ""})).body, "Code"),
            "InvalidClientTokenId");
  Creds other = Assume(User("alice"), role_, "other", 900);
  EXPECT_EQ(Tag(sts_->Handle(Signed(body, {s.key, s.secret, other.token})).body, "Code"),
            "InvalidClientTokenId");
  // The session's secret is checked like any other.
  EXPECT_EQ(Tag(sts_->Handle(Signed(body, {s.key, other.secret, s.token})).body, "Code"),
            "SignatureDoesNotMatch");

  // Valid until the expiry, refused from then on.
  clock_.Advance(std::chrono::seconds(899));
  EXPECT_EQ(sts_->Handle(Signed(body, s)).status, 200);
  clock_.Advance(std::chrono::seconds(1));
  auto expired = sts_->Handle(Signed(body, s));
  EXPECT_EQ(expired.status, 403);
  EXPECT_EQ(Tag(expired.body, "Code"), "ExpiredToken");

  // A revoked long-term key takes its sessions with it.
  Creds fresh = Assume(User("alice"), role_, "fresh", 900);
  ASSERT_EQ(sts_->Handle(Signed(body, fresh)).status, 200);
  ASSERT_TRUE(identity_->RevokeAccessKey("AKIAalice"));
  EXPECT_EQ(sts_->Handle(Signed(body, fresh)).status, 403);
}

TEST_F(StsApiTest, AssumeRoleValidatesItsParameters) {
  auto call = [&](const std::string& params, const Creds& who) {
    return sts_->Handle(Signed("Action=AssumeRole&Version=2011-06-15&" + params, who));
  };
  auto foreign = call("RoleArn=arn:aws:iam::999999999999:role/x&RoleSessionName=s1", User("alice"));
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(Tag(foreign.body, "Code"), "AccessDenied");
  auto short_d = call("RoleArn=" + role_ + "&RoleSessionName=s1&DurationSeconds=899", User("alice"));
  EXPECT_EQ(Tag(short_d.body, "Code"), "ValidationError");
  EXPECT_NE(Tag(short_d.body, "Message").find("durationSeconds"), std::string::npos);
  auto long_d = call("RoleArn=" + role_ + "&RoleSessionName=s1&DurationSeconds=43201", User("alice"));
  EXPECT_EQ(Tag(long_d.body, "Code"), "ValidationError");
  auto bad_name = call("RoleArn=" + role_ + "&RoleSessionName=a%20b", User("alice"));
  EXPECT_EQ(Tag(bad_name.body, "Code"), "ValidationError");
  EXPECT_NE(Tag(bad_name.body, "Message").find("roleSessionName"), std::string::npos);
  // Role chaining is limited to one hour, as in AWS.
  Creds s = Assume(User("alice"), role_, "first");
  EXPECT_EQ(Tag(call("RoleArn=" + role_ + "&RoleSessionName=second&DurationSeconds=3601", s).body, "Code"),
            "ValidationError");
  EXPECT_EQ(call("RoleArn=" + role_ + "&RoleSessionName=second&DurationSeconds=3600", s).status, 200);
  // A disabled user makes no sessions.
  ASSERT_TRUE(identity_->SetDisabled("carol", true));
  auto carol = call("RoleArn=" + role_ + "&RoleSessionName=s1", User("carol"));
  EXPECT_EQ(carol.status, 403);
  EXPECT_EQ(Tag(carol.body, "Code"), "AccessDenied");
}

TEST(StsFormBodyTest, DecodesPairs) {
  auto p = ParseFormBody("Action=AssumeRole&RoleSessionName=a+b%2Fc&Empty=&Flag&Action=Second").value();
  EXPECT_EQ(p.at("Action"), "AssumeRole");  // the first of a repeated name
  EXPECT_EQ(p.at("RoleSessionName"), "a b/c");
  EXPECT_EQ(p.at("Empty"), "");
  EXPECT_EQ(p.at("Flag"), "");
  EXPECT_TRUE(ParseFormBody("").value().empty());
  EXPECT_TRUE(ParseFormBody("&&").value().empty());
  EXPECT_EQ(ParseFormBody("a=%4").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseFormBody("a=%zz").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseFormBody("=value").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseFormBody("a=%00").value().at("a"), std::string(1, '\0'));
}

}  // namespace
}  // namespace plumbline::api
