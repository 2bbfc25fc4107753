// Unicode for the request validation, without ICU: UTF-8 decoding, Java's
// string length and the major general category of a code point (the table
// is in unicode.cpp). Private to api/; pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace plumbline::api::detail {

// Decodes UTF-8 to code points. Malformed sequences (which Boost.JSON's
// parser already rejects) become U+FFFD, one per offending byte.
std::u32string DecodeUtf8(std::string_view s);

// Java's String.length(): the UTF-16 code units of UTF-8 `s`.
size_t Utf16Length(std::string_view s);

// Major Unicode general category of a code point: 'L', 'M', 'N', 'P', 'S',
// 'Z' or 'C' (control, format, surrogate, private use, unassigned). Exact for
// ASCII, Latin-1, Latin Extended, IPA, Greek, Cyrillic, Armenian, Hebrew,
// Arabic, Devanagari, Thai, Georgian, Hangul, Kana, CJK, the punctuation,
// symbol and fullwidth blocks; an approximation elsewhere (see the table in
// unicode.cpp).
char UnicodeMajorCategory(char32_t cp);

}  // namespace plumbline::api::detail
