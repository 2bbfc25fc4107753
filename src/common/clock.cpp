#include "common/clock.hpp"

#include <fmt/format.h>

#include <ctime>

namespace plumbline {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
}

const Clock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

namespace {
struct Parts {
  std::tm tm{};
  int millis = 0;
};
Parts Split(TimePoint t) {
  int64_t ms = ToEpochMs(t);
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  Parts p;
  p.millis = static_cast<int>(ms - secs * 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  gmtime_r(&tt, &p.tm);
  return p;
}
}  // namespace

std::string FormatIsoMicros(TimePoint t) {
  Parts p = Split(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000", p.tm.tm_year + 1900,
                     p.tm.tm_mon + 1, p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec,
                     p.millis);
}

std::string FormatIsoMillisZ(TimePoint t) {
  Parts p = Split(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", p.tm.tm_year + 1900,
                     p.tm.tm_mon + 1, p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec,
                     p.millis);
}

std::string FormatFileStamp(TimePoint t) {
  Parts p = Split(t);
  return fmt::format("{:04}-{:02}-{:02}_{:02}:{:02}:{:02}", p.tm.tm_year + 1900, p.tm.tm_mon + 1,
                     p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec);
}

std::string FormatAmzDate(TimePoint t) {
  Parts p = Split(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", p.tm.tm_year + 1900, p.tm.tm_mon + 1,
                     p.tm.tm_mday, p.tm.tm_hour, p.tm.tm_min, p.tm.tm_sec);
}

bool ParseAmzDate(const std::string& s, TimePoint* out) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i == 8) continue;
    if (s[i] < '0' || s[i] > '9') return false;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(9, 2));
  tm.tm_min = std::stoi(s.substr(11, 2));
  tm.tm_sec = std::stoi(s.substr(13, 2));
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return false;
  std::time_t tt = timegm(&tm);
  *out = FromEpochMs(static_cast<int64_t>(tt) * 1000);
  return true;
}

}  // namespace plumbline
