// NamedEntityRecognition (spec §3.2, §6.4.7.6, §7.5): labeled spans of a
// text. PRE gives the template the text ("source" only: the offsets count
// its code points) and the labels; an answer is crowd-entity-annotation's
// {"entities": [{"label", "startOffset", "endOffset"}]}; ACS groups the
// workers' spans by overlap, aggregates their boundaries and votes on the
// label with the workers' reliabilities, fitted on every answer of the job
// so far (consolidation::ConsolidateSpans), with a confidence per span.
// Hosted worker UI: hosted_ui.cpp.
#include <boost/json.hpp>
#include <map>

#include "common/json.hpp"
#include "consolidation/consolidation.hpp"
#include "tasktypes/detail/builtin_types.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

using consolidation::LabeledSpan;

std::optional<int64_t> Offset(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}

// The spans of an answer: the first top-level member whose value is an
// object with an "entities" array. nullopt when there is none, or when an
// entity is malformed (offsets not integers, start >= end, start < 0) or
// names a label the job does not have: such an answer is dropped whole.
std::optional<std::vector<LabeledSpan>> AnswerSpans(const boost::json::value& content,
                                                    const std::vector<std::string>& labels) {
  if (!content.is_object()) return std::nullopt;
  for (const auto& kv : content.get_object()) {
    if (!kv.value().is_object()) continue;
    const auto* entities = json::GetArray(kv.value().get_object(), "entities");
    if (!entities) continue;
    std::vector<LabeledSpan> spans;
    for (const auto& e : *entities) {
      if (!e.is_object()) return std::nullopt;
      const auto& o = e.get_object();
      auto start = Offset(o, "startOffset");
      auto end = Offset(o, "endOffset");
      auto label = json::GetString(o, "label");
      if (!start || !end || !label || *start < 0 || *end <= *start) return std::nullopt;
      auto it = std::find(labels.begin(), labels.end(), *label);
      if (it == labels.end()) return std::nullopt;
      spans.push_back({*start, *end, static_cast<int32_t>(it - labels.begin())});
    }
    return spans;
  }
  return std::nullopt;
}

class SpanHistory final : public JobHistory {
 public:
  struct Entry {
    int64_t object;
    std::string worker_id;
    std::vector<LabeledSpan> spans;
  };
  explicit SpanHistory(std::vector<std::string> labels) : labels_(std::move(labels)) {}
  void Add(int64_t object, const std::string& worker_id,
           const boost::json::value& answer) override {
    if (auto s = AnswerSpans(answer, labels_)) entries_.push_back({object, worker_id, *s});
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

class NamedEntityRecognition final : public TaskType {
 public:
  using TaskType::TaskType;

  // The standard input, for text in "source" only.
  Result<boost::json::object> Preprocess(const boost::json::object& manifest_line,
                                         const std::vector<std::string>& labels) const override {
    PLB_TRY(CheckSource(manifest_line));
    return StandardTaskInput(manifest_line, labels);
  }
  Result<std::string> PreprocessJson(const boost::json::object& manifest_line,
                                     std::string_view /*line_text*/,
                                     const std::vector<std::string>& /*labels*/) const override {
    PLB_TRY(CheckSource(manifest_line));
    return StandardTaskInputStored(manifest_line);
  }

  bool IsUsableAnswer(const boost::json::value& content,
                      const std::vector<std::string>& labels) const override {
    return AnswerSpans(content, labels).has_value();
  }

  std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>& labels) const override {
    return std::make_unique<SpanHistory>(labels);
  }

  std::vector<Result<boost::json::object>> ConsolidateBatch(
      const Batch& in, const JobHistory* history) const override {
    std::map<int64_t, size_t> doc_of;
    std::map<std::string, int32_t> worker_ids;
    std::vector<consolidation::SpanDocument> docs;
    const uint64_t job_seed = Fnv(MetadataJobName(in.job_name));
    auto doc = [&](int64_t object) -> consolidation::SpanDocument& {
      auto [it, added] = doc_of.emplace(object, docs.size());
      if (added) {
        docs.emplace_back();
        docs.back().seed = Fnv(std::to_string(object), job_seed);
      }
      return docs[it->second];
    };
    auto worker_id = [&](const std::string& w) {
      return worker_ids.emplace(w, static_cast<int32_t>(worker_ids.size())).first->second;
    };
    if (history)
      for (const auto& e : static_cast<const SpanHistory*>(history)->entries())
        doc(e.object).answers.push_back({worker_id(e.worker_id), e.spans});
    std::vector<int> usable(in.objects.size(), 0);
    for (size_t i = 0; i < in.objects.size(); ++i) {
      auto& d = doc(in.objects[i].first);
      for (const auto& a : in.objects[i].second) {
        if (auto spans = AnswerSpans(a.content, in.labels)) {
          d.answers.push_back({worker_id(a.worker_id), std::move(*spans)});
          ++usable[i];
        }
      }
    }
    const auto fit =
        consolidation::ConsolidateSpans(docs, static_cast<int32_t>(worker_ids.size()));
    std::vector<Result<boost::json::object>> out;
    for (size_t i = 0; i < in.objects.size(); ++i) {
      if (usable[i] == 0) {
        out.push_back(InvalidArgument("no answer has a valid \"entities\" list"));
        continue;
      }
      out.push_back(Content(in, fit.documents[doc_of.at(in.objects[i].first)], usable[i]));
    }
    return out;
  }

 private:
  static Status CheckSource(const boost::json::object& line) {
    const boost::json::value* source = line.if_contains("source");
    if (!source || !source->is_string())
      return InvalidArgument("NamedEntityRecognition needs the text as a \"source\" string");
    return {};
  }

  // Ground Truth's output for one object (spec §6.4.7.6).
  boost::json::object Content(const Batch& in,
                              const std::vector<consolidation::ConsolidatedSpan>& spans,
                              int answers) const {
    boost::json::array label_objects = in.label_objects;
    if (label_objects.empty())
      for (const auto& l : in.labels) label_objects.emplace_back(boost::json::object{{"label", l}});
    boost::json::array entities, confidences;
    for (const auto& s : spans) {
      boost::json::object e;
      e["label"] = in.labels[static_cast<size_t>(s.label)];
      e["startOffset"] = s.start;
      e["endOffset"] = s.end;
      entities.emplace_back(std::move(e));
      // One answer: Ground Truth reports 0.
      confidences.emplace_back(boost::json::object{
          {"confidence", answers == 1 ? boost::json::value(0)
                                      : boost::json::value(
                                            consolidation::RoundConfidence(s.confidence))}});
    }
    boost::json::object annotations;
    annotations["labels"] = std::move(label_objects);
    annotations["entities"] = std::move(entities);
    boost::json::object metadata;
    metadata["job-name"] = MetadataJobName(in.job_name);
    metadata["type"] = OutputType();
    metadata["creation-date"] = FormatIsoMicros(in.now);
    metadata["human-annotated"] = "yes";
    metadata["entities"] = std::move(confidences);
    boost::json::object content;
    content[in.label_attribute_name] = boost::json::object{{"annotations", std::move(annotations)}};
    content[in.label_attribute_name + "-metadata"] = std::move(metadata);
    return content;
  }
};

}  // namespace

const TaskType& detail::NamedEntityRecognitionType() {
  static const NamedEntityRecognition type(*FindBuiltin("NamedEntityRecognition"));
  return type;
}

}  // namespace plumbline::tasktypes
