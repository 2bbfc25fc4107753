// The string filters of Shopify Liquid (spec/liquid.md §3.6): case, escaping,
// stripping, replacing, slicing, splitting, URL and Base64 coding, size and
// default. Each follows the Ruby implementation's coercions and edge cases.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"

#include "liquid/detail/filters.hpp"

namespace plumbline::liquid::detail::filters {

// --- strings ------------------------------------------------------------------

Value FAppend(Context&, const Value& in, const Args& a) { return Value::String(Str(in) + Str(Arg(a, 0))); }
Value FPrepend(Context&, const Value& in, const Args& a) { return Value::String(Str(Arg(a, 0)) + Str(in)); }

Value FUpcase(Context&, const Value& in, const Args&) { return Value::String(AsciiMap(Str(in), ::toupper)); }
Value FDowncase(Context&, const Value& in, const Args&) { return Value::String(AsciiLower(Str(in))); }
Value FCapitalize(Context&, const Value& in, const Args&) {
  std::string s = AsciiLower(Str(in));
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
static std::string Replace(const std::string& s, const std::string& pat, const std::string& rep, bool all, bool last) {
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
static std::vector<std::size_t> CharStarts(std::string_view s) {
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

static std::vector<std::string_view> SplitWords(std::string_view s) {
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

static bool ValidUtf8(std::string_view s) {
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
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && HexDigitValue(s[i + 1]) >= 0 && HexDigitValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  if (!ValidUtf8(out)) throw RenderError("invalid byte sequence in UTF-8");
  return Value::String(std::move(out));
}

static std::string Base64Encode(std::string_view s, bool url) {
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

static bool Base64Decode(std::string_view s, bool url, std::string* out) {
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

}  // namespace plumbline::liquid::detail::filters
