// The number, array and date filters of Shopify Liquid (spec/liquid.md §3.6):
// arithmetic with Ruby's Integer/Float/BigDecimal results, map/where/sort/
// uniq/sum over arrays and hashes, and strftime dates. Each follows the Ruby
// implementation's coercions and edge cases.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "common/text.hpp"
#include "liquid/detail/filters.hpp"

namespace plumbline::liquid::detail::filters {

// --- numbers ----------------------------------------------------------------

// Ruby converts floats to BigDecimal through their shortest decimal form;
// rounding the double result to 15 significant digits reproduces the exact
// decimal result for the operands people write (10.1 - 2.2 = 7.9).
static double DecimalClean(double d) {
  if (!std::isfinite(d) || d == 0) return d;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return std::strtod(buf, nullptr);
}

static Value Num(const Value& v) { return ToNumber(v); }

static Value MakeNum(double d) { return Value::Double(d); }

static Value Arith(const Value& in, const Value& arg, char op) {
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

static std::int64_t ToInt64(double d) {
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
static double DecimalRound(double d, int digits) {
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
static Value ItemProperty(const Value& item, const Value& prop, bool* type_error) {
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

static Value FilterArray(const Value& in, const Args& a, Select mode) {
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
static bool Spaceship(const Value& a, const Value& b, int* out) {
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

static int NilSafeCompare(const Value& a, const Value& b) {
  int c;
  if (Spaceship(a, b, &c)) return c;
  if (a.is_nil()) return 1;
  if (b.is_nil()) return -1;
  throw RenderError("cannot sort values of incompatible types");
}

static int NilSafeCaseCompare(const Value& a, const Value& b) {
  if (!a.is_nil() && !b.is_nil()) {
    int c = AsciiLower(Str(a)).compare(AsciiLower(Str(b)));
    return c < 0 ? -1 : c > 0;
  }
  if (a.is_nil() && b.is_nil()) return 0;
  return a.is_nil() ? 1 : -1;
}

static Value SortImpl(const Value& in, const Args& a, bool natural) {
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
static bool StrictEquals(const Value& a, const Value& b) {
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

static bool ParseDate(const Value& in, std::time_t* out) {
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

}  // namespace plumbline::liquid::detail::filters
