// Rendering: evaluates the AST against a Context (spec/liquid.md §2.2, §3.5).
#include <algorithm>
#include <cstdio>

#include "liquid/detail/ast.hpp"
#include "liquid/detail/context.hpp"
#include "liquid/detail/nodes.hpp"
#include "liquid/liquid.hpp"

namespace plumbline::liquid::detail {

namespace {

bool IsSpaceChar(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// HTML escape (Shopify's `escape` table).
void AppendEscaped(std::string& out, std::string_view s) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* rep;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      default: continue;
    }
    out.append(s.data() + run, i - run);
    out += rep;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void Emit(Context& ctx, std::string& out, std::string_view s) {
  ctx.AddOutput(s.size());
  out += s;
}

}  // namespace

// ---------------------------------------------------------------------------
// Expressions.

Value Expr::Eval(Context& ctx) const {
  switch (type) {
    case Type::kLiteral: return literal;
    case Type::kRange: {
      auto bound = [&](const Expr& e) -> std::int64_t {
        Value v = e.Eval(ctx);
        if (v.kind() == Kind::kInt) return v.as_int();
        if (v.kind() == Kind::kDouble) return static_cast<std::int64_t>(v.as_double());
        if (v.is_string() || v.is_nil()) {
          Value n = ToNumber(v);
          return n.kind() == Kind::kInt ? n.as_int() : static_cast<std::int64_t>(n.as_double());
        }
        throw RenderError("invalid range bound");
      };
      return Value::Range(bound(*lo), bound(*hi));
    }
    case Type::kPath: {
      Value v;
      if (root_expr) {
        Value name = root_expr->Eval(ctx);
        if (!name.is_string()) {
          std::string s = ToString(name);
          v = ctx.Resolve(s);
        } else {
          v = ctx.Resolve(name.as_string());
        }
      } else {
        v = ctx.Resolve(root);
      }
      for (const auto& seg : segments) {
        if (v.is_nil()) return v;
        if (seg.expr) {
          v = Lookup(v, seg.expr->Eval(ctx));
        } else if (seg.dot) {
          v = LookupName(v, seg.name);
        } else {
          // Bracketed string: no size/first/last commands.
          if (v.is_object() || v.kind() == Kind::kDrop) {
            Value out;
            if (v.is_object()) {
              v = v.Find(seg.name, &out) ? out : Value();
            } else {
              v = v.drop()->Get(seg.name);
            }
          } else {
            v = Value();
          }
        }
      }
      return v;
    }
  }
  return Value();
}

Value FilteredExpr::Eval(Context& ctx) const {
  if (empty) return Value();
  Value v = expr.Eval(ctx);
  if (filters.empty()) return v;
  FilterArgs args;
  for (const auto& f : filters) {
    args.pos.clear();
    args.kw.clear();
    args.name = f.name;
    for (const auto& a : f.args) args.pos.push_back(a.Eval(ctx));
    for (const auto& [k, e] : f.kwargs) args.kw.emplace_back(k, e.Eval(ctx));
    if (!f.fn) {
      if (ctx.opts.strict_filters) throw RenderError("undefined filter " + f.name);
      v.set_safe(false);
      continue;
    }
    int n = static_cast<int>(args.pos.size());
    if (n < f.min_args || n > f.max_args) {
      throw RenderError("wrong number of arguments (given " + std::to_string(n + 1) + ", expected " +
                        std::to_string(f.min_args + 1) +
                        (f.max_args != f.min_args ? ".." + std::to_string(f.max_args + 1) : "") + ")");
    }
    v = f.fn(ctx, v, args);
    if (!f.marks_safe) v.set_safe(false);
  }
  return v;
}

namespace {

bool EqualsWithLiterals(const Value& a, const Value& b) {
  auto special = [](const Value& lit, const Value& other) {
    return lit.kind() == Kind::kEmpty ? IsEmpty(other) : IsBlank(other);
  };
  bool a_lit = a.kind() == Kind::kEmpty || a.kind() == Kind::kBlank;
  bool b_lit = b.kind() == Kind::kEmpty || b.kind() == Kind::kBlank;
  if (a_lit && b_lit) return false;
  if (a_lit) return special(a, b);
  if (b_lit) return special(b, a);
  return Equals(a, b);
}

bool Compare(const Value& l, std::string_view op, const Value& r) {
  if (op == "==") return EqualsWithLiterals(l, r);
  if (op == "!=" || op == "<>") return !EqualsWithLiterals(l, r);
  if (op == "contains") return Contains(l, r);
  return CompareOp(l, r, op);
}

}  // namespace

bool Condition::Eval(Context& ctx) const {
  const Condition* c = this;
  bool result = false;
  while (c) {
    Value l = c->left.Eval(ctx);
    if (c->op.empty()) {
      result = l.truthy();
    } else {
      result = Compare(l, c->op, c->right.Eval(ctx));
    }
    if (c->join == Join::kOr && result) break;
    if (c->join == Join::kAnd && !result) break;
    c = c->next.get();
  }
  return result;
}

// ---------------------------------------------------------------------------
// Nodes.

void RenderList(const NodeList& nodes, Context& ctx, std::string& out) {
  for (const auto& n : nodes) {
    if (ctx.interrupt != Context::Interrupt::kNone) return;
    ctx.line = n->line;
    try {
      n->Render(ctx, out);
    } catch (const RenderError& e) {
      if (ctx.opts.strict_errors) throw;
      std::string msg = "Liquid error: ";
      msg += e.what();
      Emit(ctx, out, msg);
    }
  }
}

bool TextNode::blank() const {
  return std::all_of(text.begin(), text.end(), IsSpaceChar);
}

void TextNode::Render(Context& ctx, std::string& out) const { Emit(ctx, out, text); }

void OutputNode::Render(Context& ctx, std::string& out) const {
  Value v = value.Eval(ctx);
  std::size_t before = out.size();
  if (ctx.opts.autoescape && !v.safe()) {
    if (v.is_string()) {
      AppendEscaped(out, v.as_string());
    } else if (v.is_nil()) {
    } else if (v.is_number() || v.kind() == Kind::kBool) {
      AppendToString(out, v);
    } else {
      std::string tmp;
      AppendOutput(tmp, v, ctx.opts.json_structured);
      AppendEscaped(out, tmp);
    }
  } else {
    AppendOutput(out, v, ctx.opts.json_structured);
  }
  ctx.AddOutput(out.size() - before);
}

void AssignNode::Render(Context& ctx, std::string&) const {
  Value v = value.Eval(ctx);
  ctx.Assign(name, std::move(v));
}

void CaptureNode::Render(Context& ctx, std::string&) const {
  std::string buf;
  ctx.Enter();
  RenderList(body, ctx, buf);
  ctx.Leave();
  // Captured text is the already-escaped rendering (GT §2.2).
  Value v = Value::String(std::move(buf));
  v.set_safe(true);
  ctx.Assign(name, std::move(v));
}

void IfNode::Render(Context& ctx, std::string& out) const {
  bool first = true;
  for (const auto& b : branches) {
    bool take = !b.cond || (b.cond->Eval(ctx) != (first && unless));
    first = false;
    if (take) {
      ctx.Enter();
      RenderList(b.body, ctx, out);
      ctx.Leave();
      return;
    }
  }
}

void CaseNode::Render(Context& ctx, std::string& out) const {
  Value subject_value = subject.Eval(ctx);
  bool matched = false;
  for (const auto& w : whens) {
    if (w.values.empty()) {
      if (!matched) {
        ctx.Enter();
        RenderList(w.body, ctx, out);
        ctx.Leave();
      }
      continue;
    }
    for (const auto& e : w.values) {
      if (EqualsWithLiterals(e.Eval(ctx), subject_value)) {
        matched = true;
        ctx.Enter();
        RenderList(w.body, ctx, out);
        ctx.Leave();
      }
    }
  }
}

namespace {

class ForloopDrop : public Drop {
 public:
  ForloopDrop(std::string name, std::int64_t length, Value parent)
      : name_(std::move(name)), length_(length), parent_(std::move(parent)) {}
  Value Get(std::string_view key) const override {
    if (key == "index") return Value::Int(index0 + 1);
    if (key == "index0") return Value::Int(index0);
    if (key == "rindex") return Value::Int(length_ - index0);
    if (key == "rindex0") return Value::Int(length_ - index0 - 1);
    if (key == "first") return Value::Bool(index0 == 0);
    if (key == "last") return Value::Bool(index0 == length_ - 1);
    if (key == "length") return Value::Int(length_);
    if (key == "name") return Value::StringRef(name_);
    if (key == "parentloop") return parent_;
    return Value();
  }
  std::int64_t index0 = 0;

 private:
  std::string name_;
  std::int64_t length_;
  Value parent_;
};

class TablerowDrop : public Drop {
 public:
  TablerowDrop(std::int64_t length, std::int64_t cols) : length_(length), cols_(cols) {}
  Value Get(std::string_view key) const override {
    std::int64_t col0 = cols_ > 0 ? index0 % cols_ : index0;
    if (key == "index") return Value::Int(index0 + 1);
    if (key == "index0") return Value::Int(index0);
    if (key == "rindex") return Value::Int(length_ - index0);
    if (key == "rindex0") return Value::Int(length_ - index0 - 1);
    if (key == "first") return Value::Bool(index0 == 0);
    if (key == "last") return Value::Bool(index0 == length_ - 1);
    if (key == "length") return Value::Int(length_);
    if (key == "col") return Value::Int(col0 + 1);
    if (key == "col0") return Value::Int(col0);
    if (key == "col_first") return Value::Bool(col0 == 0);
    if (key == "col_last") return Value::Bool(cols_ > 0 ? col0 == cols_ - 1 : index0 == length_ - 1);
    if (key == "row") return Value::Int(cols_ > 0 ? index0 / cols_ + 1 : 1);
    return Value();
  }
  std::int64_t index0 = 0;

 private:
  std::int64_t length_, cols_;
};

// The items a loop visits: [begin, end) of the collection, without
// materializing arrays or ranges (a range may be huge; the iteration limit
// stops it).
struct LoopItems {
  Value coll;             // array or range, indexed directly
  ValueArray owned;       // hash pairs or a single string
  bool use_owned = false;
  std::size_t begin = 0, end = 0;
  bool reversed = false;

  std::size_t size() const { return end - begin; }
  Value at(std::size_t i) const {
    std::size_t k = reversed ? end - 1 - i : begin + i;
    return use_owned ? owned[k] : coll.at(k);
  }
};

// The items of a for or tablerow loop from `from` on, at most `limit` of them.
LoopItems Slice(Context& ctx, const Value& coll, std::int64_t from, const std::optional<Expr>& limit) {
  bool bounded = false;
  std::int64_t to = 0;
  if (limit) {
    Value l = limit->Eval(ctx);
    if (!l.is_nil()) {
      bounded = true;
      to = ToInteger(l, "") + from;
    }
  }
  LoopItems items;
  std::int64_t n;
  if (coll.is_array() || coll.kind() == Kind::kRange) {
    items.coll = coll;
    n = static_cast<std::int64_t>(coll.size());
  } else {
    items.owned = ToIterable(coll);
    items.use_owned = true;
    n = static_cast<std::int64_t>(items.owned.size());
  }
  std::int64_t b = std::clamp<std::int64_t>(from, 0, n);
  std::int64_t e = bounded ? std::clamp<std::int64_t>(to, 0, n) : n;
  if (e < b) e = b;
  items.begin = static_cast<std::size_t>(b);
  items.end = static_cast<std::size_t>(e);
  return items;
}

}  // namespace

void ForNode::Render(Context& ctx, std::string& out) const {
  Value coll = collection.Eval(ctx);
  std::int64_t from = 0;
  if (offset_continue) {
    auto it = ctx.registers_->for_offsets.find(loop_name);
    from = it == ctx.registers_->for_offsets.end() ? 0 : it->second;
  } else if (offset) {
    Value o = offset->Eval(ctx);
    from = o.is_nil() ? 0 : ToInteger(o, "");
  }
  LoopItems items = Slice(ctx, coll, from, limit);
  items.reversed = reversed;
  ctx.registers_->for_offsets[loop_name] = from + static_cast<std::int64_t>(items.size());
  if (items.size() == 0) {
    ctx.Enter();
    RenderList(else_body, ctx, out);
    ctx.Leave();
    return;
  }
  auto drop = std::make_shared<ForloopDrop>(loop_name, static_cast<std::int64_t>(items.size()),
                                            ctx.for_stack.empty() ? Value() : ctx.for_stack.back());
  ctx.Enter();
  ctx.for_stack.push_back(Value::FromDrop(drop));
  ctx.scopes.emplace_back();
  Scope& scope = ctx.scopes.back();
  scope.emplace_back("forloop", Value::FromDrop(drop));
  scope.emplace_back(var, Value());
  std::size_t scope_index = ctx.scopes.size() - 1;
  for (std::size_t i = 0; i < items.size(); ++i) {
    ctx.Tick();
    drop->index0 = static_cast<std::int64_t>(i);
    Context::Set(ctx.scopes[scope_index], var, items.at(i));
    RenderList(body, ctx, out);
    if (ctx.interrupt == Context::Interrupt::kBreak) {
      ctx.interrupt = Context::Interrupt::kNone;
      break;
    }
    ctx.interrupt = Context::Interrupt::kNone;
  }
  ctx.scopes.pop_back();
  ctx.for_stack.pop_back();
  ctx.Leave();
}

void TablerowNode::Render(Context& ctx, std::string& out) const {
  Value coll = collection.Eval(ctx);
  std::int64_t from = 0;
  if (offset) {
    Value o = offset->Eval(ctx);
    from = o.is_nil() ? 0 : ToInteger(o, "");
  }
  std::int64_t ncols = 0;
  if (cols) {
    Value c = cols->Eval(ctx);
    if (c.kind() == Kind::kDouble) {
      ncols = static_cast<std::int64_t>(c.as_double());
    } else if (!c.is_nil()) {
      ncols = ToInteger(c, "");
    }
  }
  LoopItems items = Slice(ctx, coll, from, limit);
  std::int64_t n = static_cast<std::int64_t>(items.size());
  auto drop = std::make_shared<TablerowDrop>(n, ncols);
  std::string buf = "<tr class=\"row1\">\n";
  ctx.Enter();
  ctx.scopes.emplace_back();
  std::size_t scope_index = ctx.scopes.size() - 1;
  ctx.scopes.back().emplace_back("tablerowloop", Value::FromDrop(drop));
  ctx.scopes.back().emplace_back(var, Value());
  for (std::int64_t i = 0; i < n; ++i) {
    ctx.Tick();
    drop->index0 = i;
    Context::Set(ctx.scopes[scope_index], var, items.at(static_cast<std::size_t>(i)));
    std::int64_t col0 = ncols > 0 ? i % ncols : i;
    buf += "<td class=\"col" + std::to_string(col0 + 1) + "\">";
    RenderList(body, ctx, buf);
    buf += "</td>";
    bool interrupted = ctx.interrupt == Context::Interrupt::kBreak;
    ctx.interrupt = Context::Interrupt::kNone;
    if (interrupted) break;
    if (ncols > 0 && col0 == ncols - 1 && i != n - 1) {
      buf += "</tr>\n<tr class=\"row" + std::to_string(i / ncols + 2) + "\">";
    }
  }
  buf += "</tr>\n";
  ctx.scopes.pop_back();
  ctx.Leave();
  Emit(ctx, out, buf);
}

void InterruptNode::Render(Context& ctx, std::string&) const {
  ctx.interrupt = is_break ? Context::Interrupt::kBreak : Context::Interrupt::kContinue;
}

void CycleNode::Render(Context& ctx, std::string& out) const {
  std::string k;
  if (group) {
    Value g = group->Eval(ctx);
    k = "named:" + ToString(g);
  } else {
    k = key;
  }
  std::int64_t& it = ctx.registers_->cycle[k];
  if (values.empty()) return;
  // A group shared by cycles of different lengths can point past this list.
  Value v = it >= 0 && it < static_cast<std::int64_t>(values.size())
                ? values[static_cast<std::size_t>(it)].Eval(ctx)
                : Value();
  ++it;
  if (it >= static_cast<std::int64_t>(values.size())) it = 0;
  std::string s;
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) AppendToString(s, v.at(i));
  } else {
    AppendToString(s, v);
  }
  Emit(ctx, out, s);
}

void CounterNode::Render(Context& ctx, std::string& out) const {
  Emit(ctx, out, std::to_string(ctx.Counter(name, delta)));
}

void ListNode::Render(Context& ctx, std::string& out) const {
  ctx.Enter();
  RenderList(body, ctx, out);
  ctx.Leave();
}

void IfchangedNode::Render(Context& ctx, std::string& out) const {
  std::string buf;
  ctx.Enter();
  RenderList(body, ctx, buf);
  ctx.Leave();
  auto& reg = *ctx.registers_;
  if (!reg.has_ifchanged || reg.ifchanged != buf) {
    reg.has_ifchanged = true;
    reg.ifchanged = buf;
    Emit(ctx, out, buf);
  }
}

void PartialNode::Render(Context& ctx, std::string& out) const {
  Value name_value = name.Eval(ctx);
  if (!name_value.is_string()) throw RenderError("Argument error in tag 'include' - Illegal template name");
  std::string tname(name_value.as_string());
  std::shared_ptr<TemplateImpl> impl;
  auto it = ctx.partial_cache->find(tname);
  if (it != ctx.partial_cache->end()) {
    impl = it->second;
  } else {
    std::optional<std::string> src;
    if (ctx.opts.partials) src = ctx.opts.partials(tname);
    if (!src) throw RenderError("Could not find asset " + tname);
    impl = std::make_shared<TemplateImpl>();
    impl->source = std::move(*src);
    auto st = ParseInto(*impl, ErrorMode::kLax);
    if (!st) throw RenderError(st.error().message);
    ctx.partial_cache->emplace(tname, impl);
  }
  std::string var = alias.empty() ? tname : alias;
  if (alias.empty()) {
    // Ruby binds `with`/`for` to the template name's last path segment.
    auto slash = var.find_last_of('/');
    if (slash != std::string::npos) var = var.substr(slash + 1);
  }
  ctx.Enter();
  if (isolated) {
    Context sub(ctx.opts, nullptr, ctx.budget_);
    sub.partial_cache = ctx.partial_cache;
    for (const auto& [k, e] : args) Context::Set(sub.scopes.front(), k, e.Eval(ctx));
    if (with && is_for) {
      Value coll = with->Eval(ctx);
      ValueArray items;
      if (coll.is_array() || coll.kind() == Kind::kRange) items = ToIterable(coll);
      if (items.empty() && !coll.is_array() && coll.kind() != Kind::kRange) items.push_back(coll);
      auto drop = std::make_shared<ForloopDrop>(tname, static_cast<std::int64_t>(items.size()), Value());
      for (std::size_t i = 0; i < items.size(); ++i) {
        ctx.Tick();
        drop->index0 = static_cast<std::int64_t>(i);
        Context::Set(sub.scopes.front(), var, items[i]);
        Context::Set(sub.scopes.front(), "forloop", Value::FromDrop(drop));
        RenderList(impl->root, sub, out);
        sub.interrupt = Context::Interrupt::kNone;
      }
    } else {
      if (with) Context::Set(sub.scopes.front(), var, with->Eval(ctx));
      RenderList(impl->root, sub, out);
    }
  } else {
    ctx.scopes.emplace_back();
    std::size_t si = ctx.scopes.size() - 1;
    for (const auto& [k, e] : args) {
      Value v = e.Eval(ctx);
      Context::Set(ctx.scopes[si], k, std::move(v));
    }
    if (with) {
      Value v = with->Eval(ctx);
      if (is_for && v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
          ctx.Tick();
          Context::Set(ctx.scopes[si], var, v.at(i));
          RenderList(impl->root, ctx, out);
          if (ctx.interrupt != Context::Interrupt::kNone) break;
        }
      } else {
        Context::Set(ctx.scopes[si], var, v);
        RenderList(impl->root, ctx, out);
      }
    } else {
      RenderList(impl->root, ctx, out);
    }
    ctx.scopes.pop_back();
  }
  ctx.Leave();
}

}  // namespace plumbline::liquid::detail

namespace plumbline::liquid {

Result<Template> Template::Parse(std::string_view source, const ParseOptions& options) {
  auto impl = std::make_shared<detail::TemplateImpl>();
  impl->source = std::string(source);
  PLB_TRY(detail::ParseInto(*impl, options.mode));
  return Template(std::move(impl));
}

Result<Template> Template::ParseLenient(std::string_view source) {
  auto strict = Parse(source, {ErrorMode::kStrict});
  if (strict) return strict;
  auto impl = std::make_shared<detail::TemplateImpl>();
  impl->source = std::string(source);
  PLB_TRY(detail::ParseInto(*impl, ErrorMode::kLax));
  // Recover line/column from the strict error message.
  Diagnostic d;
  const std::string& m = strict.error().message;
  std::sscanf(m.c_str(), "Liquid syntax error (line %d, column %d)", &d.line, &d.column);
  d.message = m;
  impl->warnings.push_back(std::move(d));
  return Template(std::move(impl));
}

Status Template::RenderTo(std::string& out, const boost::json::value& context,
                          const RenderOptions& options) const {
  detail::Context::Budget budget;
  detail::Context ctx(options, context.is_object() ? &context.get_object() : nullptr, budget);
  try {
    detail::RenderList(impl_->root, ctx, out);
  } catch (const detail::LimitError& e) {
    return InvalidArgument(e.what());
  } catch (const detail::RenderError& e) {
    return InvalidArgument(std::string("Liquid error (line ") + std::to_string(ctx.line) + "): " + e.what());
  }
  return {};
}

Result<std::string> Template::Render(const boost::json::value& context, const RenderOptions& options) const {
  std::string out;
  out.reserve(impl_->source.size() + 256);
  PLB_TRY(RenderTo(out, context, options));
  return out;
}

const std::vector<Diagnostic>& Template::warnings() const { return impl_->warnings; }

boost::json::value MakeTaskContext(const boost::json::value& task_input) {
  boost::json::object task;
  task["input"] = task_input;
  boost::json::object root;
  root["task"] = std::move(task);
  return root;
}

}  // namespace plumbline::liquid
