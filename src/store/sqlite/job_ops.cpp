// The SQLite store's settings, jobs and data objects: sql::SqlJobs over this
// store's statements, compiled here; and what this store does its own way:
// the job list's order and filter terms (as its indexes were made),
// inserting objects in bulk, finishing objects and the window of released
// objects.
#include <algorithm>

#include "store/sql/sql_jobs_impl.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store {
template class sql::SqlJobs<sqlite::SqliteStore>;
}  // namespace plumbline::store

namespace plumbline::store::sqlite {

// A job list's progress, written as the index jobs_progress (migration 11)
// writes it: a query uses that index only for this very expression.
#define kJobProgress \
  "(CASE WHEN object_count <> 0 THEN CAST(labeled + failed AS REAL) / object_count ELSE 0.0 END)"

// The ORDER BY of each JobSort, every term in one direction, so that an
// index (migration 11; for names the column's unique NOCASE index, which
// leaves no ties) gives the order read forwards or backwards.
const char* SqliteStore::Dialect::JobOrderBy(JobSort sort, bool descending) {
  switch (sort) {
    case JobSort::kName:
      return descending ? " ORDER BY name COLLATE NOCASE DESC, created_ms DESC, id DESC"
                        : " ORDER BY name COLLATE NOCASE, created_ms, id";
    case JobSort::kStatus:
      return descending ? " ORDER BY status DESC, created_ms DESC, id DESC"
                        : " ORDER BY status, created_ms, id";
    case JobSort::kProgress:
      return descending ? " ORDER BY " kJobProgress " DESC, created_ms DESC, id DESC"
                        : " ORDER BY " kJobProgress ", created_ms, id";
    case JobSort::kCreated: break;
  }
  return descending ? " ORDER BY created_ms DESC, id DESC" : " ORDER BY created_ms, id";
}

// A job list's filter terms: a work team's ARN and a part of the name, each
// compared with its value folded to lower case.
const char* const SqliteStore::Dialect::kJobTeamIs = "workteam_arn = ? COLLATE NOCASE";
// SQLite's lower() folds ASCII letters only, as the filter's value is folded.
const char* const SqliteStore::Dialect::kJobNameContains = "instr(lower(name), ?) > 0";

// ---------------- objects ----------------
Status SqliteStore::InsertObjects(int64_t job_id, const std::vector<DataObject>& objects,
                                  int64_t now_ms, const LeaseFence* fence) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    // Rows go in groups of kRows per statement: bulk ingest of large
    // manifests spends its time in SQLite's per-statement overhead otherwise.
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
    auto bind_row = [&](sqlite3_stmt* st, int base, const DataObject& o) {
      sqlite3_bind_int64(st, base + 1, job_id);
      sqlite3_bind_int64(st, base + 2, o.index);
      sqlite3_bind_int64(st, base + 3, static_cast<int64_t>(o.state));
      sqlite3_bind_text(st, base + 4, o.line.data(), static_cast<int>(o.line.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(st, base + 5, o.failure_reason.data(),
                        static_cast<int>(o.failure_reason.size()), SQLITE_STATIC);
      sqlite3_bind_int64(st, base + 6, needed);
      if (o.task_input_json.empty())
        sqlite3_bind_null(st, base + 7);
      else
        sqlite3_bind_text(st, base + 7, o.task_input_json.data(),
                          static_cast<int>(o.task_input_json.size()), SQLITE_STATIC);
      if (o.state == ObjectState::kFailed) ++failed;
      if (o.state == ObjectState::kSkipped) ++skipped;
    };
    sqlite3_stmt* bulk = Stmt_(many.c_str());
    for (; i + kRows <= objects.size(); i += kRows) {
      Query q(Db(), bulk);
      for (size_t r = 0; r < kRows; ++r)
        bind_row(bulk, static_cast<int>(r) * kCols, objects[i + r]);
      q.Step();
    }
    sqlite3_stmt* one = Stmt_(
        "INSERT INTO objects(job_id,idx,state,line,failure_reason,needed,task_input) "
        "VALUES(?,?,?,?,?,?,?)");
    for (; i < objects.size(); ++i) {
      Query q(Db(), one);
      bind_row(one, 0, objects[i]);
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
Result<std::vector<Status>> SqliteStore::FinishObjects(int64_t job_id,
                                                       const std::vector<ObjectOutcome>& outcomes,
                                                       int64_t now_ms, const LeaseFence* fence) {
  return Txn<std::vector<Status>>(changes::kWork, [&]() -> Result<std::vector<Status>> {
    PLB_TRY(CheckFence(fence));
    std::vector<Status> out;
    out.reserve(outcomes.size());
    for (const auto& o : outcomes) out.push_back(FinishLocked(job_id, o, now_ms));
    return out;
  });
}
Status SqliteStore::FinishLocked(int64_t job_id, const ObjectOutcome& o, int64_t now_ms) {
  bool was_in_window = false;
  {
    Query q =
        Q("SELECT state, released_ms > 0 AND (answers + declines) < needed FROM objects "
          "WHERE job_id=? AND idx=?");
    q.Bind(1, job_id).Bind(2, o.index);
    if (!q.Step()) return NotFound("no object " + std::to_string(o.index));
    if (q.Int(0) != 0) return Conflict("object " + std::to_string(o.index) + " already finished");
    was_in_window = q.Int(1) != 0;
  }
  Q("UPDATE objects SET state=?, label=?, failure_reason=? WHERE job_id=? AND idx=?")
      .Bind(1, static_cast<int64_t>(o.state))
      .Bind(2, o.label_json)
      .Bind(3, o.failure_reason)
      .Bind(4, job_id)
      .Bind(5, o.index)
      .Step();
  if (o.state == ObjectState::kLabeled)
    Q("UPDATE jobs SET labeled=labeled+1, modified_ms=? WHERE id=?")
        .Bind(1, now_ms)
        .Bind(2, job_id)
        .Step();
  else if (o.state == ObjectState::kSkipped)
    Q("UPDATE jobs SET object_count=object_count-1, modified_ms=? WHERE id=?")
        .Bind(1, now_ms)
        .Bind(2, job_id)
        .Step();
  else
    Q("UPDATE jobs SET failed=failed+1, modified_ms=? WHERE id=?")
        .Bind(1, now_ms)
        .Bind(2, job_id)
        .Step();
  if (was_in_window) ReleaseNext(job_id, 1, now_ms);
  return {};
}

// The window: a job has at most MaxConcurrentTaskCount released objects
// that still need answers. ReleaseObjects opens it when the job starts;
// each object leaving it (all its places answered or declined, or finished
// early) releases the next object in manifest order.
void SqliteStore::ReleaseNext(int64_t job_id, int64_t count, int64_t now_ms) {
  Q("UPDATE objects SET released_ms=?1 WHERE job_id=?2 AND idx IN (SELECT idx FROM objects "
    "INDEXED BY objects_unreleased WHERE job_id=?2 AND state=0 AND released_ms=0 ORDER BY idx "
    "LIMIT ?3)")
      .Bind(1, std::max<int64_t>(now_ms, 1))
      .Bind(2, job_id)
      .Bind(3, count)
      .Step();
}

}  // namespace plumbline::store::sqlite
