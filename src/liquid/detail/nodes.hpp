// AST node types (private). Built by parser.cpp, rendered by render.cpp.
#pragma once

#include <optional>

#include "liquid/detail/ast.hpp"

namespace plumbline::liquid::detail {

struct TextNode : Node {
  std::string_view text;
  void Render(Context& ctx, std::string& out) const override;
  bool blank() const override;
  bool is_text() const override { return true; }
};

struct OutputNode : Node {
  FilteredExpr value;
  void Render(Context& ctx, std::string& out) const override;
};

struct AssignNode : Node {
  std::string name;
  FilteredExpr value;
  void Render(Context& ctx, std::string& out) const override;
  bool blank() const override { return true; }
};

struct CaptureNode : Node {
  std::string name;
  NodeList body;
  void Render(Context& ctx, std::string& out) const override;
  bool blank() const override { return true; }
};

struct BlockNode : Node {
  bool is_blank = false;
  bool blank() const override { return is_blank; }
};

struct IfNode : BlockNode {
  struct Branch {
    std::unique_ptr<Condition> cond;  // null: else
    NodeList body;
  };
  bool unless = false;  // the first condition is negated
  std::vector<Branch> branches;
  void Render(Context& ctx, std::string& out) const override;
};

struct CaseNode : BlockNode {
  struct When {
    std::vector<Expr> values;  // empty: else
    NodeList body;
  };
  Expr subject;
  std::vector<When> whens;
  void Render(Context& ctx, std::string& out) const override;
};

struct ForNode : BlockNode {
  std::string var;
  std::string loop_name;  // "var-collection"
  Expr collection;
  bool reversed = false;
  std::optional<Expr> limit, offset;
  bool offset_continue = false;
  NodeList body, else_body;
  void Render(Context& ctx, std::string& out) const override;
};

struct TablerowNode : BlockNode {
  std::string var;
  Expr collection;
  std::optional<Expr> limit, offset, cols;
  NodeList body;
  void Render(Context& ctx, std::string& out) const override;
};

struct InterruptNode : Node {
  bool is_break = true;
  void Render(Context& ctx, std::string& out) const override;
};

struct CycleNode : Node {
  std::optional<Expr> group;  // named group
  std::string key;            // unnamed: the argument list
  std::vector<Expr> values;
  void Render(Context& ctx, std::string& out) const override;
};

struct CounterNode : Node {
  std::string name;
  int delta = 1;
  void Render(Context& ctx, std::string& out) const override;
};

struct NullNode : Node {  // comment, doc, inline comment
  void Render(Context&, std::string&) const override {}
  bool blank() const override { return true; }
};

struct ListNode : Node {  // the `liquid` tag
  NodeList body;
  bool is_blank = false;
  void Render(Context& ctx, std::string& out) const override;
  bool blank() const override { return is_blank; }
};

struct IfchangedNode : BlockNode {
  NodeList body;
  void Render(Context& ctx, std::string& out) const override;
};

struct PartialNode : Node {
  bool isolated = false;  // render (true) or include (false)
  Expr name;
  std::optional<Expr> with;   // `with x` / `for x`
  bool is_for = false;
  std::string alias;
  std::vector<std::pair<std::string, Expr>> args;
  void Render(Context& ctx, std::string& out) const override;
};

}  // namespace plumbline::liquid::detail
