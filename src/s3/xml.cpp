#include "s3/xml.hpp"

#include "common/text.hpp"

namespace plumbline::s3 {
namespace {

constexpr int kMaxDepth = 32;

struct Parser {
  std::string_view s;
  size_t i = 0;

  bool AtEnd() const { return i >= s.size(); }
  bool Starts(std::string_view p) const { return s.substr(i, p.size()) == p; }
  void SkipWs() {
    while (!AtEnd() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  }
  Error Fail(const char* what) {
    return InvalidArgument(std::string("The XML you provided was not well-formed or did not "
                                       "validate against our published schema (") +
                           what + ")");
  }
  // Skips the declaration and comments between elements.
  Status SkipMisc() {
    for (;;) {
      SkipWs();
      if (Starts("<?xml")) {
        size_t end = s.find("?>", i);
        if (end == std::string_view::npos) return Fail("unterminated declaration");
        i = end + 2;
      } else if (Starts("<!--")) {
        size_t end = s.find("-->", i + 4);
        if (end == std::string_view::npos) return Fail("unterminated comment");
        i = end + 3;
      } else {
        return {};
      }
    }
  }
  static bool NameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
  }
  Result<std::string> Name() {
    size_t start = i;
    while (!AtEnd() && NameChar(s[i])) ++i;
    if (i == start) return Fail("expected a name");
    std::string_view n = s.substr(start, i - start);
    size_t colon = n.rfind(':');
    if (colon != std::string_view::npos) n = n.substr(colon + 1);
    return std::string(n);
  }
  Status Entity(std::string* out) {
    size_t end = s.find(';', i);
    if (end == std::string_view::npos || end - i > 12) return Fail("bad entity");
    std::string_view e = s.substr(i + 1, end - i - 1);
    i = end + 1;
    if (e == "amp") out->push_back('&');
    else if (e == "lt") out->push_back('<');
    else if (e == "gt") out->push_back('>');
    else if (e == "quot") out->push_back('"');
    else if (e == "apos") out->push_back('\'');
    else if (e.size() > 1 && e[0] == '#') {
      unsigned long cp = 0;
      bool hex = e[1] == 'x';
      std::string_view digits = e.substr(hex ? 2 : 1);
      if (digits.empty()) return Fail("bad character reference");
      for (char c : digits) {
        int v = HexDigitValue(c);
        if (!hex && v > 9) v = -1;
        if (v < 0) return Fail("bad character reference");
        cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
        if (cp > 0x10FFFF) return Fail("bad character reference");
      }
      if (cp == 0) return Fail("bad character reference");
      // UTF-8 encode.
      if (cp < 0x80) out->push_back(static_cast<char>(cp));
      else if (cp < 0x800) {
        out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      return Fail("unknown entity");
    }
    return {};
  }
  Status Element(XmlElement* el, int depth) {
    if (depth > kMaxDepth) return Fail("too deep");
    if (AtEnd() || s[i] != '<') return Fail("expected an element");
    ++i;
    PLB_ASSIGN_OR_RETURN(el->name, Name());
    // Attributes: name="value" pairs, skipped.
    for (;;) {
      SkipWs();
      if (AtEnd()) return Fail("unterminated tag");
      if (Starts("/>")) {
        i += 2;
        return {};
      }
      if (s[i] == '>') {
        ++i;
        break;
      }
      PLB_TRY(Name());
      SkipWs();
      if (AtEnd() || s[i] != '=') return Fail("expected '='");
      ++i;
      SkipWs();
      if (AtEnd() || (s[i] != '"' && s[i] != '\'')) return Fail("expected a quoted value");
      char q = s[i];
      size_t end = s.find(q, i + 1);
      if (end == std::string_view::npos) return Fail("unterminated attribute");
      i = end + 1;
    }
    for (;;) {
      if (AtEnd()) return Fail("unterminated element");
      if (Starts("</")) {
        i += 2;
        PLB_ASSIGN_OR_RETURN(std::string closing, Name());
        SkipWs();
        if (closing != el->name || AtEnd() || s[i] != '>') return Fail("mismatched closing tag");
        ++i;
        return {};
      }
      if (Starts("<!--")) {
        size_t end = s.find("-->", i + 4);
        if (end == std::string_view::npos) return Fail("unterminated comment");
        i = end + 3;
        continue;
      }
      if (Starts("<!") || Starts("<?")) return Fail("DTDs, CDATA and processing instructions are not accepted");
      if (s[i] == '<') {
        el->children.emplace_back();
        PLB_TRY(Element(&el->children.back(), depth + 1));
        continue;
      }
      if (s[i] == '&') {
        PLB_TRY(Entity(&el->text));
        continue;
      }
      el->text.push_back(s[i++]);
    }
  }
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child) const {
  for (const XmlElement& c : children)
    if (c.name == child) return &c;
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child) const {
  const XmlElement* c = Child(child);
  return c ? c->text : std::string();
}

Result<XmlElement> ParseXml(std::string_view text, size_t max_bytes) {
  Parser p{text};
  if (text.size() > max_bytes) return p.Fail("document too large");
  PLB_TRY(p.SkipMisc());
  XmlElement root;
  PLB_TRY(p.Element(&root, 0));
  PLB_TRY(p.SkipMisc());
  if (!p.AtEnd()) return p.Fail("content after the root element");
  return root;
}

std::string XmlEscape(std::string_view text) { return EscapeXml(text); }

XmlWriter::XmlWriter(std::string_view root, bool ns) : root_(root) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  out_ += root;
  if (ns) out_ += " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";
  out_ += ">";
}
XmlWriter& XmlWriter::Open(std::string_view name) {
  out_.append("<").append(name).append(">");
  return *this;
}
XmlWriter& XmlWriter::Close(std::string_view name) {
  out_.append("</").append(name).append(">");
  return *this;
}
XmlWriter& XmlWriter::Leaf(std::string_view name, std::string_view text) {
  out_.append("<").append(name).append(">");
  out_ += XmlEscape(text);
  out_.append("</").append(name).append(">");
  return *this;
}
std::string XmlWriter::Finish() {
  out_.append("</").append(root_).append(">");
  return std::move(out_);
}

}  // namespace plumbline::s3
