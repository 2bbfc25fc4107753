#include "crypto/envelope.hpp"

#include <gtest/gtest.h>

#include <string>

namespace plumbline::crypto {
namespace {

DataKey TestKey() {
  DataKey k;
  k.key_arn = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-4333-8444-555555555555";
  k.plaintext = std::string(32, '\x42');
  k.wrapped = "opaque-wrapped-key-bytes";
  return k;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

TEST(Envelope, RoundTripsAcrossChunkBoundaries) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{128}, size_t{1000}}) {
    std::string plain = Pattern(n);
    auto sealed = SealEnvelope(TestKey(), plain, 64);
    ASSERT_TRUE(sealed) << n;
    EXPECT_EQ(sealed->substr(0, 8), "PLBENC01");
    auto opened = OpenEnvelope(*sealed, TestKey().plaintext);
    ASSERT_TRUE(opened) << n << ": " << opened.error().message;
    EXPECT_EQ(*opened, plain) << n;
  }
}

TEST(Envelope, StreamingInPiecesEqualsOneShot) {
  std::string plain = Pattern(300000);
  auto enc = EnvelopeEncryptor::Create(TestKey(), 4096).value();
  std::string file;
  for (size_t i = 0; i < plain.size(); i += 777) file += enc->Update(plain.substr(i, 777)).value();
  file += enc->Finish().value();
  // Feed the decryptor one odd-sized piece at a time.
  EnvelopeDecryptor dec;
  std::string out;
  bool keyed = false;
  for (size_t i = 0; i < file.size(); i += 501) {
    out += dec.Update(std::string_view(file).substr(i, 501)).value();
    if (dec.header_ready() && !keyed) {
      EXPECT_EQ(dec.header().key_arn, TestKey().key_arn);
      EXPECT_EQ(dec.header().wrapped, TestKey().wrapped);
      EXPECT_EQ(dec.header().chunk_bytes, 4096u);
      ASSERT_TRUE(dec.SetDataKey(TestKey().plaintext));
      keyed = true;
      out += dec.Update({}).value();
    }
  }
  out += dec.Finish().value();
  EXPECT_EQ(out, plain);
}

TEST(Envelope, WrongKeyIsRefused) {
  auto sealed = SealEnvelope(TestKey(), "secret labels").value();
  auto opened = OpenEnvelope(sealed, std::string(32, '\x43'));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kInvalidArgument);
}

TEST(Envelope, EveryFlippedByteIsDetected) {
  // Small chunks so the file has a header, several chunks and the final tag.
  std::string plain = Pattern(200);
  std::string sealed = SealEnvelope(TestKey(), plain, 64).value();
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto opened = OpenEnvelope(bad, TestKey().plaintext);
    // A flip in the header may make it unparsable or change the key id or
    // wrapped key: in every case no plaintext comes out.
    EXPECT_FALSE(opened) << "flipped byte " << i << " of " << sealed.size() << " went unnoticed";
  }
}

TEST(Envelope, TruncationAndTrailingBytesAreDetected) {
  std::string sealed = SealEnvelope(TestKey(), Pattern(200), 64).value();
  for (size_t cut = 0; cut < sealed.size(); ++cut) {
    auto opened = OpenEnvelope(sealed.substr(0, cut), TestKey().plaintext);
    EXPECT_FALSE(opened) << "truncated to " << cut << " bytes went unnoticed";
  }
  EXPECT_FALSE(OpenEnvelope(sealed + "x", TestKey().plaintext));
  // Dropping a whole middle chunk (64 + 17 bytes) is detected too.
  size_t consumed = 0;
  ASSERT_TRUE(ParseEnvelopeHeader(sealed, &consumed));
  std::string dropped = sealed.substr(0, consumed + 24) + sealed.substr(consumed + 24 + 81);
  EXPECT_FALSE(OpenEnvelope(dropped, TestKey().plaintext));
}

TEST(Envelope, HeaderCarriesKeyIdAndWrappedKey) {
  std::string sealed = SealEnvelope(TestKey(), "x").value();
  size_t consumed = 0;
  auto h = ParseEnvelopeHeader(sealed, &consumed);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->key_arn, TestKey().key_arn);
  EXPECT_EQ(h->wrapped, TestKey().wrapped);
  EXPECT_EQ(h->chunk_bytes, kDefaultChunkBytes);
  EXPECT_FALSE(ParseEnvelopeHeader("not encrypted at all", &consumed));
}

TEST(Envelope, Base64RoundTrip) {
  for (std::string s : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("\x00\xff\x10", 3)})
    EXPECT_EQ(Base64Decode(Base64Encode(s)).value(), s);
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_FALSE(Base64Decode("Zm9v!"));
}

}  // namespace
}  // namespace plumbline::crypto
