// Hashing primitives over libsodium: SHA-256, HMAC-SHA256 and hex encoding.
//
// Byte strings travel as std::string / std::string_view holding raw bytes.
// All functions are pure and safe to call from several threads.
#pragma once

#include <string>
#include <string_view>

namespace plumbline::crypto {

// Lower-case hex of SHA-256(data): 64 characters.
std::string Sha256Hex(std::string_view data);

// Raw 32-byte SHA-256(data).
std::string Sha256(std::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key` (any key length).
std::string HmacSha256(std::string_view key, std::string_view data);

// Lower-case hex encoding of raw bytes.
std::string HexEncode(std::string_view bytes);

// True when a and b are equal, compared in time independent of where they
// differ (the lengths themselves are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace plumbline::crypto
