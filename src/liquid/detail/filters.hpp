// Private to src/liquid: the filter functions behind FindFilter (ast.hpp).
// filters.cpp holds the registry and Ground Truth's filters;
// filters_string.cpp the string filters; filters_array.cpp the number, array
// and date filters. Every filter has the FilterFn signature: it reads its
// input and arguments, returns a new Value and never keeps references to
// them; it may throw the render errors of context.hpp, as Ruby raises.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

#include "liquid/detail/ast.hpp"
#include "liquid/detail/context.hpp"

namespace plumbline::liquid::detail::filters {

using Args = FilterArgs;

// Ruby's String#strip set of white space (with NUL).
inline bool IsSpaceChar(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\0';
}

// The i-th positional argument, nil when there are fewer.
inline const Value& Arg(const Args& a, std::size_t i) {
  static const Value kNil;
  return i < a.pos.size() ? a.pos[i] : kNil;
}

// `s` without leading (LStrip) or trailing (RStrip) IsSpaceChar bytes.
inline std::string_view LStrip(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.front())) s.remove_prefix(1);
  return s;
}
inline std::string_view RStrip(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.back())) s.remove_suffix(1);
  return s;
}

inline std::string Str(const Value& v) { return ToString(v); }

// Applies f (toupper, tolower) to the ASCII bytes of s only, as Ruby does.
inline std::string AsciiMap(std::string s, int (*f)(int)) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  }
  return s;
}

// Ground Truth's filters (filters.cpp).
Value FSkipAutoescape(Context& ctx, const Value& in, const Args& a);
Value FToJson(Context& ctx, const Value& in, const Args& a);
Value FGrantReadAccess(Context& ctx, const Value& in, const Args& a);

// The standard filters (filters_string.cpp, filters_array.cpp).
Value FAbs(Context& ctx, const Value& in, const Args& a);
Value FAppend(Context& ctx, const Value& in, const Args& a);
Value FAtLeast(Context& ctx, const Value& in, const Args& a);
Value FAtMost(Context& ctx, const Value& in, const Args& a);
Value FBase64Decode(Context& ctx, const Value& in, const Args& a);
Value FBase64Encode(Context& ctx, const Value& in, const Args& a);
Value FBase64UrlDecode(Context& ctx, const Value& in, const Args& a);
Value FBase64UrlEncode(Context& ctx, const Value& in, const Args& a);
Value FCapitalize(Context& ctx, const Value& in, const Args& a);
Value FCeil(Context& ctx, const Value& in, const Args& a);
Value FCompact(Context& ctx, const Value& in, const Args& a);
Value FConcat(Context& ctx, const Value& in, const Args& a);
Value FDate(Context& ctx, const Value& in, const Args& a);
Value FDefault(Context& ctx, const Value& in, const Args& a);
Value FDividedBy(Context& ctx, const Value& in, const Args& a);
Value FDowncase(Context& ctx, const Value& in, const Args& a);
Value FEscape(Context& ctx, const Value& in, const Args& a);
Value FEscapeOnce(Context& ctx, const Value& in, const Args& a);
Value FFind(Context& ctx, const Value& in, const Args& a);
Value FFindIndex(Context& ctx, const Value& in, const Args& a);
Value FFirst(Context& ctx, const Value& in, const Args& a);
Value FFloor(Context& ctx, const Value& in, const Args& a);
Value FHas(Context& ctx, const Value& in, const Args& a);
Value FJoin(Context& ctx, const Value& in, const Args& a);
Value FLStrip(Context& ctx, const Value& in, const Args& a);
Value FLast(Context& ctx, const Value& in, const Args& a);
Value FMap(Context& ctx, const Value& in, const Args& a);
Value FMinus(Context& ctx, const Value& in, const Args& a);
Value FModulo(Context& ctx, const Value& in, const Args& a);
Value FNewlineToBr(Context& ctx, const Value& in, const Args& a);
Value FPlus(Context& ctx, const Value& in, const Args& a);
Value FPrepend(Context& ctx, const Value& in, const Args& a);
Value FRStrip(Context& ctx, const Value& in, const Args& a);
Value FReject(Context& ctx, const Value& in, const Args& a);
Value FRemove(Context& ctx, const Value& in, const Args& a);
Value FRemoveFirst(Context& ctx, const Value& in, const Args& a);
Value FRemoveLast(Context& ctx, const Value& in, const Args& a);
Value FReplace(Context& ctx, const Value& in, const Args& a);
Value FReplaceFirst(Context& ctx, const Value& in, const Args& a);
Value FReplaceLast(Context& ctx, const Value& in, const Args& a);
Value FReverse(Context& ctx, const Value& in, const Args& a);
Value FRound(Context& ctx, const Value& in, const Args& a);
Value FSize(Context& ctx, const Value& in, const Args& a);
Value FSlice(Context& ctx, const Value& in, const Args& a);
Value FSort(Context& ctx, const Value& in, const Args& a);
Value FSortNatural(Context& ctx, const Value& in, const Args& a);
Value FSplit(Context& ctx, const Value& in, const Args& a);
Value FSquish(Context& ctx, const Value& in, const Args& a);
Value FStrip(Context& ctx, const Value& in, const Args& a);
Value FStripHtml(Context& ctx, const Value& in, const Args& a);
Value FStripNewlines(Context& ctx, const Value& in, const Args& a);
Value FSum(Context& ctx, const Value& in, const Args& a);
Value FTimes(Context& ctx, const Value& in, const Args& a);
Value FTruncate(Context& ctx, const Value& in, const Args& a);
Value FTruncateWords(Context& ctx, const Value& in, const Args& a);
Value FUniq(Context& ctx, const Value& in, const Args& a);
Value FUpcase(Context& ctx, const Value& in, const Args& a);
Value FUrlDecode(Context& ctx, const Value& in, const Args& a);
Value FUrlEncode(Context& ctx, const Value& in, const Args& a);
Value FWhere(Context& ctx, const Value& in, const Args& a);

}  // namespace plumbline::liquid::detail::filters
