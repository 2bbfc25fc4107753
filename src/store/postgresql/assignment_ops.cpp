// The PostgreSQL store: claims, submits, leases and answers.

#include <cstdio>

#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {

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
// Claims and submits are rows of one statement: plb_write_batch
// (write_functions.cpp, migration 8) holds their logic and takes the writer's
// consecutive claims and submits of a batch together (connection.cpp).

namespace {

// A task from plb_write_batch's claim columns, starting at `first`; none
// when its id is NULL (nothing was claimed).
std::optional<Assignment> ClaimedAt(const Query& q, int first) {
  if (q.IsNull(first)) return std::nullopt;
  Assignment a = ReadAssignmentRow(q, first);
  a.object_line = q.Text(first + 10);
  a.task_input_json = q.Text(first + 11);
  return a;
}

// A submit's outcome (columns first..first+2: outcome, job name, job status).
Result<SubmitOutcome> SubmitOutcomeOf(const Query& q, int first, int64_t id) {
  const std::string task = "task " + std::to_string(id);
  switch (q.Int(first)) {
    case 0:
      return SubmitOutcome::kAccepted;
    case 1:
      return SubmitOutcome::kAlreadySubmitted;
    case 2:
      return NotFound("no " + task);
    case 3:
      return Conflict(task + " is not yours");
    case 4:
      return Conflict("job " + q.Text(first + 1) + " is " + q.Text(first + 2));
    case 5:
      return Conflict("the lease on " + task + " has ended");
    default:
      return Unavailable("database error: unknown submit outcome " + q.Text(first) + " for " +
                         task);
  }
}

BatchWrite SubmitWrite(BatchWrite::Kind kind, int64_t id, int64_t user_id, std::string answer_json,
                       double time_spent_s, int64_t now_ms, int64_t identity_version) {
  BatchWrite w;
  w.identity_version = identity_version;
  w.kind = kind;
  w.id = id;
  w.user_id = user_id;
  w.answer_json = std::move(answer_json);
  w.time_spent_s = time_spent_s;
  w.now_ms = now_ms;
  return w;
}

}  // namespace

Query PgStore::WriteBatchQuery(const std::vector<const BatchWrite*>& writes) {
  ArrayLiteral kind, id, user, answer, spent, now, job, claim_user, claim_now, lease,
      availability, start_new, stop_at, require_input;
  for (const BatchWrite* w : writes) {
    const ClaimRequest& c = w->claim;
    kind.Add(int64_t{w->kind});
    id.Add(w->id);
    user.Add(w->user_id);
    answer.AddText(w->answer_json);
    spent.Add(w->time_spent_s);
    now.Add(w->now_ms);
    job.Add(c.job_id);
    claim_user.Add(c.user_id);
    claim_now.Add(c.now_ms);
    lease.Add(c.lease_ms);
    availability.Add(c.availability_ms);
    start_new.Add(c.start_new_objects);
    stop_at.Add(c.stop_at_labeled);
    require_input.Add(c.require_task_input);
  }
  Query q = Q("SELECT * FROM plb_write_batch(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  int i = 1;
  for (const ArrayLiteral* a : {&kind, &id, &user, &answer, &spent, &now, &job, &claim_user,
                                &claim_now, &lease, &availability, &start_new, &stop_at,
                                &require_input})
    q.Bind(i++, a->Done());
  return q;
}

void PgStore::ClaimAsync(const ClaimRequest& r, int64_t identity_version,
                         Done<std::optional<Assignment>> done) {
  BatchWrite w;
  w.kind = BatchWrite::kClaim;
  w.claim = r;
  w.identity_version = identity_version;
  WriteAsync<std::optional<Assignment>>(
      changes::kWork, std::move(w),
      [this](Query& row) -> Result<std::optional<Assignment>> {
        std::optional<Assignment> claimed = ClaimedAt(row, kBatchClaimCol);
        // A claim that found nothing to hand out changed nothing.
        if (!claimed) Touched(changes::kNone);
        return claimed;
      },
      [this, done = std::move(done)](Result<std::optional<Assignment>> res) {
        if (res) counters_.Claimed(res->has_value());
        done(std::move(res));
      });
}
void PgStore::SubmitAsync(int64_t id, int64_t user_id, std::string answer_json, double time_spent_s,
                          int64_t now_ms, int64_t identity_version, Done<SubmitOutcome> done) {
  WriteAsync<SubmitOutcome>(
      changes::kWork,
      SubmitWrite(BatchWrite::kSubmit, id, user_id, std::move(answer_json), time_spent_s, now_ms,
                  identity_version),
      [id](Query& row) -> Result<SubmitOutcome> {
        return SubmitOutcomeOf(row, kBatchOutcomeCol, id);
      },
      [this, done = std::move(done)](Result<SubmitOutcome> res) {
        if (res) counters_.Submitted(*res == SubmitOutcome::kAlreadySubmitted);
        done(std::move(res));
      },
      id);
}
void PgStore::SubmitAndClaimAsync(int64_t id, int64_t user_id, std::string answer_json,
                                  double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                                  int64_t identity_version, Done<SubmittedAndClaimed> done) {
  BatchWrite w = SubmitWrite(BatchWrite::kSubmitAndClaim, id, user_id, std::move(answer_json),
                             time_spent_s, now_ms, identity_version);
  w.claim = next;
  WriteAsync<SubmittedAndClaimed>(
      changes::kWork, std::move(w),
      [id](Query& row) -> Result<SubmittedAndClaimed> {
        PLB_ASSIGN_OR_RETURN(SubmitOutcome outcome, SubmitOutcomeOf(row, kBatchOutcomeCol, id));
        return SubmittedAndClaimed{outcome, ClaimedAt(row, kBatchClaimCol)};
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
  ArrayLiteral wanted;
  for (int64_t idx : indexes) wanted.Add(idx);
  return ReadOne<std::vector<ObjectAnswers>>([&]() -> Result<std::vector<ObjectAnswers>> {
    std::unordered_map<int64_t, ObjectAnswers> found;
    Query q = Q(kObjectsWithAnswersSql);
    q.Bind(1, job_id).Bind(2, wanted.Done());
    while (q.Step()) {
      auto [it, first] = found.try_emplace(q.Int(1));
      if (first) it->second.object = ReadObject(q);
      if (!q.IsNull(kObjectColumns))
        it->second.answers.push_back(ReadAssignmentRow(q, kObjectColumns));
    }
    // In the order asked (an index asked for twice is copied).
    std::unordered_map<int64_t, int> uses;
    for (int64_t idx : indexes) ++uses[idx];
    std::vector<ObjectAnswers> out;
    out.reserve(indexes.size());
    for (int64_t idx : indexes) {
      auto it = found.find(idx);
      if (it == found.end()) return NotFound("no object " + std::to_string(idx));
      if (--uses[idx] == 0)
        out.push_back(std::move(it->second));
      else
        out.push_back(it->second);
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
