// Byte ranges and entity-tag lists (http/range.hpp), as the S3 API and the
// portal's media links answer them.
#include "http/range.hpp"

#include <gtest/gtest.h>

namespace plumbline::http {
namespace {

void ExpectPartial(std::string_view header, uint64_t size, uint64_t start, uint64_t length) {
  ByteRange r = ParseByteRange(header, size);
  EXPECT_EQ(r.kind, ByteRange::kPartial) << header;
  EXPECT_EQ(r.start, start) << header;
  EXPECT_EQ(r.length, length) << header;
}

TEST(ByteRangeTest, FirstLastAndOpenEndedRanges) {
  ExpectPartial("bytes=0-0", 10, 0, 1);
  ExpectPartial("bytes=2-5", 10, 2, 4);
  ExpectPartial("bytes=5-", 10, 5, 5);
  ExpectPartial("bytes=9-9", 10, 9, 1);
  // Past the end: cut at the end.
  ExpectPartial("bytes=5-100", 10, 5, 5);
  ExpectPartial(" bytes=1-2 ", 10, 1, 2);
}

TEST(ByteRangeTest, SuffixRanges) {
  ExpectPartial("bytes=-3", 10, 7, 3);
  ExpectPartial("bytes=-10", 10, 0, 10);
  ExpectPartial("bytes=-100", 10, 0, 10);  // longer than the object: all of it
}

TEST(ByteRangeTest, UnsatisfiableRanges) {
  EXPECT_EQ(ParseByteRange("bytes=10-", 10).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=10-20", 10).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=0-", 0).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ParseByteRange("bytes=-5", 0).kind, ByteRange::kUnsatisfiable);
  EXPECT_EQ(ContentRange(ParseByteRange("bytes=10-", 10), 10), "bytes */10");
}

TEST(ByteRangeTest, MalformedOrMultipleRangesAskForTheWhole) {
  for (const char* h : {"", "bytes", "bytes=", "bytes=-", "bytes=5-2", "bytes=a-b", "bytes=1-x",
                        "items=0-1", "bytes=-0", "bytes=0-1,4-5", "bytes=99999999999999999999-",
                        "bytes=1"}) {
    EXPECT_EQ(ParseByteRange(h, 10).kind, ByteRange::kWhole) << h;
  }
}

TEST(ByteRangeTest, ContentRangeNamesFirstAndLastByte) {
  EXPECT_EQ(ContentRange(ParseByteRange("bytes=2-5", 10), 10), "bytes 2-5/10");
  EXPECT_EQ(ContentRange(ParseByteRange("bytes=-1", 10), 10), "bytes 9-9/10");
}

TEST(ByteRangeTest, EntityTagLists) {
  EXPECT_TRUE(EtagListMatches("\"abc\"", "abc"));
  EXPECT_TRUE(EtagListMatches("W/\"abc\"", "abc"));
  EXPECT_TRUE(EtagListMatches("\"x\", \"abc\"", "abc"));
  EXPECT_TRUE(EtagListMatches("*", "abc"));
  EXPECT_FALSE(EtagListMatches("\"abcd\"", "abc"));
  EXPECT_FALSE(EtagListMatches("\"x\",\"y\"", "abc"));
  EXPECT_FALSE(EtagListMatches("", "abc"));
}

}  // namespace
}  // namespace plumbline::http
