// Data-driven SigV4 test over every case folder of AWS's published suite
// (PLUMBLINE_SHARED_DIR/data/sigv4/v4). For each case: the client side (Sign)
// must reproduce the canonical request, string to sign, signature and
// Authorization header; the server side (Verify) must accept the signed
// request, rebuild the same canonical request from it, and reject it with a
// wrong secret and with a clock 6 minutes off either way. What is not
// exercised, and why, is in sigv4_vectors.json beside this file.
#include "crypto/sigv4.hpp"
// (the header under test first, on its own)
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/hash.hpp"

namespace plumbline::crypto {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(PLUMBLINE_SHARED_DIR) / "data" / "sigv4" / "v4";
const fs::path kNotesFile =
    fs::path(PLUMBLINE_SOURCE_DIR) / "tests" / "crypto" / "sigv4_vectors.json";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TrimWs(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// A request in the suite's text form: request line, "Name:value" headers
// (lines starting with whitespace continue the previous value), a blank line
// and the body.
struct ParsedRequest {
  std::string method;
  std::string target;
  std::vector<Header> headers;
  std::string body;

  RequestView View() const { return {method, target, headers, body}; }
};

ParsedRequest ParseRequest(const std::string& text) {
  ParsedRequest r;
  size_t pos = 0;
  auto next_line = [&](std::string* line) {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    *line = text.substr(pos, nl - pos);
    if (!line->empty() && line->back() == '\r') line->pop_back();
    pos = nl + 1;
    return true;
  };
  std::string line;
  next_line(&line);
  size_t sp = line.find(' ');
  size_t http = line.rfind(" HTTP/");
  r.method = line.substr(0, sp);
  r.target = line.substr(sp + 1, http - sp - 1);
  while (next_line(&line)) {
    if (line.empty()) {
      if (pos < text.size()) r.body = text.substr(pos);
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

std::string HeaderValue(const ParsedRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        }))
      return v;
  }
  return {};
}

std::vector<std::string> SignedNamesOf(const std::string& authorization) {
  size_t at = authorization.find("SignedHeaders=") + 14;
  std::string list = authorization.substr(at, authorization.find(',', at) - at);
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string n; std::getline(ss, n, ';');) out.push_back(n);
  return out;
}

struct Case {
  std::string name;
  fs::path dir;
};

std::vector<Case> DiscoverCases() {
  std::vector<Case> cases;
  if (!fs::exists(kSuiteDir)) return cases;
  for (const auto& entry : fs::recursive_directory_iterator(kSuiteDir)) {
    if (!entry.is_regular_file() || entry.path().filename() != "request.txt") continue;
    fs::path dir = entry.path().parent_path();
    cases.push_back({fs::relative(dir, kSuiteDir).generic_string(), dir});
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

std::string TestName(const testing::TestParamInfo<Case>& info) {
  std::string n = info.param.name;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

class SigV4VectorTest : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    boost::json::object notes = boost::json::parse(ReadFile(kNotesFile)).as_object();
    if (const auto* reason = notes.at("skipped_cases").as_object().if_contains(GetParam().name))
      GTEST_SKIP() << reason->as_string().c_str();

    const fs::path& dir = GetParam().dir;
    ctx_ = boost::json::parse(ReadFile(dir / "context.json")).as_object();
    const auto& creds = ctx_.at("credentials").as_object();
    params_.access_key_id = creds.at("access_key_id").as_string().c_str();
    params_.secret_access_key = creds.at("secret_access_key").as_string().c_str();
    if (const auto* t = creds.if_contains("token")) params_.session_token = t->as_string().c_str();
    params_.region = ctx_.at("region").as_string().c_str();
    params_.service = ctx_.at("service").as_string().c_str();
    params_.normalize_path = ctx_.at("normalize").as_bool();
    params_.add_content_sha256 = ctx_.at("sign_body").as_bool();
    if (const auto* o = ctx_.if_contains("omit_session_token"))
      params_.sign_session_token = !o->as_bool();
    // "2015-08-30T12:36:00Z" -> "20150830T123600Z"
    std::string ts = ctx_.at("timestamp").as_string().c_str();
    std::string amz;
    for (char c : ts)
      if (c != '-' && c != ':') amz.push_back(c);
    ASSERT_TRUE(ParseAmzDate(amz, &params_.time)) << ts;

    options_.expected_service = params_.service;
    options_.normalize_path = params_.normalize_path;
    request_ = ParseRequest(ReadFile(dir / "request.txt"));
    signed_ = ParseRequest(ReadFile(dir / "header-signed-request.txt"));
  }

  SecretLookup LookupWith(std::string secret) const {
    return
        [id = params_.access_key_id, secret](std::string_view key) -> std::optional<std::string> {
          if (key == id) return secret;
          return std::nullopt;
        };
  }

  std::string Expected(const char* file) const { return ReadFile(GetParam().dir / file); }

  boost::json::object ctx_;
  SigningParams params_;
  VerifyOptions options_;
  ParsedRequest request_;
  ParsedRequest signed_;
};

TEST_P(SigV4VectorTest, SignReproducesEveryStep) {
  SigningResult r = Sign(request_.View(), params_);
  EXPECT_EQ(r.canonical_request, Expected("header-canonical-request.txt"));
  EXPECT_EQ(r.string_to_sign, Expected("header-string-to-sign.txt"));
  EXPECT_EQ(r.signature, TrimWs(Expected("header-signature.txt")));
  EXPECT_EQ(r.authorization, TrimWs(HeaderValue(signed_, "Authorization")));
  EXPECT_EQ(r.amz_date, TrimWs(HeaderValue(signed_, "X-Amz-Date")));
}

TEST_P(SigV4VectorTest, ServerSideCanonicalRequestMatches) {
  std::string auth = HeaderValue(signed_, "Authorization");
  std::vector<std::string> names = SignedNamesOf(auth);
  std::string payload = HeaderValue(signed_, "x-amz-content-sha256");
  if (payload.empty()) payload = Sha256Hex(signed_.body);
  EXPECT_EQ(CanonicalRequest(signed_.View(), names, payload, options_.normalize_path),
            Expected("header-canonical-request.txt"));
}

TEST_P(SigV4VectorTest, VerifyAcceptsSignedRequest) {
  VerifyResult r =
      Verify(signed_.View(), LookupWith(params_.secret_access_key), params_.time, options_);
  ASSERT_TRUE(r.has_value()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->access_key_id, params_.access_key_id);
  EXPECT_EQ(r->region, params_.region);
  EXPECT_EQ(r->session_token, TrimWs(HeaderValue(signed_, "X-Amz-Security-Token")));
}

TEST_P(SigV4VectorTest, VerifyRejectsOneByteOfSecretChanged) {
  std::string secret = params_.secret_access_key;
  secret[secret.size() / 2] ^= 0x01;
  VerifyResult r = Verify(signed_.View(), LookupWith(secret), params_.time, options_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, "InvalidSignatureException");
  EXPECT_TRUE(r.error().message.starts_with("The request signature we calculated does not match"))
      << r.error().message;
}

TEST_P(SigV4VectorTest, VerifyRejectsClockSixMinutesOff) {
  auto lookup = LookupWith(params_.secret_access_key);
  VerifyResult late =
      Verify(signed_.View(), lookup, params_.time + std::chrono::minutes(6), options_);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, "InvalidSignatureException");
  EXPECT_EQ(late.error().message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
            "(20150830T124200Z - 5 min.)");
  VerifyResult early =
      Verify(signed_.View(), lookup, params_.time - std::chrono::minutes(6), options_);
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, "InvalidSignatureException");
  EXPECT_EQ(early.error().message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z "
            "(20150830T123000Z + 5 min.)");
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4VectorTest, testing::ValuesIn(DiscoverCases()), TestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4VectorTest);

// The suite must be present and complete: 38 cases at the pinned commit.
TEST(SigV4VectorSuite, AllCasesDiscovered) {
  std::vector<Case> cases = DiscoverCases();
  EXPECT_GE(cases.size(), 38u) << "missing " << kSuiteDir;
  for (const Case& c : cases) {
    for (const char* f :
         {"context.json", "header-canonical-request.txt", "header-string-to-sign.txt",
          "header-signature.txt", "header-signed-request.txt"})
      EXPECT_TRUE(fs::exists(c.dir / f)) << c.name << " lacks " << f;
  }
}

}  // namespace
}  // namespace plumbline::crypto
