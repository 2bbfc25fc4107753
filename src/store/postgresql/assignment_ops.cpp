// The PostgreSQL store: claims, submits, leases and answers.

#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {

Assignment ReadAssignmentRow(const Query& q) {
  Assignment a;
  a.id = q.Int(0);
  a.job_id = q.Int(1);
  a.object_index = q.Int(2);
  a.user_id = q.Int(3);
  a.state = static_cast<AssignmentState>(q.Int(4));
  a.accepted_ms = q.Int(5);
  a.deadline_ms = q.Int(6);
  a.submitted_ms = q.Int(7);
  a.answer_json = q.Text(8);
  a.time_spent_s = q.Real(9);
  return a;
}
// With for_update, the row stays locked until the transaction ends: a
// submit or an end of lease on another replica waits and then sees the new
// state.
Result<Assignment> PgStore::ReadAssignment(int64_t id, bool for_update) {
  Query q = for_update ? Q(kAssignmentSelect " WHERE id=? FOR UPDATE")
                       : Q(kAssignmentSelect " WHERE id=?");
  q.Bind(1, id);
  if (!q.Step()) return NotFound("no task " + std::to_string(id));
  return ReadAssignmentRow(q);
}
// ---------------- assignments ----------------
//
// Claims and submits are one statement each: the functions of migration 6
// (schema.cpp) hold their logic, so that the writer can pipeline a batch of
// them (connection.cpp).

namespace {

// A task from plb_claim's columns, starting at `first`; none when its id is
// NULL (nothing was claimed).
std::optional<Assignment> ClaimedAt(const Query& q, int first) {
  if (q.IsNull(first)) return std::nullopt;
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
  a.object_line = q.Text(first + 10);
  a.task_input_json = q.Text(first + 11);
  return a;
}

// plb_submit's outcome (columns 0-2: outcome, job name, job status).
Result<SubmitOutcome> SubmitOutcomeOf(const Query& q, int64_t id) {
  const std::string task = "task " + std::to_string(id);
  switch (q.Int(0)) {
    case 0:
      return SubmitOutcome::kAccepted;
    case 1:
      return SubmitOutcome::kAlreadySubmitted;
    case 2:
      return NotFound("no " + task);
    case 3:
      return Conflict(task + " is not yours");
    case 4:
      return Conflict("job " + q.Text(1) + " is " + q.Text(2));
    case 5:
      return Conflict("the lease on " + task + " has ended");
    default:
      return Unavailable("database error: unknown submit outcome " + q.Text(0) + " for " + task);
  }
}

// Binds plb_claim's eight arguments from parameter `first` on.
void BindClaim(Query& q, int first, const ClaimRequest& r) {
  q.Bind(first, r.job_id)
      .Bind(first + 1, r.user_id)
      .Bind(first + 2, r.now_ms)
      .Bind(first + 3, r.lease_ms)
      .Bind(first + 4, r.availability_ms)
      .Bind(first + 5, int64_t{r.start_new_objects})
      .Bind(first + 6, r.stop_at_labeled)
      .Bind(first + 7, int64_t{r.require_task_input});
}

}  // namespace

Query PgStore::ClaimQuery(const ClaimRequest& r) {
  Query q = Q("SELECT * FROM plb_claim(?,?,?,?,?,?,?,?)");
  BindClaim(q, 1, r);
  return q;
}
Query PgStore::SubmitQuery(int64_t id, int64_t user_id, const std::string& answer_json,
                           double time_spent_s, int64_t now_ms) {
  Query q = Q("SELECT outcome, job_name, job_status FROM plb_submit(?,?,?,?,?)");
  q.Bind(1, id).Bind(2, user_id).Bind(3, answer_json).Bind(4, time_spent_s).Bind(5, now_ms);
  return q;
}
Query PgStore::SubmitAndClaimQuery(int64_t id, int64_t user_id, const std::string& answer_json,
                                   double time_spent_s, int64_t now_ms, const ClaimRequest& next) {
  Query q = Q("SELECT * FROM plb_submit_and_claim(?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.Bind(1, id).Bind(2, user_id).Bind(3, answer_json).Bind(4, time_spent_s).Bind(5, now_ms);
  BindClaim(q, 6, next);
  return q;
}

void PgStore::ClaimAsync(const ClaimRequest& r, Done<std::optional<Assignment>> done) {
  PipelinedAsync<std::optional<Assignment>>(
      changes::kWork,
      [this, r] { return ClaimQuery(r); },
      [this](Query& q) -> Result<std::optional<Assignment>> {
        std::optional<Assignment> claimed;
        if (q.Step()) claimed = ClaimedAt(q, 0);
        // A claim that found nothing to hand out changed nothing.
        if (!claimed) Touched(changes::kNone);
        return claimed;
      },
      [this, done = std::move(done)](Result<std::optional<Assignment>> res) {
        if (res) counters_.Claimed(res->has_value());
        done(std::move(res));
      });
}
void PgStore::SubmitAsync(int64_t id, int64_t user_id, std::string answer_json,
                              double time_spent_s, int64_t now_ms, Done<SubmitOutcome> done) {
  PipelinedAsync<SubmitOutcome>(
      changes::kWork,
      [this, id, user_id, answer = std::move(answer_json), time_spent_s, now_ms] {
        return SubmitQuery(id, user_id, answer, time_spent_s, now_ms);
      },
      [id](Query& q) -> Result<SubmitOutcome> {
        if (!q.Step()) return Unavailable("database error: no outcome for task " + std::to_string(id));
        return SubmitOutcomeOf(q, id);
      },
      [this, done = std::move(done)](Result<SubmitOutcome> res) {
        if (res) counters_.Submitted(*res == SubmitOutcome::kAlreadySubmitted);
        done(std::move(res));
      },
      id);
}
void PgStore::SubmitAndClaimAsync(int64_t id, int64_t user_id, std::string answer_json,
                                      double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                                      Done<SubmittedAndClaimed> done) {
  PipelinedAsync<SubmittedAndClaimed>(
      changes::kWork,
      [this, id, user_id, answer = std::move(answer_json), time_spent_s, now_ms, next] {
        return SubmitAndClaimQuery(id, user_id, answer, time_spent_s, now_ms, next);
      },
      [id](Query& q) -> Result<SubmittedAndClaimed> {
        if (!q.Step()) return Unavailable("database error: no outcome for task " + std::to_string(id));
        PLB_ASSIGN_OR_RETURN(SubmitOutcome outcome, SubmitOutcomeOf(q, id));
        return SubmittedAndClaimed{outcome, ClaimedAt(q, 3)};
      },
      [this, done = std::move(done)](Result<SubmittedAndClaimed> res) {
        if (res) {
          counters_.Submitted(res->first == SubmitOutcome::kAlreadySubmitted);
          counters_.Claimed(res->second.has_value());
        }
        done(std::move(res));
      },
      id);
}
Result<Assignment> PgStore::GetAssignment(int64_t id) {
  return ReadOne<Assignment>([&]() -> Result<Assignment> { return ReadAssignment(id, false); });
}
Status PgStore::EndLease(int64_t id, int64_t user_id, AssignmentState new_state,
                             int64_t now_ms) {
  return Txn<void>(changes::kWork, [&]() -> Status {
    PLB_ASSIGN_OR_RETURN(Assignment a, ReadAssignment(id, true));
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
Result<int64_t> PgStore::ExpireLeases(int64_t now_ms) {
  return Txn<int64_t>(changes::kWork, [&]() -> Result<int64_t> {
    int64_t expired = ExpireLocked(now_ms);
    if (expired == 0) Touched(changes::kNone);  // every runner pass asks: most find none
    return expired;
  });
}
Result<std::vector<ObjectAnswers>> PgStore::GetObjectsWithAnswers(
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
Status PgStore::ForEachLabeledAnswer(int64_t job_id,
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
Result<int64_t> PgStore::CountClaimable(int64_t job_id, int64_t user_id) {
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

// Ends a live lease on the object (plb_end_lease: an answer or a decline
// takes one of its N places, and the object that leaves the window releases
// the next one).
void PgStore::EndLeaseOf(const Assignment& a, bool answered, bool declined, int64_t now_ms) {
  Q("SELECT plb_end_lease(?,?,?,?,?)")
      .Bind(1, a.job_id)
      .Bind(2, a.object_index)
      .Bind(3, int64_t{answered})
      .Bind(4, int64_t{declined})
      .Bind(5, now_ms)
      .Step();
}
int64_t PgStore::ExpireLocked(int64_t now_ms) {
  Query q = Q("SELECT plb_expire_leases(?)");
  q.Bind(1, now_ms).Step();
  return q.Int(0);
}

Status PgStore::ForEachAnswer(int64_t job_id, const std::function<void(const Assignment&)>& fn) {
  // Pages by id, each read in its own short transaction, so a large job
  // neither holds a reader nor builds one big result.
  int64_t next_id = 0;
  for (;;) {
    std::vector<Assignment> page;
    auto r = Read<void>([&]() -> Status {
      Query q = Q(kAssignmentSelect " WHERE job_id=? AND state=1 AND id>? ORDER BY id LIMIT 4096");
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

}  // namespace plumbline::store::postgresql
