// The PostgreSQL store's settings, jobs and data objects: sql::SqlJobs over this
// store's statements, compiled here; and what this store does its own way:
// the job list's order and filter terms (as its indexes were made),
// inserting objects in bulk, finishing objects and the window of released
// objects.
#include <algorithm>

#include "store/postgresql/pg_store.hpp"
#include "store/sql/sql_jobs_impl.hpp"

namespace plumbline::store {
template class sql::SqlJobs<postgresql::PgStore>;
}  // namespace plumbline::store

namespace plumbline::store::postgresql {

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
const char* PgStore::Dialect::JobOrderBy(JobSort sort, bool descending) {
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

// A job list's filter terms: a work team's ARN and a part of the name, each
// compared with its value folded to lower case.
const char* const PgStore::Dialect::kJobTeamIs = "lower(workteam_arn COLLATE \"C\") = ?";
const char* const PgStore::Dialect::kJobNameContains = "strpos(" kJobName ", ?) > 0";

// ---------------- objects ----------------
Status PgStore::InsertObjects(int64_t job_id, const std::vector<DataObject>& objects,
                              int64_t now_ms, const LeaseFence* fence) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_TRY(CheckFence(fence));
    // Rows go in groups of kRows per statement: one round trip per group.
    // An empty task input is bound as NULL (the object awaits
    // pre-processing). A new object's pick state (plb_pick, schema.cpp)
    // follows from its state and the places it needs.
    constexpr size_t kRows = 64;
    constexpr int kCols = 9;
    static const std::string head =
        "INSERT INTO objects(job_id,idx,state,line,failure_reason,needed,task_input,pick) VALUES";
    static const std::string one = "(?,?,?,?,?,?,?,plb_pick(?,?,0,0,0,0))";
    static const std::string many = [] {
      std::string sql = head;
      for (size_t i = 0; i < kRows; ++i) sql += (i ? "," : "") + one;
      return sql;
    }();
    static const std::string single = head + one;
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
      q.Bind(base + 8, static_cast<int64_t>(o.state)).Bind(base + 9, needed);
      if (o.state == ObjectState::kFailed) ++failed;
      if (o.state == ObjectState::kSkipped) ++skipped;
    };
    for (; i + kRows <= objects.size(); i += kRows) {
      Query q = QText(many);
      for (size_t r = 0; r < kRows; ++r) bind_row(q, static_cast<int>(r) * kCols, objects[i + r]);
      q.Step();
    }
    for (; i < objects.size(); ++i) {
      Query q = Q(single.c_str());
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
    Q("UPDATE objects o SET state=t.state, label=t.label, failure_reason=t.reason, "
      "pick=plb_pick(t.state, o.needed, o.answers, o.leases, o.declines, o.released_ms) "
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

// The window: a job has at most MaxConcurrentTaskCount released objects
// that still need answers. ReleaseObjects opens it when the job starts;
// each object leaving it (all its places answered or declined, or finished
// early) releases the next object in manifest order.
// (plb_release_next, which claims and submits share: schema.cpp)
void PgStore::ReleaseNext(int64_t job_id, int64_t count, int64_t now_ms) {
  Q("SELECT plb_release_next(?,?,?)").Bind(1, job_id).Bind(2, count).Bind(3, now_ms).Step();
}

}  // namespace plumbline::store::postgresql
