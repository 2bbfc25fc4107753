// Private to kms/: the sealing helpers and constants keyring.cpp and
// key_admin.cpp share. Not a public header.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "kms/kms.hpp"
#include "store/store.hpp"

namespace plumbline::kms {

inline constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
inline constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
inline constexpr unsigned char kBlobVersion = 1;        // data keys of output envelopes
inline constexpr unsigned char kCiphertextVersion = 2;  // the KMS API's ciphertexts
// Domain separation: a sealed master key can never be taken for a data key.
inline constexpr std::string_view kMasterAd = "plumbline-kms-master-key:";
inline constexpr std::string_view kDataAd = "plumbline-kms-data-key:";
inline constexpr std::string_view kCiphertextAd = "plumbline-kms-ciphertext:";
inline constexpr std::string_view kManagedAlias = "alias/aws/s3";

struct KeyRing::Resolved {
  store::KmsKey row;
};

inline const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

inline std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

// nonce | AEAD(plain, ad)
inline std::string Seal(std::string_view key, std::string_view plain, std::string_view ad) {
  std::string out = RandomBytes(kNonceBytes);
  out.resize(kNonceBytes + plain.size() + kTagBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(out.data()) + kNonceBytes,
                                             &clen, U(plain), plain.size(), U(ad), ad.size(), nullptr,
                                             U(out), U(key));
  return out;
}

inline Result<std::string> Unseal(std::string_view key, std::string_view sealed, std::string_view ad) {
  if (sealed.size() < kNonceBytes + kTagBytes) return InvalidArgument("sealed value is too short");
  std::string out(sealed.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()), &mlen,
                                                 nullptr, U(sealed) + kNonceBytes,
                                                 sealed.size() - kNonceBytes, U(ad), ad.size(),
                                                 U(sealed), U(key)) != 0)
    return InvalidArgument("sealed value failed authentication");
  out.resize(mlen);
  return out;
}

KeyInfo Info(const store::KmsKey& k);
std::string TagsJson(const std::vector<Tag>& tags);
std::vector<Tag> TagsOf(const std::string& tags_json);

}  // namespace plumbline::kms
