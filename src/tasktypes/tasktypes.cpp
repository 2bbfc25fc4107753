// What every task type shares: the defaults of TaskType, the label attribute
// and label category file rules, and the forms for callers that hold a name.
#include "tasktypes/tasktypes.hpp"

#include <boost/json.hpp>
#include <set>

#include "common/json.hpp"
#include "common/text.hpp"

namespace plumbline::tasktypes {

namespace {
// Labels of a label category file (spec §6.2.1) for a type of the given
// name and limits.
Result<std::vector<std::string>> ParseLabels(std::string_view text, std::string_view type_name,
                                             int min, int max) {
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
  if (out.size() < static_cast<size_t>(min))
    return InvalidArgument(std::string(type_name) + " needs at least " + std::to_string(min) +
                           " labels");
  if (max > 0 && out.size() > static_cast<size_t>(max))
    return InvalidArgument(std::string(type_name) + " allows at most " + std::to_string(max) +
                           " labels");
  return out;
}
}  // namespace

// ------------------------------------------------------ TaskType defaults

Status TaskType::ValidateJob(const JobSettings& settings) const {
  if (auto problem = LabelAttributeNameProblem(settings.label_attribute_name, &info_))
    return InvalidArgument(*problem);
  return {};
}

Result<std::vector<std::string>> TaskType::ParseLabelCategories(std::string_view text) const {
  return ParseLabels(text, info_.name, info_.min_labels, info_.max_labels);
}

Result<boost::json::object> TaskType::Preprocess(const boost::json::object& manifest_line,
                                                 const std::vector<std::string>& labels) const {
  return StandardTaskInput(manifest_line, labels);
}

Result<std::string> TaskType::PreprocessJson(const boost::json::object& manifest_line,
                                             std::string_view line_text,
                                             const std::vector<std::string>& labels) const {
  // Whatever Preprocess gives, so a type that overrides only Preprocess
  // stores its own input; types with the standard input override this too.
  (void)line_text;
  PLB_ASSIGN_OR_RETURN(auto input, Preprocess(manifest_line, labels));
  return json::Serialize(input);
}

void TaskType::AddLabel(boost::json::object& line, const boost::json::object& content,
                        const std::string& attr) const {
  AddLabelMembers(line, content, attr);
}

void TaskType::AddFailure(boost::json::object& line, const std::string& attr,
                          const std::string& job_name, const std::string& reason) const {
  AddFailureMetadata(line, attr, job_name, reason, OutputType());
}

// ------------------------------------------------------------ shared rules

std::optional<std::string> LabelAttributeNameProblem(std::string_view label,
                                                     const BuiltinTaskType* type) {
  if (label.ends_with("-metadata"))
    return "LabelAttributeName '" + std::string(label) + "' must not end with \"-metadata\".";
  if (label == "source" || label == "source-ref")
    return "LabelAttributeName must not be \"source\" or \"source-ref\": those keys hold the data "
           "object in the manifest.";
  // Types whose output is a file reference need "-ref"; all others,
  // custom jobs included, must not have it (spec §3.2).
  const bool wants_ref = type && type->ref_label_attribute;
  const std::string type_text =
      type ? "task type " + std::string(type->name) : std::string("custom labeling jobs");
  if (wants_ref && !label.ends_with("-ref"))
    return "LabelAttributeName '" + std::string(label) + "' must end with \"-ref\" for " +
           type_text + ".";
  if (!wants_ref && label.ends_with("-ref"))
    return "LabelAttributeName '" + std::string(label) + "' must not end with \"-ref\" for " +
           type_text + ".";
  return std::nullopt;
}

bool CarriesLabel(const boost::json::object& line, std::string_view attr) {
  return line.contains(attr);
}

bool AuditsEarlierLabels(std::string_view task_type) {
  return task_type.starts_with("Adjustment") || task_type.starts_with("Verification");
}

std::optional<std::string> AuditAttributeCollision(const boost::json::object& line,
                                                   std::string_view attr,
                                                   std::string_view task_type) {
  const std::string name(attr);
  const bool label = line.contains(name), metadata = line.contains(name + "-metadata");
  if (!label && !metadata) return std::nullopt;
  return "LabelAttributeName '" + name + "' is already a key of the line (\"" +
         (label ? name : name + "-metadata") + "\"): a " + std::string(task_type) +
         " job audits an earlier job's labels and needs a LabelAttributeName of its own.";
}

void AddLabelMembers(boost::json::object& line, const boost::json::object& content,
                     const std::string& attr) {
  // Keys already present keep their position; new ones are appended.
  if (auto it = content.find(attr); it != content.end()) line[attr] = it->value();
  if (auto it = content.find(attr + "-metadata"); it != content.end())
    line[attr + "-metadata"] = it->value();
}

void AddFailureMetadata(boost::json::object& line, const std::string& attr,
                        const std::string& job_name, const std::string& reason,
                        std::string_view output_type) {
  boost::json::object meta;
  meta["failure-reason"] = reason;
  meta["job-name"] = MetadataJobName(job_name);
  meta["human-annotated"] = "yes";
  meta["type"] = output_type;
  // No label for a failed object (boost's erase would reorder the keys).
  boost::json::object kept;
  for (const auto& kv : line)
    if (kv.key() != attr) kept.emplace(kv.key(), kv.value());
  kept[attr + "-metadata"] = std::move(meta);
  line = std::move(kept);
}

std::string MetadataJobName(const std::string& job_name) {
  return "labeling-job/" + AsciiLower(job_name);
}

std::string OutputType(const std::string& task_type) {
  const BuiltinTaskType* row = FindBuiltin(task_type);
  return row ? std::string(row->output_type) : "groundtruth/custom";
}

Result<boost::json::object> StandardTaskInput(const boost::json::object& line,
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

Result<std::string> StandardTaskInputStored(const boost::json::object& line) {
  if (line.contains("source")) return std::string(R"("source")");
  if (line.contains("source-ref")) return std::string(R"("source-ref")");
  return InvalidArgument("the line has neither \"source\" nor \"source-ref\"");
}

Result<boost::json::object> TaskInputFromStored(std::string_view stored,
                                                std::string_view line_text,
                                                const std::vector<std::string>& labels) {
  PLB_ASSIGN_OR_RETURN(auto value, json::Parse(stored));
  if (value.is_object()) return std::move(value.get_object());
  if (!value.is_string()) return InvalidArgument("a stored task input is an object or a string");
  PLB_ASSIGN_OR_RETURN(auto line, json::Parse(line_text));
  const boost::json::value* object =
      line.is_object() ? line.get_object().if_contains(value.get_string()) : nullptr;
  if (!object) {
    return InvalidArgument("the manifest line has no member \"" +
                           std::string(value.get_string()) + "\"");
  }
  boost::json::object input;
  input.reserve(3);
  input.emplace("taskObject", *object);
  boost::json::array l;
  l.reserve(labels.size());
  for (const auto& label : labels) l.emplace_back(label);
  input.emplace("labels", std::move(l));
  input.emplace("manifestLine", std::move(line));
  return input;
}

Result<boost::json::array> LabelCategoryObjects(std::string_view text) {
  auto parsed = json::Parse(text);
  if (!parsed || !parsed->is_object())
    return InvalidArgument("label category file must be a JSON object");
  const auto* labels = json::GetArray(parsed->get_object(), "labels");
  if (!labels) return InvalidArgument("label category file has no \"labels\" array");
  for (const auto& l : *labels)
    if (!l.is_object()) return InvalidArgument("every label must be an object");
  return *labels;
}

Result<std::vector<std::string>> ParseLabelCategories(std::string_view text,
                                                      const std::string& task_type) {
  if (const TaskType* type = Find(task_type)) return type->ParseLabelCategories(text);
  const BuiltinTaskType* row = FindBuiltin(task_type);
  return ParseLabels(text, task_type, row ? row->min_labels : 1, row ? row->max_labels : 0);
}

Result<boost::json::object> Preprocess(const std::string& task_type,
                                       const boost::json::object& manifest_line,
                                       const std::vector<std::string>& labels) {
  if (const TaskType* type = Find(task_type)) return type->Preprocess(manifest_line, labels);
  return StandardTaskInput(manifest_line, labels);
}

}  // namespace plumbline::tasktypes
