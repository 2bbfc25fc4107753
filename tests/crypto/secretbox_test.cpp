#include "crypto/secretbox.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "common/ids.hpp"

namespace plumbline::crypto {
namespace {
namespace fs = std::filesystem;

const std::string kKey(64, 'a');

TEST(SecretBox, SealsAndOpensWithTheSameContext) {
  auto box = SecretBox::FromHex(kKey).value();
  std::string sealed = box->Seal("secret-value", "AKIA1");
  EXPECT_TRUE(SecretBox::IsSealed(sealed));
  EXPECT_EQ(sealed.find("secret-value"), std::string::npos);
  EXPECT_NE(sealed, box->Seal("secret-value", "AKIA1"));  // fresh nonce
  EXPECT_EQ(box->Open(sealed, "AKIA1").value(), "secret-value");
  EXPECT_FALSE(box->Open(sealed, "AKIA2"));  // bound to its row
  std::string tampered = sealed;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(box->Open(tampered, "AKIA1"));
  EXPECT_FALSE(box->Open("plaintext", "AKIA1"));
  EXPECT_FALSE(SecretBox::IsSealed("plaintext"));
  auto other = SecretBox::FromHex(std::string(64, 'b')).value();
  EXPECT_FALSE(other->Open(sealed, "AKIA1"));
}

TEST(SecretBox, RejectsMalformedKeys) {
  EXPECT_FALSE(SecretBox::FromHex("abc"));
  EXPECT_FALSE(SecretBox::FromHex(std::string(64, 'z')));
}

TEST(SecretBox, CreatesAPrivateKeyFileOnceAndReusesIt) {
  ::unsetenv("PLUMBLINE_SECRETS_KEY");
  fs::path dir = fs::temp_directory_path() / ("plb-sb-" + RandomHex(6));
  fs::create_directories(dir);
  auto a = SecretBox::LoadOrCreate(dir.string()).value();
  struct stat st {};
  ASSERT_EQ(::stat((dir / "secrets.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = SecretBox::LoadOrCreate(dir.string()).value();
  EXPECT_EQ(b->Open(a->Seal("x", "c"), "c").value(), "x");
  // A key file others can read is refused.
  ::chmod((dir / "secrets.key").c_str(), 0644);
  EXPECT_FALSE(SecretBox::LoadOrCreate(dir.string()));
  // The environment wins over the file.
  ::setenv("PLUMBLINE_SECRETS_KEY", kKey.c_str(), 1);
  auto c = SecretBox::LoadOrCreate(dir.string()).value();
  EXPECT_EQ(SecretBox::FromHex(kKey).value()->Open(c->Seal("y", "c"), "c").value(), "y");
  ::unsetenv("PLUMBLINE_SECRETS_KEY");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace plumbline::crypto
