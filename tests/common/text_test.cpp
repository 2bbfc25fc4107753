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

TEST(TextTest, CaseFoldingChangesOnlyAsciiLetters) {
  EXPECT_EQ(AsciiLower("X-Amz-Date: AbC_09"), "x-amz-date: abc_09");
  // Bytes outside ASCII (here UTF-8 for "É") stay as they are.
  EXPECT_EQ(AsciiLower("\xc3\x89T\xc3\xa9"), "\xc3\x89t\xc3\xa9");
  EXPECT_EQ(AsciiLower('@'), '@');
  EXPECT_EQ(AsciiLower('['), '[');
  EXPECT_TRUE(EqualsIgnoreCase("X-Amz-Security-Token", "x-amz-security-token"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(EqualsIgnoreCase("a@", "a`"));  // '@' and '`' are not a case pair
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\x89", "\xc3\xa9"));
}

TEST(TextTest, HexDigitValues) {
  const std::string digits = "0123456789abcdefABCDEF";
  for (size_t i = 0; i < digits.size(); ++i)
    EXPECT_EQ(HexDigitValue(digits[i]), i < 16 ? static_cast<int>(i) : static_cast<int>(i) - 6) << digits[i];
  for (char c : std::string("gG/:@`xX \x80\xff")) EXPECT_EQ(HexDigitValue(c), -1) << c;
}

TEST(TextTest, HexDecodingTakesDigitPairsOfEitherCase) {
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_EQ(HexDecode("00ff7Fa0"), std::string("\x00\xff\x7f\xa0", 4));
  EXPECT_EQ(HexDecode("abc"), std::nullopt);  // odd length
  EXPECT_EQ(HexDecode("0g"), std::nullopt);
  EXPECT_EQ(HexDecode(" 0"), std::nullopt);
}

}  // namespace
}  // namespace plumbline
