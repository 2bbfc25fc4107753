// The template tokenizer and the markup lexer (see detail/lexer.hpp):
// Ruby Liquid 5's Tokenizer and Lexer, spec/liquid.md §3.
#include "liquid/detail/lexer.hpp"

#include <cstring>

namespace plumbline::liquid::detail {

// Splits source into text / {{ }} / {% %} tokens exactly as Ruby's tokenizer.
std::vector<Token> Tokenize(std::string_view s) {
  std::vector<Token> toks;
  std::size_t pos = 0, n = s.size();
  auto add = [&](Token::Type t, std::size_t b, std::size_t e) {
    Token tok;
    tok.type = t;
    tok.raw = s.substr(b, e - b);
    tok.pos = b;
    toks.push_back(tok);
  };
  while (pos < n) {
    std::size_t idx = pos;
    while (true) {
      idx = s.find('{', idx);
      if (idx == std::string_view::npos || idx + 1 >= n) {
        idx = std::string_view::npos;
        break;
      }
      if (s[idx + 1] == '{' || s[idx + 1] == '%') break;
      ++idx;
    }
    if (idx == std::string_view::npos) {
      add(Token::Type::kText, pos, n);
      break;
    }
    if (idx > pos) add(Token::Type::kText, pos, idx);
    if (s[idx + 1] == '%') {
      auto end = s.find("%}", idx + 2);
      if (end == std::string_view::npos) {
        add(Token::Type::kTag, idx, idx + 2);  // "{%": unterminated
        pos = idx + 2;
      } else {
        add(Token::Type::kTag, idx, end + 2);
        pos = end + 2;
      }
      continue;
    }
    // "{{": ends at the first '}' (one or two of them), or becomes a tag
    // token if "{%" comes first.
    std::size_t j = idx + 2;
    bool done = false;
    if (j >= n) {
      add(Token::Type::kOutput, idx, idx + 2);
      pos = n;
      continue;
    }
    char a = s[j++];
    while (!done) {
      while (a != '}' && a != '{') {
        if (j >= n) {
          a = 0;
          break;
        }
        a = s[j++];
      }
      if (a == 0) {
        add(Token::Type::kOutput, idx, idx + 2);
        pos = n;
        done = true;
        break;
      }
      if (j >= n) {
        if (a == '}') {
          add(Token::Type::kOutput, idx, j);
        } else {
          add(Token::Type::kOutput, idx, idx + 2);
        }
        pos = n;
        done = true;
        break;
      }
      char b = s[j++];
      if (a == '}') {
        if (b != '}') --j;
        add(Token::Type::kOutput, idx, j);
        pos = j;
        done = true;
      } else if (a == '{' && b == '%') {
        auto end = s.find("%}", j);
        if (end == std::string_view::npos) {
          add(Token::Type::kOutput, idx, idx + 2);
          pos = n;
        } else {
          add(Token::Type::kOutput, idx, end + 2);
          pos = end + 2;
        }
        done = true;
      } else {
        a = b;
      }
    }
  }
  return toks;
}

// Parses `{%-? name markup -?%}` in place; false if malformed.
bool SplitTag(Token& t) {
  std::string_view r = t.raw;
  if (r.size() < 4 || r.substr(0, 2) != "{%" || r.substr(r.size() - 2) != "%}") return false;
  std::size_t i = 2, end = r.size() - 2;
  if (i < end && r[i] == '-') {
    t.trim_left = true;
    ++i;
  }
  while (i < end && IsSpaceChar(r[i])) ++i;
  std::size_t name_b = i;
  if (i < end && r[i] == '#') {
    ++i;
  } else {
    while (i < end && IsWordChar(r[i])) ++i;
  }
  if (i == name_b) return false;
  t.name = r.substr(name_b, i - name_b);
  if (end > i && r[end - 1] == '-') {
    t.trim_right = true;
    --end;
  }
  while (i < end && IsSpaceChar(r[i])) ++i;
  t.markup = r.substr(i, end - i);
  t.markup_pos = t.pos + i;
  t.well_formed = true;
  return true;
}

void Cursor::Lex(bool strict) {
  std::size_t i = 0, n = src_.size();
  auto push = [&](T t, std::size_t b, std::size_t e) { toks_.push_back({t, src_.substr(b, e - b), base_ + b}); };
  while (i < n) {
    char c = src_[i];
    if (IsSpaceChar(c)) {
      ++i;
      continue;
    }
    std::size_t b = i;
    // comparison
    if (c == '=' && i + 1 < n && src_[i + 1] == '=') {
      push(T::kComparison, b, i += 2);
      continue;
    }
    if (c == '!' && i + 1 < n && src_[i + 1] == '=') {
      push(T::kComparison, b, i += 2);
      continue;
    }
    if (c == '<' && i + 1 < n && src_[i + 1] == '>') {
      push(T::kComparison, b, i += 2);
      continue;
    }
    if (c == '<' || c == '>') {
      i += (i + 1 < n && src_[i + 1] == '=') ? 2 : 1;
      push(T::kComparison, b, i);
      continue;
    }
    if (src_.compare(i, 8, "contains") == 0 && i + 8 < n && IsSpaceChar(src_[i + 8])) {
      push(T::kComparison, b, i += 8);
      continue;
    }
    if (c == '\'' || c == '"') {
      auto e = src_.find(c, i + 1);
      if (e != std::string_view::npos) {
        push(T::kString, b, e + 1);
        i = e + 1;
        continue;
      }
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && i + 1 < n && std::isdigit(static_cast<unsigned char>(src_[i + 1])))) {
      ++i;
      while (i < n && std::isdigit(static_cast<unsigned char>(src_[i]))) ++i;
      if (i + 1 < n && src_[i] == '.' && std::isdigit(static_cast<unsigned char>(src_[i + 1]))) {
        ++i;
        while (i < n && std::isdigit(static_cast<unsigned char>(src_[i]))) ++i;
      }
      if (!strict && i < n && (std::isalpha(static_cast<unsigned char>(src_[i])) || src_[i] == '_')) {
        // Lax: `1e3`, `2abc` are variable names, as in Ruby's regex parser.
        while (i < n && (IsWordChar(src_[i]) || src_[i] == '-')) ++i;
        if (i < n && src_[i] == '?') ++i;
        push(T::kIdent, b, i);
        continue;
      }
      push(T::kNumber, b, i);
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      ++i;
      while (i < n && (IsWordChar(src_[i]) || src_[i] == '-')) ++i;
      if (i < n && src_[i] == '?') ++i;
      push(T::kIdent, b, i);
      continue;
    }
    if (c == '.' && i + 1 < n && src_[i + 1] == '.') {
      push(T::kDotDot, b, i += 2);
      continue;
    }
    T t = T::kOther;
    switch (c) {
      case '|': t = T::kPipe; break;
      case '.': t = T::kDot; break;
      case ':': t = T::kColon; break;
      case ',': t = T::kComma; break;
      case '[': t = T::kLBracket; break;
      case ']': t = T::kRBracket; break;
      case '(': t = T::kLParen; break;
      case ')': t = T::kRParen; break;
      case '?': t = T::kQuestion; break;
      case '-': t = T::kDash; break;
      default: break;
    }
    if (t == T::kOther && strict) {
      throw SyntaxError{base_ + i, std::string("Unexpected character ") + c};
    }
    push(t, b, ++i);
  }
  toks_.push_back({T::kEnd, {}, base_ + n});
}

}  // namespace plumbline::liquid::detail
