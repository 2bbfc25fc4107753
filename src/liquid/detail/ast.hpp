// The parsed form of a template (private). Immutable after parsing, so a
// TemplateImpl may be rendered from several threads at once; all per-render
// state lives in Context.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "liquid/detail/value.hpp"
#include "liquid/liquid.hpp"

namespace plumbline::liquid::detail {

class Context;
struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Type { kLiteral, kPath, kRange };
  struct Segment {
    std::string name;  // dot or bracketed string literal key
    ExprPtr expr;      // computed key ([expr]); null for a name
    bool dot = false;  // `.name`: may call size/first/last
  };
  Type type = Type::kLiteral;
  Value literal;
  std::string root;   // kPath: top-level name (unless root_expr)
  ExprPtr root_expr;  // kPath: `[expr]` at the start
  std::vector<Segment> segments;
  ExprPtr lo, hi;  // kRange

  Value Eval(Context& ctx) const;
};

struct FilterArgs;
using FilterFn = Value (*)(Context& ctx, const Value& input, const FilterArgs& args);

struct FilterArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string_view, Value>> kw;
  std::string_view name;
};

struct Filter {
  std::string name;
  FilterFn fn = nullptr;  // null: unknown filter
  int min_args = 0, max_args = 0;
  bool marks_safe = false;  // escape, escape_once, skip_autoescape
  std::vector<Expr> args;
  std::vector<std::pair<std::string, Expr>> kwargs;
};

// An expression followed by filters: `{{ }}`, echo, assign.
struct FilteredExpr {
  Expr expr;
  std::vector<Filter> filters;
  bool empty = false;  // `{{ }}`
  Value Eval(Context& ctx) const;
};

struct Condition {
  Expr left;
  std::string op;  // empty: truthiness of left
  Expr right;
  enum class Join { kNone, kAnd, kOr } join = Join::kNone;
  std::unique_ptr<Condition> next;
  bool Eval(Context& ctx) const;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual void Render(Context& ctx, std::string& out) const = 0;
  virtual bool blank() const { return false; }
  virtual bool is_text() const { return false; }
  int line = 1;
};
using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

struct TemplateImpl {
  std::string source;  // every string_view in the AST points into this
  NodeList root;
  std::vector<Diagnostic> warnings;
};

// Parses `source` (already stored in impl->source).
Status ParseInto(TemplateImpl& impl, ErrorMode mode);

// Looks up a filter; false if unknown.
bool FindFilter(std::string_view name, FilterFn* fn, int* min_args, int* max_args, bool* marks_safe);

}  // namespace plumbline::liquid::detail
