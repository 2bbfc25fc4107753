// TextMultiClass (spec §3.2, §7.1): one label per text. PRE gives the
// template the text and the labels; ACS is Ground Truth's job-wide EM
// variant: worker reliabilities (Dawid-Skene, one coin per worker) are
// estimated from every answer of the job so far, and each object gets the
// class that fit makes most likely. ImageMultiClass (image_multi_class.cpp)
// is the same type for images: MakeSingleLabelType builds either. The
// verification types (VerificationBoundingBox and
// VerificationSemanticSegmentation, spec §6.4.7.7, §7.6) are the
// same consolidation of the workers' verdicts with another output: the class
// index as a string, and the workers' comments as "worker-feedback".
#include <boost/json.hpp>
#include <map>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"
#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

// The label a classifier answer carries: the first top-level member whose
// value is an object with a "label" string (spec §3.5: the element's name
// varies, "crowd-classifier" in AWS's template).
std::optional<std::string> AnswerLabel(const boost::json::value& content) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& kv : content.get_object()) {
    if (kv.value().is_object()) {
      if (auto l = json::GetString(kv.value().get_object(), "label")) return l;
    }
  }
  return std::nullopt;
}

// The class index an answer names, or nullopt when it names none of `labels`.
std::optional<int32_t> AnswerClass(const boost::json::value& content,
                                   const std::vector<std::string>& labels) {
  auto label = AnswerLabel(content);
  if (!label) return std::nullopt;
  for (size_t k = 0; k < labels.size(); ++k)
    if (labels[k] == *label) return static_cast<int32_t>(k);
  return std::nullopt;
}

// The job's answers reduced to classes.
class ClassHistory final : public JobHistory {
 public:
  struct Entry {
    int64_t object;
    std::string worker_id;
    int32_t label;
  };
  explicit ClassHistory(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  void Add(int64_t object, const std::string& worker_id,
           const boost::json::value& answer) override {
    if (auto k = AnswerClass(answer, labels_)) entries_.push_back({object, worker_id, *k});
  }
  size_t size() const override { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<std::string> labels_;
  std::vector<Entry> entries_;
};

// Ground Truth's metadata order for text classification (spec §6.4.2).
boost::json::object Content(const std::string& attr, const std::string& job_name,
                            std::string_view output_type, const std::string& class_name,
                            int64_t class_index, boost::json::value confidence, TimePoint now) {
  boost::json::object metadata;
  metadata["confidence"] = std::move(confidence);
  metadata["job-name"] = MetadataJobName(job_name);
  metadata["class-name"] = class_name;
  metadata["human-annotated"] = "yes";
  metadata["creation-date"] = FormatIsoMicros(now);
  metadata["type"] = output_type;
  boost::json::object content;
  content[attr] = class_index;
  content[attr + "-metadata"] = std::move(metadata);
  return content;
}

// The non-empty comments of an answer: strings under "comment" or
// "workerComment", at the top level or in a top-level object (the image
// classifier puts "workerComment" beside "label").
void AnswerComments(const boost::json::value& content, std::vector<std::string>& out) {
  if (!content.is_object()) return;
  auto take = [&](const boost::json::object& o) {
    for (const char* key : {"comment", "workerComment"})
      if (auto c = json::GetString(o, key); c && !c->empty()) out.push_back(*c);
  };
  take(content.get_object());
  for (const auto& kv : content.get_object())
    if (kv.value().is_object()) take(kv.value().get_object());
}

// Ground Truth's verification output (spec §6.4.7.7), in its key order.
boost::json::object VerificationContent(const std::string& attr, const std::string& job_name,
                                        std::string_view output_type,
                                        const std::string& class_name, int64_t class_index,
                                        boost::json::value confidence, TimePoint now,
                                        const std::vector<std::string>& comments) {
  boost::json::object metadata;
  metadata["class-name"] = class_name;
  metadata["confidence"] = std::move(confidence);
  metadata["type"] = output_type;
  metadata["job-name"] = MetadataJobName(job_name);
  metadata["human-annotated"] = "yes";
  metadata["creation-date"] = FormatIsoMicros(now);
  if (!comments.empty()) {
    boost::json::array feedback;
    for (const auto& c : comments) feedback.emplace_back(boost::json::object{{"comment", c}});
    metadata["worker-feedback"] = std::move(feedback);
  }
  boost::json::object content;
  content[attr] = std::to_string(class_index);
  content[attr + "-metadata"] = std::move(metadata);
  return content;
}

class SingleLabelClassification final : public TaskType {
 public:
  SingleLabelClassification(const BuiltinTaskType& row, bool verification)
      : TaskType(row), verification_(verification) {}

  // The standard task input (the default Preprocess) in its stored form.
  Result<std::string> PreprocessJson(const boost::json::object& manifest_line,
                                     std::string_view /*line_text*/,
                                     const std::vector<std::string>& /*labels*/) const override {
    return StandardTaskInputStored(manifest_line);
  }

  bool IsUsableAnswer(const boost::json::value& content,
                      const std::vector<std::string>& labels) const override {
    return AnswerClass(content, labels).has_value();
  }

  std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>& labels) const override {
    return std::make_unique<ClassHistory>(labels);
  }

  std::vector<Result<boost::json::object>> ConsolidateBatch(
      const Batch& in, const JobHistory* history) const override {
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
    if (history)
      for (const auto& a : static_cast<const ClassHistory*>(history)->entries())
        if (a.label >= 0 && a.label < num_classes)
          job.AddAnswer(object_id(a.object), worker_id(a.worker_id), a.label);
    std::vector<int32_t> targets;
    std::vector<int> usable(in.objects.size(), 0);
    for (size_t i = 0; i < in.objects.size(); ++i) {
      int32_t id = object_id(in.objects[i].first);
      targets.push_back(id);
      for (const auto& a : in.objects[i].second) {
        if (auto k = AnswerClass(a.content, in.labels)) {
          job.AddAnswer(id, worker_id(a.worker_id), *k);
          ++usable[i];
        }
      }
    }
    std::vector<consolidation::TaskLabel> labels = job.Consolidate(targets);
    std::vector<Result<boost::json::object>> out;
    for (size_t i = 0; i < in.objects.size(); ++i) {
      if (usable[i] == 0 || labels[i].label < 0) {
        out.push_back(InvalidArgument("no answer names one of the job's labels"));
        continue;
      }
      // One answer: Ground Truth reports confidence 0.
      boost::json::value confidence =
          usable[i] == 1 ? boost::json::value(0)
                         : boost::json::value(consolidation::RoundConfidence(labels[i].confidence));
      if (verification_) {
        std::vector<std::string> comments;
        for (const auto& a : in.objects[i].second) AnswerComments(a.content, comments);
        out.push_back(VerificationContent(in.label_attribute_name, in.job_name, OutputType(),
                                          in.labels[static_cast<size_t>(labels[i].label)],
                                          labels[i].label, std::move(confidence), in.now,
                                          comments));
        continue;
      }
      out.push_back(Content(in.label_attribute_name, in.job_name, OutputType(),
                            in.labels[static_cast<size_t>(labels[i].label)], labels[i].label,
                            std::move(confidence), in.now));
    }
    return out;
  }

 private:
  bool verification_;
};

}  // namespace

std::unique_ptr<const TaskType> detail::MakeSingleLabelType(const BuiltinTaskType& row,
                                                            bool verification) {
  return std::make_unique<const SingleLabelClassification>(row, verification);
}

const TaskType& detail::VerificationBoundingBoxType() {
  static const auto type = MakeSingleLabelType(*FindBuiltin("VerificationBoundingBox"), true);
  return *type;
}

const TaskType& detail::VerificationSemanticSegmentationType() {
  static const auto type = MakeSingleLabelType(*FindBuiltin("VerificationSemanticSegmentation"), true);
  return *type;
}

const TaskType& detail::TextMultiClassType() {
  static const auto type = MakeSingleLabelType(*FindBuiltin("TextMultiClass"));
  return *type;
}

}  // namespace plumbline::tasktypes
