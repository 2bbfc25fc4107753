// The definitions of SqlJobs (sql_jobs.hpp): included once per store, by
// its job_ops.cpp, after the store's header, and instantiated there.
#pragma once

#include <algorithm>
#include <cctype>
#include <variant>

#include "common/text.hpp"
#include "store/sql/sql_jobs.hpp"

namespace plumbline::store::sql {

namespace jobs_detail {

// A JobFilter as a WHERE clause ("" for none) and the values of its
// parameters, in order. Names and work team ARNs compare without ASCII
// case, as ListJobs does, in the dialect's terms.
struct JobWhere {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;
};
template <class Dialect>
JobWhere WhereOf(const JobFilter& f) {
  JobWhere w;
  auto term = [&](const char* sql) {
    w.sql += w.sql.empty() ? " WHERE " : " AND ";
    w.sql += sql;
  };
  if (f.created_after_ms) term("created_ms > ?"), w.params.emplace_back(*f.created_after_ms);
  if (f.created_before_ms) term("created_ms < ?"), w.params.emplace_back(*f.created_before_ms);
  if (f.modified_after_ms) term("modified_ms > ?"), w.params.emplace_back(*f.modified_after_ms);
  if (f.modified_before_ms) term("modified_ms < ?"), w.params.emplace_back(*f.modified_before_ms);
  if (f.status) term("status = ?"), w.params.emplace_back(std::string(JobStatusName(*f.status)));
  if (f.unfinished_only) term("status IN ('Initializing','InProgress','Stopping')");
  if (f.workteam_arn) term(Dialect::kJobTeamIs), w.params.emplace_back(AsciiLower(*f.workteam_arn));
  if (f.name_contains)
    term(Dialect::kJobNameContains), w.params.emplace_back(AsciiLower(*f.name_contains));
  return w;
}
template <class Query>
void BindAll(Query& q, const JobWhere& w) {
  int i = 0;
  for (const auto& p : w.params) {
    if (const auto* n = std::get_if<int64_t>(&p))
      q.Bind(++i, *n);
    else
      q.Bind(++i, std::get<std::string>(p));
  }
}

}  // namespace jobs_detail

template <class S>
Result<std::optional<std::string>> SqlJobs<S>::GetSetting(const std::string& key) {
  return this->self().template Read<std::optional<std::string>>(
      [&]() -> Result<std::optional<std::string>> {
        auto q = this->self().Q("SELECT value FROM settings WHERE key=?");
        q.Bind(1, key);
        if (q.Step()) return std::optional<std::string>(q.Text(0));
        return std::optional<std::string>();
      });
}

template <class S>
Status SqlJobs<S>::PutSetting(const std::string& key, const std::string& value) {
  return this->self().template Txn<void>(changes::kSettings, [&]() -> Status {
    this->self()
        .Q("INSERT INTO settings(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET "
           "value=excluded.value")
        .Bind(1, key)
        .Bind(2, value)
        .Step();
    return {};
  });
}

template <class S>
Result<Job> SqlJobs<S>::CreateJob(const Job& job) {
  return this->self().template Txn<Job>(changes::kJobs, [&]() -> Result<Job> {
    {
      auto q = this->self().Q(S::Dialect::kJobNamed);
      q.Bind(1, job.name);
      if (q.Step()) return AlreadyExists("Job name " + job.name + " is already in use");
    }
    auto ins = this->self().Q(
        "INSERT INTO jobs(name,arn,status,failure_reason,request,workteam_arn,job_reference_code,"
        "created_ms,modified_ms,workers_per_object) VALUES(?,?,?,?,?,?,?,?,?,?) RETURNING id");
    ins.Bind(1, job.name)
        .Bind(2, job.arn)
        .Bind(3, std::string(JobStatusName(job.status)))
        .Bind(4, job.failure_reason)
        .Bind(5, job.request_json)
        .Bind(6, job.workteam_arn)
        .Bind(7, job.job_reference_code)
        .Bind(8, job.created_ms)
        .Bind(9, job.modified_ms)
        .Bind(10, std::max<int64_t>(1, job.workers_per_object))
        .Step();
    Job out = job;
    out.id = ins.Int(0);
    return out;
  });
}

template <class S>
Result<Job> SqlJobs<S>::GetJobByName(const std::string& name) {
  return this->self().template ReadOne<Job>([&]() -> Result<Job> {
    auto q = this->self().Q(S::Dialect::kJobByName);
    q.Bind(1, name);
    if (!q.Step()) return NotFound("Could not find labeling job with name " + name);
    return ReadJob(q);
  });
}

template <class S>
Result<Job> SqlJobs<S>::GetJob(int64_t id) {
  return this->self().template ReadOne<Job>([&]() -> Result<Job> {
    auto q = this->self().Q(kJobSelect " WHERE id=?");
    q.Bind(1, id);
    if (!q.Step()) return NotFound("no job with id " + std::to_string(id));
    return ReadJob(q);
  });
}

// The filter in SQL, as the job list's pages have it (WhereOf).
template <class S>
Result<std::vector<Job>> SqlJobs<S>::ListJobs(const JobFilter& f) {
  const jobs_detail::JobWhere where = jobs_detail::WhereOf<typename S::Dialect>(f);
  return this->self().template ReadOne<std::vector<Job>>([&]() -> Result<std::vector<Job>> {
    std::vector<Job> out;
    auto q = this->self().QText(kJobSelect + where.sql + " ORDER BY created_ms, id");
    jobs_detail::BindAll(q, where);
    while (q.Step()) out.push_back(ReadJob(q));
    return out;
  });
}

template <class S>
Result<JobPage> SqlJobs<S>::ListJobPage(const JobPageQuery& query) {
  if (query.offset < 0) return InvalidArgument("offset: must not be negative");
  if (query.limit < 0) return InvalidArgument("limit: must not be negative");
  const jobs_detail::JobWhere where = jobs_detail::WhereOf<typename S::Dialect>(query.filter);
  // The count and the page in one read transaction: they agree.
  return this->self().template Read<JobPage>([&]() -> Result<JobPage> {
    JobPage page;
    {
      auto q = this->self().QText("SELECT count(*) FROM jobs" + where.sql);
      jobs_detail::BindAll(q, where);
      q.Step();
      page.total = q.Int(0);
    }
    if (query.limit == 0 || query.offset >= page.total) return page;
    // Only the page's rows are read (an index gives the order), and of them
    // not the labels nor the template.
    auto q = this->self().QText(
        "SELECT id,name,arn,status,failure_reason,request,created_ms,modified_ms,object_count,"
        "labeled,failed,workers_per_object FROM jobs" +
        where.sql + S::Dialect::JobOrderBy(query.sort, query.descending) + " LIMIT ? OFFSET ?");
    jobs_detail::BindAll(q, where);
    const int at = static_cast<int>(where.params.size());
    q.Bind(at + 1, query.limit).Bind(at + 2, query.offset);
    while (q.Step()) {
      JobSummary j;
      ReadJobHead(q, j);
      j.created_ms = q.Int(6);
      j.modified_ms = q.Int(7);
      j.object_count = q.Int(8);
      j.labeled = q.Int(9);
      j.failed = q.Int(10);
      j.workers_per_object = q.Int(11);
      page.jobs.push_back(std::move(j));
    }
    return page;
  });
}

template <class S>
Status SqlJobs<S>::SetJobStatus(int64_t job_id, JobStatus status, const std::string& reason,
                                int64_t now_ms, const LeaseFence* fence) {
  return this->self().template Txn<void>(changes::kJobs, [&]() -> Status {
    PLB_TRY(this->self().CheckFence(fence));
    this->self()
        .Q("UPDATE jobs SET status=?, failure_reason=?, modified_ms=? WHERE id=?")
        .Bind(1, std::string(JobStatusName(status)))
        .Bind(2, reason)
        .Bind(3, now_ms)
        .Bind(4, job_id)
        .Step();
    return {};
  });
}

template <class S>
Status SqlJobs<S>::SetJobInputs(int64_t job_id, const std::string& labels_json,
                                const std::string& ui_template, const LeaseFence* fence) {
  return this->self().template Txn<void>(changes::kJobs, [&]() -> Status {
    PLB_TRY(this->self().CheckFence(fence));
    this->self()
        .Q("UPDATE jobs SET labels_json=?, ui_template=? WHERE id=?")
        .Bind(1, labels_json)
        .Bind(2, ui_template)
        .Bind(3, job_id)
        .Step();
    return {};
  });
}

template <class S>
Status SqlJobs<S>::MarkOutputWritten(int64_t job_id, int64_t now_ms, const LeaseFence* fence) {
  return this->self().template Txn<void>(changes::kJobs, [&]() -> Status {
    PLB_TRY(this->self().CheckFence(fence));
    this->self()
        .Q("UPDATE jobs SET output_written=1, modified_ms=? WHERE id=?")
        .Bind(1, now_ms)
        .Bind(2, job_id)
        .Step();
    return {};
  });
}

template <class S>
Status SqlJobs<S>::DeleteObjects(int64_t job_id, const LeaseFence* fence) {
  return this->self().template Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(this->self().CheckFence(fence));
    this->self().Q("DELETE FROM objects WHERE job_id=?").Bind(1, job_id).Step();
    this->self().Q("DELETE FROM assignments WHERE job_id=?").Bind(1, job_id).Step();
    this->self()
        .Q("UPDATE jobs SET object_count=0, labeled=0, failed=0 WHERE id=?")
        .Bind(1, job_id)
        .Step();
    return {};
  });
}

template <class S>
Status SqlJobs<S>::SetTaskInputs(int64_t job_id,
                                 const std::vector<std::pair<int64_t, std::string>>& inputs,
                                 const LeaseFence* fence) {
  return this->self().template Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(this->self().CheckFence(fence));
    for (const auto& [index, input] : inputs) {
      this->self()
          .Q("UPDATE objects SET task_input=? WHERE job_id=? AND idx=?")
          .Bind(1, input)
          .Bind(2, job_id)
          .Bind(3, index)
          .Step();
      if (this->self().Changes() == 0) return NotFound("no object " + std::to_string(index));
    }
    return {};
  });
}

template <class S>
Result<std::vector<DataObject>> SqlJobs<S>::ObjectsToPreprocess(int64_t job_id, size_t limit) {
  return this->self().template Read<std::vector<DataObject>>(
      [&]() -> Result<std::vector<DataObject>> {
        std::vector<DataObject> out;
        auto q = this->self().Q(S::Dialect::kObjectsToPreprocess);
        q.Bind(1, job_id).Bind(2, static_cast<int64_t>(limit));
        while (q.Step()) out.push_back(ReadObject(q));
        return out;
      });
}

template <class S>
Result<DataObject> SqlJobs<S>::GetObject(int64_t job_id, int64_t index) {
  return this->self().template Read<DataObject>([&]() -> Result<DataObject> {
    auto q = this->self().Q(kObjectSelect " WHERE job_id=? AND idx=?");
    q.Bind(1, job_id).Bind(2, index);
    if (!q.Step()) return NotFound("no object " + std::to_string(index));
    return ReadObject(q);
  });
}

template <class S>
Status SqlJobs<S>::ForEachObject(int64_t job_id, const std::function<void(const DataObject&)>& fn) {
  // Pages of rows keyed by index so the lock is not held during fn.
  int64_t next = 0;
  for (;;) {
    std::vector<DataObject> page;
    auto r = this->self().template Read<void>([&]() -> Status {
      auto q = this->self().Q(kObjectSelect " WHERE job_id=? AND idx>=? ORDER BY idx LIMIT 4096");
      q.Bind(1, job_id).Bind(2, next);
      while (q.Step()) page.push_back(ReadObject(q));
      return {};
    });
    if (!r) return r;
    if (page.empty()) return {};
    for (const auto& o : page) fn(o);
    next = page.back().index + 1;
  }
}

template <class S>
Status SqlJobs<S>::ForEachObjectLabel(int64_t job_id,
                                      const std::function<void(int64_t, const std::string&)>& fn) {
  int64_t next = 0;
  for (;;) {
    std::vector<std::pair<int64_t, std::string>> page;
    auto r = this->self().template Read<void>([&]() -> Status {
      auto q = this->self().Q(S::Dialect::kObjectLabelsPage);
      q.Bind(1, job_id).Bind(2, next);
      while (q.Step()) page.emplace_back(q.Int(0), q.Text(1));
      return {};
    });
    if (!r) return r;
    if (page.empty()) return {};
    for (const auto& [index, label] : page) fn(index, label);
    next = page.back().first + 1;
  }
}

template <class S>
Result<std::vector<int64_t>> SqlJobs<S>::ObjectsReadyToConsolidate(int64_t job_id, size_t limit) {
  return this->self().template ReadOne<std::vector<int64_t>>([&]() -> Result<std::vector<int64_t>> {
    std::vector<int64_t> out;
    auto q = this->self().Q(S::Dialect::kObjectsReadyToConsolidate);
    q.Bind(1, job_id).Bind(2, static_cast<int64_t>(limit));
    while (q.Step()) out.push_back(q.Int(0));
    return out;
  });
}

template <class S>
Result<int64_t> SqlJobs<S>::CountInProgress(int64_t job_id) {
  return this->self().template ReadOne<int64_t>([&]() -> Result<int64_t> {
    // Started objects are released ones: the count reads the window (and
    // the objects awaiting consolidation), not the whole job.
    auto q = this->self().Q(S::Dialect::kCountInProgress);
    q.Bind(1, job_id);
    q.Step();
    return q.Int(0);
  });
}

template <class S>
Result<std::vector<std::pair<int64_t, int64_t>>> SqlJobs<S>::ExpiredObjects(
    int64_t job_id, int64_t released_before_ms, size_t limit) {
  using Rows = std::vector<std::pair<int64_t, int64_t>>;
  return this->self().template ReadOne<Rows>([&]() -> Result<Rows> {
    Rows out;
    auto q = this->self().Q(S::Dialect::kExpiredObjects);
    q.Bind(1, job_id).Bind(2, released_before_ms).Bind(3, static_cast<int64_t>(limit));
    while (q.Step()) out.emplace_back(q.Int(0), q.Int(1));
    return out;
  });
}

template <class S>
Status SqlJobs<S>::ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms,
                                  const LeaseFence* fence) {
  return this->self().template Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(this->self().CheckFence(fence));
    this->self().ReleaseNext(job_id, count, now_ms);
    return {};
  });
}

template <class S>
Result<int64_t> SqlJobs<S>::CountAvailable(int64_t job_id) {
  return this->self().template ReadOne<int64_t>([&]() -> Result<int64_t> {
    // The job's counters, kept in the transactions that change object
    // states: no scan of the objects.
    auto q = this->self().Q("SELECT object_count - labeled - failed FROM jobs WHERE id=?");
    q.Bind(1, job_id);
    q.Step();
    return q.Int(0);
  });
}

// A free, expired or own lease is taken by an UPDATE, which locks the row
// only when its WHERE holds: replicas taking it at once wait for one
// another, and the later finds it taken when it checks again (PostgreSQL;
// SQLite has one writer). A lease asked for the first time is inserted,
// and of two replicas inserting it together one gets it. A replica asking
// for a lease another holds live, as every runner pass does, locks
// nothing: an upsert (ON CONFLICT DO UPDATE) locks the row it meets even
// when its WHERE leaves it alone, and on PostgreSQL that lock lasted until
// the asking writer's batch committed, while the holder, finishing
// objects, waited for the row (CheckFence, FOR SHARE) holding objects that
// batch's claims and submits waited for: a deadlock.
template <class S>
Result<int64_t> SqlJobs<S>::AcquireLease(const std::string& name, const std::string& holder,
                                         int64_t now_ms, int64_t ttl_ms) {
  if (name.empty()) return InvalidArgument("lease name must not be empty");
  if (holder.empty()) return InvalidArgument("lease holder must not be empty");
  if (ttl_ms <= 0) return InvalidArgument("lease ttl_ms must be positive");
  return this->self().template Txn<int64_t>(changes::kNone, [&]() -> Result<int64_t> {
    {
      // The epoch grows when the holder changes (SET reads the old row).
      auto taken = this->self().Q(
          "UPDATE runner_leases SET epoch=CASE WHEN holder=?2 THEN epoch ELSE epoch+1 END, "
          "holder=?2, expires_ms=?3 WHERE name=?1 AND (holder=?2 OR expires_ms<=?4) "
          "RETURNING epoch");
      taken.Bind(1, name).Bind(2, holder).Bind(3, now_ms + ttl_ms).Bind(4, now_ms);
      if (taken.Step()) return taken.Int(0);
    }
    auto made = this->self().Q(
        "INSERT INTO runner_leases(name,holder,expires_ms,epoch) VALUES(?1,?2,?3,1) "
        "ON CONFLICT(name) DO NOTHING RETURNING epoch");
    made.Bind(1, name).Bind(2, holder).Bind(3, now_ms + ttl_ms);
    if (made.Step()) return made.Int(0);
    return int64_t{0};  // another holder's lease is live
  });
}

template <class S>
Status SqlJobs<S>::ReleaseLease(const std::string& name, const std::string& holder) {
  return this->self().template Txn<void>(changes::kNone, [&]() -> Status {
    this->self()
        .Q("UPDATE runner_leases SET holder='', expires_ms=0 WHERE name=? AND holder=?")
        .Bind(1, name)
        .Bind(2, holder)
        .Step();
    return {};
  });
}

template <class S>
Status SqlJobs<S>::CheckFence(const LeaseFence* fence) {
  if (!fence) return {};
  auto q = this->self().Q(S::Dialect::kLeaseOfFence);
  q.Bind(1, fence->name);
  if (!q.Step()) return LeaseLost(*fence, "", 0);
  std::string holder = q.Text(0);
  int64_t epoch = q.Int(1);
  if (holder != fence->holder || epoch != fence->epoch) return LeaseLost(*fence, holder, epoch);
  return {};
}

}  // namespace plumbline::store::sql
