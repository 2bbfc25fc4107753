#include "crypto/password.hpp"

#include <gtest/gtest.h>

namespace plumbline::crypto {
namespace {

TEST(PasswordTest, HashesAreArgon2idAndSalted) {
  std::string a = HashPassword("correct horse").value();
  std::string b = HashPassword("correct horse").value();
  EXPECT_TRUE(a.starts_with("$argon2id$v=19$")) << a;
  EXPECT_NE(a, b);  // fresh salt every time
  EXPECT_FALSE(PasswordNeedsRehash(a));
}

TEST(PasswordTest, VerifiesOnlyTheRightPassword) {
  std::string h = HashPassword("s3cret pässword").value();
  EXPECT_TRUE(VerifyPassword(h, "s3cret pässword"));
  EXPECT_FALSE(VerifyPassword(h, "s3cret password"));
  EXPECT_FALSE(VerifyPassword(h, ""));
}

TEST(PasswordTest, EmptyPasswordRoundTrips) {
  std::string h = HashPassword("").value();
  EXPECT_TRUE(VerifyPassword(h, ""));
  EXPECT_FALSE(VerifyPassword(h, "x"));
}

TEST(PasswordTest, MalformedOrForeignHashesNeverMatch) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("plaintext", "plaintext"));
  EXPECT_FALSE(VerifyPassword(std::string(1000, 'a'), "x"));
  std::string h = HashPassword("pw").value();
  std::string tampered = h;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword(tampered, "pw"));
  EXPECT_TRUE(PasswordNeedsRehash("garbage"));
}

TEST(PasswordTest, WeakerLimitsNeedRehash) {
  // A valid Argon2id hash made with t=3 instead of the interactive t=2.
  std::string h = HashPassword("pw").value();
  auto pos = h.find(",t=");
  ASSERT_NE(pos, std::string::npos);
  std::string other = h;
  other[pos + 3] = '3';
  EXPECT_TRUE(PasswordNeedsRehash(other));
}

}  // namespace
}  // namespace plumbline::crypto
