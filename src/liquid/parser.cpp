// Parser: tokens (detail/lexer.hpp) → AST, Shopify Liquid 5's grammar
// (spec/liquid.md §3 and §5). Strict mode follows Ruby's Liquid::Parser; lax
// mode parses the same grammar but skips junk the way Ruby's regex-based lax
// parser tolerates it.
#include <algorithm>
#include <cstring>

#include "liquid/detail/ast.hpp"
#include "liquid/detail/expression_parser.hpp"
#include "liquid/detail/lexer.hpp"
#include "liquid/detail/nodes.hpp"

namespace plumbline::liquid::detail {

namespace {

// ---------------------------------------------------------------------------
// Parser.

struct EndTag {
  std::string_view name, markup;
  std::size_t markup_pos = 0;
  std::size_t pos = 0;
};

class Parser {
 public:
  Parser(TemplateImpl& impl, ErrorMode mode)
      : impl_(impl), strict_(mode == ErrorMode::kStrict), expressions_(strict_) {
    std::string_view s = impl.source;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  void Parse() {
    tokens_ = Tokenize(impl_.source);
    i_ = 0;
    bool blank = true;
    EndTag end;
    ParseBody(impl_.root, blank, {}, &end);
  }

  int LineOf(std::size_t pos) const {
    return static_cast<int>(std::upper_bound(line_starts_.begin(), line_starts_.end(), pos) -
                            line_starts_.begin()) + 1;
  }
  int ColumnOf(std::size_t pos) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    std::size_t start = it == line_starts_.begin() ? 0 : *(it - 1);
    return static_cast<int>(pos - start) + 1;
  }

 private:
  // Parses nodes until one of `ends` (returned in *end) or the end of the
  // token stream (an error if `ends` is non-empty).
  void ParseBody(NodeList& body, bool& blank, std::initializer_list<std::string_view> ends, EndTag* end) {
    if (++depth_ > kMaxParseDepth) throw SyntaxError{Pos(), "Nesting too deep"};
    while (i_ < tokens_.size()) {
      Token& t = tokens_[i_++];
      switch (t.type) {
        case Token::Type::kText: {
          std::string_view text = t.raw;
          if (trim_next_) {
            while (!text.empty() && IsSpaceChar(text.front())) text.remove_prefix(1);
            trim_next_ = false;
          }
          if (text.empty()) break;
          auto node = std::make_unique<TextNode>();
          node->text = text;
          node->line = LineOf(t.pos);
          blank = blank && node->blank();
          body.push_back(std::move(node));
          break;
        }
        case Token::Type::kOutput: {
          std::string_view r = t.raw;
          if (r.size() < 4 || r.substr(r.size() - 2) != "}}") {
            throw SyntaxError{t.pos, "Variable '" + std::string(r) + "' was not properly terminated with regexp: /\\}\\}/"};
          }
          std::size_t b = 2, e = r.size() - 2;
          bool trim_left = r[2] == '-';
          if (trim_left) ++b;
          bool trim_right = e > b && r[e - 1] == '-';
          if (trim_right) --e;
          if (trim_left) TrimLast(body);
          trim_next_ = trim_right;
          auto node = std::make_unique<OutputNode>();
          node->line = LineOf(t.pos);
          std::string_view markup = e > b ? r.substr(b, e - b) : std::string_view();
          ParseFilteredInto(node->value, markup, t.pos + b);
          blank = false;
          body.push_back(std::move(node));
          break;
        }
        case Token::Type::kTag: {
          if (!t.well_formed && !SplitTag(t)) {
            throw SyntaxError{t.pos, "Tag '" + std::string(t.raw) + "' was not properly terminated with regexp: /\\%\\}/"};
          }
          if (t.trim_left) TrimLast(body);
          trim_next_ = t.trim_right;
          for (auto e : ends) {
            if (t.name == e) {
              end->name = t.name;
              end->markup = t.markup;
              end->markup_pos = t.markup_pos;
              end->pos = t.pos;
              --depth_;
              return;
            }
          }
          NodePtr node = ParseTag(t, ends);
          if (node) {
            node->line = LineOf(t.pos);
            blank = blank && node->blank();
            body.push_back(std::move(node));
          }
          break;
        }
      }
    }
    if (ends.size() != 0) {
      throw SyntaxError{open_tags_.empty() ? impl_.source.size() : open_tags_.back(),
                        "'" + std::string(*ends.begin()) + "' tag was never closed"};
    }
    --depth_;
  }

  std::size_t Pos() const { return i_ > 0 && i_ <= tokens_.size() ? tokens_[i_ - 1].pos : 0; }

  static void TrimLast(NodeList& body) {
    if (body.empty() || !body.back()->is_text()) return;
    auto* text = static_cast<TextNode*>(body.back().get());
    while (!text->text.empty() && IsSpaceChar(text->text.back())) text->text.remove_suffix(1);
  }

  static void RemoveBlankText(NodeList& body) {
    body.erase(std::remove_if(body.begin(), body.end(), [](const NodePtr& n) { return n->is_text(); }),
               body.end());
  }

  // A block body that ends at `end`; the end tag name must be one of `ends`.
  NodeList Body(bool& blank, std::initializer_list<std::string_view> ends, EndTag* end) {
    NodeList body;
    ParseBody(body, blank, ends, end);
    return body;
  }

  [[noreturn]] static void UnknownTag(const Token& t) {
    throw SyntaxError{t.pos, "Unknown tag '" + std::string(t.name) + "'"};
  }

  NodePtr ParseTag(Token& t, std::initializer_list<std::string_view> ends) {
    // Remembers where the innermost tag opened, so that "never closed"
    // names the opening tag's line rather than the end of the template.
    open_tags_.push_back(t.pos);
    struct Pop {
      std::vector<std::size_t>& v;
      ~Pop() { v.pop_back(); }
    } pop{open_tags_};
    return ParseTagImpl(t, ends);
  }

  std::vector<std::size_t> open_tags_;

  NodePtr ParseTagImpl(Token& t, std::initializer_list<std::string_view> ends) {
    std::string_view name = t.name;
    if (name == "assign") return ParseAssign(t);
    if (name == "capture") return ParseCapture(t);
    if (name == "if" || name == "unless") return ParseIf(t, name == "unless");
    if (name == "case") return ParseCase(t);
    if (name == "for") return ParseFor(t);
    if (name == "tablerow") return ParseTablerow(t);
    if (name == "break" || name == "continue") {
      auto n = std::make_unique<InterruptNode>();
      n->is_break = name == "break";
      return n;
    }
    if (name == "cycle") return ParseCycle(t);
    if (name == "increment" || name == "decrement") {
      auto n = std::make_unique<CounterNode>();
      n->name = std::string(Trim(t.markup));
      n->delta = name == "increment" ? 1 : -1;
      if (strict_) {
        Cursor c(t.markup, t.markup_pos, true);
        c.Expect(T::kIdent, "identifier");
        if (!c.AtEnd()) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
      }
      return n;
    }
    if (name == "echo") {
      auto n = std::make_unique<OutputNode>();
      ParseFilteredInto(n->value, t.markup, t.markup_pos);
      return n;
    }
    if (name == "raw") return ParseRaw(t);
    if (name == "comment") return ParseComment(t);
    if (name == "doc") return ParseDoc(t);
    if (name == "#") {
      // Every line of an inline comment must start with '#'.
      std::string_view m = t.markup;
      for (std::size_t p = m.find('\n'); p != std::string_view::npos; p = m.find('\n', p + 1)) {
        std::size_t q = p + 1;
        while (q < m.size() && IsSpaceChar(m[q])) ++q;
        if (q < m.size() && m[q] != '#') {
          throw SyntaxError{t.pos, "Syntax Error in 'comment - Each line of comments must be prefixed by the '#' character"};
        }
      }
      return std::make_unique<NullNode>();
    }
    if (name == "liquid") return ParseLiquid(t);
    if (name == "ifchanged") {
      auto n = std::make_unique<IfchangedNode>();
      EndTag end;
      bool blank = true;
      n->body = Body(blank, {"endifchanged"}, &end);
      n->is_blank = blank;
      if (blank) RemoveBlankText(n->body);
      return n;
    }
    if (name == "include" || name == "render") return ParsePartial(t, name == "render");
    // Includes block delimiters of a block we are not in (`endif` at top level).
    (void)ends;
    UnknownTag(t);
  }

  // --- expressions (expression_parser.cpp) -------------------------------

  Expr ParseExpr(Cursor& c) { return expressions_.ParseExpr(c); }
  void ParseFilteredInto(FilteredExpr& out, std::string_view markup, std::size_t base) {
    expressions_.ParseFilteredInto(out, markup, base);
  }
  std::unique_ptr<Condition> ParseFullCondition(std::string_view markup, std::size_t base) {
    return expressions_.ParseFullCondition(markup, base);
  }

  // --- tags --------------------------------------------------------------

  // A variable name as assign/capture accept: [\w-]+ not starting with '-'.
  static bool ValidTargetName(std::string_view n) {
    if (n.empty() || n[0] == '-') return false;
    for (char ch : n) {
      if (!IsWordChar(ch) && ch != '-') return false;
    }
    return true;
  }

  NodePtr ParseAssign(const Token& t) {
    std::string_view m = t.markup;
    auto eq = m.find('=');
    if (eq == std::string_view::npos) {
      throw SyntaxError{t.pos, "Syntax Error in 'assign' - Valid syntax: assign [var] = [source]"};
    }
    std::string_view target = Trim(m.substr(0, eq));
    if (!ValidTargetName(target)) {
      throw SyntaxError{t.pos, "Syntax Error in 'assign' - Valid syntax: assign [var] = [source]"};
    }
    auto n = std::make_unique<AssignNode>();
    n->name = std::string(target);
    ParseFilteredInto(n->value, m.substr(eq + 1), t.markup_pos + eq + 1);
    if (n->value.empty && strict_) {
      throw SyntaxError{t.pos, "Syntax Error in 'assign' - Valid syntax: assign [var] = [source]"};
    }
    return n;
  }

  NodePtr ParseCapture(const Token& t) {
    std::string_view target = Trim(t.markup);
    std::string_view name = target;
    if (!strict_) {
      std::size_t k = 0;
      while (k < target.size() && (IsWordChar(target[k]) || target[k] == '-')) ++k;
      name = target.substr(0, k);
      // Ruby's lax syntax also accepts quoted names.
      if (k == 0 && target.size() >= 2 && (target[0] == '\'' || target[0] == '"')) {
        auto e = target.find(target[0], 1);
        if (e != std::string_view::npos) name = target.substr(1, e - 1);
      }
    }
    if (!ValidTargetName(name)) {
      throw SyntaxError{t.pos, "Syntax Error in 'capture' - Valid syntax: capture [var]"};
    }
    auto n = std::make_unique<CaptureNode>();
    n->name = std::string(name);
    EndTag end;
    bool blank = true;
    n->body = Body(blank, {"endcapture"}, &end);
    return n;
  }

  NodePtr ParseIf(const Token& t, bool unless) {
    auto n = std::make_unique<IfNode>();
    n->unless = unless;
    std::string_view end_name = unless ? "endunless" : "endif";
    IfNode::Branch first;
    first.cond = ParseFullCondition(t.markup, t.markup_pos);
    bool blank = true;
    EndTag end;
    first.body = Body(blank, {end_name, "elsif", "else"}, &end);
    n->branches.push_back(std::move(first));
    bool seen_else = false;
    while (end.name != end_name) {
      IfNode::Branch br;
      bool is_else = end.name == "else";
      if (!is_else) br.cond = ParseFullCondition(end.markup, end.markup_pos);
      br.body = Body(blank, {end_name, "elsif", "else"}, &end);
      // Ruby ignores every branch after the first else.
      if (!seen_else) n->branches.push_back(std::move(br));
      seen_else = seen_else || is_else;
    }
    n->is_blank = blank;
    if (blank) {
      for (auto& b : n->branches) RemoveBlankText(b.body);
    }
    return n;
  }

  NodePtr ParseCase(const Token& t) {
    auto n = std::make_unique<CaseNode>();
    {
      Cursor c(t.markup, t.markup_pos, strict_);
      n->subject = ParseExpr(c);
      if (strict_ && !c.AtEnd()) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
    }
    bool blank = true;
    EndTag end;
    NodeList junk = Body(blank, {"endcase", "when", "else"}, &end);
    // Text before the first `when` is discarded (Ruby keeps only whitespace).
    blank = true;
    while (end.name != "endcase") {
      CaseNode::When w;
      if (end.name == "when") {
        Cursor c(end.markup, end.markup_pos, strict_);
        if (c.AtEnd()) throw SyntaxError{end.pos, "Syntax Error in tag 'case' - Valid syntax: when [condition]"};
        while (true) {
          w.values.push_back(ParseExpr(c));
          if (c.Accept(T::kComma) || c.AcceptId("or")) continue;
          break;
        }
        if (strict_ && !c.AtEnd()) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
      }
      w.body = Body(blank, {"endcase", "when", "else"}, &end);
      n->whens.push_back(std::move(w));
    }
    n->is_blank = blank;
    if (blank) {
      for (auto& w : n->whens) RemoveBlankText(w.body);
    }
    return n;
  }

  // `limit: x`, `offset: y` (and `cols:`) attributes.
  template <class F>
  void ParseAttributes(Cursor& c, F&& set) {
    while (!c.AtEnd()) {
      if (c.Accept(T::kComma)) continue;
      if (c.Look(T::kIdent) && c.Look(T::kColon, 1)) {
        std::string_view key = c.Next().text;
        c.Next();
        set(key, c);
        continue;
      }
      if (strict_) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
      c.Next();
    }
  }

  NodePtr ParseFor(const Token& t) {
    auto n = std::make_unique<ForNode>();
    Cursor c(t.markup, t.markup_pos, strict_);
    if (!c.Look(T::kIdent)) {
      throw SyntaxError{t.pos, "Syntax Error in 'for loop' - Valid syntax: for [item] in [collection]"};
    }
    n->var = std::string(c.Next().text);
    if (!c.AcceptId("in")) {
      throw SyntaxError{t.pos, "For loops require an 'in' clause"};
    }
    std::size_t coll_begin = c.Peek().pos - t.markup_pos;
    n->collection = ParseExpr(c);
    std::size_t coll_end = c.Peek().pos - t.markup_pos;
    if (c.Look(T::kEnd)) coll_end = t.markup.size();
    n->loop_name = n->var + "-" + std::string(Trim(t.markup.substr(coll_begin, coll_end - coll_begin)));
    if (c.AcceptId("reversed")) n->reversed = true;
    ParseAttributes(c, [&](std::string_view key, Cursor& cc) {
      if (key == "limit") {
        n->limit = ParseExpr(cc);
      } else if (key == "offset") {
        if (cc.LookId("continue")) {
          cc.Next();
          n->offset_continue = true;
        } else {
          n->offset = ParseExpr(cc);
        }
      } else {
        Expr ignored = ParseExpr(cc);
      }
      if (!strict_ && cc.AcceptId("reversed")) n->reversed = true;
    });
    bool blank = true;
    EndTag end;
    n->body = Body(blank, {"endfor", "else"}, &end);
    if (end.name == "else") n->else_body = Body(blank, {"endfor"}, &end);
    n->is_blank = blank;
    if (blank) {
      RemoveBlankText(n->body);
      RemoveBlankText(n->else_body);
    }
    return n;
  }

  NodePtr ParseTablerow(const Token& t) {
    auto n = std::make_unique<TablerowNode>();
    Cursor c(t.markup, t.markup_pos, strict_);
    if (!c.Look(T::kIdent)) {
      throw SyntaxError{t.pos, "Syntax Error in 'table_row loop' - Valid syntax: table_row [item] in [collection] cols=3"};
    }
    n->var = std::string(c.Next().text);
    if (!c.AcceptId("in")) {
      throw SyntaxError{t.pos, "Syntax Error in 'table_row loop' - Valid syntax: table_row [item] in [collection] cols=3"};
    }
    n->collection = ParseExpr(c);
    ParseAttributes(c, [&](std::string_view key, Cursor& cc) {
      Expr e = ParseExpr(cc);
      if (key == "limit") n->limit = std::move(e);
      else if (key == "offset") n->offset = std::move(e);
      else if (key == "cols") n->cols = std::move(e);
    });
    bool blank = true;
    EndTag end;
    n->body = Body(blank, {"endtablerow"}, &end);
    return n;
  }

  NodePtr ParseCycle(const Token& t) {
    auto n = std::make_unique<CycleNode>();
    Cursor c(t.markup, t.markup_pos, strict_);
    if (c.AtEnd()) throw SyntaxError{t.pos, "Syntax Error in 'cycle' - Valid syntax: cycle [name :] var [, var2, var3 ...]"};
    // Named group: `expr:` before the values.
    Expr first = ParseExpr(c);
    bool more = true;
    if (c.Accept(T::kColon)) {
      n->group = std::move(first);
    } else {
      n->values.push_back(std::move(first));
      more = c.Accept(T::kComma);
    }
    while (more && !c.AtEnd()) {
      n->values.push_back(ParseExpr(c));
      more = c.Accept(T::kComma);
    }
    if (strict_ && !c.AtEnd()) c.Fail("Expected end_of_string but found " + Cursor::Describe(c.Peek()));
    // Unnamed groups are keyed by their argument list as written.
    std::string_view m = t.markup;
    if (n->group) {
      auto colon = m.find(':');
      m = colon == std::string_view::npos ? m : m.substr(colon + 1);
    }
    for (char ch : Trim(m)) {
      if (!IsSpaceChar(ch)) n->key.push_back(ch);
    }
    return n;
  }

  NodePtr ParseRaw(const Token& t) {
    auto n = std::make_unique<TextNode>();
    std::size_t begin = t.pos + t.raw.size();
    while (i_ < tokens_.size()) {
      Token& tok = tokens_[i_++];
      // The last `{%` in the token that starts an `endraw` tag ends the body.
      std::size_t p = tok.raw.rfind("{%");
      while (p != std::string_view::npos) {
        Token sub;
        sub.raw = tok.raw.substr(p);
        sub.pos = tok.pos + p;
        if (SplitTag(sub) && sub.name == "endraw") {
          std::size_t end = tok.pos + p;
          n->text = std::string_view(impl_.source).substr(begin, end - begin);
          if (trim_next_) {
            while (!n->text.empty() && IsSpaceChar(n->text.front())) n->text.remove_prefix(1);
          }
          if (sub.trim_left) {
            while (!n->text.empty() && IsSpaceChar(n->text.back())) n->text.remove_suffix(1);
          }
          trim_next_ = sub.trim_right;
          if (n->text.empty()) return std::make_unique<NullNode>();
          return n;
        }
        if (p == 0) break;
        p = tok.raw.rfind("{%", p - 1);
      }
    }
    throw SyntaxError{t.pos, "'raw' tag was never closed"};
  }

  NodePtr ParseComment(const Token& t) {
    int depth = 1;
    while (i_ < tokens_.size()) {
      Token& tok = tokens_[i_++];
      if (tok.type != Token::Type::kTag) continue;
      Token sub = tok;
      if (!sub.well_formed && !SplitTag(sub)) continue;
      if (sub.name == "raw") {
        // Skip to endraw.
        bool closed = false;
        while (i_ < tokens_.size() && !closed) {
          Token& r = tokens_[i_++];
          std::size_t p = r.raw.rfind("{%");
          if (p == std::string_view::npos) continue;
          Token e;
          e.raw = r.raw.substr(p);
          if (SplitTag(e) && e.name == "endraw") closed = true;
        }
        if (!closed) break;
      } else if (sub.name == "comment") {
        ++depth;
      } else if (sub.name == "endcomment") {
        if (--depth == 0) {
          trim_next_ = sub.trim_right;
          return std::make_unique<NullNode>();
        }
      }
    }
    throw SyntaxError{t.pos, "'comment' tag was never closed"};
  }

  NodePtr ParseDoc(const Token& t) {
    if (!Trim(t.markup).empty()) throw SyntaxError{t.pos, "Syntax Error in 'doc' - Valid syntax: {% doc %}{% enddoc %}"};
    while (i_ < tokens_.size()) {
      Token& tok = tokens_[i_++];
      if (tok.well_formed) {
        if (tok.name == "doc") throw SyntaxError{tok.pos, "Syntax Error in 'doc' - Nested doc tags are not allowed"};
        if (tok.name == "enddoc") return std::make_unique<NullNode>();
        continue;
      }
      // Like raw: the body ends at any token whose last `{%` opens `enddoc`,
      // so unclosed output or tags inside a doc are fine.
      std::size_t p = tok.raw.rfind("{%");
      while (p != std::string_view::npos) {
        Token sub;
        sub.raw = tok.raw.substr(p);
        sub.pos = tok.pos + p;
        if (SplitTag(sub)) {
          if (sub.name == "enddoc") {
            trim_next_ = sub.trim_right;
            return std::make_unique<NullNode>();
          }
          if (sub.name == "doc" && p == 0) {
            throw SyntaxError{tok.pos, "Syntax Error in 'doc' - Nested doc tags are not allowed"};
          }
        }
        if (p == 0) break;
        p = tok.raw.rfind("{%", p - 1);
      }
    }
    throw SyntaxError{t.pos, "'doc' tag was never closed"};
  }

  NodePtr ParseLiquid(const Token& t) {
    // One tag per line; build a token stream and parse it as a body.
    std::vector<Token> lines;
    std::string_view m = t.markup;
    std::size_t p = 0;
    while (p <= m.size()) {
      std::size_t e = m.find('\n', p);
      if (e == std::string_view::npos) e = m.size();
      std::string_view line = m.substr(p, e - p);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find('\r') != std::string_view::npos) {
        throw SyntaxError{t.markup_pos + p, "Liquid syntax error: bare carriage return in liquid tag"};
      }
      std::size_t lead = 0;
      while (lead < line.size() && IsSpaceChar(line[lead])) ++lead;
      std::string_view body = Trim(line);
      if (!body.empty()) {
        Token tok;
        tok.type = Token::Type::kTag;
        tok.raw = body;
        tok.pos = t.markup_pos + p + lead;
        std::size_t k = 0;
        if (body[0] == '#') {
          k = 1;
        } else {
          while (k < body.size() && IsWordChar(body[k])) ++k;
        }
        if (k == 0) throw SyntaxError{tok.pos, "Liquid syntax error: invalid line in liquid tag '" + std::string(body) + "'"};
        tok.name = body.substr(0, k);
        std::size_t mk = k;
        while (mk < body.size() && IsSpaceChar(body[mk])) ++mk;
        tok.markup = body.substr(mk);
        tok.markup_pos = tok.pos + mk;
        tok.well_formed = true;
        lines.push_back(tok);
      }
      p = e + 1;
    }
    auto saved_tokens = std::move(tokens_);
    auto saved_i = i_;
    bool saved_trim = trim_next_;
    tokens_ = std::move(lines);
    i_ = 0;
    trim_next_ = false;
    auto n = std::make_unique<ListNode>();
    bool blank = true;
    EndTag end;
    ParseBody(n->body, blank, {}, &end);
    tokens_ = std::move(saved_tokens);
    i_ = saved_i;
    trim_next_ = saved_trim;
    n->is_blank = blank;
    return n;
  }

  NodePtr ParsePartial(const Token& t, bool isolated) {
    auto n = std::make_unique<PartialNode>();
    n->isolated = isolated;
    Cursor c(t.markup, t.markup_pos, strict_);
    if (isolated && !c.Look(T::kString)) {
      throw SyntaxError{t.pos, "Syntax error in tag 'render' - Template name must be a quoted string"};
    }
    n->name = ParseExpr(c);
    if (c.LookId("with") || c.LookId("for")) {
      n->is_for = c.Next().text == "for";
      n->with = ParseExpr(c);
    }
    if (c.AcceptId("as")) n->alias = std::string(c.Expect(T::kIdent, "id").text);
    ParseAttributes(c, [&](std::string_view key, Cursor& cc) { n->args.emplace_back(std::string(key), ParseExpr(cc)); });
    return n;
  }

  TemplateImpl& impl_;
  bool strict_;
  ExpressionParser expressions_;
  std::vector<Token> tokens_;
  std::size_t i_ = 0;
  bool trim_next_ = false;
  int depth_ = 0;
  std::vector<std::size_t> line_starts_;
};

}  // namespace

Status ParseInto(TemplateImpl& impl, ErrorMode mode) {
  Parser p(impl, mode);
  try {
    p.Parse();
  } catch (const SyntaxError& e) {
    return InvalidArgument("Liquid syntax error (line " + std::to_string(p.LineOf(e.pos)) + ", column " +
                           std::to_string(p.ColumnOf(e.pos)) + "): " + e.message);
  }
  return {};
}

}  // namespace plumbline::liquid::detail
