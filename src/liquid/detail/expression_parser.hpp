// Private to src/liquid: the expression half of the parser
// (expression_parser.cpp). parser.cpp walks the template's tokens and tags;
// it hands every piece of markup that holds an expression to an
// ExpressionParser:
//  - ParseExpr: a literal, a variable path with lookups, or a range;
//  - ParseFilteredInto: `expr | filter: arg, key: arg | ...` ({{ }}, echo,
//    assign);
//  - ParseFullCondition: `a == b and c` (if, unless, elsif).
// Errors are thrown as SyntaxError, like the lexers'. One ExpressionParser
// belongs to one Parser; it is not safe to share between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "liquid/detail/ast.hpp"
#include "liquid/detail/lexer.hpp"

namespace plumbline::liquid::detail {

// Nesting limit of blocks and of expressions (Ruby's is 100 too).
constexpr int kMaxParseDepth = 100;

class ExpressionParser {
 public:
  // `strict`: fail on junk (ErrorMode::kStrict); otherwise skip it as Ruby's
  // lax parser does.
  explicit ExpressionParser(bool strict) : strict_(strict) {}

  // One expression at the cursor; throws SyntaxError when there is none or
  // it nests deeper than kMaxParseDepth.
  Expr ParseExpr(Cursor& c);

  // The markup of an output (at offset `base` in the source) into `out`: an
  // optional expression and its filter chain. Empty markup sets out.empty.
  void ParseFilteredInto(FilteredExpr& out, std::string_view markup, std::size_t base);

  // The whole markup of an if/unless/elsif: comparisons joined by and/or.
  std::unique_ptr<Condition> ParseFullCondition(std::string_view markup, std::size_t base);

 private:
  Expr ParseExprInner(Cursor& c);
  static Value NumberLiteral(std::string_view s);
  void ParseLookups(Cursor& c, Expr& e);
  void ParseFilters(Cursor& c, std::vector<Filter>& filters);
  void ParseArg(Cursor& c, Filter& f);
  std::unique_ptr<Condition> ParseCondition(Cursor& c);

  bool strict_;
  int expr_depth_ = 0;
};

}  // namespace plumbline::liquid::detail
