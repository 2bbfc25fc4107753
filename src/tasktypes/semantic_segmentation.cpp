// SemanticSegmentation and AdjustmentSemanticSegmentation (spec §3.2,
// §6.4.7.5, §7.4): a label for every pixel of an image. PRE gives the
// template the image ("source-ref"), the labels and the manifest line; an
// answer is crowd-semantic-segmentation's {"labelMappings": {"<label>":
// {"color"}}, "labeledImage": {"pngImageData": base64 PNG},
// "inputImageProperties"}; ACS decodes each worker's PNG, maps colours to
// classes through that worker's labelMappings (anything else, white or
// transparent, is background), votes per pixel (consolidation::VoteMasks)
// and writes the result as an indexed PNG under
// annotations/consolidated-annotation/output/ of the job's output; the label
// is that file's URI, the metadata's internal-color-map gives each class's
// name, colour and the image's confidence. An adjustment job adds
// "adjustment-status" from the workers' initialValueModified.
#include <boost/json.hpp>
#include <map>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"
#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/detail/png.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

using Rgb = std::array<uint8_t, 3>;

// The parts of an answer: the first top-level member whose value is an
// object with a "labeledImage" object holding a "pngImageData" string.
struct MaskAnswer {
  std::string_view png_base64;
  std::vector<std::pair<std::string, Rgb>> mappings;  // label -> colour
  int64_t width = 0, height = 0;
  bool modified = false;
};

std::optional<MaskAnswer> ParseAnswer(const boost::json::value& content) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& kv : content.get_object()) {
    if (!kv.value().is_object()) continue;
    const auto& o = kv.value().get_object();
    const auto* image = json::GetObject(o, "labeledImage");
    if (!image) continue;
    const auto* data = image->if_contains("pngImageData");
    if (!data || !data->is_string()) return std::nullopt;
    MaskAnswer a;
    a.png_base64 = data->get_string();
    if (const auto* maps = json::GetObject(o, "labelMappings")) {
      for (const auto& m : *maps) {
        if (!m.value().is_object()) return std::nullopt;
        auto color = json::GetString(m.value().get_object(), "color");
        if (!color) return std::nullopt;
        auto rgb = detail::ParseHexColor(*color);
        if (!rgb) return std::nullopt;
        a.mappings.emplace_back(std::string(m.key()), *rgb);
      }
    }
    if (const auto* props = json::GetObject(o, "inputImageProperties")) {
      a.width = json::GetInt(*props, "width").value_or(0);
      a.height = json::GetInt(*props, "height").value_or(0);
    }
    if (const auto* m = o.if_contains("initialValueModified"); m && m->is_bool()) a.modified = m->get_bool();
    return a;
  }
  return std::nullopt;
}

// Plumbline's default colours when no worker named one (spec §7.4 step 6).
constexpr Rgb kDefaultPalette[] = {{0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
                                   {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
                                   {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};

// Masks carry no reliability across images here: the history only counts.
class CountHistory final : public JobHistory {
 public:
  void Add(int64_t, const std::string&, const boost::json::value& answer) override {
    if (ParseAnswer(answer)) ++n_;
  }
  size_t size() const override { return n_; }

 private:
  size_t n_ = 0;
};

class SemanticSegmentation final : public detail::ImageTaskType {
 public:
  SemanticSegmentation(const BuiltinTaskType& row, bool adjustment) : ImageTaskType(row), adjustment_(adjustment) {}

  bool IsUsableAnswer(const boost::json::value& content, const std::vector<std::string>&) const override {
    return ParseAnswer(content).has_value();
  }
  std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>&) const override {
    return std::make_unique<CountHistory>();
  }

  std::vector<Result<boost::json::object>> ConsolidateBatch(const Batch& in, const JobHistory*) const override {
    std::vector<Result<boost::json::object>> out;
    for (const auto& [index, answers] : in.objects) out.push_back(One(in, index, answers));
    return out;
  }

 private:
  Result<boost::json::object> One(const Batch& in, int64_t index, const std::vector<Answer>& answers) const {
    if (!in.files) return InvalidArgument("this consolidation cannot write mask files");
    const size_t k = in.labels.size() + 1;  // 0: background
    if (k > 256) return InvalidArgument("a mask holds at most 255 labels");
    std::vector<detail::ClassImage> decoded;
    std::vector<std::optional<Rgb>> colours(k);
    colours[0] = Rgb{0xff, 0xff, 0xff};
    bool modified = false;
    std::string last_problem = "no answer has a \"labeledImage\" PNG";
    std::map<std::pair<int32_t, int32_t>, int> sizes;
    std::map<uint32_t, uint8_t> classes;          // rgb -> class, of one answer
    std::vector<std::pair<size_t, Rgb>> named;   // class, colour, of one answer
    for (const auto& a : answers) {
      auto parsed = ParseAnswer(a.content);
      if (!parsed) continue;
      classes.clear();
      named.clear();
      for (const auto& [label, rgb] : parsed->mappings) {
        auto it = std::find(in.labels.begin(), in.labels.end(), label);
        if (it == in.labels.end()) continue;
        const auto c = static_cast<size_t>(it - in.labels.begin()) + 1;
        classes[(uint32_t{rgb[0]} << 16) | (uint32_t{rgb[1]} << 8) | rgb[2]] = static_cast<uint8_t>(c);
        named.emplace_back(c, rgb);
      }
      auto bytes = detail::DecodeBase64(parsed->png_base64);
      if (!bytes) { last_problem = bytes.error().message; continue; }
      auto image = detail::DecodePngClasses(*bytes, classes);
      if (!image) { last_problem = "labeledImage: " + image.error().message; continue; }
      for (const auto& [c, rgb] : named)
        if (!colours[c]) colours[c] = rgb;  // the first answering worker's colour
      modified = modified || parsed->modified;
      ++sizes[{image->width, image->height}];
      decoded.push_back(std::move(*image));
    }
    if (decoded.empty()) return InvalidArgument(last_problem);
    // The size most masks have; others are resampled to it (nearest pixel).
    std::pair<int32_t, int32_t> size{0, 0};
    int best = 0;
    for (const auto& [wh, n] : sizes)
      if (n > best) best = n, size = wh;
    const auto [w, h] = size;
    std::vector<int32_t> source_x(static_cast<size_t>(w));
    for (auto& d : decoded) {
      if (d.width == w && d.height == h) continue;
      std::vector<uint8_t> m(static_cast<size_t>(w) * static_cast<size_t>(h));
      for (int32_t x = 0; x < w; ++x)
        source_x[static_cast<size_t>(x)] = static_cast<int32_t>(static_cast<int64_t>(x) * d.width / w);
      for (int32_t y = 0; y < h; ++y) {
        const int32_t sy = static_cast<int32_t>(static_cast<int64_t>(y) * d.height / h);
        const uint8_t* from = &d.classes[static_cast<size_t>(sy) * static_cast<size_t>(d.width)];
        uint8_t* to = &m[static_cast<size_t>(y) * static_cast<size_t>(w)];
        for (int32_t x = 0; x < w; ++x) to[x] = from[source_x[static_cast<size_t>(x)]];
      }
      d = {w, h, std::move(m)};
    }
    consolidation::MaskVote vote;
    vote.width = w;
    vote.height = h;
    vote.num_classes = static_cast<int32_t>(k);
    for (const auto& d : decoded) vote.masks.push_back(d.classes.data());
    const auto result = consolidation::VoteMasks(vote);
    std::vector<Rgb> palette(k);
    for (size_t c = 0; c < k; ++c)
      palette[c] = colours[c] ? *colours[c] : kDefaultPalette[(c - 1) % std::size(kDefaultPalette)];
    PLB_ASSIGN_OR_RETURN(std::string png, detail::EncodeIndexedPng(w, h, result.labels, palette));
    const std::string uri = in.output_root + "/annotations/consolidated-annotation/output/" +
                            std::to_string(index) + "_" + FormatIsoMicros(in.now) + ".png";
    in.files->emplace_back(uri, std::move(png));
    boost::json::object color_map;
    for (size_t c = 0; c < k; ++c) {
      boost::json::object entry;
      entry["class-name"] = c == 0 ? std::string("BACKGROUND") : in.labels[c - 1];
      entry["hex-color"] = detail::HexColor(palette[c]);
      entry["confidence"] = result.confidence;
      color_map[std::to_string(c)] = std::move(entry);
    }
    boost::json::object metadata;
    metadata["internal-color-map"] = std::move(color_map);
    metadata["type"] = OutputType();
    metadata["human-annotated"] = "yes";
    metadata["creation-date"] = FormatIsoMicros(in.now);
    metadata["job-name"] = MetadataJobName(in.job_name);
    if (adjustment_) metadata["adjustment-status"] = modified ? "adjusted" : "unadjusted";
    boost::json::object content;
    content[in.label_attribute_name] = uri;
    content[in.label_attribute_name + "-metadata"] = std::move(metadata);
    return content;
  }

  bool adjustment_;
};

}  // namespace

const TaskType& detail::SemanticSegmentationType() {
  static const SemanticSegmentation type(*FindBuiltin("SemanticSegmentation"), false);
  return type;
}

const TaskType& detail::AdjustmentSemanticSegmentationType() {
  static const SemanticSegmentation type(*FindBuiltin("AdjustmentSemanticSegmentation"), true);
  return type;
}

}  // namespace plumbline::tasktypes
