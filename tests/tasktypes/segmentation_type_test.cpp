// SemanticSegmentation and AdjustmentSemanticSegmentation: the -ref rule,
// pre-processing, answers, the voted mask written as an indexed PNG beside
// the batch and the output line that points to it (spec §6.4.7.5).
#include <gtest/gtest.h>

#include <png.h>

#include <boost/json.hpp>
#include <cstring>
#include <random>

#include "common/json.hpp"
#include "tasktypes/detail/png.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {
namespace {

const TaskType& Type(const char* name) {
  const TaskType* t = Find(name);
  EXPECT_NE(t, nullptr) << name;
  return *t;
}

std::string Base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += a[(v >> (6 * k)) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// A worker's answer: a 20x10 mask whose columns [x0, x1) are `label` (in the
// worker's colour), the rest unlabeled (white).
boost::json::value Answer(int x0, int x1, const std::string& colour, bool modified = false) {
  std::vector<uint8_t> idx(200, 0);
  for (int y = 0; y < 10; ++y)
    for (int x = x0; x < x1; ++x) idx[static_cast<size_t>(y * 20 + x)] = 1;
  auto rgb = detail::ParseHexColor(colour).value();
  auto png = detail::EncodeIndexedPng(20, 10, idx, {{0xff, 0xff, 0xff}, rgb}).value();
  boost::json::object o;
  o["inputImageProperties"] = boost::json::object{{"height", 10}, {"width", 20}};
  o["labelMappings"] = boost::json::object{{"cat", boost::json::object{{"color", colour}}}};
  o["labeledImage"] = boost::json::object{{"pngImageData", Base64(png)}};
  o["initialValueModified"] = modified;
  return boost::json::object{{"crowd-semantic-segmentation", o}};
}

TEST(SegmentationTypeTest, RulesAndPreprocessing) {
  for (const char* name : {"SemanticSegmentation", "AdjustmentSemanticSegmentation"}) {
    EXPECT_TRUE(Type(name).ValidateJob({"mask-ref", false, 60})) << name;
    EXPECT_FALSE(Type(name).ValidateJob({"mask", false, 60})) << name;
    EXPECT_EQ(Type(name).OutputType(), "groundtruth/semantic-segmentation");
  }
  auto bad = Type("SemanticSegmentation").Preprocess(boost::json::parse(R"({"source":"x"})").as_object(), {"cat"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "SemanticSegmentation needs the image as a \"source-ref\" URI");
  EXPECT_TRUE(Type("SemanticSegmentation").IsUsableAnswer(Answer(0, 5, "#2ca02c"), {"cat"}));
  // The verification type: a verdict per mask, under a "-ref" attribute.
  const TaskType& verify = Type("VerificationSemanticSegmentation");
  EXPECT_TRUE(verify.ValidateJob({"verdict-ref", false, 60}));
  EXPECT_EQ(verify.OutputType(), "groundtruth/label-verification");
  Batch b;
  b.label_attribute_name = "verdict-ref";
  b.job_name = "check";
  b.labels = {"good", "bad"};
  b.now = FromEpochMs(1763926841501);
  b.objects.push_back({0, {{"w1", boost::json::parse(R"({"v":{"label":"good"}})")}}});
  EXPECT_EQ(verify.ConsolidateBatch(b, nullptr)[0]->at("verdict-ref").as_string(), "0");
  EXPECT_FALSE(Type("SemanticSegmentation").IsUsableAnswer(boost::json::parse(R"({"a":{"labeledImage":{}}})"), {"cat"}));
}

TEST(SegmentationTypeTest, VotedMaskIsWrittenAndTheLinePointsToIt) {
  const TaskType& t = Type("AdjustmentSemanticSegmentation");
  Batch in;
  in.label_attribute_name = "pets-ref";
  in.job_name = "My-Cat-Job";
  in.labels = {"cat", "dog"};
  in.now = FromEpochMs(1763926841501);
  in.output_root = "s3://bucket/out/My-Cat-Job";
  std::vector<std::pair<std::string, std::string>> files;
  in.files = &files;
  // Columns 4..12 by two workers, 6..14 by the third (another colour):
  // the vote gives 4..12 (edges decided by the majority).
  in.objects.push_back({3, {{"w1", Answer(4, 12, "#2ca02c")}, {"w2", Answer(4, 12, "#2ca02c", true)},
                            {"w3", Answer(6, 14, "#abcdef")}}});
  in.objects.push_back({4, {{"w1", boost::json::parse(R"({"x":{"labeledImage":{"pngImageData":"bm90IGEgcG5n"}}})")}}});
  auto out = t.ConsolidateBatch(in, nullptr);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0]) << out[0].error().message;
  ASSERT_EQ(files.size(), 1u);
  const std::string uri = "s3://bucket/out/My-Cat-Job/annotations/consolidated-annotation/output/3_2025-11-23T19:40:41.501000.png";
  EXPECT_EQ(files[0].first, uri);
  auto image = detail::DecodePng(files[0].second).value();
  ASSERT_EQ(image.width, 20);
  ASSERT_EQ(image.height, 10);
  for (int x = 0; x < 20; ++x) {
    const uint8_t* p = &image.rgba[static_cast<size_t>(5 * 20 + x) * 4];
    const bool cat = x >= 4 && x < 12;
    EXPECT_EQ(detail::HexColor({p[0], p[1], p[2]}), cat ? "#2ca02c" : "#ffffff") << x;
  }
  const auto& line = *out[0];
  EXPECT_EQ(line.at("pets-ref").as_string(), uri);
  const auto& meta = line.at("pets-ref-metadata").as_object();
  std::vector<std::string> keys;
  for (const auto& kv : meta) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"internal-color-map", "type", "human-annotated", "creation-date",
                                            "job-name", "adjustment-status"}));
  EXPECT_EQ(meta.at("adjustment-status"), "adjusted");
  EXPECT_EQ(meta.at("job-name"), "labeling-job/my-cat-job");
  const auto& map = meta.at("internal-color-map").as_object();
  EXPECT_EQ(json::Serialize(map.at("0").at("class-name")), "\"BACKGROUND\"");
  EXPECT_EQ(map.at("0").at("hex-color"), "#ffffff");
  EXPECT_EQ(map.at("1").at("class-name"), "cat");
  EXPECT_EQ(map.at("1").at("hex-color"), "#2ca02c");  // the first worker's colour
  EXPECT_EQ(map.at("2").at("hex-color"), "#ff7f0e");  // nobody drew a dog: the default palette
  const double c = map.at("1").at("confidence").as_double();
  EXPECT_GT(c, 0.6);
  EXPECT_LT(c, 1.0);
  EXPECT_EQ(map.at("0").at("confidence").as_double(), c);  // one confidence per image
  ASSERT_FALSE(out[1]);
  EXPECT_NE(out[1].error().message.find("not a readable PNG"), std::string::npos) << out[1].error().message;
  // Without a place for files the objects fail rather than point nowhere.
  in.files = nullptr;
  EXPECT_FALSE(t.ConsolidateBatch(in, nullptr)[0]);
}

// Masks read straight into classes: indexed PNGs of 1, 2, 4 and 8 bits per
// index (the encoder packs small palettes) and an RGBA PNG (another
// client's canvas) give the classes the RGBA decoding and the colour map
// give: unknown colours and transparent pixels are background.
TEST(SegmentationTypeTest, PngPixelsReadStraightIntoClasses) {
  std::mt19937 rng(3);
  const std::map<uint32_t, uint8_t> classes = {{0x2ca02c, 1}, {0xabcdef, 2}, {0x000010, 3}};
  auto expected = [&](const detail::RgbaImage& image) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < image.rgba.size(); i += 4) {
      const uint8_t* p = &image.rgba[i];
      auto it = classes.find((uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]);
      out.push_back(p[3] < 128 || it == classes.end() ? 0 : it->second);
    }
    return out;
  };
  for (size_t entries : {2u, 3u, 9u, 40u}) {
    std::vector<std::array<uint8_t, 3>> palette = {{0xff, 0xff, 0xff}, {0x2c, 0xa0, 0x2c}, {0xab, 0xcd, 0xef}};
    palette.resize(entries, {0x00, 0x00, 0x10});
    for (size_t i = 4; i < entries; ++i) palette[i] = {static_cast<uint8_t>(i), 7, 7};  // colours of no class
    const int w = 37, h = 11;
    std::vector<uint8_t> idx(static_cast<size_t>(w * h));
    for (auto& v : idx) v = static_cast<uint8_t>(rng() % entries);
    const auto png = detail::EncodeIndexedPng(w, h, idx, palette).value();
    const auto got = detail::DecodePngClasses(png, classes).value();
    ASSERT_EQ(got.width, w);
    ASSERT_EQ(got.height, h);
    EXPECT_EQ(got.classes, expected(detail::DecodePng(png).value())) << entries;
    EXPECT_EQ(got.classes[0], idx[0] == 1 ? 1 : idx[0] == 2 ? 2 : idx[0] == 3 ? 3 : 0);
  }
  // RGBA: a class colour, white, an unknown colour and a transparent pixel
  // of a class colour, in runs.
  const int w = 9, h = 4;
  std::vector<uint8_t> rgba;
  for (int i = 0; i < w * h; ++i) {
    const uint8_t px[4][4] = {{0x2c, 0xa0, 0x2c, 255}, {255, 255, 255, 255}, {1, 2, 3, 255}, {0xab, 0xcd, 0xef, 10}};
    rgba.insert(rgba.end(), px[(i / 3) % 4], px[(i / 3) % 4] + 4);
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = w;
  image.height = h;
  image.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  ASSERT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, rgba.data(), 0, nullptr));
  std::string bytes(size, '\0');
  ASSERT_TRUE(png_image_write_to_memory(&image, bytes.data(), &size, 0, rgba.data(), 0, nullptr));
  bytes.resize(size);
  const auto got = detail::DecodePngClasses(bytes, classes).value();
  std::vector<uint8_t> want;
  for (int i = 0; i < w * h; ++i) want.push_back((i / 3) % 4 == 0 ? 1 : 0);
  EXPECT_EQ(got.classes, want);
  auto bad = detail::DecodePngClasses("not a png", classes);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a readable PNG"), std::string::npos);
}

}  // namespace
}  // namespace plumbline::tasktypes
