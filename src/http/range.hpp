// Byte ranges of a representation (RFC 9110 §14): the Range header of a
// GET, as both the S3 API and the portal's /worker/media answer it, and the
// validators that decide whether a conditional request may be answered 304
// or its range honoured (If-None-Match, If-Range).
//
// One range per request: "bytes=a-b", "bytes=a-" and "bytes=-n". A header
// with several ranges is ignored (the whole representation is answered 200,
// as the RFC allows and as S3 does), and so is one that does not parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace plumbline::http {

struct ByteRange {
  // kWhole: no usable Range header, answer 200 with everything.
  // kPartial: answer 206 with [start, start + length).
  // kUnsatisfiable: answer 416 with "Content-Range: bytes */size".
  enum Kind { kWhole, kPartial, kUnsatisfiable };
  Kind kind = kWhole;
  uint64_t start = 0;
  uint64_t length = 0;
};

// The range `header` (the Range header's value) asks of a representation of
// `size` bytes. A range reaching past the end is cut at the end; a first
// byte at or past the end, or a suffix of an empty representation, is
// unsatisfiable; "bytes=-0" asks for no bytes and is ignored, as S3 does.
ByteRange ParseByteRange(std::string_view header, uint64_t size);

// "bytes START-END/SIZE" for a partial answer, "bytes */SIZE" for a 416.
std::string ContentRange(const ByteRange& range, uint64_t size);

// Whether an If-Match / If-None-Match list ("*", or quoted tags separated by
// commas, weak ones "W/" too) names `etag` (given without quotes). Weak
// comparison, which is what If-None-Match uses.
bool EtagListMatches(std::string_view header, std::string_view etag);

}  // namespace plumbline::http
