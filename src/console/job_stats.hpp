// A job's figures for the admin console, made from what the store holds:
// the objects' consolidated labels and the workers' answers with their
// timestamps. Pure (no store, no HTTP): the console streams the rows in
// (the labeled objects' labels from Store::ForEachObjectLabel, which reads
// nothing else of a job's objects, then Store::ForEachAnswer) and asks for
// the JSON.
//
// What it gives (JobStatsBuilder::Finish):
//   progress    cumulative answers and finished objects over time, in at
//               most `max_points` buckets from the first answer to the last;
//               each bucket also has its throughput (answers per minute)
//   throughput  answers per minute over the whole span and over the last
//               five minutes before the last answer
//   labels      the consolidated label of each labeled object, counted, and
//               the labels of all answers, counted
//   workers     per worker: answers, median time per task (the seconds the
//               worker reported, else the lease's age at the submit),
//               agreement with the consolidated label (answers compared and
//               agreeing) and an estimated reliability (agreement smoothed
//               with one agreeing and one disagreeing pseudo-answer, so a
//               worker with few answers sits near 0.5)
//
// A label is read the way the classification task types write it: an
// answer's label is the "label" string of its first member that has one
// (crowd-classifier's {"name": {"label": "x"}}), or the sorted "labels" of
// a multi-label answer; a consolidated label is the metadata's "class-name"
// (or the sorted names of its "class-map"). Answers of other shapes (entity
// spans, custom forms) count as answers without a label: they have no
// agreement figure. Not thread-safe; one builder per computation.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

namespace plumbline::console {

// The label an answer gives (see above), or nullopt.
std::optional<std::string> AnswerLabel(const boost::json::value& answer);

struct Consolidated {
  std::string label;                 // "" when the shape has no class name
  std::optional<double> confidence;  // "confidence", else the lowest of "confidence-map"
};
// The label and confidence of an object's consolidated content
// ({"<attr>": ..., "<attr>-metadata": {...}}); empty for anything else.
Consolidated ReadConsolidated(std::string_view label_json);

class JobStatsBuilder {
 public:
  // `workers_per_object`: the answers an object needs (it is finished when
  // its last one arrives). `names`: user id -> name shown per worker.
  JobStatsBuilder(int64_t workers_per_object, std::map<int64_t, std::string> names);

  // Feed the labeled objects first (AddLabel: an object's index and
  // consolidated label; AddObject takes any object and keeps the labeled
  // ones), then every answer.
  void AddLabel(int64_t index, std::string_view label_json);
  void AddObject(const store::DataObject& object);
  void AddAnswer(const store::Assignment& answer);

  // The figures as JSON (see the header comment), with at most `max_points`
  // progress points.
  boost::json::object Finish(size_t max_points = 120) const;

 private:
  struct Worker {
    std::vector<double> seconds;
    int64_t compared = 0;
    int64_t agreed = 0;
  };
  int64_t workers_per_object_;
  std::map<int64_t, std::string> names_;
  std::vector<std::string> label_names_;               // distinct consolidated labels
  std::unordered_map<std::string, uint32_t> label_ids_;
  std::unordered_map<int64_t, uint32_t> object_label_;  // labeled object -> label id
  std::map<std::string, int64_t> consolidated_counts_;
  std::map<std::string, int64_t> answer_counts_;
  std::unordered_map<int64_t, int64_t> answers_per_object_;
  std::vector<int64_t> answer_times_;    // submitted_ms of each answer
  std::vector<int64_t> finished_times_;  // when each object got its last answer
  std::map<int64_t, Worker> workers_;
  int64_t unlabeled_answers_ = 0;
  // Answers repeat (a classification job has a handful of distinct ones):
  // each distinct answer text is parsed once.
  std::unordered_map<std::string, std::optional<std::string>> answer_labels_;
};

}  // namespace plumbline::console
