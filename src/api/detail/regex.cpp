// A small Java-syntax regex engine: parse to a Thompson NFA, simulate it over
// code points (Pike VM without captures). Linear in the input, no recursion
// on the input, so hostile values cannot blow the stack or the CPU.
#include "api/detail/regex.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/detail/unicode.hpp"
#include "common/text.hpp"

namespace plumbline::api::detail {

namespace {

// One alternative inside a character class: ranges and/or categories,
// possibly negated (for \S and friends inside a class).
struct ClassAtom {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  std::string categories;  // major categories, e.g. "LMN"
  bool negated = false;
  bool Matches(char32_t cp) const {
    bool hit = false;
    for (const auto& [lo, hi] : ranges)
      if (cp >= lo && cp <= hi) hit = true;
    if (!hit && !categories.empty())
      hit = categories.find(UnicodeMajorCategory(cp)) != std::string::npos;
    return hit != negated;
  }
};

struct CharClass {
  std::vector<ClassAtom> atoms;
  bool negated = false;
  bool Matches(char32_t cp) const {
    bool hit =
        std::any_of(atoms.begin(), atoms.end(), [cp](const ClassAtom& a) { return a.Matches(cp); });
    return hit != negated;
  }
};

struct Node {
  enum Type { kClass, kConcat, kAlt, kRepeat, kBegin, kEnd } type = kConcat;
  int cls = -1;            // kClass: index into Regex::Program::classes_
  std::vector<Node> kids;  // kConcat/kAlt: parts; kRepeat: one child
  int min = 0, max = 0;    // kRepeat; max < 0 means unbounded
};

}  // namespace

class Regex::Program {
 public:
  explicit Program(std::string_view pattern) : pattern_(DecodeUtf8(pattern)) {
    Node root = ParseAlt();
    if (pos_ != pattern_.size()) Fail("unbalanced ')'");
    Emit(root);
    prog_.push_back({kMatch, 0, 0});
  }

  bool FullMatch(std::string_view utf8) const {
    const std::u32string text = DecodeUtf8(utf8);
    std::vector<int> mark(prog_.size(), -1);
    std::vector<int> cur, next;
    int gen = 0;
    AddThread(cur, mark, gen, 0, 0, text.size());
    for (size_t i = 0; i < text.size() && !cur.empty(); ++i) {
      ++gen;
      next.clear();
      for (int pc : cur) {
        const Inst& in = prog_[pc];
        if (in.op == kChar && classes_[in.x].Matches(text[i]))
          AddThread(next, mark, gen, pc + 1, i + 1, text.size());
      }
      std::swap(cur, next);
    }
    return std::any_of(cur.begin(), cur.end(), [this](int pc) { return prog_[pc].op == kMatch; });
  }

 private:
  enum Op { kChar, kSplit, kJmp, kAssertBegin, kAssertEnd, kMatch };
  struct Inst {
    Op op;
    int x, y;
  };

  [[noreturn]] void Fail(const char* why) const {
    throw std::invalid_argument(std::string("unsupported regex: ") + why);
  }
  bool AtEnd() const { return pos_ >= pattern_.size(); }
  char32_t Peek() const { return pattern_[pos_]; }

  // --- parser --------------------------------------------------------------
  Node ParseAlt() {
    Node alt{Node::kAlt};
    alt.kids.push_back(ParseConcat());
    while (!AtEnd() && Peek() == '|') {
      ++pos_;
      alt.kids.push_back(ParseConcat());
    }
    return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
  }

  Node ParseConcat() {
    Node cat{Node::kConcat};
    while (!AtEnd() && Peek() != '|' && Peek() != ')') cat.kids.push_back(ParseRepeat());
    return cat;
  }

  int ParseInt() {
    int v = 0;
    bool any = false;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      v = v * 10 + static_cast<int>(Peek() - '0');
      ++pos_;
      any = true;
    }
    if (!any) Fail("bad {n,m}");
    return v;
  }

  Node ParseRepeat() {
    Node atom = ParseAtom();
    while (!AtEnd()) {
      int min, max;
      char32_t c = Peek();
      if (c == '*')
        min = 0, max = -1;
      else if (c == '+')
        min = 1, max = -1;
      else if (c == '?')
        min = 0, max = 1;
      else if (c == '{') {
        ++pos_;
        min = max = ParseInt();
        if (!AtEnd() && Peek() == ',') {
          ++pos_;
          max = (!AtEnd() && Peek() == '}') ? -1 : ParseInt();
        }
        if (AtEnd() || Peek() != '}') Fail("bad {n,m}");
      } else {
        break;
      }
      ++pos_;
      // Lazy quantifiers accept the same strings as greedy ones.
      if (!AtEnd() && Peek() == '?') ++pos_;
      Node rep{Node::kRepeat};
      rep.min = min;
      rep.max = max;
      rep.kids.push_back(std::move(atom));
      atom = std::move(rep);
    }
    return atom;
  }

  Node ClassNode(CharClass c) {
    classes_.push_back(std::move(c));
    Node n{Node::kClass};
    n.cls = static_cast<int>(classes_.size() - 1);
    return n;
  }

  static ClassAtom Range(char32_t lo, char32_t hi) {
    ClassAtom a;
    a.ranges.emplace_back(lo, hi);
    return a;
  }

  char32_t ParseHex4() {
    char32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      if (AtEnd()) Fail("bad \\u");
      char32_t c = Peek();
      int d = c < 0x80 ? HexDigitValue(static_cast<char>(c)) : -1;
      if (d < 0) Fail("bad \\u");
      v = v * 16 + static_cast<char32_t>(d);
      ++pos_;
    }
    return v;
  }

  // After a backslash: a class escape (\d \p{L} ...) or a single code point.
  // Returns true and fills `atom` for a class escape, else sets `literal`.
  bool ParseEscape(ClassAtom* atom, char32_t* literal) {
    if (AtEnd()) Fail("trailing backslash");
    char32_t c = Peek();
    ++pos_;
    switch (c) {
      case 'd':
        *atom = Range('0', '9');
        return true;
      case 'D':
        *atom = Range('0', '9');
        atom->negated = true;
        return true;
      case 'w':
      case 'W':
        *atom = Range('a', 'z');
        atom->ranges.emplace_back('A', 'Z');
        atom->ranges.emplace_back('0', '9');
        atom->ranges.emplace_back('_', '_');
        atom->negated = c == 'W';
        return true;
      case 's':
      case 'S':
        *atom = Range('\t', '\r');  // \t \n \x0B \f \r
        atom->ranges.emplace_back(' ', ' ');
        atom->negated = c == 'S';
        return true;
      case 'p':
      case 'P': {
        if (AtEnd() || Peek() != '{') Fail("\\p without braces");
        ++pos_;
        std::string name;
        while (!AtEnd() && Peek() != '}') name.push_back(static_cast<char>(Peek())), ++pos_;
        if (AtEnd()) Fail("unterminated \\p{");
        ++pos_;
        if (name.size() != 1 || std::string_view("LMNPSZC").find(name[0]) == std::string::npos)
          Fail("only major categories \\p{L} \\p{M} \\p{N} \\p{P} \\p{S} \\p{Z} \\p{C}");
        *atom = ClassAtom{};
        atom->categories = name;
        atom->negated = c == 'P';
        return true;
      }
      case 't':
        *literal = '\t';
        return false;
      case 'n':
        *literal = '\n';
        return false;
      case 'r':
        *literal = '\r';
        return false;
      case 'f':
        *literal = '\f';
        return false;
      case 'u':
        *literal = ParseHex4();
        return false;
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
          Fail("unknown escape");
        *literal = c;  // escaped punctuation
        return false;
    }
  }

  CharClass ParseClass() {  // after '['
    CharClass cls;
    if (!AtEnd() && Peek() == '^') cls.negated = true, ++pos_;
    bool first = true;
    while (true) {
      if (AtEnd()) Fail("unterminated [");
      char32_t c = Peek();
      if (c == ']' && !first) {
        ++pos_;
        return cls;
      }
      first = false;
      char32_t lo;
      ++pos_;
      if (c == '[') Fail("nested classes");
      if (c == '\\') {
        ClassAtom atom;
        if (ParseEscape(&atom, &lo)) {
          cls.atoms.push_back(std::move(atom));
          continue;
        }
      } else {
        lo = c;
      }
      // A range "lo-hi", unless '-' is last in the class.
      if (pos_ + 1 < pattern_.size() && Peek() == '-' && pattern_[pos_ + 1] != ']') {
        ++pos_;
        char32_t hi = Peek();
        ++pos_;
        if (hi == '\\') {
          ClassAtom atom;
          if (ParseEscape(&atom, &hi)) Fail("class escape as range end");
        }
        if (hi < lo) Fail("reversed range");
        cls.atoms.push_back(Range(lo, hi));
      } else {
        cls.atoms.push_back(Range(lo, lo));
      }
    }
  }

  Node ParseAtom() {
    char32_t c = Peek();
    ++pos_;
    switch (c) {
      case '(': {
        // Non-capturing groups behave the same for matching.
        if (pos_ + 1 < pattern_.size() && Peek() == '?' && pattern_[pos_ + 1] == ':') pos_ += 2;
        Node inner = ParseAlt();
        if (AtEnd() || Peek() != ')') Fail("unbalanced '('");
        ++pos_;
        return inner;
      }
      case '[':
        return ClassNode(ParseClass());
      case '.': {
        // Java's '.' excludes line terminators unless DOTALL.
        CharClass dot;
        dot.negated = true;
        ClassAtom terms = Range('\n', '\n');
        terms.ranges.emplace_back('\r', '\r');
        terms.ranges.emplace_back(0x85, 0x85);
        terms.ranges.emplace_back(0x2028, 0x2029);
        dot.atoms.push_back(std::move(terms));
        return ClassNode(std::move(dot));
      }
      case '^':
        return Node{Node::kBegin};
      case '$':
        return Node{Node::kEnd};
      case '*':
      case '+':
      case '?':
      case '{':
      case ')':
      case '|':
        Fail("misplaced operator");
      case '\\': {
        ClassAtom atom;
        char32_t lit;
        CharClass cls;
        if (ParseEscape(&atom, &lit))
          cls.atoms.push_back(std::move(atom));
        else
          cls.atoms.push_back(Range(lit, lit));
        return ClassNode(std::move(cls));
      }
      default: {
        CharClass cls;
        cls.atoms.push_back(Range(c, c));
        return ClassNode(std::move(cls));
      }
    }
  }

  // --- compiler -------------------------------------------------------------
  int Pc() const { return static_cast<int>(prog_.size()); }

  void Emit(const Node& n) {
    switch (n.type) {
      case Node::kClass:
        prog_.push_back({kChar, n.cls, 0});
        break;
      case Node::kBegin:
        prog_.push_back({kAssertBegin, 0, 0});
        break;
      case Node::kEnd:
        prog_.push_back({kAssertEnd, 0, 0});
        break;
      case Node::kConcat:
        for (const Node& k : n.kids) Emit(k);
        break;
      case Node::kAlt: {
        std::vector<int> jumps;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          if (i + 1 < n.kids.size()) {
            int split = Pc();
            prog_.push_back({kSplit, split + 1, 0});
            Emit(n.kids[i]);
            jumps.push_back(Pc());
            prog_.push_back({kJmp, 0, 0});
            prog_[split].y = Pc();
          } else {
            Emit(n.kids[i]);
          }
        }
        for (int j : jumps) prog_[j].x = Pc();
        break;
      }
      case Node::kRepeat: {
        const Node& body = n.kids[0];
        for (int i = 0; i < n.min; ++i) Emit(body);
        if (n.max < 0) {
          int loop = Pc();
          prog_.push_back({kSplit, loop + 1, 0});
          Emit(body);
          prog_.push_back({kJmp, loop, 0});
          prog_[loop].y = Pc();
        } else {
          std::vector<int> splits;
          for (int i = n.min; i < n.max; ++i) {
            splits.push_back(Pc());
            prog_.push_back({kSplit, Pc() + 1, 0});
            Emit(body);
          }
          for (int s : splits) prog_[s].y = Pc();
        }
        break;
      }
    }
  }

  // Follows jumps, splits and assertions from `pc` at text position `pos`,
  // adding the character-consuming and match instructions reached.
  void AddThread(std::vector<int>& list, std::vector<int>& mark, int gen, int pc, size_t pos,
                 size_t len) const {
    if (mark[pc] == gen) return;
    mark[pc] = gen;
    const Inst& in = prog_[pc];
    switch (in.op) {
      case kJmp:
        AddThread(list, mark, gen, in.x, pos, len);
        break;
      case kSplit:
        AddThread(list, mark, gen, in.x, pos, len);
        AddThread(list, mark, gen, in.y, pos, len);
        break;
      case kAssertBegin:
        if (pos == 0) AddThread(list, mark, gen, pc + 1, pos, len);
        break;
      case kAssertEnd:
        if (pos == len) AddThread(list, mark, gen, pc + 1, pos, len);
        break;
      default:
        list.push_back(pc);
    }
  }

  std::u32string pattern_;
  size_t pos_ = 0;
  std::vector<CharClass> classes_;
  std::vector<Inst> prog_;
};

Regex::Regex(std::string_view pattern) : program_(std::make_unique<Program>(pattern)) {}
Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
bool Regex::FullMatch(std::string_view text) const { return program_->FullMatch(text); }

bool RegexFullMatch(std::string_view pattern, std::string_view text) {
  return Regex(pattern).FullMatch(text);
}
}  // namespace plumbline::api::detail
