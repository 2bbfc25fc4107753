// Password hashing for portal and console users: Argon2id through libsodium's
// crypto_pwhash_str with the "interactive" limits (about 64 MiB and a few
// tens of milliseconds per call). The stored form is the self-describing
// PHC string "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>", so limits can be
// raised later without breaking old hashes (see PasswordNeedsRehash).
//
// Thread safety: safe to call from several threads; each call allocates its
// own working memory.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace plumbline::crypto {

// Hashes `password` with a fresh random salt. Fails with kUnavailable when the
// working memory cannot be allocated.
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `stored_hash` (a HashPassword result). A
// malformed or foreign hash string is simply "no match".
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

// True when `stored_hash` was made with other limits than the current ones (or
// is malformed), i.e. the caller should re-hash after a successful login.
bool PasswordNeedsRehash(std::string_view stored_hash);

}  // namespace plumbline::crypto
