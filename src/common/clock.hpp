// Clock: the only source of "now" in Plumbline, so that leases, expiry and
// timestamps can be tested without sleeping (see tests/common/clock_test.cpp).
//
// SystemClock reads the wall clock. FakeClock is set and advanced by tests.
// Both are safe to use from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace plumbline {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time with millisecond precision.
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  // A process-wide instance.
  static const Clock& Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t epoch_ms = 1'700'000'000'000) : ms_(epoch_ms) {}
  TimePoint Now() const override { return TimePoint(std::chrono::milliseconds(ms_.load())); }
  void Set(int64_t epoch_ms) { ms_ = epoch_ms; }
  void Advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<int64_t> ms_;
};

inline int64_t ToEpochMs(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromEpochMs(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// Formats used by Ground Truth's files and APIs.
// "2020-05-21T17:36:45.814000" (UTC, microseconds, no zone): output-manifest creation-date.
std::string FormatIsoMicros(TimePoint t);
// "2022-08-05T06:44:45.745Z" (UTC, milliseconds): worker-response times.
std::string FormatIsoMillisZ(TimePoint t);
// "2026-11-23_19:45:02" (UTC): timestamped output file names.
std::string FormatFileStamp(TimePoint t);
// "20261123T194041Z": SigV4's X-Amz-Date.
std::string FormatAmzDate(TimePoint t);
// Parses "20261123T194041Z"; returns false when malformed.
bool ParseAmzDate(const std::string& s, TimePoint* out);

}  // namespace plumbline
