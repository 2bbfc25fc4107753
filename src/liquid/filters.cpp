// Standard Shopify filters plus Ground Truth's extras (spec/liquid.md §2.3, §3.6).
// Each filter follows the Ruby implementation's coercions and edge cases.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <unordered_map>

#include "common/text.hpp"
#include "liquid/detail/ast.hpp"
#include "liquid/detail/context.hpp"

namespace plumbline::liquid::detail {

namespace {

using Args = FilterArgs;

bool IsSpaceChar(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\0';
}

const Value& Arg(const Args& a, std::size_t i) {
  static const Value kNil;
  return i < a.pos.size() ? a.pos[i] : kNil;
}

std::string Str(const Value& v) { return ToString(v); }

// --- numbers ----------------------------------------------------------------

// Ruby converts floats to BigDecimal through their shortest decimal form;
// rounding the double result to 15 significant digits reproduces the exact
// decimal result for the operands people write (10.1 - 2.2 = 7.9).
double DecimalClean(double d) {
  if (!std::isfinite(d) || d == 0) return d;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return std::strtod(buf, nullptr);
}

Value Num(const Value& v) { return ToNumber(v); }

Value MakeNum(double d) { return Value::Double(d); }

Value Arith(const Value& in, const Value& arg, char op) {
  Value a = Num(in), b = Num(arg);
  if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
    std::int64_t x = a.as_int(), y = b.as_int(), r;
    switch (op) {
      case '+':
        if (!__builtin_add_overflow(x, y, &r)) return Value::Int(r);
        return MakeNum(static_cast<double>(x) + static_cast<double>(y));
      case '-':
        if (!__builtin_sub_overflow(x, y, &r)) return Value::Int(r);
        return MakeNum(static_cast<double>(x) - static_cast<double>(y));
      case '*':
        if (!__builtin_mul_overflow(x, y, &r)) return Value::Int(r);
        return MakeNum(static_cast<double>(x) * static_cast<double>(y));
      case '/': {
        if (y == 0) throw RenderError("divided by 0");
        if (x == INT64_MIN && y == -1) return MakeNum(-static_cast<double>(x));
        std::int64_t q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
        return Value::Int(q);
      }
      case '%': {
        if (y == 0) throw RenderError("divided by 0");
        if (y == -1) return Value::Int(0);
        std::int64_t m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        return Value::Int(m);
      }
    }
  }
  double x = a.as_number(), y = b.as_number();
  switch (op) {
    case '+': return MakeNum(DecimalClean(x + y));
    case '-': return MakeNum(DecimalClean(x - y));
    case '*': return MakeNum(DecimalClean(x * y));
    case '/':
      if (y == 0) throw RenderError("divided by 0");
      return MakeNum(x / y);
    case '%': {
      if (y == 0) throw RenderError("divided by 0");
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return MakeNum(DecimalClean(m));
    }
  }
  return Value();
}

Value FPlus(Context&, const Value& in, const Args& a) { return Arith(in, Arg(a, 0), '+'); }
Value FMinus(Context&, const Value& in, const Args& a) { return Arith(in, Arg(a, 0), '-'); }
Value FTimes(Context&, const Value& in, const Args& a) { return Arith(in, Arg(a, 0), '*'); }
Value FDividedBy(Context&, const Value& in, const Args& a) { return Arith(in, Arg(a, 0), '/'); }
Value FModulo(Context&, const Value& in, const Args& a) { return Arith(in, Arg(a, 0), '%'); }

Value FAbs(Context&, const Value& in, const Args&) {
  Value n = Num(in);
  if (n.kind() == Kind::kInt) return Value::Int(n.as_int() < 0 ? -n.as_int() : n.as_int());
  return MakeNum(std::fabs(n.as_double()));
}

std::int64_t ToInt64(double d) {
  if (!std::isfinite(d)) throw RenderError(std::isnan(d) ? "NaN" : (d < 0 ? "-Infinity" : "Infinity"));
  if (d >= 9.2e18 || d <= -9.2e18) throw RenderError("number too large");
  return static_cast<std::int64_t>(d);
}

Value FCeil(Context&, const Value& in, const Args&) {
  Value n = Num(in);
  if (n.kind() == Kind::kInt) return n;
  return Value::Int(ToInt64(std::ceil(DecimalClean(n.as_double()))));
}
Value FFloor(Context&, const Value& in, const Args&) {
  Value n = Num(in);
  if (n.kind() == Kind::kInt) return n;
  return Value::Int(ToInt64(std::floor(DecimalClean(n.as_double()))));
}

// Half-up rounding of the shortest decimal form of `d` to `digits` places.
double DecimalRound(double d, int digits) {
  if (!std::isfinite(d)) return d;
  // Round the cleaned value half away from zero, with a nudge so that decimal
  // halves stored just below .5 (2.675) still round up as BigDecimal does.
  double scale = std::pow(10.0, digits);
  double cleaned = DecimalClean(d);
  double r = std::round(cleaned * scale + (cleaned >= 0 ? 1e-9 : -1e-9)) / scale;
  return DecimalClean(r);
}

Value FRound(Context&, const Value& in, const Args& a) {
  Value n = Num(in);
  Value dv = Num(Arg(a, 0));
  std::int64_t digits = dv.kind() == Kind::kInt ? dv.as_int() : static_cast<std::int64_t>(dv.as_double());
  digits = std::clamp<std::int64_t>(digits, -20, 20);
  if (n.kind() == Kind::kInt) {
    if (digits >= 0) return n;
    std::int64_t p = 1;
    for (std::int64_t i = 0; i < -digits && p < INT64_MAX / 10; ++i) p *= 10;
    std::int64_t x = n.as_int();
    std::int64_t q = (std::llabs(x) + p / 2) / p * p;
    return Value::Int(x < 0 ? -q : q);
  }
  double d = n.as_double();
  if (!std::isfinite(d)) throw RenderError(std::isnan(d) ? "NaN" : "Infinity");
  if (digits <= 0) {
    double scale = std::pow(10.0, static_cast<double>(-digits));
    double r = std::round(DecimalClean(d) / scale) * scale;
    return Value::Int(ToInt64(r));
  }
  return MakeNum(DecimalRound(d, static_cast<int>(digits)));
}

Value FAtLeast(Context&, const Value& in, const Args& a) {
  Value x = Num(in), m = Num(Arg(a, 0));
  return m.as_number() > x.as_number() ? m : x;
}
Value FAtMost(Context&, const Value& in, const Args& a) {
  Value x = Num(in), m = Num(Arg(a, 0));
  return m.as_number() < x.as_number() ? m : x;
}

// --- strings ------------------------------------------------------------------

Value FAppend(Context&, const Value& in, const Args& a) { return Value::String(Str(in) + Str(Arg(a, 0))); }
Value FPrepend(Context&, const Value& in, const Args& a) { return Value::String(Str(Arg(a, 0)) + Str(in)); }

std::string AsciiMap(std::string s, int (*f)(int)) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  }
  return s;
}
Value FUpcase(Context&, const Value& in, const Args&) { return Value::String(AsciiMap(Str(in), ::toupper)); }
Value FDowncase(Context&, const Value& in, const Args&) { return Value::String(AsciiMap(Str(in), ::tolower)); }
Value FCapitalize(Context&, const Value& in, const Args&) {
  std::string s = AsciiMap(Str(in), ::tolower);
  if (!s.empty() && static_cast<unsigned char>(s[0]) < 0x80) s[0] = static_cast<char>(::toupper(s[0]));
  return Value::String(std::move(s));
}


Value FEscape(Context&, const Value& in, const Args&) {
  if (in.is_nil()) return Value();
  Value v = Value::String(EscapeHtml(Str(in)));
  v.set_safe(true);
  return v;
}

Value FEscapeOnce(Context&, const Value& in, const Args&) {
  std::string s = Str(in), out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '&') {
      // `&name;` or `&#digits;` is already an entity.
      std::size_t j = i + 1;
      bool entity = false;
      if (j < s.size() && s[j] == '#') {
        std::size_t k = j + 1;
        while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
        entity = k > j + 1 && k < s.size() && s[k] == ';';
      } else {
        std::size_t k = j;
        while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
        entity = k > j && k < s.size() && s[k] == ';';
      }
      out += entity ? "&" : "&amp;";
      continue;
    }
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  Value v = Value::String(std::move(out));
  v.set_safe(true);
  return v;
}

Value FSkipAutoescape(Context&, const Value& in, const Args&) {
  Value v = in;
  v.set_safe(true);
  return v;
}

Value FToJson(Context&, const Value& in, const Args&) {
  std::string out;
  AppendJson(out, in);
  return Value::String(std::move(out));
}

Value FGrantReadAccess(Context& ctx, const Value& in, const Args&) {
  if (in.is_nil()) return Value::StringRef("");
  std::string s = Str(in);
  if (s.rfind("s3://", 0) == 0 && ctx.opts.grant_read_access) return Value::String(ctx.opts.grant_read_access(s));
  return Value::String(std::move(s));
}

std::string_view LStrip(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.front())) s.remove_prefix(1);
  return s;
}
std::string_view RStrip(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.back())) s.remove_suffix(1);
  return s;
}
Value FStrip(Context&, const Value& in, const Args&) { return Value::String(std::string(RStrip(LStrip(Str(in))))); }
Value FLStrip(Context&, const Value& in, const Args&) { return Value::String(std::string(LStrip(Str(in)))); }
Value FRStrip(Context&, const Value& in, const Args&) { return Value::String(std::string(RStrip(Str(in)))); }

Value FSquish(Context&, const Value& in, const Args&) {
  std::string s = Str(in), out;
  bool space = false;
  for (char c : RStrip(LStrip(s))) {
    if (IsSpaceChar(c)) {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return Value::String(std::move(out));
}

Value FNewlineToBr(Context&, const Value& in, const Args&) {
  std::string s = Str(in), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    if (s[i] == '\n') {
      out += "<br />\n";
    } else {
      out.push_back(s[i]);
    }
  }
  return Value::String(std::move(out));
}

Value FStripNewlines(Context&, const Value& in, const Args&) {
  std::string s = Str(in), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    if (s[i] != '\n') out.push_back(s[i]);
  }
  return Value::String(std::move(out));
}

Value FStripHtml(Context&, const Value& in, const Args&) {
  std::string s = Str(in), tmp;
  // Remove <script…</script>, <!--…-->, <style…</style> (non-greedy), then tags.
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 7, "<script") == 0) {
      auto e = s.find("</script>", i + 7);
      if (e != std::string::npos) {
        i = e + 9;
        continue;
      }
    } else if (s.compare(i, 4, "<!--") == 0) {
      auto e = s.find("-->", i + 4);
      if (e != std::string::npos) {
        i = e + 3;
        continue;
      }
    } else if (s.compare(i, 6, "<style") == 0) {
      auto e = s.find("</style>", i + 6);
      if (e != std::string::npos) {
        i = e + 8;
        continue;
      }
    }
    tmp.push_back(s[i++]);
  }
  std::string out;
  for (std::size_t i = 0; i < tmp.size();) {
    if (tmp[i] == '<') {
      auto e = tmp.find('>', i + 1);
      if (e != std::string::npos) {
        i = e + 1;
        continue;
      }
    }
    out.push_back(tmp[i++]);
  }
  return Value::String(std::move(out));
}

// Literal replacement; `count` 0 = all, 1 = first; `last` = last occurrence.
std::string Replace(const std::string& s, const std::string& pat, const std::string& rep, bool all, bool last) {
  if (pat.empty()) {
    if (last) return s + rep;
    if (!all) return rep + s;
    std::string out = rep;
    for (std::size_t i = 0; i < s.size(); ++i) {
      out.push_back(s[i]);
      if (i + 1 == s.size() || (static_cast<unsigned char>(s[i + 1]) & 0xC0) != 0x80) out += rep;
    }
    return out;
  }
  if (last) {
    auto p = s.rfind(pat);
    if (p == std::string::npos) return s;
    return s.substr(0, p) + rep + s.substr(p + pat.size());
  }
  std::string out;
  std::size_t pos = 0;
  while (true) {
    auto p = s.find(pat, pos);
    if (p == std::string::npos) break;
    out.append(s, pos, p - pos);
    out += rep;
    pos = p + pat.size();
    if (!all) break;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

Value FRemove(Context&, const Value& in, const Args& a) { return Value::String(Replace(Str(in), Str(Arg(a, 0)), "", true, false)); }
Value FRemoveFirst(Context&, const Value& in, const Args& a) { return Value::String(Replace(Str(in), Str(Arg(a, 0)), "", false, false)); }
Value FRemoveLast(Context&, const Value& in, const Args& a) { return Value::String(Replace(Str(in), Str(Arg(a, 0)), "", false, true)); }
Value FReplace(Context&, const Value& in, const Args& a) { return Value::String(Replace(Str(in), Str(Arg(a, 0)), Str(Arg(a, 1)), true, false)); }
Value FReplaceFirst(Context&, const Value& in, const Args& a) { return Value::String(Replace(Str(in), Str(Arg(a, 0)), Str(Arg(a, 1)), false, false)); }
Value FReplaceLast(Context&, const Value& in, const Args& a) { return Value::String(Replace(Str(in), Str(Arg(a, 0)), Str(Arg(a, 1)), false, true)); }

// UTF-8 code point boundaries of `s`.
std::vector<std::size_t> CharStarts(std::string_view s) {
  std::vector<std::size_t> v;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) v.push_back(i);
  }
  return v;
}

Value FSlice(Context&, const Value& in, const Args& a) {
  const Value& off_v = Arg(a, 0);
  if (off_v.kind() == Kind::kDouble) throw RenderError("invalid integer");
  std::int64_t off = ToInteger(off_v, "");
  std::int64_t len = 1;
  if (a.pos.size() > 1 && !a.pos[1].is_nil()) {
    if (a.pos[1].kind() == Kind::kDouble) throw RenderError("invalid integer");
    len = ToInteger(a.pos[1], "");
  }
  if (in.is_array()) {
    ValueArray items = ToIterable(in);
    std::int64_t n = static_cast<std::int64_t>(items.size());
    if (off < 0) off += n;
    if (off < 0 || off > n || len < 0) return Value::Array({});
    std::int64_t e = std::min(n, off + len);
    return Value::Array(ValueArray(items.begin() + off, items.begin() + e));
  }
  std::string s = Str(in);
  auto starts = CharStarts(s);
  std::int64_t n = static_cast<std::int64_t>(starts.size());
  if (off < 0) off += n;
  if (off < 0 || off > n || len < 0) return Value::StringRef("");
  std::int64_t e = std::min(n, off + len);
  std::size_t b = off < n ? starts[off] : s.size();
  std::size_t eb = e < n ? starts[e] : s.size();
  return Value::String(s.substr(b, eb - b));
}

Value FTruncate(Context&, const Value& in, const Args& a) {
  if (in.is_nil()) return Value();
  std::string s = Str(in);
  std::int64_t len = a.pos.empty() ? 50 : ToInteger(a.pos[0], "");
  std::string end = a.pos.size() > 1 ? Str(a.pos[1]) : "...";
  auto starts = CharStarts(s);
  std::int64_t n = static_cast<std::int64_t>(starts.size());
  if (n <= len) return Value::String(std::move(s));
  std::int64_t l = len - static_cast<std::int64_t>(CharStarts(end).size());
  if (l < 0) l = 0;
  std::size_t b = l < n ? starts[l] : s.size();
  return Value::String(s.substr(0, b) + end);
}

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpaceChar(s[i])) ++i;
    std::size_t b = i;
    while (i < s.size() && !IsSpaceChar(s[i])) ++i;
    if (i > b) words.push_back(s.substr(b, i - b));
  }
  return words;
}

Value FTruncateWords(Context&, const Value& in, const Args& a) {
  if (in.is_nil()) return Value();
  std::string s = Str(in);
  std::int64_t n = a.pos.empty() ? 15 : ToInteger(a.pos[0], "");
  if (n <= 0) n = 1;
  std::string end = a.pos.size() > 1 ? Str(a.pos[1]) : "...";
  auto words = SplitWords(s);
  if (static_cast<std::int64_t>(words.size()) <= n) return Value::String(std::move(s));
  std::string out;
  for (std::int64_t i = 0; i < n; ++i) {
    if (i) out.push_back(' ');
    out += words[static_cast<std::size_t>(i)];
  }
  return Value::String(out + end);
}

Value FSplit(Context&, const Value& in, const Args& a) {
  std::string s = Str(in), pat = Str(Arg(a, 0));
  ValueArray out;
  if (s.empty()) return Value::Array({});
  if (pat == " ") {
    for (auto w : SplitWords(s)) out.push_back(Value::String(std::string(w)));
    return Value::Array(std::move(out));
  }
  if (pat.empty()) {
    auto starts = CharStarts(s);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      std::size_t e = i + 1 < starts.size() ? starts[i + 1] : s.size();
      out.push_back(Value::String(s.substr(starts[i], e - starts[i])));
    }
    return Value::Array(std::move(out));
  }
  std::size_t pos = 0;
  while (true) {
    auto p = s.find(pat, pos);
    if (p == std::string::npos) {
      out.push_back(Value::String(s.substr(pos)));
      break;
    }
    out.push_back(Value::String(s.substr(pos, p - pos)));
    pos = p + pat.size();
  }
  while (!out.empty() && out.back().as_string().empty()) out.pop_back();
  return Value::Array(std::move(out));
}

Value FUrlEncode(Context&, const Value& in, const Args&) {
  if (in.is_nil()) return Value();
  std::string s = Str(in), out;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return Value::String(std::move(out));
}

bool ValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0 || i + static_cast<std::size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) {
      if (n != 0) return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

Value FUrlDecode(Context&, const Value& in, const Args&) {
  if (in.is_nil()) return Value();
  std::string s = Str(in), out;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  if (!ValidUtf8(out)) throw RenderError("invalid byte sequence in UTF-8");
  return Value::String(std::move(out));
}

std::string Base64Encode(std::string_view s, bool url) {
  const char* tbl = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8) |
                 static_cast<unsigned char>(s[i + 2]);
    out.push_back(tbl[(v >> 18) & 63]);
    out.push_back(tbl[(v >> 12) & 63]);
    out.push_back(tbl[(v >> 6) & 63]);
    out.push_back(tbl[v & 63]);
  }
  if (i < s.size()) {
    unsigned v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    out.push_back(tbl[(v >> 18) & 63]);
    out.push_back(tbl[(v >> 12) & 63]);
    out.push_back(i + 1 < s.size() ? tbl[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view s, bool url, std::string* out) {
  auto val = [url](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == (url ? '-' : '+')) return 62;
    if (c == (url ? '_' : '/')) return 63;
    return -1;
  };
  std::string in(s);
  if (url && in.size() % 4 != 0) in.append(4 - in.size() % 4, '=');
  if (in.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return false;
      v[k] = val(c);
      if (v[k] < 0) return false;
    }
    unsigned w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>((w >> 16) & 255));
    if (pad < 2) out->push_back(static_cast<char>((w >> 8) & 255));
    if (pad < 1) out->push_back(static_cast<char>(w & 255));
  }
  return true;
}

Value FBase64Encode(Context&, const Value& in, const Args&) { return Value::String(Base64Encode(Str(in), false)); }
Value FBase64UrlEncode(Context&, const Value& in, const Args&) { return Value::String(Base64Encode(Str(in), true)); }
Value FBase64Decode(Context&, const Value& in, const Args&) {
  std::string out;
  if (!Base64Decode(Str(in), false, &out)) throw RenderError("invalid base64 provided to base64_decode");
  return Value::String(std::move(out));
}
Value FBase64UrlDecode(Context&, const Value& in, const Args&) {
  std::string out;
  if (!Base64Decode(Str(in), true, &out)) throw RenderError("invalid base64 provided to base64_url_safe_decode");
  return Value::String(std::move(out));
}

Value FSize(Context&, const Value& in, const Args&) {
  switch (in.kind()) {
    case Kind::kString:
    case Kind::kArray:
    case Kind::kObject:
    case Kind::kRange: return LookupName(in, "size");
    default: return Value::Int(0);
  }
}

Value FDefault(Context&, const Value& in, const Args& a) {
  bool allow_false = false;
  for (const auto& [k, v] : a.kw) {
    if (k == "allow_false") allow_false = v.truthy();
  }
  bool use_default = allow_false ? in.is_nil() : !in.truthy();
  if (!use_default && (in.is_string() || in.is_array() || in.is_object()) && IsEmpty(in)) use_default = true;
  if (use_default) return a.pos.empty() ? Value::StringRef("") : a.pos[0];
  return in;
}

// --- arrays -------------------------------------------------------------------

Value FJoin(Context&, const Value& in, const Args& a) {
  std::string glue = a.pos.empty() ? " " : Str(a.pos[0]);
  ValueArray items = ToFlatArray(in);
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += glue;
    AppendToString(out, items[i]);
  }
  return Value::String(std::move(out));
}

Value FFirst(Context&, const Value& in, const Args&) {
  if (in.is_array() || in.kind() == Kind::kRange || in.is_object()) return LookupName(in, "first");
  return Value();
}
Value FLast(Context&, const Value& in, const Args&) {
  if (in.is_array() || in.kind() == Kind::kRange) return LookupName(in, "last");
  return Value();
}

Value FReverse(Context&, const Value& in, const Args&) {
  ValueArray items = ToFlatArray(in);
  std::reverse(items.begin(), items.end());
  return Value::Array(std::move(items));
}

Value FConcat(Context&, const Value& in, const Args& a) {
  const Value& other = Arg(a, 0);
  if (!other.is_array()) throw RenderError("concat filter requires an array argument");
  ValueArray items = ToFlatArray(in);
  for (std::size_t i = 0; i < other.size(); ++i) items.push_back(other.at(i));
  return Value::Array(std::move(items));
}

// Ruby's `item[property]` as used by map/where/sort: hashes look the key up,
// strings test for a substring, numbers and arrays raise.
Value ItemProperty(const Value& item, const Value& prop, bool* type_error) {
  switch (item.kind()) {
    case Kind::kObject: {
      if (!prop.is_string()) return Value();
      Value out;
      return item.Find(prop.as_string(), &out) ? out : Value();
    }
    case Kind::kDrop: return prop.is_string() ? item.drop()->Get(prop.as_string()) : Value();
    case Kind::kString:
      if (prop.is_string()) {
        return item.as_string().find(prop.as_string()) != std::string_view::npos ? prop : Value();
      }
      // String#[] with an integer is a character; nothing in Liquid relies on it.
      if (prop.kind() == Kind::kInt) return Value();
      *type_error = true;
      return Value();
    case Kind::kInt:
      // Integer#[] is a bit reference in Ruby.
      if (prop.kind() == Kind::kInt) {
        std::int64_t b = prop.as_int();
        return Value::Int(b < 0 ? 0 : b >= 63 ? (item.as_int() < 0) : (item.as_int() >> b) & 1);
      }
      *type_error = true;
      return Value();
    case Kind::kArray:
    case Kind::kRange:
      if (prop.kind() == Kind::kInt) return Lookup(item, prop);
      *type_error = true;
      return Value();
    default: return Value();
  }
}

[[noreturn]] void PropertyError(const Value& prop) {
  throw RenderError("cannot select the property '" + Str(prop) + "'");
}

Value FMap(Context&, const Value& in, const Args& a) {
  const Value& prop = Arg(a, 0);
  ValueArray out;
  for (const auto& item : ToFlatArray(in)) {
    if (item.is_nil()) {
      out.push_back(Value());
      continue;
    }
    bool err = false;
    Value v = ItemProperty(item, prop, &err);
    if (err) PropertyError(prop);
    out.push_back(std::move(v));
  }
  return Value::Array(std::move(out));
}

// where/reject/has/find/find_index. Returns false from `pred` setup on nil items.
enum class Select { kWhere, kReject, kHas, kFind, kFindIndex };

Value FilterArray(const Value& in, const Args& a, Select mode) {
  const Value& prop = Arg(a, 0);
  bool has_target = a.pos.size() > 1 && !a.pos[1].is_nil();
  const Value& target = Arg(a, 1);
  ValueArray items = ToFlatArray(in);
  ValueArray out;
  if (prop.is_nil()) items.clear();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Value& item = items[i];
    if (item.is_nil() || item.kind() == Kind::kBool || item.kind() == Kind::kDouble) return Value();
    bool err = false;
    Value v = ItemProperty(item, prop, &err);
    if (err) PropertyError(prop);
    bool match = has_target ? Equals(v, target) : v.truthy();
    switch (mode) {
      case Select::kWhere:
        if (match) out.push_back(item);
        break;
      case Select::kReject:
        if (!match) out.push_back(item);
        break;
      case Select::kHas:
        if (match) return Value::Bool(true);
        break;
      case Select::kFind:
        if (match) return item;
        break;
      case Select::kFindIndex:
        if (match) return Value::Int(static_cast<std::int64_t>(i));
        break;
    }
  }
  if (mode == Select::kHas) return Value::Bool(false);
  if (mode == Select::kFind || mode == Select::kFindIndex) return Value();
  return Value::Array(std::move(out));
}

Value FWhere(Context&, const Value& in, const Args& a) { return FilterArray(in, a, Select::kWhere); }
Value FReject(Context&, const Value& in, const Args& a) { return FilterArray(in, a, Select::kReject); }
Value FHas(Context&, const Value& in, const Args& a) { return FilterArray(in, a, Select::kHas); }
Value FFind(Context&, const Value& in, const Args& a) { return FilterArray(in, a, Select::kFind); }
Value FFindIndex(Context&, const Value& in, const Args& a) { return FilterArray(in, a, Select::kFindIndex); }

// Ruby <=>; false if incomparable.
bool Spaceship(const Value& a, const Value& b, int* out) {
  if (a.is_number() && b.is_number()) {
    double x = a.as_number(), y = b.as_number();
    if (a.kind() == Kind::kInt && b.kind() == Kind::kInt) {
      *out = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
    } else {
      *out = x < y ? -1 : x > y;
    }
    return true;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.as_string().compare(b.as_string());
    *out = c < 0 ? -1 : c > 0;
    return true;
  }
  if (a.is_array() && b.is_array()) {
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      int c;
      if (!Spaceship(a.at(i), b.at(i), &c)) return false;
      if (c) {
        *out = c;
        return true;
      }
    }
    *out = a.size() < b.size() ? -1 : a.size() > b.size();
    return true;
  }
  if (a.is_nil() && b.is_nil()) {
    *out = 0;
    return true;
  }
  if (a.kind() == Kind::kBool && b.kind() == Kind::kBool && a.as_bool() == b.as_bool()) {
    *out = 0;
    return true;
  }
  if (a.is_object() && b.is_object() && Equals(a, b)) {
    *out = 0;
    return true;
  }
  return false;
}

int NilSafeCompare(const Value& a, const Value& b) {
  int c;
  if (Spaceship(a, b, &c)) return c;
  if (a.is_nil()) return 1;
  if (b.is_nil()) return -1;
  throw RenderError("cannot sort values of incompatible types");
}

std::string Lower(std::string s) { return AsciiMap(std::move(s), ::tolower); }

int NilSafeCaseCompare(const Value& a, const Value& b) {
  if (!a.is_nil() && !b.is_nil()) {
    int c = Lower(Str(a)).compare(Lower(Str(b)));
    return c < 0 ? -1 : c > 0;
  }
  if (a.is_nil() && b.is_nil()) return 0;
  return a.is_nil() ? 1 : -1;
}

Value SortImpl(const Value& in, const Args& a, bool natural) {
  ValueArray items = ToFlatArray(in);
  if (items.empty()) return Value::Array({});
  auto cmp = natural ? NilSafeCaseCompare : NilSafeCompare;
  if (a.pos.empty() || a.pos[0].is_nil()) {
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) { return cmp(x, y) < 0; });
    return Value::Array(std::move(items));
  }
  const Value& prop = a.pos[0];
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& it : items) {
    bool err = false;
    Value k = it.is_nil() ? Value() : ItemProperty(it, prop, &err);
    if (err) PropertyError(prop);
    keyed.emplace_back(std::move(k), std::move(it));
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [&](const auto& x, const auto& y) { return cmp(x.first, y.first) < 0; });
  ValueArray out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::Array(std::move(out));
}

Value FSort(Context&, const Value& in, const Args& a) { return SortImpl(in, a, false); }
Value FSortNatural(Context&, const Value& in, const Args& a) { return SortImpl(in, a, true); }

// Ruby eql?: like == but 1 and 1.0 differ.
bool StrictEquals(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  return Equals(a, b);
}

Value FUniq(Context&, const Value& in, const Args& a) {
  ValueArray items = ToFlatArray(in);
  ValueArray out;
  std::vector<Value> keys;
  bool by_prop = !a.pos.empty() && !a.pos[0].is_nil();
  for (auto& it : items) {
    Value k = it;
    if (by_prop) {
      bool err = false;
      k = it.is_nil() ? Value() : ItemProperty(it, a.pos[0], &err);
      if (err) PropertyError(a.pos[0]);
    }
    bool seen = false;
    for (const auto& s : keys) {
      if (StrictEquals(s, k)) {
        seen = true;
        break;
      }
    }
    if (!seen) {
      keys.push_back(k);
      out.push_back(it);
    }
  }
  return Value::Array(std::move(out));
}

Value FCompact(Context&, const Value& in, const Args& a) {
  ValueArray out;
  bool by_prop = !a.pos.empty() && !a.pos[0].is_nil();
  for (auto& it : ToFlatArray(in)) {
    if (by_prop) {
      bool err = false;
      Value k = it.is_nil() ? Value() : ItemProperty(it, a.pos[0], &err);
      if (err) PropertyError(a.pos[0]);
      if (k.is_nil()) continue;
    } else if (it.is_nil()) {
      continue;
    }
    out.push_back(it);
  }
  return Value::Array(std::move(out));
}

Value FSum(Context&, const Value& in, const Args& a) {
  bool by_prop = !a.pos.empty() && !a.pos[0].is_nil();
  std::int64_t isum = 0;
  double dsum = 0;
  bool is_double = false;
  for (auto& it : ToFlatArray(in)) {
    Value v = it;
    if (by_prop) {
      if (it.is_object() || it.kind() == Kind::kDrop) {
        bool err = false;
        v = ItemProperty(it, a.pos[0], &err);
      } else if (it.is_nil() || it.kind() == Kind::kBool || it.kind() == Kind::kDouble) {
        v = Value::Int(0);
      } else {
        PropertyError(a.pos[0]);
      }
    }
    Value n = v.is_array() ? Value::Int(0) : Num(v);
    if (n.kind() == Kind::kDouble) {
      if (!is_double) dsum = static_cast<double>(isum);
      is_double = true;
      dsum = DecimalClean(dsum + n.as_double());
    } else if (is_double) {
      dsum = DecimalClean(dsum + static_cast<double>(n.as_int()));
    } else {
      isum += n.as_int();
    }
  }
  return is_double ? MakeNum(dsum) : Value::Int(isum);
}

// --- date ---------------------------------------------------------------------

bool ParseDate(const Value& in, std::time_t* out) {
  if (in.kind() == Kind::kInt) {
    *out = static_cast<std::time_t>(in.as_int());
    return true;
  }
  if (in.kind() == Kind::kDouble) {
    *out = static_cast<std::time_t>(in.as_double());
    return true;
  }
  if (!in.is_string()) return false;
  std::string s(RStrip(LStrip(in.as_string())));
  if (s.empty()) return false;
  if (s == "now" || s == "today") {
    *out = std::time(nullptr);
    return true;
  }
  if (std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    *out = static_cast<std::time_t>(std::strtoll(s.c_str(), nullptr, 10));
    return true;
  }
  static const char* kFormats[] = {
      "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
      "%Y/%m/%d",          "%B %d, %Y %H:%M",   "%B %d, %Y",      "%b %d, %Y", "%d %B %Y %H:%M:%S",
      "%d %B %Y",          "%d %b %Y",          "%a, %d %b %Y %H:%M:%S", "%a %b %d %H:%M:%S %Y", "%B %d %Y",
      "%m/%d/%Y",
  };
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), f, &tm);
    if (!end) continue;
    // Optional zone suffix: Z, UTC, ±HH:MM, ±HHMM.
    long offset = 0;
    std::string_view rest = LStrip(end);
    if (rest == "Z" || rest == "UTC" || rest == "GMT") {
      rest = {};
    } else if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
      int sign = rest[0] == '-' ? -1 : 1;
      std::string digits;
      for (char c : rest.substr(1)) {
        if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
      }
      if (digits.size() == 4) {
        offset = sign * (std::stol(digits.substr(0, 2)) * 3600 + std::stol(digits.substr(2)) * 60);
        rest = {};
      }
    } else if (!rest.empty() && rest[0] == '.') {
      rest = {};  // fractional seconds
    }
    if (!rest.empty()) continue;
    *out = timegm(&tm) - offset;
    return true;
  }
  return false;
}

Value FDate(Context&, const Value& in, const Args& a) {
  std::string fmt = Str(Arg(a, 0));
  if (fmt.empty()) return in;
  std::time_t t;
  if (!ParseDate(in, &t)) return in;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out.push_back(fmt[i]);
      continue;
    }
    char d = fmt[++i];
    // Flags Ruby supports: '-' (no padding), '^' (upcase).
    bool no_pad = false, upper = false;
    while ((d == '-' || d == '^') && i + 1 < fmt.size()) {
      no_pad |= d == '-';
      upper |= d == '^';
      d = fmt[++i];
    }
    char buf[128];
    std::string piece;
    if (d == 's') {
      piece = std::to_string(static_cast<long long>(t));
    } else if (d == '%') {
      piece = "%";
    } else {
      char f[3] = {'%', d, 0};
      std::size_t n = std::strftime(buf, sizeof buf, f, &tm);
      piece.assign(buf, n);
      if (no_pad) {
        std::size_t k = 0;
        while (k + 1 < piece.size() && (piece[k] == '0' || piece[k] == ' ')) ++k;
        piece = piece.substr(k);
      }
    }
    if (upper) piece = AsciiMap(piece, ::toupper);
    out += piece;
  }
  return Value::String(std::move(out));
}

struct FilterDef {
  FilterFn fn;
  int min_args, max_args;
  bool marks_safe;
};

const std::unordered_map<std::string_view, FilterDef>& Registry() {
  static const std::unordered_map<std::string_view, FilterDef> kFilters = {
      {"abs", {FAbs, 0, 0, false}},
      {"append", {FAppend, 1, 1, false}},
      {"at_least", {FAtLeast, 1, 1, false}},
      {"at_most", {FAtMost, 1, 1, false}},
      {"base64_decode", {FBase64Decode, 0, 0, false}},
      {"base64_encode", {FBase64Encode, 0, 0, false}},
      {"base64_url_safe_decode", {FBase64UrlDecode, 0, 0, false}},
      {"base64_url_safe_encode", {FBase64UrlEncode, 0, 0, false}},
      {"capitalize", {FCapitalize, 0, 0, false}},
      {"ceil", {FCeil, 0, 0, false}},
      {"compact", {FCompact, 0, 1, false}},
      {"concat", {FConcat, 1, 1, false}},
      {"date", {FDate, 1, 1, false}},
      {"default", {FDefault, 0, 1, false}},
      {"divided_by", {FDividedBy, 1, 1, false}},
      {"downcase", {FDowncase, 0, 0, false}},
      {"escape", {FEscape, 0, 0, true}},
      {"h", {FEscape, 0, 0, true}},
      {"escape_once", {FEscapeOnce, 0, 0, true}},
      {"find", {FFind, 1, 2, false}},
      {"find_index", {FFindIndex, 1, 2, false}},
      {"first", {FFirst, 0, 0, false}},
      {"floor", {FFloor, 0, 0, false}},
      {"grant_read_access", {FGrantReadAccess, 0, 0, false}},
      {"has", {FHas, 1, 2, false}},
      {"join", {FJoin, 0, 1, false}},
      {"last", {FLast, 0, 0, false}},
      {"lstrip", {FLStrip, 0, 0, false}},
      {"map", {FMap, 1, 1, false}},
      {"minus", {FMinus, 1, 1, false}},
      {"modulo", {FModulo, 1, 1, false}},
      {"newline_to_br", {FNewlineToBr, 0, 0, false}},
      {"plus", {FPlus, 1, 1, false}},
      {"prepend", {FPrepend, 1, 1, false}},
      {"reject", {FReject, 1, 2, false}},
      {"remove", {FRemove, 1, 1, false}},
      {"remove_first", {FRemoveFirst, 1, 1, false}},
      {"remove_last", {FRemoveLast, 1, 1, false}},
      {"replace", {FReplace, 1, 2, false}},
      {"replace_first", {FReplaceFirst, 1, 2, false}},
      {"replace_last", {FReplaceLast, 2, 2, false}},
      {"reverse", {FReverse, 0, 0, false}},
      {"round", {FRound, 0, 1, false}},
      {"rstrip", {FRStrip, 0, 0, false}},
      {"size", {FSize, 0, 0, false}},
      {"skip_autoescape", {FSkipAutoescape, 0, 0, true}},
      {"slice", {FSlice, 1, 2, false}},
      {"sort", {FSort, 0, 1, false}},
      {"sort_natural", {FSortNatural, 0, 1, false}},
      {"split", {FSplit, 1, 1, false}},
      {"squish", {FSquish, 0, 0, false}},
      {"strip", {FStrip, 0, 0, false}},
      {"strip_html", {FStripHtml, 0, 0, false}},
      {"strip_newlines", {FStripNewlines, 0, 0, false}},
      {"sum", {FSum, 0, 1, false}},
      {"times", {FTimes, 1, 1, false}},
      {"to_json", {FToJson, 0, 0, false}},
      {"truncate", {FTruncate, 0, 2, false}},
      {"truncatewords", {FTruncateWords, 0, 2, false}},
      {"uniq", {FUniq, 0, 1, false}},
      {"upcase", {FUpcase, 0, 0, false}},
      {"url_decode", {FUrlDecode, 0, 0, false}},
      {"url_encode", {FUrlEncode, 0, 0, false}},
      {"where", {FWhere, 1, 2, false}},
  };
  return kFilters;
}

}  // namespace

bool FindFilter(std::string_view name, FilterFn* fn, int* min_args, int* max_args, bool* marks_safe) {
  const auto& r = Registry();
  auto it = r.find(name);
  if (it == r.end()) return false;
  *fn = it->second.fn;
  *min_args = it->second.min_args;
  *max_args = it->second.max_args;
  *marks_safe = it->second.marks_safe;
  return true;
}

}  // namespace plumbline::liquid::detail
