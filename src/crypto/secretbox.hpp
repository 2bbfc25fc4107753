// SecretBox: authenticated encryption of small secrets at rest (access-key
// secrets in the store) with XChaCha20-Poly1305 (libsodium's IETF AEAD), under
// a 32-byte server key kept outside the database.
//
// The key comes from PLUMBLINE_SECRETS_KEY (64 hex characters) when set, else
// from DATA_DIR/secrets.key (hex, mode 0600), created atomically on first use.
// Sealed values are text: "plbsec1:" + hex(nonce || ciphertext || tag); the
// caller's context (e.g. the access key id) is bound as associated data.
//
// Thread safety: a SecretBox is immutable after construction; Seal and Open
// may be called from several threads. The key is wiped on destruction.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace plumbline::crypto {

class SecretBox {
 public:
  // From PLUMBLINE_SECRETS_KEY, else DATA_DIR/secrets.key (created when
  // missing). kInvalidArgument for a malformed key or a key file readable by
  // group or others; kUnavailable when the file cannot be read or written.
  static Result<std::shared_ptr<const SecretBox>> LoadOrCreate(const std::string& data_dir);
  // From 64 hex characters (tests). kInvalidArgument when malformed.
  static Result<std::shared_ptr<const SecretBox>> FromHex(std::string_view key_hex);

  ~SecretBox();
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;

  // A fresh random nonce each call, so sealing twice gives different text.
  std::string Seal(std::string_view plain, std::string_view context) const;
  // The plaintext; kInvalidArgument when `sealed` is not a SecretBox value,
  // was made under another key or context, or was altered.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;
  // True when `stored` has the sealed form's prefix (legacy rows do not).
  static bool IsSealed(std::string_view stored);

 private:
  explicit SecretBox(std::string key);
  std::string key_;  // 32 raw bytes
};

}  // namespace plumbline::crypto
