// The key service end to end: KmsApi (server side) over a real SQLite store,
// and `plumbline kms decrypt`'s client against it over HTTP.
#include "api/kms_api.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/data_dir.hpp"
#include "cli/kms_cmd.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "crypto/sigv4.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

namespace plumbline::api {
namespace {
namespace fs = std::filesystem;

class KmsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("PLUMBLINE_KMS_ROOT_KEY");
    dir_ = fs::temp_directory_path() / ("plb-kms-" + RandomHex(6));
    dd_ = cli::OpenDataDir(dir_.string()).value();
    kms::KeyRingOptions o;
    o.data_dir = dir_.string();
    o.account_id = dd_.account_id;
    ring_ = kms::KeyRing::Open(*dd_.store, o).value();
    keys_ = std::make_unique<kms::KeyService>(*ring_, *dd_.identity);
    api_ = std::make_unique<KmsApi>(*keys_, *dd_.identity);
    ASSERT_TRUE(dd_.store->PutAccessKey({"AKIAROOT", "root-secret", 0, true}));
    for (const char* name : {"alice", "bob", "carol"}) {
      store::User u;
      u.username = name;
      u.password_hash = "x";
      u.worker_key = RandomHex(8);
      u.sub = RandomUuid();
      u.disabled = std::string(name) == "carol";
      auto created = dd_.store->CreateUser(u).value();
      ASSERT_TRUE(dd_.store->PutAccessKey({std::string("AKIA") + name, std::string(name) + "-secret",
                                           created.id, false}));
    }
    key_ = ring_->CreateKey({"outputs", "", {"alice", "carol"}}).value();
    data_key_ = ring_->GenerateDataKey(key_.arn).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  http::Request Signed(const std::string& op, const std::string& body, const std::string& who,
                       const std::string& service = "kms") {
    http::Request r;
    r.method = "POST";
    r.target = "/";
    r.path = "/";
    r.body = body;
    std::vector<crypto::Header> headers = {{"Content-Type", "application/x-amz-json-1.1"},
                                           {"Host", "127.0.0.1:9"},
                                           {"X-Amz-Target", "TrentService." + op}};
    crypto::SigningParams p;
    p.access_key_id = "AKIA" + who;
    p.secret_access_key = (who == "ROOT" ? std::string("root") : who) + "-secret";
    p.region = "us-east-1";
    p.service = service;
    p.time = SystemClock::Get().Now();
    auto s = crypto::Sign({r.method, r.target, headers, r.body}, p);
    for (const auto& h : headers) r.headers.push_back({h.first, h.second});
    for (const auto& h : s.headers_to_add) r.headers.push_back({h.first, h.second});
    return r;
  }
  std::string DecryptBody(const std::string& blob, const std::string& key_id = "") {
    boost::json::object o;
    o["CiphertextBlob"] = crypto::Base64Encode(blob);
    if (!key_id.empty()) o["KeyId"] = key_id;
    return json::Serialize(o);
  }
  static std::string Type(const http::Response& r) {
    auto v = json::Parse(r.body).value();
    return json::GetString(v.get_object(), "__type").value_or("");
  }

  fs::path dir_;
  cli::OpenedDataDir dd_;
  std::unique_ptr<kms::KeyRing> ring_;
  std::unique_ptr<kms::KeyService> keys_;
  std::unique_ptr<KmsApi> api_;
  kms::KeyInfo key_;
  crypto::DataKey data_key_;
};

TEST_F(KmsApiTest, AllowedUserGetsTheDataKey) {
  auto r = api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped, key_.arn), "alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json::Parse(r.body).value().as_object();
  EXPECT_EQ(json::GetString(v, "KeyId"), key_.arn);
  EXPECT_EQ(crypto::Base64Decode(*json::GetString(v, "Plaintext")).value(), data_key_.plaintext);
  EXPECT_EQ(json::GetString(v, "EncryptionAlgorithm"), "SYMMETRIC_DEFAULT");
}

TEST_F(KmsApiTest, RootIsAlwaysAllowed) {
  auto r = api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped), "ROOT"));
  ASSERT_EQ(r.status, 200) << r.body;
}

TEST_F(KmsApiTest, OtherAndDisabledUsersAreRefused) {
  for (const char* who : {"bob", "carol"}) {
    auto r = api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped), who));
    EXPECT_EQ(r.status, 400) << who;
    EXPECT_EQ(Type(r), "AccessDeniedException") << who << " " << r.body;
    EXPECT_EQ(r.body.find("Plaintext"), std::string::npos);
    // AWS's wording, naming the user's ARN and the key.
    auto message = json::GetString(json::Parse(r.body).value().as_object(), "message").value_or("");
    EXPECT_EQ(message.rfind("User: arn:aws:iam::" + dd_.account_id + ":user/" + who +
                                " is not authorized to perform: kms:Decrypt on resource: " + key_.arn,
                            0),
              0u)
        << message;
  }
}

TEST_F(KmsApiTest, BadSignaturesAndServicesAreRefused) {
  auto r = Signed("Decrypt", DecryptBody(data_key_.wrapped), "alice");
  r.body += " ";
  EXPECT_EQ(api_->Handle(r).status, 403);
  auto wrong_service = api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped), "alice", "sagemaker"));
  EXPECT_EQ(wrong_service.status, 403);
  EXPECT_EQ(Type(wrong_service), "InvalidSignatureException");
  auto unsigned_req = Signed("Decrypt", DecryptBody(data_key_.wrapped), "alice");
  std::erase_if(unsigned_req.headers, [](const http::Header& h) { return h.name == "Authorization"; });
  EXPECT_EQ(Type(api_->Handle(unsigned_req)), "MissingAuthenticationTokenException");
}

TEST_F(KmsApiTest, DisabledTamperedUnknownAndMismatchedKeys) {
  std::string bad = data_key_.wrapped;
  bad.back() = static_cast<char>(bad.back() ^ 1);
  EXPECT_EQ(Type(api_->Handle(Signed("Decrypt", DecryptBody(bad), "ROOT"))), "InvalidCiphertextException");
  // A KeyId other than the blob's key: AWS's IncorrectKeyException.
  auto other = ring_->CreateKey({}).value();
  EXPECT_EQ(Type(api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped, other.key_id), "ROOT"))),
            "IncorrectKeyException");
  EXPECT_EQ(Type(api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped,
                                                            "00000000-0000-4000-8000-000000000000"),
                                     "ROOT"))),
            "NotFoundException");
  ASSERT_TRUE(ring_->DisableKey(key_.key_id));
  EXPECT_EQ(Type(api_->Handle(Signed("Decrypt", DecryptBody(data_key_.wrapped), "alice"))),
            "DisabledException");
  // Encrypt is an operation now: without its KeyId and Plaintext the request is invalid.
  EXPECT_EQ(Type(api_->Handle(Signed("Encrypt", "{}", "ROOT"))), "ValidationException");
  EXPECT_EQ(Type(api_->Handle(Signed("Frobnicate", "{}", "ROOT"))), "UnknownOperationException");
}

TEST_F(KmsApiTest, DescribeKeyForRoot) {
  auto r = api_->Handle(Signed("DescribeKey", R"({"KeyId":")" + key_.key_id + "\"}", "ROOT"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json::Parse(r.body).value().as_object();
  EXPECT_EQ(json::GetString(*json::GetObject(v, "KeyMetadata"), "Arn"), key_.arn);
  // The key's users (AWS's default policy: "Allow use of the key") may
  // describe it; a user the policy does not name may not.
  auto user = api_->Handle(Signed("DescribeKey", R"({"KeyId":")" + key_.key_id + "\"}", "alice"));
  EXPECT_EQ(user.status, 200) << user.body;
  auto denied = api_->Handle(Signed("DescribeKey", R"({"KeyId":")" + key_.key_id + "\"}", "bob"));
  EXPECT_EQ(Type(denied), "AccessDeniedException");
  EXPECT_EQ(json::GetString(json::Parse(denied.body).value().as_object(), "message"),
            "User: arn:aws:iam::" + dd_.account_id +
                ":user/bob is not authorized to perform: kms:DescribeKey on resource: " +
                ring_->ArnFor(key_.key_id) +
                " because no resource-based policy allows the kms:DescribeKey action");
}

// The CLI's decrypt against a real HTTP server running the KmsApi.
TEST_F(KmsApiTest, CliDecryptOverHttp) {
  auto server = http::Server::Start({"127.0.0.1", 0, 2}, [&](const http::Request& r) {
    return api_->Handle(r);
  }).value();
  std::thread runner([&] { server->Run(); });
  std::string endpoint = "http://127.0.0.1:" + std::to_string(server->port());

  auto local = storage::OpenLocal(dir_.string());
  auto enc = kms::EncryptingStore(*local, *ring_, key_.key_id).value();
  std::string manifest;
  for (int i = 0; i < 5000; ++i) manifest += "{\"source\":\"object " + std::to_string(i) + "\"}\n";
  ASSERT_TRUE(enc->WriteAll("s3://b/output.manifest", manifest));
  std::string file = (dir_ / "buckets/b/output.manifest").string();

  cli::KmsClientOptions alice{endpoint, "us-east-1", "AKIAalice", "alice-secret", "", 10};
  std::ostringstream out;
  auto s = cli::DecryptFile(alice, file, "", &out);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(out.str(), manifest);
  std::string out_path = (dir_ / "plain.manifest").string();
  ASSERT_TRUE(cli::DecryptFile(alice, file, out_path, nullptr));
  std::ifstream in(out_path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), manifest);

  cli::KmsClientOptions bob{endpoint, "us-east-1", "AKIAbob", "bob-secret", "", 10};
  std::string denied_path = (dir_ / "denied.manifest").string();
  auto denied = cli::DecryptFile(bob, file, denied_path, nullptr);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().message.find("AccessDeniedException"), std::string::npos);
  EXPECT_FALSE(fs::exists(denied_path));

  cli::KmsClientOptions wrong{endpoint, "us-east-1", "AKIAalice", "not-the-secret", "", 10};
  EXPECT_EQ(cli::DecryptFile(wrong, file, "", &out).error().code, ErrorCode::kUnauthenticated);

  // A flipped byte in the stored file: refused, nothing written.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) / 2));
    c = static_cast<char>(c ^ 0x04);
    f.write(&c, 1);
  }
  auto tampered = cli::DecryptFile(alice, file, out_path + ".2", nullptr);
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(out_path + ".2"));

  server->Stop();
  runner.join();
}

// `plumbline kms create-key` and friends through CLI11, on the same data dir.
TEST_F(KmsApiTest, CliAdminCommands) {
  auto run = [&](std::vector<std::string> args) {
    CLI::App app;
    cli::AddKmsCommands(app);
    std::reverse(args.begin(), args.end());
    std::ostringstream captured;
    auto* old = std::cout.rdbuf(captured.rdbuf());
    try {
      app.parse(args);
    } catch (...) {
      std::cout.rdbuf(old);
      throw;
    }
    std::cout.rdbuf(old);
    return captured.str();
  };
  std::string dir = dir_.string();
  auto created = json::Parse(run({"kms", "create-key", "--data-dir", dir, "--description", "d",
                                  "--alias", "team-a", "--allow", "alice", "bob"}))
                     .value()
                     .as_object();
  std::string id = *json::GetString(created, "KeyId");
  EXPECT_EQ(*json::GetString(created, "Arn"),
            "arn:aws:kms:" + std::string(std::getenv("AWS_REGION") ? std::getenv("AWS_REGION")
                                         : std::getenv("AWS_DEFAULT_REGION") ? std::getenv("AWS_DEFAULT_REGION")
                                                                             : "us-east-1") +
                ":" + dd_.account_id + ":key/" + id);
  EXPECT_NE(run({"kms", "list-keys", "--data-dir", dir}).find(id), std::string::npos);
  auto disabled = run({"kms", "disable-key", "--data-dir", dir, "--key-id", "alias/team-a"});
  EXPECT_NE(disabled.find("\"KeyState\":\"Disabled\""), std::string::npos) << disabled;
  EXPECT_FALSE(ring_->CheckKeyUsable(id));
  auto described = run({"kms", "describe-key", "--data-dir", dir, "--key-id", id});
  EXPECT_NE(described.find("\"AllowDecrypt\":[\"alice\",\"bob\"]"), std::string::npos) << described;
  EXPECT_THROW(run({"kms", "describe-key", "--data-dir", dir, "--key-id", "alias/none"}), ErrorException);
}

// The body and field parsers the fuzz target drives (fuzz/kms_json_fuzz.cpp).
TEST(KmsApiParseTest, BodiesAndFields) {
  EXPECT_TRUE(KmsApi::ParseBody("").value().empty());
  EXPECT_EQ(KmsApi::ParseBody("[1]").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(kms::SplitException(KmsApi::ParseBody("{").error().message).first, "SerializationException");
  auto fields = [](const std::string& body) { return KmsApi::ParseFields(KmsApi::ParseBody(body).value()); };
  EXPECT_TRUE(fields(R"({"EncryptionContext":{"a":"b"},"Plaintext":"aGk=","Limit":5,"Marker":"3",)"
                     R"("Tags":[{"TagKey":"k","TagValue":"v"}],"KeySpec":"AES_128"})"));
  for (const char* bad : {R"({"EncryptionContext":{"a":1}})", R"({"SourceEncryptionContext":[]})",
                          R"({"CiphertextBlob":"***"})", R"({"Plaintext":""})", R"({"Limit":0})",
                          R"({"Limit":"5"})", R"({"Marker":"x1"})", R"({"Tags":[{"TagKey":"k"}]})",
                          R"({"KeySpec":"AES_512"})", R"({"NumberOfBytes":1025})",
                          R"({"KeySpec":"AES_256","NumberOfBytes":32})"}) {
    auto s = fields(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace plumbline::api
