// Small text encodings shared across subsystems.
#pragma once

#include <string>
#include <string_view>

namespace plumbline {

// RFC 3986 percent-encoding: everything but the unreserved characters
// (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex); '/' too unless
// keep_slash (object keys and URI paths). This is what SigV4, S3 keys and
// query parameters need. (Liquid's url_encode differs: it follows Ruby.)
void AppendPercentEncoded(std::string& out, std::string_view s, bool keep_slash = false);
std::string PercentEncode(std::string_view s, bool keep_slash = false);

// Escapes & < > " ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view s);
// Escapes & < > " ' (as XML's entities) and CR (as &#13;, so a parser
// keeps it) for XML element text and attribute values.
std::string EscapeXml(std::string_view s);

}  // namespace plumbline
