// Streaming digests for object storage: MD5 (S3's ETag), SHA-256 (SigV4
// payload hashes of bodies that never sit in memory whole), and the CRC
// checksums newer AWS SDKs send with uploads (x-amz-checksum-crc32,
// -crc32c). MD5 is the project's own (md5.hpp: the ETag of every upload is
// the hot path of a large PutObject), SHA-256 OpenSSL's EVP (with the CPU's
// SHA extensions where there are some), the CRCs small tables.
//
// A Digest is used by one thread at a time; distinct Digests are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace plumbline::crypto {

class Md5Hasher;

class Digest {
 public:
  enum class Kind { kMd5, kSha256, kCrc32, kCrc32c };
  explicit Digest(Kind kind);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;

  void Update(std::string_view bytes);
  // The raw digest (16, 32 or 4 bytes, CRCs big-endian as AWS encodes them).
  // The Digest may not be updated afterwards.
  std::string Finish();
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
  struct Evp;
  std::unique_ptr<Evp> evp_;  // SHA-256
  std::unique_ptr<Md5Hasher> md5_;
  uint32_t crc_ = 0;
};

// One-shot helpers.
std::string Md5(std::string_view bytes);  // raw 16 bytes
// (Base64 of checksums: crypto/envelope.hpp's Base64Encode.)

}  // namespace plumbline::crypto
