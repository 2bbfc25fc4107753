// Private to src/crypto: one-time libsodium initialisation.
#pragma once

namespace plumbline::crypto::detail {
// Calls sodium_init() once per process; throws std::runtime_error if it fails.
void EnsureSodium();
}  // namespace plumbline::crypto::detail
