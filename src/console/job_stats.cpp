#include "console/job_stats.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "common/json.hpp"

namespace plumbline::console {

namespace {

std::string JoinSorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

boost::json::array Counts(const std::map<std::string, int64_t>& counts) {
  std::vector<std::pair<std::string, int64_t>> rows(counts.begin(), counts.end());
  // Most frequent first; equal counts by name, so the order is stable.
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  boost::json::array out;
  for (const auto& [label, n] : rows) out.push_back({{"label", label}, {"count", n}});
  return out;
}

}  // namespace

std::optional<std::string> AnswerLabel(const boost::json::value& answer) {
  if (!answer.is_object()) return std::nullopt;
  for (const auto& kv : answer.get_object()) {
    if (!kv.value().is_object()) continue;
    const auto& member = kv.value().get_object();
    if (auto l = json::GetString(member, "label")) return l;
    if (const auto* labels = member.if_contains("labels"); labels && labels->is_array()) {
      std::vector<std::string> names;
      for (const auto& l : labels->get_array())
        if (l.is_string()) names.emplace_back(l.get_string());
      if (!names.empty()) return JoinSorted(std::move(names));
    }
  }
  return std::nullopt;
}

Consolidated ReadConsolidated(std::string_view label_json) {
  Consolidated out;
  if (label_json.empty()) return out;
  auto v = json::Parse(label_json);
  if (!v || !v->is_object()) return out;
  for (const auto& kv : v->get_object()) {
    std::string_view key = kv.key();
    if (key.size() < 9 || key.substr(key.size() - 9) != "-metadata" || !kv.value().is_object())
      continue;
    const auto& meta = kv.value().get_object();
    if (auto name = json::GetString(meta, "class-name")) {
      out.label = *name;
    } else if (const auto* map = json::GetObject(meta, "class-map")) {
      std::vector<std::string> names;
      for (const auto& entry : *map)
        if (entry.value().is_string()) names.emplace_back(entry.value().get_string());
      out.label = JoinSorted(std::move(names));
    }
    if (auto c = json::GetNumber(meta, "confidence")) {
      out.confidence = *c;
    } else if (const auto* cm = json::GetObject(meta, "confidence-map")) {
      for (const auto& entry : *cm) {
        if (!entry.value().is_number()) continue;
        double d = entry.value().to_number<double>();
        if (!out.confidence || d < *out.confidence) out.confidence = d;
      }
    }
    break;
  }
  return out;
}

JobStatsBuilder::JobStatsBuilder(int64_t workers_per_object, std::map<int64_t, std::string> names)
    : workers_per_object_(std::max<int64_t>(1, workers_per_object)), names_(std::move(names)) {}

void JobStatsBuilder::AddObject(const store::DataObject& object) {
  if (object.state == store::ObjectState::kLabeled) AddLabel(object.index, object.label_json);
}

void JobStatsBuilder::AddLabel(int64_t index, std::string_view label_json) {
  Consolidated c = ReadConsolidated(label_json);
  if (c.label.empty()) return;
  ++consolidated_counts_[c.label];
  auto [it, added] = label_ids_.try_emplace(c.label, static_cast<uint32_t>(label_names_.size()));
  if (added) label_names_.push_back(c.label);
  object_label_[index] = it->second;
}

void JobStatsBuilder::AddAnswer(const store::Assignment& a) {
  answer_times_.push_back(a.submitted_ms);
  if (++answers_per_object_[a.object_index] == workers_per_object_)
    finished_times_.push_back(a.submitted_ms);
  Worker& w = workers_[a.user_id];
  double seconds = a.time_spent_s > 0 ? a.time_spent_s
                                      : static_cast<double>(a.submitted_ms - a.accepted_ms) / 1000.0;
  w.seconds.push_back(std::max(0.0, seconds));
  auto known = answer_labels_.find(a.answer_json);
  if (known == answer_labels_.end()) {
    auto parsed = json::Parse(a.answer_json);
    // Bounded: past 100,000 distinct texts (free-form answers) nothing more is kept.
    std::optional<std::string> label = parsed ? AnswerLabel(*parsed) : std::nullopt;
    if (answer_labels_.size() >= 100000) answer_labels_.clear();
    known = answer_labels_.emplace(a.answer_json, std::move(label)).first;
  }
  const std::optional<std::string>& label = known->second;
  if (!label) {
    ++unlabeled_answers_;
    return;
  }
  ++answer_counts_[*label];
  if (auto it = object_label_.find(a.object_index); it != object_label_.end()) {
    ++w.compared;
    if (label_names_[it->second] == *label) ++w.agreed;
  }
}

boost::json::object JobStatsBuilder::Finish(size_t max_points) const {
  std::vector<int64_t> answers = answer_times_;
  std::vector<int64_t> finished = finished_times_;
  std::sort(answers.begin(), answers.end());
  std::sort(finished.begin(), finished.end());

  boost::json::array progress;
  boost::json::object throughput;
  throughput["answers"] = static_cast<int64_t>(answers.size());
  throughput["perMinute"] = 0.0;
  throughput["lastFiveMinutesPerMinute"] = 0.0;
  if (!answers.empty()) {
    int64_t first = answers.front(), last = answers.back();
    int64_t span = std::max<int64_t>(1, last - first);
    size_t points = std::max<size_t>(1, std::min(max_points, answers.size()));
    // Bucket width: the span split in `points`, at least one second.
    int64_t width = std::max<int64_t>(1000, (span + static_cast<int64_t>(points) - 1) /
                                                static_cast<int64_t>(points));
    size_t ai = 0, fi = 0;
    // A point at the first answer's time, then one at the end of each bucket.
    for (int64_t end = first; ; end += width) {
      size_t before = ai;
      while (ai < answers.size() && answers[ai] <= end) ++ai;
      while (fi < finished.size() && finished[fi] <= end) ++fi;
      double minutes = static_cast<double>(width) / 60000.0;
      progress.push_back({{"t", end},
                          {"answers", static_cast<int64_t>(ai)},
                          {"finished", static_cast<int64_t>(fi)},
                          {"perMinute", end == first ? 0.0 : static_cast<double>(ai - before) / minutes}});
      if (ai >= answers.size()) break;
    }
    double span_minutes = static_cast<double>(span) / 60000.0;
    throughput["perMinute"] =
        answers.size() < 2 ? 0.0 : static_cast<double>(answers.size() - 1) / span_minutes;
    int64_t recent_from = last - 5 * 60000;
    auto recent = answers.end() - std::lower_bound(answers.begin(), answers.end(), recent_from);
    double recent_minutes = std::min(5.0, std::max(span_minutes, 1.0 / 60));
    throughput["lastFiveMinutesPerMinute"] = static_cast<double>(recent) / recent_minutes;
    throughput["firstAnswer"] = first;
    throughput["lastAnswer"] = last;
  }

  boost::json::array workers;
  for (const auto& [id, w] : workers_) {
    boost::json::object row;
    row["userId"] = id;
    auto name = names_.find(id);
    row["worker"] = name == names_.end() ? "user " + std::to_string(id) : name->second;
    row["answers"] = static_cast<int64_t>(w.seconds.size());
    row["medianSeconds"] = Median(w.seconds);
    row["compared"] = w.compared;
    row["agreed"] = w.agreed;
    if (w.compared > 0)
      row["agreement"] = static_cast<double>(w.agreed) / static_cast<double>(w.compared);
    else
      row["agreement"] = nullptr;
    row["reliability"] =
        static_cast<double>(w.agreed + 1) / static_cast<double>(w.compared + 2);
    workers.push_back(std::move(row));
  }

  boost::json::object labels;
  labels["consolidated"] = Counts(consolidated_counts_);
  labels["answers"] = Counts(answer_counts_);
  labels["answersWithoutLabel"] = unlabeled_answers_;

  boost::json::object out;
  out["progress"] = std::move(progress);
  out["throughput"] = std::move(throughput);
  out["labels"] = std::move(labels);
  out["workers"] = std::move(workers);
  out["objectsFinished"] = static_cast<int64_t>(finished.size());
  return out;
}

}  // namespace plumbline::console
