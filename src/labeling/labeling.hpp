// The labeling domain: job lifecycle and counters, the runner that reads
// manifests and consolidates answers, the scheduler's claim/submit rules and
// the output writer. It knows no HTTP: api/ and portal/ translate requests
// into these calls.
//
// Requests arrive already validated against the SageMaker model by
// api/validation; this layer checks what needs state (unique names, teams
// that exist, readable files) and returns Errors whose codes api/ and
// portal/ map to their protocols.
//
// Threading: every public method may be called from any thread. The runner
// runs on its own thread between Start() and Shutdown(); RunOnce() runs one
// pass synchronously (tests use it with a FakeClock).
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace plumbline::storage {
class ObjectStore;
}
namespace plumbline::kms {
class KeyRing;
}
namespace plumbline::functions {
class Registry;
}

namespace plumbline::labeling {

struct Options {
  std::string account_id = "000000000000";
  // Manifest limits (Ground Truth's): longer lines fail their object.
  size_t max_line_chars = 100000;
  size_t ingest_batch = 10000;
  // Several servers on one database: the runner works on a job (ingest,
  // pre-processing, consolidation, settling, output) only while it holds
  // the job's lease in the store ("job:<id>", Store::AcquireLease), renewed
  // every third of runner_lease_ms by a thread of its own. A server that
  // stops renewing (killed, cut off from the database) loses its leases
  // runner_lease_ms after the last renewal and another server's runner takes
  // the jobs over; Shutdown hands them back at once. The servers' clocks
  // must agree to well within runner_lease_ms.
  std::string runner_id;  // the lease holder's name; "": host-pid-random, made at construction
  int64_t runner_lease_ms = 15000;
};

// Checks a task template at CreateLabelingJob; returns kInvalidArgument
// naming line and column. Installed by the composition root (cli/) from the
// portal, which owns the task pages: labeling/ does not depend on liquid/.
using TemplateValidator = std::function<Status(const std::string& template_text)>;

// One job as offered to a worker.
struct WorkerJob {
  std::string name;
  std::string title;
  std::string description;
  std::vector<std::string> keywords;
  int64_t tasks_available = 0;
  int64_t time_limit_seconds = 0;
};

// A task handed to a worker: its stored task input (pre-processed by the
// runner) and what the portal needs to render the task page from it.
struct ClaimedTask {
  int64_t task_id = 0;
  std::string job_name;
  boost::json::object task_input;  // the template's `task.input`
  TimePoint deadline;
  int64_t job_id = 0;
  // The job's task template (Liquid + HTML), shared by every claim of the
  // job rather than copied; never null for a task handed out.
  std::shared_ptr<const std::string> task_template;
  int64_t lease_seconds = 0;  // TaskTimeLimitInSeconds: how long media links must last
};

// What a submit that moves on to the next task returns.
struct SubmitAndNext {
  store::SubmitOutcome outcome = store::SubmitOutcome::kAccepted;
  std::optional<ClaimedTask> next;  // none: nothing left for this worker now
};

class LabelingService {
 public:
  LabelingService(store::Store& store, storage::ObjectStore& objects, const Clock& clock,
                  Options options);
  ~LabelingService();
  LabelingService(const LabelingService&) = delete;
  LabelingService& operator=(const LabelingService&) = delete;

  void SetTemplateValidator(TemplateValidator validator);
  // Managed keys for OutputConfig.KmsKeyId: CreateJob refuses unknown or
  // disabled keys, and every output file of such a job is envelope-encrypted.
  // Without a key ring, KmsKeyId is stored and echoed only.
  void SetKeyRing(kms::KeyRing* ring);
  // Custom hooks: a PreHumanTaskLambdaArn or AnnotationConsolidationLambdaArn
  // that is not a built-in PRE-/ACS- function names a function of this
  // registry (by ARN or name). Each run gets the environment variables
  // `environment` makes for the job (temporary credentials for its RoleArn,
  // narrowed by `session_policy`, the job's scope as a Lambda execution role
  // would have it: its input, its own output path, its key, its role; and
  // the endpoint that reaches Plumbline), and when those credentials expire
  // (Unix ms): a job's python workers start with them in their environment
  // and are replaced before then. Without a registry, custom hooks are
  // refused.
  struct RunVariables {
    std::map<std::string, std::string> env;
    int64_t expires_ms = 0;
  };
  using RunEnvironment = std::function<Result<RunVariables>(
      const store::Job& job, const std::string& role_arn, const std::string& session_policy)>;
  void SetFunctions(functions::Registry* registry, RunEnvironment environment);

  // --- SageMaker operations (region = the caller's SigV4 scope) ---
  // Stores the job (Initializing) and wakes the runner; returns the job ARN.
  // kAlreadyExists for a taken name; kInvalidArgument for an unknown work
  // team, unsupported hooks or task types, or a template that does not parse.
  Result<std::string> CreateJob(const boost::json::object& request, const std::string& region);
  Result<store::Job> DescribeJob(const std::string& name);  // kNotFound
  Result<std::vector<store::Job>> ListJobs(const store::JobFilter& filter);
  // InProgress/Initializing -> Stopping; the runner writes the output and
  // moves the job to Stopped. kConflict when the job is not running.
  Status StopJob(const std::string& name);
  Result<store::Workteam> CreateWorkteam(const boost::json::object& request,
                                         const std::string& region);
  Result<store::Workteam> DescribeWorkteam(const std::string& name);  // kNotFound
  Result<std::vector<store::Workteam>> ListWorkteams();
  Result<store::Workteam> WorkteamByArn(const std::string& arn);      // kNotFound

  // --- work team changes (issue #6) ---
  // UpdateWorkteam: MemberDefinitions (when given) replace the team's members
  // and groups entirely; Description and NotificationConfiguration replace
  // theirs. kNotFound for an unknown team.
  Result<store::Workteam> UpdateWorkteam(const boost::json::object& request);
  // DeleteWorkteam: kNotFound for an unknown team, kConflict while a job that
  // has not finished uses it.
  Status DeleteWorkteam(const std::string& name);

  // --- worker operations ---
  Result<std::vector<WorkerJob>> JobsForWorker(const store::User& worker);
  // The next task of the job for this worker, or nullopt when none is left
  // (also when the job is not in progress). kNotFound for an unknown job,
  // kPermissionDenied when the worker is not in the job's team.
  Result<std::optional<ClaimedTask>> Claim(const store::User& worker, const std::string& job_name);
  // Durable before it returns. kConflict when the lease ended or the task is
  // not the worker's; a repeated submit of the same task succeeds once more.
  Result<store::SubmitOutcome> Submit(const store::User& worker, int64_t task_id,
                                      const boost::json::value& answer, double time_spent_s);
  // Submit, then Claim in the task's job, in one commit: what a worker who
  // goes on labeling does after each answer (one request and one commit
  // fewer per task). Errors as for Submit; when the job is no longer in
  // progress the submit alone decides.
  Result<SubmitAndNext> SubmitAndClaimNext(const store::User& worker, int64_t task_id,
                                           const boost::json::value& answer, double time_spent_s);
  // Claim, Submit and SubmitAndClaimNext for servers that must not hold a
  // thread while the commit is pending. `done` is called exactly once: on
  // the calling thread when the call fails before its write, else on the
  // store's thread once the write has committed (or failed). It gets a
  // function that completes the call (for a task handed out: its parsed
  // task input) and returns what the blocking form returns; `done`
  // must return quickly and leave that function to a thread of its own.
  // `identity_version` (> 0): the identity version the worker's session was
  // read under (store::SessionUser), checked in the write's transaction; a
  // change since fails the call with store::IdentityChanged and nothing
  // written (see store::Store::ClaimAsync). 0: not checked.
  template <class T>
  using Then = std::function<void(std::function<Result<T>()>)>;
  void ClaimAsync(const store::User& worker, const std::string& job_name, int64_t identity_version,
                  Then<std::optional<ClaimedTask>> done);
  void SubmitAsync(const store::User& worker, int64_t task_id, const boost::json::value& answer,
                   double time_spent_s, int64_t identity_version, Then<store::SubmitOutcome> done);
  void SubmitAndClaimNextAsync(const store::User& worker, int64_t task_id,
                               const boost::json::value& answer, double time_spent_s,
                               int64_t identity_version, Then<SubmitAndNext> done);
  Status Release(const store::User& worker, int64_t task_id);
  Status Decline(const store::User& worker, int64_t task_id);
  // The task this worker will likely get after `task_id` (its own live
  // task), without claiming it: the next object of the job after the task's
  // one (a few looked at) that still needs answers, has its task input and
  // was not answered by this worker. A hint for prefetching its media, not
  // a promise: other workers may take it first, and a claim prefers objects
  // released earlier. Its task_id is 0. nullopt when none is found or the
  // job is no longer in progress (read from the store, not the kept copy);
  // kNotFound when the task is not the worker's live task.
  Result<std::optional<ClaimedTask>> UpcomingTask(const store::User& worker, int64_t task_id);

  // --- runner ---
  void Start();
  void Shutdown();
  // One pass: ingest new jobs, expire leases, consolidate, finish jobs.
  void RunOnce();
  // Asks the runner thread for a pass soon.
  void Wake();

  // Worker id as written into output files: "private.<region>.<16 hex>".
  static std::string WorkerId(const store::User& user, const std::string& region);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The output root of a job: "<S3OutputPath>/<job name>".
std::string OutputRoot(const store::Job& job);

}  // namespace plumbline::labeling
