// Value conversions with Ruby/Shopify semantics (spec/liquid.md §3.2-3.4).
#include "liquid/detail/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace plumbline::liquid::detail {

namespace {

void AppendInt(std::string& out, std::int64_t i) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, r.ptr);
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then lay them out as Ruby's Float#to_s does:
  // fixed notation for exponents in [-4, 16), scientific otherwise.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, r.ptr - buf);
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  auto epos = s.find('e');
  std::string digits;
  for (char c : s.substr(0, epos)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(s.substr(epos + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (neg) out.push_back('-');
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
    } else {
      std::size_t int_len = static_cast<std::size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_len);
        out.push_back('.');
        out += digits.substr(int_len);
      }
    }
  } else {
    out.push_back(digits[0]);
    out.push_back('.');
    out += digits.size() > 1 ? digits.substr(1) : "0";
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    out += std::to_string(a);
  }
  return out;
}

void AppendInspectString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      case '\b': out += "\\b"; break;
      case '\a': out += "\\a"; break;
      case '\x1b': out += "\\e"; break;
      case '#': out += "#"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\x%02X", static_cast<unsigned char>(c));
          out += b;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendInspect(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kNil: out += "nil"; return;
    case Kind::kString: AppendInspectString(out, v.as_string()); return;
    case Kind::kArray: {
      out.push_back('[');
      for (std::size_t i = 0, n = v.size(); i < n; ++i) {
        if (i) out += ", ";
        AppendInspect(out, v.at(i));
      }
      out.push_back(']');
      return;
    }
    case Kind::kObject: {
      out.push_back('{');
      bool first = true;
      v.ForEachPair([&](std::string_view k, const Value& item) {
        if (!first) out += ", ";
        first = false;
        AppendInspectString(out, k);
        out += "=>";
        AppendInspect(out, item);
      });
      out.push_back('}');
      return;
    }
    default: AppendToString(out, v);
  }
}

void AppendToString(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kNil:
    case Kind::kEmpty:
    case Kind::kBlank: return;
    case Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Kind::kInt: AppendInt(out, v.as_int()); return;
    case Kind::kDouble: out += FormatDouble(v.as_double()); return;
    case Kind::kString: out += v.as_string(); return;
    case Kind::kArray:
    case Kind::kObject: AppendInspect(out, v); return;
    case Kind::kRange:
      AppendInt(out, v.range_lo());
      out += "..";
      AppendInt(out, v.range_hi());
      return;
    case Kind::kDrop: out += "LiquidDrop"; return;
  }
}

std::string ToString(const Value& v) {
  if (v.is_string()) return std::string(v.as_string());
  std::string s;
  AppendToString(s, v);
  return s;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned char>(c));
          out += b;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendJson(std::string& out, const Value& v, int depth) {
  if (depth > 200) throw RenderError("to_json: nesting too deep");
  switch (v.kind()) {
    case Kind::kNil:
    case Kind::kEmpty:
    case Kind::kBlank: out += "null"; return;
    case Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Kind::kInt: AppendInt(out, v.as_int()); return;
    case Kind::kDouble: {
      double d = v.as_double();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      std::string s = FormatDouble(d);
      out += s;
      return;
    }
    case Kind::kString: AppendJsonString(out, v.as_string()); return;
    case Kind::kArray:
    case Kind::kRange: {
      if (v.size() > 1'000'000 && v.kind() == Kind::kRange) throw RenderError("range too large");
      out.push_back('[');
      for (std::size_t i = 0, n = v.size(); i < n; ++i) {
        if (i) out.push_back(',');
        AppendJson(out, v.at(i), depth + 1);
      }
      out.push_back(']');
      return;
    }
    case Kind::kObject: {
      out.push_back('{');
      bool first = true;
      v.ForEachPair([&](std::string_view k, const Value& item) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, k);
        out.push_back(':');
        AppendJson(out, item, depth + 1);
      });
      out.push_back('}');
      return;
    }
    case Kind::kDrop: out += "{}"; return;
  }
}

void AppendOutput(std::string& out, const Value& v, bool json_structured) {
  switch (v.kind()) {
    case Kind::kNil: return;
    case Kind::kArray:
      if (json_structured) {
        AppendJson(out, v);
      } else {
        for (std::size_t i = 0, n = v.size(); i < n; ++i) AppendOutput(out, v.at(i), false);
      }
      return;
    case Kind::kObject:
      if (json_structured) {
        AppendJson(out, v);
      } else {
        AppendInspect(out, v);
      }
      return;
    default: AppendToString(out, v);
  }
}

bool Equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) return a.as_int() == b.as_int();
    return a.as_number() == b.as_number();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNil: return true;
    case Kind::kEmpty:
    case Kind::kBlank: return false;
    case Kind::kBool: return a.as_bool() == b.as_bool();
    case Kind::kString: return a.as_string() == b.as_string();
    case Kind::kRange: return a.range_lo() == b.range_lo() && a.range_hi() == b.range_hi();
    case Kind::kArray: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0, n = a.size(); i < n; ++i) {
        if (!Equals(a.at(i), b.at(i))) return false;
      }
      return true;
    }
    case Kind::kObject: {
      if (a.size() != b.size()) return false;
      bool eq = true;
      a.ForEachPair([&](std::string_view k, const Value& av) {
        Value bv;
        if (eq && (!b.Find(k, &bv) || !Equals(av, bv))) eq = false;
      });
      return eq;
    }
    case Kind::kDrop: return a.drop() == b.drop();
    default: return false;
  }
}

bool CompareOp(const Value& a, const Value& b, std::string_view op) {
  int c;
  if (a.is_number() && b.is_number()) {
    if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
      c = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    } else {
      double x = a.as_number(), y = b.as_number();
      c = x < y ? -1 : x > y ? 1 : 0;
    }
  } else if (a.is_string() && b.is_string()) {
    c = a.as_string().compare(b.as_string());
  } else if ((a.is_string() || a.is_number()) && (b.is_string() || b.is_number() || b.is_array())) {
    throw RenderError("comparison of " + TypeName(a) + " with " +
                      (b.is_string() ? TypeName(b) : ToString(b)) + " failed");
  } else {
    return false;
  }
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;
}

bool Contains(const Value& a, const Value& b) {
  if (!a.truthy() || !b.truthy()) return false;
  switch (a.kind()) {
    case Kind::kString: {
      std::string needle = ToString(b);
      return a.as_string().find(needle) != std::string_view::npos;
    }
    case Kind::kArray:
      for (std::size_t i = 0, n = a.size(); i < n; ++i) {
        if (Equals(a.at(i), b)) return true;
      }
      return false;
    case Kind::kObject: {
      if (!b.is_string()) return false;
      Value tmp;
      return a.Find(b.as_string(), &tmp);
    }
    case Kind::kRange:
      if (!b.is_number()) return false;
      return b.as_number() >= static_cast<double>(a.range_lo()) &&
             b.as_number() <= static_cast<double>(a.range_hi());
    default: return false;
  }
}

bool IsEmpty(const Value& v) {
  switch (v.kind()) {
    case Kind::kString: return v.as_string().empty();
    case Kind::kArray:
    case Kind::kObject: return v.size() == 0;
    default: return false;
  }
}

bool IsBlank(const Value& v) {
  switch (v.kind()) {
    case Kind::kNil: return true;
    case Kind::kBool: return !v.as_bool();
    case Kind::kString:
      for (char c : v.as_string()) {
        if (!IsSpace(c)) return false;
      }
      return true;
    case Kind::kArray:
    case Kind::kObject: return v.size() == 0;
    default: return false;
  }
}

namespace {
std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}
}  // namespace

Value LookupName(const Value& base, std::string_view key) {
  switch (base.kind()) {
    case Kind::kObject: {
      Value out;
      if (base.Find(key, &out)) return out;
      if (key == "size") return Value::Int(static_cast<std::int64_t>(base.size()));
      if (key == "first") {
        Value r;
        bool done = false;
        base.ForEachPair([&](std::string_view k, const Value& v) {
          if (done) return;
          done = true;
          r = Value::Array({Value::String(std::string(k)), v});
        });
        return r;
      }
      return Value();
    }
    case Kind::kArray:
    case Kind::kRange: {
      std::size_t n = base.size();
      if (key == "size") return Value::Int(static_cast<std::int64_t>(n));
      if (key == "first") return n ? base.at(0) : Value();
      if (key == "last") return n ? base.at(n - 1) : Value();
      return Value();
    }
    case Kind::kString:
      if (key == "size") return Value::Int(static_cast<std::int64_t>(Utf8Length(base.as_string())));
      return Value();
    case Kind::kDrop: return base.drop()->Get(key);
    default: return Value();
  }
}

Value Lookup(const Value& base, const Value& key) {
  if (key.is_string()) return LookupName(base, key.as_string());
  if (key.kind() == Kind::kInt && (base.is_array() || base.kind() == Kind::kRange)) {
    std::int64_t i = key.as_int();
    std::int64_t n = static_cast<std::int64_t>(base.size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return Value();
    return base.at(static_cast<std::size_t>(i));
  }
  return Value();
}

namespace {
// Ranges bigger than this are only iterated by `for` (lazily), never copied.
constexpr std::size_t kMaxRangeItems = 1'000'000;

void Flatten(const Value& v, ValueArray& out, int depth) {
  if (depth > 100) throw RenderError("nesting too deep");
  for (std::size_t i = 0, n = v.size(); i < n; ++i) {
    Value item = v.at(i);
    if (item.is_array()) {
      Flatten(item, out, depth + 1);
    } else {
      out.push_back(std::move(item));
    }
  }
}
}  // namespace

ValueArray ToFlatArray(const Value& v) {
  ValueArray out;
  switch (v.kind()) {
    case Kind::kNil: break;
    case Kind::kArray: out.reserve(v.size()); Flatten(v, out, 0); break;
    case Kind::kRange:
      if (v.size() > kMaxRangeItems) throw RenderError("range too large");
      for (std::size_t i = 0, n = v.size(); i < n; ++i) out.push_back(v.at(i));
      break;
    default: out.push_back(v);
  }
  return out;
}

ValueArray ToIterable(const Value& v) {
  ValueArray out;
  if (v.kind() == Kind::kRange && v.size() > kMaxRangeItems) throw RenderError("range too large");
  switch (v.kind()) {
    case Kind::kArray:
    case Kind::kRange:
      out.reserve(v.size());
      for (std::size_t i = 0, n = v.size(); i < n; ++i) out.push_back(v.at(i));
      break;
    case Kind::kObject:
      v.ForEachPair([&](std::string_view k, const Value& item) {
        out.push_back(Value::Array({Value::String(std::string(k)), item}));
      });
      break;
    case Kind::kString:
      if (!v.as_string().empty()) out.push_back(v);
      break;
    default: break;
  }
  return out;
}

Value ToNumber(const Value& v) {
  switch (v.kind()) {
    case Kind::kInt:
    case Kind::kDouble: return v;
    case Kind::kString: {
      std::string_view s = v.as_string();
      while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
      while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
      // /\A-?\d+\.\d+\z/ → decimal
      std::size_t i = 0;
      if (i < s.size() && s[i] == '-') ++i;
      std::size_t d0 = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i > d0 && i < s.size() && s[i] == '.') {
        std::size_t f0 = ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        if (i > f0 && i == s.size()) return Value::Double(std::strtod(std::string(s).c_str(), nullptr));
      }
      // String#to_i: optional sign, digits (underscores between digits allowed).
      std::string_view t = v.as_string();
      std::size_t j = 0;
      while (j < t.size() && IsSpace(t[j])) ++j;
      bool neg = false;
      if (j < t.size() && (t[j] == '-' || t[j] == '+')) neg = t[j++] == '-';
      std::int64_t n = 0;
      bool any = false;
      while (j < t.size()) {
        char c = t[j];
        if (std::isdigit(static_cast<unsigned char>(c))) {
          any = true;
          if (n > (INT64_MAX - 9) / 10) return Value::Double(std::strtod(std::string(t).c_str(), nullptr));
          n = n * 10 + (c - '0');
        } else if (c == '_' && any && j + 1 < t.size() && std::isdigit(static_cast<unsigned char>(t[j + 1]))) {
        } else {
          break;
        }
        ++j;
      }
      return Value::Int(neg ? -n : n);
    }
    default: return Value::Int(0);
  }
}

std::int64_t ToInteger(const Value& v, std::string_view what) {
  if (v.kind() == Kind::kInt) return v.as_int();
  if (v.is_string()) {
    std::string_view s = v.as_string();
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
    std::int64_t n = 0;
    const char* b = s.data();
    if (!s.empty() && s[0] == '+') ++b;
    auto r = std::from_chars(b, s.data() + s.size(), n);
    if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) return n;
  }
  throw RenderError(std::string("invalid integer") + (what.empty() ? "" : " for ") + std::string(what));
}

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kNil: return "nil";
    case Kind::kBool: return v.as_bool() ? "true" : "false";
    case Kind::kInt: return "Integer";
    case Kind::kDouble: return "Float";
    case Kind::kString: return "String";
    case Kind::kArray: return "Array";
    case Kind::kObject: return "Hash";
    case Kind::kRange: return "Range";
    default: return "Object";
  }
}

}  // namespace plumbline::liquid::detail
