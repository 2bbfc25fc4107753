#include "cli/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "common/ids.hpp"

namespace plumbline::cli {
namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;  // UTF-8 passes through
        }
    }
  }
  out += '"';
}

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

// The message's key=value pairs, or false when it is not made of them.
bool SplitPairs(std::string_view m, std::vector<std::pair<std::string, std::string>>* pairs) {
  size_t i = 0;
  while (i < m.size()) {
    if (m[i] == ' ') {
      ++i;
      continue;
    }
    size_t key_start = i;
    while (i < m.size() && IsKeyChar(m[i])) ++i;
    if (i == key_start || i >= m.size() || m[i] != '=') return false;
    std::string key(m.substr(key_start, i - key_start));
    ++i;  // '='
    std::string value;
    if (i < m.size() && m[i] == '"') {
      ++i;
      bool closed = false;
      while (i < m.size()) {
        char c = m[i++];
        if (c == '\\' && i < m.size()) {
          value += m[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed || (i < m.size() && m[i] != ' ')) return false;
    } else {
      size_t start = i;
      while (i < m.size() && m[i] != ' ') ++i;
      value = std::string(m.substr(start, i - start));
    }
    pairs->emplace_back(std::move(key), std::move(value));
  }
  return !pairs->empty();
}

bool IsNumber(const std::string& s) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// One JSON object per line: time (UTC, milliseconds), level, the message's members.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"time\":\"";
    auto t = msg.time;
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[40];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    line += stamp;
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
    line += frac;
    line += "\",\"level\":";
    auto level = spdlog::level::to_string_view(msg.level);
    AppendJsonString(line, std::string_view(level.data(), level.size()));
    line += ',';
    line += MessageAsJsonMembers(std::string_view(msg.payload.data(), msg.payload.size()));
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string MessageAsJsonMembers(std::string_view message) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string out;
  if (!SplitPairs(message, &pairs)) {
    out += "\"msg\":";
    AppendJsonString(out, message);
    return out;
  }
  bool first = true;
  for (const auto& [key, value] : pairs) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, key);
    out += ':';
    if (IsNumber(value))
      out += value;
    else
      AppendJsonString(out, value);
  }
  return out;
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  // key=value lines with UTC timestamps: easy to grep and to parse.
  return std::make_unique<spdlog::pattern_formatter>("time=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v",
                                                     spdlog::pattern_time_type::utc);
}

void SetUpLogging(LogFormat format) {
  auto logger = spdlog::stderr_color_mt("plumbline");
  logger->set_formatter(MakeLogFormatter(format));
  spdlog::set_default_logger(logger);
}

std::string RequestIdFor(const std::string* given) {
  if (given && !given->empty() && given->size() <= 64) {
    bool ok = true;
    for (char c : *given)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
          c != ':')
        ok = false;
    if (ok) return *given;
  }
  return NewRequestId();
}

std::string NewRequestId() {
  // splitmix64 over a counter that starts at a random point per thread:
  // distinct states give distinct ids (the mix is a bijection), and two
  // threads' runs of 2^64 states overlap with negligible odds. A request id
  // needs to be unique, not secret: this spares the system call per request
  // that drawing it from the kernel's generator costs.
  thread_local uint64_t state = [] {
    const std::string seed = RandomBytes(sizeof(uint64_t));
    uint64_t v = 0;
    std::memcpy(&v, seed.data(), sizeof v);
    return v;
  }();
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  unsigned char bytes[sizeof z];
  std::memcpy(bytes, &z, sizeof z);
  return ToHex(bytes, sizeof bytes);
}

}  // namespace plumbline::cli
