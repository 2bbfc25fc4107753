#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace plumbline {
namespace {

TEST(ClockTest, FormatsGroundTruthTimestamps) {
  TimePoint t = FromEpochMs(1763926841501);  // 2025-11-23T19:40:41.501Z
  EXPECT_EQ(FormatIsoMicros(t), "2025-11-23T19:40:41.501000");
  EXPECT_EQ(FormatIsoMillisZ(t), "2025-11-23T19:40:41.501Z");
  EXPECT_EQ(FormatFileStamp(t), "2025-11-23_19:40:41");
  EXPECT_EQ(FormatAmzDate(t), "20251123T194041Z");
}

TEST(ClockTest, ParsesAmzDateRoundTrip) {
  TimePoint t;
  ASSERT_TRUE(ParseAmzDate("20251123T194041Z", &t));
  EXPECT_EQ(ToEpochMs(t), 1763926841000);
  EXPECT_FALSE(ParseAmzDate("2025-11-23T19:40:41Z", &t));
  EXPECT_FALSE(ParseAmzDate("20251323T194041Z", &t));
  EXPECT_FALSE(ParseAmzDate("", &t));
}

TEST(ClockTest, FakeClockAdvancesWithoutSleeping) {
  FakeClock clock(1000);
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(ToEpochMs(clock.Now()), 31000);
}

}  // namespace
}  // namespace plumbline
