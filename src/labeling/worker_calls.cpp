// The worker calls: the jobs a worker may work on, claims, submits (alone or
// with the next claim, blocking or asynchronous), releases and declines.
#include <boost/json.hpp>

#include "common/await.hpp"
#include "common/json.hpp"
#include "labeling/detail/service_impl.hpp"
#include "labeling/labeling.hpp"

namespace plumbline::labeling {

using store::Job;
using store::JobStatus;

// ----------------------------------------------------------------- workers
namespace {
bool InTeam(const store::User& user, const std::vector<std::string>& team_groups) {
  for (const auto& g : user.groups)
    for (const auto& t : team_groups)
      if (g == t) return true;
  return false;
}
}  // namespace

Result<std::vector<WorkerJob>> LabelingService::JobsForWorker(const store::User& worker) {
  store::JobFilter unfinished;
  unfinished.unfinished_only = true;
  PLB_ASSIGN_OR_RETURN(auto jobs, impl_->store.ListJobs(unfinished));
  std::vector<WorkerJob> out;
  std::map<std::string, bool> team_ok;
  for (const auto& job : jobs) {
    if (job.status != JobStatus::kInProgress) continue;
    auto cached = team_ok.find(job.workteam_arn);
    if (cached == team_ok.end()) {
      auto groups = impl_->TeamGroups(job.workteam_arn);
      cached = team_ok.emplace(job.workteam_arn, groups && InTeam(worker, *groups)).first;
    }
    if (!cached->second) continue;
    auto info = impl_->InfoOf(job);
    const JobConfig& c = info->config;
    WorkerJob w;
    w.name = job.name;
    w.title = c.title;
    w.description = c.description;
    w.keywords = c.keywords;
    w.time_limit_seconds = c.time_limit_seconds;
    PLB_ASSIGN_OR_RETURN(w.tasks_available, impl_->store.CountClaimable(job.id, worker.id));
    out.push_back(std::move(w));
  }
  return out;
}

namespace {
// The claim that the job's settings allow now.
store::ClaimRequest ClaimRequestFor(const Job& job, const JobConfig& c, int64_t user_id,
                                    int64_t now_ms) {
  store::ClaimRequest r;
  r.job_id = job.id;
  r.user_id = user_id;
  r.now_ms = now_ms;
  r.lease_ms = c.time_limit_seconds * 1000;
  r.availability_ms = c.availability_lifetime_seconds * 1000;
  // Tasks are available for TaskAvailabilityLifetimeInSeconds; once a
  // stopping condition is met only objects already started are finished
  // (checked in the claim's transaction: `job` may be an earlier copy).
  r.stop_at_labeled = c.StopAtLabeled(job.object_count);
  // The runner pre-processes every object before workers see it (at ingest,
  // or in a later pass for objects stored before task inputs were): a claim
  // only reads the stored input and passes over objects still without one.
  r.require_task_input = true;
  return r;
}
}  // namespace

// The job a worker may claim in: kPermissionDenied outside its work team;
// null when the job is not in progress (nothing to hand out). A copy kept
// from earlier may have ended since: the claim's transaction checks again.
Result<std::shared_ptr<const Job>> LabelingService::Impl::ClaimableJob(
    const store::User& worker, std::shared_ptr<const Job> job) {
  auto groups = TeamGroups(job->workteam_arn);
  if (!groups && groups.error().code != ErrorCode::kNotFound) return groups.error();
  if (!groups || !InTeam(worker, *groups))
    return PermissionDenied("you are not a member of the work team of job " + job->name);
  if (job->status != JobStatus::kInProgress) return std::shared_ptr<const Job>();
  return job;
}

// A claimed assignment as the worker gets it: the task input the runner
// stored for the object (the claim only required one), joined with the
// object's line and the job's labels where the stored form says so
// (nothing is pre-processed here), and the job's template, shared with the
// cached job.
Result<ClaimedTask> LabelingService::Impl::TaskOf(const std::shared_ptr<const Job>& job,
                                                  const JobInfo& info,
                                                  const store::Assignment& assignment) {
  auto object_name = [&] {
    return "object " + std::to_string(assignment.object_index) + " of job " + job->name;
  };
  if (assignment.task_input_json.empty()) return Internal(object_name() + " has no task input");
  auto input = tasktypes::TaskInputFromStored(assignment.task_input_json, assignment.object_line,
                                              info.labels);
  if (!input) {
    return Internal("the stored task input of " + object_name() + ": " + input.error().message);
  }
  ClaimedTask task;
  task.task_id = assignment.id;
  task.job_name = job->name;
  task.task_input = std::move(*input);
  task.deadline = FromEpochMs(assignment.deadline_ms);
  task.job_id = job->id;
  task.task_template = std::shared_ptr<const std::string>(job, &job->ui_template);
  task.lease_seconds = info.config.time_limit_seconds;
  return task;
}

void LabelingService::Impl::RememberTaskJob(int64_t task_id, int64_t job_id) {
  std::lock_guard<std::mutex> lock(task_jobs_mu);
  if (task_jobs.size() >= kMaxTaskJobs) task_jobs.clear();
  task_jobs[task_id] = job_id;
}

std::optional<int64_t> LabelingService::Impl::TakeTaskJob(int64_t task_id) {
  std::lock_guard<std::mutex> lock(task_jobs_mu);
  auto it = task_jobs.find(task_id);
  if (it == task_jobs.end()) return std::nullopt;
  int64_t job = it->second;
  task_jobs.erase(it);
  return job;
}

namespace {
// A call's completion that only returns a value or error already known.
template <class T>
std::function<Result<T>()> Ready(Result<T> r) {
  return [r = std::move(r)] { return r; };
}

// The blocking form of an asynchronous call: waits for `done`, then
// completes the call on this thread.
template <class T, class Start>
Result<T> Wait(Start start) {
  return Await<std::function<Result<T>()>>(std::move(start))();
}
}  // namespace

Result<std::optional<ClaimedTask>> LabelingService::Claim(const store::User& worker,
                                                          const std::string& job_name) {
  return Wait<std::optional<ClaimedTask>>(
      [&](auto done) { ClaimAsync(worker, job_name, 0, std::move(done)); });
}

void LabelingService::ClaimAsync(const store::User& worker, const std::string& job_name,
                                 int64_t identity_version, Then<std::optional<ClaimedTask>> done) {
  using Out = std::optional<ClaimedTask>;
  auto found = impl_->ClaimJobNamed(job_name);
  if (!found) return done(Ready<Out>(found.error()));
  auto job = impl_->ClaimableJob(worker, std::move(*found));
  if (!job) return done(Ready<Out>(job.error()));
  if (!*job) return done(Ready<Out>(Out()));
  std::shared_ptr<const Job> shared = std::move(*job);
  auto info = impl_->InfoOf(*shared);
  Impl* impl = impl_.get();
  impl_->store.ClaimAsync(
      ClaimRequestFor(*shared, info->config, worker.id, impl_->NowMs()), identity_version,
      [impl, shared, info, done = std::move(done)](Result<std::optional<store::Assignment>> a) {
        done([impl, shared, info, a = std::move(a)]() -> Result<Out> {
          if (!a) return a.error();
          if (!*a) return Out();
          PLB_ASSIGN_OR_RETURN(ClaimedTask task, impl->TaskOf(shared, *info, **a));
          impl->RememberTaskJob(task.task_id, shared->id);
          return Out(std::move(task));
        });
      });
}

Result<store::SubmitOutcome> LabelingService::Submit(const store::User& worker, int64_t task_id,
                                                     const boost::json::value& answer,
                                                     double time_spent_s) {
  return Wait<store::SubmitOutcome>(
      [&](auto done) { SubmitAsync(worker, task_id, answer, time_spent_s, 0, std::move(done)); });
}

void LabelingService::SubmitAsync(const store::User& worker, int64_t task_id,
                                  const boost::json::value& answer, double time_spent_s,
                                  int64_t identity_version, Then<store::SubmitOutcome> done) {
  using Out = store::SubmitOutcome;
  if (!answer.is_object()) return done(Ready<Out>(InvalidArgument("answer must be a JSON object")));
  impl_->TakeTaskJob(task_id);
  // One write transaction checks the lease, the owner and the job's status.
  impl_->store.SubmitAsync(task_id, worker.id, json::Serialize(answer), time_spent_s,
                           impl_->NowMs(), identity_version,
                           [this, done = std::move(done)](Result<Out> outcome) {
                             if (outcome) Wake();
                             done(Ready<Out>(std::move(outcome)));
                           });
}

Result<SubmitAndNext> LabelingService::SubmitAndClaimNext(const store::User& worker,
                                                          int64_t task_id,
                                                          const boost::json::value& answer,
                                                          double time_spent_s) {
  return Wait<SubmitAndNext>([&](auto done) {
    SubmitAndClaimNextAsync(worker, task_id, answer, time_spent_s, 0, std::move(done));
  });
}

void LabelingService::SubmitAndClaimNextAsync(const store::User& worker, int64_t task_id,
                                              const boost::json::value& answer, double time_spent_s,
                                              int64_t identity_version, Then<SubmitAndNext> done) {
  if (!answer.is_object())
    return done(Ready<SubmitAndNext>(InvalidArgument("answer must be a JSON object")));
  // The task's job (known when this process handed the task out, else
  // read); whether the task is this worker's, the submit decides in its
  // transaction.
  std::optional<int64_t> job_id = impl_->TakeTaskJob(task_id);
  if (!job_id) {
    auto held = impl_->store.GetAssignment(task_id);
    if (!held) return done(Ready<SubmitAndNext>(held.error()));
    job_id = held->job_id;
  }
  auto found = impl_->ClaimJobWithId(*job_id);
  if (!found) return done(Ready<SubmitAndNext>(found.error()));
  auto job = impl_->ClaimableJob(worker, std::move(*found));
  if (!job || !*job) {
    // Outside the team now, or the job has ended: the submit alone says
    // what became of the answer.
    return SubmitAsync(
        worker, task_id, answer, time_spent_s, identity_version,
        [done = std::move(done)](std::function<Result<store::SubmitOutcome>()> finish) {
          done([finish]() -> Result<SubmitAndNext> {
            PLB_ASSIGN_OR_RETURN(auto outcome, finish());
            return SubmitAndNext{outcome, std::nullopt};
          });
        });
  }
  std::shared_ptr<const Job> shared = std::move(*job);
  auto info = impl_->InfoOf(*shared);
  int64_t now = impl_->NowMs();
  Impl* impl = impl_.get();
  // One write transaction: the submit, then the claim of the next task.
  impl_->store.SubmitAndClaimAsync(
      task_id, worker.id, json::Serialize(answer), time_spent_s, now,
      ClaimRequestFor(*shared, info->config, worker.id, now), identity_version,
      [this, impl, shared, info,
       done = std::move(done)](Result<store::Store::SubmittedAndClaimed> both) {
        if (both) Wake();
        done([impl, shared, info, both = std::move(both)]() -> Result<SubmitAndNext> {
          if (!both) return both.error();
          SubmitAndNext out;
          out.outcome = both->first;
          if (both->second) {
            PLB_ASSIGN_OR_RETURN(ClaimedTask task, impl->TaskOf(shared, *info, *both->second));
            impl->RememberTaskJob(task.task_id, shared->id);
            out.next = std::move(task);
          }
          return out;
        });
      });
}

Result<std::optional<ClaimedTask>> LabelingService::UpcomingTask(const store::User& worker,
                                                                 int64_t task_id) {
  using Out = std::optional<ClaimedTask>;
  // How many objects after the task's one are looked at.
  constexpr int64_t kLookAhead = 8;
  auto held = impl_->store.GetAssignment(task_id);
  if (!held && held.error().code != ErrorCode::kNotFound) return held.error();
  if (!held || held->user_id != worker.id || held->state != store::AssignmentState::kLeased)
    return NotFound("no live task " + std::to_string(task_id));
  PLB_ASSIGN_OR_RETURN(auto found, impl_->ClaimJobWithId(held->job_id));
  PLB_ASSIGN_OR_RETURN(auto job, impl_->ClaimableJob(worker, std::move(found)));
  if (!job) return Out();
  // The kept copy is the job as first seen in progress; whether it still is
  // (a stopped job hands nothing out, but its leases live on), the store says.
  PLB_ASSIGN_OR_RETURN(store::Job current, impl_->store.GetJob(job->id));
  if (current.status != JobStatus::kInProgress) return Out();
  auto info = impl_->InfoOf(*job);
  for (int64_t idx = held->object_index + 1; idx <= held->object_index + kLookAhead; ++idx) {
    auto got = impl_->store.GetObjectsWithAnswers(job->id, {idx});
    if (!got && got.error().code == ErrorCode::kNotFound) break;  // past the last object
    if (!got) return got.error();
    const store::ObjectAnswers& oa = got->front();
    const store::DataObject& o = oa.object;
    if (o.state != store::ObjectState::kAvailable || o.task_input_json.empty() ||
        o.answers + o.leases >= info->config.workers_per_object)
      continue;
    bool answered = false;
    for (const auto& a : oa.answers) answered = answered || a.user_id == worker.id;
    if (answered) continue;
    store::Assignment upcoming;
    upcoming.job_id = job->id;
    upcoming.object_index = idx;
    upcoming.user_id = worker.id;
    upcoming.deadline_ms = held->deadline_ms;
    upcoming.object_line = o.line;
    upcoming.task_input_json = o.task_input_json;
    PLB_ASSIGN_OR_RETURN(ClaimedTask task, impl_->TaskOf(job, *info, upcoming));
    return Out(std::move(task));
  }
  return Out();
}

Status LabelingService::Release(const store::User& worker, int64_t task_id) {
  return impl_->store.EndLease(task_id, worker.id, store::AssignmentState::kReleased,
                               impl_->NowMs());
}

Status LabelingService::Decline(const store::User& worker, int64_t task_id) {
  return impl_->store.EndLease(task_id, worker.id, store::AssignmentState::kDeclined,
                               impl_->NowMs());
}

}  // namespace plumbline::labeling
