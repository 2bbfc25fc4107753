// The SQLite store: claims, submits, leases and answers.

#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store::sqlite {

Result<Assignment> SqliteStore::ReadAssignment(int64_t id) {
  Query q = Q(kAssignmentSelect " WHERE id=?");
  q.Bind(1, id);
  if (!q.Step()) return NotFound("no task " + std::to_string(id));
  return ReadAssignmentRow(q);
}
void SqliteStore::ExpireOne(const Assignment& a) {
  Q("UPDATE assignments SET state=4 WHERE id=? AND state=0").Bind(1, a.id).Step();
  Q("UPDATE objects SET leases=leases-1 WHERE job_id=? AND idx=?")
      .Bind(1, a.job_id)
      .Bind(2, a.object_index)
      .Step();
}
// The assignment's object as a claim hands it out: its line and task input.
void SqliteStore::FillObjectOf(Assignment& a) {
  Query q = Q("SELECT line, task_input FROM objects WHERE job_id=? AND idx=?");
  q.Bind(1, a.job_id).Bind(2, a.object_index);
  if (!q.Step()) return;
  a.object_line = q.Text(0);
  a.task_input_json = q.Text(1);
}

// ---------------- assignments ----------------
// A worker write's check of the identity version it was authorised under
// (Store::ClaimAsync), in the write's transaction; 0 checks nothing.
Status SqliteStore::CheckIdentityLocked(int64_t identity_version) {
  if (identity_version <= 0) return {};
  const int64_t now = ReadIdentityVersion();
  if (now == identity_version) return {};
  counters_.IdentityRefused();
  return IdentityChanged(identity_version, now);
}

void SqliteStore::ClaimAsync(const ClaimRequest& r, int64_t identity_version,
                             Done<std::optional<Assignment>> done) {
  TxnAsync<std::optional<Assignment>>(
      changes::kWork,
      [this, r, identity_version]() -> Result<std::optional<Assignment>> {
        PLB_TRY(CheckIdentityLocked(identity_version));
        auto claimed = ClaimLocked(r);
        // A claim that found nothing to hand out changed nothing.
        if (claimed && !claimed->has_value()) Touched(changes::kNone);
        return claimed;
      },
      [this, done = std::move(done)](Result<std::optional<Assignment>> res) {
        if (res) counters_.Claimed(res->has_value());
        done(std::move(res));
      });
}
void SqliteStore::SubmitAsync(int64_t id, int64_t user_id, std::string answer_json,
                              double time_spent_s, int64_t now_ms, int64_t identity_version,
                              Done<SubmitOutcome> done) {
  TxnAsync<SubmitOutcome>(
      changes::kWork,
      [this, id, user_id, answer = std::move(answer_json), time_spent_s, now_ms,
       identity_version]() -> Result<SubmitOutcome> {
        PLB_TRY(CheckIdentityLocked(identity_version));
        return SubmitLocked(id, user_id, answer, time_spent_s, now_ms);
      },
      [this, done = std::move(done)](Result<SubmitOutcome> res) {
        if (res) counters_.Submitted(*res == SubmitOutcome::kAlreadySubmitted);
        done(std::move(res));
      });
}
void SqliteStore::SubmitAndClaimAsync(int64_t id, int64_t user_id, std::string answer_json,
                                      double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                                      int64_t identity_version, Done<SubmittedAndClaimed> done) {
  TxnAsync<SubmittedAndClaimed>(
      changes::kWork,
      [this, id, user_id, answer = std::move(answer_json), time_spent_s, now_ms, next,
       identity_version]() -> Result<SubmittedAndClaimed> {
        PLB_TRY(CheckIdentityLocked(identity_version));
        return SubmitAndClaimLocked(id, user_id, answer, time_spent_s, now_ms, next);
      },
      [this, done = std::move(done)](Result<SubmittedAndClaimed> res) {
        if (res) {
          counters_.Submitted(res->first == SubmitOutcome::kAlreadySubmitted);
          counters_.Claimed(res->second.has_value());
        }
        done(std::move(res));
      });
}
Result<SqliteStore::SubmittedAndClaimed> SqliteStore::SubmitAndClaimLocked(int64_t id, int64_t user_id,
                                                              const std::string& answer_json,
                                                              double time_spent_s, int64_t now_ms,
                                                              const ClaimRequest& next) {
  PLB_ASSIGN_OR_RETURN(SubmitOutcome outcome,
                       SubmitLocked(id, user_id, answer_json, time_spent_s, now_ms));
  PLB_ASSIGN_OR_RETURN(std::optional<Assignment> claimed, ClaimLocked(next));
  return SubmittedAndClaimed{outcome, std::move(claimed)};
}
Result<std::optional<Assignment>> SqliteStore::ClaimLocked(const ClaimRequest& r) {
  // The job's state as of this transaction: callers may decide from a
  // copy of the job read earlier.
  bool start_new_objects = r.start_new_objects;
  {
    Query q = Q("SELECT status, labeled FROM jobs WHERE id=?");
    q.Bind(1, r.job_id);
    if (!q.Step() || q.Text(0) != JobStatusName(JobStatus::kInProgress))
      return std::optional<Assignment>();
    if (r.stop_at_labeled > 0 && q.Int(1) >= r.stop_at_labeled) start_new_objects = false;
  }
  ExpireLocked(r.now_ms);
  // A worker who already holds a live task of this job gets it back (a
  // reloaded page, or a reply lost in a crash), rather than a second one.
  {
    Query q = Q(kAssignmentSelect " WHERE user_id=? AND job_id=? AND state=0 ORDER BY id LIMIT 1");
    q.Bind(1, r.user_id).Bind(2, r.job_id);
    if (q.Step()) {
      Assignment held = ReadAssignmentRow(q);
      FillObjectOf(held);
      return std::optional<Assignment>(std::move(held));
    }
  }
  // Prefer objects already in progress so they finish first; then the
  // first released object nobody has started, in manifest order. The
  // window of released objects holds at most MaxConcurrentTaskCount
  // unfinished ones (see ReleaseNext), which bounds the objects in
  // progress. Objects released before `cutoff` are past their
  // availability lifetime and no longer handed out. With
  // require_task_input, objects not pre-processed yet are passed over (the
  // queries differ only in that term, so each keeps its partial index).
  const int64_t cutoff = r.now_ms - r.availability_ms;
  std::optional<int64_t> pick;
  {
#define kOpenQuery(extra)                                                                    \
  "SELECT o.idx FROM objects o INDEXED BY objects_open WHERE o.job_id=?1 AND o.state = 0 "   \
  "AND (o.answers + o.leases + o.declines) > 0 AND "                                         \
  "o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= ?3 " extra            \
  "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.job_id=o.job_id AND a.idx=o.idx AND " \
  "a.user_id=?2 AND a.state IN (0,1,3)) ORDER BY o.idx LIMIT 1"
    Query q =
        Q(r.require_task_input ? kOpenQuery("AND o.task_input IS NOT NULL ") : kOpenQuery(""));
#undef kOpenQuery
    q.Bind(1, r.job_id).Bind(2, r.user_id).Bind(3, cutoff);
    if (q.Step()) pick = q.Int(0);
  }
  if (!pick && start_new_objects) {
#define kReadyQuery(extra)                                                         \
  "SELECT idx FROM objects INDEXED BY objects_ready WHERE job_id=? AND state = 0 " \
  "AND released_ms > 0 AND answers = 0 AND leases = 0 AND declines = 0 AND "       \
  "released_ms >= ? " extra "ORDER BY idx LIMIT 1"
    Query q =
        Q(r.require_task_input ? kReadyQuery("AND task_input IS NOT NULL ") : kReadyQuery(""));
#undef kReadyQuery
    q.Bind(1, r.job_id).Bind(2, cutoff);
    if (q.Step()) pick = q.Int(0);
  }
  if (!pick) return std::optional<Assignment>();
  Assignment a;
  a.job_id = r.job_id;
  a.object_index = *pick;
  a.user_id = r.user_id;
  a.state = AssignmentState::kLeased;
  a.accepted_ms = r.now_ms;
  a.deadline_ms = r.now_ms + r.lease_ms;
  Q("INSERT INTO assignments(job_id,idx,user_id,state,accepted_ms,deadline_ms) VALUES(?,?,?,0,?,?)")
      .Bind(1, a.job_id)
      .Bind(2, a.object_index)
      .Bind(3, a.user_id)
      .Bind(4, a.accepted_ms)
      .Bind(5, a.deadline_ms)
      .Step();
  a.id = sqlite3_last_insert_rowid(Db());
  {
    // The lease and the object's line and task input in one statement.
    Query q =
        Q("UPDATE objects SET leases=leases+1 WHERE job_id=? AND idx=? "
          "RETURNING line, task_input");
    q.Bind(1, a.job_id).Bind(2, a.object_index);
    if (q.Step()) {
      a.object_line = q.Text(0);
      a.task_input_json = q.Text(1);
    }
  }
  return std::optional<Assignment>(a);
}
Result<Assignment> SqliteStore::GetAssignment(int64_t id) {
  return Read<Assignment>([&]() -> Result<Assignment> { return ReadAssignment(id); });
}
Result<SubmitOutcome> SqliteStore::SubmitLocked(int64_t id, int64_t user_id,
                                                const std::string& answer_json, double time_spent_s,
                                                int64_t now_ms) {
  PLB_ASSIGN_OR_RETURN(Assignment a, ReadAssignment(id));
  if (a.user_id != user_id) return Conflict("task " + std::to_string(id) + " is not yours");
  if (a.state == AssignmentState::kSubmitted) return SubmitOutcome::kAlreadySubmitted;
  {
    Query q = Q("SELECT name, status FROM jobs WHERE id=?");
    q.Bind(1, a.job_id);
    if (q.Step() && q.Text(1) != JobStatusName(JobStatus::kInProgress))
      return Conflict("job " + q.Text(0) + " is " + q.Text(1));
  }
  if (a.state != AssignmentState::kLeased || now_ms > a.deadline_ms) {
    return Conflict("the lease on task " + std::to_string(id) + " has ended");
  }
  double spent =
      time_spent_s > 0 ? time_spent_s : static_cast<double>(now_ms - a.accepted_ms) / 1000.0;
  Q("UPDATE assignments SET state=1, submitted_ms=?, answer=?, time_spent=? WHERE id=?")
      .Bind(1, now_ms)
      .Bind(2, answer_json)
      .Bind(3, spent)
      .Bind(4, id)
      .Step();
  EndLeaseOf(a, /*answered=*/true, /*declined=*/false, now_ms);
  return SubmitOutcome::kAccepted;
}
Status SqliteStore::EndLease(int64_t id, int64_t user_id, AssignmentState new_state,
                             int64_t now_ms) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_ASSIGN_OR_RETURN(Assignment a, ReadAssignment(id));
    if (a.user_id != user_id) return Conflict("task " + std::to_string(id) + " is not yours");
    if (a.state != AssignmentState::kLeased || now_ms > a.deadline_ms) {
      return Conflict("the lease on task " + std::to_string(id) + " has ended");
    }
    Q("UPDATE assignments SET state=? WHERE id=?")
        .Bind(1, static_cast<int64_t>(new_state))
        .Bind(2, id)
        .Step();
    // A decline uses up one of the object's N places for good.
    EndLeaseOf(a, /*answered=*/false, new_state == AssignmentState::kDeclined, now_ms);
    return {};
  });
}
Result<int64_t> SqliteStore::ExpireLeases(int64_t now_ms) {
  return Txn<int64_t>(changes::kWork, [&]() -> Result<int64_t> {
    int64_t expired = ExpireLocked(now_ms);
    if (expired == 0) Touched(changes::kNone);  // every runner pass asks: most find none
    return expired;
  });
}
Result<std::vector<ObjectAnswers>> SqliteStore::GetObjectsWithAnswers(
    int64_t job_id, const std::vector<int64_t>& indexes) {
  return Read<std::vector<ObjectAnswers>>([&]() -> Result<std::vector<ObjectAnswers>> {
    std::vector<ObjectAnswers> out;
    out.reserve(indexes.size());
    for (int64_t idx : indexes) {
      ObjectAnswers oa;
      {
        Query q = Q(kObjectSelect " WHERE job_id=? AND idx=?");
        q.Bind(1, job_id).Bind(2, idx);
        if (!q.Step()) return NotFound("no object " + std::to_string(idx));
        oa.object = ReadObject(q);
      }
      Query q =
          Q(kAssignmentSelect " WHERE job_id=? AND idx=? AND state=1 ORDER BY submitted_ms, id");
      q.Bind(1, job_id).Bind(2, idx);
      while (q.Step()) oa.answers.push_back(ReadAssignmentRow(q));
      out.push_back(std::move(oa));
    }
    return out;
  });
}
Status SqliteStore::ForEachLabeledAnswer(int64_t job_id,
                                         const std::function<void(const Assignment&)>& fn) {
  int64_t next_id = 0;
  for (;;) {
    std::vector<Assignment> page;
    auto r = Read<void>([&]() -> Status {
      Query q = Q(kAssignmentSelect
                  " WHERE job_id=?1 AND state=1 AND id>?2 AND "
                  "(SELECT o.state FROM objects o WHERE o.job_id=?1 AND o.idx=assignments.idx)=1 "
                  "ORDER BY id LIMIT 4096");
      q.Bind(1, job_id).Bind(2, next_id);
      while (q.Step()) page.push_back(ReadAssignmentRow(q));
      return {};
    });
    if (!r) return r;
    if (page.empty()) return {};
    for (const auto& a : page) fn(a);
    next_id = page.back().id;
  }
}
Status SqliteStore::ForEachAnswer(int64_t job_id,
                                  const std::function<void(const Assignment&)>& fn) {
  // Pages by id, each read in its own short transaction, so a large job
  // neither holds a reader nor builds one big result.
  int64_t next_id = 0;
  for (;;) {
    std::vector<Assignment> page;
    auto r = Read<void>([&]() -> Status {
      Query q = Q(kAssignmentSelect " INDEXED BY assignments_submitted "
                  "WHERE job_id=?1 AND state=1 AND id>?2 ORDER BY id LIMIT 4096");
      q.Bind(1, job_id).Bind(2, next_id);
      while (q.Step()) page.push_back(ReadAssignmentRow(q));
      return {};
    });
    if (!r) return r;
    if (page.empty()) return {};
    for (const auto& a : page) fn(a);
    next_id = page.back().id;
  }
}
Result<int64_t> SqliteStore::CountClaimable(int64_t job_id, int64_t user_id) {
  return Read<int64_t>([&]() -> Result<int64_t> {
    Query q =
        Q("SELECT count(*) FROM objects o WHERE o.job_id=?1 AND o.state=0 AND "
          "(o.answers+o.leases)<o.needed AND NOT EXISTS (SELECT 1 FROM assignments a WHERE "
          "a.job_id=o.job_id AND a.idx=o.idx AND a.user_id=?2 AND a.state IN (0,1,3))");
    q.Bind(1, job_id).Bind(2, user_id);
    q.Step();
    return q.Int(0);
  });
}

// Ends a live lease on the object: an answer or a decline takes one of its
// N places. When that was its last place the object leaves the window and
// the next one is released; the update itself says so (RETURNING), with
// no second read of the object.
void SqliteStore::EndLeaseOf(const Assignment& a, bool answered, bool declined, int64_t now_ms) {
  bool left_window = false;
  {
    Query q =
        Q("UPDATE objects SET leases=leases-1, answers=answers+?1, declines=declines+?2 "
          "WHERE job_id=?3 AND idx=?4 "
          "RETURNING (answers + declines) = needed AND released_ms > 0");
    q.Bind(1, int64_t{answered})
        .Bind(2, int64_t{declined})
        .Bind(3, a.job_id)
        .Bind(4, a.object_index);
    left_window = q.Step() && q.Int(0) != 0 && (answered || declined);
  }
  if (left_window) ReleaseNext(a.job_id, 1, now_ms);
}
int64_t SqliteStore::ExpireLocked(int64_t now_ms) {
  std::vector<Assignment> expired;
  {
    Query q = Q(kAssignmentSelect " WHERE state=0 AND deadline_ms<?");
    q.Bind(1, now_ms);
    while (q.Step()) expired.push_back(ReadAssignmentRow(q));
  }
  for (const auto& a : expired) ExpireOne(a);
  return static_cast<int64_t>(expired.size());
}

}  // namespace plumbline::store::sqlite
