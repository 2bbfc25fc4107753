#include "common/text.hpp"

#include <gtest/gtest.h>

namespace plumbline {
namespace {

TEST(TextTest, PercentEncodingKeepsOnlyUnreservedAndOptionallySlashes) {
  EXPECT_EQ(PercentEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(PercentEncode("s3://b/a b+c"), "s3%3A%2F%2Fb%2Fa%20b%2Bc");
  EXPECT_EQ(PercentEncode("/b/a b/é", true), "/b/a%20b/%C3%A9");
}

TEST(TextTest, HtmlEscapingCoversTextAndAttributes) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(EscapeHtml("plain"), "plain");
}

TEST(TextTest, XmlEscapingKeepsCarriageReturns) {
  EXPECT_EQ(EscapeXml("<k a='1'>\"&\"\r\n</k>"),
            "&lt;k a=&apos;1&apos;&gt;&quot;&amp;&quot;&#13;\n&lt;/k&gt;");
}

}  // namespace
}  // namespace plumbline
