// Built-in task types: the PRE-<Type> pre-processing (manifest line -> task
// input the template sees) and ACS-<Type> consolidation (workers' answers ->
// label + metadata) that Ground Truth runs as AWS Lambda functions, here in
// C++. Built-ins are recognised by function name in any region's ARN.
//
// Pure functions; safe from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace plumbline::tasktypes {

enum class HookKind { kPre, kAcs };

struct HookRef {
  bool builtin = false;     // PRE-* / ACS-* of a known task type
  HookKind kind = HookKind::kPre;
  std::string task_type;    // "TextMultiClass" for a built-in; empty for custom hooks
};

// Classifies a Lambda ARN: "arn:aws:lambda:<region>:<acct>:function:PRE-TextMultiClass".
HookRef ParseHookArn(const std::string& arn);

// True for the task types this build implements.
bool IsSupported(const std::string& task_type);

// Reads a label category configuration file (document-version + labels).
// kInvalidArgument names the problem (not JSON, missing labels, duplicates,
// too few labels for the task type).
Result<std::vector<std::string>> ParseLabelCategories(std::string_view text,
                                                      const std::string& task_type);

// PRE: the task input for one manifest line. Fails (kInvalidArgument) for a
// line with neither "source" nor "source-ref"; the object then fails alone.
Result<boost::json::object> Preprocess(const std::string& task_type,
                                       const boost::json::object& manifest_line,
                                       const std::vector<std::string>& labels);

// One worker's answer as the ACS functions see it.
struct Answer {
  std::string worker_id;
  boost::json::value content;  // the submitted form object
};

struct ConsolidationInput {
  std::string task_type;
  std::string label_attribute_name;
  std::string job_name;                 // original case; metadata uses "labeling-job/<lower>"
  std::vector<std::string> labels;
  std::vector<Answer> answers;          // this object's answers
  TimePoint now;
};

// ACS: the consolidated content {"<attr>": label, "<attr>-metadata": {...}}
// exactly as Ground Truth's built-ins return it, for one object on its own.
// kInvalidArgument when no answer could be used (the object then fails).
Result<boost::json::object> Consolidate(const ConsolidationInput& input);

// An answer already reduced to its class: consolidation's history.
struct ClassAnswer {
  int64_t object = 0;
  std::string worker_id;
  int32_t label = 0;  // index into the job's labels
};

// The class index an answer names, or nullopt when it names none of `labels`.
std::optional<int32_t> AnswerClass(const boost::json::value& content,
                                   const std::vector<std::string>& labels);

// Job-wide ACS, as Ground Truth's built-in: worker reliabilities are
// estimated (Dawid-Skene, one coin per worker) from every answer of the
// objects consolidated so far (`history`) plus this batch, and each object
// of the batch gets its label from that fit. One result per batch object,
// in order: the content as Consolidate() returns it, or kInvalidArgument
// when none of the object's answers was usable.
struct BatchInput {
  std::string task_type;
  std::string label_attribute_name;
  std::string job_name;
  std::vector<std::string> labels;
  TimePoint now;
  const std::vector<ClassAnswer>* history = nullptr;  // may be null
  std::vector<std::pair<int64_t, std::vector<Answer>>> batch;  // object index, its answers
};
std::vector<Result<boost::json::object>> ConsolidateBatch(const BatchInput& input);

// "labeling-job/<lower-cased name>", the metadata's job-name.
std::string MetadataJobName(const std::string& job_name);
// The output "type" of a task type, e.g. "groundtruth/text-classification".
std::string OutputType(const std::string& task_type);

}  // namespace plumbline::tasktypes
