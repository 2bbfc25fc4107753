#include "common/ids.hpp"

#include <sys/random.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace plumbline {
namespace {
void Fill(unsigned char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(buf + got, n - got, 0);
    if (r < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<size_t>(r);
  }
}
std::string FromAlphabet(size_t n, std::string_view alphabet) {
  // Rejection sampling keeps the distribution uniform.
  std::string out;
  out.reserve(n);
  const unsigned limit = 256 - (256 % alphabet.size());
  std::array<unsigned char, 64> buf;
  while (out.size() < n) {
    Fill(buf.data(), buf.size());
    for (unsigned char c : buf) {
      if (c >= limit) continue;
      out.push_back(alphabet[c % alphabet.size()]);
      if (out.size() == n) break;
    }
  }
  return out;
}
}  // namespace

std::string RandomAlnum(size_t n) {
  return FromAlphabet(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}
std::string RandomUpperAlnum(size_t n) {
  return FromAlphabet(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
}

std::string ToHex(const unsigned char* data, size_t len) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

std::string RandomHex(size_t n) {
  std::vector<unsigned char> buf(n);
  Fill(buf.data(), n);
  return ToHex(buf.data(), n);
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  Fill(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

std::string RandomUuid() {
  std::array<unsigned char, 16> b;
  Fill(b.data(), b.size());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  std::string h = ToHex(b.data(), b.size());
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace plumbline
