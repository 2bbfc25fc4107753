#include "crypto/md5.hpp"

#include <bit>
#include <cstring>

namespace plumbline::crypto {
namespace {

// Each of the 64 steps computes a new word from the four latest,
//   a' = b + rotl(a + f(b, c, d) + M[g] + K, s)
// where b is the word the step before produced, c the one before it, and so
// on; a' is the next step's b. So the time of a block is 64 times the path
// from b to a', and everything that does not need b can run beside it: a,
// c and d are older, and M[g] + K does not depend on the state at all. Each
// step below adds M[g] + K into a first and computes the part of f that does
// not need b, leaving on the path from b:
//   round 1, f = (b & c) | (~b & d) as d ^ (b & (c ^ d)): and, xor, add,
//            rotate, add (5);
//   round 2, f = (b & d) | (c & ~d): the two sides have no bit in common,
//            so f is their sum; c & ~d goes into a ahead and the path is
//            and, add, rotate, add (4);
//   round 3, f = b ^ c ^ d with c ^ d ahead: xor, add, rotate, add (4);
//   round 4, f = c ^ (b | ~d) with ~d ahead: or, xor, add, rotate, add (5).
// (With the or of round 2 kept, as common MD5 code does, that round takes 5.)
// std::rotl lets the compiler emit one rotate instruction.

// The little-endian 32-bit word at `p` (the compiler makes it one load).
inline uint32_t Word(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

template <int S>
inline uint32_t Step1(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t m, uint32_t k) {
  uint32_t early = a + m + k;
  uint32_t cd = c ^ d;
  return std::rotl(early + (d ^ (b & cd)), S) + b;
}

template <int S>
inline uint32_t Step2(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t m, uint32_t k) {
  uint32_t early = a + m + k + (c & ~d);
  return std::rotl(early + (b & d), S) + b;
}

template <int S>
inline uint32_t Step3(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t m, uint32_t k) {
  uint32_t early = a + m + k;
  uint32_t cd = c ^ d;
  return std::rotl(early + (b ^ cd), S) + b;
}

template <int S>
inline uint32_t Step4(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t m, uint32_t k) {
  uint32_t early = a + m + k;
  uint32_t not_d = ~d;
  return std::rotl(early + (c ^ (b | not_d)), S) + b;
}

}  // namespace

// The state stays in registers from one block to the next: storing it and
// loading it back between two blocks puts a store-to-load forwarding on the
// chain too (4.74 cycles per byte that way here, 4.53 this way).
void Md5Blocks(Md5State& state, const unsigned char* p, size_t count) {
  uint32_t sa = state[0], sb = state[1], sc = state[2], sd = state[3];
  for (; count > 0; --count, p += 64) {
    // The message words are loaded where they are used (a copy of all 16
    // first would not fit in the registers and only adds stores).
    auto m = [p](int i) { return Word(p + 4 * i); };
    uint32_t a = sa, b = sb, c = sc, d = sd;

    // RFC 1321, 3.4: the constants are floor(2^32 * |sin(i + 1)|).
    a = Step1<7>(a, b, c, d, m(0), 0xd76aa478u);
    d = Step1<12>(d, a, b, c, m(1), 0xe8c7b756u);
    c = Step1<17>(c, d, a, b, m(2), 0x242070dbu);
    b = Step1<22>(b, c, d, a, m(3), 0xc1bdceeeu);
    a = Step1<7>(a, b, c, d, m(4), 0xf57c0fafu);
    d = Step1<12>(d, a, b, c, m(5), 0x4787c62au);
    c = Step1<17>(c, d, a, b, m(6), 0xa8304613u);
    b = Step1<22>(b, c, d, a, m(7), 0xfd469501u);
    a = Step1<7>(a, b, c, d, m(8), 0x698098d8u);
    d = Step1<12>(d, a, b, c, m(9), 0x8b44f7afu);
    c = Step1<17>(c, d, a, b, m(10), 0xffff5bb1u);
    b = Step1<22>(b, c, d, a, m(11), 0x895cd7beu);
    a = Step1<7>(a, b, c, d, m(12), 0x6b901122u);
    d = Step1<12>(d, a, b, c, m(13), 0xfd987193u);
    c = Step1<17>(c, d, a, b, m(14), 0xa679438eu);
    b = Step1<22>(b, c, d, a, m(15), 0x49b40821u);

    a = Step2<5>(a, b, c, d, m(1), 0xf61e2562u);
    d = Step2<9>(d, a, b, c, m(6), 0xc040b340u);
    c = Step2<14>(c, d, a, b, m(11), 0x265e5a51u);
    b = Step2<20>(b, c, d, a, m(0), 0xe9b6c7aau);
    a = Step2<5>(a, b, c, d, m(5), 0xd62f105du);
    d = Step2<9>(d, a, b, c, m(10), 0x02441453u);
    c = Step2<14>(c, d, a, b, m(15), 0xd8a1e681u);
    b = Step2<20>(b, c, d, a, m(4), 0xe7d3fbc8u);
    a = Step2<5>(a, b, c, d, m(9), 0x21e1cde6u);
    d = Step2<9>(d, a, b, c, m(14), 0xc33707d6u);
    c = Step2<14>(c, d, a, b, m(3), 0xf4d50d87u);
    b = Step2<20>(b, c, d, a, m(8), 0x455a14edu);
    a = Step2<5>(a, b, c, d, m(13), 0xa9e3e905u);
    d = Step2<9>(d, a, b, c, m(2), 0xfcefa3f8u);
    c = Step2<14>(c, d, a, b, m(7), 0x676f02d9u);
    b = Step2<20>(b, c, d, a, m(12), 0x8d2a4c8au);

    a = Step3<4>(a, b, c, d, m(5), 0xfffa3942u);
    d = Step3<11>(d, a, b, c, m(8), 0x8771f681u);
    c = Step3<16>(c, d, a, b, m(11), 0x6d9d6122u);
    b = Step3<23>(b, c, d, a, m(14), 0xfde5380cu);
    a = Step3<4>(a, b, c, d, m(1), 0xa4beea44u);
    d = Step3<11>(d, a, b, c, m(4), 0x4bdecfa9u);
    c = Step3<16>(c, d, a, b, m(7), 0xf6bb4b60u);
    b = Step3<23>(b, c, d, a, m(10), 0xbebfbc70u);
    a = Step3<4>(a, b, c, d, m(13), 0x289b7ec6u);
    d = Step3<11>(d, a, b, c, m(0), 0xeaa127fau);
    c = Step3<16>(c, d, a, b, m(3), 0xd4ef3085u);
    b = Step3<23>(b, c, d, a, m(6), 0x04881d05u);
    a = Step3<4>(a, b, c, d, m(9), 0xd9d4d039u);
    d = Step3<11>(d, a, b, c, m(12), 0xe6db99e5u);
    c = Step3<16>(c, d, a, b, m(15), 0x1fa27cf8u);
    b = Step3<23>(b, c, d, a, m(2), 0xc4ac5665u);

    a = Step4<6>(a, b, c, d, m(0), 0xf4292244u);
    d = Step4<10>(d, a, b, c, m(7), 0x432aff97u);
    c = Step4<15>(c, d, a, b, m(14), 0xab9423a7u);
    b = Step4<21>(b, c, d, a, m(5), 0xfc93a039u);
    a = Step4<6>(a, b, c, d, m(12), 0x655b59c3u);
    d = Step4<10>(d, a, b, c, m(3), 0x8f0ccc92u);
    c = Step4<15>(c, d, a, b, m(10), 0xffeff47du);
    b = Step4<21>(b, c, d, a, m(1), 0x85845dd1u);
    a = Step4<6>(a, b, c, d, m(8), 0x6fa87e4fu);
    d = Step4<10>(d, a, b, c, m(15), 0xfe2ce6e0u);
    c = Step4<15>(c, d, a, b, m(6), 0xa3014314u);
    b = Step4<21>(b, c, d, a, m(13), 0x4e0811a1u);
    a = Step4<6>(a, b, c, d, m(4), 0xf7537e82u);
    d = Step4<10>(d, a, b, c, m(11), 0xbd3af235u);
    c = Step4<15>(c, d, a, b, m(2), 0x2ad7d2bbu);
    b = Step4<21>(b, c, d, a, m(9), 0xeb86d391u);

    sa += a;
    sb += b;
    sc += c;
    sd += d;
  }
  state = {sa, sb, sc, sd};
}

void Md5Hasher::Update(std::string_view bytes) {
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t have = length_ % 64;
  length_ += n;
  if (have) {
    size_t take = n < 64 - have ? n : 64 - have;
    std::memcpy(partial_.data() + have, p, take);
    p += take;
    n -= take;
    if (have + take < 64) return;
    Md5Blocks(state_, partial_.data(), 1);
  }
  Md5Blocks(state_, p, n / 64);
  std::memcpy(partial_.data(), p + n / 64 * 64, n % 64);
}

std::array<unsigned char, 16> Md5Hasher::Finish() {
  // RFC 1321, 3.1-3.2: a one bit, zeros up to 56 bytes modulo 64, then the
  // length in bits as a little-endian 64-bit number.
  uint64_t bits = length_ * 8;
  unsigned char tail[72] = {0x80};
  size_t pad = 64 - (length_ + 8) % 64;  // 1..64 bytes of padding
  for (int i = 0; i < 8; ++i) tail[pad + i] = static_cast<unsigned char>(bits >> (8 * i));
  Update(std::string_view(reinterpret_cast<const char*>(tail), pad + 8));
  std::array<unsigned char, 16> out;
  for (int w = 0; w < 4; ++w)
    for (int i = 0; i < 4; ++i) out[4 * w + i] = static_cast<unsigned char>(state_[w] >> (8 * i));
  return out;
}

}  // namespace plumbline::crypto
