// SigV4 as S3 uses it: presigned URLs (query authentication), the declared
// payload hash of X-Amz-Content-Sha256, and aws-chunked chunk signatures.
// The expected signatures are the worked examples of AWS's S3 SigV4
// documentation (GET with query parameters; PUT with aws-chunked).
#include "crypto/sigv4.hpp"

#include <gtest/gtest.h>

#include "crypto/digest.hpp"
#include "crypto/hash.hpp"

namespace plumbline::crypto {
namespace {

constexpr char kKeyId[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

TimePoint At(const char* amz_date) {
  TimePoint t;
  EXPECT_TRUE(ParseAmzDate(amz_date, &t));
  return t;
}

SecretLookup Lookup() {
  return [](std::string_view id) -> std::optional<std::string> {
    if (id == kKeyId) return std::string(kSecret);
    return std::nullopt;
  };
}

VerifyOptions S3Options() {
  VerifyOptions o;
  o.expected_service = "s3";
  o.normalize_path = false;
  o.s3_payload = true;
  o.allow_presigned = true;
  return o;
}

constexpr char kPresigned[] =
    "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
    "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-"
    "SignedHeaders=host&X-Amz-Signature="
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

TEST(SigV4S3, PresignedUrlOfTheDocumentationVerifies) {
  std::vector<Header> headers{{"Host", "examplebucket.s3.amazonaws.com"}};
  RequestView r{"GET", kPresigned, headers, ""};
  auto v = Verify(r, Lookup(), At("20130524T010000Z"), S3Options());
  ASSERT_TRUE(v) << v.error().code << ": " << v.error().message;
  EXPECT_TRUE(v->presigned);
  EXPECT_EQ(v->access_key_id, kKeyId);
  EXPECT_EQ(v->payload_hash, "UNSIGNED-PAYLOAD");
}

TEST(SigV4S3, PresignCreatesTheDocumentationsUrl) {
  std::vector<Header> headers{{"Host", "examplebucket.s3.amazonaws.com"}};
  SigningParams p;
  p.access_key_id = kKeyId;
  p.secret_access_key = kSecret;
  p.region = "us-east-1";
  p.service = "s3";
  p.normalize_path = false;
  p.time = At("20130524T000000Z");
  std::string target = Presign({"GET", "/test.txt", headers, ""}, p, std::chrono::seconds(86400));
  EXPECT_EQ(target.substr(target.size() - 64),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  auto v = Verify({"GET", target, headers, ""}, Lookup(), At("20130524T000100Z"), S3Options());
  EXPECT_TRUE(v);
}

TEST(SigV4S3, PresignedUrlErrors) {
  std::vector<Header> headers{{"Host", "examplebucket.s3.amazonaws.com"}};
  // Expired one second after X-Amz-Date + X-Amz-Expires.
  auto v = Verify({"GET", kPresigned, headers, ""}, Lookup(), At("20130525T000001Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "AccessDenied");
  EXPECT_EQ(v.error().message, "Request has expired");
  // Not yet valid.
  v = Verify({"GET", kPresigned, headers, ""}, Lookup(), At("20130523T000000Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "Request is not valid yet");
  // Another host: the signature no longer matches.
  std::vector<Header> other{{"Host", "otherbucket.s3.amazonaws.com"}};
  v = Verify({"GET", kPresigned, other, ""}, Lookup(), At("20130524T010000Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "InvalidSignatureException");
  // A parameter missing.
  std::string no_expiry = kPresigned;
  no_expiry.replace(no_expiry.find("X-Amz-Expires=86400&"), 20, "");
  v = Verify({"GET", no_expiry, headers, ""}, Lookup(), At("20130524T010000Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "AuthorizationQueryParametersError");
  // Too long an expiry.
  std::string week = kPresigned;
  week.replace(week.find("86400"), 5, "604801");
  v = Verify({"GET", week, headers, ""}, Lookup(), At("20130524T010000Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "AuthorizationQueryParametersError");
  // Unknown key.
  std::string key = kPresigned;
  key.replace(key.find("AKIAIOSFODNN7EXAMPLE"), 20, "AKIAIOSFODNN7EXAMPLF");
  v = Verify({"GET", key, headers, ""}, Lookup(), At("20130524T010000Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "UnrecognizedClientException");
  // Query authentication only when allowed.
  VerifyOptions o = S3Options();
  o.allow_presigned = false;
  v = Verify({"GET", kPresigned, headers, ""}, Lookup(), At("20130524T010000Z"), o);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "MissingAuthenticationTokenException");
}

// The documentation's aws-chunked PUT: seed signature, then two chunks of 'a'
// (65536 and 1024 bytes) and the final empty chunk.
TEST(SigV4S3, StreamingPutSeedAndChunkSignatures) {
  std::vector<Header> headers{
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-"
       "decoded-content-length;x-amz-storage-class,Signature="
       "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"}};
  RequestView r{"PUT", "/examplebucket/chunkObject.txt", headers, ""};
  VerifyOptions o = S3Options();
  o.allowed_skew = std::chrono::minutes(15);
  auto v = Verify(r, Lookup(), At("20130524T000100Z"), o);
  ASSERT_TRUE(v) << v.error().code << ": " << v.error().message;
  EXPECT_EQ(v->payload_hash, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  EXPECT_EQ(v->signature, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  std::string c1 = ChunkSignature(v->signing_key, v->amz_date, v->scope, v->signature,
                                  Sha256Hex(std::string(65536, 'a')));
  EXPECT_EQ(c1, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  std::string c2 = ChunkSignature(v->signing_key, v->amz_date, v->scope, c1,
                                  Sha256Hex(std::string(1024, 'a')));
  EXPECT_EQ(c2, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  std::string c3 = ChunkSignature(v->signing_key, v->amz_date, v->scope, c2, Sha256Hex(""));
  EXPECT_EQ(c3, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}

TEST(SigV4S3, HeaderAuthNeedsADeclaredPayloadHash) {
  SigningParams p;
  p.access_key_id = kKeyId;
  p.secret_access_key = kSecret;
  p.region = "us-east-1";
  p.service = "s3";
  p.normalize_path = false;
  p.time = At("20130524T000000Z");
  std::vector<Header> headers{{"Host", "127.0.0.1"}};
  auto signed_request = Sign({"GET", "/b/k", headers, ""}, p);
  headers.insert(headers.end(), signed_request.headers_to_add.begin(),
                 signed_request.headers_to_add.end());
  auto v = Verify({"GET", "/b/k", headers, ""}, Lookup(), At("20130524T000000Z"), S3Options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "InvalidRequest");

  p.add_content_sha256 = true;
  std::vector<Header> h2{{"Host", "127.0.0.1"}};
  auto s2 = Sign({"PUT", "/b/k", h2, "body"}, p);
  h2.insert(h2.end(), s2.headers_to_add.begin(), s2.headers_to_add.end());
  // The body is not read: the declared hash is what was signed.
  v = Verify({"PUT", "/b/k", h2, ""}, Lookup(), At("20130524T000000Z"), S3Options());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->payload_hash, Sha256Hex("body"));
}

TEST(Digest, KnownValues) {
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  Digest crc(Digest::Kind::kCrc32);
  crc.Update("123456789");
  EXPECT_EQ(HexEncode(crc.Finish()), "cbf43926");
  Digest crcc(Digest::Kind::kCrc32c);
  crcc.Update("1234");
  crcc.Update("56789");
  EXPECT_EQ(HexEncode(crcc.Finish()), "e3069283");
  Digest sha(Digest::Kind::kSha256);
  sha.Update("ab");
  sha.Update("c");
  EXPECT_EQ(HexEncode(sha.Finish()), Sha256Hex("abc"));
}

}  // namespace
}  // namespace plumbline::crypto
