// The settings of one job, read from its stored CreateLabelingJob request.
// Private to labeling/.
#pragma once

#include <algorithm>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "store/store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::labeling {

struct JobConfig {
  std::string job_name;
  std::string region;
  std::string label_attribute_name;
  std::string manifest_uri;
  std::string label_category_uri;
  std::string template_uri;
  std::string human_task_ui_arn;  // UiConfig.HumanTaskUiArn: a hosted UI instead of a template
  std::string output_path;
  std::string kms_key_id;  // OutputConfig.KmsKeyId; empty: outputs in clear
  std::string workteam_arn;
  std::string pre_hook_arn;
  std::string acs_hook_arn;
  std::string role_arn;
  std::string task_type;  // from the built-in PRE hook, else the built-in ACS hook; "" custom
  // A hook that is not a built-in PRE-/ACS- function: a registered function
  // (functions/) runs it.
  bool custom_pre = false;
  bool custom_acs = false;
  std::string title;
  std::string description;
  std::vector<std::string> keywords;
  int64_t workers_per_object = 1;
  int64_t time_limit_seconds = 3600;
  int64_t max_concurrent_tasks = 1000;
  int64_t availability_lifetime_seconds = 2592000;
  // StoppingConditions; 0 when not set.
  int64_t max_human_labeled = 0;
  int64_t max_percentage_labeled = 0;

  static JobConfig FromRequest(const boost::json::object& r, const std::string& region) {
    using json::GetArray;
    using json::GetInt;
    using json::GetObject;
    using json::GetString;
    JobConfig c;
    c.region = region;
    c.job_name = GetString(r, "LabelingJobName").value_or("");
    c.label_attribute_name = GetString(r, "LabelAttributeName").value_or("");
    c.label_category_uri = GetString(r, "LabelCategoryConfigS3Uri").value_or("");
    c.role_arn = GetString(r, "RoleArn").value_or("");
    if (const auto* in = GetObject(r, "InputConfig"))
      if (const auto* ds = GetObject(*in, "DataSource"))
        if (const auto* s3 = GetObject(*ds, "S3DataSource"))
          c.manifest_uri = GetString(*s3, "ManifestS3Uri").value_or("");
    if (const auto* out = GetObject(r, "OutputConfig"))
    {
      c.output_path = GetString(*out, "S3OutputPath").value_or("");
      c.kms_key_id = GetString(*out, "KmsKeyId").value_or("");
    }
    if (const auto* h = GetObject(r, "HumanTaskConfig")) {
      c.workteam_arn = GetString(*h, "WorkteamArn").value_or("");
      c.pre_hook_arn = GetString(*h, "PreHumanTaskLambdaArn").value_or("");
      if (const auto* acs = GetObject(*h, "AnnotationConsolidationConfig"))
        c.acs_hook_arn = GetString(*acs, "AnnotationConsolidationLambdaArn").value_or("");
      if (const auto* ui = GetObject(*h, "UiConfig"))
      {
        c.template_uri = GetString(*ui, "UiTemplateS3Uri").value_or("");
        c.human_task_ui_arn = GetString(*ui, "HumanTaskUiArn").value_or("");
      }
      c.title = GetString(*h, "TaskTitle").value_or("");
      c.description = GetString(*h, "TaskDescription").value_or("");
      if (const auto* kw = GetArray(*h, "TaskKeywords"))
        for (const auto& k : *kw)
          if (k.is_string()) c.keywords.emplace_back(k.get_string());
      c.workers_per_object = GetInt(*h, "NumberOfHumanWorkersPerDataObject").value_or(1);
      c.time_limit_seconds = GetInt(*h, "TaskTimeLimitInSeconds").value_or(3600);
      c.max_concurrent_tasks = GetInt(*h, "MaxConcurrentTaskCount").value_or(1000);
      c.availability_lifetime_seconds =
          GetInt(*h, "TaskAvailabilityLifetimeInSeconds").value_or(2592000);
    }
    if (const auto* stop = GetObject(r, "StoppingConditions")) {
      c.max_human_labeled = GetInt(*stop, "MaxHumanLabeledObjectCount").value_or(0);
      c.max_percentage_labeled = GetInt(*stop, "MaxPercentageOfInputDatasetLabeled").value_or(0);
    }
    auto pre = tasktypes::ParseHookArn(c.pre_hook_arn);
    auto acs = tasktypes::ParseHookArn(c.acs_hook_arn);
    c.custom_pre = !pre.builtin;
    c.custom_acs = !c.acs_hook_arn.empty() && !acs.builtin;
    c.task_type = pre.builtin ? pre.task_type : acs.builtin ? acs.task_type : std::string();
    return c;
  }

  // True once a stopping condition is met: no new objects are started.
  bool StoppingConditionMet(const store::Job& job) const {
    int64_t at = StopAtLabeled(job.object_count);
    return at > 0 && job.labeled >= at;
  }
  // The labeled count at which StoppingConditionMet turns true for a job of
  // `object_count` objects; 0 when the job has no stopping condition.
  int64_t StopAtLabeled(int64_t object_count) const {
    int64_t at = 0;
    if (max_human_labeled > 0) at = max_human_labeled;
    if (max_percentage_labeled > 0 && object_count > 0) {
      int64_t by_share = (max_percentage_labeled * object_count + 99) / 100;
      at = at > 0 ? std::min(at, by_share) : by_share;
    }
    return at;
  }
  static JobConfig FromJob(const store::Job& job) {
    auto v = json::Parse(job.request_json);
    static const boost::json::object kEmpty;
    return FromRequest(v && v->is_object() ? v->get_object() : kEmpty, RegionOf(job.arn));
  }

  // "arn:aws:sagemaker:<region>:..." -> region.
  static std::string RegionOf(const std::string& arn) {
    size_t a = 0;
    for (int i = 0; i < 3; ++i) {
      a = arn.find(':', a);
      if (a == std::string::npos) return "";
      ++a;
    }
    size_t b = arn.find(':', a);
    return b == std::string::npos ? "" : arn.substr(a, b - a);
  }
};

}  // namespace plumbline::labeling
