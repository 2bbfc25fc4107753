#include "console/console.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "api/sagemaker.hpp"
#include "api/validation.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/thread_name.hpp"
#include "common/work_pool.hpp"
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

using boost::json::array;
using boost::json::object;

namespace {

http::Response JsonError(int status, const std::string& code, const std::string& message) {
  object o;
  o["error"] = code;
  o["message"] = message;
  http::Response r = http::Response::Json(status, json::Serialize(o));
  r.Set("Cache-Control", "no-store");
  return r;
}

// The one place where an Error becomes a console-API status.
http::Response FromError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return JsonError(400, "InvalidRequest", e.message);
    case ErrorCode::kNotFound: return JsonError(404, "NotFound", e.message);
    case ErrorCode::kAlreadyExists: return JsonError(409, "Conflict", e.message);
    case ErrorCode::kConflict: return JsonError(409, "Conflict", e.message);
    case ErrorCode::kPermissionDenied: return JsonError(403, "Forbidden", e.message);
    case ErrorCode::kUnauthenticated: return JsonError(401, "Unauthenticated", e.message);
    case ErrorCode::kUnavailable: return JsonError(503, "Unavailable", "storage is unavailable");
    case ErrorCode::kInternal: break;
  }
  return JsonError(500, "InternalError", "internal error");
}

http::Response Ok(const boost::json::value& body) {
  http::Response r = http::Response::Json(200, json::Serialize(body));
  r.Set("Cache-Control", "no-store");
  return r;
}

const char* kNotAdmin =
    "the console is for admins; this account is a worker's (workers sign in at /worker/)";

identity::RequestSource SourceOf(const http::Request& req) {
  const std::string* ua = req.FindHeader("User-Agent");
  return {req.remote_address, ua ? *ua : std::string()};
}

// A query parameter as a number within [lo, hi], else `fallback`.
int64_t IntParam(const std::map<std::string, std::string>& q, const std::string& key,
                 int64_t fallback, int64_t lo, int64_t hi) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return fallback;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) return fallback;
    return std::clamp(v, lo, hi);
  } catch (...) {
    return fallback;
  }
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> LabelsOf(const store::Job& job) {
  std::vector<std::string> out;
  auto v = json::Parse(job.labels_json);
  if (v && v->is_array())
    for (const auto& l : v->get_array()) {
      if (l.is_string()) out.emplace_back(l.get_string());
      else if (l.is_object()) out.emplace_back(json::GetString(l.get_object(), "label").value_or(""));
    }
  return out;
}

labeling::JobConfig ConfigOf(const std::string& request_json) {
  auto v = json::Parse(request_json);
  return labeling::JobConfig::FromRequest(v && v->is_object() ? v->get_object() : object(), "");
}

// The counters the console shows for a job: the store's, with the objects
// under way (answers or live leases) apart from those not started.
object Counters(int64_t object_count, int64_t labeled, int64_t failed, int64_t in_progress) {
  object c;
  c["total"] = object_count;
  c["labeled"] = labeled;
  c["failed"] = failed;
  int64_t open = std::max<int64_t>(0, object_count - labeled - failed);
  c["inProgress"] = std::min(open, in_progress);
  c["left"] = open - std::min(open, in_progress);
  return c;
}

// The region of an ARN ("arn:aws:sagemaker:<region>:..."), or "".
std::string RegionOfArn(std::string_view arn) {
  size_t at = 0;
  for (int field = 0; field < 3; ++field) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  size_t end = arn.find(':', at);
  return end == std::string_view::npos ? "" : std::string(arn.substr(at, end - at));
}

// Replaces every "{{key}}" of a page with the HTML-escaped value.
void Fill(std::string* page, std::string_view key, std::string_view value) {
  std::string placeholder = "{{" + std::string(key) + "}}";
  std::string escaped = EscapeHtml(value);
  for (size_t at = page->find(placeholder); at != std::string::npos;
       at = page->find(placeholder, at + escaped.size()))
    page->replace(at, placeholder.size(), escaped);
}

}  // namespace

// ---------------------------------------------------------------- Impl

struct Console::Impl {
  labeling::LabelingService& service;
  store::Store& store;
  identity::Identity& identity;
  storage::ObjectStore& objects;
  const portal::MediaSigner* signer;
  ConsoleOptions options;
  kms::KeyService* key_service = nullptr;  // SetKeyService; null: no KMS pages or decryption

  // Long polls waiting for a commit (answered by `poller`).
  struct Waiter {
    int64_t since = 0;
    std::chrono::steady_clock::time_point deadline;
    http::Respond respond;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Waiter> waiters;
  bool stopping = false;
  std::thread poller;
  // Sign-ins verify an Argon2id hash: on a thread of their own, not an I/O one.
  std::unique_ptr<WorkPool> sign_ins;
  // Wakes the poller when jobs or their progress change (in this process or
  // another sharing the store); last, so it goes first.
  store::ChangeWatch watch;

  Impl(labeling::LabelingService& s, store::Store& st, identity::Identity& id,
       storage::ObjectStore& o, const portal::MediaSigner* sig, ConsoleOptions opts)
      : service(s), store(st), identity(id), objects(o), signer(sig), options(opts),
        sign_ins(std::make_unique<WorkPool>(1, "plb-console-in")) {
    poller = std::thread([this] { Poll(); });
    watch = store::ChangeWatch(store.Feed(), kWatched, [this](store::ChangeSet) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    });
  }
  ~Impl() { Stop(); }
  void Stop() {
    watch.Reset();
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (poller.joinable()) poller.join();
  }

  // What the job list and a job's page show: jobs and their progress. The
  // version counts the store's changes of those (Store::Feed), which
  // include other replicas' on a shared database.
  static constexpr store::ChangeSet kWatched = store::changes::kJobs | store::changes::kWork;
  int64_t Version() { return store.Feed().Sequence(kWatched); }

  // Answers the long polls whose version moved on or whose time is up: woken
  // by the store's changes, and a few times a second while any waits (for
  // their deadlines).
  void Poll() {
    NameThisThread("plb-console-poll");
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
      if (waiters.empty() && !stopping) {
        cv.wait(lock, [this] { return stopping || !waiters.empty(); });
      }
      int64_t version = Version();
      auto now = std::chrono::steady_clock::now();
      std::vector<http::Respond> due;
      std::erase_if(waiters, [&](Waiter& w) {
        if (!stopping && w.since == version && now < w.deadline) return false;
        due.push_back(std::move(w.respond));
        return true;
      });
      bool stop = stopping;
      lock.unlock();
      for (auto& r : due) {
        object o;
        o["version"] = version;
        r(http::Ready(Ok(o)));
      }
      if (stop) return;
      lock.lock();
    }
  }

  // The admin behind a request, or the response that refuses it.
  std::variant<http::Response, identity::SignedIn> Authenticate(const http::Request& req) {
    std::string token = req.Cookie(portal::kSessionCookie);
    if (token.empty()) return FromError(Unauthenticated("sign in first"));
    auto found = identity.FindSession(token);
    if (!found) return FromError(found.error());
    if (!*found) return FromError(Unauthenticated("your session has ended; sign in again"));
    if (!(*found)->user.is_admin) return JsonError(403, "NotAdmin", kNotAdmin);
    if (req.method == "POST") {
      const std::string* csrf = req.FindHeader("X-CSRF-Token");
      if (!csrf || !identity::Identity::CsrfMatches((*found)->session, *csrf))
        return JsonError(403, "CsrfTokenMismatch", "missing or wrong X-CSRF-Token header");
    }
    return std::move(**found);
  }

  http::Response Login(const http::Request& req) {
    auto body = json::Parse(req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    auto username = json::GetString(body->get_object(), "username");
    auto password = json::GetString(body->get_object(), "password");
    if (!username || !password)
      return JsonError(400, "InvalidRequest", "username and password are required");
    auto result = identity.SignIn(*username, *password, SourceOf(req));
    if (result.retry_after_seconds > 0) {
      http::Response r = JsonError(429, "TooManyAttempts", result.status.error().message);
      r.Set("Retry-After", std::to_string(result.retry_after_seconds));
      return r;
    }
    if (!result.status) {
      if (result.status.error().code == ErrorCode::kUnauthenticated)
        return JsonError(401, "InvalidCredentials", result.status.error().message);
      return FromError(result.status.error());
    }
    const identity::SignedIn& s = *result.signed_in;
    if (!s.user.is_admin) {
      // The password was right, but the console is not this account's:
      // the session just made ends at once.
      (void)identity.SignOut(s, SourceOf(req));
      return JsonError(403, "NotAdmin", kNotAdmin);
    }
    object out;
    out["csrfToken"] = s.session.csrf_token;
    out["username"] = s.user.username;
    http::Response r = Ok(out);
    std::string cookie = std::string(portal::kSessionCookie) + "=" + s.session.token +
                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                         std::to_string(identity.options().session_ttl_seconds);
    if (options.secure_cookies) cookie += "; Secure";
    r.Set("Set-Cookie", cookie);
    return r;
  }

  // ---- jobs ----
  http::Response Jobs(const http::Request& req) {
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

  void Changes(const http::Request& req, http::Respond respond) {
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

  Result<store::Job> FindJob(const http::Request& req) {
    return service.DescribeJob(req.Param("jobName"));
  }

  http::Response Job(const http::Request& req) {
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

  Result<std::map<int64_t, std::string>> UserNames() {
    PLB_ASSIGN_OR_RETURN(auto users, identity.ListUsers());
    std::map<int64_t, std::string> names;
    for (const auto& u : users) names[u.id] = u.username;
    return names;
  }

  http::Response Stats(const http::Request& req) {
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

  http::Response Objects(const http::Request& req) {
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

  static object ObjectJson(const store::ObjectAnswers& oa, const std::map<int64_t, std::string>& names) {
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

  http::Response Stop(const http::Request& req, const identity::SignedIn& who) {
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

  // The job's template rendered for one object, as a worker's claim gets it.
  http::Response Preview(const http::Request& req) {
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

  // The signed-in admin as the KMS sees an API caller: the user's principal
  // (its ARN is what key policies name and refusals quote).
  identity::Principal PrincipalOf(const identity::SignedIn& who) const {
    identity::Principal p;
    p.user = who.user;
    p.arn = "arn:aws:iam::" + identity.options().account_id + ":user/" + who.user.username;
    return p;
  }

  // The job's output manifest. An encrypted one (OutputConfig.KmsKeyId) is
  // decrypted when the key's policy lets the admin decrypt; the key's use
  // (or refusal) is audited as a KMS Decrypt, the download as the console's.
  http::Response Output(const http::Request& req, const identity::SignedIn& who) {
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

  // A KMS error: its exception name as the code ("DisabledException: ..."),
  // else the console's mapping.
  static http::Response KmsFromError(const Error& e) {
    auto [exception, text] = kms::SplitException(e.message);
    if (exception.empty() || e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kInternal)
      return FromError(e);
    http::Response generic = FromError(e);
    return JsonError(generic.status, exception, text);
  }

  // ---- KMS keys (kms::KeyRing's operations, checked against each key's
  // policy for the admin, audited as the KMS API audits them) ----
  static object KeyJson(const kms::KeyInfo& k, const std::vector<store::KmsAlias>& aliases) {
    object o;
    o["keyId"] = k.key_id;
    o["arn"] = k.arn;
    o["description"] = k.description;
    o["state"] = k.state;
    o["enabled"] = k.enabled;
    o["keyManager"] = k.key_manager;
    o["created"] = k.created_ms;
    if (k.deletion_ms) o["deletionDate"] = k.deletion_ms;
    else o["deletionDate"] = nullptr;
    array names;
    for (const auto& a : aliases)
      if (a.key_id == k.key_id) names.emplace_back(a.alias);
    o["aliases"] = std::move(names);
    return o;
  }

  // Runs a KMS operation for the admin and audits it ("kms:<Op>" on `target`).
  template <class F>
  http::Response KmsCall(const http::Request& req, const identity::SignedIn& who, const std::string& op,
                         const std::string& target, F fn) {
    if (!key_service) return JsonError(503, "Unavailable", "this server has no key ring");
    identity::Principal principal = PrincipalOf(who);
    Result<object> result = fn(principal, kms::KeyService::CallerOf(principal));
    Error failure;
    if (!result) failure = result.error();
    key_service->Record(principal, "kms:" + op, target, req.remote_address, result ? nullptr : &failure);
    if (!result) return KmsFromError(result.error());
    return Ok(*result);
  }

  http::Response KmsList(const http::Request& req, const identity::SignedIn& who) {
    return KmsCall(req, who, "ListKeys", "", [&](const identity::Principal& p, const kms::Caller&) -> Result<object> {
      PLB_TRY(key_service->AuthorizeAccountAction(p, "kms:ListKeys"));
      PLB_ASSIGN_OR_RETURN(auto list, key_service->ring().ListKeys());
      PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
      array out;
      for (const auto& k : list) out.push_back(KeyJson(k, aliases));
      return object{{"keys", std::move(out)}};
    });
  }

  http::Response KmsKey(const http::Request& req, const identity::SignedIn& who) {
    std::string ref = req.Param("keyId");
    return KmsCall(req, who, "DescribeKey", ref, [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
      PLB_ASSIGN_OR_RETURN(auto info, key_service->ring().Describe(c, ref));
      PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
      object o = KeyJson(info, aliases);
      PLB_ASSIGN_OR_RETURN(std::string policy, key_service->ring().GetKeyPolicy(c, ref));
      o["policy"] = std::move(policy);
      return o;
    });
  }

  http::Response KmsCreate(const http::Request& req, const identity::SignedIn& who) {
    auto body = json::Parse(req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    const object& b = body->get_object();
    kms::CreateKeyRequest r;
    r.description = json::GetString(b, "description").value_or("");
    r.alias = json::GetString(b, "alias").value_or("");
    r.policy = json::GetString(b, "policy").value_or("");
    // Users who may use the key's data (decrypt), in AWS's default policy.
    r.allowed_users = StringList(b, "allowedUsers");
    return KmsCall(req, who, "CreateKey", r.alias, [&](const identity::Principal& p, const kms::Caller&) -> Result<object> {
      PLB_TRY(key_service->AuthorizeAccountAction(p, "kms:CreateKey"));
      PLB_ASSIGN_OR_RETURN(auto info, key_service->ring().CreateKey(r));
      PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
      return KeyJson(info, aliases);
    });
  }

  // enable | disable | schedule-deletion {"days"} | cancel-deletion | policy {"policy"}
  http::Response KmsChange(const http::Request& req, const identity::SignedIn& who) {
    std::string ref = req.Param("keyId");
    std::string action = req.Param("action");
    auto body = json::Parse(req.body.empty() ? "{}" : req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    const object& b = body->get_object();
    // The key as it is after the change.
    auto after = [&]() -> Result<object> {
      PLB_ASSIGN_OR_RETURN(auto info, key_service->ring().DescribeKey(ref));
      PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
      return KeyJson(info, aliases);
    };
    if (action == "enable" || action == "disable") {
      bool enable = action == "enable";
      return KmsCall(req, who, enable ? "EnableKey" : "DisableKey", ref,
                     [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                       PLB_TRY(key_service->ring().SetEnabled(c, ref, enable));
                       return after();
                     });
    }
    if (action == "schedule-deletion") {
      int64_t days = 30;
      if (const auto* d = b.if_contains("days"); d && !d->is_null()) {
        if (!d->is_int64()) return JsonError(400, "InvalidRequest", "days: expected a whole number from 7 to 30");
        days = d->get_int64();
      }
      return KmsCall(req, who, "ScheduleKeyDeletion", ref,
                     [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                       PLB_TRY(key_service->ring().ScheduleDeletion(c, ref, static_cast<int>(std::clamp<int64_t>(days, -1, 1000))));
                       return after();
                     });
    }
    if (action == "cancel-deletion") {
      return KmsCall(req, who, "CancelKeyDeletion", ref,
                     [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                       PLB_TRY(key_service->ring().CancelDeletion(c, ref));
                       return after();
                     });
    }
    if (action == "policy") {
      auto policy = json::GetString(b, "policy");
      if (!policy) return JsonError(400, "InvalidRequest", "policy: a key policy document (a string) is required");
      return KmsCall(req, who, "PutKeyPolicy", ref,
                     [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                       PLB_TRY(key_service->ring().PutKeyPolicy(c, ref, *policy));
                       PLB_ASSIGN_OR_RETURN(object o, after());
                       PLB_ASSIGN_OR_RETURN(std::string stored, key_service->ring().GetKeyPolicy(c, ref));
                       o["policy"] = std::move(stored);
                       return o;
                     });
    }
    return JsonError(404, "NotFound", "no such key action: " + action);
  }

  // ---- creating jobs: the wizard and Clone ----
  // Creates a job from a CreateLabelingJob request, checked against the
  // service model as the SageMaker API checks it, in the region of its work
  // team's ARN (else `fallback_region`). Audited.
  http::Response CreateFrom(const boost::json::value& request, const std::string& fallback_region,
                            const http::Request& req, const identity::SignedIn& who,
                            const std::string& action) {
    const object& r = request.get_object();
    std::string name = json::GetString(r, "LabelingJobName").value_or("");
    auto audit = [&](const std::string& outcome) {
      store::AuditEntry e;
      e.actor = who.user.username;
      e.action = action;
      e.target = name;
      e.source = req.remote_address;
      e.outcome = outcome;
      identity.Audit(e);
    };
    if (auto invalid = api::ValidateRequest("CreateLabelingJob", request)) {
      audit(invalid->code);
      return JsonError(400, invalid->code, invalid->message);
    }
    std::string region = fallback_region;
    if (const auto* h = json::GetObject(r, "HumanTaskConfig"))
      if (auto team = json::GetString(*h, "WorkteamArn"); team && !RegionOfArn(*team).empty())
        region = RegionOfArn(*team);
    if (region.empty()) region = "us-east-1";
    auto arn = service.CreateJob(r, region);
    audit(arn ? "ok" : (arn.error().code == ErrorCode::kAlreadyExists ? "ResourceInUse" : "ValidationException"));
    if (!arn) return FromError(arn.error());
    object out;
    out["LabelingJobArn"] = *arn;
    out["name"] = name;
    return Ok(out);
  }

  http::Response Create(const http::Request& req, const identity::SignedIn& who) {
    auto body = json::Parse(req.body);
    if (!body || !body->is_object())
      return JsonError(400, "InvalidRequest", "expected a CreateLabelingJob request (a JSON object)");
    return CreateFrom(*body, "", req, who, "console:CreateLabelingJob");
  }

  // A new job with the configuration of another (its stored request), under
  // a new name.
  http::Response Clone(const http::Request& req, const identity::SignedIn& who) {
    auto job = FindJob(req);
    if (!job) return FromError(job.error());
    auto body = json::Parse(req.body.empty() ? "{}" : req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    auto name = json::GetString(body->get_object(), "name");
    if (!name || name->empty()) return JsonError(400, "InvalidRequest", "name: the new job's name is required");
    auto request = json::Parse(job->request_json);
    if (!request || !request->is_object())
      return JsonError(409, "Conflict", "the job's stored request cannot be read");
    request->get_object()["LabelingJobName"] = *name;
    return CreateFrom(*request, RegionOfArn(job->arn), req, who, "console:CloneLabelingJob");
  }

  // The built-in task types this build runs, with their label limits.
  http::Response TaskTypes() {
    array list;
    for (const auto& t : tasktypes::BuiltinTaskTypes()) {
      if (!tasktypes::Find(t.name)) continue;
      object o;
      o["name"] = std::string(t.name);
      o["outputType"] = std::string(t.output_type);
      o["minLabels"] = t.min_labels;
      o["maxLabels"] = t.max_labels;
      o["refLabelAttribute"] = t.ref_label_attribute;
      list.push_back(std::move(o));
    }
    object out;
    out["taskTypes"] = std::move(list);
    return Ok(out);
  }

  http::Response Workteams() {
    auto teams = service.ListWorkteams();
    if (!teams) return FromError(teams.error());
    array list;
    for (const auto& t : *teams) {
      object o;
      o["name"] = t.name;
      o["arn"] = t.arn;
      array groups;
      for (const auto& g : t.groups) groups.emplace_back(g);
      o["groups"] = std::move(groups);
      list.push_back(std::move(o));
    }
    object out;
    out["workteams"] = std::move(list);
    return Ok(out);
  }

  // KMS keys a job's output can be encrypted with (enabled, not pending deletion).
  http::Response KmsKeys() {
    auto keys = store.ListKmsKeys();
    if (!keys) return FromError(keys.error());
    auto aliases = store.ListKmsAliases();
    if (!aliases) return FromError(aliases.error());
    array list;
    for (const auto& k : *keys) {
      if (!k.enabled || k.deletion_ms != 0) continue;
      object o;
      o["keyId"] = k.key_id;
      o["arn"] = k.arn;
      o["description"] = k.description;
      array names;
      for (const auto& a : *aliases)
        if (a.key_id == k.key_id) names.emplace_back(a.alias);
      o["aliases"] = std::move(names);
      list.push_back(std::move(o));
    }
    object out;
    out["keys"] = std::move(list);
    return Ok(out);
  }

  // Stores an uploaded file (a manifest, a label category file, a template)
  // at an s3:// URI of the embedded buckets or the configured S3 store.
  http::Response Upload(const http::Request& req, const identity::SignedIn& who) {
    auto q = http::ParseQuery(req.query);
    std::string uri = q.count("uri") ? q["uri"] : "";
    if (uri.rfind("s3://", 0) != 0 || uri.size() <= 5 || uri.find('/', 5) == std::string::npos ||
        uri.back() == '/')
      return JsonError(400, "InvalidRequest", "uri: expected s3://BUCKET/KEY, got '" + uri + "'");
    for (size_t at = 5; at <= uri.size();) {
      size_t end = std::min(uri.find('/', at), uri.size());
      std::string_view segment(uri.data() + at, end - at);
      if (segment.empty() || segment == "." || segment == "..")
        return JsonError(400, "InvalidRequest", "uri: empty, '.' and '..' path segments are not allowed");
      at = end + 1;
    }
    auto s = objects.WriteAll(uri, req.body);
    store::AuditEntry e;
    e.actor = who.user.username;
    e.action = "console:Upload";
    e.target = uri;
    e.source = req.remote_address;
    e.outcome = s ? "ok" : "Error";
    e.detail = std::to_string(req.body.size()) + " bytes";
    identity.Audit(e);
    if (!s) return FromError(s.error());
    object out;
    out["uri"] = uri;
    out["bytes"] = static_cast<int64_t>(req.body.size());
    return Ok(out);
  }

  // The wizard's live preview: a template (not stored anywhere yet) rendered
  // for one manifest line with the given labels and task type.
  // The wizard's live preview. A template or line the admin is still typing
  // is the form's ordinary state, not a failed request: such problems come
  // back as 200 {"problem": {"field", "code", "message"}} for the preview to
  // show; only a request that is not the wizard's shape is a 400.
  http::Response RenderTemplate(const http::Request& req) {
    auto body = json::Parse(req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    const object& b = body->get_object();
    auto text = json::GetString(b, "template");
    if (!text) return JsonError(400, "InvalidRequest", "template: a string is required");
    auto problem = [](std::string_view field, std::string_view code, const std::string& message) {
      return Ok(object{{"problem", object{{"field", field}, {"code", code}, {"message", message}}}});
    };
    if (auto s = portal::ValidateTaskTemplate(*text); !s) return problem("template", "InvalidTemplate", s.error().message);
    std::vector<std::string> labels;
    if (const auto* l = b.if_contains("labels"); l && l->is_array())
      for (const auto& v : l->get_array())
        if (v.is_string()) labels.emplace_back(v.get_string());
    std::string line_text = json::GetString(b, "line").value_or("{\"source\":\"\"}");
    auto line = json::Parse(line_text);
    if (!line || !line->is_object())
      return problem("line", "InvalidLine", "not a JSON object (a manifest line is one)");
    std::string type_name = json::GetString(b, "taskType").value_or("");
    const tasktypes::TaskType* type = tasktypes::Find(type_name);
    auto input = type ? type->Preprocess(line->get_object(), labels)
                      : tasktypes::StandardTaskInput(line->get_object(), labels);
    if (!input) return problem("line", "InvalidLine", input.error().message);
    portal::GrantReadAccess grant;
    if (signer)
      grant = [this](std::string_view uri, int64_t ttl) { return signer->Sign(std::string(uri), ttl); };
    auto html = portal::RenderTaskPage(*text, *input, grant, 3600);
    if (!html) return problem("template", "InvalidTemplate", html.error().message);
    object out;
    out["html"] = std::move(*html);
    out["taskInput"] = std::move(*input);
    return Ok(out);
  }

  // ---- people and keys (identity/ does the work; each change is audited) ----
  void AuditChange(const http::Request& req, const identity::SignedIn& who, const std::string& action,
                   const std::string& target, const Status& s, const std::string& detail = "") {
    store::AuditEntry e;
    e.actor = who.user.username;
    e.action = action;
    e.target = target;
    e.source = req.remote_address;
    e.outcome = s ? "ok" : s.error().code == ErrorCode::kNotFound ? "NotFound" : "Refused";
    e.detail = detail;
    identity.Audit(e);
  }

  static object UserJson(const store::User& u) {
    object o;
    o["username"] = u.username;
    o["admin"] = u.is_admin;
    o["disabled"] = u.disabled;
    array groups;
    for (const auto& g : u.groups) groups.emplace_back(g);
    o["groups"] = std::move(groups);
    return o;
  }

  static std::vector<std::string> StringList(const object& b, std::string_view key) {
    std::vector<std::string> out;
    if (const auto* v = b.if_contains(key); v && v->is_array())
      for (const auto& g : v->get_array())
        if (g.is_string() && !g.get_string().empty()) out.emplace_back(g.get_string());
    return out;
  }

  http::Response Users() {
    auto users = identity.ListUsers();
    if (!users) return FromError(users.error());
    array list;
    for (const auto& u : *users) list.push_back(UserJson(u));
    object out;
    out["users"] = std::move(list);
    return Ok(out);
  }

  http::Response AddUser(const http::Request& req, const identity::SignedIn& who) {
    auto body = json::Parse(req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    const object& b = body->get_object();
    identity::NewUser n;
    n.username = json::GetString(b, "username").value_or("");
    n.password = json::GetString(b, "password").value_or("");
    n.groups = StringList(b, "groups");
    if (const auto* a = b.if_contains("admin"); a && a->is_bool()) n.is_admin = a->get_bool();
    auto created = identity.CreateUser(n);
    AuditChange(req, who, "console:users:add", n.username, created ? Status() : Status(created.error()),
                n.is_admin ? "admin" : "worker");
    if (!created) return FromError(created.error());
    return Ok(UserJson(*created));
  }

  http::Response ChangeUser(const http::Request& req, const identity::SignedIn& who) {
    std::string name = req.Param("username");
    std::string action = req.Param("action");
    auto body = json::Parse(req.body.empty() ? "{}" : req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    const object& b = body->get_object();
    if (action == "disable" || action == "enable") {
      if (action == "disable" && Lower(name) == Lower(who.user.username))
        return JsonError(409, "Conflict", "you cannot disable your own account");
      auto u = identity.SetDisabled(name, action == "disable");
      AuditChange(req, who, "console:users:" + action, name, u ? Status() : Status(u.error()));
      if (!u) return FromError(u.error());
      return Ok(UserJson(*u));
    }
    if (action == "password") {
      auto s = identity.ResetPassword(name, json::GetString(b, "password").value_or(""));
      AuditChange(req, who, "console:users:reset-password", name, s);
      if (!s) return FromError(s.error());
      return Ok(object{{"username", name}});
    }
    if (action == "groups") {
      auto u = identity.ChangeGroups(name, identity::GroupChange::kSet, StringList(b, "groups"));
      AuditChange(req, who, "console:users:set-groups", name, u ? Status() : Status(u.error()));
      if (!u) return FromError(u.error());
      return Ok(UserJson(*u));
    }
    if (action == "access-keys") {
      auto k = identity.CreateAccessKey(name);
      AuditChange(req, who, "console:users:create-access-key", name, k ? Status() : Status(k.error()),
                  k ? k->access_key_id : "");
      if (!k) return FromError(k.error());
      object o;
      o["AccessKeyId"] = k->access_key_id;
      o["SecretAccessKey"] = k->secret;  // shown this once
      o["username"] = name;
      return Ok(o);
    }
    return JsonError(404, "NotFound", "no such user action: " + action);
  }

  // An invitation with a one-time link: the token is in the answer only.
  http::Response Invite(const http::Request& req, const identity::SignedIn& who) {
    auto body = json::Parse(req.body);
    if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
    const object& b = body->get_object();
    identity::NewInvitation n;
    n.username = json::GetString(b, "username").value_or("");
    n.groups = StringList(b, "groups");
    if (const auto* a = b.if_contains("admin"); a && a->is_bool()) n.is_admin = a->get_bool();
    n.invited_by = who.user.username;
    if (const auto* t = b.if_contains("expiresInSeconds"); t && !t->is_null()) {
      if (!t->is_int64())
        return JsonError(400, "InvalidRequest", "expiresInSeconds: expected a whole number of seconds");
      n.ttl_seconds = t->get_int64();
    }
    auto issued = identity.Invite(n);
    std::string detail = (n.is_admin ? "admin" : "worker") + std::string(", groups: ");
    for (size_t i = 0; i < n.groups.size(); ++i) detail += (i ? "," : "") + n.groups[i];
    if (issued) detail += ", expires " + FormatIsoMillisZ(FromEpochMs(issued->invitation.expires_ms));
    AuditChange(req, who, "console:users:invite", n.username, issued ? Status() : Status(issued.error()), detail);
    if (!issued) return FromError(issued.error());
    object o = InvitationJson(issued->invitation);
    o["token"] = issued->token;  // shown this once
    o["path"] = "/worker/invite#" + issued->token;
    return Ok(o);
  }

  object InvitationJson(const store::Invitation& i) const {
    object o;
    o["username"] = i.username;
    array groups;
    for (const auto& g : i.groups) groups.emplace_back(g);
    o["groups"] = std::move(groups);
    o["admin"] = i.is_admin;
    o["invitedBy"] = i.invited_by;
    o["created"] = i.created_ms;
    o["expires"] = i.expires_ms;
    o["used"] = i.used_ms;
    int64_t now = ToEpochMs(identity.clock().Now());
    o["state"] = i.used_ms ? "accepted" : now >= i.expires_ms ? "expired" : "pending";
    return o;
  }

  http::Response Invitations() {
    auto list = identity.ListInvitations();
    if (!list) return FromError(list.error());
    array out;
    for (const auto& i : *list) out.push_back(InvitationJson(i));
    return Ok(object{{"invitations", std::move(out)}});
  }

  http::Response AccessKeys() {
    auto keys = identity.ListAccessKeys(std::nullopt);
    if (!keys) return FromError(keys.error());
    array list;
    for (const auto& k : *keys) {
      object o;
      o["AccessKeyId"] = k.key.access_key_id;
      o["username"] = k.username;
      o["root"] = k.key.is_root;
      o["active"] = k.key.active;
      o["created"] = k.key.created_ms;
      o["revoked"] = k.key.revoked_ms;
      list.push_back(std::move(o));
    }
    object out;
    out["keys"] = std::move(list);
    return Ok(out);
  }

  http::Response RevokeKey(const http::Request& req, const identity::SignedIn& who) {
    std::string id = req.Param("keyId");
    auto s = identity.RevokeAccessKey(id);
    AuditChange(req, who, "console:users:revoke-access-key", id, s);
    if (!s) return FromError(s.error());
    return Ok(object{{"AccessKeyId", id}, {"active", false}});
  }

  // The audit log, newest first, filtered by a text found in any field.
  http::Response Audit(const http::Request& req) {
    auto q = http::ParseQuery(req.query);
    std::string needle = Lower(q.count("q") ? q["q"] : "");
    int64_t limit = IntParam(q, "limit", 200, 1, 1000);
    auto entries = identity.ListAudit(0, 100000);
    if (!entries) return FromError(entries.error());
    array list;
    for (auto it = entries->rbegin(); it != entries->rend() && static_cast<int64_t>(list.size()) < limit; ++it) {
      const auto& e = *it;
      if (!needle.empty()) {
        std::string all = Lower(e.actor + " " + e.action + " " + e.target + " " + e.source + " " +
                                e.outcome + " " + e.detail);
        if (all.find(needle) == std::string::npos) continue;
      }
      list.push_back(object{{"time", e.time_ms}, {"actor", e.actor}, {"action", e.action},
                            {"target", e.target}, {"source", e.source}, {"outcome", e.outcome},
                            {"detail", e.detail}});
    }
    object out;
    out["entries"] = std::move(list);
    return Ok(out);
  }

  // ---- pages ----
  // The session of a page request: the admin, or nullopt (no session), or
  // a worker's (refused).
  struct PageSession {
    std::string username;
    std::string csrf;
    bool admin = false;
  };
  std::optional<PageSession> ResolvePage(const http::Request& req) {
    auto found = identity.FindSession(req.Cookie(portal::kSessionCookie));
    if (!found || !*found) return std::nullopt;
    return PageSession{(*found)->user.username, (*found)->session.csrf_token, (*found)->user.is_admin};
  }

  http::Response Page(std::string_view asset, int status, const std::optional<PageSession>& session,
                      std::string_view job_name = {}, const std::string& nonce = {}) {
    const portal::EmbeddedAsset* a = portal::FindAsset(asset);
    if (!a) return http::Response::Text(500, "console page missing from the build\n");
    std::string body(a->body);
    Fill(&body, "csrf", session ? session->csrf : "");
    Fill(&body, "user", session ? session->username : "");
    Fill(&body, "job", job_name);
    Fill(&body, "nonce", nonce);
    http::Response r = http::Response::Text(status, std::move(body), "text/html; charset=utf-8");
    portal::SetPageSecurityHeaders(&r, nonce);
    return r;
  }

  // Sign-in without a session, a refusal for a worker, else `then`.
  template <class Then>
  http::Response AdminPage(const http::Request& req, Then then) {
    auto session = ResolvePage(req);
    if (!session) return Page("/console/static/signin.html", 200, session);
    if (!session->admin) return Page("/console/static/refused.html", 403, session);
    return then(*session);
  }
};

// ---------------------------------------------------------------- Console

Console::Console(labeling::LabelingService& service, store::Store& store,
                 identity::Identity& identity, storage::ObjectStore& objects,
                 const portal::MediaSigner* signer, ConsoleOptions options)
    : impl_(std::make_unique<Impl>(service, store, identity, objects, signer, options)) {}

Console::~Console() = default;

void Console::Stop() { impl_->Stop(); }

void Console::SetKeyService(kms::KeyService* keys) { impl_->key_service = keys; }

void Console::Register(http::Router& router) {
  Impl* impl = impl_.get();
  auto admin = [impl](auto fn) {
    return [impl, fn](const http::Request& req) -> http::Response {
      auto who = impl->Authenticate(req);
      if (auto* refused = std::get_if<http::Response>(&who)) return std::move(*refused);
      return fn(req, std::get<identity::SignedIn>(who));
    };
  };

  router.AddAsync("POST", "/console/api/login", [impl](const http::Request& req, http::Respond respond) {
    impl->sign_ins->Post([impl, req, respond] { respond(http::Ready(impl->Login(req))); });
  });
  router.Add("POST", "/console/api/logout",
             admin([impl](const http::Request& req, const identity::SignedIn& who) {
               if (auto s = impl->identity.SignOut(who, SourceOf(req)); !s) return FromError(s.error());
               http::Response r = Ok(object());
               r.Set("Set-Cookie", std::string(portal::kSessionCookie) +
                                       "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
               return r;
             }));
  router.Add("GET", "/console/api/jobs",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Jobs(req); }));
  router.AddAsync("GET", "/console/api/changes", [impl](http::Request& req, http::Respond respond) {
    auto who = impl->Authenticate(req);
    if (auto* refused = std::get_if<http::Response>(&who))
      return respond(http::Ready(std::move(*refused)));
    impl->Changes(req, std::move(respond));
  });
  router.Add("GET", "/console/api/jobs/{jobName}",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Job(req); }));
  router.Add("GET", "/console/api/jobs/{jobName}/stats",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Stats(req); }));
  router.Add("GET", "/console/api/jobs/{jobName}/objects",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Objects(req); }));
  router.Add("GET", "/console/api/jobs/{jobName}/output",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Output(req, who); }));
  router.Add("POST", "/console/api/jobs/{jobName}/stop",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Stop(req, who); }));
  router.Add("POST", "/console/api/jobs/{jobName}/preview",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Preview(req); }));
  router.Add("POST", "/console/api/jobs",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Create(req, who); }));
  router.Add("POST", "/console/api/jobs/{jobName}/clone",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Clone(req, who); }));
  router.Add("GET", "/console/api/task-types",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->TaskTypes(); }));
  router.Add("GET", "/console/api/workteams",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->Workteams(); }));
  router.Add("GET", "/console/api/kms-keys",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->KmsKeys(); }));
  router.Add("POST", "/console/api/upload",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Upload(req, who); }));
  router.Add("POST", "/console/api/render-template",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->RenderTemplate(req); }));
  router.Add("GET", "/console/api/users",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->Users(); }));
  router.Add("POST", "/console/api/users",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->AddUser(req, who); }));
  router.Add("POST", "/console/api/users/{username}/{action}",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->ChangeUser(req, who); }));
  router.Add("GET", "/console/api/invitations",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->Invitations(); }));
  router.Add("POST", "/console/api/invitations",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Invite(req, who); }));
  router.Add("GET", "/console/api/kms/keys",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsList(req, who); }));
  router.Add("POST", "/console/api/kms/keys",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsCreate(req, who); }));
  router.Add("GET", "/console/api/kms/keys/{keyId}",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsKey(req, who); }));
  router.Add("POST", "/console/api/kms/keys/{keyId}/{action}",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsChange(req, who); }));
  router.Add("GET", "/console/api/access-keys",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->AccessKeys(); }));
  router.Add("POST", "/console/api/access-keys/{keyId}/revoke",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->RevokeKey(req, who); }));
  router.Add("GET", "/console/api/audit",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Audit(req); }));
  // Anything else under /console/api/ is refused like the routes are: a
  // worker learns nothing from a 404.
  for (const char* method : {"GET", "POST"})
    router.Add(method, "/console/api/*", admin([](const http::Request&, const identity::SignedIn&) {
                 return JsonError(404, "NotFound", "no such console route");
               }));

  // Pages ("/console" and "/console/" both land on the first).
  router.Add("GET", "/console", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/jobs.html", 200, s);
    });
  });
  router.Add("GET", "/console/people", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/people.html", 200, s);
    });
  });
  router.Add("GET", "/console/keys", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/keys.html", 200, s);
    });
  });
  router.Add("GET", "/console/new", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      // The wizard's live preview shows templates in a srcdoc iframe too.
      return impl->Page("/console/static/new.html", 200, s, {}, RandomHex(16));
    });
  });
  router.Add("GET", "/console/jobs/{jobName}", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/job.html", 200, s, req.Param("jobName"));
    });
  });
  router.Add("GET", "/console/jobs/{jobName}/tool", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      // A fresh nonce lets the template's own scripts run in the srcdoc
      // iframe, as on the portal's labeling page.
      return impl->Page("/console/static/tool.html", 200, s, req.Param("jobName"), RandomHex(16));
    });
  });
}

}  // namespace plumbline::console
