// The project's MD5 (crypto/md5.hpp) against RFC 1321's test suite and,
// bit for bit, against OpenSSL's EVP MD5: every length up to 10,000 bytes
// with the input cut at random places, and a 64 MiB buffer.
#include "crypto/md5.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "crypto/digest.hpp"
#include "crypto/hash.hpp"

namespace plumbline::crypto {
namespace {

std::string Ours(std::string_view bytes) {
  Md5Hasher h;
  h.Update(bytes);
  auto md = h.Finish();
  return std::string(reinterpret_cast<const char*>(md.data()), md.size());
}

std::string OpenSsl(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_md5(), nullptr), 1);
  return std::string(reinterpret_cast<char*>(md), n);
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// `bytes` given to a hasher in pieces cut at the (sorted) `cuts`.
std::string InPieces(std::string_view bytes, std::vector<size_t> cuts) {
  std::sort(cuts.begin(), cuts.end());
  Md5Hasher h;
  size_t at = 0;
  for (size_t cut : cuts) {
    h.Update(bytes.substr(at, cut - at));
    at = cut;
  }
  h.Update(bytes.substr(at));
  auto md = h.Finish();
  return std::string(reinterpret_cast<const char*>(md.data()), md.size());
}

// RFC 1321, A.5. Each message goes through all 64 steps, so a wrong
// constant, rotation, message index or round function fails every line.
TEST(Md5Test, Rfc1321TestSuite) {
  const std::pair<std::string, std::string> suite[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [message, hex] : suite) {
    EXPECT_EQ(HexEncode(Ours(message)), hex) << '"' << message << '"';
    EXPECT_EQ(HexEncode(Md5(message)), hex) << "Digest, \"" << message << '"';
  }
}

// The compression function alone, on a block padded by hand: "abc", the one
// bit, zeros, and 24 (bits) at byte 56 leave the state that is the digest.
TEST(Md5Test, OneBlockThroughTheCompressionFunction) {
  unsigned char block[64] = {'a', 'b', 'c', 0x80};
  block[56] = 24;
  Md5State state = kMd5Initial;
  Md5Blocks(state, block, 1);
  std::string digest;
  for (uint32_t w : state)
    for (int i = 0; i < 4; ++i) digest += static_cast<char>(w >> (8 * i));
  EXPECT_EQ(HexEncode(digest), "900150983cd24fb0d6963f7d28e17f72");
}

// Every length up to a few blocks: where the padding spills into a block of
// its own (56 bytes modulo 64 and more) and where it does not.
TEST(Md5Test, PaddingAtEveryLengthAroundABlock) {
  std::mt19937_64 rng(1321);
  std::string bytes = RandomBytes(rng, 200);
  for (size_t n = 0; n <= bytes.size(); ++n)
    ASSERT_EQ(Ours(std::string_view(bytes).substr(0, n)),
              OpenSsl(std::string_view(bytes).substr(0, n)))
        << n << " bytes";
}

TEST(Md5Test, MatchesOpenSslAtRandomLengthsAndCuts) {
  std::mt19937_64 rng(14);
  std::string all = RandomBytes(rng, 10'000);
  for (size_t n = 0; n <= all.size(); ++n) {
    std::string_view bytes = std::string_view(all).substr(0, n);
    std::string expected = OpenSsl(bytes);
    ASSERT_EQ(Ours(bytes), expected) << n << " bytes in one piece";
    std::vector<size_t> cuts;
    for (size_t k = rng() % 5; k > 0; --k) cuts.push_back(n ? rng() % (n + 1) : 0);
    ASSERT_EQ(InPieces(bytes, cuts), expected) << n << " bytes in " << cuts.size() + 1 << " pieces";
    Digest d(Digest::Kind::kMd5);
    size_t at = 0;
    while (at < n) {
      size_t take = std::min<size_t>(n - at, rng() % 300);
      d.Update(bytes.substr(at, take));
      at += take;
    }
    ASSERT_EQ(d.Finish(), expected) << n << " bytes through Digest";
  }
}

TEST(Md5Test, MatchesOpenSslOn64MiB) {
  std::mt19937_64 rng(64);
  std::string bytes(64u << 20, '\0');
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t w = rng();
    std::memcpy(bytes.data() + i, &w, 8);
  }
  std::string expected = OpenSsl(bytes);
  EXPECT_EQ(Ours(bytes), expected);
  // In the pieces of an upload: 1 MiB buffers, and an odd-sized first piece.
  EXPECT_EQ(InPieces(bytes, {12'345, 12'345 + (1u << 20), 12'345 + (2u << 20), 40u << 20}),
            expected);
}

}  // namespace
}  // namespace plumbline::crypto
