// The console's shared state and the declarations of its handlers, whose
// definitions are split by page family: console.cpp (sign-in, long polls,
// pages, routes), jobs_api.cpp (the job list, a job's page, its objects,
// preview, Stop and the output), wizard.cpp (creating and cloning jobs),
// people_api.cpp (users, invitations, access keys, the audit log and KMS
// keys). Private to console/.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/work_pool.hpp"
#include "console/console.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "portal/media.hpp"
#include "portal/sign_in.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

namespace plumbline::console {

using boost::json::array;
using boost::json::object;

// The console API's answers: the portal's error body and Error-to-status
// mapping (portal/sign_in.hpp), a JSON body; all uncached.
http::Response JsonError(int status, const std::string& code, const std::string& message);
http::Response FromError(const Error& e);
http::Response Ok(const boost::json::value& body);

extern const char* const kNotAdmin;

using portal::SourceOf;
// A query parameter as a number within [lo, hi], else `fallback`.
int64_t IntParam(const std::map<std::string, std::string>& q, const std::string& key,
                 int64_t fallback, int64_t lo, int64_t hi);
std::vector<std::string> LabelsOf(const store::Job& job);
labeling::JobConfig ConfigOf(const std::string& request_json);
// The counters the console shows for a job: the store's, with the objects
// under way (answers or live leases) apart from those not started.
object Counters(int64_t object_count, int64_t labeled, int64_t failed, int64_t in_progress);
// The region of an ARN ("arn:aws:sagemaker:<region>:..."), or "".
std::string RegionOfArn(std::string_view arn);
// Replaces every "{{key}}" of a page with the HTML-escaped value.
void Fill(std::string* page, std::string_view key, std::string_view value);

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
  void Stop();

  // What the job list and a job's page show: jobs and their progress. The
  // version counts the store's changes of those (Store::Feed), which
  // include other replicas' on a shared database.
  static constexpr store::ChangeSet kWatched = store::changes::kJobs | store::changes::kWork;
  int64_t Version() { return store.Feed().Sequence(kWatched); }

  // Answers the long polls whose version moved on or whose time is up: woken
  // by the store's changes, and a few times a second while any waits (for
  // their deadlines).
  void Poll();

  // The admin behind a request, or the response that refuses it.
  std::variant<http::Response, identity::SignedIn> Authenticate(const http::Request& req);
  http::Response Login(const http::Request& req);

  // ---- jobs ----
  http::Response Jobs(const http::Request& req);
  void Changes(const http::Request& req, http::Respond respond);
  Result<store::Job> FindJob(const http::Request& req);
  http::Response Job(const http::Request& req);
  Result<std::map<int64_t, std::string>> UserNames();
  http::Response Stats(const http::Request& req);
  http::Response Objects(const http::Request& req);
  static object ObjectJson(const store::ObjectAnswers& oa, const std::map<int64_t, std::string>& names);
  http::Response Stop(const http::Request& req, const identity::SignedIn& who);

  // The job's template rendered for one object, as a worker's claim gets it.
  http::Response Preview(const http::Request& req);

  // The signed-in admin as the KMS sees an API caller: the user's principal
  // (its ARN is what key policies name and refusals quote).
  identity::Principal PrincipalOf(const identity::SignedIn& who) const;

  // The job's output manifest. An encrypted one (OutputConfig.KmsKeyId) is
  // decrypted when the key's policy lets the admin decrypt; the key's use
  // (or refusal) is audited as a KMS Decrypt, the download as the console's.
  http::Response Output(const http::Request& req, const identity::SignedIn& who);

  // A KMS error: its exception name as the code ("DisabledException: ..."),
  // else the console's mapping.
  static http::Response KmsFromError(const Error& e);

  // ---- KMS keys (kms::KeyRing's operations, checked against each key's
  // policy for the admin, audited as the KMS API audits them) ----
  static object KeyJson(const kms::KeyInfo& k, const std::vector<store::KmsAlias>& aliases);

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

  http::Response KmsList(const http::Request& req, const identity::SignedIn& who);
  http::Response KmsKey(const http::Request& req, const identity::SignedIn& who);
  http::Response KmsCreate(const http::Request& req, const identity::SignedIn& who);

  // enable | disable | schedule-deletion {"days"} | cancel-deletion | policy {"policy"}
  http::Response KmsChange(const http::Request& req, const identity::SignedIn& who);

  // ---- creating jobs: the wizard and Clone ----
  // Creates a job from a CreateLabelingJob request, checked against the
  // service model as the SageMaker API checks it, in the region of its work
  // team's ARN (else `fallback_region`). Audited.
  http::Response CreateFrom(const boost::json::value& request, const std::string& fallback_region,
                            const http::Request& req, const identity::SignedIn& who,
                            const std::string& action);
  http::Response Create(const http::Request& req, const identity::SignedIn& who);

  // A new job with the configuration of another (its stored request), under
  // a new name.
  http::Response Clone(const http::Request& req, const identity::SignedIn& who);

  // The built-in task types this build runs, with their label limits.
  http::Response TaskTypes();
  http::Response Workteams();

  // KMS keys a job's output can be encrypted with (enabled, not pending deletion).
  http::Response KmsKeys();

  // Stores an uploaded file (a manifest, a label category file, a template)
  // at an s3:// URI of the embedded buckets or the configured S3 store.
  http::Response Upload(const http::Request& req, const identity::SignedIn& who);

  // The wizard's live preview: a template (not stored anywhere yet) rendered
  // for one manifest line with the given labels and task type.
  // The wizard's live preview. A template or line the admin is still typing
  // is the form's ordinary state, not a failed request: such problems come
  // back as 200 {"problem": {"field", "code", "message"}} for the preview to
  // show; only a request that is not the wizard's shape is a 400.
  http::Response RenderTemplate(const http::Request& req);

  // ---- people and keys (identity/ does the work; each change is audited) ----
  void AuditChange(const http::Request& req, const identity::SignedIn& who, const std::string& action,
                   const std::string& target, const Status& s, const std::string& detail = "");
  static object UserJson(const store::User& u);
  static std::vector<std::string> StringList(const object& b, std::string_view key);
  http::Response Users();
  http::Response AddUser(const http::Request& req, const identity::SignedIn& who);
  http::Response ChangeUser(const http::Request& req, const identity::SignedIn& who);

  // An invitation with a one-time link: the token is in the answer only.
  http::Response Invite(const http::Request& req, const identity::SignedIn& who);
  object InvitationJson(const store::Invitation& i) const;

  http::Response Invitations();
  http::Response AccessKeys();
  http::Response RevokeKey(const http::Request& req, const identity::SignedIn& who);

  // The audit log, newest first, filtered by a text found in any field.
  http::Response Audit(const http::Request& req);

  // ---- pages ----
  // The session of a page request: the admin, or nullopt (no session), or
  // a worker's (refused).
  struct PageSession {
    std::string username;
    std::string csrf;
    bool admin = false;
  };
  std::optional<PageSession> ResolvePage(const http::Request& req);
  http::Response Page(std::string_view asset, int status, const std::optional<PageSession>& session,
                      std::string_view job_name = {}, const std::string& nonce = {});

  // Sign-in without a session, a refusal for a worker, else `then`.
  template <class Then>
  http::Response AdminPage(const http::Request& req, Then then) {
    auto session = ResolvePage(req);
    if (!session) return Page("/console/static/signin.html", 200, session);
    if (!session->admin) return Page("/console/static/refused.html", 403, session);
    return then(*session);
  }
};

}  // namespace plumbline::console
