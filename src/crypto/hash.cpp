#include "crypto/hash.hpp"

#include <sodium.h>

#include <stdexcept>

#include "common/ids.hpp"
#include "crypto/detail/sodium_init.hpp"

namespace plumbline::crypto {

namespace detail {
void EnsureSodium() {
  // sodium_init is idempotent and thread-safe; a failure means no usable RNG,
  // which is a start-up failure, hence an exception.
  static const int rc = sodium_init();
  if (rc < 0) throw std::runtime_error("libsodium initialisation failed");
}
}  // namespace detail

std::string Sha256(std::string_view data) {
  detail::EnsureSodium();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  detail::EnsureSodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  sodium_memzero(&state, sizeof state);
  return out;
}

std::string HexEncode(std::string_view bytes) {
  return ToHex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  detail::EnsureSodium();
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace plumbline::crypto
