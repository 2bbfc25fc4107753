// Settings, jobs and data objects, written once for both SQL stores, as far
// as the two agree: a base class of each store (CRTP) above
// sql::SqlFunctions, on the same terms (see sql_people.hpp). The store keeps
// what each does its own way: the job list's pages (the index expressions
// differ), inserting objects in bulk, finishing a batch of objects and
// releasing the next ones into the window. The definitions are in
// sql_jobs_impl.hpp, compiled once per store in its job_ops.cpp. The store
// also provides ReleaseNext(job, count, now), ReadOne<T>
// (a read of one statement; PostgreSQL runs it without a transaction) and,
// in its Dialect: the job list's terms (JobOrderBy, kJobTeamIs,
// kJobNameContains: the expressions its indexes were made on), kJobNamed,
// kJobByName and the PLB_SQL_* statements of
// columns.hpp with its index hints (kObjectsToPreprocess, kObjectLabelsPage,
// kObjectsReadyToConsolidate, kCountInProgress, kExpiredObjects) and
// kLeaseOfFence.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/sql/sql_functions.hpp"

namespace plumbline::store::sql {

// Rows to values, in the column order of kJobSelect, kObjectSelect and
// kAssignmentSelect.
//
// The first six columns of a job, which a job's row and a job list's
// summary row share: id, name, arn, status, failure_reason, request.
template <class Query, class JobOrSummary>
void ReadJobHead(const Query& q, JobOrSummary& j) {
  j.id = q.Int(0);
  j.name = q.Text(1);
  j.arn = q.Text(2);
  j.status = ParseJobStatus(q.Text(3)).value_or(JobStatus::kFailed);
  j.failure_reason = q.Text(4);
  j.request_json = q.Text(5);
}
template <class Query>
Job ReadJob(const Query& q) {
  Job j;
  ReadJobHead(q, j);
  j.workteam_arn = q.Text(6);
  j.job_reference_code = q.Text(7);
  j.created_ms = q.Int(8);
  j.modified_ms = q.Int(9);
  j.object_count = q.Int(10);
  j.labeled = q.Int(11);
  j.failed = q.Int(12);
  j.output_written = q.Int(13) != 0;
  j.labels_json = q.Text(14);
  j.ui_template = q.Text(15);
  j.workers_per_object = q.Int(16);
  return j;
}
template <class Query>
DataObject ReadObject(const Query& q) {
  DataObject o;
  o.job_id = q.Int(0);
  o.index = q.Int(1);
  o.state = static_cast<ObjectState>(q.Int(2));
  o.line = q.Text(3);
  o.label_json = q.Text(4);
  o.failure_reason = q.Text(5);
  o.answers = q.Int(6);
  o.leases = q.Int(7);
  o.task_input_json = q.Text(8);  // NULL (not pre-processed) reads as empty
  return o;
}

// The columns of kAssignmentSelect from column `first` on.
template <class Query>
Assignment ReadAssignmentRow(const Query& q, int first = 0) {
  Assignment a;
  a.id = q.Int(first);
  a.job_id = q.Int(first + 1);
  a.object_index = q.Int(first + 2);
  a.user_id = q.Int(first + 3);
  a.state = static_cast<AssignmentState>(q.Int(first + 4));
  a.accepted_ms = q.Int(first + 5);
  a.deadline_ms = q.Int(first + 6);
  a.submitted_ms = q.Int(first + 7);
  a.answer_json = q.Text(first + 8);
  a.time_spent_s = q.Real(first + 9);
  return a;
}

template <class S>
class SqlJobs : public SqlFunctions<S> {
 public:
  // settings
  Result<std::optional<std::string>> GetSetting(const std::string& key) override;
  Status PutSetting(const std::string& key, const std::string& value) override;

  // jobs
  Result<Job> CreateJob(const Job& job) override;
  Result<Job> GetJobByName(const std::string& name) override;
  Result<Job> GetJob(int64_t id) override;
  Result<std::vector<Job>> ListJobs(const JobFilter& f) override;
  Result<JobPage> ListJobPage(const JobPageQuery& query) override;
  Status SetJobStatus(int64_t job_id, JobStatus status, const std::string& reason, int64_t now_ms,
                      const LeaseFence* fence = nullptr) override;
  Status SetJobInputs(int64_t job_id, const std::string& labels_json,
                      const std::string& ui_template, const LeaseFence* fence = nullptr) override;
  Status MarkOutputWritten(int64_t job_id, int64_t now_ms,
                           const LeaseFence* fence = nullptr) override;

  // objects
  Status DeleteObjects(int64_t job_id, const LeaseFence* fence = nullptr) override;
  Result<DataObject> GetObject(int64_t job_id, int64_t index) override;
  Status ForEachObject(int64_t job_id, const std::function<void(const DataObject&)>& fn) override;
  Status ForEachObjectLabel(int64_t job_id,
                            const std::function<void(int64_t, const std::string&)>& fn) override;
  Result<std::vector<int64_t>> ObjectsReadyToConsolidate(int64_t job_id, size_t limit) override;
  Status SetTaskInputs(int64_t job_id, const std::vector<std::pair<int64_t, std::string>>& inputs,
                       const LeaseFence* fence = nullptr) override;
  Result<std::vector<DataObject>> ObjectsToPreprocess(int64_t job_id, size_t limit) override;
  Result<int64_t> CountAvailable(int64_t job_id) override;
  Result<int64_t> CountInProgress(int64_t job_id) override;
  Result<std::vector<std::pair<int64_t, int64_t>>> ExpiredObjects(int64_t job_id,
                                                                  int64_t released_before_ms,
                                                                  size_t limit) override;
  Status ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms,
                        const LeaseFence* fence = nullptr) override;

  // runner leases (which process's runner works on a job)
  Result<int64_t> AcquireLease(const std::string& name, const std::string& holder, int64_t now_ms,
                               int64_t ttl_ms) override;
  Status ReleaseLease(const std::string& name, const std::string& holder) override;

 protected:
  // Inside a write's transaction: LeaseLost unless `fence` (when given)
  // still holds. The lease row is read with the dialect's kLeaseOfFence:
  // PostgreSQL's reads it FOR SHARE, so a takeover waits for this
  // transaction, and a takeover that committed first is what the read sees
  // (READ COMMITTED reads the newest row after the wait); in SQLite the
  // writer's transaction already sees every other write.
  Status CheckFence(const LeaseFence* fence);
};

}  // namespace plumbline::store::sql
