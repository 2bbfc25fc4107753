#include "api/sagemaker.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>

#include "api/aws_auth.hpp"
#include "api/aws_json.hpp"
#include "api/validation.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "crypto/sigv4.hpp"
#include "identity/identity.hpp"
#include "labeling/labeling.hpp"
#include "store/store.hpp"

namespace plumbline::api {

using boost::json::array;
using boost::json::object;
using boost::json::value;

namespace {

// The one place where an Error becomes a SageMaker error. A missing
// resource is ValidationException, as the real service answers its describe
// family (spec §1.3, §1.7: DescribeWorkteam, UpdateWorkteam, DeleteWorkteam,
// CreateLabelingJob's WorkteamArn), except where the spec names
// ResourceNotFound for the operation (§1.6, §2.6: ListLabelingJobsForWorkteam).
// A team still used by jobs cannot be deleted: ResourceInUse (§1.7).
AwsError ToAws(const Error& e, const std::string& op) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return {400, "ValidationException", e.message};
    case ErrorCode::kNotFound:
      return {400, op == "ListLabelingJobsForWorkteam" ? "ResourceNotFound" : "ValidationException",
              e.message};
    case ErrorCode::kAlreadyExists: return {400, "ResourceInUse", e.message};
    case ErrorCode::kConflict:
      return {400, op == "DeleteWorkteam" ? "ResourceInUse" : "ValidationException", e.message};
    case ErrorCode::kPermissionDenied: return {400, "AccessDeniedException", e.message};
    case ErrorCode::kUnauthenticated: return {403, "UnrecognizedClientException", e.message};
    case ErrorCode::kUnavailable: return {503, "ServiceUnavailable", e.message};
    case ErrorCode::kInternal: break;
  }
  return {500, "InternalFailure", e.message};
}

// The resource an operation acts on, as an ARN, for access-denied messages.
std::string ResourceArn(const http::Request& request, const std::string& region,
                        const std::string& account) {
  std::string prefix = "arn:aws:sagemaker:" + region + ":" + account + ":";
  auto body = json::Parse(request.body);
  if (body && body->is_object()) {
    const auto& o = body->get_object();
    if (auto v = json::GetString(o, "LabelingJobName")) return prefix + "labeling-job/" + AsciiLower(*v);
    if (auto v = json::GetString(o, "WorkteamArn")) return *v;
    if (auto v = json::GetString(o, "WorkteamName"))
      return prefix + "workteam/private-crowd/" + AsciiLower(*v);
  }
  return prefix + "*";
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

std::optional<int64_t> TimeMs(const object& o, std::string_view key) {
  auto n = json::GetNumber(o, key);
  if (!n) return std::nullopt;
  return static_cast<int64_t>(*n * 1000.0);
}

object LabelCounters(const store::Job& j) {
  object c;
  c["TotalLabeled"] = j.labeled;
  c["HumanLabeled"] = j.labeled;
  c["MachineLabeled"] = 0;
  c["FailedNonRetryableError"] = j.failed;
  c["Unlabeled"] = std::max<int64_t>(0, j.object_count - j.labeled - j.failed);
  return c;
}

object RequestOf(const store::Job& j) {
  auto v = json::Parse(j.request_json);
  return v && v->is_object() ? v->get_object() : object();
}

std::string OutputManifestUri(const store::Job& j) {
  return labeling::OutputRoot(j) + "/manifests/output/output.manifest";
}

object DescribeJobBody(const store::Job& j) {
  object req = RequestOf(j);
  object o;
  o["LabelingJobStatus"] = store::JobStatusName(j.status);
  o["LabelCounters"] = LabelCounters(j);
  if (j.status == store::JobStatus::kFailed) o["FailureReason"] = j.failure_reason;
  o["CreationTime"] = Seconds(j.created_ms);
  o["LastModifiedTime"] = Seconds(j.modified_ms);
  o["JobReferenceCode"] = j.job_reference_code;
  o["LabelingJobName"] = j.name;
  o["LabelingJobArn"] = j.arn;
  for (const char* key : {"LabelAttributeName", "InputConfig", "OutputConfig", "RoleArn",
                          "LabelCategoryConfigS3Uri", "StoppingConditions",
                          "LabelingJobAlgorithmsConfig", "HumanTaskConfig", "Tags"}) {
    if (auto it = req.find(key); it != req.end()) o[key] = it->value();
  }
  if (!o.contains("Tags")) o["Tags"] = array();
  if (j.output_written) {
    object out;
    out["OutputDatasetS3Uri"] = OutputManifestUri(j);
    o["LabelingJobOutput"] = std::move(out);
  }
  return o;
}

object JobSummary(const store::Job& j) {
  object req = RequestOf(j);
  object s;
  s["LabelingJobName"] = j.name;
  s["LabelingJobArn"] = j.arn;
  s["CreationTime"] = Seconds(j.created_ms);
  s["LastModifiedTime"] = Seconds(j.modified_ms);
  s["LabelingJobStatus"] = store::JobStatusName(j.status);
  s["LabelCounters"] = LabelCounters(j);
  s["WorkteamArn"] = j.workteam_arn;
  if (const auto* h = json::GetObject(req, "HumanTaskConfig")) {
    if (auto pre = json::GetString(*h, "PreHumanTaskLambdaArn")) s["PreHumanTaskLambdaArn"] = *pre;
    if (const auto* acs = json::GetObject(*h, "AnnotationConsolidationConfig"))
      if (auto a = json::GetString(*acs, "AnnotationConsolidationLambdaArn"))
        s["AnnotationConsolidationLambdaArn"] = *a;
  }
  if (j.status == store::JobStatus::kFailed) s["FailureReason"] = j.failure_reason;
  if (j.output_written) {
    object out;
    out["OutputDatasetS3Uri"] = OutputManifestUri(j);
    s["LabelingJobOutput"] = std::move(out);
  }
  if (auto it = req.find("InputConfig"); it != req.end()) s["InputConfig"] = it->value();
  return s;
}

object WorkteamBody(const store::Workteam& t) {
  auto v = json::Parse(t.doc_json);
  object o = v && v->is_object() ? v->get_object() : object();
  o["CreateDate"] = Seconds(t.created_ms);
  o["LastUpdatedDate"] = Seconds(t.updated_ms);
  return o;
}

// Pagination: the token carries the offset and a digest of the filters, so a
// token reused with other filters is refused rather than misread.
std::string FilterDigest(const object& body) {
  // Sorted by key: clients may send the members in any order.
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& kv : body) {
    if (kv.key() == "NextToken" || kv.key() == "MaxResults") continue;
    members.emplace_back(std::string(kv.key()), json::Serialize(kv.value()));
  }
  std::sort(members.begin(), members.end());
  std::string text;
  for (const auto& [k, v] : members) text += k + "=" + v + "\n";
  return fmt::format("{:016x}", std::hash<std::string>{}(text));
}

template <class T>
Result<std::pair<std::vector<T>, std::string>> Page(std::vector<T> items, const object& body) {
  size_t offset = 0;
  std::string digest = FilterDigest(body);
  if (auto token = json::GetString(body, "NextToken")) {
    size_t colon = token->find(':');
    bool ok = colon != std::string::npos && token->substr(colon + 1) == digest;
    if (ok) {
      try {
        offset = std::stoul(token->substr(0, colon));
      } catch (...) {
        ok = false;
      }
    }
    if (!ok) return InvalidArgument("Invalid pagination token: " + *token);
  }
  size_t max = static_cast<size_t>(json::GetInt(body, "MaxResults").value_or(10));
  std::vector<T> page;
  for (size_t i = offset; i < items.size() && page.size() < max; ++i) page.push_back(std::move(items[i]));
  std::string next;
  if (offset + page.size() < items.size()) next = std::to_string(offset + page.size()) + ":" + digest;
  return std::make_pair(std::move(page), next);
}

template <class T, class Key>
void SortBy(std::vector<T>& items, const object& body, Key key) {
  bool descending = json::GetString(body, "SortOrder").value_or("Ascending") == "Descending";
  std::stable_sort(items.begin(), items.end(), [&](const T& a, const T& b) {
    return descending ? key(b) < key(a) : key(a) < key(b);
  });
}

}  // namespace

// What Handle() learnt about a call, for the audit log (issue #6).
struct SageMakerApi::AuditNote {
  std::string op;
  std::string actor;         // "root:<key id>", "<username>:<key id>" or "unknown:<key id>"
  bool refused = false;      // authentication or authorisation failed
};

namespace {
// The access key id a request claims (Credential=<id>/...), before it is verified.
std::string ClaimedKeyId(const http::Request& request) {
  const std::string* auth = request.FindHeader("Authorization");
  if (!auth) return "";
  size_t at = auth->find("Credential=");
  if (at == std::string::npos) return "";
  at += 11;
  size_t end = auth->find_first_of("/, ", at);
  return auth->substr(at, std::min<size_t>(end == std::string::npos ? auth->size() : end, at + 128) - at);
}

bool ChangesState(const std::string& op) {
  for (const char* p : {"Create", "Stop", "Update", "Delete", "Add", "Put", "Start"})
    if (op.rfind(p, 0) == 0) return true;
  return false;
}
}  // namespace

http::Response SageMakerApi::Handle(const http::Request& request) const {
  AuditNote note;
  http::Response r = Serve(request, note);
  if (note.refused || (!note.op.empty() && ChangesState(note.op))) {
    store::AuditEntry e;
    e.actor = note.actor.empty() ? "unknown:" + ClaimedKeyId(request) : note.actor;
    e.action = "sagemaker:" + (note.op.empty() ? std::string("?") : note.op);
    if (auto body = json::Parse(request.body); body && body->is_object()) {
      for (const char* k : {"LabelingJobName", "WorkteamName", "WorkteamArn"})
        if (auto v = json::GetString(body->get_object(), k)) {
          e.target = v->substr(0, 256);
          break;
        }
    }
    e.source = request.remote_address;
    const std::string* type = nullptr;
    for (const auto& h : r.headers)
      if (h.name == "x-amzn-ErrorType") type = &h.value;
    e.outcome = type ? *type : "ok";
    e.detail = "status " + std::to_string(r.status);
    identity_.Audit(std::move(e));
  }
  return r;
}

SageMakerApi::SageMakerApi(labeling::LabelingService& service, identity::Identity& identity,
                           ApiOptions options)
    : service_(service), identity_(identity), options_(std::move(options)) {}

http::Response SageMakerApi::Serve(const http::Request& request, AuditNote& note) const {
  // 1. Which operation.
  const std::string* target = request.FindHeader("X-Amz-Target");
  std::string op;
  if (target && target->rfind("SageMaker.", 0) == 0) op = target->substr(10);
  if (op.empty() || !HasRequestShape(op))
    return AwsErrorResponse({400, "UnknownOperationException",
                          "Unknown operation " + (target ? *target : std::string("(none)"))});

  // 2. Who: SigV4 with a Plumbline access key.
  note.op = op;
  auto who = AuthenticateSigV4(request, identity_, options_.allowed_skew, "sagemaker");
  if (!who) {
    note.refused = true;
    return AwsErrorResponse(FromAuthError(who.error()));
  }
  note.actor = who->AuditActor();

  // 3. May they: the root key and admins' keys only (a disabled user's keys
  // are refused like a worker's).
  if (auto allowed = identity::Identity::Authorize(
          *who, identity::Role::kAdmin, "sagemaker:" + op,
          ResourceArn(request, who->region, options_.account_id));
      !allowed) {
    note.refused = true;
    return AwsErrorResponse(ToAws(allowed.error(), op));
  }

  // 4. What: the body, validated against the model.
  const std::string* ctype = request.FindHeader("Content-Type");
  if (ctype && ctype->rfind("application/x-amz-json-1.1", 0) != 0 &&
      ctype->rfind("application/json", 0) != 0)
    return AwsErrorResponse({400, "SerializationException", "Unsupported Content-Type " + *ctype});
  auto parsed = json::Parse(request.body.empty() ? std::string_view("{}") : std::string_view(request.body));
  if (!parsed || !parsed->is_object())
    return AwsErrorResponse({400, "SerializationException", "The request body is not a JSON object"});
  if (auto invalid = ValidateRequest(op, *parsed))
    return AwsErrorResponse({400, invalid->code, invalid->message});
  const object& body = parsed->get_object();
  const std::string& region = who->region;

  // 5. Do it.
  auto fail = [&op](const Error& e) { return AwsErrorResponse(ToAws(e, op)); };
  if (op == "CreateLabelingJob") {
    auto arn = service_.CreateJob(body, region);
    if (!arn) return fail(arn.error());
    object out;
    out["LabelingJobArn"] = *arn;
    return AwsJsonResponse(200, out);
  }
  if (op == "DescribeLabelingJob") {
    auto job = service_.DescribeJob(json::GetString(body, "LabelingJobName").value_or(""));
    if (!job) return fail(job.error());
    return AwsJsonResponse(200, DescribeJobBody(*job));
  }
  if (op == "StopLabelingJob") {
    auto s = service_.StopJob(json::GetString(body, "LabelingJobName").value_or(""));
    if (!s) return fail(s.error());
    return AwsJsonResponse(200, object());
  }
  if (op == "ListLabelingJobs") {
    store::JobFilter f;
    f.created_after_ms = TimeMs(body, "CreationTimeAfter");
    f.created_before_ms = TimeMs(body, "CreationTimeBefore");
    f.modified_after_ms = TimeMs(body, "LastModifiedTimeAfter");
    f.modified_before_ms = TimeMs(body, "LastModifiedTimeBefore");
    f.name_contains = json::GetString(body, "NameContains");
    if (auto s = json::GetString(body, "StatusEquals")) f.status = store::ParseJobStatus(*s);
    auto jobs = service_.ListJobs(f);
    if (!jobs) return fail(jobs.error());
    std::string sort = json::GetString(body, "SortBy").value_or("CreationTime");
    if (sort == "Name")
      SortBy(*jobs, body, [](const store::Job& j) { return AsciiLower(j.name); });
    else if (sort == "Status")
      SortBy(*jobs, body, [](const store::Job& j) { return std::string(store::JobStatusName(j.status)); });
    else
      SortBy(*jobs, body, [](const store::Job& j) { return j.created_ms; });
    auto page = Page(std::move(*jobs), body);
    if (!page) return fail(page.error());
    array list;
    for (const auto& j : page->first) list.push_back(JobSummary(j));
    object out;
    out["LabelingJobSummaryList"] = std::move(list);
    if (!page->second.empty()) out["NextToken"] = page->second;
    return AwsJsonResponse(200, out);
  }
  if (op == "ListLabelingJobsForWorkteam") {
    auto team = service_.WorkteamByArn(json::GetString(body, "WorkteamArn").value_or(""));
    if (!team) return fail(team.error());
    store::JobFilter f;
    f.workteam_arn = team->arn;
    f.created_after_ms = TimeMs(body, "CreationTimeAfter");
    f.created_before_ms = TimeMs(body, "CreationTimeBefore");
    auto jobs = service_.ListJobs(f);
    if (!jobs) return fail(jobs.error());
    if (auto code = json::GetString(body, "JobReferenceCodeContains")) {
      std::erase_if(*jobs, [&](const store::Job& j) {
        return j.job_reference_code.find(*code) == std::string::npos;
      });
    }
    SortBy(*jobs, body, [](const store::Job& j) { return j.created_ms; });
    auto page = Page(std::move(*jobs), body);
    if (!page) return fail(page.error());
    array list;
    for (const auto& j : page->first) {
      object req = RequestOf(j);
      object s;
      s["LabelingJobName"] = j.name;
      s["JobReferenceCode"] = j.job_reference_code;
      s["WorkRequesterAccountId"] = options_.account_id;
      s["CreationTime"] = Seconds(j.created_ms);
      object counters;
      counters["HumanLabeled"] = j.labeled;
      // Work still waiting for a worker: none once the job has ended (a
      // stopped job's unlabeled objects are never dispatched, spec §1.3.1).
      bool ended = j.status == store::JobStatus::kStopped ||
                   j.status == store::JobStatus::kCompleted || j.status == store::JobStatus::kFailed;
      counters["PendingHuman"] =
          ended ? 0 : std::max<int64_t>(0, j.object_count - j.labeled - j.failed);
      counters["Total"] = j.object_count;
      s["LabelCounters"] = std::move(counters);
      if (const auto* h = json::GetObject(req, "HumanTaskConfig"))
        if (auto n = json::GetInt(*h, "NumberOfHumanWorkersPerDataObject"))
          s["NumberOfHumanWorkersPerDataObject"] = *n;
      list.push_back(std::move(s));
    }
    object out;
    out["LabelingJobSummaryList"] = std::move(list);
    if (!page->second.empty()) out["NextToken"] = page->second;
    return AwsJsonResponse(200, out);
  }
  if (op == "CreateWorkteam") {
    auto team = service_.CreateWorkteam(body, region);
    if (!team) return fail(team.error());
    object out;
    out["WorkteamArn"] = team->arn;
    return AwsJsonResponse(200, out);
  }
  if (op == "DescribeWorkteam") {
    auto team = service_.DescribeWorkteam(json::GetString(body, "WorkteamName").value_or(""));
    if (!team) return fail(team.error());
    object out;
    out["Workteam"] = WorkteamBody(*team);
    return AwsJsonResponse(200, out);
  }
  if (op == "ListWorkteams") {
    auto teams = service_.ListWorkteams();
    if (!teams) return fail(teams.error());
    if (auto nc = json::GetString(body, "NameContains")) {
      std::string needle = AsciiLower(*nc);
      std::erase_if(*teams, [&](const store::Workteam& t) {
        return AsciiLower(t.name).find(needle) == std::string::npos;
      });
    }
    if (json::GetString(body, "SortBy").value_or("CreateDate") == "Name")
      SortBy(*teams, body, [](const store::Workteam& t) { return AsciiLower(t.name); });
    else
      SortBy(*teams, body, [](const store::Workteam& t) { return t.created_ms; });
    auto page = Page(std::move(*teams), body);
    if (!page) return fail(page.error());
    array list;
    for (const auto& t : page->first) list.push_back(WorkteamBody(t));
    object out;
    out["Workteams"] = std::move(list);
    if (!page->second.empty()) out["NextToken"] = page->second;
    return AwsJsonResponse(200, out);
  }
  // --- work team changes (issue #6) ---
  if (op == "UpdateWorkteam") {
    auto team = service_.UpdateWorkteam(body);
    if (!team) return fail(team.error());
    object out;
    out["Workteam"] = WorkteamBody(*team);
    return AwsJsonResponse(200, out);
  }
  if (op == "DeleteWorkteam") {
    auto s = service_.DeleteWorkteam(json::GetString(body, "WorkteamName").value_or(""));
    if (!s) return fail(s.error());
    object out;
    out["Success"] = true;
    return AwsJsonResponse(200, out);
  }
  return AwsErrorResponse({400, "UnknownOperationException",
                        "Operation " + op + " is not supported by Plumbline yet"});
}

object DescribeLabelingJobBody(const store::Job& job) { return DescribeJobBody(job); }

}  // namespace plumbline::api
