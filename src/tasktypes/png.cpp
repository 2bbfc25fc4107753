// PNG decoding and indexed encoding through libpng's simplified API
// (detail/png.hpp), base64 and hex colours for the segmentation types.
#include "common/text.hpp"
#include "tasktypes/detail/png.hpp"

#include <png.h>

#include <zlib.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <map>

namespace plumbline::tasktypes::detail {

namespace {

// Opens a PNG for the simplified reader; kInvalidArgument for bytes that are
// not a PNG or a size out of range.
Status BeginRead(std::string_view bytes, png_image& image) {
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    return InvalidArgument(std::string("not a readable PNG: ") + image.message);
  if (image.width == 0 || image.height == 0 || image.width > 20000 || image.height > 20000 ||
      static_cast<uint64_t>(image.width) * image.height > 100'000'000ULL) {
    png_image_free(&image);
    return InvalidArgument("PNG size " + std::to_string(image.width) + "x" +
                           std::to_string(image.height) + " is out of range");
  }
  return {};
}

// The class of one RGBA colour: transparent is 0, other colours by `classes`.
uint8_t ClassOf(const uint8_t* rgba, const std::map<uint32_t, uint8_t>& classes) {
  if (rgba[3] < 128) return 0;
  auto it = classes.find((uint32_t{rgba[0]} << 16) | (uint32_t{rgba[1]} << 8) | rgba[2]);
  return it == classes.end() ? 0 : it->second;
}

}  // namespace

Result<RgbaImage> DecodePng(std::string_view bytes) {
  png_image image;
  PLB_TRY(BeginRead(bytes, image));
  image.format = PNG_FORMAT_RGBA;
  RgbaImage out;
  out.width = static_cast<int32_t>(image.width);
  out.height = static_cast<int32_t>(image.height);
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr))
    return InvalidArgument(std::string("the PNG could not be decoded: ") + image.message);
  return out;
}

Result<ClassImage> DecodePngClasses(std::string_view bytes, const std::map<uint32_t, uint8_t>& classes) {
  png_image image;
  PLB_TRY(BeginRead(bytes, image));
  ClassImage out;
  out.width = static_cast<int32_t>(image.width);
  out.height = static_cast<int32_t>(image.height);
  if (image.format & PNG_FORMAT_FLAG_COLORMAP) {
    // An indexed PNG: its indices straight into the mask, then each palette
    // entry's class through a table, in place.
    image.format = PNG_FORMAT_RGBA_COLORMAP;
    std::vector<uint8_t> colormap(4 * 256);
    out.classes.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, nullptr, out.classes.data(), 0, colormap.data()))
      return InvalidArgument(std::string("the PNG could not be decoded: ") + image.message);
    std::array<uint8_t, 256> table{};
    for (size_t i = 0; i < image.colormap_entries && i < 256; ++i) table[i] = ClassOf(&colormap[4 * i], classes);
    for (uint8_t& p : out.classes) p = table[p];
    return out;
  }
  // Grey or RGB(A): decoded as RGBA; runs of one colour look it up once.
  image.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> rgba(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgba.data(), 0, nullptr))
    return InvalidArgument(std::string("the PNG could not be decoded: ") + image.message);
  out.classes.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height));
  uint32_t last = 0;
  uint8_t last_class = ClassOf(rgba.data(), classes);
  std::memcpy(&last, rgba.data(), 4);
  for (size_t i = 0; i < out.classes.size(); ++i) {
    uint32_t key;
    std::memcpy(&key, &rgba[4 * i], 4);
    if (key != last) last = key, last_class = ClassOf(&rgba[4 * i], classes);
    out.classes[i] = last_class;
  }
  return out;
}

namespace {

// Masks are long runs of one index: zlib's run-length strategy deflates them
// faster than the default and into a smaller file (a 4000x3000 mask of three
// classes, one byte per index: 20 KB in 140 ms against 28 KB in 360 ms at
// level 6, 69 KB in 130 ms at level 1); the level does not change what Z_RLE
// does once above 0.
constexpr int kMaskCompressionLevel = 6;
constexpr int kMaskCompressionStrategy = Z_RLE;

struct Writer {
  std::string bytes;
  std::string problem = "out of memory";
};

void WriteBytes(png_structp png, png_bytep data, size_t size) {
  static_cast<Writer*>(png_get_io_ptr(png))->bytes.append(reinterpret_cast<const char*>(data), size);
}
void Flush(png_structp) {}
[[noreturn]] void OnError(png_structp png, png_const_charp message) {
  static_cast<Writer*>(png_get_error_ptr(png))->problem = message;
  png_longjmp(png, 1);
}
void OnWarning(png_structp, png_const_charp) {}

// The writing itself; libpng's errors jump back to EncodeIndexedPng.
void WriteIndexed(png_structp png, png_infop info, Writer* writer, int32_t width, int32_t height,
                  const std::vector<png_color>& colours, const uint8_t* indices) {
  const size_t entries = colours.size();
  const int depth = entries > 16 ? 8 : entries > 4 ? 4 : entries > 2 ? 2 : 1;
  png_set_write_fn(png, writer, WriteBytes, Flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), depth,
               PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_PLTE(png, info, colours.data(), static_cast<int>(entries));
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_compression_level(png, kMaskCompressionLevel);
  png_set_compression_strategy(png, kMaskCompressionStrategy);
  png_write_info(png, info);
  if (depth < 8) png_set_packing(png);
  for (int32_t y = 0; y < height; ++y) png_write_row(png, indices + static_cast<size_t>(y) * static_cast<size_t>(width));
  png_write_end(png, info);
}

// Holds no C++ object across setjmp: false when libpng failed (its message
// in writer->problem).
bool Encode(Writer* writer, int32_t width, int32_t height, const std::vector<png_color>& colours,
            const uint8_t* indices) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, writer, OnError, OnWarning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  WriteIndexed(png, info, writer, width, height, colours, indices);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Result<std::string> EncodeIndexedPng(int32_t width, int32_t height,
                                     const std::vector<uint8_t>& indices,
                                     const std::vector<std::array<uint8_t, 3>>& palette) {
  if (width <= 0 || height <= 0 || indices.size() != static_cast<size_t>(width) * static_cast<size_t>(height))
    return InvalidArgument("mask size does not match its pixels");
  if (palette.empty() || palette.size() > 256) return InvalidArgument("a palette has 1 to 256 colours");
  // libpng's own write API rather than the simplified one, which deflates
  // the image twice (once for its size) at the default level. The layout is
  // the simplified writer's: the fewest bits per index the palette needs,
  // no row filters (an indexed image's default).
  Writer writer;
  std::vector<png_color> colours(palette.size());
  for (size_t i = 0; i < palette.size(); ++i) colours[i] = {palette[i][0], palette[i][1], palette[i][2]};
  if (!Encode(&writer, width, height, colours, indices.data()))
    return Internal("PNG encoding failed: " + writer.problem);
  return std::move(writer.bytes);
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
  std::array<uint8_t, 3> rgb{};
  if (t.size() == 3) {
    for (int i = 0; i < 3; ++i) {
      const int v = HexDigitValue(t[static_cast<size_t>(i)]);
      if (v < 0) return InvalidArgument("a colour is \"#rrggbb\"");
      rgb[static_cast<size_t>(i)] = static_cast<uint8_t>(v * 17);
    }
    return rgb;
  }
  auto bytes = t.size() == 6 ? HexDecode(t) : std::nullopt;
  if (!bytes) return InvalidArgument("a colour is \"#rrggbb\"");
  for (size_t i = 0; i < 3; ++i) rgb[i] = static_cast<uint8_t>((*bytes)[i]);
  return rgb;
}

std::string HexColor(const std::array<uint8_t, 3>& rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buf;
}

}  // namespace plumbline::tasktypes::detail
