// The regex engine of the request validation: Java syntax, the subset the
// SageMaker model's patterns use (classes with ranges, \d \w \s \S \t \n \r
// \uXXXX \p{L|M|N|P|S|Z|C}, groups, |, * + ? {n} {n,} {n,m}, ^ $, and '.'
// not matching line terminators), full-match semantics over code points.
// Matching runs in O(|text| * |pattern|) (Thompson NFA, Pike VM), without
// recursion on the input. Private to api/.
//
// A compiled Regex is immutable: FullMatch may run concurrently.
#pragma once

#include <memory>
#include <string_view>

namespace plumbline::api::detail {

class Regex {
 public:
  // Compiles `pattern`; throws std::invalid_argument on a pattern outside
  // the subset (a programmer error: the patterns are the model's).
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // True when the whole of UTF-8 `text` matches.
  bool FullMatch(std::string_view text) const;

 private:
  class Program;
  std::unique_ptr<Program> program_;
};

// Regex(pattern).FullMatch(text), for tests.
bool RegexFullMatch(std::string_view pattern, std::string_view text);

}  // namespace plumbline::api::detail
