// Runtime values of the Liquid engine (private).
//
// A Value either borrows from the render context (Boost.JSON strings, arrays
// and objects: no copies) or from the parsed template (string literals), or
// owns its data through a shared_ptr (results of filters, captures, ...).
// Borrowed values are valid only for the duration of one render, which is the
// lifetime of everything the engine creates from them.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plumbline::liquid::detail {

namespace json = boost::json;

enum class Kind : std::uint8_t {
  kNil,
  kBool,
  kInt,
  kDouble,
  kString,
  kArray,
  kObject,
  kRange,
  kEmpty,  // the `empty` literal
  kBlank,  // the `blank` literal
  kDrop,   // forloop / tablerowloop
};

class Value;
using ValueArray = std::vector<Value>;
using ValueObject = std::vector<std::pair<std::string, Value>>;

// An object computed at render time (forloop, tablerowloop).
class Drop {
 public:
  virtual ~Drop() = default;
  virtual Value Get(std::string_view key) const = 0;
};

// A render error: printed inline (lax) or fatal (strict_errors).
struct RenderError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A limit breach: always fatal.
struct LimitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Value {
 public:
  Value() = default;
  static Value Nil() { return Value(); }
  static Value Bool(bool b) {
    Value v(Kind::kBool);
    v.u_.b = b;
    return v;
  }
  static Value Int(std::int64_t i) {
    Value v(Kind::kInt);
    v.u_.i = i;
    return v;
  }
  static Value Double(double d) {
    Value v(Kind::kDouble);
    v.u_.d = d;
    return v;
  }
  // Borrows `s`; the caller guarantees it outlives the value.
  static Value StringRef(std::string_view s) {
    Value v(Kind::kString);
    v.u_.s.p = s.data();
    v.u_.s.n = s.size();
    return v;
  }
  static Value String(std::string s) {
    auto p = std::make_shared<const std::string>(std::move(s));
    Value v(Kind::kString);
    v.u_.s.p = p->data();
    v.u_.s.n = p->size();
    v.hold_ = std::move(p);
    return v;
  }
  static Value Array(ValueArray a) {
    auto p = std::make_shared<const ValueArray>(std::move(a));
    Value v(Kind::kArray);
    v.u_.va = p.get();
    v.hold_ = std::move(p);
    return v;
  }
  static Value Object(ValueObject o) {
    auto p = std::make_shared<const ValueObject>(std::move(o));
    Value v(Kind::kObject);
    v.u_.vo = p.get();
    v.hold_ = std::move(p);
    return v;
  }
  static Value Range(std::int64_t lo, std::int64_t hi) {
    Value v(Kind::kRange);
    v.u_.r.lo = lo;
    v.u_.r.hi = hi;
    return v;
  }
  static Value Empty() { return Value(Kind::kEmpty); }
  static Value Blank() { return Value(Kind::kBlank); }
  static Value FromDrop(std::shared_ptr<const Drop> d) {
    Value v(Kind::kDrop);
    v.u_.drop = d.get();
    v.hold_ = std::move(d);
    return v;
  }
  // Borrows a JSON value (no copy).
  static Value FromJson(const json::value& j) {
    switch (j.kind()) {
      case json::kind::null: return Value();
      case json::kind::bool_: return Bool(j.get_bool());
      case json::kind::int64: return Int(j.get_int64());
      case json::kind::uint64: {
        auto u = j.get_uint64();
        return u <= static_cast<std::uint64_t>(INT64_MAX) ? Int(static_cast<std::int64_t>(u))
                                                           : Double(static_cast<double>(u));
      }
      case json::kind::double_: return Double(j.get_double());
      case json::kind::string: return StringRef(std::string_view(j.get_string()));
      case json::kind::array: {
        Value v(Kind::kArray);
        v.u_.ja = &j.get_array();
        v.json_ = true;
        return v;
      }
      case json::kind::object: {
        Value v(Kind::kObject);
        v.u_.jo = &j.get_object();
        v.json_ = true;
        return v;
      }
    }
    return Value();
  }

  Kind kind() const { return kind_; }
  bool is_nil() const { return kind_ == Kind::kNil; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool truthy() const { return !(kind_ == Kind::kNil || (kind_ == Kind::kBool && !u_.b)); }

  bool as_bool() const { return u_.b; }
  std::int64_t as_int() const { return u_.i; }
  double as_double() const { return u_.d; }
  double as_number() const { return kind_ == Kind::kInt ? static_cast<double>(u_.i) : u_.d; }
  std::string_view as_string() const { return {u_.s.p, u_.s.n}; }
  std::int64_t range_lo() const { return u_.r.lo; }
  std::int64_t range_hi() const { return u_.r.hi; }
  const Drop* drop() const { return u_.drop; }

  // Auto-escape marker (GT §2.2): set by escape, escape_once, skip_autoescape, capture.
  bool safe() const { return safe_; }
  Value& set_safe(bool s) {
    safe_ = s;
    return *this;
  }

  // Arrays (also valid for ranges).
  std::size_t size() const {
    if (kind_ == Kind::kArray) return json_ ? u_.ja->size() : u_.va->size();
    if (kind_ == Kind::kObject) return json_ ? u_.jo->size() : u_.vo->size();
    if (kind_ == Kind::kRange) {
      if (u_.r.hi < u_.r.lo) return 0;
      return static_cast<std::size_t>(static_cast<std::uint64_t>(u_.r.hi) - static_cast<std::uint64_t>(u_.r.lo)) + 1;
    }
    return 0;
  }
  Value at(std::size_t i) const {
    if (kind_ == Kind::kRange) return Int(u_.r.lo + static_cast<std::int64_t>(i));
    return json_ ? FromJson((*u_.ja)[i]) : (*u_.va)[i];
  }
  // Objects.
  bool json_backed() const { return json_; }
  const json::object& json_object() const { return *u_.jo; }
  const ValueObject& value_object() const { return *u_.vo; }
  // Looks up `key` in an object; false if absent.
  bool Find(std::string_view key, Value* out) const {
    if (json_) {
      auto it = u_.jo->find(key);
      if (it == u_.jo->end()) return false;
      *out = FromJson(it->value());
      return true;
    }
    for (const auto& [k, v] : *u_.vo) {
      if (k == key) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  template <class F>
  void ForEachPair(F&& f) const {
    if (json_) {
      for (const auto& kv : *u_.jo) f(std::string_view(kv.key()), FromJson(kv.value()));
    } else {
      for (const auto& [k, v] : *u_.vo) f(std::string_view(k), v);
    }
  }

 private:
  explicit Value(Kind k) : kind_(k) {}

  Kind kind_ = Kind::kNil;
  bool json_ = false;
  bool safe_ = false;
  union U {
    bool b;
    std::int64_t i;
    double d;
    struct {
      const char* p;
      std::size_t n;
    } s;
    struct {
      std::int64_t lo, hi;
    } r;
    const json::array* ja;
    const json::object* jo;
    const ValueArray* va;
    const ValueObject* vo;
    const Drop* drop;
  } u_{};
  std::shared_ptr<const void> hold_;
};

// --- conversions and comparisons (value.cpp) ---

// Ruby Float#to_s.
std::string FormatDouble(double d);
// Liquid's to_s (arrays/hashes inspect-style), appended to `out`.
void AppendToString(std::string& out, const Value& v);
std::string ToString(const Value& v);
// Ruby inspect (strings quoted), used for hashes and arrays.
void AppendInspect(std::string& out, const Value& v);
// Output rendering: nil → nothing, arrays → items concatenated (Shopify) or JSON (GT).
void AppendOutput(std::string& out, const Value& v, bool json_structured);
// JSON serialization per GT to_json.
void AppendJson(std::string& out, const Value& v, int depth = 0);

bool Equals(const Value& a, const Value& b);
// Condition comparison for <, <=, >, >=: returns false for incomparable values,
// throws RenderError for string-vs-number.
bool CompareOp(const Value& a, const Value& b, std::string_view op);
bool Contains(const Value& a, const Value& b);
bool IsBlank(const Value& v);
bool IsEmpty(const Value& v);
// `value.key` / `value[key]` lookup including size/first/last.
Value Lookup(const Value& base, const Value& key);
Value LookupName(const Value& base, std::string_view key);
// Array filters' view of an input: flattened array; hash → [hash]; scalar → [x].
ValueArray ToFlatArray(const Value& v);
// The items a `for` loop iterates.
ValueArray ToIterable(const Value& v);

// Ruby-like numeric coercion for math filters.
Value ToNumber(const Value& v);
// Integer coercion for slice/limit/offset etc.; throws RenderError if not integral.
std::int64_t ToInteger(const Value& v, std::string_view what);
std::string TypeName(const Value& v);

}  // namespace plumbline::liquid::detail
