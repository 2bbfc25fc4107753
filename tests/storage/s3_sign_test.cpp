// Our S3 request signing against botocore's S3SigV4Auth (Debian's awscli
// bundles botocore; see TOOLING.md §5). s3rver does not check signatures,
// so this is what catches signing bugs.
#include "storage/detail/s3_sign.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "crypto/hash.hpp"

namespace plumbline::storage::detail {
namespace {

struct Case {
  std::string method, path, query;
  HeaderList headers;
  std::string body;
};

constexpr const char* kBotocoreScript = R"py(
import sys, json, datetime
import botocore.auth as A
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
class Fixed(datetime.datetime):
    @classmethod
    def utcnow(cls): return cls(2013, 5, 24, 0, 0, 0)
A.datetime.datetime = Fixed
for r in json.load(open(sys.argv[1])):
    req = AWSRequest(method=r["method"], url=r["url"], data=r["body"].encode("latin-1"), headers=r["headers"])
    A.S3SigV4Auth(Credentials(r["ak"], r["sk"], r["token"] or None), "s3", r["region"]).add_auth(req)
    print(req.headers["Authorization"])
)py";

TEST(S3Sign, MatchesBotocoreS3SigV4Auth) {
  const std::string python = "/usr/bin/python3";
  const std::string awscli = "/usr/lib/python3/dist-packages/awscli";
  ASSERT_TRUE(std::filesystem::exists(awscli + "/botocore/auth.py"))
      << "Debian's awscli (botocore) is needed for this test: apt-get install awscli";
  std::vector<Case> cases = {
      {"GET", "/bucket/dir/a b\xc3\xa9+(1).txt", "", {{"Host", "127.0.0.1:9000"}, {"Range", "bytes=0-4194303"}}, ""},
      {"PUT", "/bucket/out/output.manifest", "",
       {{"Host", "127.0.0.1:9000"},
        {"Content-Type", "application/octet-stream"},
        {"x-amz-server-side-encryption", "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-west-2:111122223333:key/abc"}},
       "{\"source\":\"x\"}\n"},
      {"POST", "/bucket/big.bin", "uploads=", {{"Host", "s3.us-west-2.amazonaws.com"}}, ""},
      {"PUT", "/bucket/big.bin", "partNumber=2&uploadId=Xy%2BZ%3D%3D", {{"Host", "localhost"}}, "part bytes"},
      {"DELETE", "/big.bin", "uploadId=abc", {{"Host", "bucket.s3.amazonaws.com"}}, ""},
  };
  boost::json::array reqs;
  std::vector<std::string> ours;
  const TimePoint t = FromEpochMs(1369353600000);  // 2013-05-24T00:00:00Z
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    S3Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        i == 1 ? "session-token-value" : "", i == 2 ? "us-west-2" : "us-east-1"};
    auto added = SignS3({c.method, c.path, c.query, c.headers, crypto::Sha256Hex(c.body)}, creds, t);
    ours.push_back(added.back().second);
    EXPECT_EQ(added.back().first, "Authorization");
    boost::json::object r;
    r["method"] = c.method;
    std::string host = c.headers.front().second;
    r["url"] = "http://" + host + EncodeKey(c.path) + (c.query.empty() ? "" : "?" + c.query);
    boost::json::object h;
    for (const auto& [k, v] : c.headers) h[k] = v;
    if (!creds.session_token.empty()) h["X-Amz-Security-Token"] = creds.session_token;
    r["headers"] = std::move(h);
    r["body"] = c.body;
    r["ak"] = creds.access_key_id;
    r["sk"] = creds.secret_access_key;
    r["token"] = creds.session_token;
    r["region"] = creds.region;
    reqs.push_back(std::move(r));
  }
  auto dir = std::filesystem::temp_directory_path() / ("plb-s3sign-" + RandomHex(6));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cases.json") << json::Serialize(reqs);
  std::ofstream(dir / "sign.py") << kBotocoreScript;
  std::string cmd = "PYTHONPATH=" + awscli + " " + python + " " + (dir / "sign.py").string() + " " +
                    (dir / "cases.json").string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = ::pclose(p);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(rc, 0) << out;
  std::vector<std::string> theirs;
  for (size_t i = 0, j; i < out.size(); i = j + 1) {
    j = out.find('\n', i);
    if (j == std::string::npos) j = out.size();
    if (j > i) theirs.push_back(out.substr(i, j - i));
  }
  ASSERT_EQ(theirs.size(), ours.size()) << out;
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], theirs[i]) << "case " << i;
}

TEST(S3Sign, EncodeKeyKeepsSlashesAndUnreserved) {
  EXPECT_EQ(EncodeKey("/b/a b/c~d_e-f.g"), "/b/a%20b/c~d_e-f.g");
  EXPECT_EQ(EncodeKey("k+=&?#%"), "k%2B%3D%26%3F%23%25");
  EXPECT_EQ(EncodeKey("\xc3\xa9"), "%C3%A9");
}

}  // namespace
}  // namespace plumbline::storage::detail
