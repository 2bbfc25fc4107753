#include "crypto/password.hpp"

#include <sodium.h>

#include "crypto/detail/sodium_init.hpp"

namespace plumbline::crypto {

namespace {
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

// crypto_pwhash_str_* want a NUL-terminated string that fits STRBYTES.
bool CopyHash(std::string_view stored, char (&buf)[crypto_pwhash_STRBYTES]) {
  if (stored.size() >= sizeof buf) return false;
  stored.copy(buf, stored.size());
  buf[stored.size()] = '\0';
  return true;
}
}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  detail::EnsureSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Unavailable("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  detail::EnsureSodium();
  char buf[crypto_pwhash_STRBYTES];
  if (!CopyHash(stored_hash, buf)) return false;
  // Only Argon2id hashes are ours; refuse anything else (e.g. argon2i).
  if (stored_hash.substr(0, 10) != "$argon2id$") return false;
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view stored_hash) {
  detail::EnsureSodium();
  char buf[crypto_pwhash_STRBYTES];
  if (!CopyHash(stored_hash, buf)) return true;
  if (stored_hash.substr(0, 10) != "$argon2id$") return true;
  return crypto_pwhash_str_needs_rehash(buf, kOpsLimit, kMemLimit) != 0;
}

}  // namespace plumbline::crypto
