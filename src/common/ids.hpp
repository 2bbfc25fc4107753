// Random identifiers and tokens (access keys, session tokens, job reference
// codes). Uses the operating system's CSPRNG; safe from several threads.
#pragma once

#include <string>

namespace plumbline {

// `n` characters from [A-Za-z0-9].
std::string RandomAlnum(size_t n);
// `n` characters from [A-Z0-9] (access key ids look like AKIA + 16 of these).
std::string RandomUpperAlnum(size_t n);
// 2*n lowercase hex characters from n random bytes.
std::string RandomHex(size_t n);
// `n` random bytes (data keys of the KMS API).
std::string RandomBytes(size_t n);
// A version-4 UUID string, e.g. for x-amzn-RequestId.
std::string RandomUuid();
// Lowercase hex of bytes.
std::string ToHex(const unsigned char* data, size_t len);

}  // namespace plumbline
