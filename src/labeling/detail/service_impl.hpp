// LabelingService's state, shared by the files that implement the service:
// labeling.cpp (construction, the per-job and per-team caches), jobs.cpp
// (jobs and work teams), worker_calls.cpp (claims, submits, releases),
// runner.cpp (ingest, expiry, consolidation, finish). Private to labeling/.
//
// Threading: the caches below are guarded by their own mutexes; the runner's
// maps (last_batch_second, last_intermediate, history, encrypting) are
// touched by the runner thread only (or by RunOnce, never beside it).
#pragma once

#include <condition_variable>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "functions/functions.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::labeling {

struct LabelingService::Impl {
  store::Store& store;
  storage::ObjectStore& objects;
  const Clock& clock;
  Options options;
  TemplateValidator validator;
  kms::KeyRing* ring = nullptr;
  functions::Registry* functions = nullptr;
  LabelingService::RunEnvironment run_environment;
  int64_t last_function_sweep_ms = 0;  // the runner's (Pass) last SweepWarmWorkers

  int64_t NowMs() const { return ToEpochMs(clock.Now()); }

  // ------------------------------------------------- job outputs (runner)
  // Per job with a KmsKeyId: the store every output file is written through
  // (encrypting, over `objects`).
  std::map<int64_t, std::unique_ptr<storage::ObjectStore>> encrypting;
  // Where a job's outputs are written: encrypting when the job names a key.
  Result<storage::ObjectStore*> Out(const store::Job& job);
  // CreateLabelingJob's check of OutputConfig.KmsKeyId: ok without a key
  // ring; else the ring's error for an unknown or disabled key.
  Status CheckOutputKey(const std::string& kms_key_id);

  // ---------------------------------------------------- parsed job settings
  // Parsed settings per job, for the request paths: the stored request never
  // changes and the labels are fixed once the job is in progress. `type` is
  // null for a job whose task type this build does not run.
  struct JobInfo {
    JobConfig config;
    std::vector<std::string> labels;
    boost::json::array label_objects;  // the label file's objects, when stored
    const tasktypes::TaskType* type = nullptr;
  };
  std::mutex info_mu;
  std::map<int64_t, std::shared_ptr<const JobInfo>> job_info;
  std::shared_ptr<const JobInfo> InfoOf(const store::Job& job);
  // The job's labels, stored as the label file's objects (or, by older
  // builds, as strings): the label strings and the objects.
  static std::vector<std::string> LabelsOf(const store::Job& job,
                                           boost::json::array* objects = nullptr);

  // ------------------------------------------------------------- work teams
  // Work team groups by lower-case ARN. Teams change only through this
  // service (here or in another replica sharing the store): Update/
  // DeleteWorkteam drop the cache, so does the store's word of a change of
  // teams (Forget), and a lookup that read the store before such a change
  // does not put what it read back.
  std::mutex team_mu;
  std::map<std::string, std::vector<std::string>> team_groups;
  uint64_t team_generation = 0;
  Result<std::vector<std::string>> TeamGroups(const std::string& arn);
  void ForgetTeams();

  // ------------------------------------------------ the claim path's jobs
  // Jobs as the claim path reads them, kept once seen in progress: what a
  // claim uses from them (name, settings, template, object count) no longer
  // changes then, and the claim's transaction reads the status and counters
  // that do. Dropped when the store tells of a change of jobs (Forget), so a
  // job stopped elsewhere is not offered from an old copy.
  std::mutex claim_jobs_mu;
  std::map<std::string, std::shared_ptr<const store::Job>> claim_jobs_by_name;
  std::map<int64_t, std::shared_ptr<const store::Job>> claim_jobs_by_id;
  Result<std::shared_ptr<const store::Job>> ClaimJobNamed(const std::string& name);
  Result<std::shared_ptr<const store::Job>> ClaimJobWithId(int64_t id);

  // ------------------------------------------- worker calls (worker_calls.cpp)
  // The job a worker may claim in: kPermissionDenied outside its work team;
  // null when the job is not in progress.
  Result<std::shared_ptr<const store::Job>> ClaimableJob(const store::User& worker,
                                                         std::shared_ptr<const store::Job> job);
  // A claimed assignment as the worker gets it: its stored task input
  // (parsed; no pre-processing on this path) and the job's template.
  Result<ClaimedTask> TaskOf(const std::shared_ptr<const store::Job>& job, const JobInfo& info,
                             const store::Assignment& assignment);
  // The jobs of the tasks this process handed out, by task id. A submit
  // that also claims the next task needs the task's job before its
  // transaction: it finds it here instead of reading the task (one
  // database round trip less; a task handed out by another replica is
  // read). A task's job never changes, so an entry is never wrong. An
  // entry leaves when its task is submitted, and all of them when there
  // are too many (leases that ended without a submit).
  std::mutex task_jobs_mu;
  std::unordered_map<int64_t, int64_t> task_jobs;
  static constexpr size_t kMaxTaskJobs = 1 << 16;
  void RememberTaskJob(int64_t task_id, int64_t job_id);
  std::optional<int64_t> TakeTaskJob(int64_t task_id);

  // ------------------------------------------------------ runner (runner.cpp)
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  bool wake = false;
  bool Stopping();  // Shutdown has begun (reads `stop` under mu)
  std::thread thread;
  // Second of the last consolidation batch per job: file names carry the
  // second, so batches of one job are at least a second apart.
  std::map<int64_t, int64_t> last_batch_second;
  // Per job: when the intermediate manifest was last written and how long that took (ms).
  std::map<int64_t, std::pair<int64_t, int64_t>> last_intermediate;
  // Per job: the answers of the objects consolidated so far, in the task
  // type's form (consolidation's history). Loaded from the store on first
  // use, so a restart rebuilds it; a load that fails is not kept.
  std::map<int64_t, std::unique_ptr<tasktypes::JobHistory>> history;
  // The job's history; kUnavailable (nothing cached) when the store fails.
  Result<tasktypes::JobHistory*> HistoryOf(const store::Job& job, const JobInfo& info);

  // ------------------------------------------- runner leases (runner.cpp)
  // The jobs whose lease this runner holds: the epoch it holds it under and
  // when it last renewed it (ms). Guarded by lease_mu: the runner thread
  // takes and returns leases, the lease keeper renews them.
  struct HeldLease {
    int64_t epoch = 0;
    int64_t renewed_ms = 0;
  };
  std::mutex lease_mu;
  std::map<int64_t, HeldLease> held_leases;
  // Held by the lease keeper while it renews a lease and by ReturnLeases
  // while it hands leases back, so a renewal never takes back a lease just
  // returned.
  std::mutex renew_mu;
  std::thread lease_keeper;
  // Whether this runner holds the job's lease now (taking or renewing it in
  // the store unless renewed in the last third of its term). A lease taken
  // under a new epoch (another runner held it in between) drops what this
  // runner kept of the job (its consolidation history, output timing).
  // `renew_now`: renew it in the store whatever its age (before a step that
  // must not run on a lease about to end, such as writing the output).
  bool TakeJobLease(int64_t job_id, bool renew_now = false);
  // The fence of the runner's writes for the job: its lease as this runner
  // holds it (epoch 0, which no lease has, when it holds none).
  store::LeaseFence FenceOf(int64_t job_id);
  // Passes `s` through; when it is LeaseLost (a fenced write refused:
  // another runner took the job over), first forgets the lease and what
  // this runner kept of the job, so the runner stops working on it.
  Status Fenced(int64_t job_id, Status s);
  // Whether this runner still holds the job's lease as far as it knows.
  bool Holds(int64_t job_id);
  // Hands back the leases of jobs not in `unfinished` (they ended), or all.
  void ReturnLeases(const std::set<int64_t>* unfinished);
  // The lease keeper's loop: renews every held lease each third of its term;
  // a lease found taken by another is forgotten (the runner skips its job).
  void KeepLeases();

  void Ingest(store::Job job);
  // The task input of one manifest line (`line` parsed from `line_text`):
  // the serialized input, or the `ClientError: ...` reason the object fails
  // with.
  static Result<std::string> TaskInputOf(const tasktypes::TaskType& type,
                                         const std::vector<std::string>& labels,
                                         const boost::json::object& line,
                                         std::string_view line_text);
  // Pre-processes the job's objects that have no task input yet (objects of
  // jobs ingested before task inputs were stored); an object whose
  // pre-processing fails ends as failed. Bounded work per pass.
  void PreprocessPending(const store::Job& job);
  // The same through the job's custom pre-annotation function: batches of
  // events to the function's workers, retried with backoff; an answer with
  // isHumanAnnotationRequired false finishes its object (Skipped).
  void PreprocessWithFunction(const store::Job& job, const JobInfo& info);
  // The custom consolidation function's labels for a batch whose request
  // file is `request_uri`: one result per object of `batch`, in order.
  std::vector<Result<boost::json::object>> ConsolidateWithFunction(
      const store::Job& job, const JobInfo& info, const tasktypes::Batch& batch,
      const std::string& request_uri);
  // The environment of a run of a job's function; empty when none is set up.
  // The session policy of a hook run's credentials for the job (hooks.cpp).
  std::string RunPolicyOf(const store::Job& job, const JobConfig& c);
  // A run's context for the job's functions: its scope (the job), the
  // credentials and endpoint, and when they expire.
  functions::RunContext RunContextOf(const store::Job& job, const JobConfig& c);
  // Consolidates objects whose answers are all in (or `only` these, whatever
  // their answer count). Returns false when the pass must wait (one batch
  // per second per job).
  bool ConsolidateReady(const store::Job& job, const std::vector<int64_t>* only = nullptr);
  void Finish(const store::Job& job, store::JobStatus final_status);
  bool SettleExpired(const store::Job& job, const JobConfig& c);
  void MaybeWriteIntermediate(const store::Job& job);
  void Pass();
  void Loop();

  // ------------------------------------------- other processes' changes
  // Drops the caches a change of work teams or jobs may have made stale:
  // the store publishes this process's commits and, on a shared database,
  // other replicas' (Store::Feed). Last: it goes before what it touches.
  void Forget(store::ChangeSet changed);
  store::ChangeWatch watch;
};

}  // namespace plumbline::labeling
