#include "tasktypes/tasktypes.hpp"

#include <boost/json.hpp>
#include <cmath>
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
}  // namespace

Result<boost::json::object> Consolidate(const ConsolidationInput& in) {
  // Class indexes of the usable answers; answers naming unknown labels are dropped.
  std::vector<int32_t> classes;
  for (const auto& a : in.answers) {
    auto label = AnswerLabel(a.content);
    if (!label) continue;
    for (size_t k = 0; k < in.labels.size(); ++k) {
      if (in.labels[k] == *label) {
        classes.push_back(static_cast<int32_t>(k));
        break;
      }
    }
  }
  if (classes.empty()) return InvalidArgument("no answer names one of the job's labels");
  // The spec's one-coin Dawid-Skene over this object's answers (one answer:
  // confidence 0, as Ground Truth reports).
  // TODO(#5): fit worker accuracies across the whole job's answers.
  auto result = consolidation::ConsolidateObject(classes, static_cast<int32_t>(in.labels.size()));
  size_t best = static_cast<size_t>(result.label);
  boost::json::value confidence =
      classes.size() == 1 ? boost::json::value(0)
                          : boost::json::value(consolidation::RoundConfidence(result.confidence));
  boost::json::object metadata;
  metadata["confidence"] = confidence;
  metadata["job-name"] = MetadataJobName(in.job_name);
  metadata["class-name"] = in.labels[best];
  metadata["human-annotated"] = "yes";
  metadata["creation-date"] = FormatIsoMicros(in.now);
  metadata["type"] = OutputType(in.task_type);
  boost::json::object content;
  content[in.label_attribute_name] = static_cast<int64_t>(best);
  content[in.label_attribute_name + "-metadata"] = std::move(metadata);
  return content;
}

}  // namespace plumbline::tasktypes
