// Session policies: parsing (malformed documents name the field), matching
// and the rule that every document of a session must allow.
#include "identity/session_policy.hpp"

#include "common/wildcard.hpp"

#include <gtest/gtest.h>

namespace plumbline::identity {
namespace {

const char* kJobPolicy = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::in/*","arn:aws:s3:::out/jobs/a/*"]},
  {"Effect":"Allow","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::out/jobs/a/*"},
  {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::in/private/*"}]})";

TEST(SessionPolicy, AllowsWhatItNamesAndNothingElse) {
  auto p = SessionPolicy::Parse({kJobPolicy});
  ASSERT_TRUE(p) << p.error().message;
  using D = SessionPolicy::Decision;
  EXPECT_EQ((*p)->Evaluate("s3:GetObject", "arn:aws:s3:::in/data/1.txt"), D::kAllow);
  EXPECT_EQ((*p)->Evaluate("S3:getobject", "arn:aws:s3:::in/x"), D::kAllow);  // actions fold case
  EXPECT_EQ((*p)->Evaluate("s3:PutObject", "arn:aws:s3:::out/jobs/a/result.json"), D::kAllow);
  EXPECT_EQ((*p)->Evaluate("s3:PutObject", "arn:aws:s3:::out/jobs/b/result.json"), D::kNoAllow);
  EXPECT_EQ((*p)->Evaluate("s3:GetObject", "arn:aws:s3:::out/jobs/ab/x"), D::kNoAllow);
  EXPECT_EQ((*p)->Evaluate("s3:GetObject", "arn:aws:s3:::IN/x"), D::kNoAllow);  // resources do not
  EXPECT_EQ((*p)->Evaluate("s3:GetObject", "arn:aws:s3:::in/private/k"), D::kExplicitDeny);
  EXPECT_EQ((*p)->Evaluate("sagemaker:ListLabelingJobs", "*"), D::kNoAllow);
  auto denied = (*p)->Check("arn:aws:sts::1:assumed-role/r/s", "s3:DeleteObject", "arn:aws:s3:::in/x");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.error().message,
            "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: s3:DeleteObject "
            "on resource: arn:aws:s3:::in/x because no session policy allows the s3:DeleteObject "
            "action");
  auto explicit_deny = (*p)->Check("me", "s3:GetObject", "arn:aws:s3:::in/private/k");
  ASSERT_FALSE(explicit_deny);
  EXPECT_NE(explicit_deny.error().message.find("with an explicit deny in a session policy"),
            std::string::npos);
}

TEST(SessionPolicy, EveryDocumentMustAllow) {
  auto p = SessionPolicy::Parse(
      {kJobPolicy, R"({"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}})"});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ((*p)->Evaluate("s3:GetObject", "arn:aws:s3:::in/x"), SessionPolicy::Decision::kAllow);
  // The second allows no PutObject, so the pair does not either.
  EXPECT_EQ((*p)->Evaluate("s3:PutObject", "arn:aws:s3:::out/jobs/a/x"),
            SessionPolicy::Decision::kNoAllow);
  EXPECT_EQ((*p)->documents().size(), 2u);
}

TEST(SessionPolicy, MalformedDocumentsNameTheField) {
  auto msg = [](const std::string& doc) {
    auto p = SessionPolicy::Parse({doc});
    EXPECT_FALSE(p) << doc;
    return p ? std::string() : p.error().message;
  };
  EXPECT_NE(msg("not json").find("not JSON"), std::string::npos);
  EXPECT_NE(msg(R"({"Version":"2012-10-17"})").find("Statement is required"), std::string::npos);
  EXPECT_NE(msg(R"({"Statement":[{"Effect":"Allow","Resource":"*"}]})").find("Statement[0].Action"),
            std::string::npos);
  EXPECT_NE(msg(R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
                    {"Effect":"Maybe","Action":"s3:*","Resource":"*"}]})")
                .find("Statement[1].Effect"),
            std::string::npos);
  // Conditions would be ignored: refused instead.
  EXPECT_NE(msg(R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
                    "Condition":{}}]})")
                .find("Statement[0].Condition is not supported"),
            std::string::npos);
  EXPECT_NE(msg(R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket/*"}]})")
                .find("must be an ARN"),
            std::string::npos);
  EXPECT_FALSE(SessionPolicy::Parse({}));
}

TEST(SessionPolicy, Wildcards) {
  EXPECT_TRUE(WildcardMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", false));
  EXPECT_TRUE(WildcardMatch("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true));
  EXPECT_TRUE(WildcardMatch("s3:?etObject", "s3:GetObject", false));
  EXPECT_FALSE(WildcardMatch("s3:?etObject", "s3:etObject", false));
  EXPECT_TRUE(WildcardMatch("*a*b*", "xxaxxbxx", false));
  EXPECT_FALSE(WildcardMatch("*a*b", "xxaxxbxx", false));
}

}  // namespace
}  // namespace plumbline::identity
