// Built-in task types: what Ground Truth's PRE-<Type> (manifest line -> task
// input the template sees) and ACS-<Type> (workers' answers -> label +
// metadata) Lambda functions do, here in C++, behind one interface.
//
// Three parts:
//  * the table of every built-in name Ground Truth defines (spec §3.1, §3.2)
//    with the rules the API checks for each (BuiltinTaskTypes, FindBuiltin);
//  * the hook ARNs that name them, in any region, with or without a
//    `:qualifier` (ParseHookArn, BuiltinHookArn);
//  * `TaskType`, implemented by the types this build runs (Find). A type is
//    added by one file under tasktypes/ and one row of the table (builtins.cpp);
//    labeling/ and api/ find it through this header and need no change.
//
// Everything here is immutable after static initialisation: safe from any
// thread. A `JobHistory` belongs to one caller (labeling's runner thread).
// Examples: tests/tasktypes/tasktypes_test.cpp, tests/tasktypes/registry_test.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace plumbline::tasktypes {

class TaskType;

// ------------------------------------------------------- the built-in table

// One row of spec §3.2: a task type Ground Truth ships PRE-/ACS- functions for.
struct BuiltinTaskType {
  std::string_view name;         // "TextMultiClass": PRE-<name>, ACS-<name>
  std::string_view output_type;  // metadata "type", "groundtruth/text-classification"
  bool ref_label_attribute;      // LabelAttributeName must end in "-ref" (else must not)
  int min_labels;                // label category file: at least this many labels
  int max_labels;                // ... and at most this many; 0 = unlimited
  bool hosted_ui;                // may (NER) or must (frames, clouds) use HumanTaskUiArn
  bool frame_or_cloud;           // video frames / 3D point clouds: 30-day task time limit
  // This build's implementation, or null when the type is recognised but not
  // run yet (CreateLabelingJob then says "not supported yet").
  const TaskType& (*implementation)();
};

// Every built-in, in the spec's order (22 of the 2023 model plus
// PassThrough), then Plumbline's own PlumblineShapes (custom templates'
// drawn shapes), which Ground Truth does not have.
std::span<const BuiltinTaskType> BuiltinTaskTypes();
// The row of a built-in name (exact, case-sensitive), or null.
const BuiltinTaskType* FindBuiltin(std::string_view name);

// ------------------------------------------------------------- hook ARNs

enum class HookKind { kPre, kAcs };

// A Lambda ARN as a hook: "arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]".
struct HookRef {
  bool builtin = false;  // PRE-<T> / ACS-<T> with T in the built-in table
  HookKind kind = HookKind::kPre;
  std::string task_type;      // T for a built-in; empty for a custom hook
  std::string function_name;  // "PRE-TextMultiClass" (any function, without qualifier)
  std::string region;         // "us-west-2"; empty when the ARN has no lambda shape
  std::string account;        // "081040173940"
  std::string qualifier;      // "1", "$LATEST", an alias; empty when absent
  // True when `account` is Ground Truth's own in `region` (spec §3.1). A
  // built-in is recognised by its function name whatever the account, as
  // users copy ARNs between regions; this is for display and logs.
  bool ground_truth_account = false;
};

// Classifies a Lambda ARN. Never fails: anything that is not a PRE-/ACS-
// function of a built-in type is a custom hook (builtin = false).
HookRef ParseHookArn(std::string_view arn);

// Ground Truth's account for its built-in functions in `region`, or nullopt
// for a region the spec does not list.
std::optional<std::string_view> GroundTruthAccount(std::string_view region);

// The ARN of a built-in function in `region` ("arn:aws:lambda:us-west-2:
// 081040173940:function:PRE-TextMultiClass"); the account is Ground Truth's
// in that region, or us-east-1's for a region the spec does not list.
std::string BuiltinHookArn(HookKind kind, std::string_view task_type, std::string_view region);

// The implementation of a built-in this build runs, or null (an unknown name,
// or a built-in without implementation).
const TaskType* Find(std::string_view task_type);

// --------------------------------------------------------- the interface

// One worker's answer as the ACS functions see it.
struct Answer {
  std::string worker_id;       // as in the output files: "private.<region>.<hex>"
  boost::json::value content;  // the submitted form object
};

// The job's answers so far, in the form a type's consolidation learns from
// (e.g. worker reliabilities). Made by the type (NewHistory) and given back
// to the same type only.
class JobHistory {
 public:
  virtual ~JobHistory() = default;
  // Records one answer of an object already consolidated; answers the type
  // cannot read are ignored.
  virtual void Add(int64_t object, const std::string& worker_id,
                   const boost::json::value& answer) = 0;
  // How many answers were recorded.
  virtual size_t size() const = 0;
};

// The objects of one consolidation pass.
struct Batch {
  std::string label_attribute_name;
  std::string job_name;             // original case; metadata uses "labeling-job/<lower>"
  std::vector<std::string> labels;  // the label category file's labels, in order
  // The same labels as the file's objects ({"label", "shortDisplayName", ...}),
  // which NER's output repeats; may be empty ({"label"} objects are made).
  boost::json::array label_objects;
  TimePoint now;                    // the metadata's creation-date
  std::vector<std::pair<int64_t, std::vector<Answer>>> objects;  // object index, its answers
  // The job's output root ("s3://bucket/out/<job name>"), under which a type
  // names the files its labels refer to (segmentation masks).
  std::string output_root;
  // Where a type puts those files, as (uri, bytes); the caller writes them
  // with the batch's other files before any object is marked labeled. Null:
  // the caller takes no files (a type that needs them then fails the objects).
  std::vector<std::pair<std::string, std::string>>* files = nullptr;
};

// What CreateLabelingJob asks of a type's jobs, beyond the request's shape.
struct JobSettings {
  std::string label_attribute_name;
  bool hosted_ui = false;  // UiConfig.HumanTaskUiArn rather than a template
  int64_t task_time_limit_seconds = 0;
};

// A task type: immutable, one instance per type for the process (Find).
class TaskType {
 public:
  explicit TaskType(const BuiltinTaskType& info) : info_(info) {}
  virtual ~TaskType() = default;
  TaskType(const TaskType&) = delete;
  TaskType& operator=(const TaskType&) = delete;

  std::string_view Name() const { return info_.name; }
  const BuiltinTaskType& Info() const { return info_; }
  // The output metadata's "type", e.g. "groundtruth/text-classification".
  std::string_view OutputType() const { return info_.output_type; }

  // --- the job's configuration
  // The job's settings against this type's rules (spec §3.2, §5.5):
  // kInvalidArgument naming the rule. The default checks the label
  // attribute rules of the type's row.
  virtual Status ValidateJob(const JobSettings& settings) const;
  // The labels of a label category file (spec §6.2), in file order.
  // kInvalidArgument names the problem (not JSON, no labels, a duplicate,
  // too few or too many for the type).
  virtual Result<std::vector<std::string>> ParseLabelCategories(std::string_view text) const;

  // --- PRE: one object
  // The task input for one manifest line (spec §3.4). Pure: called once per
  // object, by the runner or at claim time. kInvalidArgument for a line the
  // type cannot label (e.g. neither "source" nor "source-ref"); that object
  // then fails alone. The default is what every image/text built-in gives
  // its template: {"taskObject", "labels", "manifestLine"} (StandardTaskInput).
  virtual Result<boost::json::object> Preprocess(const boost::json::object& manifest_line,
                                                 const std::vector<std::string>& labels) const;
  // The text the runner stores with the object, from which a claim gets the
  // task input (TaskInputFromStored). `line_text` is the manifest line as
  // read, the JSON text `manifest_line` was parsed from. The default
  // serializes Preprocess, so a type that overrides only Preprocess stores
  // what it returns; a type whose input is the standard one overrides this
  // with StandardTaskInputStored, which stores only what the object's row
  // and its job do not already hold.
  virtual Result<std::string> PreprocessJson(const boost::json::object& manifest_line,
                                             std::string_view line_text,
                                             const std::vector<std::string>& labels) const;

  // --- answers
  // True when consolidation can use this worker's answer (the answer schema
  // of the type; a submit is stored whatever it holds).
  virtual bool IsUsableAnswer(const boost::json::value& content,
                              const std::vector<std::string>& labels) const = 0;

  // --- ACS: a batch with the job's history
  // An empty history for a job with these labels.
  virtual std::unique_ptr<JobHistory> NewHistory(const std::vector<std::string>& labels) const = 0;
  // One result per batch object, in order: the consolidated content
  // {"<attr>": label, "<attr>-metadata": {...}} as Ground Truth's built-in
  // returns it, or kInvalidArgument when none of the object's answers was
  // usable (the object then fails). `history` (from NewHistory, may be null)
  // holds the answers of the objects consolidated before; it is not changed.
  virtual std::vector<Result<boost::json::object>> ConsolidateBatch(
      const Batch& batch, const JobHistory* history) const = 0;

  // --- the output manifest line
  // Adds a labeled object's consolidated content to its manifest line.
  // Default: "<attr>" and "<attr>-metadata" of the content; keys already in
  // the line keep their place, new ones are appended.
  virtual void AddLabel(boost::json::object& line, const boost::json::object& content,
                        const std::string& attr) const;
  // Marks a failed object's line: no "<attr>", and "<attr>-metadata" naming
  // the failure (failure-reason, job-name, human-annotated, type).
  virtual void AddFailure(boost::json::object& line, const std::string& attr,
                          const std::string& job_name, const std::string& reason) const;

 private:
  const BuiltinTaskType& info_;
};

// ------------------------------------------------ rules shared by all types

// The problem with a LabelAttributeName for a task type (spec §3.2, §5.5),
// in the API's prose, or nullopt. `type` null: a custom job.
std::optional<std::string> LabelAttributeNameProblem(std::string_view label_attribute_name,
                                                     const BuiltinTaskType* type);

// Chaining under the same LabelAttributeName (spec §5.5) continues the
// earlier job: a line that already holds a label under the name (the key
// itself) is not labeled again; it passes through to the output unchanged
// and stays out of the job's counters. A line holding only
// "<attr>-metadata" (an object the earlier job failed) is labeled again.
bool CarriesLabel(const boost::json::object& line, std::string_view label_attribute_name);

// Adjustment and verification types audit the labels of an earlier job,
// which must have used another LabelAttributeName (spec §5.5).
bool AuditsEarlierLabels(std::string_view task_type);

// For an auditing type: the problem with a line that already has
// `label_attribute_name` or "<attr>-metadata" (the audited job's own name
// was reused), in the API's prose naming the attribute, or nullopt.
std::optional<std::string> AuditAttributeCollision(const boost::json::object& line,
                                                   std::string_view label_attribute_name,
                                                   std::string_view task_type);

// What TaskType::AddLabel and AddFailure do by default, for callers that
// have a job of a type this build does not run (its output type given).
void AddLabelMembers(boost::json::object& line, const boost::json::object& content,
                     const std::string& attr);
void AddFailureMetadata(boost::json::object& line, const std::string& attr,
                        const std::string& job_name, const std::string& reason,
                        std::string_view output_type);

// "labeling-job/<lower-cased name>", the metadata's job-name.
std::string MetadataJobName(const std::string& job_name);
// The output "type" of a task type name: its row's, else "groundtruth/custom".
std::string OutputType(const std::string& task_type);

// The task input of the image/text built-ins (spec §3.4): "taskObject" is
// the line's "source" (or else "source-ref") value, "labels" the label
// strings in file order, "manifestLine" the whole line. kInvalidArgument
// for a line with neither.
Result<boost::json::object> StandardTaskInput(const boost::json::object& manifest_line,
                                              const std::vector<std::string>& labels);
// The standard input's stored form. That input is a join of the object's
// row and its job: "taskObject" is a member of the manifest line, "labels"
// the job's labels, "manifestLine" the line itself. So only the name of the
// line's member that holds the task object is stored, as a JSON string
// ("source" or "source-ref"): a few bytes beside the line instead of two
// more copies of it. kInvalidArgument for a line with neither member.
Result<std::string> StandardTaskInputStored(const boost::json::object& manifest_line);

// The task input from its stored text (what PreprocessJson gave) and the
// object's row, for a claim: a JSON object is the input as stored; a JSON
// string is the standard input's stored form, joined with `line_text` (the
// object's manifest line) and the job's `labels` into what
// StandardTaskInput gives. A join only: nothing is pre-processed here.
// kInvalidArgument for a text of neither form or a line without the named
// member.
Result<boost::json::object> TaskInputFromStored(std::string_view stored,
                                                std::string_view line_text,
                                                const std::vector<std::string>& labels);

// The label objects of a label category file, in file order, as written
// there ({"label": ..., "shortDisplayName": ...}); kInvalidArgument when the
// file has no "labels" array of objects. Check the file with the type's
// ParseLabelCategories first.
Result<boost::json::array> LabelCategoryObjects(std::string_view text);

// ------------------------------------------------ hosted worker UIs (§3.3)

// The name of an AWS-hosted worker UI ARN
// ("arn:aws:sagemaker:<region>:394669845002:human-task-ui/<Name>"), or "".
std::string HostedUiName(std::string_view human_task_ui_arn);
// The task template of a hosted UI this build ships for `task_type` (the
// worker sees it as if it were the job's own template; it renders with the
// type's task input), built from the job's label category file (labels,
// display names, instructions). kInvalidArgument names an unsupported UI or
// a UI of another task type.
Result<std::string> HostedUiTemplate(std::string_view human_task_ui_arn,
                                     std::string_view task_type,
                                     std::string_view label_category_text);

// For tools that hold a type's name only (`plumbline template preview`): the
// type's ParseLabelCategories and Preprocess when it is implemented, else
// the rules every image/text built-in shares (spec §3.4, §6.2.1).
Result<std::vector<std::string>> ParseLabelCategories(std::string_view text,
                                                      const std::string& task_type);
Result<boost::json::object> Preprocess(const std::string& task_type,
                                       const boost::json::object& manifest_line,
                                       const std::vector<std::string>& labels);

}  // namespace plumbline::tasktypes
