#include "crypto/digest.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

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

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

struct Digest::Evp {
  EVP_MD_CTX* ctx = nullptr;
  ~Evp() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(Kind kind) : kind_(kind) {
  if (kind == Kind::kMd5 || kind == Kind::kSha256) {
    evp_ = std::make_unique<Evp>();
    evp_->ctx = EVP_MD_CTX_new();
    if (!evp_->ctx ||
        EVP_DigestInit_ex(evp_->ctx, kind == Kind::kMd5 ? EVP_md5() : EVP_sha256(), nullptr) != 1)
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
    default: EVP_DigestUpdate(evp_->ctx, bytes.data(), bytes.size());
  }
}

std::string Digest::Finish() {
  if (kind_ == Kind::kCrc32 || kind_ == Kind::kCrc32c) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((crc_ >> (24 - 8 * i)) & 0xff);
    return out;
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

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  out->clear();
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return false;
      v[k] = val(c);
      if (v[k] < 0) return false;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>(n >> 16));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xff));
  }
  return true;
}

}  // namespace plumbline::crypto
