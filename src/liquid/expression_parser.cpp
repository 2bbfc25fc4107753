// Expressions, filter chains and conditions: the grammar inside {{ }} and
// the markup of tags (Ruby's Liquid::Parser#expression, #argument,
// Liquid::Variable and Liquid::Condition), over a Cursor's tokens. Strict
// mode fails on junk; lax mode skips it as Ruby's lax parser does.
#include <charconv>
#include <cstdlib>
#include <string>

#include "liquid/detail/expression_parser.hpp"

namespace plumbline::liquid::detail {

Expr ExpressionParser::ParseExpr(Cursor& c) {
  if (++expr_depth_ > kMaxParseDepth) c.Fail("Expression nested too deep");
  Expr e = ParseExprInner(c);
  --expr_depth_;
  return e;
}

Expr ExpressionParser::ParseExprInner(Cursor& c) {
  Expr e;
  const Tok& t = c.Peek();
  switch (t.type) {
    case T::kIdent: {
      c.Next();
      std::string_view w = t.text;
      bool has_lookups = c.Look(T::kDot) || c.Look(T::kLBracket);
      if (!has_lookups) {
        if (w == "true" || w == "false") {
          e.literal = Value::Bool(w == "true");
          return e;
        }
        if (w == "nil" || w == "null") return e;
        if (w == "empty") {
          e.literal = Value::Empty();
          return e;
        }
        if (w == "blank") {
          e.literal = Value::Blank();
          return e;
        }
      }
      e.type = Expr::Type::kPath;
      e.root = std::string(w);
      ParseLookups(c, e);
      return e;
    }
    case T::kLBracket: {
      c.Next();
      e.type = Expr::Type::kPath;
      e.root_expr = std::make_unique<Expr>(ParseExpr(c));
      c.Expect(T::kRBracket, "close_square");
      ParseLookups(c, e);
      return e;
    }
    case T::kString:
      c.Next();
      e.literal = Value::StringRef(t.text.substr(1, t.text.size() - 2));
      return e;
    case T::kNumber: {
      c.Next();
      e.literal = NumberLiteral(t.text);
      if (!strict_ && (c.Look(T::kDot) || c.Look(T::kLBracket))) {
        // Lax: `1.foo` etc. resolve as variables named by the digits.
        e.type = Expr::Type::kPath;
        e.root = std::string(t.text);
        ParseLookups(c, e);
      }
      return e;
    }
    case T::kLParen: {
      c.Next();
      e.type = Expr::Type::kRange;
      e.lo = std::make_unique<Expr>(ParseExpr(c));
      c.Expect(T::kDotDot, "dotdot");
      e.hi = std::make_unique<Expr>(ParseExpr(c));
      c.Expect(T::kRParen, "close_round");
      return e;
    }
    default: c.Fail(Cursor::Describe(t) + " is not a valid expression");
  }
}

Value ExpressionParser::NumberLiteral(std::string_view s) {
  if (s.find('.') != std::string_view::npos) {
    return Value::Double(std::strtod(std::string(s).c_str(), nullptr));
  }
  std::int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc()) return Value::Double(std::strtod(std::string(s).c_str(), nullptr));
  return Value::Int(v);
}

void ExpressionParser::ParseLookups(Cursor& c, Expr& e) {
  while (true) {
    if (c.Accept(T::kLBracket)) {
      Expr key = ParseExpr(c);
      c.Expect(T::kRBracket, "close_square");
      Expr::Segment seg;
      if (key.type == Expr::Type::kLiteral && key.literal.is_string()) {
        seg.name = std::string(key.literal.as_string());
      } else {
        seg.expr = std::make_unique<Expr>(std::move(key));
      }
      e.segments.push_back(std::move(seg));
    } else if (c.Look(T::kDot) && (c.Look(T::kIdent, 1) || strict_)) {
      c.Next();
      const Tok& id = c.Expect(T::kIdent, "id");
      Expr::Segment seg;
      seg.name = std::string(id.text);
      seg.dot = true;
      e.segments.push_back(std::move(seg));
    } else if (!strict_ && c.Look(T::kDot) && c.Look(T::kNumber, 1)) {
      c.Next();
      Expr::Segment seg;
      seg.name = std::string(c.Next().text);
      e.segments.push_back(std::move(seg));
    } else {
      return;
    }
  }
}

// `expr | filter: arg, kw: arg | ...`
void ExpressionParser::ParseFilteredInto(FilteredExpr& out, std::string_view markup, std::size_t base) {
  Cursor c(markup, base, strict_);
  if (c.AtEnd()) {
    out.empty = true;
    return;
  }
  if (strict_) {
    out.expr = ParseExpr(c);
  } else {
    try {
      out.expr = ParseExpr(c);
    } catch (const SyntaxError&) {
      if (!c.Look(T::kPipe)) c.Next();
      out.expr = Expr();
    }
    c.SkipUntil({T::kPipe});
  }
  ParseFilters(c, out.filters);
  if (!c.AtEnd()) {
    if (strict_) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
  }
}

void ExpressionParser::ParseFilters(Cursor& c, std::vector<Filter>& filters) {
  while (c.Accept(T::kPipe)) {
    if (!c.Look(T::kIdent)) {
      if (strict_) c.Fail("Expected id but found " + Cursor::Describe(c.Peek()));
      c.SkipUntil({T::kPipe});
      continue;
    }
    Filter f;
    f.name = std::string(c.Next().text);
    if (!FindFilter(f.name, &f.fn, &f.min_args, &f.max_args, &f.marks_safe)) f.fn = nullptr;
    if (c.Accept(T::kColon)) {
      while (true) {
        if (strict_) {
          ParseArg(c, f);
        } else {
          try {
            ParseArg(c, f);
          } catch (const SyntaxError&) {
            c.SkipUntil({T::kComma, T::kPipe});
          }
        }
        if (!c.Accept(T::kComma)) break;
      }
    }
    filters.push_back(std::move(f));
    if (!strict_) c.SkipUntil({T::kPipe});
  }
}

void ExpressionParser::ParseArg(Cursor& c, Filter& f) {
  if (c.Look(T::kIdent) && c.Look(T::kColon, 1)) {
    std::string key(c.Next().text);
    c.Next();
    f.kwargs.emplace_back(std::move(key), ParseExpr(c));
    return;
  }
  f.args.push_back(ParseExpr(c));
}

std::unique_ptr<Condition> ExpressionParser::ParseCondition(Cursor& c) {
  auto cond = std::make_unique<Condition>();
  cond->left = ParseExpr(c);
  if (c.Look(T::kComparison)) {
    cond->op = std::string(c.Next().text);
    cond->right = ParseExpr(c);
  } else if (c.Look(T::kOther) || c.Look(T::kDash) ||
             (c.Look(T::kIdent) && !c.LookId("and") && !c.LookId("or"))) {
    // `=`, `=!` etc.: Ruby rejects unknown operators in both modes.
    c.Fail("Unknown operator " + std::string(c.Peek().text));
  }
  if (c.LookId("and") || c.LookId("or")) {
    cond->join = c.Next().text == "and" ? Condition::Join::kAnd : Condition::Join::kOr;
    cond->next = ParseCondition(c);
  }
  return cond;
}

std::unique_ptr<Condition> ExpressionParser::ParseFullCondition(std::string_view markup, std::size_t base) {
  Cursor c(markup, base, strict_);
  if (c.AtEnd()) throw SyntaxError{base, "Syntax Error in tag - Valid syntax: if [expression]"};
  auto cond = ParseCondition(c);
  if (strict_ && !c.AtEnd()) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
  return cond;
}

}  // namespace plumbline::liquid::detail
