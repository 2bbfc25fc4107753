// Small text encodings shared across subsystems.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace plumbline {

// ASCII case folding: only A-Z change, whatever the process's C locale says,
// so protocol names (HTTP headers, SigV4, S3 and KMS names) and identifiers
// (usernames, team and job names) fold alike in every room.
constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);  // ASCII letters fold

// The value of a hexadecimal digit (0-9, a-f, A-F), or -1.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes a string of hexadecimal digit pairs spells (either case), or
// nullopt (an odd length, a non-digit). Not for secrets: its time depends
// on the input (those use libsodium's sodium_hex2bin).
std::optional<std::string> HexDecode(std::string_view hex);

// RFC 3986 percent-encoding: everything but the unreserved characters
// (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex); '/' too unless
// keep_slash (object keys and URI paths). This is what SigV4, S3 keys and
// query parameters need. (Liquid's url_encode differs: it follows Ruby.)
void AppendPercentEncoded(std::string& out, std::string_view s, bool keep_slash = false);
std::string PercentEncode(std::string_view s, bool keep_slash = false);

// Escapes & < > " ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view s);
// Escapes & < > " ' (as XML's entities) and CR (as &#13;, so a parser
// keeps it) for XML element text and attribute values.
std::string EscapeXml(std::string_view s);

}  // namespace plumbline
