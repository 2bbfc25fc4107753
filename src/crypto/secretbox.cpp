#include "crypto/secretbox.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/hash.hpp"

namespace plumbline::crypto {
namespace {

constexpr std::string_view kPrefix = "plbsec1:";
constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

bool HexDecode(std::string_view hex, std::string* out) {
  out->assign(hex.size() / 2, '\0');
  size_t len = 0;
  if (hex.size() % 2 != 0) return false;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != out->size())
    return false;
  return true;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<std::string> ReadKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Unavailable("cannot stat " + path);
  // A key others can read protects nothing: refuse it rather than use it.
  if ((st.st_mode & 077) != 0)
    return InvalidArgument(path + " must not be readable by group or others (chmod 600)");
  std::ifstream in(path);
  if (!in) return Unavailable("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Trim(ss.str());
}

}  // namespace

SecretBox::SecretBox(std::string key) : key_(std::move(key)) {}
SecretBox::~SecretBox() { sodium_memzero(key_.data(), key_.size()); }

Result<std::shared_ptr<const SecretBox>> SecretBox::FromHex(std::string_view key_hex) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  std::string key;
  if (key_hex.size() != 2 * kKeyBytes || !HexDecode(key_hex, &key))
    return InvalidArgument("the secrets key must be 64 hex characters (32 bytes)");
  return std::shared_ptr<const SecretBox>(new SecretBox(std::move(key)));
}

Result<std::shared_ptr<const SecretBox>> SecretBox::LoadOrCreate(const std::string& data_dir) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  if (const char* env = std::getenv("PLUMBLINE_SECRETS_KEY"); env && *env) return FromHex(Trim(env));
  const std::string path = data_dir + "/secrets.key";
  if (::access(path.c_str(), F_OK) != 0) {
    // Write a temporary file (0600) and link it into place: link() fails when
    // another process won the race, and nobody ever reads a half-written key.
    unsigned char raw[kKeyBytes];
    randombytes_buf(raw, sizeof raw);
    std::string text = HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw)) + "\n";
    sodium_memzero(raw, sizeof raw);
    std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                      std::to_string(randombytes_random());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Unavailable("cannot create " + tmp);
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    sodium_memzero(text.data(), text.size());
    if (ok && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) ok = false;
    ::unlink(tmp.c_str());
    if (!ok) return Unavailable("cannot write " + path);
  }
  PLB_ASSIGN_OR_RETURN(std::string hex, ReadKeyFile(path));
  auto box = FromHex(hex);
  sodium_memzero(hex.data(), hex.size());
  if (!box) return InvalidArgument(path + ": " + box.error().message);
  return box;
}

bool SecretBox::IsSealed(std::string_view stored) { return stored.substr(0, kPrefix.size()) == kPrefix; }

std::string SecretBox::Seal(std::string_view plain, std::string_view context) const {
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(p, kNonceBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + kNonceBytes, &clen, U(plain), plain.size(),
                                             U(context), context.size(), nullptr, p, U(key_));
  out.resize(kNonceBytes + clen);
  return std::string(kPrefix) + HexEncode(out);
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view context) const {
  std::string raw;
  if (!IsSealed(sealed) || !HexDecode(sealed.substr(kPrefix.size()), &raw) ||
      raw.size() < kNonceBytes + kTagBytes)
    return InvalidArgument("not a sealed secret");
  std::string plain(raw.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long plen = 0;
  const auto* p = U(raw);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr, p + kNonceBytes,
          raw.size() - kNonceBytes, U(context), context.size(), p, U(key_)) != 0)
    return InvalidArgument("the sealed secret does not open under this key and context");
  plain.resize(plen);
  return plain;
}

}  // namespace plumbline::crypto
