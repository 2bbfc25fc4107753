// Key policies (kms/policy.hpp): parsing the AWS subset, refusing what it
// does not take by naming the element, and evaluation (an explicit Deny
// wins, an Allow naming the caller allows, the account's statement
// delegates); then the same rules applied by the KeyRing to its callers.
#include "kms/policy.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.hpp"
#include "common/wildcard.hpp"
#include "kms/kms.hpp"
#include "store/store.hpp"

namespace plumbline::kms {
namespace {
namespace fs = std::filesystem;

const std::string kAccount = "123456789012";
const std::string kRoot = "arn:aws:iam::123456789012:root";
const std::string kAlice = "arn:aws:iam::123456789012:user/alice";
const std::string kBob = "arn:aws:iam::123456789012:user/bob";

KeyPolicy Parse(const std::string& doc) {
  auto p = ParseKeyPolicy(doc, kAccount);
  EXPECT_TRUE(p) << doc << ": " << (p ? "" : p.error().message);
  return p ? *p : KeyPolicy{};
}

PolicyDecision Eval(const KeyPolicy& p, const std::string& who, const std::string& action) {
  return Evaluate(p, {who}, action, kRoot);
}

TEST(KeyPolicyTest, DefaultPolicyAllowsTheKeyUsersAndDelegatesTheRest) {
  KeyPolicy p = Parse(DefaultKeyPolicy(kAccount, {kAlice}));
  ASSERT_EQ(p.statements.size(), 2u);
  EXPECT_EQ(p.statements[0].sid, "Enable IAM User Permissions");
  EXPECT_EQ(Eval(p, kRoot, "kms:PutKeyPolicy"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:Decrypt"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:GenerateDataKeyWithoutPlaintext"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:ReEncryptFrom"), PolicyDecision::kAllow);
  // What the users' statement does not name falls to the account's.
  EXPECT_EQ(Eval(p, kAlice, "kms:PutKeyPolicy"), PolicyDecision::kAccountDelegated);
  EXPECT_EQ(Eval(p, kBob, "kms:Decrypt"), PolicyDecision::kAccountDelegated);
  // Without users only the account's statement is there.
  KeyPolicy bare = Parse(DefaultKeyPolicy(kAccount));
  ASSERT_EQ(bare.statements.size(), 1u);
  EXPECT_EQ(Eval(bare, kAlice, "kms:Decrypt"), PolicyDecision::kAccountDelegated);
}

TEST(KeyPolicyTest, AnExplicitDenyWinsOverEveryAllow) {
  KeyPolicy p = Parse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
    {"Effect":"Allow","Principal":{"AWS":")" + kAlice + R"("},"Action":"kms:Decrypt","Resource":"*"},
    {"Sid":"NoDecryptForAlice","Effect":"Deny","Principal":{"AWS":[")" + kAlice + R"("]},
     "Action":["kms:Decrypt","kms:ReEncrypt*"],"Resource":"*"}]})");
  EXPECT_EQ(Eval(p, kAlice, "kms:Decrypt"), PolicyDecision::kDeny);
  EXPECT_EQ(Eval(p, kAlice, "kms:ReEncryptTo"), PolicyDecision::kDeny);
  EXPECT_EQ(Eval(p, kAlice, "kms:Encrypt"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kBob, "kms:Decrypt"), PolicyDecision::kAllow);
  // Any of the caller's ARNs (a session's and its user's) can be denied.
  EXPECT_EQ(Evaluate(p, {"arn:aws:sts::123456789012:assumed-role/r/s", kAlice}, "kms:Decrypt", kRoot),
            PolicyDecision::kDeny);
  // A Deny naming the account (by id) covers everyone in it.
  KeyPolicy account_deny = Parse(R"({"Statement":[
    {"Effect":"Allow","Principal":{"AWS":")" + kBob + R"("},"Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}]})");
  EXPECT_EQ(Eval(account_deny, kBob, "kms:ScheduleKeyDeletion"), PolicyDecision::kDeny);
  EXPECT_EQ(Eval(account_deny, kRoot, "kms:ScheduleKeyDeletion"), PolicyDecision::kDeny);
  EXPECT_EQ(Eval(account_deny, kBob, "kms:Encrypt"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(account_deny, kAlice, "kms:Encrypt"), PolicyDecision::kNoMatch);
}

TEST(KeyPolicyTest, ActionsMatchWithWildcardsIgnoringCase) {
  KeyPolicy p = Parse(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":")" + kAlice +
                      R"("},"Action":["KMS:describe*","kms:Get?eyPolicy"],"Resource":"*"}})");
  EXPECT_EQ(Eval(p, kAlice, "kms:DescribeKey"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:GetKeyPolicy"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:GetKeyRotationStatus"), PolicyDecision::kNoMatch);
  EXPECT_EQ(Eval(p, kAlice, "kms:Decrypt"), PolicyDecision::kNoMatch);
  // Principals compare without case, as IAM ARNs do.
  EXPECT_EQ(Eval(p, "arn:aws:iam::123456789012:user/ALICE", "kms:DescribeKey"), PolicyDecision::kAllow);
  EXPECT_TRUE(WildcardMatch("kms:*", "kms:Decrypt", true));
  EXPECT_TRUE(WildcardMatch("*", "", true));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXbYbZc", true));
  EXPECT_FALSE(WildcardMatch("a*b*c", "aXbYbZ", true));
  EXPECT_FALSE(WildcardMatch("kms:?", "kms:", true));
  EXPECT_FALSE(WildcardMatch("kms:Decrypt", "kms:DecryptX", true));
  EXPECT_TRUE(WildcardMatch("*b", "*ab", true));  // a pattern's * is a wildcard even where the text has one
}

TEST(KeyPolicyTest, LegacyDocumentsReadAsTheirAwsEquivalent) {
  const std::string legacy = R"({"Version":"plumbline-1","AllowDecrypt":["alice"]})";
  KeyPolicy p = Parse(legacy);
  EXPECT_EQ(Eval(p, kRoot, "kms:DisableKey"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:Decrypt"), PolicyDecision::kAllow);
  EXPECT_EQ(Eval(p, kAlice, "kms:Encrypt"), PolicyDecision::kAccountDelegated);
  // GetKeyPolicy shows the AWS form, which evaluates the same way.
  KeyPolicy aws = Parse(AwsFormOf(legacy, kAccount));
  for (const auto& who : {kRoot, kAlice, kBob})
    for (const char* action : {"kms:Decrypt", "kms:Encrypt", "kms:DisableKey"})
      EXPECT_EQ(Eval(aws, who, action), Eval(p, who, action)) << who << " " << action;
  // A document already in AWS form is shown as it is.
  const std::string doc = DefaultKeyPolicy(kAccount, {kAlice});
  EXPECT_EQ(AwsFormOf(doc, kAccount), doc);
}

// Each malformed document is refused as MalformedPolicyDocumentException with
// a message naming what is wrong.
TEST(KeyPolicyTest, MalformedPoliciesAreRefusedNamingTheElement) {
  const std::string ok_statement =
      R"("Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"kms:*","Resource":"*")";
  struct Case {
    std::string document;
    std::string names;
  };
  const Case cases[] = {
      {"not json", "not a JSON object"},
      {"[]", "not a JSON object"},
      {R"({"Version":"2012-10-17"})", "Statement"},
      {R"({"Statement":[]})", "Statement"},
      {R"({"Statement":"x"})", "Statement"},
      {R"({"Version":"2020-01-01","Statement":{)" + ok_statement + "}}", "Version"},
      {R"({"Id":7,"Statement":{)" + ok_statement + "}}", "Id"},
      {R"({"Extra":1,"Statement":{)" + ok_statement + "}}", "Extra"},
      {R"({"Statement":[1]})", "statement must be an object"},
      {R"({"Statement":{"Sid":1,)" + ok_statement + "}}", "Sid"},
      {R"({"Statement":{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}})", "Effect"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"kms:*","Resource":"*"}})",
       "Principal"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*","Resource":"*"}})",
       "invalid principals"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"kms:*","Resource":"*"}})",
       "Principal.AWS"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}})",
       "Action s3:GetObject"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[7],"Resource":"*"}})", "Action"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"arn:aws:kms:x"}})",
       "Resource"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}})", "Resource"},
      {R"({"Statement":{)" + ok_statement + R"(,"Condition":{"Bool":{"aws:SecureTransport":"true"}}}})",
       "Condition"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}})",
       "NotAction"},
      {"{\"Statement\":{" + ok_statement + ",\"Sid\":\"" + std::string(33000, 'x') + "\"}}", "32768"},
  };
  for (const auto& c : cases) {
    auto p = ParseKeyPolicy(c.document, kAccount);
    ASSERT_FALSE(p) << c.document.substr(0, 200);
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(p.error().message.rfind("MalformedPolicyDocumentException: ", 0), 0u) << p.error().message;
    EXPECT_NE(p.error().message.find(c.names), std::string::npos)
        << c.document.substr(0, 200) << " -> " << p.error().message;
  }
}

// The ring applies the policy to its callers.
class KeyRingPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-keypolicy-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "plumbline.db").string(), false}).value();
    KeyRingOptions o;
    o.root_key_hex = std::string(64, 'c');
    o.account_id = kAccount;
    ring_ = KeyRing::Open(*store_, o, clock_).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Caller User(const std::string& name, bool admin = false) {
    return {false, name, "arn:aws:iam::123456789012:user/" + name, admin, {}};
  }

  fs::path dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<KeyRing> ring_;
  const Caller root_{true, "", kRoot, true, {}};
};

TEST_F(KeyRingPolicyTest, UsersAdminsAndRootAsThePolicySays) {
  auto k = ring_->CreateKey({"", "", {"alice"}}).value();
  auto sealed = ring_->Encrypt(User("alice"), k.key_id, "secret", {{"job", "1"}});
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(ring_->Decrypt(User("alice"), "", sealed->blob, {{"job", "1"}}).value().plaintext, "secret");
  // bob is not named: refused with AWS's message.
  auto bob = ring_->Decrypt(User("bob"), "", sealed->blob, {{"job", "1"}});
  ASSERT_FALSE(bob);
  EXPECT_EQ(bob.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(bob.error().message.find("User: " + kBob + " is not authorized to perform: kms:Decrypt on resource: " + k.arn),
            std::string::npos) << bob.error().message;
  // An admin manages the key through the account's statement but does not use its data.
  EXPECT_TRUE(ring_->Describe(User("bob", true), k.key_id));
  EXPECT_TRUE(ring_->GetKeyPolicy(User("bob", true), k.key_id));
  EXPECT_EQ(ring_->Decrypt(User("bob", true), "", sealed->blob, {{"job", "1"}}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(ring_->Decrypt(root_, "", sealed->blob, {{"job", "1"}}));

  // A Deny for alice wins over the statement letting her use the key.
  const std::string deny = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"AWS":")" + kRoot + R"("},"Action":"kms:*","Resource":"*"},
    {"Effect":"Allow","Principal":{"AWS":")" + kAlice + R"("},"Action":"kms:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":")" + kAlice + R"("},"Action":"kms:Decrypt","Resource":"*"}]})";
  ASSERT_TRUE(ring_->PutKeyPolicy(root_, k.key_id, deny));
  auto denied = ring_->Decrypt(User("alice"), "", sealed->blob, {{"job", "1"}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("explicit deny"), std::string::npos) << denied.error().message;
  EXPECT_TRUE(ring_->Encrypt(User("alice"), k.key_id, "more", {}));
  // The session of a denied user is denied too.
  Caller session{false, "alice", "arn:aws:sts::123456789012:assumed-role/r/s", false, {kAlice}};
  EXPECT_EQ(ring_->Decrypt(session, "", sealed->blob, {{"job", "1"}}).error().code,
            ErrorCode::kPermissionDenied);
  // describe-key's users follow the policy: alice may no longer decrypt.
  EXPECT_TRUE(ring_->DescribeKey(k.key_id)->allowed_users.empty());

  // A policy naming nobody for an action still lets root act (the owner
  // cannot be locked out), but nobody else.
  const std::string only_bob = R"({"Statement":{"Effect":"Allow","Principal":{"AWS":")" + kBob +
                               R"("},"Action":"kms:Encrypt","Resource":"*"}})";
  ASSERT_TRUE(ring_->PutKeyPolicy(root_, k.key_id, only_bob));
  EXPECT_TRUE(ring_->Encrypt(User("bob"), k.key_id, "x", {}));
  EXPECT_FALSE(ring_->Encrypt(User("alice"), k.key_id, "x", {}));
  EXPECT_FALSE(ring_->Describe(User("carol", true), k.key_id));
  EXPECT_TRUE(ring_->Describe(root_, k.key_id));
}

TEST_F(KeyRingPolicyTest, MalformedPoliciesAreRefusedAndNotStored) {
  auto k = ring_->CreateKey({}).value();
  const std::string before = ring_->GetKeyPolicy(root_, k.key_id).value();
  auto s = ring_->PutKeyPolicy(root_, k.key_id,
                               R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*",
                                   "Resource":"*","Condition":{}}})");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(SplitException(s.error().message).first, "MalformedPolicyDocumentException");
  EXPECT_NE(s.error().message.find("Condition"), std::string::npos) << s.error().message;
  EXPECT_EQ(ring_->GetKeyPolicy(root_, k.key_id).value(), before);
  // CreateKey refuses one as well.
  CreateKeyRequest r;
  r.policy = R"({"Statement":{"Effect":"Permit","Principal":"*","Action":"kms:*","Resource":"*"}})";
  auto created = ring_->CreateKey(r);
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message.find("Effect"), std::string::npos);
  // Only principals with kms:PutKeyPolicy may change it.
  EXPECT_EQ(ring_->PutKeyPolicy(User("alice"), k.key_id, DefaultKeyPolicy(kAccount)).error().code,
            ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace plumbline::kms
