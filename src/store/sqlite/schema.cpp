// The SQLite store's schema: versioned migrations, applied in order at open,
// each in its own transaction with the version it brings the database to.
#include <algorithm>
#include <filesystem>
#include <iterator>

#include "store/sqlite/open.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store::sqlite {

const char* const kMigrations[] = {
    R"sql(
CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users(
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  worker_key TEXT NOT NULL,
  sub TEXT NOT NULL);
CREATE TABLE user_groups(
  user_id INTEGER NOT NULL REFERENCES users(id),
  group_name TEXT NOT NULL,
  PRIMARY KEY(user_id, group_name));
CREATE TABLE access_keys(
  access_key_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  user_id INTEGER NOT NULL DEFAULT 0,
  is_root INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sessions(
  token TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL,
  csrf_token TEXT NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE TABLE workteams(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  arn TEXT NOT NULL UNIQUE COLLATE NOCASE,
  doc TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE TABLE workteam_groups(
  workteam_id INTEGER NOT NULL REFERENCES workteams(id),
  group_name TEXT NOT NULL,
  PRIMARY KEY(workteam_id, group_name));
CREATE TABLE jobs(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  arn TEXT NOT NULL,
  status TEXT NOT NULL,
  failure_reason TEXT NOT NULL DEFAULT '',
  request TEXT NOT NULL,
  workteam_arn TEXT NOT NULL,
  job_reference_code TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL,
  object_count INTEGER NOT NULL DEFAULT 0,
  fresh_from INTEGER NOT NULL DEFAULT 0,
  labeled INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  output_written INTEGER NOT NULL DEFAULT 0,
  labels_json TEXT NOT NULL DEFAULT '[]',
  ui_template TEXT NOT NULL DEFAULT '');
CREATE TABLE objects(
  job_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  state INTEGER NOT NULL,
  line TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  failure_reason TEXT NOT NULL DEFAULT '',
  answers INTEGER NOT NULL DEFAULT 0,
  leases INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(job_id, idx)) WITHOUT ROWID;
CREATE TABLE assignments(
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  state INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  submitted_ms INTEGER NOT NULL DEFAULT 0,
  answer TEXT NOT NULL DEFAULT '',
  time_spent REAL NOT NULL DEFAULT 0);
CREATE INDEX assignments_object ON assignments(job_id, idx, user_id);
CREATE INDEX assignments_live ON assignments(deadline_ms) WHERE state = 0;
CREATE INDEX assignments_held ON assignments(user_id, job_id) WHERE state = 0;
CREATE INDEX objects_active ON objects(job_id, idx) WHERE state = 0 AND (answers + leases) > 0;
)sql",
    // 2: KMS keys (kms/).
    R"sql(
CREATE TABLE kms_keys(
  key_id TEXT PRIMARY KEY,
  arn TEXT NOT NULL UNIQUE,
  alias TEXT UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  wrapped_key TEXT NOT NULL,
  policy TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL);
)sql",
    // 3: workforce and access control (issue #6): key lifecycle and the audit log.
    R"sql(
ALTER TABLE access_keys ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE access_keys ADD COLUMN revoked_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE audit_log(
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX audit_log_time ON audit_log(time_ms);
)sql",
    // 4: the scheduler's state per object. `needed` (the job's
    // NumberOfHumanWorkersPerDataObject), `declines`, and `released_ms`: when
    // the object entered the job's window of MaxConcurrentTaskCount objects
    // (its TaskAvailabilityLifetimeInSeconds runs from then; 0: not yet).
    // The index of released fresh objects replaces the jobs' fresh-object
    // cursor (fresh_from), which goes.
    // The partial indexes hold exactly the objects a claim or the runner
    // looks for. (A query uses a partial index only when its terms match the
    // index's as written, e.g. `needed > (answers + leases + declines)` with
    // the column first; without statistics the planner prefers the primary
    // key, so the queries name their index with INDEXED BY.) Every index an
    // update touches costs a page in the commit, so objects_active (objects
    // in progress, for the runner) gives way to a count over the window.
    // Jobs running when the database is migrated get their started objects
    // and the next MaxConcurrentTaskCount ones released at the job's
    // creation time.
    R"sql(
ALTER TABLE jobs ADD COLUMN workers_per_object INTEGER NOT NULL DEFAULT 1;
UPDATE jobs SET workers_per_object = max(1, coalesce(
  json_extract(request, '$.HumanTaskConfig.NumberOfHumanWorkersPerDataObject'), 1))
  WHERE json_valid(request);
ALTER TABLE objects ADD COLUMN needed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE objects ADD COLUMN declines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE objects ADD COLUMN released_ms INTEGER NOT NULL DEFAULT 0;
UPDATE objects SET needed = (SELECT workers_per_object FROM jobs WHERE jobs.id = objects.job_id),
  declines = (SELECT count(*) FROM assignments a WHERE a.job_id = objects.job_id
              AND a.idx = objects.idx AND a.state = 3);
UPDATE objects SET released_ms = (SELECT max(1, created_ms) FROM jobs WHERE jobs.id = objects.job_id)
  WHERE state = 0 AND (answers + leases + declines) > 0;
UPDATE objects SET released_ms = (SELECT max(1, created_ms) FROM jobs WHERE jobs.id = objects.job_id)
  WHERE (job_id, idx) IN (
    SELECT job_id, idx FROM (
      SELECT o.job_id, o.idx, row_number() OVER (PARTITION BY o.job_id ORDER BY o.idx) AS n,
        (SELECT coalesce(json_extract(j.request, '$.HumanTaskConfig.MaxConcurrentTaskCount'), 1000)
         FROM jobs j WHERE j.id = o.job_id AND json_valid(j.request)) AS m
      FROM objects o WHERE o.state = 0 AND o.released_ms = 0)
    WHERE n <= coalesce(m, 1000));
DROP INDEX objects_active;
ALTER TABLE jobs DROP COLUMN fresh_from;
CREATE INDEX objects_open ON objects(job_id, idx)
  WHERE state = 0 AND (answers + leases + declines) > 0 AND needed > (answers + leases + declines);
CREATE INDEX objects_ready ON objects(job_id, idx)
  WHERE state = 0 AND released_ms > 0 AND answers = 0 AND leases = 0 AND declines = 0;
CREATE INDEX objects_full ON objects(job_id, idx) WHERE state = 0 AND needed <= (answers + declines);
CREATE INDEX objects_unreleased ON objects(job_id, idx) WHERE state = 0 AND released_ms = 0;
CREATE INDEX objects_released ON objects(job_id, released_ms) WHERE state = 0 AND released_ms > 0;
)sql",
    // 5: the identity version (see Store::IdentityVersion): one row whose
    // number grows in every transaction that changes users, groups,
    // passwords, disabled flags, sessions ending or access keys. A session
    // cache compares it on lookup (a point read), so caches in every process
    // sharing the database see a change at once. (It replaces a file beside
    // the database whose size and times were compared.)
    R"sql(
CREATE TABLE identity_version(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO identity_version(id, version) VALUES(1, 1);
)sql",
    // 6: each object's task input (pre-processing's output), NULL until it
    // is pre-processed. The partial index holds exactly the objects
    // ObjectsToPreprocess looks for, so the runner's pre-processing pass
    // does not scan the objects already done.
    R"sql(
ALTER TABLE objects ADD COLUMN task_input TEXT;
CREATE INDEX objects_unprocessed ON objects(job_id, idx) WHERE state = 0 AND task_input IS NULL;
)sql",
    // 7: KMS API (issue #14). A key has any number of aliases (the alias
    // column of kms_keys is no longer read: its values move here); keys get
    // their manager (CUSTOMER, or AWS for the managed key alias/aws/s3), the
    // end of a pending deletion window and their tags.
    R"sql(
CREATE TABLE kms_aliases(
  alias TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL);
CREATE INDEX kms_aliases_key ON kms_aliases(key_id);
INSERT INTO kms_aliases(alias, key_id, created_ms, modified_ms)
  SELECT alias, key_id, created_ms, modified_ms FROM kms_keys WHERE alias IS NOT NULL AND alias <> '';
UPDATE kms_keys SET alias = NULL;
ALTER TABLE kms_keys ADD COLUMN key_manager TEXT NOT NULL DEFAULT 'CUSTOMER';
ALTER TABLE kms_keys ADD COLUMN deletion_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE kms_keys ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
)sql",
    // 8: registered functions (custom Lambda-contract hooks, functions/).
    R"sql(
CREATE TABLE functions(
  name TEXT PRIMARY KEY,
  arn TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  runtime TEXT NOT NULL,
  handler TEXT NOT NULL,
  code_dir TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  code_size INTEGER NOT NULL,
  timeout_s INTEGER NOT NULL,
  memory_mb INTEGER NOT NULL,
  environment TEXT NOT NULL,
  description TEXT NOT NULL,
  role TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL);
)sql",
    // 9: runner leases (Store::AcquireLease): which process's runner works
    // on a job, until when; the epoch grows when the lease changes hands.
    R"sql(
CREATE TABLE runner_leases(
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  epoch INTEGER NOT NULL);
)sql",
    // 10: invitations (identity/'s one-time links to join; the token only as
    // its SHA-256, group names joined by newlines); the labeled objects of a
    // job and its submitted answers in the order they were stored, which the
    // console's figures read a page at a time without the others (without
    // the second index each page of ForEachAnswer sorted all of the job's
    // assignments).
    R"sql(
CREATE TABLE invitations(
  token_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL COLLATE NOCASE,
  group_names TEXT NOT NULL,
  is_admin INTEGER NOT NULL DEFAULT 0,
  invited_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX objects_labeled ON objects(job_id, idx) WHERE state = 1;
CREATE INDEX assignments_submitted ON assignments(job_id, id) WHERE state = 1;
)sql",
    // 11: the orders of the console's job list (Store::ListJobPage), so a
    // page of 10,000 jobs is read from an index, not sorted from every row
    // (a job's row holds its request, labels and template). Ties go by
    // created_ms, then id; names use the column's unique NOCASE index. The
    // progress expression must stay as ListJobPage writes it (kJobProgress).
    // Of the three, a counter update rewrites only jobs_progress's entry and
    // a status change only jobs_status's.
    R"sql(
CREATE INDEX jobs_created ON jobs(created_ms, id);
CREATE INDEX jobs_status ON jobs(status, created_ms, id);
CREATE INDEX jobs_progress ON jobs(
  (CASE WHEN object_count <> 0 THEN CAST(labeled + failed AS REAL) / object_count ELSE 0.0 END),
  created_ms, id);
)sql",
};

const size_t kMigrationCount = std::size(kMigrations);

const char* const kMigrationSummaries[] = {
    "the first schema: settings, users, access keys, sessions, work teams, jobs, objects, "
    "assignments",
    "KMS keys",
    "access key lifecycle and the audit log",
    "the scheduler's state per object (needed answers, declines, release times)",
    "the identity version (session caches across processes)",
    "each object's stored task input",
    "KMS aliases, key managers, deletion windows and tags",
    "registered functions (custom hooks)",
    "runner leases (one runner per job among processes sharing the database)",
    "invitations, and indexes of labeled objects and submitted answers (the console's figures)",
    "job list orders (created, status, progress) for pages of jobs",
};
static_assert(std::size(kMigrationSummaries) == std::size(kMigrations),
              "one summary per migration");

Result<int64_t> SqliteStore::ReadSchemaVersion() {
  try {
    {
      Query q = Q("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'");
      if (!q.Step()) return int64_t{0};
    }
    Query q = Q("SELECT coalesce(max(version),0) FROM schema_version");
    q.Step();
    return q.Int(0);
  } catch (const Query::SqlError& e) {
    return Unavailable("cannot read the schema version of " + path_ + ": " + e.what());
  }
}

Status SqliteStore::Migrate() {
  const int64_t latest = static_cast<int64_t>(kMigrationCount);
  const int64_t target = schema_version_ > 0 ? std::min<int64_t>(schema_version_, latest) : latest;
  if (!migrate_) {
    PLB_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion());
    if (version > latest)
      return Unavailable("database schema version " + std::to_string(version) +
                         " is newer than this plumbline (" + std::to_string(latest) + ")");
    if (version < target)
      return Unavailable("the database " + path_ + " is at schema version " +
                         std::to_string(version) + "; this plumbline needs " +
                         std::to_string(target) + " (migrations " + std::to_string(version + 1) +
                         ".." + std::to_string(target) +
                         " pending): run `plumbline migrate` first");
    return {};
  }
  PLB_TRY(Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
  PLB_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion());
  if (version > latest)
    return Unavailable("database schema version " + std::to_string(version) +
                       " is newer than this plumbline (" + std::to_string(latest) + ")");
  for (int64_t v = version; v < target; ++v) {
    PLB_TRY(Exec("BEGIN IMMEDIATE"));
    char* err = nullptr;
    if (sqlite3_exec(Db(), kMigrations[v], nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "";
      sqlite3_free(err);
      (void)Exec("ROLLBACK");
      return Unavailable("migration " + std::to_string(v + 1) + " failed: " + m);
    }
    std::string bump = "INSERT INTO schema_version(version) VALUES(" + std::to_string(v + 1) + ")";
    PLB_TRY(Exec(bump.c_str()));
    PLB_TRY(Exec("COMMIT"));
  }
  return {};
}

namespace {
SchemaInfo PendingFrom(int64_t version) {
  SchemaInfo info;
  info.version = version;
  info.latest = static_cast<int64_t>(kMigrationCount);
  for (int64_t v = version; v < info.latest; ++v)
    info.pending.push_back({v + 1, kMigrationSummaries[v]});
  return info;
}
}  // namespace

Result<SchemaInfo> SqliteStore::Inspect(const std::string& path) {
  path_ = path;
  std::error_code ec;
  if (path.rfind("file:", 0) != 0 && path != ":memory:" && !std::filesystem::exists(path, ec))
    return PendingFrom(0);  // no database yet: every migration is pending
  if (sqlite3_open_v2(path.c_str(), &writer_.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return Unavailable("cannot open database " + path + ": " +
                       (writer_.db ? sqlite3_errmsg(writer_.db) : "out of memory"));
  sqlite3_busy_timeout(writer_.db, 10000);
  ConnScope scope(&writer_);
  PLB_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion());
  if (version > static_cast<int64_t>(kMigrationCount))
    return Unavailable("database schema version " + std::to_string(version) +
                       " is newer than this plumbline (" + std::to_string(kMigrationCount) + ")");
  return PendingFrom(version);
}

Result<SchemaInfo> Inspect(const std::string& path) {
  SqliteStore store;
  return store.Inspect(path);
}

}  // namespace plumbline::store::sqlite
