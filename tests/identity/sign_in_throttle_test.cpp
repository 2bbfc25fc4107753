#include "identity/detail/sign_in_throttle.hpp"

#include <gtest/gtest.h>

namespace plumbline::identity {
namespace {

using std::chrono::seconds;

SignInThrottle::Options Opts() {
  SignInThrottle::Options o;
  o.max_failures_per_user = 5;
  o.max_failures_per_address = 20;
  o.window = seconds(300);
  o.first_lockout = seconds(60);
  o.max_lockout = seconds(3600);
  return o;
}

TEST(SignInThrottle, FiveFailuresLockTheUsernameForAMinute) {
  FakeClock clock;
  SignInThrottle t(clock, Opts());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(t.RetryAfterSeconds("alice", "10.0.0.1"), 0);
    t.RecordFailure("alice", "10.0.0.1");
  }
  EXPECT_EQ(t.RetryAfterSeconds("alice", "10.0.0.1"), 0);
  t.RecordFailure("ALICE", "10.0.0.2");  // usernames are case-insensitive
  EXPECT_EQ(t.RetryAfterSeconds("alice", "10.0.0.9"), 60);
  EXPECT_EQ(t.RetryAfterSeconds("bob", "10.0.0.1"), 0);  // other users are not affected
  clock.Advance(seconds(59));
  EXPECT_EQ(t.RetryAfterSeconds("alice", "10.0.0.1"), 1);
  clock.Advance(seconds(1));
  EXPECT_EQ(t.RetryAfterSeconds("alice", "10.0.0.1"), 0);
}

TEST(SignInThrottle, FailuresOutsideTheWindowDoNotCount) {
  FakeClock clock;
  SignInThrottle t(clock, Opts());
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "a");
  clock.Advance(seconds(301));
  t.RecordFailure("alice", "a");
  EXPECT_EQ(t.RetryAfterSeconds("alice", "a"), 0);
}

TEST(SignInThrottle, RepeatedLockoutsBackOffExponentiallyUpToTheCap) {
  FakeClock clock;
  SignInThrottle t(clock, Opts());
  int64_t expected = 60;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 5; ++i) t.RecordFailure("alice", "a" + std::to_string(round));
    EXPECT_EQ(t.RetryAfterSeconds("alice", "x"), std::min<int64_t>(expected, 3600)) << round;
    clock.Advance(seconds(t.RetryAfterSeconds("alice", "x")));
    expected *= 2;
  }
}

TEST(SignInThrottle, SuccessClearsTheUsernameButNotTheAddress) {
  FakeClock clock;
  SignInThrottle t(clock, Opts());
  for (int i = 0; i < 4; ++i) t.RecordFailure("alice", "a");
  t.RecordSuccess("alice");
  t.RecordFailure("alice", "a");
  EXPECT_EQ(t.RetryAfterSeconds("alice", "a"), 0);
  // 20 failures from one address over many usernames lock the address.
  for (int i = 0; i < 15; ++i) t.RecordFailure("user" + std::to_string(i), "spray");
  EXPECT_EQ(t.RetryAfterSeconds("fresh-user", "spray"), 0);
  for (int i = 15; i < 20; ++i) t.RecordFailure("user" + std::to_string(i), "spray");
  EXPECT_EQ(t.RetryAfterSeconds("fresh-user", "spray"), 60);
  EXPECT_EQ(t.RetryAfterSeconds("fresh-user", "elsewhere"), 0);
}

TEST(SignInThrottle, QuietKeysStartTheirBackoffAfresh) {
  FakeClock clock;
  SignInThrottle t(clock, Opts());
  for (int i = 0; i < 5; ++i) t.RecordFailure("alice", "a");
  clock.Advance(seconds(7200));
  for (int i = 0; i < 5; ++i) t.RecordFailure("alice", "a");
  EXPECT_EQ(t.RetryAfterSeconds("alice", "a"), 60);
}

TEST(SignInThrottle, MemoryStaysBounded) {
  FakeClock clock;
  auto o = Opts();
  o.max_tracked = 100;
  SignInThrottle t(clock, o);
  for (int i = 0; i < 1000; ++i) t.RecordFailure("u" + std::to_string(i), "addr" + std::to_string(i));
  // Still answers; the newest keys are kept.
  EXPECT_EQ(t.RetryAfterSeconds("u999", "x"), 0);
}

}  // namespace
}  // namespace plumbline::identity
