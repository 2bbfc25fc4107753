// SignInThrottle (private to identity/): slows down password guessing at sign-in.
//
// Failures are counted per username (case-insensitive) and per remote
// address within a sliding window. When either count reaches its limit the
// key is locked out: attempts are refused (HTTP 429 + Retry-After) without
// checking the password. Each lockout of the same key, until it has been
// quiet for a while, lasts twice as long as the previous one (capped).
// A successful sign-in clears the username's record (not the address's: one
// valid account must not launder an address's guesses at others).
//
// Time comes from the Clock (tests: FakeClock, see
// tests/identity/sign_in_throttle_test.cpp). Memory is bounded: at most
// max_tracked keys; idle keys are dropped first. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "identity/identity.hpp"

namespace plumbline::identity {

class SignInThrottle {
 public:
  using Options = SignInThrottleOptions;  // identity/identity.hpp

  SignInThrottle(const Clock& clock, Options options);

  // 0 when an attempt for this username from this address may proceed, else
  // the seconds (rounded up, >= 1) until it may.
  int64_t RetryAfterSeconds(const std::string& username, const std::string& address);
  // Records a failed attempt (wrong password, unknown or disabled user).
  void RecordFailure(const std::string& username, const std::string& address);
  // Records a successful sign-in: the username's failures are forgotten.
  void RecordSuccess(const std::string& username);

 private:
  struct Entry {
    std::deque<int64_t> failures_ms;  // within the window
    int64_t locked_until_ms = 0;
    int64_t last_failure_ms = 0;
    int lockouts = 0;                 // consecutive lockouts: the backoff exponent
  };
  void Fail(const std::string& key, int limit, int64_t now);
  int64_t Wait(const std::string& key, int64_t now) const;
  void Prune(int64_t now);

  const Clock& clock_;
  Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // "u:<name>" and "a:<address>"
};

}  // namespace plumbline::identity
