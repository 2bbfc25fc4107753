// Unit tests of SigV4 signing and of every Verify error path, on requests
// shaped like the aws CLI's SageMaker calls (spec §2.8). The AWS test suite
// itself runs in sigv4_vectors_test.cpp.
#include "crypto/sigv4.hpp"

#include <gtest/gtest.h>

#include "crypto/hash.hpp"

namespace plumbline::crypto {
namespace {

constexpr char kKeyId[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

TimePoint At(const char* amz_date) {
  TimePoint t;
  EXPECT_TRUE(ParseAmzDate(amz_date, &t));
  return t;
}

class SigV4Test : public testing::Test {
 protected:
  SigV4Test() {
    headers_ = {{"Host", "127.0.0.1:18777"},
                {"Accept-Encoding", "identity"},
                {"X-Amz-Target", "SageMaker.ListLabelingJobs"},
                {"Content-Type", "application/x-amz-json-1.1"},
                {"User-Agent", "aws-cli/2.9.19"}};
    SignNow();
  }

  // Signs headers_/body_ at signed_at_ and appends the auth headers.
  void SignNow(bool add_content_sha = false) {
    SigningParams p;
    p.access_key_id = kKeyId;
    p.secret_access_key = kSecret;
    p.region = "us-west-2";
    p.service = "sagemaker";
    p.time = signed_at_;
    p.add_content_sha256 = add_content_sha;
    SigningResult r = Sign(View(), p);
    signing_ = r;
    for (auto& h : r.headers_to_add) headers_.push_back(h);
  }

  RequestView View() const { return {"POST", target_, headers_, body_}; }

  VerifyResult Check(TimePoint now) const {
    return Verify(
        View(),
        [this](std::string_view id) -> std::optional<std::string> {
          ++lookups_;
          if (id == kKeyId) return std::string(kSecret);
          return std::nullopt;
        },
        now);
  }
  VerifyResult Check() const { return Check(signed_at_); }

  std::string& HeaderRef(std::string_view name) {
    for (auto& h : headers_)
      if (h.first == name) return h.second;
    ADD_FAILURE() << "no header " << name;
    static std::string dummy;
    return dummy;
  }
  void RemoveHeader(std::string_view name) {
    std::erase_if(headers_, [&](const Header& h) { return h.first == name; });
  }

  static void ExpectError(const VerifyResult& r, std::string_view code, std::string_view message) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().message, message);
  }

  std::string target_ = "/";
  std::string body_ = "{}";
  std::vector<Header> headers_;
  TimePoint signed_at_ = At("20261123T194041Z");
  SigningResult signing_;
  mutable int lookups_ = 0;
};

const char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

TEST_F(SigV4Test, SignsLikeBotocore) {
  // botocore signs content-type;host;x-amz-date;x-amz-target; the user agent
  // is not signed. We additionally sign accept-encoding, which is harmless.
  EXPECT_EQ(signing_.amz_date, "20261123T194041Z");
  EXPECT_TRUE(signing_.authorization.starts_with(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-west-2/sagemaker/aws4_request, "
      "SignedHeaders=accept-encoding;content-type;host;x-amz-date;x-amz-target, Signature="))
      << signing_.authorization;
  EXPECT_EQ(signing_.canonical_request,
            "POST\n/\n\naccept-encoding:identity\ncontent-type:application/x-amz-json-1.1\n"
            "host:127.0.0.1:18777\nx-amz-date:20261123T194041Z\n"
            "x-amz-target:SageMaker.ListLabelingJobs\n\n"
            "accept-encoding;content-type;host;x-amz-date;x-amz-target\n" +
                Sha256Hex("{}"));
}

TEST_F(SigV4Test, SpecCapturedSignatureRecomputes) {
  // Spec §2.8: canonical request captured from the aws CLI and its signature.
  const std::string canonical =
      "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:18777\n"
      "x-amz-date:20261123T194041Z\nx-amz-target:SageMaker.CreateLabelingJob\n\n"
      "content-type;host;x-amz-date;x-amz-target\n"
      "d0883262917a894546035cfd17f1e3df046a707e3207f11d9e2e459032dd2c89";
  const std::string sts = StringToSign(
      "20261123T194041Z", CredentialScope("20261123", "us-west-2", "sagemaker"), canonical);
  EXPECT_EQ(SignatureHex(DeriveSigningKey(kSecret, "20261123", "us-west-2", "sagemaker"), sts),
            "2a5df6b8cada8add66177dbe5944ded172f22ebd9389dd1f70801c5ea6f7a292");
}

TEST_F(SigV4Test, AcceptsAndReportsCaller) {
  VerifyResult r = Check();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->access_key_id, kKeyId);
  EXPECT_EQ(r->region, "us-west-2");
  EXPECT_EQ(r->session_token, "");
  EXPECT_EQ(lookups_, 1);
}

TEST_F(SigV4Test, AcceptsWithinSkewInclusive) {
  EXPECT_TRUE(Check(signed_at_ + std::chrono::minutes(5)).has_value());
  EXPECT_TRUE(
      Check(signed_at_ + std::chrono::minutes(5) + std::chrono::milliseconds(999)).has_value());
  EXPECT_TRUE(Check(signed_at_ - std::chrono::minutes(5)).has_value());
}

TEST_F(SigV4Test, UnsignedHeadersMayChange) {
  HeaderRef("User-Agent") = "something else";
  headers_.emplace_back("amz-sdk-request", "attempt=2");
  EXPECT_TRUE(Check().has_value());
}

TEST_F(SigV4Test, HeaderNamesAreCaseInsensitive) {
  for (auto& h : headers_) {
    std::string lower;
    for (char c : h.first) lower.push_back(static_cast<char>(std::tolower(c)));
    h.first = lower;
  }
  EXPECT_TRUE(Check().has_value());
}

TEST_F(SigV4Test, MissingAuthorization) {
  RemoveHeader("Authorization");
  ExpectError(Check(), "MissingAuthenticationTokenException", "Missing Authentication Token");
}

TEST_F(SigV4Test, UnsupportedAlgorithm) {
  HeaderRef("Authorization") = "Basic dXNlcjpwYXNz";
  ExpectError(Check(), "IncompleteSignatureException", "Unsupported Authorization Type");
}

TEST_F(SigV4Test, MissingSignaturePart) {
  std::string& auth = HeaderRef("Authorization");
  auth = auth.substr(0, auth.find(", Signature="));
  ExpectError(Check(), "IncompleteSignatureException",
              "Authorization header requires 'Signature' parameter. Authorization=" + auth);
}

TEST_F(SigV4Test, EveryMissingPartIsListed) {
  RemoveHeader("X-Amz-Date");
  HeaderRef("Authorization") = "AWS4-HMAC-SHA256 ";
  ExpectError(Check(), "IncompleteSignatureException",
              "Authorization header requires 'Credential' parameter. Authorization header "
              "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
              "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a "
              "'Date' header. Authorization=AWS4-HMAC-SHA256");
}

TEST_F(SigV4Test, MissingAmzDate) {
  RemoveHeader("X-Amz-Date");
  VerifyResult r = Check();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "IncompleteSignatureException");
  EXPECT_TRUE(r.error().message.starts_with(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."));
}

TEST_F(SigV4Test, MalformedAmzDate) {
  HeaderRef("X-Amz-Date") = "2026-11-23T19:40:41Z";
  ExpectError(Check(), "IncompleteSignatureException",
              "Date must be in ISO-8601 'basic format'. Got '2026-11-23T19:40:41Z'. See "
              "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_F(SigV4Test, PairWithoutEquals) {
  std::string& auth = HeaderRef("Authorization");
  auth += ", Bogus";
  ExpectError(Check(), "IncompleteSignatureException",
              "'Bogus' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                  auth + "'.");
}

TEST_F(SigV4Test, CredentialWithoutFiveParts) {
  std::string& auth = HeaderRef("Authorization");
  auth.replace(auth.find("/aws4_request"), 13, "");
  ExpectError(Check(), "IncompleteSignatureException",
              "Credential must have exactly 5 slash-delimited elements, e.g. "
              "keyid/date/region/service/term, got 'AKIDEXAMPLE/20261123/us-west-2/sagemaker'");
}

TEST_F(SigV4Test, HostMustBeSigned) {
  std::string& auth = HeaderRef("Authorization");
  auth.replace(auth.find("host;"), 5, "");
  ExpectError(Check(), "IncompleteSignatureException",
              "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(SigV4Test, WrongTerminator) {
  std::string& auth = HeaderRef("Authorization");
  auth.replace(auth.find("aws4_request"), 12, "aws5_request");
  ExpectError(Check(), "InvalidSignatureException",
              "Credential should be scoped with a valid terminator: 'aws4_request', not "
              "'aws5_request'.");
}

TEST_F(SigV4Test, WrongServiceInScope) {
  std::string& auth = HeaderRef("Authorization");
  auth.replace(auth.find("/sagemaker/"), 11, "/s3/");
  ExpectError(Check(), "InvalidSignatureException",
              "Credential should be scoped to correct service: 'sagemaker'. ");
}

TEST_F(SigV4Test, CredentialDateDiffersFromAmzDate) {
  std::string& auth = HeaderRef("Authorization");
  auth.replace(auth.find("/20261123/"), 10, "/20261122/");
  ExpectError(Check(), "InvalidSignatureException",
              "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
              "from HTTP: '20261122' != '20261123', from '20261123T194041Z'.");
}

TEST_F(SigV4Test, SignatureExpiredMessage) {
  ExpectError(Check(At("20261123T200041Z")), "InvalidSignatureException",
              "Signature expired: 20261123T194041Z is now earlier than 20261123T195541Z "
              "(20261123T200041Z - 5 min.)");
}

TEST_F(SigV4Test, SignatureNotYetCurrentMessage) {
  ExpectError(Check(At("20261123T193041Z")), "InvalidSignatureException",
              "Signature not yet current: 20261123T194041Z is still later than 20261123T193541Z "
              "(20261123T193041Z + 5 min.)");
}

TEST_F(SigV4Test, ConfigurableSkew) {
  VerifyOptions opts;
  opts.allowed_skew = std::chrono::minutes(15);
  auto lookup = [](std::string_view) -> std::optional<std::string> { return std::string(kSecret); };
  EXPECT_TRUE(Verify(View(), lookup, signed_at_ + std::chrono::minutes(14), opts).has_value());
  VerifyResult r = Verify(View(), lookup, signed_at_ + std::chrono::minutes(16), opts);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().message.ends_with("- 15 min.)")) << r.error().message;
}

TEST_F(SigV4Test, UnknownAccessKey) {
  std::string& auth = HeaderRef("Authorization");
  auth.replace(auth.find("AKIDEXAMPLE"), 11, "AKIDUNKNOWN");
  ExpectError(Check(), "UnrecognizedClientException",
              "The security token included in the request is invalid.");
}

TEST_F(SigV4Test, TamperedBody) {
  body_ = R"({"MaxResults": 100})";
  ExpectError(Check(), "InvalidSignatureException", kMismatch);
}

TEST_F(SigV4Test, TamperedSignedHeader) {
  HeaderRef("X-Amz-Target") = "SageMaker.DeleteWorkteam";
  ExpectError(Check(), "InvalidSignatureException", kMismatch);
}

TEST_F(SigV4Test, TamperedTarget) {
  target_ = "/?x=1";
  ExpectError(Check(), "InvalidSignatureException", kMismatch);
}

TEST_F(SigV4Test, SignatureComparisonIsExact) {
  std::string& auth = HeaderRef("Authorization");
  size_t at = auth.find("Signature=") + 10;
  std::string upper = auth;
  for (size_t i = at; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  auth = upper;
  ExpectError(Check(), "InvalidSignatureException", kMismatch);
  auth = upper.substr(0, upper.size() - 1);
  ExpectError(Check(), "InvalidSignatureException", kMismatch);
}

TEST_F(SigV4Test, SignedContentSha256MustMatchBody) {
  headers_.resize(5);
  SignNow(/*add_content_sha=*/true);
  EXPECT_NE(signing_.authorization.find("x-amz-content-sha256"), std::string::npos);
  EXPECT_TRUE(Check().has_value());
  body_ = "{\"x\":1}";
  ExpectError(Check(), "InvalidSignatureException",
              "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST_F(SigV4Test, UnsignedPayloadIsRefused) {
  headers_.emplace_back("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
  ExpectError(Check(), "InvalidSignatureException",
              "The provided 'x-amz-content-sha256' header does not match what was computed.");
}

TEST_F(SigV4Test, SessionTokenIsReported) {
  headers_.resize(5);
  SigningParams p;
  p.access_key_id = kKeyId;
  p.secret_access_key = kSecret;
  p.session_token = "tok";
  p.region = "eu-west-1";
  p.service = "sagemaker";
  p.time = signed_at_;
  SigningResult s = Sign(View(), p);
  EXPECT_NE(s.authorization.find("x-amz-security-token"), std::string::npos);
  for (auto& h : s.headers_to_add) headers_.push_back(h);
  VerifyResult r = Check();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->region, "eu-west-1");
  EXPECT_EQ(r->session_token, "tok");
}

TEST(SigV4CanonicalTest, UriNormalisationAndEncoding) {
  EXPECT_EQ(CanonicalUri("", true), "/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c/", true), "/a/c/");
  EXPECT_EQ(CanonicalUri("/../..", true), "/");
  EXPECT_EQ(CanonicalUri("/a b/%20", true), "/a%20b/%2520");  // double encoding
  EXPECT_EQ(CanonicalUri("//a//", false), "//a//");
}

TEST(SigV4CanonicalTest, QueryString) {
  EXPECT_EQ(CanonicalQueryString(""), "");
  EXPECT_EQ(CanonicalQueryString("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(CanonicalQueryString("flag&x=%2f%7E+"), "flag=&x=%2F~%2B");
  EXPECT_EQ(CanonicalQueryString("k=a b"), "k=a%20b");
}

TEST(SigV4CanonicalTest, HeadersTrimCollapseAndJoin) {
  std::vector<Header> h = {{"X-A", "  one   two  "}, {"x-a", "\tthree"}, {"X-B", "b"}};
  std::vector<std::string> names = {"x-a", "x-b", "x-c"};
  EXPECT_EQ(CanonicalHeaders(h, names), "x-a:one two,three\nx-b:b\nx-c:\n");
}

}  // namespace
}  // namespace plumbline::crypto
