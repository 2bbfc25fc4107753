#include "crypto/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "crypto/md5.hpp"

namespace plumbline::crypto {
namespace {

// Reflected CRC tables: CRC-32 (IEEE, as zlib) and CRC-32C (Castagnoli).
std::array<uint32_t, 256> MakeTable(uint32_t poly) {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (poly ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}

uint32_t CrcUpdate(const std::array<uint32_t, 256>& table, uint32_t crc, std::string_view bytes) {
  uint32_t c = ~crc;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return ~c;
}

const std::array<uint32_t, 256>& Crc32Table() {
  static const auto t = MakeTable(0xEDB88320u);
  return t;
}
const std::array<uint32_t, 256>& Crc32cTable() {
  static const auto t = MakeTable(0x82F63B78u);
  return t;
}


}  // namespace

struct Digest::Evp {
  EVP_MD_CTX* ctx = nullptr;
  ~Evp() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Kind kind) : kind_(kind) {
  if (kind == Kind::kMd5) {
    md5_ = std::make_unique<Md5Hasher>();
  } else if (kind == Kind::kSha256) {
    evp_ = std::make_unique<Evp>();
    evp_->ctx = EVP_MD_CTX_new();
    if (!evp_->ctx || EVP_DigestInit_ex(evp_->ctx, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("OpenSSL digest initialisation failed");
  }
}
Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::Update(std::string_view bytes) {
  switch (kind_) {
    case Kind::kCrc32: crc_ = CrcUpdate(Crc32Table(), crc_, bytes); break;
    case Kind::kCrc32c: crc_ = CrcUpdate(Crc32cTable(), crc_, bytes); break;
    case Kind::kMd5: md5_->Update(bytes); break;
    default: EVP_DigestUpdate(evp_->ctx, bytes.data(), bytes.size());
  }
}

std::string Digest::Finish() {
  if (kind_ == Kind::kCrc32 || kind_ == Kind::kCrc32c) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((crc_ >> (24 - 8 * i)) & 0xff);
    return out;
  }
  if (kind_ == Kind::kMd5) {
    auto md = md5_->Finish();
    return std::string(reinterpret_cast<const char*>(md.data()), md.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(evp_->ctx, md, &n);
  return std::string(reinterpret_cast<char*>(md), n);
}

std::string Md5(std::string_view bytes) {
  Digest d(Digest::Kind::kMd5);
  d.Update(bytes);
  return d.Finish();
}

}  // namespace plumbline::crypto
