#include "http/range.hpp"

#include <algorithm>

namespace plumbline::http {
namespace {

// A run of 1 to 19 decimal digits (so it fits in 64 bits).
bool ParseCount(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = n;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ByteRange ParseByteRange(std::string_view header, uint64_t size) {
  ByteRange whole;
  header = Trim(header);
  if (header.substr(0, 6) != "bytes=") return whole;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string_view first = Trim(spec.substr(0, dash)), last = Trim(spec.substr(dash + 1));
  ByteRange out;
  uint64_t a = 0, b = 0;
  if (first.empty()) {  // suffix: the last b bytes
    if (!ParseCount(last, &b) || b == 0) return whole;
    if (size == 0) {
      out.kind = ByteRange::kUnsatisfiable;
      return out;
    }
    out.kind = ByteRange::kPartial;
    out.start = size > b ? size - b : 0;
    out.length = size - out.start;
    return out;
  }
  if (!ParseCount(first, &a)) return whole;
  if (!last.empty() && (!ParseCount(last, &b) || b < a)) return whole;
  if (a >= size) {
    out.kind = ByteRange::kUnsatisfiable;
    return out;
  }
  uint64_t end = last.empty() ? size - 1 : std::min(b, size - 1);
  out.kind = ByteRange::kPartial;
  out.start = a;
  out.length = end - a + 1;
  return out;
}

std::string ContentRange(const ByteRange& range, uint64_t size) {
  if (range.kind != ByteRange::kPartial) return "bytes */" + std::to_string(size);
  return "bytes " + std::to_string(range.start) + "-" +
         std::to_string(range.start + range.length - 1) + "/" + std::to_string(size);
}

bool EtagListMatches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view one = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (one == "*") return true;
    if (one.substr(0, 2) == "W/") one.remove_prefix(2);
    if (one.size() >= 2 && one.front() == '"' && one.back() == '"') one = one.substr(1, one.size() - 2);
    if (one == etag) return true;
  }
  return false;
}

}  // namespace plumbline::http
