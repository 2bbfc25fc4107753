// The filter registry (FindFilter) and Ground Truth's own filters
// (spec/liquid.md §2.3): skip_autoescape, to_json and grant_read_access. The
// standard Shopify filters are in filters_string.cpp (strings) and
// filters_array.cpp (numbers, arrays, dates); detail/filters.hpp declares
// them all.
#include <string>
#include <string_view>
#include <unordered_map>

#include "liquid/detail/context.hpp"
#include "liquid/detail/filters.hpp"

namespace plumbline::liquid::detail {

namespace filters {

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

}  // namespace filters

namespace {

using namespace filters;  // NOLINT: the registry names every filter

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
