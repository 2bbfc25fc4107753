// The little XML S3 speaks: a writer for responses and a parser for the
// request bodies (CreateBucketConfiguration, Delete, CompleteMultipartUpload,
// ServerSideEncryptionConfiguration). The parser takes elements, text,
// attributes (ignored), the XML declaration, comments and the five
// predefined entities plus numeric references; it refuses DTDs, CDATA and
// processing instructions, and limits depth and size. Pure; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::s3 {

struct XmlElement {
  std::string name;  // local name (a namespace prefix is dropped)
  std::string text;  // concatenated character data directly inside
  std::vector<XmlElement> children;

  // First child with this name, or nullptr.
  const XmlElement* Child(std::string_view child) const;
  // Text of the first child with this name, or "".
  std::string ChildText(std::string_view child) const;
};

// Parses a document of at most `max_bytes`. kInvalidArgument (S3's
// MalformedXML) for anything else.
Result<XmlElement> ParseXml(std::string_view text, size_t max_bytes = 1u << 20);

// Escapes & < > " ' for element text and attribute values.
std::string XmlEscape(std::string_view text);

// Builds a response document: Open/Close elements, Leaf for <n>text</n>.
class XmlWriter {
 public:
  // Starts with the XML declaration and the root element (with S3's
  // namespace when `ns`).
  explicit XmlWriter(std::string_view root, bool ns = true);
  XmlWriter& Open(std::string_view name);
  XmlWriter& Close(std::string_view name);
  XmlWriter& Leaf(std::string_view name, std::string_view text);
  // Closes the root and returns the document.
  std::string Finish();

 private:
  std::string root_;
  std::string out_;
};

}  // namespace plumbline::s3
