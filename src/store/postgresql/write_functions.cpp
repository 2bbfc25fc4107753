// The PostgreSQL store's hot writes as server-side functions: the text of
// migrations 6 to 12, which schema.cpp lists in kMigrations. Landed
// migrations are never edited: a change is a new migration.
#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {

// 6: the hot writes as server-side functions, so that each is one
// statement and the writer can pipeline a batch of them (connection.cpp):
// a claim, a submit, a submit that also claims, and what they share with
// the other writes (lease expiry, the end of a lease, the release
// window). A function that refuses (plb_submit's outcomes above 1)
// changes nothing, so the statement after it may run in the same
// pipeline without a rollback in between.
extern const char kHotWritesSql[] = R"sql(
-- Releases the next p_count objects of the job in manifest order. One
-- update per object, by its key: as one UPDATE ... IN (SELECT ... LIMIT)
-- the function's plan, made without knowing p_count, read every object of
-- the job.
CREATE FUNCTION plb_release_next(p_job BIGINT, p_count BIGINT, p_now BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  FOR r IN SELECT o.idx FROM objects o
           WHERE o.job_id = p_job AND o.state = 0 AND o.released_ms = 0
           ORDER BY o.idx LIMIT p_count FOR UPDATE SKIP LOCKED LOOP
    UPDATE objects SET released_ms = greatest(p_now, 1) WHERE job_id = p_job AND idx = r.idx;
  END LOOP;
END $$;

-- Another process may expire the same leases at the same time: the update
-- waits for its lock and then finds the state changed, so each lease is
-- counted off its object once.
CREATE FUNCTION plb_expire_leases(p_now BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
  n BIGINT := 0;
BEGIN
  FOR r IN SELECT a.id, a.job_id, a.idx FROM assignments a
           WHERE a.state = 0 AND a.deadline_ms < p_now LOOP
    UPDATE assignments SET state = 4 WHERE id = r.id AND state = 0;
    IF FOUND THEN
      UPDATE objects SET leases = leases - 1 WHERE job_id = r.job_id AND idx = r.idx;
      n := n + 1;
    END IF;
  END LOOP;
  RETURN n;
END $$;

-- Ends a live lease on an object: an answer or a decline takes one of its
-- N places; when that was its last place the object leaves the window and
-- the next one is released.
CREATE FUNCTION plb_end_lease(p_job BIGINT, p_idx BIGINT, p_answered BIGINT,
                              p_declined BIGINT, p_now BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  left_window BOOLEAN;
BEGIN
  UPDATE objects SET leases = leases - 1, answers = answers + p_answered,
                     declines = declines + p_declined
  WHERE job_id = p_job AND idx = p_idx
  RETURNING (answers + declines) = needed AND released_ms > 0 INTO left_window;
  IF left_window AND p_answered + p_declined > 0 THEN
    PERFORM plb_release_next(p_job, 1, p_now);
  END IF;
END $$;

-- A submit. outcome: 0 accepted, 1 already submitted (nothing changes), 2 no
-- such task, 3 not the worker's task, 4 the job is not in progress
-- (job_name, job_status say which), 5 the lease has ended. The assignment
-- row stays locked until the transaction ends, so a submit or an end of
-- lease on another replica waits and then sees the new state.
CREATE FUNCTION plb_submit(p_id BIGINT, p_user BIGINT, p_answer TEXT,
                           p_spent DOUBLE PRECISION, p_now BIGINT,
                           OUT outcome INTEGER, OUT job_name TEXT, OUT job_status TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  j RECORD;
BEGIN
  SELECT s.job_id, s.idx, s.user_id, s.state, s.accepted_ms, s.deadline_ms INTO a
  FROM assignments s WHERE s.id = p_id FOR UPDATE;
  IF NOT FOUND THEN outcome := 2; RETURN; END IF;
  IF a.user_id <> p_user THEN outcome := 3; RETURN; END IF;
  IF a.state = 1 THEN outcome := 1; RETURN; END IF;
  SELECT jb.name, jb.status INTO j FROM jobs jb WHERE jb.id = a.job_id;
  IF FOUND AND j.status <> 'InProgress' THEN
    outcome := 4; job_name := j.name; job_status := j.status; RETURN;
  END IF;
  IF a.state <> 0 OR p_now > a.deadline_ms THEN outcome := 5; RETURN; END IF;
  UPDATE assignments SET state = 1, submitted_ms = p_now, answer = p_answer,
    time_spent = CASE WHEN p_spent > 0 THEN p_spent
                      ELSE (p_now - a.accepted_ms)::float8 / 1000.0 END
  WHERE id = p_id;
  PERFORM plb_end_lease(a.job_id, a.idx, 1, 0, p_now);
  outcome := 0;
END $$;

-- A claim: the worker's live task of the job when they hold one, else a new
-- lease on the next object for them, else no row. The job's state is read
-- in this transaction (callers may decide from an older copy). A worker's
-- claims in a job are serialized across every process sharing the database
-- by a transaction-scoped advisory lock, and the picked object is locked
-- (SKIP LOCKED), so nobody gets two tasks of a job nor one object twice.
-- Objects in progress come first so they finish first, then the first
-- released object nobody has started, in manifest order; objects released
-- before the availability cutoff are no longer handed out. With
-- p_require_input, objects not pre-processed yet are passed over (the
-- queries differ only in that term, so each keeps its partial index).
-- OFFSET 0 keeps the worker's earlier tasks a lookup per candidate object
-- (assignments_object) rather than a join with every task of the job,
-- which the plan made without knowing the job chose and which grows with
-- the job.
CREATE FUNCTION plb_claim(p_job BIGINT, p_user BIGINT, p_now BIGINT, p_lease_ms BIGINT,
                          p_availability_ms BIGINT, p_start_new BOOLEAN,
                          p_stop_at_labeled BIGINT, p_require_input BOOLEAN)
RETURNS TABLE(t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  start_new BOOLEAN := p_start_new;
  job_status TEXT;
  job_labeled BIGINT;
  cutoff BIGINT := p_now - p_availability_ms;
  pick BIGINT;
  new_id BIGINT;
  o_line TEXT;
  o_input TEXT;
BEGIN
  SELECT jb.status, jb.labeled INTO job_status, job_labeled FROM jobs jb WHERE jb.id = p_job;
  IF NOT FOUND OR job_status <> 'InProgress' THEN RETURN; END IF;
  IF p_stop_at_labeled > 0 AND job_labeled >= p_stop_at_labeled THEN start_new := false; END IF;
  PERFORM plb_expire_leases(p_now);
  PERFORM pg_advisory_xact_lock(CAST(p_job % 2147483647 AS integer),
                                CAST(p_user % 2147483647 AS integer));
  RETURN QUERY
    SELECT a.id, a.job_id, a.idx, a.user_id, a.state, a.accepted_ms, a.deadline_ms,
           a.submitted_ms, a.answer, a.time_spent, o.line, o.task_input
    FROM assignments a LEFT JOIN objects o ON o.job_id = a.job_id AND o.idx = a.idx
    WHERE a.user_id = p_user AND a.job_id = p_job AND a.state = 0 ORDER BY a.id LIMIT 1;
  IF FOUND THEN RETURN; END IF;
  IF p_require_input THEN
    SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
      AND (o.answers + o.leases + o.declines) > 0
      AND o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= cutoff
      AND o.task_input IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.job_id = o.job_id AND a.idx = o.idx
                      AND a.user_id = p_user AND a.state IN (0, 1, 3) OFFSET 0)
      ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
  ELSE
    SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
      AND (o.answers + o.leases + o.declines) > 0
      AND o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= cutoff
      AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.job_id = o.job_id AND a.idx = o.idx
                      AND a.user_id = p_user AND a.state IN (0, 1, 3) OFFSET 0)
      ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
  END IF;
  IF pick IS NULL AND start_new THEN
    IF p_require_input THEN
      SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
        AND o.released_ms > 0 AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
        AND o.released_ms >= cutoff AND o.task_input IS NOT NULL
        ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
    ELSE
      SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
        AND o.released_ms > 0 AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
        AND o.released_ms >= cutoff
        ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
    END IF;
  END IF;
  IF pick IS NULL THEN RETURN; END IF;
  INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
    VALUES (p_job, pick, p_user, 0, p_now, p_now + p_lease_ms) RETURNING id INTO new_id;
  UPDATE objects SET leases = leases + 1 WHERE job_id = p_job AND idx = pick
    RETURNING line, task_input INTO o_line, o_input;
  RETURN QUERY SELECT new_id, p_job, pick, p_user, 0::BIGINT, p_now, p_now + p_lease_ms,
                      0::BIGINT, ''::TEXT, 0::DOUBLE PRECISION, o_line, o_input;
END $$;

-- A submit that also claims the worker's next task, in one statement: the
-- submit's outcome, then the claim's row (NULLs when nothing was claimed).
-- A refused submit (outcome above 1) claims nothing.
CREATE FUNCTION plb_submit_and_claim(p_id BIGINT, p_user BIGINT, p_answer TEXT,
                                     p_spent DOUBLE PRECISION, p_now BIGINT,
                                     p_job BIGINT, p_claim_user BIGINT, p_claim_now BIGINT,
                                     p_lease_ms BIGINT, p_availability_ms BIGINT,
                                     p_start_new BOOLEAN, p_stop_at_labeled BIGINT,
                                     p_require_input BOOLEAN)
RETURNS TABLE(outcome INTEGER, job_name TEXT, job_status TEXT,
              t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  s RECORD;
BEGIN
  SELECT * INTO s FROM plb_submit(p_id, p_user, p_answer, p_spent, p_now);
  IF s.outcome <= 1 THEN
    RETURN QUERY
      SELECT s.outcome, s.job_name, s.job_status, c.*
      FROM (SELECT 1) one
      LEFT JOIN plb_claim(p_job, p_claim_user, p_claim_now, p_lease_ms, p_availability_ms,
                          p_start_new, p_stop_at_labeled, p_require_input) c ON true;
  ELSE
    RETURN QUERY
      SELECT s.outcome, s.job_name, s.job_status, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT,
             NULL::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::TEXT,
             NULL::DOUBLE PRECISION, NULL::TEXT, NULL::TEXT;
  END IF;
END $$;
)sql";

// 7: the same claim and submit in fewer statements, each of which the
// server starts, runs and ends on its own inside the function: a claim
// looks for ended leases before calling the expiry (most claims find
// none), takes its lease and counts it on the object in one statement
// and hands its row back without another query; a submit reads its task
// and the task's job in one statement and records the answer and ends
// the lease on the object in another (plb_end_lease inlined). Same
// signatures, so plb_submit_and_claim calls these.
extern const char kFewerStatementsSql[] = R"sql(
CREATE OR REPLACE FUNCTION plb_submit(p_id BIGINT, p_user BIGINT, p_answer TEXT,
                                      p_spent DOUBLE PRECISION, p_now BIGINT,
                                      OUT outcome INTEGER, OUT job_name TEXT,
                                      OUT job_status TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  left_window BOOLEAN;
BEGIN
  SELECT s.job_id, s.idx, s.user_id, s.state, s.accepted_ms, s.deadline_ms,
         jb.name AS j_name, jb.status AS j_status INTO a
  FROM assignments s LEFT JOIN jobs jb ON jb.id = s.job_id
  WHERE s.id = p_id FOR UPDATE OF s;
  IF NOT FOUND THEN outcome := 2; RETURN; END IF;
  IF a.user_id <> p_user THEN outcome := 3; RETURN; END IF;
  IF a.state = 1 THEN outcome := 1; RETURN; END IF;
  IF a.j_status IS NOT NULL AND a.j_status <> 'InProgress' THEN
    outcome := 4; job_name := a.j_name; job_status := a.j_status; RETURN;
  END IF;
  IF a.state <> 0 OR p_now > a.deadline_ms THEN outcome := 5; RETURN; END IF;
  -- The answer, and the end of the lease on the object (plb_end_lease with
  -- an answer): when that was its last place the object leaves the window
  -- and the next one is released.
  WITH answered AS (
    UPDATE assignments SET state = 1, submitted_ms = p_now, answer = p_answer,
      time_spent = CASE WHEN p_spent > 0 THEN p_spent
                        ELSE (p_now - a.accepted_ms)::float8 / 1000.0 END
    WHERE id = p_id)
  UPDATE objects o SET leases = o.leases - 1, answers = o.answers + 1
  WHERE o.job_id = a.job_id AND o.idx = a.idx
  RETURNING (o.answers + o.declines) = o.needed AND o.released_ms > 0 INTO left_window;
  IF left_window THEN
    PERFORM plb_release_next(a.job_id, 1, p_now);
  END IF;
  outcome := 0;
END $$;

CREATE OR REPLACE FUNCTION plb_claim(p_job BIGINT, p_user BIGINT, p_now BIGINT,
                                     p_lease_ms BIGINT, p_availability_ms BIGINT,
                                     p_start_new BOOLEAN, p_stop_at_labeled BIGINT,
                                     p_require_input BOOLEAN)
RETURNS TABLE(t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  start_new BOOLEAN := p_start_new;
  job_status TEXT;
  job_labeled BIGINT;
  cutoff BIGINT := p_now - p_availability_ms;
  pick BIGINT;
BEGIN
  SELECT jb.status, jb.labeled INTO job_status, job_labeled FROM jobs jb WHERE jb.id = p_job;
  IF NOT FOUND OR job_status <> 'InProgress' THEN RETURN; END IF;
  IF p_stop_at_labeled > 0 AND job_labeled >= p_stop_at_labeled THEN start_new := false; END IF;
  -- One lookup in assignments_live; the expiry (a loop of its own) runs
  -- only when a lease has ended.
  IF EXISTS (SELECT 1 FROM assignments a WHERE a.state = 0 AND a.deadline_ms < p_now) THEN
    PERFORM plb_expire_leases(p_now);
  END IF;
  PERFORM pg_advisory_xact_lock(CAST(p_job % 2147483647 AS integer),
                                CAST(p_user % 2147483647 AS integer));
  RETURN QUERY
    SELECT a.id, a.job_id, a.idx, a.user_id, a.state, a.accepted_ms, a.deadline_ms,
           a.submitted_ms, a.answer, a.time_spent, o.line, o.task_input
    FROM assignments a LEFT JOIN objects o ON o.job_id = a.job_id AND o.idx = a.idx
    WHERE a.user_id = p_user AND a.job_id = p_job AND a.state = 0 ORDER BY a.id LIMIT 1;
  IF FOUND THEN RETURN; END IF;
  IF p_require_input THEN
    SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
      AND (o.answers + o.leases + o.declines) > 0
      AND o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= cutoff
      AND o.task_input IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.job_id = o.job_id AND a.idx = o.idx
                      AND a.user_id = p_user AND a.state IN (0, 1, 3) OFFSET 0)
      ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
  ELSE
    SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
      AND (o.answers + o.leases + o.declines) > 0
      AND o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= cutoff
      AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.job_id = o.job_id AND a.idx = o.idx
                      AND a.user_id = p_user AND a.state IN (0, 1, 3) OFFSET 0)
      ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
  END IF;
  IF pick IS NULL AND start_new THEN
    IF p_require_input THEN
      SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
        AND o.released_ms > 0 AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
        AND o.released_ms >= cutoff AND o.task_input IS NOT NULL
        ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
    ELSE
      SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job AND o.state = 0
        AND o.released_ms > 0 AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
        AND o.released_ms >= cutoff
        ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
    END IF;
  END IF;
  IF pick IS NULL THEN RETURN; END IF;
  -- The lease and its count on the object in one statement; the row goes
  -- back from the function's variables.
  WITH lease AS (
    INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
    VALUES (p_job, pick, p_user, 0, p_now, p_now + p_lease_ms) RETURNING id)
  UPDATE objects o SET leases = o.leases + 1 FROM lease
  WHERE o.job_id = p_job AND o.idx = pick
  RETURNING lease.id, o.line, o.task_input INTO t_id, t_line, t_task_input;
  t_job := p_job;
  t_idx := pick;
  t_user := p_user;
  t_state := 0;
  t_accepted_ms := p_now;
  t_deadline_ms := p_now + p_lease_ms;
  t_submitted_ms := 0;
  t_answer := '';
  t_time_spent := 0;
  RETURN NEXT;
END $$;
)sql";

// 8: the writer's claims and submits of a batch in one statement.
// plb_write_batch takes a batch's consecutive claims, submits and
// submits that also claim as arrays (element i is write i) and runs them
// in order, each with the logic of migration 7's functions, returning a
// row per write. Its claims pick fresh objects from one cursor over
// objects_ready, so the index entries of objects just claimed (which
// stay until no snapshot can see them) are walked once per batch, not
// once per claim. Objects in progress still come first, including those
// the batch's earlier claims started. When the cursor has run out, a
// claim looks again with a query of its own (objects released by the
// batch's submits after it opened). A write that raises an error fails
// the whole statement: the writer then runs that batch's writes again
// one at a time, each at its savepoint (connection.cpp).
// assignments_answers: an object's answers (the runner reads them to
// consolidate) by index; without it the plan made while the table had
// few rows read every answer of the job per object. plb_claim,
// plb_submit and plb_submit_and_claim stay for servers of the previous
// version during a rolling restart.
extern const char kWriteBatchSql[] = R"sql(
CREATE INDEX assignments_answers ON assignments(job_id, idx) WHERE state = 1;

CREATE FUNCTION plb_write_batch(p_kind INTEGER[], p_id BIGINT[], p_user BIGINT[],
                                p_answer TEXT[], p_spent DOUBLE PRECISION[], p_now BIGINT[],
                                p_job BIGINT[], p_claim_user BIGINT[], p_claim_now BIGINT[],
                                p_lease_ms BIGINT[], p_availability_ms BIGINT[],
                                p_start_new BOOLEAN[], p_stop_at_labeled BIGINT[],
                                p_require_input BOOLEAN[])
RETURNS TABLE(ord INTEGER, outcome INTEGER, job_name TEXT, job_status TEXT,
              t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  left_window BOOLEAN;
  j_status TEXT;
  j_labeled BIGINT;
  start_new BOOLEAN;
  claim_now BIGINT;
  cutoff BIGINT;
  pick BIGINT;
  fresh refcursor;
  fresh_job BIGINT;      -- the job (and kind) the open cursor reads; NULL: none open
  fresh_input BOOLEAN;
  fresh_left BOOLEAN;    -- false once the cursor has run out
  fresh_limit BIGINT;    -- the claims left in the batch when it opened
  f_idx BIGINT;
  f_released BIGINT;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    ord := i;
    outcome := NULL; job_name := NULL; job_status := NULL;
    t_id := NULL; t_job := NULL; t_idx := NULL; t_user := NULL; t_state := NULL;
    t_accepted_ms := NULL; t_deadline_ms := NULL; t_submitted_ms := NULL; t_answer := NULL;
    t_time_spent := NULL; t_line := NULL; t_task_input := NULL;
    -- Kind 2 and 3: a submit (plb_submit of migration 7). outcome: 0
    -- accepted, 1 already submitted, 2 no such task, 3 not the worker's
    -- task, 4 the job is not in progress, 5 the lease has ended. A refusal
    -- changes nothing; the assignment row stays locked until the commit.
    IF p_kind[i] <> 1 THEN
      SELECT s.job_id, s.idx, s.user_id, s.state, s.accepted_ms, s.deadline_ms,
             jb.name AS j_name, jb.status AS j_status INTO a
      FROM assignments s LEFT JOIN jobs jb ON jb.id = s.job_id
      WHERE s.id = p_id[i] FOR UPDATE OF s;
      IF NOT FOUND THEN
        outcome := 2;
      ELSIF a.user_id <> p_user[i] THEN
        outcome := 3;
      ELSIF a.state = 1 THEN
        outcome := 1;
      ELSIF a.j_status IS NOT NULL AND a.j_status <> 'InProgress' THEN
        outcome := 4; job_name := a.j_name; job_status := a.j_status;
      ELSIF a.state <> 0 OR p_now[i] > a.deadline_ms THEN
        outcome := 5;
      ELSE
        WITH answered AS (
          UPDATE assignments SET state = 1, submitted_ms = p_now[i], answer = p_answer[i],
            time_spent = CASE WHEN p_spent[i] > 0 THEN p_spent[i]
                              ELSE (p_now[i] - a.accepted_ms)::float8 / 1000.0 END
          WHERE id = p_id[i])
        UPDATE objects o SET leases = o.leases - 1, answers = o.answers + 1
        WHERE o.job_id = a.job_id AND o.idx = a.idx
        RETURNING (o.answers + o.declines) = o.needed AND o.released_ms > 0 INTO left_window;
        IF left_window THEN
          PERFORM plb_release_next(a.job_id, 1, p_now[i]);
        END IF;
        outcome := 0;
      END IF;
    END IF;
    -- Kind 1, and 3 after a submit that was not refused: a claim (plb_claim
    -- of migration 7, but for the pick of a fresh object).
    IF p_kind[i] <> 2 AND coalesce(outcome, 0) <= 1 THEN
      SELECT jb.status, jb.labeled INTO j_status, j_labeled FROM jobs jb WHERE jb.id = p_job[i];
      IF FOUND AND j_status = 'InProgress' THEN
        claim_now := p_claim_now[i];
        start_new := p_start_new[i] AND
                     NOT (p_stop_at_labeled[i] > 0 AND j_labeled >= p_stop_at_labeled[i]);
        cutoff := claim_now - p_availability_ms[i];
        IF EXISTS (SELECT 1 FROM assignments x WHERE x.state = 0 AND x.deadline_ms < claim_now) THEN
          PERFORM plb_expire_leases(claim_now);
        END IF;
        PERFORM pg_advisory_xact_lock(CAST(p_job[i] % 2147483647 AS integer),
                                      CAST(p_claim_user[i] % 2147483647 AS integer));
        -- The worker's live task (no row: every t_ column NULL).
        SELECT x.id, x.job_id, x.idx, x.user_id, x.state, x.accepted_ms, x.deadline_ms,
               x.submitted_ms, x.answer, x.time_spent, o.line, o.task_input
        INTO t_id, t_job, t_idx, t_user, t_state, t_accepted_ms, t_deadline_ms,
             t_submitted_ms, t_answer, t_time_spent, t_line, t_task_input
        FROM assignments x LEFT JOIN objects o ON o.job_id = x.job_id AND o.idx = x.idx
        WHERE x.user_id = p_claim_user[i] AND x.job_id = p_job[i] AND x.state = 0
        ORDER BY x.id LIMIT 1;
        IF t_id IS NULL THEN
          pick := NULL;
          IF p_require_input[i] THEN
            SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job[i] AND o.state = 0
              AND (o.answers + o.leases + o.declines) > 0
              AND o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= cutoff
              AND o.task_input IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.job_id = o.job_id
                              AND x.idx = o.idx AND x.user_id = p_claim_user[i]
                              AND x.state IN (0, 1, 3) OFFSET 0)
              ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
          ELSE
            SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job[i] AND o.state = 0
              AND (o.answers + o.leases + o.declines) > 0
              AND o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= cutoff
              AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.job_id = o.job_id
                              AND x.idx = o.idx AND x.user_id = p_claim_user[i]
                              AND x.state IN (0, 1, 3) OFFSET 0)
              ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
          END IF;
          IF pick IS NULL AND start_new THEN
            -- A fresh object: the next of the batch's cursor over
            -- objects_ready (opened by the first claim that needs one, in
            -- manifest order, locking each row it hands back). A row
            -- released before this claim's cutoff is passed over. Its
            -- LIMIT (the claims left in the batch) keeps its plan an
            -- ordered scan of the index once the table is analysed:
            -- without one the plan reads and sorts every ready object.
            IF fresh_job IS DISTINCT FROM p_job[i] OR fresh_input IS DISTINCT FROM p_require_input[i] THEN
              IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
              fresh_job := p_job[i];
              fresh_input := p_require_input[i];
              fresh_left := true;
              fresh_limit := 0;
              FOR k IN i .. array_length(p_kind, 1) LOOP
                IF p_kind[k] <> 2 THEN fresh_limit := fresh_limit + 1; END IF;
              END LOOP;
              IF p_require_input[i] THEN
                OPEN fresh FOR SELECT o.idx, o.released_ms FROM objects o
                  WHERE o.job_id = fresh_job AND o.state = 0 AND o.released_ms > 0
                    AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
                    AND o.task_input IS NOT NULL
                  ORDER BY o.idx LIMIT fresh_limit FOR UPDATE SKIP LOCKED;
              ELSE
                OPEN fresh FOR SELECT o.idx, o.released_ms FROM objects o
                  WHERE o.job_id = fresh_job AND o.state = 0 AND o.released_ms > 0
                    AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
                  ORDER BY o.idx LIMIT fresh_limit FOR UPDATE SKIP LOCKED;
              END IF;
            END IF;
            WHILE fresh_left LOOP
              FETCH fresh INTO f_idx, f_released;
              IF NOT FOUND THEN
                fresh_left := false;
              ELSIF f_released >= cutoff THEN
                pick := f_idx;
                EXIT;
              END IF;
            END LOOP;
            -- Run out: what the batch's submits released since it opened.
            IF pick IS NULL THEN
              IF p_require_input[i] THEN
                SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job[i] AND o.state = 0
                  AND o.released_ms > 0 AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
                  AND o.released_ms >= cutoff AND o.task_input IS NOT NULL
                  ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
              ELSE
                SELECT o.idx INTO pick FROM objects o WHERE o.job_id = p_job[i] AND o.state = 0
                  AND o.released_ms > 0 AND o.answers = 0 AND o.leases = 0 AND o.declines = 0
                  AND o.released_ms >= cutoff
                  ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
              END IF;
            END IF;
          END IF;
          IF pick IS NOT NULL THEN
            WITH lease AS (
              INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
              VALUES (p_job[i], pick, p_claim_user[i], 0, claim_now, claim_now + p_lease_ms[i])
              RETURNING id)
            UPDATE objects o SET leases = o.leases + 1 FROM lease
            WHERE o.job_id = p_job[i] AND o.idx = pick
            RETURNING lease.id, o.line, o.task_input INTO t_id, t_line, t_task_input;
            t_job := p_job[i];
            t_idx := pick;
            t_user := p_claim_user[i];
            t_state := 0;
            t_accepted_ms := claim_now;
            t_deadline_ms := claim_now + p_lease_ms[i];
            t_submitted_ms := 0;
            t_answer := '';
            t_time_spent := 0;
          END IF;
        END IF;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
END $$;
)sql";

// 9: claims and submits that leave the indexes of `objects` alone. Until
// now the partial indexes that find an object to hand out named its
// counters (answers, leases, declines) in their predicates, so every claim
// and submit changed an indexed column: each update of an object wrote a
// new entry in its primary key and in every matching index (none was HOT),
// and the scans for the next object walked the dead ones. `pick`, a stored
// column computed from the others, says where an object stands:
//   0 not released, 1 released and untouched (objects_ready), 2 started
//   with a place free (objects_open), 3 every place held with a lease still
//   out, 4 every place answered or declined (objects_full: to consolidate),
//   9 labeled or failed.
// The pick indexes now name only `pick`, so a claim or a submit that
// leaves it as it was (the second of three claims, the first two of three
// answers) is a HOT update: no index entry at all. Pages written from now
// on keep 30% free (fillfactor 70), so the new version fits beside the old.
// Adding the stored column rewrites the table once.
// plb_write_batch is migration 8's in fewer statements (each costs the
// server a plan check, locks and an executor start beside its work): the
// picks on `pick`, each one query whether or not it needs a task input
// (the pick indexes do not name task_input, so a filter does); an accepted
// submit in one statement (the conditions in its UPDATE; why a refused one
// changed nothing is read after it); the release of the next object
// written in rather than called; a job's status read once per batch and
// ended leases looked for once per batch; no look for the worker's live
// task right after their submit of the same job was accepted.
// plb_claim (no longer called, nor plb_submit_and_claim, which calls it)
// still picks by the counters: right, without the pick indexes' help.
extern const char kPickStateSql[] = R"sql(
ALTER TABLE objects ADD COLUMN pick SMALLINT GENERATED ALWAYS AS (
  CASE WHEN state <> 0 THEN 9
       WHEN needed <= answers + declines THEN 4
       WHEN answers + leases + declines > 0 AND needed > answers + leases + declines THEN 2
       WHEN answers + leases + declines > 0 THEN 3
       WHEN released_ms > 0 THEN 1
       ELSE 0 END) STORED;
ALTER TABLE objects SET (fillfactor = 70);
DROP INDEX objects_open;
DROP INDEX objects_ready;
DROP INDEX objects_full;
CREATE INDEX objects_open ON objects(job_id, idx) WHERE pick = 2;
CREATE INDEX objects_ready ON objects(job_id, idx) WHERE pick = 1;
CREATE INDEX objects_full ON objects(job_id, idx) WHERE pick = 4;

CREATE OR REPLACE FUNCTION plb_write_batch(p_kind INTEGER[], p_id BIGINT[], p_user BIGINT[],
                                p_answer TEXT[], p_spent DOUBLE PRECISION[], p_now BIGINT[],
                                p_job BIGINT[], p_claim_user BIGINT[], p_claim_now BIGINT[],
                                p_lease_ms BIGINT[], p_availability_ms BIGINT[],
                                p_start_new BOOLEAN[], p_stop_at_labeled BIGINT[],
                                p_require_input BOOLEAN[])
RETURNS TABLE(ord INTEGER, outcome INTEGER, job_name TEXT, job_status TEXT,
              t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  s_job BIGINT;
  left_window BOOLEAN;
  j_read BIGINT;         -- the job whose status j_status and j_labeled hold
  j_status TEXT;
  j_labeled BIGINT;
  start_new BOOLEAN;
  claim_now BIGINT;
  cutoff BIGINT;
  chosen BIGINT;
  fresh refcursor;
  fresh_job BIGINT;      -- the job (and kind) the open cursor reads; NULL: none open
  fresh_input BOOLEAN;
  fresh_left BOOLEAN;    -- false once the cursor has run out
  fresh_limit BIGINT;    -- the claims left in the batch when it opened
  f_idx BIGINT;
  f_released BIGINT;
  expiry_checked BOOLEAN := false;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    ord := i;
    outcome := NULL; job_name := NULL; job_status := NULL;
    t_id := NULL; t_job := NULL; t_idx := NULL; t_user := NULL; t_state := NULL;
    t_accepted_ms := NULL; t_deadline_ms := NULL; t_submitted_ms := NULL; t_answer := NULL;
    t_time_spent := NULL; t_line := NULL; t_task_input := NULL;
    -- Kind 2 and 3: a submit. outcome: 0 accepted, 1 already submitted, 2
    -- no such task, 3 not the worker's task, 4 the job is not in
    -- progress, 5 the lease has ended. An accepted submit is one
    -- statement: the answer (when every condition holds) and the end of
    -- the lease on the object. When it changes nothing, a second one
    -- reads why. A refusal changes nothing; the assignment row stays
    -- locked until the commit.
    s_job := NULL;
    IF p_kind[i] <> 1 THEN
      WITH answered AS (
        UPDATE assignments s SET state = 1, submitted_ms = p_now[i], answer = p_answer[i],
          time_spent = CASE WHEN p_spent[i] > 0 THEN p_spent[i]
                            ELSE (p_now[i] - s.accepted_ms)::float8 / 1000.0 END
        WHERE s.id = p_id[i] AND s.user_id = p_user[i] AND s.state = 0
          AND p_now[i] <= s.deadline_ms
          AND NOT EXISTS (SELECT 1 FROM jobs jb WHERE jb.id = s.job_id
                          AND jb.status <> 'InProgress')
        RETURNING s.job_id, s.idx),
      ended AS (
        UPDATE objects o SET leases = o.leases - 1, answers = o.answers + 1
        FROM answered WHERE o.job_id = answered.job_id AND o.idx = answered.idx
        RETURNING (o.answers + o.declines) = o.needed AND o.released_ms > 0 AS left_window)
      SELECT answered.job_id, (SELECT e.left_window FROM ended e) INTO s_job, left_window
      FROM answered;
      IF s_job IS NOT NULL THEN
        -- When that was the object's last place, it leaves the window and
        -- the next one is released (plb_release_next(job, 1, now) inline).
        IF left_window THEN
          UPDATE objects SET released_ms = greatest(p_now[i], 1)
          WHERE job_id = s_job AND idx = (
            SELECT u.idx FROM objects u WHERE u.job_id = s_job AND u.state = 0
              AND u.released_ms = 0 ORDER BY u.idx LIMIT 1 FOR UPDATE SKIP LOCKED);
        END IF;
        outcome := 0;
      ELSE
        SELECT s.user_id, s.state, s.deadline_ms, jb.name AS j_name, jb.status AS j_status
        INTO a FROM assignments s LEFT JOIN jobs jb ON jb.id = s.job_id
        WHERE s.id = p_id[i] FOR UPDATE OF s;
        IF NOT FOUND THEN
          outcome := 2;
        ELSIF a.user_id <> p_user[i] THEN
          outcome := 3;
        ELSIF a.state = 1 THEN
          outcome := 1;
        ELSIF a.j_status IS NOT NULL AND a.j_status <> 'InProgress' THEN
          outcome := 4; job_name := a.j_name; job_status := a.j_status;
        ELSE
          outcome := 5;
        END IF;
      END IF;
    END IF;
    -- Kind 1, and 3 after a submit that was not refused: a claim (plb_claim
    -- of migration 7, but for the pick of a fresh object). The job's status
    -- is read once per batch and job, and ended leases looked for once per
    -- batch: a batch is a few milliseconds.
    IF p_kind[i] <> 2 AND coalesce(outcome, 0) <= 1 THEN
      IF j_read IS DISTINCT FROM p_job[i] THEN
        j_read := p_job[i];
        SELECT jb.status, jb.labeled INTO j_status, j_labeled FROM jobs jb WHERE jb.id = j_read;
      END IF;
      IF j_status = 'InProgress' THEN
        claim_now := p_claim_now[i];
        start_new := p_start_new[i] AND
                     NOT (p_stop_at_labeled[i] > 0 AND j_labeled >= p_stop_at_labeled[i]);
        cutoff := claim_now - p_availability_ms[i];
        IF NOT expiry_checked THEN
          expiry_checked := true;
          IF EXISTS (SELECT 1 FROM assignments x WHERE x.state = 0 AND x.deadline_ms < claim_now) THEN
            PERFORM plb_expire_leases(claim_now);
          END IF;
        END IF;
        PERFORM pg_advisory_xact_lock(CAST(p_job[i] % 2147483647 AS integer),
                                      CAST(p_claim_user[i] % 2147483647 AS integer));
        -- The worker's live task (no row: every t_ column NULL). A worker
        -- holds one live task per job at most: none when their submit of
        -- this job was just accepted.
        IF s_job IS DISTINCT FROM p_job[i] OR p_user[i] IS DISTINCT FROM p_claim_user[i] THEN
          SELECT x.id, x.job_id, x.idx, x.user_id, x.state, x.accepted_ms, x.deadline_ms,
                 x.submitted_ms, x.answer, x.time_spent, o.line, o.task_input
          INTO t_id, t_job, t_idx, t_user, t_state, t_accepted_ms, t_deadline_ms,
               t_submitted_ms, t_answer, t_time_spent, t_line, t_task_input
          FROM assignments x LEFT JOIN objects o ON o.job_id = x.job_id AND o.idx = x.idx
          WHERE x.user_id = p_claim_user[i] AND x.job_id = p_job[i] AND x.state = 0
          ORDER BY x.id LIMIT 1;
        END IF;
        IF t_id IS NULL THEN
          -- With p_require_input, objects not pre-processed yet are
          -- passed over: a filter on top of the pick index, whose
          -- predicate names `pick` alone.
          SELECT o.idx INTO chosen FROM objects o WHERE o.job_id = p_job[i] AND o.pick = 2
            AND o.released_ms >= cutoff
            AND (NOT p_require_input[i] OR o.task_input IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.job_id = o.job_id
                            AND x.idx = o.idx AND x.user_id = p_claim_user[i]
                            AND x.state IN (0, 1, 3) OFFSET 0)
            ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
          IF chosen IS NULL AND start_new THEN
            -- A fresh object: the next of the batch's cursor over
            -- objects_ready (opened by the first claim that needs one, in
            -- manifest order, locking each row it hands back). A row
            -- released before this claim's cutoff is passed over. Its
            -- LIMIT (the claims left in the batch) keeps its plan an
            -- ordered scan of the index once the table is analysed:
            -- without one the plan reads and sorts every ready object.
            IF fresh_job IS DISTINCT FROM p_job[i] OR fresh_input IS DISTINCT FROM p_require_input[i] THEN
              IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
              fresh_job := p_job[i];
              fresh_input := p_require_input[i];
              fresh_left := true;
              fresh_limit := 0;
              FOR k IN i .. array_length(p_kind, 1) LOOP
                IF p_kind[k] <> 2 THEN fresh_limit := fresh_limit + 1; END IF;
              END LOOP;
              OPEN fresh FOR SELECT o.idx, o.released_ms FROM objects o
                WHERE o.job_id = fresh_job AND o.pick = 1
                  AND (NOT fresh_input OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT fresh_limit FOR UPDATE SKIP LOCKED;
            END IF;
            WHILE fresh_left LOOP
              FETCH fresh INTO f_idx, f_released;
              IF NOT FOUND THEN
                fresh_left := false;
              ELSIF f_released >= cutoff THEN
                chosen := f_idx;
                EXIT;
              END IF;
            END LOOP;
            -- Run out: what the batch's submits released since it opened.
            IF chosen IS NULL THEN
              SELECT o.idx INTO chosen FROM objects o WHERE o.job_id = p_job[i] AND o.pick = 1
                AND o.released_ms >= cutoff
                AND (NOT p_require_input[i] OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
            END IF;
          END IF;
          IF chosen IS NOT NULL THEN
            WITH lease AS (
              INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
              VALUES (p_job[i], chosen, p_claim_user[i], 0, claim_now, claim_now + p_lease_ms[i])
              RETURNING id)
            UPDATE objects o SET leases = o.leases + 1 FROM lease
            WHERE o.job_id = p_job[i] AND o.idx = chosen
            RETURNING lease.id, o.line, o.task_input INTO t_id, t_line, t_task_input;
            t_job := p_job[i];
            t_idx := chosen;
            t_user := p_claim_user[i];
            t_state := 0;
            t_accepted_ms := claim_now;
            t_deadline_ms := claim_now + p_lease_ms[i];
            t_submitted_ms := 0;
            t_answer := '';
            t_time_spent := 0;
          END IF;
        END IF;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
END $$;
)sql";


// 10: objects.pick as a plain column that every write of an object's state
// or counters sets, through plb_pick. As a stored computed column (9), each
// UPDATE of objects read the column's expression back from its stored text
// and compiled it again when the statement started: 16% of the writer's
// CPU in the claim + submit bench. plb_pick is a SQL function PostgreSQL
// inlines when it plans a statement, so a cached plan computes pick like
// any other expression. The functions that update objects are redefined
// with it (plb_write_batch as in 9 but for the three SET lists);
// plb_submit and plb_claim, which nothing calls since 8, are dropped.
extern const char kPlainPickSql[] = R"sql(
CREATE FUNCTION plb_pick(p_state BIGINT, p_needed BIGINT, p_answers BIGINT, p_leases BIGINT,
                         p_declines BIGINT, p_released_ms BIGINT) RETURNS SMALLINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CAST(CASE WHEN p_state <> 0 THEN 9
       WHEN p_needed <= p_answers + p_declines THEN 4
       WHEN p_answers + p_leases + p_declines > 0
            AND p_needed > p_answers + p_leases + p_declines THEN 2
       WHEN p_answers + p_leases + p_declines > 0 THEN 3
       WHEN p_released_ms > 0 THEN 1
       ELSE 0 END AS SMALLINT)
$$;
ALTER TABLE objects ALTER COLUMN pick DROP EXPRESSION;
ALTER TABLE objects ALTER COLUMN pick SET DEFAULT 0;
ALTER TABLE objects ALTER COLUMN pick SET NOT NULL;
DROP FUNCTION plb_submit(BIGINT, BIGINT, TEXT, DOUBLE PRECISION, BIGINT);
DROP FUNCTION plb_claim(BIGINT, BIGINT, BIGINT, BIGINT, BIGINT, BOOLEAN, BIGINT, BOOLEAN);

CREATE OR REPLACE FUNCTION plb_release_next(p_job BIGINT, p_count BIGINT, p_now BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  FOR r IN SELECT o.idx FROM objects o
           WHERE o.job_id = p_job AND o.state = 0 AND o.released_ms = 0
           ORDER BY o.idx LIMIT p_count FOR UPDATE SKIP LOCKED LOOP
    UPDATE objects SET released_ms = greatest(p_now, 1),
      pick = plb_pick(state, needed, answers, leases, declines, greatest(p_now, 1))
    WHERE job_id = p_job AND idx = r.idx;
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION plb_expire_leases(p_now BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
  n BIGINT := 0;
BEGIN
  FOR r IN SELECT a.id, a.job_id, a.idx FROM assignments a
           WHERE a.state = 0 AND a.deadline_ms < p_now LOOP
    UPDATE assignments SET state = 4 WHERE id = r.id AND state = 0;
    IF FOUND THEN
      UPDATE objects SET leases = leases - 1,
        pick = plb_pick(state, needed, answers, leases - 1, declines, released_ms)
      WHERE job_id = r.job_id AND idx = r.idx;
      n := n + 1;
    END IF;
  END LOOP;
  RETURN n;
END $$;

CREATE OR REPLACE FUNCTION plb_end_lease(p_job BIGINT, p_idx BIGINT, p_answered BIGINT,
                                         p_declined BIGINT, p_now BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  left_window BOOLEAN;
BEGIN
  UPDATE objects SET leases = leases - 1, answers = answers + p_answered,
                     declines = declines + p_declined,
    pick = plb_pick(state, needed, answers + p_answered, leases - 1, declines + p_declined,
                    released_ms)
  WHERE job_id = p_job AND idx = p_idx
  RETURNING (answers + declines) = needed AND released_ms > 0 INTO left_window;
  IF left_window AND p_answered + p_declined > 0 THEN
    PERFORM plb_release_next(p_job, 1, p_now);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION plb_write_batch(p_kind INTEGER[], p_id BIGINT[], p_user BIGINT[],
                                p_answer TEXT[], p_spent DOUBLE PRECISION[], p_now BIGINT[],
                                p_job BIGINT[], p_claim_user BIGINT[], p_claim_now BIGINT[],
                                p_lease_ms BIGINT[], p_availability_ms BIGINT[],
                                p_start_new BOOLEAN[], p_stop_at_labeled BIGINT[],
                                p_require_input BOOLEAN[])
RETURNS TABLE(ord INTEGER, outcome INTEGER, job_name TEXT, job_status TEXT,
              t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  s_job BIGINT;
  left_window BOOLEAN;
  j_read BIGINT;         -- the job whose status j_status and j_labeled hold
  j_status TEXT;
  j_labeled BIGINT;
  start_new BOOLEAN;
  claim_now BIGINT;
  cutoff BIGINT;
  chosen BIGINT;
  fresh refcursor;
  fresh_job BIGINT;      -- the job (and kind) the open cursor reads; NULL: none open
  fresh_input BOOLEAN;
  fresh_left BOOLEAN;    -- false once the cursor has run out
  fresh_limit BIGINT;    -- the claims left in the batch when it opened
  f_idx BIGINT;
  f_released BIGINT;
  expiry_checked BOOLEAN := false;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    ord := i;
    outcome := NULL; job_name := NULL; job_status := NULL;
    t_id := NULL; t_job := NULL; t_idx := NULL; t_user := NULL; t_state := NULL;
    t_accepted_ms := NULL; t_deadline_ms := NULL; t_submitted_ms := NULL; t_answer := NULL;
    t_time_spent := NULL; t_line := NULL; t_task_input := NULL;
    -- Kind 2 and 3: a submit. outcome: 0 accepted, 1 already submitted, 2
    -- no such task, 3 not the worker's task, 4 the job is not in
    -- progress, 5 the lease has ended. An accepted submit is one
    -- statement: the answer (when every condition holds) and the end of
    -- the lease on the object. When it changes nothing, a second one
    -- reads why. A refusal changes nothing; the assignment row stays
    -- locked until the commit.
    s_job := NULL;
    IF p_kind[i] <> 1 THEN
      WITH answered AS (
        UPDATE assignments s SET state = 1, submitted_ms = p_now[i], answer = p_answer[i],
          time_spent = CASE WHEN p_spent[i] > 0 THEN p_spent[i]
                            ELSE (p_now[i] - s.accepted_ms)::float8 / 1000.0 END
        WHERE s.id = p_id[i] AND s.user_id = p_user[i] AND s.state = 0
          AND p_now[i] <= s.deadline_ms
          AND NOT EXISTS (SELECT 1 FROM jobs jb WHERE jb.id = s.job_id
                          AND jb.status <> 'InProgress')
        RETURNING s.job_id, s.idx),
      ended AS (
        UPDATE objects o SET leases = o.leases - 1, answers = o.answers + 1,
          pick = plb_pick(o.state, o.needed, o.answers + 1, o.leases - 1, o.declines, o.released_ms)
        FROM answered WHERE o.job_id = answered.job_id AND o.idx = answered.idx
        RETURNING (o.answers + o.declines) = o.needed AND o.released_ms > 0 AS left_window)
      SELECT answered.job_id, (SELECT e.left_window FROM ended e) INTO s_job, left_window
      FROM answered;
      IF s_job IS NOT NULL THEN
        -- When that was the object's last place, it leaves the window and
        -- the next one is released (plb_release_next(job, 1, now) inline).
        IF left_window THEN
          UPDATE objects SET released_ms = greatest(p_now[i], 1),
            pick = plb_pick(state, needed, answers, leases, declines, greatest(p_now[i], 1))
          WHERE job_id = s_job AND idx = (
            SELECT u.idx FROM objects u WHERE u.job_id = s_job AND u.state = 0
              AND u.released_ms = 0 ORDER BY u.idx LIMIT 1 FOR UPDATE SKIP LOCKED);
        END IF;
        outcome := 0;
      ELSE
        SELECT s.user_id, s.state, s.deadline_ms, jb.name AS j_name, jb.status AS j_status
        INTO a FROM assignments s LEFT JOIN jobs jb ON jb.id = s.job_id
        WHERE s.id = p_id[i] FOR UPDATE OF s;
        IF NOT FOUND THEN
          outcome := 2;
        ELSIF a.user_id <> p_user[i] THEN
          outcome := 3;
        ELSIF a.state = 1 THEN
          outcome := 1;
        ELSIF a.j_status IS NOT NULL AND a.j_status <> 'InProgress' THEN
          outcome := 4; job_name := a.j_name; job_status := a.j_status;
        ELSE
          outcome := 5;
        END IF;
      END IF;
    END IF;
    -- Kind 1, and 3 after a submit that was not refused: a claim (plb_claim
    -- of migration 7, but for the pick of a fresh object). The job's status
    -- is read once per batch and job, and ended leases looked for once per
    -- batch: a batch is a few milliseconds.
    IF p_kind[i] <> 2 AND coalesce(outcome, 0) <= 1 THEN
      IF j_read IS DISTINCT FROM p_job[i] THEN
        j_read := p_job[i];
        SELECT jb.status, jb.labeled INTO j_status, j_labeled FROM jobs jb WHERE jb.id = j_read;
      END IF;
      IF j_status = 'InProgress' THEN
        claim_now := p_claim_now[i];
        start_new := p_start_new[i] AND
                     NOT (p_stop_at_labeled[i] > 0 AND j_labeled >= p_stop_at_labeled[i]);
        cutoff := claim_now - p_availability_ms[i];
        IF NOT expiry_checked THEN
          expiry_checked := true;
          IF EXISTS (SELECT 1 FROM assignments x WHERE x.state = 0 AND x.deadline_ms < claim_now) THEN
            PERFORM plb_expire_leases(claim_now);
          END IF;
        END IF;
        PERFORM pg_advisory_xact_lock(CAST(p_job[i] % 2147483647 AS integer),
                                      CAST(p_claim_user[i] % 2147483647 AS integer));
        -- The worker's live task (no row: every t_ column NULL). A worker
        -- holds one live task per job at most: none when their submit of
        -- this job was just accepted.
        IF s_job IS DISTINCT FROM p_job[i] OR p_user[i] IS DISTINCT FROM p_claim_user[i] THEN
          SELECT x.id, x.job_id, x.idx, x.user_id, x.state, x.accepted_ms, x.deadline_ms,
                 x.submitted_ms, x.answer, x.time_spent, o.line, o.task_input
          INTO t_id, t_job, t_idx, t_user, t_state, t_accepted_ms, t_deadline_ms,
               t_submitted_ms, t_answer, t_time_spent, t_line, t_task_input
          FROM assignments x LEFT JOIN objects o ON o.job_id = x.job_id AND o.idx = x.idx
          WHERE x.user_id = p_claim_user[i] AND x.job_id = p_job[i] AND x.state = 0
          ORDER BY x.id LIMIT 1;
        END IF;
        IF t_id IS NULL THEN
          -- With p_require_input, objects not pre-processed yet are
          -- passed over: a filter on top of the pick index, whose
          -- predicate names `pick` alone.
          SELECT o.idx INTO chosen FROM objects o WHERE o.job_id = p_job[i] AND o.pick = 2
            AND o.released_ms >= cutoff
            AND (NOT p_require_input[i] OR o.task_input IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.job_id = o.job_id
                            AND x.idx = o.idx AND x.user_id = p_claim_user[i]
                            AND x.state IN (0, 1, 3) OFFSET 0)
            ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
          IF chosen IS NULL AND start_new THEN
            -- A fresh object: the next of the batch's cursor over
            -- objects_ready (opened by the first claim that needs one, in
            -- manifest order, locking each row it hands back). A row
            -- released before this claim's cutoff is passed over. Its
            -- LIMIT (the claims left in the batch) keeps its plan an
            -- ordered scan of the index once the table is analysed:
            -- without one the plan reads and sorts every ready object.
            IF fresh_job IS DISTINCT FROM p_job[i] OR fresh_input IS DISTINCT FROM p_require_input[i] THEN
              IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
              fresh_job := p_job[i];
              fresh_input := p_require_input[i];
              fresh_left := true;
              fresh_limit := 0;
              FOR k IN i .. array_length(p_kind, 1) LOOP
                IF p_kind[k] <> 2 THEN fresh_limit := fresh_limit + 1; END IF;
              END LOOP;
              OPEN fresh FOR SELECT o.idx, o.released_ms FROM objects o
                WHERE o.job_id = fresh_job AND o.pick = 1
                  AND (NOT fresh_input OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT fresh_limit FOR UPDATE SKIP LOCKED;
            END IF;
            WHILE fresh_left LOOP
              FETCH fresh INTO f_idx, f_released;
              IF NOT FOUND THEN
                fresh_left := false;
              ELSIF f_released >= cutoff THEN
                chosen := f_idx;
                EXIT;
              END IF;
            END LOOP;
            -- Run out: what the batch's submits released since it opened.
            IF chosen IS NULL THEN
              SELECT o.idx INTO chosen FROM objects o WHERE o.job_id = p_job[i] AND o.pick = 1
                AND o.released_ms >= cutoff
                AND (NOT p_require_input[i] OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
            END IF;
          END IF;
          IF chosen IS NOT NULL THEN
            WITH lease AS (
              INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
              VALUES (p_job[i], chosen, p_claim_user[i], 0, claim_now, claim_now + p_lease_ms[i])
              RETURNING id)
            UPDATE objects o SET leases = o.leases + 1,
              pick = plb_pick(o.state, o.needed, o.answers, o.leases + 1, o.declines, o.released_ms)
            FROM lease
            WHERE o.job_id = p_job[i] AND o.idx = chosen
            RETURNING lease.id, o.line, o.task_input INTO t_id, t_line, t_task_input;
            t_job := p_job[i];
            t_idx := chosen;
            t_user := p_claim_user[i];
            t_state := 0;
            t_accepted_ms := claim_now;
            t_deadline_ms := claim_now + p_lease_ms[i];
            t_submitted_ms := 0;
            t_answer := '';
            t_time_spent := 0;
          END IF;
        END IF;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
END $$;
)sql";

// 11: a batch's submits as one statement, and its claims' leases as one
// insert. With a statement per write, each paid its executor's start-up
// (the updates' index opens, subqueries): a third of the writer's backend
// time in the claim + submit bench. And each submit that ended an object's
// last place released the next object by a walk of its own past the
// released rows still in objects_unreleased. plb_release_next becomes one
// statement (it updated the objects it released one at a time), and
// plb_write_batch now runs every submit of the batch first, in one
// statement that also moves each object's counters once, then one
// plb_release_next per job; then the claims in order, each picking a
// started object and counting its lease in one statement, their
// assignment rows inserted together at the end (redefined whole: a
// migration states what it installs).
extern const char kSetSubmitsSql[] = R"sql(
CREATE OR REPLACE FUNCTION plb_release_next(p_job BIGINT, p_count BIGINT, p_now BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE objects SET released_ms = greatest(p_now, 1),
    pick = plb_pick(state, needed, answers, leases, declines, greatest(p_now, 1))
  WHERE job_id = p_job AND idx IN (
    SELECT u.idx FROM objects u WHERE u.job_id = p_job AND u.state = 0 AND u.released_ms = 0
    ORDER BY u.idx LIMIT p_count FOR UPDATE SKIP LOCKED);
END $$;

CREATE OR REPLACE FUNCTION plb_write_batch(p_kind INTEGER[], p_id BIGINT[], p_user BIGINT[],
                                p_answer TEXT[], p_spent DOUBLE PRECISION[], p_now BIGINT[],
                                p_job BIGINT[], p_claim_user BIGINT[], p_claim_now BIGINT[],
                                p_lease_ms BIGINT[], p_availability_ms BIGINT[],
                                p_start_new BOOLEAN[], p_stop_at_labeled BIGINT[],
                                p_require_input BOOLEAN[])
RETURNS TABLE(ord INTEGER, outcome INTEGER, job_name TEXT, job_status TEXT,
              t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  s_job BIGINT;
  j_read BIGINT;         -- the job whose status j_status and j_labeled hold
  j_status TEXT;
  j_labeled BIGINT;
  start_new BOOLEAN;
  claim_now BIGINT;
  cutoff BIGINT;
  chosen BIGINT;
  fresh refcursor;
  fresh_job BIGINT;      -- the job (and kind) the open cursor reads; NULL: none open
  fresh_input BOOLEAN;
  fresh_left BOOLEAN;    -- false once the cursor has run out
  fresh_limit BIGINT;    -- the claims left in the batch when it opened
  f_idx BIGINT;
  f_released BIGINT;
  expiry_checked BOOLEAN := false;
  s_jobs BIGINT[];       -- by ord: the job of the accepted submit (NULL: none)
  acc_ords BIGINT[];
  acc_jobs BIGINT[];
  left_jobs BIGINT[];    -- a job once for each of its objects that left the window
  rel_now BIGINT;
  r RECORD;
  deferred BOOLEAN;      -- the claims' leases are inserted together at the end
  seq REGCLASS;          -- assignments.id's sequence
  l_n INTEGER := 0;      -- the leases to insert, one array per column
  l_id BIGINT[];
  l_job BIGINT[];
  l_idx BIGINT[];
  l_user BIGINT[];
  l_acc BIGINT[];
  l_dead BIGINT[];
BEGIN
  -- Every submit of the batch in one statement, before the claims (any
  -- order of a batch is one its callers could have seen: none has heard
  -- back). A submit is accepted when every condition holds; of a worker's
  -- two for one task the first counts, as when they ran in order.
  -- Each object's counters move once by its accepted submits, and one
  -- object is released per object that left the window, per job in one
  -- statement. As a statement each, the submits paid the executor's
  -- start-up, the objects' index opens and the release's walk past
  -- released rows once per submit.
  IF 2 = ANY(p_kind) OR 3 = ANY(p_kind) THEN
    WITH input AS (
      SELECT DISTINCT ON (t.id, t.user_id) t.ord, t.id, t.user_id, t.answer, t.spent, t.now,
             0::BIGINT AS live
      FROM unnest(p_kind, p_id, p_user, p_answer, p_spent, p_now) WITH ORDINALITY
           AS t(kind, id, user_id, answer, spent, now, ord)
      WHERE t.kind <> 1
      ORDER BY t.id, t.user_id, t.ord),
    answered AS (
      UPDATE assignments s SET state = 1, submitted_ms = i.now, answer = i.answer,
        time_spent = CASE WHEN i.spent > 0 THEN i.spent
                          ELSE (i.now - s.accepted_ms)::float8 / 1000.0 END
      FROM input i
      -- The tasks by their key, and the live state (0) compared with the
      -- input's column: a constant would let the plan read the tasks
      -- through a partial index of live tasks (assignments_held), whose
      -- entries each submit leaves behind until a vacuum, for every batch.
      WHERE s.id = ANY(p_id) AND s.id = i.id AND s.user_id = i.user_id AND s.state = i.live
        AND i.now <= s.deadline_ms
        AND NOT EXISTS (SELECT 1 FROM jobs jb WHERE jb.id = s.job_id
                        AND jb.status <> 'InProgress')
      RETURNING i.ord, i.now, s.job_id, s.idx),
    counted AS (
      SELECT d.job_id, d.idx, count(*) AS n FROM answered d GROUP BY d.job_id, d.idx),
    ended AS (
      UPDATE objects o SET leases = o.leases - c.n, answers = o.answers + c.n,
        pick = plb_pick(o.state, o.needed, o.answers + c.n, o.leases - c.n, o.declines,
                        o.released_ms)
      FROM counted c WHERE o.job_id = c.job_id AND o.idx = c.idx
      RETURNING o.job_id, (o.answers + o.declines) = o.needed AND o.released_ms > 0 AS left_window)
    SELECT array_agg(d.ord ORDER BY d.ord), array_agg(d.job_id ORDER BY d.ord), max(d.now),
           (SELECT array_agg(e.job_id) FROM ended e WHERE e.left_window)
    INTO acc_ords, acc_jobs, rel_now, left_jobs FROM answered d;
    FOR k IN 1 .. coalesce(array_length(acc_ords, 1), 0) LOOP
      s_jobs[acc_ords[k]] := acc_jobs[k];
    END LOOP;
    FOR r IN SELECT l.job_id, count(*) AS n FROM unnest(left_jobs) AS l(job_id)
             GROUP BY l.job_id ORDER BY l.job_id LOOP
      PERFORM plb_release_next(r.job_id, r.n, rel_now);
    END LOOP;
  END IF;
  -- The claims' leases (assignment rows) wait for one insert at the end,
  -- their ids taken from the sequence as they are made, unless a worker
  -- claims twice in one job in the batch: their second claim must find
  -- the first's lease (their live task) and pass over its object.
  deferred := NOT EXISTS (SELECT 1 FROM unnest(p_kind, p_job, p_claim_user) AS c(kind, job, u)
                          WHERE c.kind <> 2 GROUP BY c.job, c.u HAVING count(*) > 1);
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    ord := i;
    outcome := NULL; job_name := NULL; job_status := NULL;
    t_id := NULL; t_job := NULL; t_idx := NULL; t_user := NULL; t_state := NULL;
    t_accepted_ms := NULL; t_deadline_ms := NULL; t_submitted_ms := NULL; t_answer := NULL;
    t_time_spent := NULL; t_line := NULL; t_task_input := NULL;
    -- Kind 2 and 3: a submit, run above with the batch's others. outcome:
    -- 0 accepted, 1 already submitted, 2 no such task, 3 not the worker's
    -- task, 4 the job is not in progress, 5 the lease has ended. A refused
    -- submit changes nothing; the assignment row read for the reason stays
    -- locked until the commit.
    s_job := NULL;
    IF p_kind[i] <> 1 THEN
      s_job := s_jobs[i];
      IF s_job IS NOT NULL THEN
        outcome := 0;
      ELSE
        SELECT s.user_id, s.state, s.deadline_ms, jb.name AS j_name, jb.status AS j_status
        INTO a FROM assignments s LEFT JOIN jobs jb ON jb.id = s.job_id
        WHERE s.id = p_id[i] FOR UPDATE OF s;
        IF NOT FOUND THEN
          outcome := 2;
        ELSIF a.user_id <> p_user[i] THEN
          outcome := 3;
        ELSIF a.state = 1 THEN
          outcome := 1;
        ELSIF a.j_status IS NOT NULL AND a.j_status <> 'InProgress' THEN
          outcome := 4; job_name := a.j_name; job_status := a.j_status;
        ELSE
          outcome := 5;
        END IF;
      END IF;
    END IF;
    -- Kind 1, and 3 after a submit that was not refused: a claim (plb_claim
    -- of migration 7, but for the pick of a fresh object). The job's status
    -- is read once per batch and job, and ended leases looked for once per
    -- batch: a batch is a few milliseconds.
    IF p_kind[i] <> 2 AND coalesce(outcome, 0) <= 1 THEN
      IF j_read IS DISTINCT FROM p_job[i] THEN
        j_read := p_job[i];
        SELECT jb.status, jb.labeled INTO j_status, j_labeled FROM jobs jb WHERE jb.id = j_read;
      END IF;
      IF j_status = 'InProgress' THEN
        claim_now := p_claim_now[i];
        start_new := p_start_new[i] AND
                     NOT (p_stop_at_labeled[i] > 0 AND j_labeled >= p_stop_at_labeled[i]);
        cutoff := claim_now - p_availability_ms[i];
        IF NOT expiry_checked THEN
          expiry_checked := true;
          IF EXISTS (SELECT 1 FROM assignments x WHERE x.state = 0 AND x.deadline_ms < claim_now) THEN
            PERFORM plb_expire_leases(claim_now);
          END IF;
        END IF;
        PERFORM pg_advisory_xact_lock(CAST(p_job[i] % 2147483647 AS integer),
                                      CAST(p_claim_user[i] % 2147483647 AS integer));
        -- The worker's live task (no row: every t_ column NULL). A worker
        -- holds one live task per job at most: none when their submit of
        -- this job was just accepted.
        IF s_job IS DISTINCT FROM p_job[i] OR p_user[i] IS DISTINCT FROM p_claim_user[i] THEN
          SELECT x.id, x.job_id, x.idx, x.user_id, x.state, x.accepted_ms, x.deadline_ms,
                 x.submitted_ms, x.answer, x.time_spent, o.line, o.task_input
          INTO t_id, t_job, t_idx, t_user, t_state, t_accepted_ms, t_deadline_ms,
               t_submitted_ms, t_answer, t_time_spent, t_line, t_task_input
          FROM assignments x LEFT JOIN objects o ON o.job_id = x.job_id AND o.idx = x.idx
          WHERE x.user_id = p_claim_user[i] AND x.job_id = p_job[i] AND x.state = 0
          ORDER BY x.id LIMIT 1;
        END IF;
        IF t_id IS NULL THEN
          -- A started object with a place free, picked and counted in one
          -- statement. With p_require_input, objects not pre-processed yet
          -- are passed over: a filter on top of the pick index, whose
          -- predicate names `pick` alone.
          UPDATE objects o SET leases = o.leases + 1,
            pick = plb_pick(o.state, o.needed, o.answers, o.leases + 1, o.declines, o.released_ms)
          WHERE o.job_id = p_job[i] AND o.idx = (
            SELECT c.idx FROM objects c WHERE c.job_id = p_job[i] AND c.pick = 2
              AND c.released_ms >= cutoff
              AND (NOT p_require_input[i] OR c.task_input IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM assignments x WHERE x.job_id = c.job_id
                              AND x.idx = c.idx AND x.user_id = p_claim_user[i]
                              AND x.state IN (0, 1, 3) OFFSET 0)
              ORDER BY c.idx LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING o.idx, o.line, o.task_input INTO chosen, t_line, t_task_input;
          IF chosen IS NULL AND start_new THEN
            -- A fresh object: the next of the batch's cursor over
            -- objects_ready (opened by the first claim that needs one, in
            -- manifest order, locking each row it hands back). A row
            -- released before this claim's cutoff is passed over. Its
            -- LIMIT (the claims left in the batch) keeps its plan an
            -- ordered scan of the index once the table is analysed:
            -- without one the plan reads and sorts every ready object.
            IF fresh_job IS DISTINCT FROM p_job[i] OR fresh_input IS DISTINCT FROM p_require_input[i] THEN
              IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
              fresh_job := p_job[i];
              fresh_input := p_require_input[i];
              fresh_left := true;
              fresh_limit := 0;
              FOR k IN i .. array_length(p_kind, 1) LOOP
                IF p_kind[k] <> 2 THEN fresh_limit := fresh_limit + 1; END IF;
              END LOOP;
              OPEN fresh FOR SELECT o.idx, o.released_ms FROM objects o
                WHERE o.job_id = fresh_job AND o.pick = 1
                  AND (NOT fresh_input OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT fresh_limit FOR UPDATE SKIP LOCKED;
            END IF;
            WHILE fresh_left LOOP
              FETCH fresh INTO f_idx, f_released;
              IF NOT FOUND THEN
                fresh_left := false;
              ELSIF f_released >= cutoff THEN
                chosen := f_idx;
                EXIT;
              END IF;
            END LOOP;
            -- Run out: what the batch's submits released since it opened.
            IF chosen IS NULL THEN
              SELECT o.idx INTO chosen FROM objects o WHERE o.job_id = p_job[i] AND o.pick = 1
                AND o.released_ms >= cutoff
                AND (NOT p_require_input[i] OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT 1 FOR UPDATE SKIP LOCKED;
            END IF;
            IF chosen IS NOT NULL THEN
              UPDATE objects o SET leases = o.leases + 1,
                pick = plb_pick(o.state, o.needed, o.answers, o.leases + 1, o.declines,
                                o.released_ms)
              WHERE o.job_id = p_job[i] AND o.idx = chosen
              RETURNING o.line, o.task_input INTO t_line, t_task_input;
            END IF;
          END IF;
          IF chosen IS NOT NULL THEN
            IF deferred THEN
              IF seq IS NULL THEN
                seq := pg_get_serial_sequence('assignments', 'id')::regclass;
              END IF;
              t_id := nextval(seq);
              l_n := l_n + 1;
              l_id[l_n] := t_id;
              l_job[l_n] := p_job[i];
              l_idx[l_n] := chosen;
              l_user[l_n] := p_claim_user[i];
              l_acc[l_n] := claim_now;
              l_dead[l_n] := claim_now + p_lease_ms[i];
            ELSE
              INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
              VALUES (p_job[i], chosen, p_claim_user[i], 0, claim_now, claim_now + p_lease_ms[i])
              RETURNING id INTO t_id;
            END IF;
            t_job := p_job[i];
            t_idx := chosen;
            t_user := p_claim_user[i];
            t_state := 0;
            t_accepted_ms := claim_now;
            t_deadline_ms := claim_now + p_lease_ms[i];
            t_submitted_ms := 0;
            t_answer := '';
            t_time_spent := 0;
          END IF;
        END IF;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF l_n > 0 THEN
    INSERT INTO assignments(id, job_id, idx, user_id, state, accepted_ms, deadline_ms)
    SELECT l.id, l.job, l.idx, l.u, 0, l.acc, l.dead
    FROM unnest(l_id, l_job, l_idx, l_user, l_acc, l_dead) AS l(id, job, idx, u, acc, dead);
  END IF;
  IF fresh_job IS NOT NULL THEN CLOSE fresh; END IF;
END $$;
)sql";

// 12: a batch's claims from a pool. Each claim was three statements or
// more (its worker's lock, their live task, the pick and count of a
// started object; a fresh object's fetch and count besides), each paying
// its executor's start-up, about 60% of plb_write_batch's time in the
// claim + submit bench. Now the batch takes every claim's lock in one
// statement (in one order) and reads which workers hold a live task in
// one. Per job, a pool of started objects, locked as the claims need
// them: a load (one statement) takes as many as there are claims left,
// each with which of the batch's workers have had it; each claim takes
// the first object of the pool it may, a fresh one from the cursor joins
// the pool, and the leases are counted in memory and written in one
// statement (plb_add_leases) when the pool is let go. A claim that finds
// the cursor run out writes the pool's leases and then picks as before.
extern const char kClaimPoolSql[] = R"sql(
-- The objects by key (one index scan for the array), each counted by its
-- place in it. The plan does not depend on the arrays: its generic plan
-- is kept (a plan per call, chosen when the arrays were short, cost more
-- than the update).
CREATE FUNCTION plb_add_leases(p_job BIGINT, p_idx BIGINT[], p_n BIGINT[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  UPDATE objects o SET leases = o.leases + p_n[array_position(p_idx, o.idx)],
    pick = plb_pick(o.state, o.needed, o.answers, o.leases + p_n[array_position(p_idx, o.idx)],
                    o.declines, o.released_ms)
  WHERE o.job_id = p_job AND o.idx = ANY(p_idx) AND p_n[array_position(p_idx, o.idx)] > 0;
END $$;

CREATE OR REPLACE FUNCTION plb_write_batch(p_kind INTEGER[], p_id BIGINT[], p_user BIGINT[],
                                p_answer TEXT[], p_spent DOUBLE PRECISION[], p_now BIGINT[],
                                p_job BIGINT[], p_claim_user BIGINT[], p_claim_now BIGINT[],
                                p_lease_ms BIGINT[], p_availability_ms BIGINT[],
                                p_start_new BOOLEAN[], p_stop_at_labeled BIGINT[],
                                p_require_input BOOLEAN[])
RETURNS TABLE(ord INTEGER, outcome INTEGER, job_name TEXT, job_status TEXT,
              t_id BIGINT, t_job BIGINT, t_idx BIGINT, t_user BIGINT, t_state BIGINT,
              t_accepted_ms BIGINT, t_deadline_ms BIGINT, t_submitted_ms BIGINT,
              t_answer TEXT, t_time_spent DOUBLE PRECISION, t_line TEXT, t_task_input TEXT)
LANGUAGE plpgsql AS $$
DECLARE
  a RECORD;
  s_job BIGINT;
  j_read BIGINT;         -- the job whose status j_status and j_labeled hold
  j_status TEXT;
  j_labeled BIGINT;
  start_new BOOLEAN;
  claim_now BIGINT;
  cutoff BIGINT;
  chosen BIGINT;
  c_total INTEGER;       -- the batch's claims (kinds 1 and 3)
  c_seen INTEGER := 0;   -- of them, those the loop has reached
  c_first_now BIGINT;
  lv_keys TEXT[];        -- 'job:user' of the claims whose worker holds a live task
  fresh refcursor;
  fresh_open BOOLEAN := false;
  fresh_left BOOLEAN;    -- false once the cursor has run out
  f_idx BIGINT;
  f_released BIGINT;
  f_places BIGINT;
  f_line TEXT;
  f_input TEXT;
  -- The pool: objects of one job (and kind) this batch has locked to claim
  -- from, in pick order, with their places left and the leases the batch
  -- has counted on them but not yet written.
  pl_job BIGINT;         -- NULL: no pool
  pl_input BOOLEAN;
  pl_n INTEGER := 0;
  pl_limit INTEGER;      -- the started objects the pool's last load asked for
  pl_first INTEGER;      -- the first entry that may still have a place
  pl_last BIGINT;        -- the last started object loaded
  pl_more BOOLEAN;       -- more started objects may lie past it
  pl_dirty BOOLEAN := false;
  pl_idx BIGINT[];
  pl_rel BIGINT[];
  pl_places BIGINT[];
  pl_add BIGINT[];
  pl_line TEXT[];
  pl_task TEXT[];
  pl_had TEXT[];         -- ',user,user,': the batch's workers who have had the object
  kc INTEGER;
  k_from INTEGER;
  e_n INTEGER;           -- a load's rows, one array per column
  e_idx BIGINT[];
  e_rel BIGINT[];
  e_places BIGINT[];
  e_line TEXT[];
  e_task TEXT[];
  e_had TEXT[];
  s_jobs BIGINT[];       -- by ord: the job of the accepted submit (NULL: none)
  acc_ords BIGINT[];
  acc_jobs BIGINT[];
  left_jobs BIGINT[];    -- a job once for each of its objects that left the window
  rel_now BIGINT;
  r RECORD;
  deferred BOOLEAN;      -- the claims' leases are inserted together at the end
  seq REGCLASS;          -- assignments.id's sequence
  l_n INTEGER := 0;      -- the leases to insert, one array per column
  l_id BIGINT[];
  l_job BIGINT[];
  l_idx BIGINT[];
  l_user BIGINT[];
  l_acc BIGINT[];
  l_dead BIGINT[];
BEGIN
  -- Every submit of the batch in one statement, before the claims (any
  -- order of a batch is one its callers could have seen: none has heard
  -- back). A submit is accepted when every condition holds; of a worker's
  -- two for one task the first counts, as when they ran in order.
  -- Each object's counters move once by its accepted submits, and one
  -- object is released per object that left the window, per job in one
  -- statement. As a statement each, the submits paid the executor's
  -- start-up, the objects' index opens and the release's walk past
  -- released rows once per submit.
  IF 2 = ANY(p_kind) OR 3 = ANY(p_kind) THEN
    WITH input AS (
      SELECT DISTINCT ON (t.id, t.user_id) t.ord, t.id, t.user_id, t.answer, t.spent, t.now,
             0::BIGINT AS live
      FROM unnest(p_kind, p_id, p_user, p_answer, p_spent, p_now) WITH ORDINALITY
           AS t(kind, id, user_id, answer, spent, now, ord)
      WHERE t.kind <> 1
      ORDER BY t.id, t.user_id, t.ord),
    answered AS (
      UPDATE assignments s SET state = 1, submitted_ms = i.now, answer = i.answer,
        time_spent = CASE WHEN i.spent > 0 THEN i.spent
                          ELSE (i.now - s.accepted_ms)::float8 / 1000.0 END
      FROM input i
      -- The tasks by their key, and the live state (0) compared with the
      -- input's column: a constant would let the plan read the tasks
      -- through a partial index of live tasks (assignments_held), whose
      -- entries each submit leaves behind until a vacuum, for every batch.
      WHERE s.id = ANY(p_id) AND s.id = i.id AND s.user_id = i.user_id AND s.state = i.live
        AND i.now <= s.deadline_ms
        AND NOT EXISTS (SELECT 1 FROM jobs jb WHERE jb.id = s.job_id
                        AND jb.status <> 'InProgress')
      RETURNING i.ord, i.now, s.job_id, s.idx),
    counted AS (
      SELECT d.job_id, d.idx, count(*) AS n FROM answered d GROUP BY d.job_id, d.idx),
    ended AS (
      UPDATE objects o SET leases = o.leases - c.n, answers = o.answers + c.n,
        pick = plb_pick(o.state, o.needed, o.answers + c.n, o.leases - c.n, o.declines,
                        o.released_ms)
      FROM counted c WHERE o.job_id = c.job_id AND o.idx = c.idx
      RETURNING o.job_id, (o.answers + o.declines) = o.needed AND o.released_ms > 0 AS left_window)
    SELECT array_agg(d.ord ORDER BY d.ord), array_agg(d.job_id ORDER BY d.ord), max(d.now),
           (SELECT array_agg(e.job_id) FROM ended e WHERE e.left_window)
    INTO acc_ords, acc_jobs, rel_now, left_jobs FROM answered d;
    FOR k IN 1 .. coalesce(array_length(acc_ords, 1), 0) LOOP
      s_jobs[acc_ords[k]] := acc_jobs[k];
    END LOOP;
    FOR r IN SELECT l.job_id, count(*) AS n FROM unnest(left_jobs) AS l(job_id)
             GROUP BY l.job_id ORDER BY l.job_id LOOP
      PERFORM plb_release_next(r.job_id, r.n, rel_now);
    END LOOP;
  END IF;
  -- The claims' leases (assignment rows) wait for one insert at the end,
  -- their ids taken from the sequence as they are made, unless a worker
  -- claims twice in one job in the batch: their second claim must find
  -- the first's lease (their live task) and pass over its object.
  SELECT coalesce(sum(c.n), 0), min(c.now), coalesce(bool_and(c.once), true)
  INTO c_total, c_first_now, deferred
  FROM (SELECT count(*) = 1 AS once, min(c.now) AS now, count(*) AS n
        FROM unnest(p_kind, p_job, p_claim_user, p_claim_now) AS c(kind, job, u, now)
        WHERE c.kind <> 2 GROUP BY c.job, c.u) c;
  IF c_total > 0 THEN
    -- Ended leases looked for once per batch (a batch is a few
    -- milliseconds), then every claim's (job, worker) lock in one
    -- statement and one order, then, when no worker claims twice in a
    -- job, which of them hold a live task, in one statement.
    IF EXISTS (SELECT 1 FROM assignments x WHERE x.state = 0 AND x.deadline_ms < c_first_now) THEN
      PERFORM plb_expire_leases(c_first_now);
    END IF;
    PERFORM pg_advisory_xact_lock(l.a, l.b) FROM (
      SELECT DISTINCT CAST(c.job % 2147483647 AS integer) AS a,
                      CAST(c.u % 2147483647 AS integer) AS b
      FROM unnest(p_kind, p_job, p_claim_user) AS c(kind, job, u)
      WHERE c.kind <> 2 ORDER BY 1, 2) l;
    -- Each pair looked up by itself (LATERAL ... LIMIT 1): joined as a
    -- set, the plan reads every entry of the live tasks' index, which
    -- keeps those of ended tasks until a vacuum.
    IF deferred THEN
      SELECT array_agg(c.job || ':' || c.u) INTO lv_keys
      FROM (SELECT DISTINCT c.job, c.u FROM unnest(p_kind, p_job, p_claim_user) AS c(kind, job, u)
            WHERE c.kind <> 2) c,
           LATERAL (SELECT 1 FROM assignments x WHERE x.user_id = c.u AND x.job_id = c.job
                    AND x.state = 0 LIMIT 1) h;
    END IF;
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_kind, 1), 0) LOOP
    ord := i;
    outcome := NULL; job_name := NULL; job_status := NULL;
    t_id := NULL; t_job := NULL; t_idx := NULL; t_user := NULL; t_state := NULL;
    t_accepted_ms := NULL; t_deadline_ms := NULL; t_submitted_ms := NULL; t_answer := NULL;
    t_time_spent := NULL; t_line := NULL; t_task_input := NULL;
    -- Kind 2 and 3: a submit, run above with the batch's others. outcome:
    -- 0 accepted, 1 already submitted, 2 no such task, 3 not the worker's
    -- task, 4 the job is not in progress, 5 the lease has ended. A refused
    -- submit changes nothing; the assignment row read for the reason stays
    -- locked until the commit.
    s_job := NULL;
    IF p_kind[i] <> 1 THEN
      s_job := s_jobs[i];
      IF s_job IS NOT NULL THEN
        outcome := 0;
      ELSE
        SELECT s.user_id, s.state, s.deadline_ms, jb.name AS j_name, jb.status AS j_status
        INTO a FROM assignments s LEFT JOIN jobs jb ON jb.id = s.job_id
        WHERE s.id = p_id[i] FOR UPDATE OF s;
        IF NOT FOUND THEN
          outcome := 2;
        ELSIF a.user_id <> p_user[i] THEN
          outcome := 3;
        ELSIF a.state = 1 THEN
          outcome := 1;
        ELSIF a.j_status IS NOT NULL AND a.j_status <> 'InProgress' THEN
          outcome := 4; job_name := a.j_name; job_status := a.j_status;
        ELSE
          outcome := 5;
        END IF;
      END IF;
    END IF;
    -- Kind 1, and 3 after a submit that was not refused: a claim. The
    -- job's status is read once per batch and job.
    IF p_kind[i] <> 2 THEN c_seen := c_seen + 1; END IF;
    IF p_kind[i] <> 2 AND coalesce(outcome, 0) <= 1 THEN
      IF j_read IS DISTINCT FROM p_job[i] THEN
        j_read := p_job[i];
        SELECT jb.status, jb.labeled INTO j_status, j_labeled FROM jobs jb WHERE jb.id = j_read;
      END IF;
      IF j_status = 'InProgress' THEN
        claim_now := p_claim_now[i];
        start_new := p_start_new[i] AND
                     NOT (p_stop_at_labeled[i] > 0 AND j_labeled >= p_stop_at_labeled[i]);
        cutoff := claim_now - p_availability_ms[i];
        -- The worker's live task (no row: every t_ column NULL). A worker
        -- holds one live task per job at most: none when their submit of
        -- this job was just accepted.
        IF (deferred AND coalesce((p_job[i] || ':' || p_claim_user[i]) = ANY(lv_keys), false))
           OR (NOT deferred AND (s_job IS DISTINCT FROM p_job[i]
                                 OR p_user[i] IS DISTINCT FROM p_claim_user[i])) THEN
          SELECT x.id, x.job_id, x.idx, x.user_id, x.state, x.accepted_ms, x.deadline_ms,
                 x.submitted_ms, x.answer, x.time_spent, o.line, o.task_input
          INTO t_id, t_job, t_idx, t_user, t_state, t_accepted_ms, t_deadline_ms,
               t_submitted_ms, t_answer, t_time_spent, t_line, t_task_input
          FROM assignments x LEFT JOIN objects o ON o.job_id = x.job_id AND o.idx = x.idx
          WHERE x.user_id = p_claim_user[i] AND x.job_id = p_job[i] AND x.state = 0
          ORDER BY x.id LIMIT 1;
        END IF;
        IF t_id IS NULL THEN
          -- The pool of this job (and kind): started objects with a place
          -- free, locked as the claims need them, each with the batch's
          -- workers who have had it (looked up by the object's key; the
          -- worker is a filter, + 0, not a key of the index). Each claim
          -- takes the first it may. When none may, the next started
          -- objects past the pool join it in one statement, as many as
          -- there are claims left in the batch: rows locked and left
          -- unused keep other replicas' submits of them waiting until
          -- the commit. The leases are counted in memory and written in
          -- one statement (plb_add_leases) when the pool is let go. With
          -- p_require_input, objects not pre-processed yet are passed
          -- over: a filter on top of the pick index.
          IF pl_job IS DISTINCT FROM p_job[i] OR pl_input IS DISTINCT FROM p_require_input[i] THEN
            IF pl_dirty THEN PERFORM plb_add_leases(pl_job, pl_idx, pl_add); END IF;
            IF fresh_open THEN CLOSE fresh; fresh_open := false; END IF;
            pl_job := p_job[i];
            pl_input := p_require_input[i];
            pl_dirty := false;
            pl_n := 0;
            pl_idx := '{}'; pl_rel := '{}'; pl_places := '{}'; pl_add := '{}';
            pl_line := '{}'; pl_task := '{}'; pl_had := '{}';
            pl_first := 1;
            pl_last := -1;
            pl_more := true;
            pl_limit := 0;
          END IF;
          kc := NULL;
          chosen := NULL;
          k_from := pl_first;
          LOOP
            FOR k IN k_from .. pl_n LOOP
              IF pl_places[k] <= 0 THEN
                IF k = pl_first THEN pl_first := k + 1; END IF;
              ELSIF pl_rel[k] >= cutoff
                    AND strpos(pl_had[k], ',' || p_claim_user[i] || ',') = 0 THEN
                kc := k;
                EXIT;
              END IF;
            END LOOP;
            EXIT WHEN kc IS NOT NULL OR NOT pl_more;
            -- Twice the last load at least, so that a worker who has had
            -- many of the started objects does not take a load per
            -- object; not the pool's fresh objects again (their pick is
            -- written with their leases).
            pl_limit := greatest(c_total - c_seen + 1, pl_limit * 2);
            SELECT array_agg(c.idx ORDER BY c.idx), array_agg(c.released_ms ORDER BY c.idx),
                   array_agg(c.places ORDER BY c.idx), array_agg(c.line ORDER BY c.idx),
                   array_agg(c.task_input ORDER BY c.idx), array_agg(c.had ORDER BY c.idx)
            INTO e_idx, e_rel, e_places, e_line, e_task, e_had
            FROM (SELECT o.idx, o.released_ms, o.needed - o.answers - o.leases - o.declines AS places,
                         o.line, o.task_input,
                         (SELECT ',' || coalesce(string_agg(x.user_id::TEXT, ','), '') || ','
                          FROM assignments x WHERE x.job_id = o.job_id AND x.idx = o.idx
                            AND x.user_id + 0 = ANY(p_claim_user) AND x.state IN (0, 1, 3)) AS had
                  FROM objects o WHERE o.job_id = pl_job AND o.pick = 2 AND o.idx > pl_last
                    AND o.released_ms >= cutoff
                    AND (NOT pl_input OR o.task_input IS NOT NULL)
                    AND o.idx <> ALL(pl_idx)
                  ORDER BY o.idx LIMIT pl_limit FOR UPDATE SKIP LOCKED) c;
            e_n := coalesce(array_length(e_idx, 1), 0);
            pl_more := e_n >= pl_limit;
            EXIT WHEN e_n = 0;
            pl_idx := pl_idx || e_idx; pl_rel := pl_rel || e_rel; pl_places := pl_places || e_places;
            pl_line := pl_line || e_line; pl_task := pl_task || e_task; pl_had := pl_had || e_had;
            pl_add := pl_add || array_fill(0::BIGINT, ARRAY[e_n]);
            pl_last := e_idx[e_n];
            k_from := pl_n + 1;
            pl_n := pl_n + e_n;
          END LOOP;
          IF kc IS NULL AND start_new THEN
            -- A fresh object: the next of the pool's cursor over
            -- objects_ready (opened by the first claim that needs one, in
            -- manifest order, locking each row it hands back). A row
            -- released before this claim's cutoff is passed over. Its
            -- LIMIT (the claims left in the batch) keeps its plan an
            -- ordered scan of the index once the table is analysed:
            -- without one the plan reads and sorts every ready object.
            IF NOT fresh_open THEN
              fresh_open := true;
              fresh_left := true;
              OPEN fresh FOR SELECT o.idx, o.released_ms, o.needed - o.answers - o.leases - o.declines,
                                    o.line, o.task_input
                FROM objects o WHERE o.job_id = pl_job AND o.pick = 1
                  AND (NOT pl_input OR o.task_input IS NOT NULL)
                ORDER BY o.idx LIMIT c_total - c_seen + 1 FOR UPDATE SKIP LOCKED;
            END IF;
            WHILE fresh_left LOOP
              FETCH fresh INTO f_idx, f_released, f_places, f_line, f_input;
              IF NOT FOUND THEN
                fresh_left := false;
              ELSIF f_released >= cutoff THEN
                pl_n := pl_n + 1;
                pl_idx[pl_n] := f_idx; pl_rel[pl_n] := f_released; pl_places[pl_n] := f_places;
                pl_add[pl_n] := 0; pl_line[pl_n] := f_line; pl_task[pl_n] := f_input;
                pl_had[pl_n] := ',';
                kc := pl_n;
                EXIT;
              END IF;
            END LOOP;
            -- Run out (its LIMIT spent on rows released after this claim's
            -- cutoff, or rows other transactions held when it opened):
            -- one fresh object on its own, once the pool's leases are
            -- written (the pool's fresh objects are still ready there).
            IF kc IS NULL THEN
              IF pl_dirty THEN
                PERFORM plb_add_leases(pl_job, pl_idx, pl_add);
                pl_add := array_fill(0::BIGINT, ARRAY[pl_n]);
                pl_dirty := false;
              END IF;
              UPDATE objects o SET leases = o.leases + 1,
                pick = plb_pick(o.state, o.needed, o.answers, o.leases + 1, o.declines,
                                o.released_ms)
              WHERE o.job_id = p_job[i] AND o.idx = (
                SELECT c.idx FROM objects c WHERE c.job_id = p_job[i] AND c.pick = 1
                  AND c.released_ms >= cutoff
                  AND (NOT p_require_input[i] OR c.task_input IS NOT NULL)
                ORDER BY c.idx LIMIT 1 FOR UPDATE SKIP LOCKED)
              RETURNING o.idx, o.line, o.task_input INTO chosen, t_line, t_task_input;
            END IF;
          END IF;
          IF kc IS NOT NULL THEN
            -- A lease counted on the pool's entry, written when the pool
            -- is let go.
            pl_places[kc] := pl_places[kc] - 1;
            pl_add[kc] := pl_add[kc] + 1;
            pl_dirty := true;
            pl_had[kc] := pl_had[kc] || p_claim_user[i] || ',';
            t_line := pl_line[kc];
            t_task_input := pl_task[kc];
            chosen := pl_idx[kc];
          END IF;
          IF chosen IS NOT NULL THEN
            IF deferred THEN
              IF seq IS NULL THEN
                seq := pg_get_serial_sequence('assignments', 'id')::regclass;
              END IF;
              t_id := nextval(seq);
              l_n := l_n + 1;
              l_id[l_n] := t_id;
              l_job[l_n] := p_job[i];
              l_idx[l_n] := chosen;
              l_user[l_n] := p_claim_user[i];
              l_acc[l_n] := claim_now;
              l_dead[l_n] := claim_now + p_lease_ms[i];
            ELSE
              INSERT INTO assignments(job_id, idx, user_id, state, accepted_ms, deadline_ms)
              VALUES (p_job[i], chosen, p_claim_user[i], 0, claim_now, claim_now + p_lease_ms[i])
              RETURNING id INTO t_id;
            END IF;
            t_job := p_job[i];
            t_idx := chosen;
            t_user := p_claim_user[i];
            t_state := 0;
            t_accepted_ms := claim_now;
            t_deadline_ms := claim_now + p_lease_ms[i];
            t_submitted_ms := 0;
            t_answer := '';
            t_time_spent := 0;
          END IF;
        END IF;
      END IF;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF pl_dirty THEN PERFORM plb_add_leases(pl_job, pl_idx, pl_add); END IF;
  IF l_n > 0 THEN
    INSERT INTO assignments(id, job_id, idx, user_id, state, accepted_ms, deadline_ms)
    SELECT l.id, l.job, l.idx, l.u, 0, l.acc, l.dead
    FROM unnest(l_id, l_job, l_idx, l_user, l_acc, l_dead) AS l(id, job, idx, u, acc, dead);
  END IF;
  IF fresh_open THEN CLOSE fresh; END IF;
END $$;
)sql";

}  // namespace plumbline::store::postgresql
