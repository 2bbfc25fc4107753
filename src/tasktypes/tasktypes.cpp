#include "tasktypes/tasktypes.hpp"

#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <set>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"

namespace plumbline::tasktypes {

namespace {
// Every built-in name Ground Truth defines (PRE-/ACS- prefixes).
const char* const kKnownTypes[] = {
    "BoundingBox", "ImageMultiClass", "ImageMultiClassMultiLabel", "SemanticSegmentation",
    "TextMultiClass", "TextMultiClassMultiLabel", "NamedEntityRecognition", "VideoMultiClass",
    "VideoObjectDetection", "VideoObjectTracking", "3DPointCloudObjectDetection",
    "3DPointCloudObjectTracking", "3DPointCloudSemanticSegmentation", "VerificationBoundingBox",
    "AdjustmentBoundingBox", "VerificationSemanticSegmentation", "AdjustmentSemanticSegmentation",
    "AdjustmentVideoObjectDetection", "AdjustmentVideoObjectTracking",
    "Adjustment3DPointCloudObjectDetection", "Adjustment3DPointCloudObjectTracking",
    "Adjustment3DPointCloudSemanticSegmentation", "PassThrough"};
}  // namespace

HookRef ParseHookArn(const std::string& arn) {
  HookRef ref;
  size_t pos = arn.rfind(":function:");
  if (pos == std::string::npos) return ref;
  std::string fn = arn.substr(pos + 10);
  if (fn.rfind("PRE-", 0) == 0) {
    ref.kind = HookKind::kPre;
  } else if (fn.rfind("ACS-", 0) == 0) {
    ref.kind = HookKind::kAcs;
  } else {
    return ref;
  }
  std::string type = fn.substr(4);
  for (const char* known : kKnownTypes) {
    if (type == known) {
      ref.builtin = true;
      ref.task_type = type;
    }
  }
  return ref;
}

bool IsSupported(const std::string& task_type) { return task_type == "TextMultiClass"; }

std::string OutputType(const std::string& task_type) {
  if (task_type == "TextMultiClass") return "groundtruth/text-classification";
  if (task_type == "ImageMultiClass") return "groundtruth/image-classification";
  return "groundtruth/custom";
}

std::string MetadataJobName(const std::string& job_name) {
  std::string lower = job_name;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "labeling-job/" + lower;
}

Result<std::vector<std::string>> ParseLabelCategories(std::string_view text,
                                                      const std::string& task_type) {
  auto parsed = json::Parse(text);
  if (!parsed) return InvalidArgument("label category file is not valid JSON");
  if (!parsed->is_object()) return InvalidArgument("label category file must be a JSON object");
  const auto* labels = json::GetArray(parsed->get_object(), "labels");
  if (!labels) return InvalidArgument("label category file has no \"labels\" array");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < labels->size(); ++i) {
    const auto& l = (*labels)[i];
    auto name = l.is_object() ? json::GetString(l.get_object(), "label") : std::nullopt;
    if (!name || name->empty())
      return InvalidArgument("labels[" + std::to_string(i) + "] has no \"label\" string");
    if (name->size() > 256)
      return InvalidArgument("labels[" + std::to_string(i) + "] is longer than 256 characters");
    if (!seen.insert(*name).second)
      return InvalidArgument("label \"" + *name + "\" appears more than once");
    out.push_back(*name);
  }
  size_t min = (task_type == "TextMultiClass" || task_type == "ImageMultiClass") ? 2 : 1;
  if (out.size() < min)
    return InvalidArgument(task_type + " needs at least " + std::to_string(min) + " labels");
  return out;
}

Result<boost::json::object> Preprocess(const std::string& /*task_type*/,
                                       const boost::json::object& line,
                                       const std::vector<std::string>& labels) {
  boost::json::object input;
  if (auto s = line.find("source"); s != line.end()) {
    input["taskObject"] = s->value();
  } else if (auto r = line.find("source-ref"); r != line.end()) {
    input["taskObject"] = r->value();
  } else {
    return InvalidArgument("the line has neither \"source\" nor \"source-ref\"");
  }
  boost::json::array l;
  for (const auto& label : labels) l.emplace_back(label);
  input["labels"] = std::move(l);
  input["manifestLine"] = line;
  return input;
}

namespace {
// The label a classifier answer carries: the first top-level member whose
// value is an object with a "label" string (the element's name varies).
std::optional<std::string> AnswerLabel(const boost::json::value& content) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& kv : content.get_object()) {
    if (kv.value().is_object()) {
      if (auto l = json::GetString(kv.value().get_object(), "label")) return l;
    }
  }
  return std::nullopt;
}

boost::json::object Content(const std::string& attr, const std::string& job_name,
                            const std::string& task_type, const std::string& class_name,
                            int64_t class_index, boost::json::value confidence, TimePoint now) {
  boost::json::object metadata;
  metadata["confidence"] = std::move(confidence);
  metadata["job-name"] = MetadataJobName(job_name);
  metadata["class-name"] = class_name;
  metadata["human-annotated"] = "yes";
  metadata["creation-date"] = FormatIsoMicros(now);
  metadata["type"] = OutputType(task_type);
  boost::json::object content;
  content[attr] = class_index;
  content[attr + "-metadata"] = std::move(metadata);
  return content;
}
}  // namespace

std::optional<int32_t> AnswerClass(const boost::json::value& content,
                                   const std::vector<std::string>& labels) {
  auto label = AnswerLabel(content);
  if (!label) return std::nullopt;
  for (size_t k = 0; k < labels.size(); ++k)
    if (labels[k] == *label) return static_cast<int32_t>(k);
  return std::nullopt;
}

std::vector<Result<boost::json::object>> ConsolidateBatch(const BatchInput& in) {
  const int32_t num_classes = static_cast<int32_t>(in.labels.size());
  consolidation::JobConsolidator job(std::max<int32_t>(num_classes, 1));
  // Dense ids for objects and workers, as the algorithms want them.
  std::map<int64_t, int32_t> object_ids;
  std::map<std::string, int32_t> worker_ids;
  auto object_id = [&](int64_t o) {
    return object_ids.emplace(o, static_cast<int32_t>(object_ids.size())).first->second;
  };
  auto worker_id = [&](const std::string& w) {
    return worker_ids.emplace(w, static_cast<int32_t>(worker_ids.size())).first->second;
  };
  if (in.history)
    for (const auto& a : *in.history)
      if (a.label >= 0 && a.label < num_classes)
        job.AddAnswer(object_id(a.object), worker_id(a.worker_id), a.label);
  std::vector<int32_t> targets;
  std::vector<int> usable(in.batch.size(), 0);
  for (size_t i = 0; i < in.batch.size(); ++i) {
    int32_t id = object_id(in.batch[i].first);
    targets.push_back(id);
    for (const auto& a : in.batch[i].second) {
      if (auto k = AnswerClass(a.content, in.labels)) {
        job.AddAnswer(id, worker_id(a.worker_id), *k);
        ++usable[i];
      }
    }
  }
  std::vector<consolidation::TaskLabel> labels = job.Consolidate(targets);
  std::vector<Result<boost::json::object>> out;
  for (size_t i = 0; i < in.batch.size(); ++i) {
    if (usable[i] == 0 || labels[i].label < 0) {
      out.push_back(InvalidArgument("no answer names one of the job's labels"));
      continue;
    }
    // One answer: Ground Truth reports confidence 0.
    boost::json::value confidence =
        usable[i] == 1 ? boost::json::value(0)
                       : boost::json::value(consolidation::RoundConfidence(labels[i].confidence));
    out.push_back(Content(in.label_attribute_name, in.job_name, in.task_type,
                          in.labels[static_cast<size_t>(labels[i].label)], labels[i].label,
                          std::move(confidence), in.now));
  }
  return out;
}

Result<boost::json::object> Consolidate(const ConsolidationInput& in) {
  BatchInput b;
  b.task_type = in.task_type;
  b.label_attribute_name = in.label_attribute_name;
  b.job_name = in.job_name;
  b.labels = in.labels;
  b.now = in.now;
  b.batch.push_back({0, in.answers});
  return std::move(ConsolidateBatch(b).front());
}

}  // namespace plumbline::tasktypes
