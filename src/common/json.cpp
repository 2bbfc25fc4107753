#include "common/json.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <cmath>

namespace plumbline::json {

void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  // Plain characters are copied in runs; only the few that JSON escapes are
  // looked at one by one (a task input or output line is mostly plain text).
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: out->append(fmt::format("\\u{:04x}", c));
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

namespace {
void AppendDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  std::string s = fmt::format("{}", d);
  // fmt prints integral doubles without a fraction ("1"); keep the JSON
  // reader's type by adding ".0", as Python's json module does.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  out->append(s);
}
}  // namespace

void SerializeTo(const boost::json::value& v, std::string* out) {
  switch (v.kind()) {
    case boost::json::kind::null: out->append("null"); break;
    case boost::json::kind::bool_: out->append(v.get_bool() ? "true" : "false"); break;
    case boost::json::kind::int64: out->append(fmt::format("{}", v.get_int64())); break;
    case boost::json::kind::uint64: out->append(fmt::format("{}", v.get_uint64())); break;
    case boost::json::kind::double_: AppendDouble(v.get_double(), out); break;
    case boost::json::kind::string: AppendQuoted(v.get_string(), out); break;
    case boost::json::kind::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out->push_back(',');
        first = false;
        SerializeTo(e, out);
      }
      out->push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out->push_back(',');
        first = false;
        AppendQuoted(kv.key(), out);
        out->push_back(':');
        SerializeTo(kv.value(), out);
      }
      out->push_back('}');
      break;
    }
  }
}

std::string Serialize(const boost::json::value& v) {
  std::string out;
  SerializeTo(v, &out);
  return out;
}

Result<boost::json::value> Parse(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return InvalidArgument("invalid JSON: " + ec.message());
  return v;
}

const boost::json::object* GetObject(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}
const boost::json::array* GetArray(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}
std::optional<std::string> GetString(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}
std::optional<int64_t> GetInt(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return static_cast<int64_t>(it->value().get_uint64());
  return std::nullopt;
}
std::optional<double> GetNumber(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

}  // namespace plumbline::json
