// Private to src/liquid: the two lexers of the parser (parser.cpp).
//  - Tokenize splits a template source into text, {{ output }} and {% tag %}
//    tokens exactly as Ruby's Liquid::Tokenizer; SplitTag parses a tag token.
//  - Cursor lexes the markup inside a tag or an output (Ruby's Liquid::Lexer)
//    and lets the parser walk its tokens.
// Errors are thrown as SyntaxError (caught in parser.cpp's ParseInto).
// Tokens are views into the source: it must outlive them.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace plumbline::liquid::detail {

struct SyntaxError {
  std::size_t pos;
  std::string message;
};

inline bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
inline bool IsSpaceChar(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpaceChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpaceChar(s.back())) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------
// Template tokens.

struct Token {
  enum class Type { kText, kOutput, kTag };
  Type type = Type::kText;
  std::string_view raw;  // the whole token
  std::size_t pos = 0;   // offset in the source
  // kTag (from the `liquid` tag or a well-formed `{% %}`):
  bool well_formed = false;
  std::string_view name, markup;
  std::size_t markup_pos = 0;
  bool trim_left = false, trim_right = false;
};

// Splits source into text / {{ }} / {% %} tokens exactly as Ruby's tokenizer.
std::vector<Token> Tokenize(std::string_view s);

// Parses `{%-? name markup -?%}` in place; false if malformed.
bool SplitTag(Token& t);

// ---------------------------------------------------------------------------
// Markup lexer (Ruby's Liquid::Lexer).

enum class T {
  kEnd, kIdent, kString, kNumber, kComparison, kDot, kDotDot, kPipe, kColon, kComma,
  kLBracket, kRBracket, kLParen, kRParen, kQuestion, kDash, kOther,
};

struct Tok {
  T type;
  std::string_view text;
  std::size_t pos;
};

class Cursor {
 public:
  Cursor(std::string_view s, std::size_t base, bool strict) : src_(s), base_(base) { Lex(strict); }

  const Tok& Peek(std::size_t ahead = 0) const {
    std::size_t i = std::min(i_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  bool Look(T t, std::size_t ahead = 0) const { return Peek(ahead).type == t; }
  bool LookId(std::string_view word) const { return Look(T::kIdent) && Peek().text == word; }
  const Tok& Next() {
    const Tok& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool Accept(T t) {
    if (!Look(t)) return false;
    Next();
    return true;
  }
  bool AcceptId(std::string_view word) {
    if (!LookId(word)) return false;
    Next();
    return true;
  }
  const Tok& Expect(T t, const char* what) {
    if (!Look(t)) Fail(std::string("Expected ") + what + " but found " + Describe(Peek()));
    return Next();
  }
  [[noreturn]] void Fail(std::string msg) const { throw SyntaxError{Peek().pos, std::move(msg)}; }
  static std::string Describe(const Tok& t) {
    if (t.type == T::kEnd) return "end_of_string";
    // Built by appends: GCC 12 warns falsely (-Wrestrict) on "'" + string
    // once this is inlined into the parser.
    std::string quoted;
    quoted.reserve(t.text.size() + 2);
    quoted += '\'';
    quoted += t.text;
    quoted += '\'';
    return quoted;
  }
  bool AtEnd() const { return Look(T::kEnd); }
  void SkipUntil(std::initializer_list<T> stops) {
    while (!AtEnd()) {
      for (T s : stops) {
        if (Look(s)) return;
      }
      Next();
    }
  }

 private:  // Lexes the markup into toks_; strict mode throws SyntaxError on a
  // character the grammar does not know (lax mode makes it kOther).
  void Lex(bool strict);

  std::string_view src_;
  std::size_t base_;
  std::vector<Tok> toks_;
  std::size_t i_ = 0;
};

}  // namespace plumbline::liquid::detail
