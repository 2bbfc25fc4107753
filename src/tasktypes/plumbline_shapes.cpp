// PlumblineShapes: Plumbline's own PRE-/ACS- pair for custom templates whose
// workers draw with crowd-polygon, crowd-line, crowd-polyline or
// crowd-keypoint. Ground Truth has no built-in for these elements (its
// custom jobs need the team's own consolidation function); a job that names
// ACS-PlumblineShapes (any region, any account) gets the built-in rule of
// consolidation/shapes.hpp instead. Its PRE may be PRE-PlumblineShapes (the
// standard input: the image, the labels, the manifest line) or the team's
// own pre-annotation function.
//
// An answer holds one or more shape elements: every top-level member whose
// value is an object with a "polygons", "lines", "polylines" or
// "keypoints" array, as the elements submit it (spec crowd-elements.md
// §5.6-5.9). Each element (by its name) is consolidated on its own across
// workers, weighted by the workers' reliability fitted on every answer of
// the job so far. The label is the consolidated answer itself, in the
// elements' own form, so that a later job's template can hand it back to
// the same element as its initial-value:
//   "<attr>": {"<element name>": {"inputImageProperties": {"height", "width"},
//                                 "polygons": [{"label", "vertices": [{"x", "y"}]}]}}
// and the metadata is in Ground Truth's style, with one confidence per shape
// parallel to each element's list (as a box job's "objects"):
//   "<attr>-metadata": {"job-name", "class-map", "human-annotated",
//                       "objects": {"<element name>": [{"confidence"}]},
//                       "creation-date", "type": "groundtruth/custom"}
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"
#include "consolidation/shapes.hpp"
#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

using consolidation::Point;
using consolidation::Shape;
using consolidation::ShapeKind;

// The answer list of each element, as the element names it.
constexpr std::pair<std::string_view, ShapeKind> kLists[] = {
    {"polygons", ShapeKind::kPolygon},
    {"lines", ShapeKind::kLine},
    {"polylines", ShapeKind::kPolyline},
    {"keypoints", ShapeKind::kKeypoint},
};

std::string_view ListKey(ShapeKind kind) {
  for (const auto& [key, k] : kLists)
    if (k == kind) return key;
  return "";
}

// One element's shapes in one answer.
struct ElementAnswer {
  std::string name;  // the element's name attribute: its member in the answer
  ShapeKind kind = ShapeKind::kPolygon;
  std::vector<Shape> shapes;
  int64_t width = 0, height = 0;  // inputImageProperties; 0 when absent
};

std::optional<Point> ReadPoint(const boost::json::object& o) {
  auto x = json::GetNumber(o, "x");
  auto y = json::GetNumber(o, "y");
  if (!x || !y || !std::isfinite(*x) || !std::isfinite(*y)) return std::nullopt;
  return Point{*x, *y};
}

// Appends one entry of an element's list to `out` when its label is one of
// the job's and it has the points its kind needs (a polygon 3 or more
// vertices, a line exactly 2, a polyline 2 or more); such shapes are left
// out. False for an entry that is not a shape at all (no string "label", a
// vertex or keypoint without numeric "x" and "y"): the answer is dropped.
bool ReadShape(const boost::json::value& entry, ShapeKind kind,
               const std::vector<std::string>& labels, std::vector<Shape>* out) {
  if (!entry.is_object()) return false;
  const auto& o = entry.get_object();
  auto label = json::GetString(o, "label");
  if (!label) return false;
  Shape shape;
  if (kind == ShapeKind::kKeypoint) {
    auto p = ReadPoint(o);
    if (!p) return false;
    shape.points.push_back(*p);
  } else {
    const auto* vertices = json::GetArray(o, "vertices");
    if (!vertices) return false;
    for (const auto& v : *vertices) {
      auto p = v.is_object() ? ReadPoint(v.get_object()) : std::nullopt;
      if (!p) return false;
      shape.points.push_back(*p);
    }
  }
  auto it = std::find(labels.begin(), labels.end(), *label);
  if (it == labels.end()) return true;
  const size_t n = shape.points.size();
  const bool enough = kind == ShapeKind::kPolygon ? n >= 3
                      : kind == ShapeKind::kLine  ? n == 2
                      : kind == ShapeKind::kPolyline ? n >= 2
                                                     : n == 1;
  if (!enough) return true;
  shape.label = static_cast<int32_t>(it - labels.begin());
  out->push_back(std::move(shape));
  return true;
}

// The shape elements of an answer, in member order. nullopt when it has
// none, or when an element's list holds an entry that is not a shape.
std::optional<std::vector<ElementAnswer>> AnswerShapes(const boost::json::value& content,
                                                       const std::vector<std::string>& labels) {
  if (!content.is_object()) return std::nullopt;
  std::vector<ElementAnswer> elements;
  for (const auto& kv : content.get_object()) {
    if (!kv.value().is_object()) continue;
    const auto& o = kv.value().get_object();
    for (const auto& [key, kind] : kLists) {
      const auto* list = json::GetArray(o, key);
      if (!list) continue;
      ElementAnswer e;
      e.name = std::string(kv.key());
      e.kind = kind;
      for (const auto& entry : *list)
        if (!ReadShape(entry, kind, labels, &e.shapes)) return std::nullopt;
      if (const auto* props = json::GetObject(o, "inputImageProperties")) {
        e.width = json::GetInt(*props, "width").value_or(0);
        e.height = json::GetInt(*props, "height").value_or(0);
      }
      elements.push_back(std::move(e));
      break;
    }
  }
  if (elements.empty()) return std::nullopt;
  return elements;
}

class ShapeHistory final : public JobHistory {
 public:
  struct Entry {
    int64_t object;
    std::string worker_id;
    std::vector<ElementAnswer> elements;
  };
  explicit ShapeHistory(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  void Add(int64_t object, const std::string& worker_id,
           const boost::json::value& answer) override {
    if (auto a = AnswerShapes(answer, labels_))
      entries_.push_back({object, worker_id, std::move(*a)});
  }
  size_t size() const override { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<std::string> labels_;
  std::vector<Entry> entries_;
};

// One element of the job (by name) across the history's and the batch's
// objects: an image per object for consolidation::ConsolidateShapes.
struct Element {
  ShapeKind kind = ShapeKind::kPolygon;
  std::vector<consolidation::ShapeImage> images;
  std::vector<std::map<std::pair<int64_t, int64_t>, int>> sizes;  // per image: (w, h) -> answers
  std::map<int64_t, size_t> image_of;                              // object -> image
  consolidation::ShapeResult fit;

  void Add(int64_t object, int32_t worker, ElementAnswer&& a) {
    auto [it, added] = image_of.emplace(object, images.size());
    if (added) {
      images.emplace_back();
      sizes.emplace_back();
    }
    if (a.width > 0 && a.height > 0) ++sizes[it->second][{a.width, a.height}];
    images[it->second].answers.push_back({worker, std::move(a.shapes)});
  }
  // The image size most answers report (the first in size order on ties),
  // or (0, 0).
  std::pair<int64_t, int64_t> SizeOf(size_t image) const {
    std::pair<int64_t, int64_t> size{0, 0};
    int best = 0;
    for (const auto& [wh, n] : sizes[image])
      if (n > best) best = n, size = wh;
    return size;
  }
};

boost::json::object PointJson(const Point& p) {
  return {{"x", detail::OutputCoordinate(p.x)}, {"y", detail::OutputCoordinate(p.y)}};
}

class PlumblineShapes final : public TaskType {
 public:
  explicit PlumblineShapes(const BuiltinTaskType& row) : TaskType(row) {}

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
    return AnswerShapes(content, labels).has_value();
  }

  std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>& labels) const override {
    return std::make_unique<ShapeHistory>(labels);
  }

  std::vector<Result<boost::json::object>> ConsolidateBatch(
      const Batch& in, const JobHistory* history) const override {
    std::map<std::string, int32_t> worker_ids;
    std::map<std::string, Element> elements;  // by element name
    auto worker_id = [&](const std::string& w) {
      return worker_ids.emplace(w, static_cast<int32_t>(worker_ids.size())).first->second;
    };
    // An element keeps the kind it was first seen with; an answer that
    // draws another kind under the same name is not counted for it.
    auto add = [&](int64_t object, int32_t worker, ElementAnswer&& a) {
      auto [it, added] = elements.try_emplace(a.name);
      if (added) it->second.kind = a.kind;
      if (it->second.kind == a.kind) it->second.Add(object, worker, std::move(a));
    };
    if (history)
      for (const auto& e : static_cast<const ShapeHistory*>(history)->entries())
        for (ElementAnswer a : e.elements) add(e.object, worker_id(e.worker_id), std::move(a));
    std::vector<int> usable(in.objects.size(), 0);
    for (size_t i = 0; i < in.objects.size(); ++i) {
      for (const auto& answer : in.objects[i].second) {
        auto parsed = AnswerShapes(answer.content, in.labels);
        if (!parsed) continue;
        ++usable[i];
        const int32_t worker = worker_id(answer.worker_id);
        for (auto& a : *parsed) add(in.objects[i].first, worker, std::move(a));
      }
    }
    const auto num_workers = static_cast<int32_t>(worker_ids.size());
    for (auto& [name, e] : elements) {
      for (size_t i = 0; i < e.images.size(); ++i) {
        auto [w, h] = e.SizeOf(i);
        e.images[i].width = static_cast<double>(w);
        e.images[i].height = static_cast<double>(h);
      }
      e.fit = consolidation::ConsolidateShapes(e.kind, e.images, num_workers);
    }
    std::vector<Result<boost::json::object>> out;
    for (size_t i = 0; i < in.objects.size(); ++i) {
      if (usable[i] == 0) {
        out.push_back(InvalidArgument(
            "no answer has a list of valid shapes (\"polygons\", \"lines\", \"polylines\" or "
            "\"keypoints\" of a crowd-polygon, crowd-line, crowd-polyline or crowd-keypoint)"));
        continue;
      }
      out.push_back(Content(in, elements, in.objects[i].first, usable[i]));
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

  // The output for one object: each element it was answered with, in name
  // order; metadata keys in the order of a box job's (spec §6.4.7.3).
  boost::json::object Content(const Batch& in, const std::map<std::string, Element>& elements,
                              int64_t object, int answers) const {
    boost::json::object label, objects;
    std::map<int32_t, std::string> classes;
    for (const auto& [name, e] : elements) {
      auto at = e.image_of.find(object);
      if (at == e.image_of.end()) continue;
      boost::json::array shapes, confidences;
      for (const auto& c : e.fit.images[at->second]) {
        boost::json::object s;
        s["label"] = in.labels[static_cast<size_t>(c.shape.label)];
        if (e.kind == ShapeKind::kKeypoint) {
          s["x"] = detail::OutputCoordinate(c.shape.points[0].x);
          s["y"] = detail::OutputCoordinate(c.shape.points[0].y);
        } else {
          boost::json::array vertices;
          for (const auto& p : c.shape.points) vertices.emplace_back(PointJson(p));
          s["vertices"] = std::move(vertices);
        }
        shapes.emplace_back(std::move(s));
        // One answer: no agreement to measure; Ground Truth reports 0.
        confidences.emplace_back(boost::json::object{
            {"confidence", answers == 1 ? boost::json::value(0)
                                        : boost::json::value(consolidation::RoundConfidence(c.confidence))}});
        classes[c.shape.label] = in.labels[static_cast<size_t>(c.shape.label)];
      }
      boost::json::object element;
      if (auto [w, h] = e.SizeOf(at->second); w > 0)
        element["inputImageProperties"] = boost::json::object{{"height", h}, {"width", w}};
      element[ListKey(e.kind)] = std::move(shapes);
      label[name] = std::move(element);
      objects[name] = std::move(confidences);
    }
    boost::json::object class_map;
    for (const auto& [k, l] : classes) class_map[std::to_string(k)] = l;
    boost::json::object metadata;
    metadata["job-name"] = MetadataJobName(in.job_name);
    metadata["class-map"] = std::move(class_map);
    metadata["human-annotated"] = "yes";
    metadata["objects"] = std::move(objects);
    metadata["creation-date"] = FormatIsoMicros(in.now);
    metadata["type"] = OutputType();
    boost::json::object content;
    content[in.label_attribute_name] = std::move(label);
    content[in.label_attribute_name + "-metadata"] = std::move(metadata);
    return content;
  }
};

}  // namespace

const TaskType& detail::PlumblineShapesType() {
  static const PlumblineShapes type(*FindBuiltin("PlumblineShapes"));
  return type;
}

}  // namespace plumbline::tasktypes
