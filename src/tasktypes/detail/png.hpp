// PNG images for the segmentation types (libpng's simplified API), and the
// base64 of the crowd element's pngImageData. Private to tasktypes/.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::tasktypes::detail {

struct RgbaImage {
  int32_t width = 0, height = 0;
  std::vector<uint8_t> rgba;  // width * height * 4, rows top to bottom
};

// Any PNG (indexed, grey, RGB, with or without alpha) as 8-bit RGBA.
// kInvalidArgument naming what is wrong with the bytes.
Result<RgbaImage> DecodePng(std::string_view bytes);

struct ClassImage {
  int32_t width = 0, height = 0;
  std::vector<uint8_t> classes;  // width * height, rows top to bottom
};

// A PNG's pixels as class indices: a pixel whose colour (0xRRGGBB) is in
// `classes` takes that class; transparent pixels (alpha < 128) and other
// colours are 0. An indexed PNG's indices are read straight into the result
// and mapped through its palette, without an RGBA copy.
Result<ClassImage> DecodePngClasses(std::string_view bytes, const std::map<uint32_t, uint8_t>& classes);

// An indexed PNG (colour type 3, 8 bits) of class indices with `palette`
// (one RGB entry per index used).
Result<std::string> EncodeIndexedPng(int32_t width, int32_t height,
                                     const std::vector<uint8_t>& indices,
                                     const std::vector<std::array<uint8_t, 3>>& palette);

// Standard base64 (padding optional; white space skipped); nullopt-like
// error for other characters.
Result<std::string> DecodeBase64(std::string_view text);

// "#rrggbb" (or "#rgb") as RGB; error for anything else.
Result<std::array<uint8_t, 3>> ParseHexColor(std::string_view text);
std::string HexColor(const std::array<uint8_t, 3>& rgb);

}  // namespace plumbline::tasktypes::detail
