// The PostgreSQL store: settings, jobs, data objects and the window of released
// objects.
#include <algorithm>
#include <cctype>
#include <variant>

#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {
namespace {

bool EqualsNoCase(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}
bool ContainsNoCase(const std::string& hay, const std::string& needle) {
  std::string h = hay, n = needle;
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.find(n) != std::string::npos;
}

std::string LowerAscii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A job list's keys, written as the indexes of migration 5 write them: a
// query uses an expression index only for the same expression. lower() and
// comparisons under the "C" collation fold and order bytes, ASCII letters
// only, whatever the database's collation.
#define kJobName "lower(name COLLATE \"C\")"
#define kJobStatus "(status COLLATE \"C\")"
#define kJobProgress                                                                    \
  "(CASE WHEN object_count <> 0 THEN (labeled + failed)::float8 / object_count::float8 " \
  "ELSE 0::float8 END)"

// The ORDER BY of each JobSort, every term in one direction, so that an
// index of migration 5 gives the order read forwards or backwards.
const char* JobOrderBy(JobSort sort, bool descending) {
  switch (sort) {
    case JobSort::kName:
      return descending ? " ORDER BY " kJobName " DESC, created_ms DESC, id DESC"
                        : " ORDER BY " kJobName ", created_ms, id";
    case JobSort::kStatus:
      return descending ? " ORDER BY " kJobStatus " DESC, created_ms DESC, id DESC"
                        : " ORDER BY " kJobStatus ", created_ms, id";
    case JobSort::kProgress:
      return descending ? " ORDER BY " kJobProgress " DESC, created_ms DESC, id DESC"
                        : " ORDER BY " kJobProgress ", created_ms, id";
    case JobSort::kCreated: break;
  }
  return descending ? " ORDER BY created_ms DESC, id DESC" : " ORDER BY created_ms, id";
}

// A JobFilter as a WHERE clause ("" for none) and the values of its
// parameters, in order. Names and work team ARNs compare without ASCII
// case, as ListJobs does.
struct JobWhere {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;
};
JobWhere WhereOf(const JobFilter& f) {
  JobWhere w;
  auto term = [&](const char* sql) { w.sql += w.sql.empty() ? " WHERE " : " AND "; w.sql += sql; };
  if (f.created_after_ms) term("created_ms > ?"), w.params.emplace_back(*f.created_after_ms);
  if (f.created_before_ms) term("created_ms < ?"), w.params.emplace_back(*f.created_before_ms);
  if (f.modified_after_ms) term("modified_ms > ?"), w.params.emplace_back(*f.modified_after_ms);
  if (f.modified_before_ms) term("modified_ms < ?"), w.params.emplace_back(*f.modified_before_ms);
  if (f.status) term("status = ?"), w.params.emplace_back(std::string(JobStatusName(*f.status)));
  if (f.unfinished_only) term("status IN ('Initializing','InProgress','Stopping')");
  if (f.workteam_arn)
    term("lower(workteam_arn COLLATE \"C\") = ?"), w.params.emplace_back(LowerAscii(*f.workteam_arn));
  if (f.name_contains)
    term("strpos(" kJobName ", ?) > 0"), w.params.emplace_back(LowerAscii(*f.name_contains));
  return w;
}
void BindAll(Query& q, const JobWhere& w) {
  int i = 0;
  for (const auto& p : w.params) {
    if (const auto* n = std::get_if<int64_t>(&p)) q.Bind(++i, *n);
    else q.Bind(++i, std::get<std::string>(p));
  }
}

}  // namespace

Job ReadJob(const Query& q) {
  Job j;
  j.id = q.Int(0);
  j.name = q.Text(1);
  j.arn = q.Text(2);
  j.status = ParseJobStatus(q.Text(3)).value_or(JobStatus::kFailed);
  j.failure_reason = q.Text(4);
  j.request_json = q.Text(5);
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

// ---------------- settings ----------------
Result<std::optional<std::string>> PgStore::GetSetting(const std::string& key) {
  return Read<std::optional<std::string>>([&]() -> Result<std::optional<std::string>> {
    Query q = Q("SELECT value FROM settings WHERE key=?");
    q.Bind(1, key);
    if (q.Step()) return std::optional<std::string>(q.Text(0));
    return std::optional<std::string>();
  });
}
Status PgStore::PutSetting(const std::string& key, const std::string& value) {
  return Txn<void>(changes::kSettings, [&]() -> Status {
    Q("INSERT INTO settings(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET "
      "value=excluded.value")
        .Bind(1, key)
        .Bind(2, value)
        .Step();
    return {};
  });
}

// ---------------- jobs ----------------
Result<Job> PgStore::CreateJob(const Job& job) {
  return Txn<Job>(changes::kJobs, [&]() -> Result<Job> {
    {
      Query q = Q("SELECT 1 FROM jobs WHERE lower(name)=lower(?)");
      q.Bind(1, job.name);
      if (q.Step()) return AlreadyExists("Job name " + job.name + " is already in use");
    }
    Query ins = Q(
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
Result<Job> PgStore::GetJobByName(const std::string& name) {
  return ReadOne<Job>([&]() -> Result<Job> {
    Query q = Q(kJobSelect " WHERE lower(name)=lower(?)");
    q.Bind(1, name);
    if (!q.Step()) return NotFound("Could not find labeling job with name " + name);
    return ReadJob(q);
  });
}
Result<Job> PgStore::GetJob(int64_t id) {
  return ReadOne<Job>([&]() -> Result<Job> {
    Query q = Q(kJobSelect " WHERE id=?");
    q.Bind(1, id);
    if (!q.Step()) return NotFound("no job with id " + std::to_string(id));
    return ReadJob(q);
  });
}
Result<std::vector<Job>> PgStore::ListJobs(const JobFilter& f) {
  return ReadOne<std::vector<Job>>([&]() -> Result<std::vector<Job>> {
    std::vector<Job> out;
    Query q =
        Q(f.unfinished_only ? kJobSelect
              " WHERE status IN ('Initializing','InProgress','Stopping') ORDER BY created_ms, id"
                            : kJobSelect " ORDER BY created_ms, id");
    while (q.Step()) {
      Job j = ReadJob(q);
      if (f.created_after_ms && !(j.created_ms > *f.created_after_ms)) continue;
      if (f.created_before_ms && !(j.created_ms < *f.created_before_ms)) continue;
      if (f.modified_after_ms && !(j.modified_ms > *f.modified_after_ms)) continue;
      if (f.modified_before_ms && !(j.modified_ms < *f.modified_before_ms)) continue;
      if (f.status && j.status != *f.status) continue;
      if (f.workteam_arn && !EqualsNoCase(j.workteam_arn, *f.workteam_arn)) continue;
      if (f.name_contains && !ContainsNoCase(j.name, *f.name_contains)) continue;
      out.push_back(std::move(j));
    }
    return out;
  });
}
Result<JobPage> PgStore::ListJobPage(const JobPageQuery& query) {
  if (query.offset < 0) return InvalidArgument("offset: must not be negative");
  if (query.limit < 0) return InvalidArgument("limit: must not be negative");
  const JobWhere where = WhereOf(query.filter);
  // The count and the page in one read transaction: they agree.
  return Read<JobPage>([&]() -> Result<JobPage> {
    JobPage page;
    {
      Query q = QText("SELECT count(*) FROM jobs" + where.sql);
      BindAll(q, where);
      q.Step();
      page.total = q.Int(0);
    }
    if (query.limit == 0 || query.offset >= page.total) return page;
    // Only the page's rows are read, and of them not the labels nor the
    // template.
    Query q = QText(
        "SELECT id,name,arn,status,failure_reason,request,created_ms,modified_ms,object_count,"
        "labeled,failed,workers_per_object FROM jobs" +
        where.sql + JobOrderBy(query.sort, query.descending) + " LIMIT ? OFFSET ?");
    BindAll(q, where);
    const int at = static_cast<int>(where.params.size());
    q.Bind(at + 1, query.limit).Bind(at + 2, query.offset);
    while (q.Step()) {
      JobSummary j;
      j.id = q.Int(0);
      j.name = q.Text(1);
      j.arn = q.Text(2);
      j.status = ParseJobStatus(q.Text(3)).value_or(JobStatus::kFailed);
      j.failure_reason = q.Text(4);
      j.request_json = q.Text(5);
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
Status PgStore::SetJobStatus(int64_t job_id, JobStatus status, const std::string& reason,
                             int64_t now_ms, const LeaseFence* fence) {
  return Txn<void>(changes::kJobs, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    Q("UPDATE jobs SET status=?, failure_reason=?, modified_ms=? WHERE id=?")
        .Bind(1, std::string(JobStatusName(status)))
        .Bind(2, reason)
        .Bind(3, now_ms)
        .Bind(4, job_id)
        .Step();
    return {};
  });
}
Status PgStore::SetJobInputs(int64_t job_id, const std::string& labels_json,
                             const std::string& ui_template, const LeaseFence* fence) {
  return Txn<void>(changes::kJobs, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    Q("UPDATE jobs SET labels_json=?, ui_template=? WHERE id=?")
        .Bind(1, labels_json)
        .Bind(2, ui_template)
        .Bind(3, job_id)
        .Step();
    return {};
  });
}
Status PgStore::MarkOutputWritten(int64_t job_id, int64_t now_ms, const LeaseFence* fence) {
  return Txn<void>(changes::kJobs, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    Q("UPDATE jobs SET output_written=1, modified_ms=? WHERE id=?")
        .Bind(1, now_ms)
        .Bind(2, job_id)
        .Step();
    return {};
  });
}

// ---------------- objects ----------------
Status PgStore::DeleteObjects(int64_t job_id, const LeaseFence* fence) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    Q("DELETE FROM objects WHERE job_id=?").Bind(1, job_id).Step();
    Q("DELETE FROM assignments WHERE job_id=?").Bind(1, job_id).Step();
    Q("UPDATE jobs SET object_count=0, labeled=0, failed=0 WHERE id=?").Bind(1, job_id).Step();
    return {};
  });
}
Status PgStore::InsertObjects(int64_t job_id, const std::vector<DataObject>& objects,
                              int64_t now_ms, const LeaseFence* fence) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    // Rows go in groups of kRows per statement: one round trip per group.
    // An empty task input is bound as NULL (the object awaits
    // pre-processing).
    constexpr size_t kRows = 64;
    constexpr int kCols = 7;
    static const std::string many = [] {
      std::string sql =
          "INSERT INTO objects(job_id,idx,state,line,failure_reason,needed,task_input) VALUES";
      for (size_t i = 0; i < kRows; ++i) sql += i ? ",(?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?)";
      return sql;
    }();
    int64_t needed = 1;
    {
      Query q = Q("SELECT workers_per_object FROM jobs WHERE id=?");
      q.Bind(1, job_id);
      if (!q.Step()) return NotFound("no job with id " + std::to_string(job_id));
      needed = q.Int(0);
    }
    int64_t failed = 0, skipped = 0;
    size_t i = 0;
    auto bind_row = [&](Query& q, int base, const DataObject& o) {
      q.Bind(base + 1, job_id)
          .Bind(base + 2, o.index)
          .Bind(base + 3, static_cast<int64_t>(o.state))
          .Bind(base + 4, o.line)
          .Bind(base + 5, o.failure_reason)
          .Bind(base + 6, needed);
      if (!o.task_input_json.empty()) q.Bind(base + 7, o.task_input_json);  // else NULL
      if (o.state == ObjectState::kFailed) ++failed;
      if (o.state == ObjectState::kSkipped) ++skipped;
    };
    for (; i + kRows <= objects.size(); i += kRows) {
      Query q = QText(many);
      for (size_t r = 0; r < kRows; ++r) bind_row(q, static_cast<int>(r) * kCols, objects[i + r]);
      q.Step();
    }
    for (; i < objects.size(); ++i) {
      Query q =
          Q("INSERT INTO objects(job_id,idx,state,line,failure_reason,needed,task_input) "
            "VALUES(?,?,?,?,?,?,?)");
      bind_row(q, 0, objects[i]);
      q.Step();
    }
    Q("UPDATE jobs SET object_count=object_count+?, failed=failed+?, modified_ms=? WHERE id=?")
        .Bind(1, static_cast<int64_t>(objects.size()) - skipped)
        .Bind(2, failed)
        .Bind(3, now_ms)
        .Bind(4, job_id)
        .Step();
    return {};
  });
}
Status PgStore::SetTaskInputs(int64_t job_id,
                              const std::vector<std::pair<int64_t, std::string>>& inputs,
                              const LeaseFence* fence) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    for (const auto& [index, input] : inputs) {
      Q("UPDATE objects SET task_input=? WHERE job_id=? AND idx=?")
          .Bind(1, input)
          .Bind(2, job_id)
          .Bind(3, index)
          .Step();
      if (Changes() == 0) return NotFound("no object " + std::to_string(index));
    }
    return {};
  });
}
Result<std::vector<DataObject>> PgStore::ObjectsToPreprocess(int64_t job_id, size_t limit) {
  return Read<std::vector<DataObject>>([&]() -> Result<std::vector<DataObject>> {
    std::vector<DataObject> out;
    Query q = Q(kObjectSelect
                " WHERE job_id=? AND state=0 AND "
                "task_input IS NULL ORDER BY idx LIMIT ?");
    q.Bind(1, job_id).Bind(2, static_cast<int64_t>(limit));
    while (q.Step()) out.push_back(ReadObject(q));
    return out;
  });
}
Result<DataObject> PgStore::GetObject(int64_t job_id, int64_t index) {
  return Read<DataObject>([&]() -> Result<DataObject> {
    Query q = Q(kObjectSelect " WHERE job_id=? AND idx=?");
    q.Bind(1, job_id).Bind(2, index);
    if (!q.Step()) return NotFound("no object " + std::to_string(index));
    return ReadObject(q);
  });
}
Status PgStore::ForEachObject(int64_t job_id,
                                  const std::function<void(const DataObject&)>& fn) {
  // Pages of rows keyed by index so the lock is not held during fn.
  int64_t next = 0;
  for (;;) {
    std::vector<DataObject> page;
    auto r = Read<void>([&]() -> Status {
      Query q = Q(kObjectSelect " WHERE job_id=? AND idx>=? ORDER BY idx LIMIT 4096");
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
Status PgStore::ForEachObjectLabel(
    int64_t job_id, const std::function<void(int64_t, const std::string&)>& fn) {
  int64_t next = 0;
  for (;;) {
    std::vector<std::pair<int64_t, std::string>> page;
    auto r = Read<void>([&]() -> Status {
      Query q = Q("SELECT idx,label FROM objects WHERE job_id=? AND state=1 AND idx>=? "
                  "ORDER BY idx LIMIT 4096");
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
Result<std::vector<int64_t>> PgStore::ObjectsReadyToConsolidate(int64_t job_id, size_t limit) {
  return ReadOne<std::vector<int64_t>>([&]() -> Result<std::vector<int64_t>> {
    std::vector<int64_t> out;
    Query q =
        Q("SELECT idx FROM objects WHERE job_id=? AND state=0 AND "
          "needed <= (answers + declines) "
          "ORDER BY idx LIMIT ?");
    q.Bind(1, job_id).Bind(2, static_cast<int64_t>(limit));
    while (q.Step()) out.push_back(q.Int(0));
    return out;
  });
}
// A few statements for the whole call, not three per object: the objects
// are locked and read in one (in index order, so two callers lock them in
// the same order), the finished ones updated in one, the window refilled
// by one release of as many objects as left it, and the job's counters
// written once (each update of the job row is a new version of it, with
// entries in its indexes, which every claim reads).
Result<std::vector<Status>> PgStore::FinishObjects(int64_t job_id,
                                                   const std::vector<ObjectOutcome>& outcomes,
                                                   int64_t now_ms, const LeaseFence* fence) {
  return Txn<std::vector<Status>>(changes::kWork, [&]() -> Result<std::vector<Status>> {
    PLB_TRY(CheckFence(fence));
    struct Found {
      bool open = false;       // not finished yet (nor by an earlier outcome of this call)
      bool in_window = false;  // released and still needing answers
    };
    std::unordered_map<int64_t, Found> found;
    {
      ArrayLiteral wanted;
      for (const auto& o : outcomes) wanted.Add(o.index);
      Query q = Q(
          "SELECT idx, state, released_ms > 0 AND (answers + declines) < needed FROM objects "
          "WHERE job_id=? AND idx=ANY(?::bigint[]) ORDER BY idx FOR UPDATE");
      q.Bind(1, job_id).Bind(2, wanted.Done());
      while (q.Step()) found[q.Int(0)] = Found{q.Int(1) == 0, q.Int(2) != 0};
    }
    std::vector<Status> out;
    out.reserve(outcomes.size());
    JobCounts counts;
    int64_t left_window = 0;
    ArrayLiteral idx, state, label, reason;
    for (const auto& o : outcomes) {
      auto it = found.find(o.index);
      if (it == found.end()) {
        out.push_back(NotFound("no object " + std::to_string(o.index)));
        continue;
      }
      if (!it->second.open) {
        out.push_back(Conflict("object " + std::to_string(o.index) + " already finished"));
        continue;
      }
      it->second.open = false;
      if (it->second.in_window) ++left_window;
      idx.Add(o.index);
      state.Add(static_cast<int64_t>(o.state));
      label.AddText(o.label_json);
      reason.AddText(o.failure_reason);
      if (o.state == ObjectState::kLabeled)
        ++counts.labeled;
      else if (o.state == ObjectState::kSkipped)  // needs no label: leaves the job's total
        ++counts.skipped;
      else
        ++counts.failed;
      out.push_back({});
    }
    if (counts.labeled + counts.skipped + counts.failed == 0) return out;
    Q("UPDATE objects o SET state=t.state, label=t.label, failure_reason=t.reason "
      "FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[]) AS t(idx, state, label, reason) "
      "WHERE o.job_id=? AND o.idx=t.idx")
        .Bind(1, idx.Done())
        .Bind(2, state.Done())
        .Bind(3, label.Done())
        .Bind(4, reason.Done())
        .Bind(5, job_id)
        .Step();
    if (left_window > 0) ReleaseNext(job_id, left_window, now_ms);
    Q("UPDATE jobs SET labeled=labeled+?, object_count=object_count-?, failed=failed+?, "
      "modified_ms=? WHERE id=?")
        .Bind(1, counts.labeled)
        .Bind(2, counts.skipped)
        .Bind(3, counts.failed)
        .Bind(4, now_ms)
        .Bind(5, job_id)
        .Step();
    return out;
  });
}
Result<int64_t> PgStore::CountInProgress(int64_t job_id) {
  return ReadOne<int64_t>([&]() -> Result<int64_t> {
    // Started objects are released ones: the count reads the window (and
    // the objects awaiting consolidation), not the whole job.
    Query q =
        Q("SELECT count(*) FROM objects WHERE job_id=? AND "
          "state=0 AND released_ms > 0 AND (answers + leases) > 0");
    q.Bind(1, job_id);
    q.Step();
    return q.Int(0);
  });
}
Result<std::vector<std::pair<int64_t, int64_t>>> PgStore::ExpiredObjects(
    int64_t job_id, int64_t released_before_ms, size_t limit) {
  using Rows = std::vector<std::pair<int64_t, int64_t>>;
  return ReadOne<Rows>([&]() -> Result<Rows> {
    Rows out;
    Query q =
        Q("SELECT idx, answers FROM objects WHERE job_id=? AND "
          "state=0 AND released_ms>0 AND released_ms<? AND leases=0 ORDER BY released_ms, idx "
          "LIMIT ?");
    q.Bind(1, job_id).Bind(2, released_before_ms).Bind(3, static_cast<int64_t>(limit));
    while (q.Step()) out.emplace_back(q.Int(0), q.Int(1));
    return out;
  });
}
Status PgStore::ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms,
                               const LeaseFence* fence) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    ReleaseNext(job_id, count, now_ms);
    return {};
  });
}
Result<int64_t> PgStore::CountAvailable(int64_t job_id) {
  return ReadOne<int64_t>([&]() -> Result<int64_t> {
    // The job's counters, kept in the transactions that change object
    // states: no scan of the objects.
    Query q = Q("SELECT object_count - labeled - failed FROM jobs WHERE id=?");
    q.Bind(1, job_id);
    q.Step();
    return q.Int(0);
  });
}

// The window: a job has at most MaxConcurrentTaskCount released objects
// that still need answers. ReleaseObjects opens it when the job starts;
// each object leaving it (all its places answered or declined, or finished
// early) releases the next object in manifest order.
// (plb_release_next, which claims and submits share: schema.cpp)
void PgStore::ReleaseNext(int64_t job_id, int64_t count, int64_t now_ms) {
  Q("SELECT plb_release_next(?,?,?)").Bind(1, job_id).Bind(2, count).Bind(3, now_ms).Step();
}

}  // namespace plumbline::store::postgresql
