#include "kms/kms.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/ids.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

namespace plumbline::kms {
using crypto::DataKey;
namespace {
namespace fs = std::filesystem;

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("PLUMBLINE_KMS_ROOT_KEY");
    dir_ = fs::temp_directory_path() / ("plb-keyring-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "plumbline.db").string(), false}).value();
    opts_.data_dir = dir_.string();
    opts_.region = "us-west-2";
    opts_.account_id = "123456789012";
    ring_ = KeyRing::Open(*store_, opts_, clock_).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  FakeClock clock_;
  KeyRingOptions opts_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<KeyRing> ring_;
};

TEST_F(KeyRingTest, RootSecretFileIsCreatedOwnerOnlyAndReused) {
  fs::path root = dir_ / "kms-root.key";
  ASSERT_TRUE(fs::exists(root));
  struct stat st {};
  ASSERT_EQ(::stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string first = LoadOrCreateRootSecret(opts_).value();
  EXPECT_EQ(first.size(), 32u);
  EXPECT_EQ(LoadOrCreateRootSecret(opts_).value(), first);
  // A world-readable root secret is refused.
  ::chmod(root.c_str(), 0644);
  EXPECT_FALSE(LoadOrCreateRootSecret(opts_));
  ::chmod(root.c_str(), 0600);
  // The environment wins over the file.
  ::setenv("PLUMBLINE_KMS_ROOT_KEY", std::string(64, 'a').c_str(), 1);
  EXPECT_EQ(LoadOrCreateRootSecret(opts_).value(), std::string(32, '\xaa'));
  ::setenv("PLUMBLINE_KMS_ROOT_KEY", "short", 1);
  EXPECT_FALSE(LoadOrCreateRootSecret(opts_));
  ::unsetenv("PLUMBLINE_KMS_ROOT_KEY");
}

TEST_F(KeyRingTest, KeysLookLikeKmsKeysAndResolveByIdArnAndAlias) {
  auto k = ring_->CreateKey({"outputs", "labels", {"alice"}}).value();
  EXPECT_EQ(k.key_id.size(), 36u);
  EXPECT_EQ(k.arn, "arn:aws:kms:us-west-2:123456789012:key/" + k.key_id);
  EXPECT_EQ(k.alias, "alias/labels");
  for (std::string ref : {k.key_id, k.arn, std::string("alias/labels"),
                          std::string("arn:aws:kms:us-west-2:123456789012:alias/labels")}) {
    auto d = ring_->DescribeKey(ref);
    ASSERT_TRUE(d) << ref;
    EXPECT_EQ(d->key_id, k.key_id);
    EXPECT_TRUE(ring_->CheckKeyUsable(ref)) << ref;
  }
  EXPECT_EQ(ring_->DescribeKey("arn:aws:kms:eu-west-1:123456789012:key/" + k.key_id).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(ring_->DescribeKey("nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ring_->CreateKey({"", "labels", {}}).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(ring_->CreateKey({"", "alias/aws/s3", {}}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ring_->ListKeys().value().size(), 1u);
  EXPECT_EQ(ring_->DescribeKey(k.key_id)->allowed_users, std::vector<std::string>{"alice"});
}

TEST_F(KeyRingTest, UnknownOrDisabledKeyIsNotUsable) {
  auto bad = ring_->CheckKeyUsable("1234abcd-12ab-34cd-56ef-1234567890ab");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto k = ring_->CreateKey({}).value();
  ASSERT_TRUE(ring_->DisableKey(k.arn));
  auto disabled = ring_->CheckKeyUsable(k.key_id);
  ASSERT_FALSE(disabled);
  EXPECT_EQ(disabled.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(disabled.error().message.find("disabled"), std::string::npos);
  EXPECT_EQ(ring_->GenerateDataKey(k.key_id).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(ring_->EnableKey(k.key_id));
  EXPECT_TRUE(ring_->CheckKeyUsable(k.key_id));
}

TEST_F(KeyRingTest, DataKeysUnwrapOnlyForAllowedCallers) {
  auto k = ring_->CreateKey({"", "", {"Alice"}}).value();
  DataKey dk = ring_->GenerateDataKey(k.key_id).value();
  EXPECT_EQ(dk.key_arn, k.arn);
  EXPECT_EQ(dk.plaintext.size(), 32u);
  EXPECT_EQ(ring_->DecryptDataKey("", dk.wrapped, {false, "alice"}).value().plaintext, dk.plaintext);
  EXPECT_EQ(ring_->DecryptDataKey(k.arn, dk.wrapped, {true, ""}).value().plaintext, dk.plaintext);
  auto other = ring_->DecryptDataKey(k.arn, dk.wrapped, {false, "mallory"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kPermissionDenied);
  // A blob of one key presented as another key's is refused.
  auto k2 = ring_->CreateKey({"", "", {"alice"}}).value();
  EXPECT_EQ(ring_->DecryptDataKey(k2.key_id, dk.wrapped, {true, ""}).error().code,
            ErrorCode::kInvalidArgument);
  // Tampered blobs are refused.
  for (size_t i = 0; i < dk.wrapped.size(); ++i) {
    std::string bad = dk.wrapped;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_FALSE(ring_->DecryptDataKey("", bad, {true, ""})) << i;
  }
  // Disabled keys decrypt nothing.
  ASSERT_TRUE(ring_->DisableKey(k.key_id));
  EXPECT_EQ(ring_->DecryptDataKey("", dk.wrapped, {true, ""}).error().code, ErrorCode::kConflict);
}

TEST_F(KeyRingTest, AnotherRootSecretCannotUnsealKeys) {
  auto k = ring_->CreateKey({}).value();
  KeyRingOptions other = opts_;
  other.root_key_hex = std::string(64, 'b');
  auto ring2 = KeyRing::Open(*store_, other, clock_).value();
  auto dk = ring2->GenerateDataKey(k.key_id);
  ASSERT_FALSE(dk);
  EXPECT_EQ(dk.error().code, ErrorCode::kInternal);
}

TEST_F(KeyRingTest, EncryptingStoreWritesEnvelopesThatDecryptingReaderOpens) {
  auto k = ring_->CreateKey({"", "out", {"alice"}}).value();
  auto local = storage::OpenLocal(dir_.string());
  auto enc = EncryptingStore(*local, *ring_, "alias/out").value();
  std::string manifest;
  for (int i = 0; i < 20000; ++i) manifest += "{\"source\":\"line " + std::to_string(i) + "\"}\n";
  {
    auto w = enc->OpenWrite("s3://bucket/out/output.manifest").value();
    for (size_t i = 0; i < manifest.size(); i += 10000) ASSERT_TRUE(w->Append(manifest.substr(i, 10000)));
    ASSERT_TRUE(w->Commit());
  }
  std::string stored = local->ReadAll("s3://bucket/out/output.manifest").value();
  EXPECT_EQ(stored.substr(0, 8), "PLBENC01");
  EXPECT_EQ(stored.find("line 1"), std::string::npos);
  // OpenRead passes through: the ciphertext.
  EXPECT_EQ(enc->ReadAll("s3://bucket/out/output.manifest").value(), stored);
  auto reader = DecryptingReader(local->OpenRead("s3://bucket/out/output.manifest").value(), *ring_,
                                 {false, "alice"}).value();
  storage::LineReader lines(std::move(reader));
  std::string_view line;
  size_t n = 0;
  while (lines.Next(&line).value()) {
    EXPECT_EQ(line, "{\"source\":\"line " + std::to_string(n) + "\"}");
    ++n;
  }
  EXPECT_EQ(n, 20000u);
  // Someone the policy does not name gets nothing.
  auto denied = DecryptingReader(local->OpenRead("s3://bucket/out/output.manifest").value(), *ring_,
                                 {false, "bob"}).value();
  char buf[100];
  auto r = denied->Read(buf, sizeof buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  // Disabled and unknown keys cannot make an encrypting store.
  EXPECT_FALSE(EncryptingStore(*local, *ring_, "alias/nope"));
  ASSERT_TRUE(ring_->DisableKey(k.key_id));
  EXPECT_FALSE(EncryptingStore(*local, *ring_, k.key_id));
}

}  // namespace
}  // namespace plumbline::kms
