// The console's job handlers: the job list and its long poll, a job's page
// and figures, its objects, the template preview, Stop and the output.
#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "api/sagemaker.hpp"
#include "api/validation.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "console/detail/console_impl.hpp"
#include "console/job_stats.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "portal/assets.hpp"
#include "portal/media.hpp"
#include "portal/pages.hpp"
#include "portal/task_pages.hpp"
#include "portal/worker_api.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::console {

http::Response Console::Impl::Jobs(const http::Request& req) {
  auto q = http::ParseQuery(req.query);
  store::JobFilter filter;
  if (auto it = q.find("name"); it != q.end() && !it->second.empty()) filter.name_contains = it->second;
  if (auto it = q.find("status"); it != q.end() && !it->second.empty()) {
    filter.status = store::ParseJobStatus(it->second);
    if (!filter.status) return JsonError(400, "InvalidRequest", "status: unknown job status '" + it->second + "'");
  }
  std::string sort = q.count("sort") ? q["sort"] : "created";
  std::string order = q.count("order") ? q["order"] : (sort == "name" ? "asc" : "desc");
  store::JobPageQuery page;
  page.filter = std::move(filter);
  if (sort == "created") page.sort = store::JobSort::kCreated;
  else if (sort == "name") page.sort = store::JobSort::kName;
  else if (sort == "status") page.sort = store::JobSort::kStatus;
  else if (sort == "progress") page.sort = store::JobSort::kProgress;
  else return JsonError(400, "InvalidRequest", "sort: expected created, name, status or progress");
  if (order != "asc" && order != "desc")
    return JsonError(400, "InvalidRequest", "order: expected asc or desc");
  page.descending = order == "desc";
  page.limit = IntParam(q, "limit", 25, 1, 200);
  page.offset = IntParam(q, "offset", 0, 0, INT64_MAX);
  int64_t version = Version();
  // The store sorts and cuts the list: only the page's jobs are read.
  auto jobs = store.ListJobPage(page);
  if (!jobs) return FromError(jobs.error());
  const int64_t total = jobs->total;
  const int64_t offset = std::min(page.offset, total);
  array list;
  for (const store::JobSummary& j : jobs->jobs) {
    int64_t in_progress = 0;
    if (!store::IsTerminal(j.status)) {
      auto n = store.CountInProgress(j.id);
      if (!n) return FromError(n.error());
      in_progress = *n;
    }
    labeling::JobConfig config = ConfigOf(j.request_json);
    object o;
    o["name"] = j.name;
    o["arn"] = j.arn;
    o["status"] = store::JobStatusName(j.status);
    o["taskType"] = config.task_type.empty() ? "custom" : config.task_type;
    o["title"] = config.title;
    o["created"] = j.created_ms;
    o["modified"] = j.modified_ms;
    o["workersPerObject"] = j.workers_per_object;
    o["counters"] = Counters(j.object_count, j.labeled, j.failed, in_progress);
    if (j.status == store::JobStatus::kFailed) o["failureReason"] = j.failure_reason;
    list.push_back(std::move(o));
  }
  object out;
  out["jobs"] = std::move(list);
  out["total"] = total;
  out["offset"] = offset;
  out["limit"] = page.limit;
  out["version"] = version;
  return Ok(out);
}

void Console::Impl::Changes(const http::Request& req, http::Respond respond) {
  auto q = http::ParseQuery(req.query);
  int64_t version = Version();
  int64_t since = IntParam(q, "since", -1, -1, INT64_MAX);
  int64_t wait = IntParam(q, "wait", 25, 0, options.max_wait_seconds);
  {
    // Checked and queued under one lock: a poll queued after Stop would
    // never be answered.
    std::lock_guard<std::mutex> lock(mu);
    if (since == version && wait > 0 && !stopping) {
      waiters.push_back({since, std::chrono::steady_clock::now() + std::chrono::seconds(wait),
                         std::move(respond)});
      respond = nullptr;
    }
  }
  if (respond) {
    object o;
    o["version"] = version;
    return respond(http::Ready(Ok(o)));
  }
  cv.notify_all();
}

Result<store::Job> Console::Impl::FindJob(const http::Request& req) {
  return service.DescribeJob(req.Param("jobName"));
}

http::Response Console::Impl::Job(const http::Request& req) {
  auto job = FindJob(req);
  if (!job) return FromError(job.error());
  int64_t in_progress = 0;
  if (!store::IsTerminal(job->status)) {
    auto n = store.CountInProgress(job->id);
    if (!n) return FromError(n.error());
    in_progress = *n;
  }
  labeling::JobConfig config = ConfigOf(job->request_json);
  object out;
  out["describe"] = api::DescribeLabelingJobBody(*job);
  out["counters"] = Counters(job->object_count, job->labeled, job->failed, in_progress);
  out["taskType"] = config.task_type.empty() ? "custom" : config.task_type;
  out["workersPerObject"] = job->workers_per_object;
  array labels;
  for (const auto& l : LabelsOf(*job)) labels.emplace_back(l);
  out["labels"] = std::move(labels);
  out["encrypted"] = !config.kms_key_id.empty();
  out["outputWritten"] = job->output_written;
  out["template"] = job->ui_template;  // as read when the job started ("" before)
  out["version"] = Version();
  return Ok(out);
}

Result<std::map<int64_t, std::string>> Console::Impl::UserNames() {
  PLB_ASSIGN_OR_RETURN(auto users, identity.ListUsers());
  std::map<int64_t, std::string> names;
  for (const auto& u : users) names[u.id] = u.username;
  return names;
}

http::Response Console::Impl::Stats(const http::Request& req) {
  auto job = FindJob(req);
  if (!job) return FromError(job.error());
  auto names = UserNames();
  if (!names) return FromError(names.error());
  JobStatsBuilder builder(job->workers_per_object, std::move(*names));
  // Only the labeled objects' labels: a job of a million objects is not read whole.
  if (auto s = store.ForEachObjectLabel(job->id, [&](int64_t index, const std::string& label) {
        builder.AddLabel(index, label);
      });
      !s)
    return FromError(s.error());
  if (auto s = store.ForEachAnswer(job->id, [&](const store::Assignment& a) { builder.AddAnswer(a); }); !s)
    return FromError(s.error());
  object out = builder.Finish();
  out["total"] = job->object_count;
  out["version"] = Version();
  return Ok(out);
}

http::Response Console::Impl::Objects(const http::Request& req) {
  auto job = FindJob(req);
  if (!job) return FromError(job.error());
  auto q = http::ParseQuery(req.query);
  std::string filter = q.count("filter") ? q["filter"] : "all";
  if (filter.empty()) filter = "all";
  static const std::vector<std::string> kFilters = {"all", "low-confidence", "disagreement",
                                                    "labeled", "failed", "open"};
  if (std::find(kFilters.begin(), kFilters.end(), filter) == kFilters.end())
    return JsonError(400, "InvalidRequest",
                     "filter: expected all, low-confidence, disagreement, labeled, failed or open");
  double threshold = 0.75;
  if (auto it = q.find("threshold"); it != q.end() && !it->second.empty()) {
    try {
      threshold = std::stod(it->second);
    } catch (...) {
      return JsonError(400, "InvalidRequest", "threshold: expected a number between 0 and 1");
    }
    if (!(threshold >= 0 && threshold <= 1))
      return JsonError(400, "InvalidRequest", "threshold: expected a number between 0 and 1");
  }
  int64_t total = job->object_count;
  int64_t from = IntParam(q, "from", 0, 0, total);
  int64_t limit = IntParam(q, "limit", 20, 1, 100);
  auto names = UserNames();
  if (!names) return FromError(names.error());
  // Objects are read in pages of 200 by index; a filter scans at most
  // 5,000 objects per request and says where to go on ("next").
  const int64_t kPage = 200, kMaxScan = 5000;
  array list;
  int64_t at = from;
  while (at < total && static_cast<int64_t>(list.size()) < limit && at - from < kMaxScan) {
    std::vector<int64_t> indexes;
    for (int64_t i = at; i < std::min(total, at + kPage); ++i) indexes.push_back(i);
    auto page = store.GetObjectsWithAnswers(job->id, indexes);
    if (!page) return FromError(page.error());
    for (const auto& oa : *page) {
      at = oa.object.index + 1;
      object o = ObjectJson(oa, *names);
      bool keep = true;
      if (filter == "low-confidence") {
        keep = o["confidence"].is_number() && o["confidence"].to_number<double>() < threshold;
      } else if (filter == "disagreement") {
        keep = o["disagreement"].as_bool();
      } else if (filter == "labeled") {
        keep = oa.object.state == store::ObjectState::kLabeled;
      } else if (filter == "failed") {
        keep = oa.object.state == store::ObjectState::kFailed;
      } else if (filter == "open") {
        keep = oa.object.state == store::ObjectState::kAvailable;
      }
      if (keep) list.push_back(std::move(o));
      if (static_cast<int64_t>(list.size()) >= limit) break;
    }
    if (page->empty()) break;
  }
  object out;
  out["objects"] = std::move(list);
  out["from"] = from;
  out["scanned"] = at - from;
  out["total"] = total;
  if (at < total) out["next"] = at;
  else out["next"] = nullptr;
  return Ok(out);
}

object Console::Impl::ObjectJson(const store::ObjectAnswers& oa, const std::map<int64_t, std::string>& names) {
  const store::DataObject& d = oa.object;
  object o;
  o["index"] = d.index;
  o["state"] = d.state == store::ObjectState::kLabeled  ? "labeled"
               : d.state == store::ObjectState::kFailed ? "failed"
                                                        : "open";
  auto line = json::Parse(d.line);
  if (line && line->is_object()) {
    const auto& l = line->get_object();
    if (auto s = json::GetString(l, "source")) o["source"] = *s;
    else if (auto r = json::GetString(l, "source-ref")) o["sourceRef"] = *r;
  }
  if (line) o["line"] = std::move(*line);
  else o["line"] = d.line;
  array answers;
  std::vector<std::string> seen_labels;
  for (const auto& a : oa.answers) {
    object ao;
    auto name = names.find(a.user_id);
    ao["worker"] = name == names.end() ? "user " + std::to_string(a.user_id) : name->second;
    auto answer = json::Parse(a.answer_json);
    ao["answer"] = answer ? *answer : boost::json::value(a.answer_json);
    std::optional<std::string> label = answer ? AnswerLabel(*answer) : std::nullopt;
    if (label) {
      ao["label"] = *label;
      if (std::find(seen_labels.begin(), seen_labels.end(), *label) == seen_labels.end())
        seen_labels.push_back(*label);
    } else {
      ao["label"] = nullptr;
    }
    ao["submitted"] = a.submitted_ms;
    ao["timeSpentSeconds"] = a.time_spent_s;
    answers.push_back(std::move(ao));
  }
  o["answers"] = std::move(answers);
  o["disagreement"] = seen_labels.size() > 1;
  Consolidated c = ReadConsolidated(d.label_json);
  if (!d.label_json.empty()) {
    auto label = json::Parse(d.label_json);
    o["consolidated"] = label ? *label : boost::json::value(d.label_json);
  } else {
    o["consolidated"] = nullptr;
  }
  o["label"] = c.label.empty() ? boost::json::value(nullptr) : boost::json::value(c.label);
  o["confidence"] = c.confidence ? boost::json::value(*c.confidence) : boost::json::value(nullptr);
  if (d.state == store::ObjectState::kFailed) o["failureReason"] = d.failure_reason;
  return o;
}

http::Response Console::Impl::Stop(const http::Request& req, const identity::SignedIn& who) {
  std::string name = req.Param("jobName");
  auto s = service.StopJob(name);
  store::AuditEntry e;
  e.actor = who.user.username;
  e.action = "console:StopLabelingJob";
  e.target = name;
  e.source = req.remote_address;
  e.outcome = s ? "ok" : (s.error().code == ErrorCode::kNotFound ? "NotFound" : "Conflict");
  identity.Audit(e);
  if (!s) return FromError(s.error());
  object o;
  o["name"] = name;
  o["status"] = "Stopping";
  return Ok(o);
}

http::Response Console::Impl::Preview(const http::Request& req) {
  auto job = FindJob(req);
  if (!job) return FromError(job.error());
  auto body = json::Parse(req.body.empty() ? "{}" : req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  labeling::JobConfig config = ConfigOf(job->request_json);
  std::vector<std::string> labels = LabelsOf(*job);
  if (job->ui_template.empty())
    return JsonError(409, "Conflict",
                     "the job's template is not read yet (the job is " +
                         std::string(store::JobStatusName(job->status)) + ")");
  object input;
  int64_t index = -1;
  if (const auto* line = b.if_contains("line"); line && !line->is_null()) {
    if (!line->is_string()) return JsonError(400, "InvalidRequest", "line: expected a string");
    auto parsed = json::Parse(line->get_string());
    if (!parsed || !parsed->is_object())
      return JsonError(400, "InvalidRequest", "line: not a JSON object (a manifest line is one)");
    const tasktypes::TaskType* type = tasktypes::Find(config.task_type);
    auto made = type ? type->Preprocess(parsed->get_object(), labels)
                     : tasktypes::StandardTaskInput(parsed->get_object(), labels);
    if (!made) return JsonError(400, "InvalidRequest", "line: " + made.error().message);
    input = std::move(*made);
  } else {
    index = 0;
    if (const auto* i = b.if_contains("index"); i && !i->is_null()) {
      if (!i->is_int64() || i->get_int64() < 0)
        return JsonError(400, "InvalidRequest", "index: expected an object index (0 or more)");
      index = i->get_int64();
    }
    if (index >= job->object_count)
      return JsonError(404, "NotFound", "index: the job has " + std::to_string(job->object_count) +
                                            " objects, no object " + std::to_string(index));
    auto object_row = store.GetObject(job->id, index);
    if (!object_row) return FromError(object_row.error());
    Result<object> made = InvalidArgument("");
    if (!object_row->task_input_json.empty()) {
      made = tasktypes::TaskInputFromStored(object_row->task_input_json, object_row->line, labels);
    } else {
      auto parsed = json::Parse(object_row->line);
      if (!parsed || !parsed->is_object())
        return JsonError(409, "Conflict", "object " + std::to_string(index) + " is not a JSON object");
      const tasktypes::TaskType* type = tasktypes::Find(config.task_type);
      made = type ? type->Preprocess(parsed->get_object(), labels)
                  : tasktypes::StandardTaskInput(parsed->get_object(), labels);
    }
    if (!made)
      return JsonError(409, "Conflict", "object " + std::to_string(index) + ": " + made.error().message);
    input = std::move(*made);
  }
  portal::GrantReadAccess grant;
  if (signer) {
    grant = [this](std::string_view uri, int64_t ttl) { return signer->Sign(std::string(uri), ttl); };
  }
  auto html = portal::RenderTaskPage(job->ui_template, input, grant, config.time_limit_seconds + 300);
  if (!html) return FromError(html.error());
  object out;
  out["html"] = std::move(*html);
  out["taskInput"] = std::move(input);
  if (index >= 0) out["index"] = index;
  else out["index"] = nullptr;
  return Ok(out);
}

identity::Principal Console::Impl::PrincipalOf(const identity::SignedIn& who) const {
  identity::Principal p;
  p.user = who.user;
  p.arn = "arn:aws:iam::" + identity.options().account_id + ":user/" + who.user.username;
  return p;
}

http::Response Console::Impl::Output(const http::Request& req, const identity::SignedIn& who) {
  auto job = FindJob(req);
  if (!job) return FromError(job.error());
  if (!job->output_written)
    return JsonError(409, "Conflict", "the job's output manifest is not written yet (the job is " +
                                          std::string(store::JobStatusName(job->status)) + ")");
  labeling::JobConfig config = ConfigOf(job->request_json);
  std::string uri = labeling::OutputRoot(*job) + "/manifests/output/output.manifest";
  const size_t kMaxBytes = 512u << 20;
  Result<std::string> text = InvalidArgument("");
  if (config.kms_key_id.empty()) {
    text = objects.ReadAll(uri, kMaxBytes);
  } else if (!key_service) {
    text = Unavailable("the output is encrypted and this server has no key ring");
  } else {
    identity::Principal principal = PrincipalOf(who);
    text = [&]() -> Result<std::string> {
      PLB_ASSIGN_OR_RETURN(auto encrypted, objects.OpenRead(uri));
      PLB_ASSIGN_OR_RETURN(auto plain, kms::DecryptingReader(std::move(encrypted), key_service->ring(),
                                                             kms::KeyService::CallerOf(principal)));
      std::string out;
      char buf[65536];
      for (;;) {
        PLB_ASSIGN_OR_RETURN(size_t got, plain->Read(buf, sizeof buf));
        if (got == 0) return out;
        if (out.size() + got > kMaxBytes) return InvalidArgument("the output manifest is larger than 512 MiB");
        out.append(buf, got);
      }
    }();
    Error failure;
    if (!text) failure = text.error();
    key_service->Record(principal, "kms:Decrypt", config.kms_key_id, req.remote_address, text ? nullptr : &failure);
  }
  store::AuditEntry e;
  e.actor = who.user.username;
  e.action = "console:DownloadOutput";
  e.target = job->name;
  e.source = req.remote_address;
  e.outcome = text ? "ok" : ErrorCodeName(text.error().code);
  e.detail = config.kms_key_id.empty() ? "" : "decrypted with " + config.kms_key_id;
  if (!text) e.detail = kms::SplitException(text.error().message).second;
  identity.Audit(e);
  if (!text) {
    if (text.error().code == ErrorCode::kPermissionDenied)
      return JsonError(403, "AccessDenied",
                       "the output is encrypted with " + config.kms_key_id +
                           " and its key policy does not let you decrypt it: " +
                           kms::SplitException(text.error().message).second);
    return KmsFromError(text.error());
  }
  http::Response r = http::Response::Text(200, std::move(*text), "application/x-ndjson");
  r.Set("Content-Disposition", "attachment; filename=\"" + job->name + ".output.manifest\"");
  r.Set("Cache-Control", "no-store");
  r.Set("X-Content-Type-Options", "nosniff");
  return r;
}

http::Response Console::Impl::KmsFromError(const Error& e) {
  auto [exception, text] = kms::SplitException(e.message);
  if (exception.empty() || e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kInternal)
    return FromError(e);
  http::Response generic = FromError(e);
  return JsonError(generic.status, exception, text);
}

}  // namespace plumbline::console
