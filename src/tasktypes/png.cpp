// PNG decoding and indexed encoding through libpng's simplified API
// (detail/png.hpp), base64 and hex colours for the segmentation types.
#include "tasktypes/detail/png.hpp"

#include <png.h>

#include <cstdio>
#include <cstring>

namespace plumbline::tasktypes::detail {

Result<RgbaImage> DecodePng(std::string_view bytes) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    return InvalidArgument(std::string("not a readable PNG: ") + image.message);
  image.format = PNG_FORMAT_RGBA;
  if (image.width == 0 || image.height == 0 || image.width > 20000 || image.height > 20000 ||
      static_cast<uint64_t>(image.width) * image.height > 100'000'000ULL) {
    png_image_free(&image);
    return InvalidArgument("PNG size " + std::to_string(image.width) + "x" +
                           std::to_string(image.height) + " is out of range");
  }
  RgbaImage out;
  out.width = static_cast<int32_t>(image.width);
  out.height = static_cast<int32_t>(image.height);
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr))
    return InvalidArgument(std::string("the PNG could not be decoded: ") + image.message);
  return out;
}

Result<std::string> EncodeIndexedPng(int32_t width, int32_t height,
                                     const std::vector<uint8_t>& indices,
                                     const std::vector<std::array<uint8_t, 3>>& palette) {
  if (width <= 0 || height <= 0 || indices.size() != static_cast<size_t>(width) * static_cast<size_t>(height))
    return InvalidArgument("mask size does not match its pixels");
  if (palette.empty() || palette.size() > 256) return InvalidArgument("a palette has 1 to 256 colours");
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB_COLORMAP;
  image.colormap_entries = static_cast<png_uint_32>(palette.size());
  std::vector<uint8_t> colormap;
  for (const auto& c : palette) colormap.insert(colormap.end(), c.begin(), c.end());
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, indices.data(), 0, colormap.data()))
    return Internal(std::string("PNG encoding failed: ") + image.message);
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, indices.data(), 0, colormap.data()))
    return Internal(std::string("PNG encoding failed: ") + image.message);
  out.resize(size);
  return out;
}

Result<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    const int v = value(c);
    if (v < 0) return InvalidArgument("pngImageData is not base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

Result<std::array<uint8_t, 3>> ParseHexColor(std::string_view t) {
  if (!t.starts_with('#')) return InvalidArgument("a colour is \"#rrggbb\"");
  t.remove_prefix(1);
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<uint8_t, 3> rgb{};
  if (t.size() == 3) {
    for (int i = 0; i < 3; ++i) {
      const int v = hex(t[static_cast<size_t>(i)]);
      if (v < 0) return InvalidArgument("a colour is \"#rrggbb\"");
      rgb[static_cast<size_t>(i)] = static_cast<uint8_t>(v * 17);
    }
    return rgb;
  }
  if (t.size() != 6) return InvalidArgument("a colour is \"#rrggbb\"");
  for (int i = 0; i < 3; ++i) {
    const int hi = hex(t[static_cast<size_t>(2 * i)]), lo = hex(t[static_cast<size_t>(2 * i + 1)]);
    if (hi < 0 || lo < 0) return InvalidArgument("a colour is \"#rrggbb\"");
    rgb[static_cast<size_t>(i)] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return rgb;
}

std::string HexColor(const std::array<uint8_t, 3>& rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

}  // namespace plumbline::tasktypes::detail
