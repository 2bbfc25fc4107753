// TextMultiClassMultiLabel and ImageMultiClassMultiLabel (spec §3.2,
// §6.4.7.2, §7.2): any number of labels per text or image. PRE is the
// standard task input; an answer is a classifier's {"labels": [...]}; ACS
// decides each label on its own with the workers' reliabilities, fitted on
// every answer of the job so far (consolidation::ConsolidateMultiLabel), and
// lists every label at least one worker chose, most likely first, with its
// probability in the confidence map. The two types differ only in their
// output type, so one class serves both.
#include <boost/json.hpp>
#include <map>
#include <set>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"
#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

// The classes a multi-select answer ticks: the first top-level member whose
// value is an object with a "labels" array of strings (the element's name
// varies). Strings that are not the job's labels (an exclusion choice such
// as "None of these") tick nothing: the answer says the job's labels are
// absent. nullopt: no such member, not an answer of this type.
std::optional<std::vector<int32_t>> AnswerClasses(const boost::json::value& content,
                                                  const std::vector<std::string>& labels) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& kv : content.get_object()) {
    if (!kv.value().is_object()) continue;
    const auto* list = json::GetArray(kv.value().get_object(), "labels");
    if (!list) continue;
    std::set<int32_t> ticked;
    for (const auto& l : *list) {
      if (!l.is_string()) return std::nullopt;
      for (size_t k = 0; k < labels.size(); ++k)
        if (labels[k] == l.get_string()) ticked.insert(static_cast<int32_t>(k));
    }
    return std::vector<int32_t>(ticked.begin(), ticked.end());
  }
  return std::nullopt;
}

class LabelSetHistory final : public JobHistory {
 public:
  struct Entry {
    int64_t object;
    std::string worker_id;
    std::vector<int32_t> classes;
  };
  explicit LabelSetHistory(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  void Add(int64_t object, const std::string& worker_id,
           const boost::json::value& answer) override {
    if (auto c = AnswerClasses(answer, labels_)) entries_.push_back({object, worker_id, *c});
  }
  size_t size() const override { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<std::string> labels_;
  std::vector<Entry> entries_;
};

class MultiLabelClassification final : public TaskType {
 public:
  using TaskType::TaskType;

  Result<std::string> PreprocessJson(const boost::json::object& manifest_line,
                                     std::string_view /*line_text*/,
                                     const std::vector<std::string>& /*labels*/) const override {
    return StandardTaskInputStored(manifest_line);
  }

  bool IsUsableAnswer(const boost::json::value& content,
                      const std::vector<std::string>& labels) const override {
    return AnswerClasses(content, labels).has_value();
  }

  std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>& labels) const override {
    return std::make_unique<LabelSetHistory>(labels);
  }

  std::vector<Result<boost::json::object>> ConsolidateBatch(
      const Batch& in, const JobHistory* history) const override {
    const int32_t num_classes = std::max<int32_t>(static_cast<int32_t>(in.labels.size()), 1);
    std::map<int64_t, int32_t> object_ids;
    std::map<std::string, int32_t> worker_ids;
    auto object_id = [&](int64_t o) {
      return object_ids.emplace(o, static_cast<int32_t>(object_ids.size())).first->second;
    };
    auto worker_id = [&](const std::string& w) {
      return worker_ids.emplace(w, static_cast<int32_t>(worker_ids.size())).first->second;
    };
    std::vector<consolidation::LabelSetAnswer> answers;
    if (history)
      for (const auto& e : static_cast<const LabelSetHistory*>(history)->entries())
        answers.push_back({object_id(e.object), worker_id(e.worker_id), e.classes});
    std::vector<int32_t> targets;
    std::vector<int> usable(in.objects.size(), 0);
    for (size_t i = 0; i < in.objects.size(); ++i) {
      const int32_t id = object_id(in.objects[i].first);
      targets.push_back(id);
      for (const auto& a : in.objects[i].second) {
        if (auto c = AnswerClasses(a.content, in.labels)) {
          answers.push_back({id, worker_id(a.worker_id), std::move(*c)});
          ++usable[i];
        }
      }
    }
    const auto fit = consolidation::ConsolidateMultiLabel(
        static_cast<int32_t>(object_ids.size()), static_cast<int32_t>(worker_ids.size()),
        num_classes, answers);
    std::vector<Result<boost::json::object>> out;
    for (size_t i = 0; i < in.objects.size(); ++i) {
      if (usable[i] == 0) {
        out.push_back(InvalidArgument("no answer has a \"labels\" list"));
        continue;
      }
      out.push_back(Content(in, fit, targets[i], usable[i]));
    }
    return out;
  }

 private:
  // Ground Truth's output for one object (spec §6.4.7.2): the chosen
  // classes by descending confidence, then the metadata in its order.
  boost::json::object Content(const Batch& in, const consolidation::MultiLabelResult& fit,
                              int32_t task, int answers) const {
    std::vector<int32_t> chosen;
    for (int32_t c = 0; c < static_cast<int32_t>(in.labels.size()); ++c)
      if (fit.Votes(task, c) > 0) chosen.push_back(c);
    std::stable_sort(chosen.begin(), chosen.end(), [&](int32_t a, int32_t b) {
      return fit.Presence(task, a) > fit.Presence(task, b);
    });
    boost::json::array value;
    boost::json::object class_map, confidence_map;
    for (int32_t c : chosen) {
      value.emplace_back(c);
      class_map[std::to_string(c)] = in.labels[static_cast<size_t>(c)];
      // One answer: Ground Truth reports 0.0.
      confidence_map[std::to_string(c)] =
          answers == 1 ? 0.0 : consolidation::RoundConfidence(fit.Presence(task, c));
    }
    boost::json::object metadata;
    metadata["job-name"] = MetadataJobName(in.job_name);
    metadata["class-map"] = std::move(class_map);
    metadata["human-annotated"] = "yes";
    metadata["creation-date"] = FormatIsoMicros(in.now);
    metadata["confidence-map"] = std::move(confidence_map);
    metadata["type"] = OutputType();
    boost::json::object content;
    content[in.label_attribute_name] = std::move(value);
    content[in.label_attribute_name + "-metadata"] = std::move(metadata);
    return content;
  }
};

}  // namespace

const TaskType& detail::TextMultiClassMultiLabelType() {
  static const MultiLabelClassification type(*FindBuiltin("TextMultiClassMultiLabel"));
  return type;
}

const TaskType& detail::ImageMultiClassMultiLabelType() {
  static const MultiLabelClassification type(*FindBuiltin("ImageMultiClassMultiLabel"));
  return type;
}

}  // namespace plumbline::tasktypes
