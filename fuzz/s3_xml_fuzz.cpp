// Fuzz entry point: S3's XML request bodies (s3::ParseXml), and the
// element lookups the handlers make on what it returns.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "s3/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = plumbline::s3::ParseXml(text);
  if (doc) {
    for (const auto& child : doc->children) (void)child.ChildText("Key");
    (void)plumbline::s3::XmlEscape(doc->text);
  }
  return 0;
}
