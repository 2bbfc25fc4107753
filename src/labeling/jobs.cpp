// The SageMaker operations on jobs (create, describe, list, stop) and work
// teams (create, describe, list, update, delete).
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "functions/functions.hpp"
#include "labeling/detail/service_impl.hpp"
#include "labeling/labeling.hpp"
#include "storage/buckets.hpp"

namespace plumbline::labeling {

using store::Job;
using store::JobStatus;

// ------------------------------------------------------------------ jobs
// For an adjustment or verification job: the complaint about a
// LabelAttributeName that a line of the manifest already has (as a key or as
// "<attr>-metadata"), within its first `max_lines` lines, or nullopt (also
// when the manifest cannot be read now).
namespace {
std::optional<std::string> AuditAttributeCollision(storage::ObjectStore& objects,
                                                   const JobConfig& c, size_t max_lines) {
  auto reader = objects.OpenRead(c.manifest_uri);
  if (!reader) return std::nullopt;
  storage::LineReader lines(std::move(*reader), 16u << 20);
  std::string_view line;
  for (size_t n = 0; n < max_lines;) {
    auto more = lines.Next(&line);
    if (!more || !*more) break;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++n;
    auto parsed = json::Parse(line);
    if (!parsed || !parsed->is_object()) break;  // the runner reports it
    if (auto problem = tasktypes::AuditAttributeCollision(parsed->get_object(),
                                                          c.label_attribute_name, c.task_type))
      return "line " + std::to_string(lines.line_number()) + " of the input manifest: " + *problem;
  }
  return std::nullopt;
}
}  // namespace

Result<std::string> LabelingService::CreateJob(const boost::json::object& request,
                                               const std::string& region) {
  boost::json::object req = request;
  JobConfig c = JobConfig::FromRequest(req, region);
  // Hooks: built-in PRE/ACS of a task type this build implements (any
  // region, any :qualifier), or custom ones: functions registered here.
  auto pre = tasktypes::ParseHookArn(c.pre_hook_arn);
  auto acs = tasktypes::ParseHookArn(c.acs_hook_arn);
  if (pre.builtin && pre.kind != tasktypes::HookKind::kPre)
    return InvalidArgument("PreHumanTaskLambdaArn " + c.pre_hook_arn +
                           " is a built-in consolidation function, not a PRE- one");
  if (acs.builtin && acs.kind != tasktypes::HookKind::kAcs)
    return InvalidArgument("AnnotationConsolidationLambdaArn " + c.acs_hook_arn +
                           " is a built-in pre-annotation function, not an ACS- one");
  if (pre.builtin && acs.builtin && pre.task_type != acs.task_type)
    return InvalidArgument("PreHumanTaskLambdaArn (" + pre.task_type +
                           ") and AnnotationConsolidationLambdaArn (" + acs.task_type +
                           ") name different task types");
  if (c.acs_hook_arn.empty())
    return InvalidArgument(
        "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn is "
        "required");
  for (const auto& [custom, field, arn] :
       {std::tuple{c.custom_pre, "PreHumanTaskLambdaArn", c.pre_hook_arn},
        std::tuple{c.custom_acs, "AnnotationConsolidationLambdaArn", c.acs_hook_arn}}) {
    if (!custom) continue;
    if (!impl_->functions)
      return InvalidArgument(std::string(field) + " " + arn +
                             " is not a built-in function and this server runs no custom ones");
    if (auto fn = impl_->functions->Get(arn); !fn) {
      if (fn.error().code == ErrorCode::kNotFound || fn.error().code == ErrorCode::kInvalidArgument)
        return InvalidArgument(std::string(field) + " " + arn +
                               " names no registered function (register it with `aws lambda "
                               "create-function` or `plumbline functions create`)");
      return fn.error();
    }
  }
  // A custom function reaches the job's files through the S3 endpoint,
  // which serves only buckets S3 could have: a bucket folder whose name no
  // S3 bucket may have is readable by the runner but not by the function
  // (NoSuchBucket), so such a job is refused here instead.
  if (c.custom_pre || c.custom_acs) {
    for (const auto& [field, uri] :
         {std::pair{"InputConfig.DataSource.S3DataSource.ManifestS3Uri", c.manifest_uri},
          std::pair{"OutputConfig.S3OutputPath", c.output_path},
          std::pair{"LabelCategoryConfigS3Uri", c.label_category_uri}}) {
      std::string bucket, key;
      if (uri.rfind("s3://", 0) != 0 || !storage::ParseS3Uri(uri, &bucket, &key)) continue;
      if (!storage::LocalBuckets::ValidBucketName(bucket))
        return InvalidArgument(std::string(field) + " " + uri + " names the bucket '" + bucket +
                               "', which is not a valid S3 bucket name (3 to 63 lowercase "
                               "letters, digits, '.' and '-'), so the job's custom functions "
                               "could not reach it through S3");
    }
  }
  // A custom workflow without any built-in has no task type: its labels,
  // template and output are the hooks' business.
  const tasktypes::TaskType* type = nullptr;
  if (!c.task_type.empty()) {
    type = tasktypes::Find(c.task_type);
    if (!type) return InvalidArgument("task type " + c.task_type + " is not supported yet");
  }
  if (c.template_uri.empty() && c.human_task_ui_arn.empty())
    return InvalidArgument("HumanTaskConfig.UiConfig needs UiTemplateS3Uri or HumanTaskUiArn");
  if (!c.human_task_ui_arn.empty()) {
    if (!type)
      return InvalidArgument("HumanTaskUiArn needs a built-in task type; a custom workflow "
                             "gives UiConfig.UiTemplateS3Uri");
    // A hosted UI this build ships, for this task type (checked again with
    // the label file below, when it is readable).
    if (auto t = tasktypes::HostedUiTemplate(c.human_task_ui_arn, c.task_type,
                                             R"({"labels":[]})");
        !t)
      return InvalidArgument("HumanTaskUiArn: " + t.error().message);
  }
  tasktypes::JobSettings settings;
  settings.label_attribute_name = c.label_attribute_name;
  settings.task_time_limit_seconds = c.time_limit_seconds;
  if (type) {
    PLB_TRY(type->ValidateJob(settings));
  }
  if (req.contains("LabelingJobAlgorithmsConfig"))
    return InvalidArgument(
        "automated data labeling (LabelingJobAlgorithmsConfig) is not "
        "supported");
  if (c.manifest_uri.empty())
    return InvalidArgument(
        "InputConfig.DataSource.S3DataSource.ManifestS3Uri is required; "
        "streaming jobs are not supported yet");
  if (c.label_category_uri.empty() && type)
    return InvalidArgument("LabelCategoryConfigS3Uri is required for " + c.task_type);
  if (auto s = impl_->CheckOutputKey(c.kms_key_id); !s)
    return InvalidArgument("OutputConfig.KmsKeyId: " + s.error().message);
  auto team = impl_->store.GetWorkteamByArn(c.workteam_arn);
  if (!team) {
    if (team.error().code == ErrorCode::kNotFound)
      return InvalidArgument("Workteam " + c.workteam_arn + " does not exist");
    return team.error();
  }
  // Validate the files now when they are readable; the runner fails the job
  // later when they are not.
  auto check_labels = [&](const std::string& text) -> Status {
    if (type) {
      if (auto l = type->ParseLabelCategories(text); !l) return l.error();
      return {};
    }
    if (auto l = tasktypes::LabelCategoryObjects(text); !l) return l.error();
    return {};
  };
  if (auto text = c.label_category_uri.empty() ? Result<std::string>(NotFound("none"))
                                               : impl_->objects.ReadAll(c.label_category_uri)) {
    if (auto labels = check_labels(*text); !labels)
      return InvalidArgument("LabelCategoryConfigS3Uri " + c.label_category_uri + ": " +
                             labels.error().message);
    if (!c.human_task_ui_arn.empty())
      if (auto t = tasktypes::HostedUiTemplate(c.human_task_ui_arn, c.task_type, *text); !t)
        return InvalidArgument("HumanTaskUiArn: " + t.error().message);
  }
  // Chaining (spec §5.5): under the same LabelAttributeName a job continues
  // the earlier one (the runner passes labeled lines through), but an audit
  // of the earlier labels needs a name of its own. The first lines are
  // checked now when the manifest is readable; the runner fails the job on a
  // later line.
  if (tasktypes::AuditsEarlierLabels(c.task_type))
    if (auto problem = AuditAttributeCollision(impl_->objects, c, 100))
      return InvalidArgument(*problem);
  if (auto tmpl = impl_->objects.ReadAll(c.template_uri); tmpl && impl_->validator) {
    if (auto s = impl_->validator(*tmpl); !s)
      return InvalidArgument("UiTemplateS3Uri " + c.template_uri + ": " + s.error().message);
  }
  // Defaults Ground Truth fills in and DescribeLabelingJob echoes.
  auto& htc = req["HumanTaskConfig"].as_object();
  if (!htc.contains("MaxConcurrentTaskCount")) htc["MaxConcurrentTaskCount"] = 1000;
  if (!htc.contains("TaskAvailabilityLifetimeInSeconds"))
    htc["TaskAvailabilityLifetimeInSeconds"] = 2592000;
  auto& out = req["OutputConfig"].as_object();
  if (!out.contains("KmsKeyId")) out["KmsKeyId"] = "";

  std::string name = c.job_name;
  std::string lower = AsciiLower(name);
  Job job;
  job.name = name;
  job.arn =
      "arn:aws:sagemaker:" + region + ":" + impl_->options.account_id + ":labeling-job/" + lower;
  job.status = JobStatus::kInitializing;
  job.request_json = json::Serialize(req);
  job.workteam_arn = team->arn;
  job.job_reference_code = impl_->options.account_id + RandomAlnum(16);
  job.workers_per_object = c.workers_per_object;
  job.created_ms = job.modified_ms = impl_->NowMs();
  PLB_ASSIGN_OR_RETURN(Job created, impl_->store.CreateJob(job));
  spdlog::info("job {} created ({})", created.name, created.arn);
  Wake();
  return created.arn;
}

Result<Job> LabelingService::DescribeJob(const std::string& name) {
  return impl_->store.GetJobByName(name);
}

Result<std::vector<Job>> LabelingService::ListJobs(const store::JobFilter& filter) {
  return impl_->store.ListJobs(filter);
}

Status LabelingService::StopJob(const std::string& name) {
  PLB_ASSIGN_OR_RETURN(Job job, impl_->store.GetJobByName(name));
  if (job.status != JobStatus::kInProgress && job.status != JobStatus::kInitializing)
    return Conflict("The labeling job " + job.name + " is not in progress (status " +
                    store::JobStatusName(job.status) + ")");
  PLB_TRY(impl_->store.SetJobStatus(job.id, JobStatus::kStopping, "", impl_->NowMs()));
  Wake();
  return {};
}

// ------------------------------------------------------------ work teams
Result<store::Workteam> LabelingService::CreateWorkteam(const boost::json::object& request,
                                                        const std::string& region) {
  store::Workteam team;
  team.name = json::GetString(request, "WorkteamName").value_or("");
  team.arn = "arn:aws:sagemaker:" + region + ":" + impl_->options.account_id +
             ":workteam/private-crowd/" + team.name;
  team.created_ms = team.updated_ms = impl_->NowMs();
  boost::json::object doc;
  doc["WorkteamName"] = team.name;
  boost::json::array members;
  if (const auto* defs = json::GetArray(request, "MemberDefinitions")) {
    members = *defs;
    for (const auto& d : *defs) {
      if (!d.is_object()) continue;
      if (const auto* oidc = json::GetObject(d.get_object(), "OidcMemberDefinition")) {
        if (const auto* groups = json::GetArray(*oidc, "Groups"))
          for (const auto& g : *groups)
            if (g.is_string()) team.groups.emplace_back(g.get_string());
      }
      // Cognito member definitions map their user group to a Plumbline group.
      if (const auto* cog = json::GetObject(d.get_object(), "CognitoMemberDefinition")) {
        if (auto g = json::GetString(*cog, "UserGroup")) team.groups.push_back(*g);
      }
    }
  }
  doc["MemberDefinitions"] = std::move(members);
  doc["WorkteamArn"] = team.arn;
  doc["WorkforceArn"] =
      "arn:aws:sagemaker:" + region + ":" + impl_->options.account_id + ":workforce/default";
  doc["Description"] = json::GetString(request, "Description").value_or("");
  doc["SubDomain"] = "localhost";
  if (const auto* n = json::GetObject(request, "NotificationConfiguration"))
    doc["NotificationConfiguration"] = *n;
  team.doc_json = json::Serialize(doc);
  auto created = impl_->store.CreateWorkteam(team);
  if (!created && created.error().code == ErrorCode::kAlreadyExists)
    return AlreadyExists("Workteam " + team.name + " already exists");
  return created;
}

Result<store::Workteam> LabelingService::DescribeWorkteam(const std::string& name) {
  return impl_->store.GetWorkteamByName(name);
}
Result<std::vector<store::Workteam>> LabelingService::ListWorkteams() {
  return impl_->store.ListWorkteams();
}
Result<store::Workteam> LabelingService::WorkteamByArn(const std::string& arn) {
  return impl_->store.GetWorkteamByArn(arn);
}

// ------------------------------------------------- work team changes (#6)
Result<store::Workteam> LabelingService::UpdateWorkteam(const boost::json::object& request) {
  PLB_ASSIGN_OR_RETURN(
      store::Workteam team,
      impl_->store.GetWorkteamByName(json::GetString(request, "WorkteamName").value_or("")));
  auto parsed = json::Parse(team.doc_json);
  boost::json::object doc =
      parsed && parsed->is_object() ? parsed->get_object() : boost::json::object();
  if (const auto* defs = json::GetArray(request, "MemberDefinitions")) {
    // Full replacement (spec §1.7): groups not listed any more leave the team.
    team.groups.clear();
    for (const auto& d : *defs) {
      if (!d.is_object()) continue;
      if (const auto* oidc = json::GetObject(d.get_object(), "OidcMemberDefinition"))
        if (const auto* groups = json::GetArray(*oidc, "Groups"))
          for (const auto& g : *groups)
            if (g.is_string()) team.groups.emplace_back(g.get_string());
      if (const auto* cog = json::GetObject(d.get_object(), "CognitoMemberDefinition"))
        if (auto g = json::GetString(*cog, "UserGroup")) team.groups.push_back(*g);
    }
    doc["MemberDefinitions"] = *defs;
  }
  if (auto d = json::GetString(request, "Description")) doc["Description"] = *d;
  if (const auto* n = json::GetObject(request, "NotificationConfiguration"))
    doc["NotificationConfiguration"] = *n;
  if (const auto* w = json::GetObject(request, "WorkerAccessConfiguration"))
    doc["WorkerAccessConfiguration"] = *w;
  team.doc_json = json::Serialize(doc);
  team.updated_ms = impl_->NowMs();
  auto updated = impl_->store.UpdateWorkteam(team);
  impl_->ForgetTeams();
  return updated;
}

Status LabelingService::DeleteWorkteam(const std::string& name) {
  auto s = impl_->store.DeleteWorkteam(name);
  impl_->ForgetTeams();
  return s;
}

}  // namespace plumbline::labeling
