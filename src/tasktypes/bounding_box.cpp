// BoundingBox and AdjustmentBoundingBox (spec §3.2, §6.4.7.3, §6.4.7.4,
// §7.3): labeled boxes on an image. PRE gives the template the image
// ("source-ref") and the labels, plus the whole manifest line (an adjustment
// template shows an earlier job's boxes from it through `initial-value`); an
// answer is crowd-bounding-box's {"boundingBoxes": [{"label", "left", "top",
// "width", "height"}], "inputImageProperties": {"width", "height"}}; ACS
// groups the workers' boxes by IoU and merges them weighted by the workers'
// reliability, fitted on every answer of the job so far
// (consolidation::ConsolidateBoxes), with a confidence per box. An
// adjustment job adds "adjustment-status": "adjusted" when a worker changed
// the boxes they were shown (the element's initialValueModified), else
// "unadjusted".
#include <boost/json.hpp>
#include <cmath>
#include <map>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"
#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

using consolidation::Box;

struct BoxAnswer {
  std::vector<Box> boxes;
  int64_t width = 0, height = 0;  // inputImageProperties; 0 when absent
  bool modified = false;          // initialValueModified
};

// The boxes of an answer: the first top-level member whose value is an
// object with a "boundingBoxes" array. nullopt when there is none, or when a
// box is not an object with a string "label" and numeric "left", "top",
// "width", "height": such an answer is dropped whole. Boxes with a label the
// job does not have, or without area, are left out (spec §7.3 step 1).
std::optional<BoxAnswer> AnswerBoxes(const boost::json::value& content,
                                     const std::vector<std::string>& labels) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& kv : content.get_object()) {
    if (!kv.value().is_object()) continue;
    const auto& o = kv.value().get_object();
    const auto* boxes = json::GetArray(o, "boundingBoxes");
    if (!boxes) continue;
    BoxAnswer a;
    for (const auto& e : *boxes) {
      if (!e.is_object()) return std::nullopt;
      const auto& b = e.get_object();
      auto label = json::GetString(b, "label");
      auto left = json::GetNumber(b, "left");
      auto top = json::GetNumber(b, "top");
      auto width = json::GetNumber(b, "width");
      auto height = json::GetNumber(b, "height");
      if (!label || !left || !top || !width || !height) return std::nullopt;
      if (!std::isfinite(*left) || !std::isfinite(*top) || !std::isfinite(*width) ||
          !std::isfinite(*height))
        return std::nullopt;
      auto it = std::find(labels.begin(), labels.end(), *label);
      if (it == labels.end() || *width <= 0 || *height <= 0) continue;
      a.boxes.push_back({*left, *top, *width, *height, static_cast<int32_t>(it - labels.begin())});
    }
    if (const auto* props = json::GetObject(o, "inputImageProperties")) {
      a.width = json::GetInt(*props, "width").value_or(0);
      a.height = json::GetInt(*props, "height").value_or(0);
    }
    if (const auto* m = o.if_contains("initialValueModified"); m && m->is_bool())
      a.modified = m->get_bool();
    return a;
  }
  return std::nullopt;
}

class BoxHistory final : public JobHistory {
 public:
  struct Entry {
    int64_t object;
    std::string worker_id;
    std::vector<Box> boxes;
  };
  explicit BoxHistory(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  void Add(int64_t object, const std::string& worker_id,
           const boost::json::value& answer) override {
    if (auto a = AnswerBoxes(answer, labels_))
      entries_.push_back({object, worker_id, std::move(a->boxes)});
  }
  size_t size() const override { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<std::string> labels_;
  std::vector<Entry> entries_;
};

// FNV-1a: a tie-break seed that is the same on every build and platform.
uint64_t Fnv(std::string_view s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

class BoundingBox final : public TaskType {
 public:
  BoundingBox(const BuiltinTaskType& row, bool adjustment) : TaskType(row), adjustment_(adjustment) {}

  Result<boost::json::object> Preprocess(const boost::json::object& manifest_line,
                                         const std::vector<std::string>& labels) const override {
    PLB_TRY(CheckImage(manifest_line));
    return StandardTaskInput(manifest_line, labels);
  }
  Result<std::string> PreprocessJson(const boost::json::object& manifest_line,
                                     std::string_view /*line_text*/,
                                     const std::vector<std::string>& /*labels*/) const override {
    PLB_TRY(CheckImage(manifest_line));
    return StandardTaskInputStored(manifest_line);
  }

  bool IsUsableAnswer(const boost::json::value& content,
                      const std::vector<std::string>& labels) const override {
    return AnswerBoxes(content, labels).has_value();
  }

  std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>& labels) const override {
    return std::make_unique<BoxHistory>(labels);
  }

  std::vector<Result<boost::json::object>> ConsolidateBatch(
      const Batch& in, const JobHistory* history) const override {
    std::map<int64_t, size_t> image_of;
    std::map<std::string, int32_t> worker_ids;
    std::vector<consolidation::BoxImage> images;
    const uint64_t job_seed = Fnv(MetadataJobName(in.job_name));
    auto image = [&](int64_t object) -> consolidation::BoxImage& {
      auto [it, added] = image_of.emplace(object, images.size());
      if (added) {
        images.emplace_back();
        images.back().seed = Fnv(std::to_string(object), job_seed);
      }
      return images[it->second];
    };
    auto worker_id = [&](const std::string& w) {
      return worker_ids.emplace(w, static_cast<int32_t>(worker_ids.size())).first->second;
    };
    if (history)
      for (const auto& e : static_cast<const BoxHistory*>(history)->entries())
        image(e.object).answers.push_back({worker_id(e.worker_id), e.boxes});
    struct Seen {
      int usable = 0;
      bool modified = false;
      std::map<std::pair<int64_t, int64_t>, int> sizes;  // (width, height) -> answers
    };
    std::vector<Seen> seen(in.objects.size());
    for (size_t i = 0; i < in.objects.size(); ++i) {
      auto& im = image(in.objects[i].first);
      for (const auto& a : in.objects[i].second) {
        auto parsed = AnswerBoxes(a.content, in.labels);
        if (!parsed) continue;
        ++seen[i].usable;
        seen[i].modified = seen[i].modified || parsed->modified;
        if (parsed->width > 0 && parsed->height > 0) ++seen[i].sizes[{parsed->width, parsed->height}];
        im.answers.push_back({worker_id(a.worker_id), std::move(parsed->boxes)});
      }
    }
    const auto fit = consolidation::ConsolidateBoxes(images, static_cast<int32_t>(worker_ids.size()));
    std::vector<Result<boost::json::object>> out;
    for (size_t i = 0; i < in.objects.size(); ++i) {
      if (seen[i].usable == 0) {
        out.push_back(InvalidArgument("no answer has a valid \"boundingBoxes\" list"));
        continue;
      }
      out.push_back(Content(in, fit.images[image_of.at(in.objects[i].first)], seen[i].usable,
                            seen[i].sizes, seen[i].modified));
    }
    return out;
  }

 private:
  Status CheckImage(const boost::json::object& line) const {
    const boost::json::value* ref = line.if_contains("source-ref");
    if (!ref || !ref->is_string())
      return InvalidArgument(std::string(Name()) + " needs the image as a \"source-ref\" URI");
    return {};
  }

  // Ground Truth's output for one image (spec §6.4.7.3), metadata in its
  // observed key order.
  boost::json::object Content(const Batch& in, const std::vector<consolidation::ConsolidatedBox>& boxes,
                              int answers, const std::map<std::pair<int64_t, int64_t>, int>& sizes,
                              bool modified) const {
    // The image size most answers report (the first such in size order on ties).
    std::pair<int64_t, int64_t> size{0, 0};
    int best = 0;
    for (const auto& [wh, n] : sizes)
      if (n > best) best = n, size = wh;
    boost::json::array annotations, objects;
    std::map<int32_t, std::string> classes;
    for (const auto& b : boxes) {
      boost::json::object a;
      a["class_id"] = b.box.label;
      a["left"] = detail::OutputCoordinate(b.box.left);
      a["top"] = detail::OutputCoordinate(b.box.top);
      a["width"] = detail::OutputCoordinate(b.box.width);
      a["height"] = detail::OutputCoordinate(b.box.height);
      annotations.emplace_back(std::move(a));
      // One answer: Ground Truth reports 0.
      objects.emplace_back(boost::json::object{
          {"confidence", answers == 1 ? boost::json::value(0)
                                      : boost::json::value(consolidation::RoundConfidence(b.confidence))}});
      classes[b.box.label] = in.labels[static_cast<size_t>(b.box.label)];
    }
    boost::json::object class_map;
    for (const auto& [k, label] : classes) class_map[std::to_string(k)] = label;
    boost::json::object label;
    label["image_size"] = boost::json::array{boost::json::object{{"width", size.first}, {"height", size.second}, {"depth", 3}}};
    label["annotations"] = std::move(annotations);
    boost::json::object metadata;
    metadata["job-name"] = MetadataJobName(in.job_name);
    metadata["class-map"] = std::move(class_map);
    metadata["human-annotated"] = "yes";
    metadata["objects"] = std::move(objects);
    metadata["creation-date"] = FormatIsoMicros(in.now);
    metadata["type"] = OutputType();
    if (adjustment_) metadata["adjustment-status"] = modified ? "adjusted" : "unadjusted";
    boost::json::object content;
    content[in.label_attribute_name] = std::move(label);
    content[in.label_attribute_name + "-metadata"] = std::move(metadata);
    return content;
  }

  bool adjustment_;
};

}  // namespace

boost::json::value detail::OutputCoordinate(double v) {
  const double r = std::round(v * 100.0) / 100.0;
  if (std::abs(r - std::round(r)) < 1e-9) return boost::json::value(static_cast<int64_t>(std::llround(r)));
  return boost::json::value(r);
}

const TaskType& detail::BoundingBoxType() {
  static const BoundingBox type(*FindBuiltin("BoundingBox"), false);
  return type;
}

const TaskType& detail::AdjustmentBoundingBoxType() {
  static const BoundingBox type(*FindBuiltin("AdjustmentBoundingBox"), true);
  return type;
}

}  // namespace plumbline::tasktypes
