// MD5 (RFC 1321) of the project's own, for the ETag of every S3 upload: the
// digest thread of a large PutObject spends its time here (see digest.hpp,
// s3/detail/digest_pipeline.hpp). The compression function is written for
// the length of the dependency chain from one step to the next rather than
// for the number of instructions (md5.cpp says how); it gives the same bytes
// as any other MD5.
//
// An Md5Hasher is used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace plumbline::crypto {

using Md5State = std::array<uint32_t, 4>;

// The state before the first block (RFC 1321, 3.3).
inline constexpr Md5State kMd5Initial = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};

// Runs the compression function over `count` whole 64-byte blocks at `blocks`.
void Md5Blocks(Md5State& state, const unsigned char* blocks, size_t count);

class Md5Hasher {
 public:
  void Update(std::string_view bytes);
  // The 16 raw bytes; the hasher may not be updated afterwards.
  std::array<unsigned char, 16> Finish();

 private:
  Md5State state_ = kMd5Initial;
  uint64_t length_ = 0;                      // bytes given so far
  std::array<unsigned char, 64> partial_{};  // the first length_ % 64 bytes of the next block
};

}  // namespace plumbline::crypto
