// SQLite implementation of Store, in WAL mode. Writes go through one writer
// connection with group commit (see Txn); reads run on a pool of reader
// connections in parallel with the writer and with each other (WAL readers
// see the last committed state and never wait for a write). Schema changes
// are versioned migrations applied at open.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/await.hpp"
#include "common/thread_name.hpp"
#include "store/store.hpp"

namespace plumbline::store {

const char* JobStatusName(JobStatus s) {
  switch (s) {
    case JobStatus::kInitializing: return "Initializing";
    case JobStatus::kInProgress: return "InProgress";
    case JobStatus::kCompleted: return "Completed";
    case JobStatus::kFailed: return "Failed";
    case JobStatus::kStopping: return "Stopping";
    case JobStatus::kStopped: return "Stopped";
  }
  return "Failed";
}

std::optional<JobStatus> ParseJobStatus(std::string_view s) {
  for (JobStatus st : {JobStatus::kInitializing, JobStatus::kInProgress, JobStatus::kCompleted,
                       JobStatus::kFailed, JobStatus::kStopping, JobStatus::kStopped})
    if (s == JobStatusName(st)) return st;
  return std::nullopt;
}

namespace {

// Column lists shared by the queries and the Read* helpers.
#define kUserSelect "SELECT id,username,password_hash,is_admin,disabled,worker_key,sub FROM users"
#define kJobSelect                                                                           \
  "SELECT id,name,arn,status,failure_reason,request,workteam_arn,job_reference_code,created_ms," \
  "modified_ms,object_count,labeled,failed,output_written,labels_json,ui_template," \
  "workers_per_object FROM jobs"
#define kObjectSelect \
  "SELECT job_id,idx,state,line,label,failure_reason,answers,leases FROM objects"
#define kAssignmentSelect                                                                  \
  "SELECT id,job_id,idx,user_id,state,accepted_ms,deadline_ms,submitted_ms,answer,time_spent " \
  "FROM assignments"

// Migrations, applied in order; the schema version is their count.
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
    // 2: KMS keys (crypto/keyring).
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
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("prepare failed: ") + sqlite3_errmsg(db) + " in " + sql);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One SQLite connection with its cache of prepared statements.
struct Conn {
  sqlite3* db = nullptr;
  std::unordered_map<const char*, std::unique_ptr<Stmt>> stmts;
  ~Conn() {
    stmts.clear();
    if (db) sqlite3_close(db);
  }
  sqlite3_stmt* Prepare(const char* sql) {
    auto it = stmts.find(sql);
    if (it == stmts.end()) it = stmts.emplace(sql, std::make_unique<Stmt>(db, sql)).first;
    return it->second->get();
  }
};

// The connection the current thread's transaction runs on: set by RunBatch
// (the writer, on the writer thread) and Read (a reader) for the duration of
// the transaction body.
thread_local Conn* t_conn = nullptr;

class ConnScope {
 public:
  explicit ConnScope(Conn* c) : saved_(t_conn) { t_conn = c; }
  ~ConnScope() { t_conn = saved_; }
  ConnScope(const ConnScope&) = delete;
  ConnScope& operator=(const ConnScope&) = delete;

 private:
  Conn* saved_;
};

// Binds and steps a cached statement; resets it when it goes out of scope.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Query() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Query& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Query& Bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Query& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // True while a row is available; throws on errors (turned into Error at the seam).
  bool Step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    last_rc_ = rc;
    throw SqlError(rc, sqlite3_errmsg(db_));
  }
  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  double Real(int col) const { return sqlite3_column_double(s_, col); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }

  struct SqlError : std::runtime_error {
    SqlError(int c, const std::string& m) : std::runtime_error(m), code(c) {}
    int code;
  };

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
  int last_rc_ = 0;
};

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override {
    StopWriter();
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  Status Open(const SqliteOptions& options) {
    path_ = options.path;
    schema_version_ = options.schema_version;
    auth_file_ = path_ + "-auth";
    PLB_TRY(OpenConn(writer_, false));
    // Readers need a file both connections can open; an in-memory database
    // reads on the writer.
    readers_enabled_ = !path_.empty() && path_ != ":memory:" && path_.rfind("file:", 0) != 0;
    writer_thread_ = std::thread([this] {
      NameThisThread("plb-writer");
      WriterLoop();
    });
    ConnScope scope(&writer_);
    PLB_TRY(Exec("PRAGMA journal_mode=WAL"));
    PLB_TRY(Exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    PLB_TRY(Exec("PRAGMA foreign_keys=ON"));
    // Freed and overwritten content is zeroed, so a secret replaced by its
    // sealed form (or a deleted session token) does not linger in the file.
    PLB_TRY(Exec("PRAGMA secure_delete=ON"));
    PLB_TRY(Migrate());
    if (readers_enabled_) PLB_TRY(StartCheckpointer());
    sealer_ = options.secret_sealer;
    if (sealer_) PLB_TRY(SealPlaintextSecrets());
    return {};
  }

  // ---------------- settings ----------------
  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    return Read<std::optional<std::string>>([&]() -> Result<std::optional<std::string>> {
      Query q = Q("SELECT value FROM settings WHERE key=?");
      q.Bind(1, key);
      if (q.Step()) return std::optional<std::string>(q.Text(0));
      return std::optional<std::string>();
    });
  }
  Status PutSetting(const std::string& key, const std::string& value) override {
    return Txn<void>([&]() -> Status {
      Q("INSERT INTO settings(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value")
          .Bind(1, key).Bind(2, value).Step();
      return {};
    });
  }

  // ---------------- people ----------------
  Result<User> CreateUser(const User& user) override {
    return Txn<User>([&]() -> Result<User> {
      {
        Query q = Q("SELECT 1 FROM users WHERE username=?");
        q.Bind(1, user.username);
        if (q.Step()) return AlreadyExists("user '" + user.username + "' already exists");
      }
      Q("INSERT INTO users(username,password_hash,is_admin,disabled,worker_key,sub) VALUES(?,?,?,?,?,?)")
          .Bind(1, user.username).Bind(2, user.password_hash).Bind(3, int64_t{user.is_admin})
          .Bind(4, int64_t{user.disabled}).Bind(5, user.worker_key).Bind(6, user.sub).Step();
      User out = user;
      out.id = sqlite3_last_insert_rowid(Db());
      WriteGroups(out.id, user.groups);
      return out;
    });
  }
  Result<User> GetUserByName(const std::string& username) override {
    return Read<User>([&]() -> Result<User> {
      Query q = Q(kUserSelect " WHERE username=?");
      q.Bind(1, username);
      if (!q.Step()) return NotFound("no user named '" + username + "'");
      User u = ReadUser(q);
      u.groups = ReadGroups(u.id);
      return u;
    });
  }
  Result<User> GetUser(int64_t id) override {
    return Read<User>([&]() -> Result<User> {
      Query q = Q(kUserSelect " WHERE id=?");
      q.Bind(1, id);
      if (!q.Step()) return NotFound("no user with id " + std::to_string(id));
      User u = ReadUser(q);
      u.groups = ReadGroups(u.id);
      return u;
    });
  }
  Result<std::vector<User>> ListUsers() override {
    return Read<std::vector<User>>([&]() -> Result<std::vector<User>> {
      std::vector<User> out;
      {
        Query q = Q(kUserSelect " ORDER BY username");
        while (q.Step()) out.push_back(ReadUser(q));
      }
      for (auto& u : out) u.groups = ReadGroups(u.id);
      return out;
    });
  }
  Status SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) override {
    return AuthChanged(Txn<void>([&]() -> Status {
      Q("DELETE FROM user_groups WHERE user_id=?").Bind(1, user_id).Step();
      WriteGroups(user_id, groups);
      return {};
    }));
  }
  Status PutAccessKey(const AccessKey& key) override {
    return Txn<void>([&]() -> Status {
      std::string stored = key.secret;
      if (sealer_) {
        PLB_ASSIGN_OR_RETURN(stored, sealer_->seal(key.secret, key.access_key_id));
      }
      Q("INSERT INTO access_keys(access_key_id,secret,user_id,is_root,created_ms) "
        "VALUES(?,?,?,?,CAST((julianday('now')-2440587.5)*86400000 AS INTEGER)) "
        "ON CONFLICT(access_key_id) DO UPDATE SET secret=excluded.secret, user_id=excluded.user_id, "
        "is_root=excluded.is_root")
          .Bind(1, key.access_key_id).Bind(2, stored).Bind(3, key.user_id)
          .Bind(4, int64_t{key.is_root}).Step();
      return {};
    });
  }
  Result<std::optional<AccessKey>> FindAccessKey(const std::string& id) override {
    return Read<std::optional<AccessKey>>([&]() -> Result<std::optional<AccessKey>> {
      // Revoked keys are invisible to authentication.
      Query q = Q("SELECT access_key_id,secret,user_id,is_root FROM access_keys "
                  "WHERE access_key_id=? AND revoked_ms=0");
      q.Bind(1, id);
      if (!q.Step()) return std::optional<AccessKey>();
      AccessKey k{q.Text(0), q.Text(1), q.Int(2), q.Int(3) != 0};
      if (sealer_ && sealer_->is_sealed(k.secret)) {
        auto plain = sealer_->open(k.secret, k.access_key_id);
        if (!plain) return Internal("the secret of access key " + k.access_key_id +
                                    " cannot be opened (wrong secrets key?)");
        k.secret = std::move(*plain);
      }
      return std::optional<AccessKey>(std::move(k));
    });
  }
  Status PutSession(const Session& s) override {
    return Txn<void>([&]() -> Status {
      Q("INSERT INTO sessions(token,user_id,csrf_token,expires_ms) VALUES(?,?,?,?)")
          .Bind(1, s.token).Bind(2, s.user_id).Bind(3, s.csrf_token).Bind(4, s.expires_ms).Step();
      return {};
    });
  }
  // Cached: every request of a signed-in worker asks. The cache is dropped
  // whenever a session or user changes, here or in another process (see
  // AuthChanged), and never keeps an entry read before such a change.
  Result<std::optional<std::pair<Session, User>>> FindSessionUser(const std::string& token) override {
    using Out = std::optional<std::pair<Session, User>>;
    AuthStamp stamp = ReadAuthStamp();
    uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(auth_mu_);
      if (!(stamp == auth_stamp_)) {
        auth_cache_.clear();
        auth_stamp_ = stamp;
      }
      if (auto it = auth_cache_.find(token); it != auth_cache_.end()) return Out(it->second);
      generation = auth_generation_;
    }
    auto found = FindSessionUserUncached(token);
    if (found && *found) {
      std::lock_guard<std::mutex> lock(auth_mu_);
      if (generation == auth_generation_ && stamp == auth_stamp_) {
        if (auth_cache_.size() >= kMaxCachedSessions) auth_cache_.clear();
        auth_cache_.emplace(token, **found);
      }
    }
    return found;
  }
  Result<std::optional<std::pair<Session, User>>> FindSessionUserUncached(const std::string& token) {
    using Out = std::optional<std::pair<Session, User>>;
    return Read<Out>([&]() -> Result<Out> {
      Query q = Q("SELECT u.id,u.username,u.password_hash,u.is_admin,u.disabled,u.worker_key,u.sub,"
                  "s.token,s.user_id,s.csrf_token,s.expires_ms FROM sessions s JOIN users u "
                  "ON u.id=s.user_id WHERE s.token=?");
      q.Bind(1, token);
      if (!q.Step()) return Out();
      User u = ReadUser(q);
      Session s{q.Text(7), q.Int(8), q.Text(9), q.Int(10)};
      u.groups = ReadGroups(u.id);
      return Out(std::make_pair(std::move(s), std::move(u)));
    });
  }
  Status DeleteSession(const std::string& token) override {
    return AuthChanged(Txn<void>([&]() -> Status {
      Q("DELETE FROM sessions WHERE token=?").Bind(1, token).Step();
      return {};
    }));
  }

  // ---------------- work teams ----------------
  Result<Workteam> CreateWorkteam(const Workteam& team) override {
    return Txn<Workteam>([&]() -> Result<Workteam> {
      {
        Query q = Q("SELECT 1 FROM workteams WHERE name=?");
        q.Bind(1, team.name);
        if (q.Step()) return AlreadyExists("Workteam " + team.name + " already exists");
      }
      Q("INSERT INTO workteams(name,arn,doc,created_ms,updated_ms) VALUES(?,?,?,?,?)")
          .Bind(1, team.name).Bind(2, team.arn).Bind(3, team.doc_json).Bind(4, team.created_ms)
          .Bind(5, team.updated_ms).Step();
      Workteam out = team;
      out.id = sqlite3_last_insert_rowid(Db());
      for (const auto& g : team.groups)
        Q("INSERT OR IGNORE INTO workteam_groups(workteam_id,group_name) VALUES(?,?)")
            .Bind(1, out.id).Bind(2, g).Step();
      return out;
    });
  }
  Result<Workteam> GetWorkteamByName(const std::string& name) override {
    return Read<Workteam>([&]() -> Result<Workteam> { return ReadTeam("name", name); });
  }
  Result<Workteam> GetWorkteamByArn(const std::string& arn) override {
    return Read<Workteam>([&]() -> Result<Workteam> { return ReadTeam("arn", arn); });
  }
  Result<std::vector<Workteam>> ListWorkteams() override {
    return Read<std::vector<Workteam>>([&]() -> Result<std::vector<Workteam>> {
      std::vector<std::string> names;
      {
        Query q = Q("SELECT name FROM workteams ORDER BY created_ms, id");
        while (q.Step()) names.push_back(q.Text(0));
      }
      std::vector<Workteam> out;
      for (const auto& n : names) {
        auto t = ReadTeam("name", n);
        if (t) out.push_back(std::move(*t));
      }
      return out;
    });
  }

  // ---------------- jobs ----------------
  Result<Job> CreateJob(const Job& job) override {
    return Txn<Job>([&]() -> Result<Job> {
      {
        Query q = Q("SELECT 1 FROM jobs WHERE name=?");
        q.Bind(1, job.name);
        if (q.Step()) return AlreadyExists("Job name " + job.name + " is already in use");
      }
      Q("INSERT INTO jobs(name,arn,status,failure_reason,request,workteam_arn,job_reference_code,"
        "created_ms,modified_ms,workers_per_object) VALUES(?,?,?,?,?,?,?,?,?,?)")
          .Bind(1, job.name).Bind(2, job.arn).Bind(3, std::string(JobStatusName(job.status)))
          .Bind(4, job.failure_reason).Bind(5, job.request_json).Bind(6, job.workteam_arn)
          .Bind(7, job.job_reference_code).Bind(8, job.created_ms).Bind(9, job.modified_ms)
          .Bind(10, std::max<int64_t>(1, job.workers_per_object)).Step();
      Job out = job;
      out.id = sqlite3_last_insert_rowid(Db());
      return out;
    });
  }
  Result<Job> GetJobByName(const std::string& name) override {
    return Read<Job>([&]() -> Result<Job> {
      Query q = Q(kJobSelect " WHERE name=?");
      q.Bind(1, name);
      if (!q.Step()) return NotFound("Could not find labeling job with name " + name);
      return ReadJob(q);
    });
  }
  Result<Job> GetJob(int64_t id) override {
    return Read<Job>([&]() -> Result<Job> {
      Query q = Q(kJobSelect " WHERE id=?");
      q.Bind(1, id);
      if (!q.Step()) return NotFound("no job with id " + std::to_string(id));
      return ReadJob(q);
    });
  }
  Result<std::vector<Job>> ListJobs(const JobFilter& f) override {
    return Read<std::vector<Job>>([&]() -> Result<std::vector<Job>> {
      std::vector<Job> out;
      Query q = Q(f.unfinished_only ? kJobSelect
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
  Status SetJobStatus(int64_t job_id, JobStatus status, const std::string& reason,
                      int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      Q("UPDATE jobs SET status=?, failure_reason=?, modified_ms=? WHERE id=?")
          .Bind(1, std::string(JobStatusName(status))).Bind(2, reason).Bind(3, now_ms)
          .Bind(4, job_id).Step();
      return {};
    });
  }
  Status SetJobInputs(int64_t job_id, const std::string& labels_json,
                      const std::string& ui_template) override {
    return Txn<void>([&]() -> Status {
      Q("UPDATE jobs SET labels_json=?, ui_template=? WHERE id=?").Bind(1, labels_json)
          .Bind(2, ui_template).Bind(3, job_id).Step();
      return {};
    });
  }
  Status MarkOutputWritten(int64_t job_id, int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      Q("UPDATE jobs SET output_written=1, modified_ms=? WHERE id=?").Bind(1, now_ms).Bind(2, job_id).Step();
      return {};
    });
  }

  // ---------------- objects ----------------
  Status DeleteObjects(int64_t job_id) override {
    return Txn<void>([&]() -> Status {
      Q("DELETE FROM objects WHERE job_id=?").Bind(1, job_id).Step();
      Q("DELETE FROM assignments WHERE job_id=?").Bind(1, job_id).Step();
      Q("UPDATE jobs SET object_count=0, labeled=0, failed=0 WHERE id=?").Bind(1, job_id).Step();
      return {};
    });
  }
  Status InsertObjects(int64_t job_id, const std::vector<DataObject>& objects,
                       int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      // Rows go in groups of kRows per statement: bulk ingest of large
      // manifests spends its time in SQLite's per-statement overhead otherwise.
      constexpr size_t kRows = 64;
      static const std::string many = [] {
        std::string sql = "INSERT INTO objects(job_id,idx,state,line,failure_reason,needed) VALUES";
        for (size_t i = 0; i < kRows; ++i) sql += i ? ",(?,?,?,?,?,?)" : "(?,?,?,?,?,?)";
        return sql;
      }();
      int64_t needed = 1;
      {
        Query q = Q("SELECT workers_per_object FROM jobs WHERE id=?");
        q.Bind(1, job_id);
        if (!q.Step()) return NotFound("no job with id " + std::to_string(job_id));
        needed = q.Int(0);
      }
      int64_t failed = 0;
      size_t i = 0;
      auto bind_row = [&](sqlite3_stmt* st, int base, const DataObject& o) {
        sqlite3_bind_int64(st, base + 1, job_id);
        sqlite3_bind_int64(st, base + 2, o.index);
        sqlite3_bind_int64(st, base + 3, static_cast<int64_t>(o.state));
        sqlite3_bind_text(st, base + 4, o.line.data(), static_cast<int>(o.line.size()), SQLITE_STATIC);
        sqlite3_bind_text(st, base + 5, o.failure_reason.data(),
                          static_cast<int>(o.failure_reason.size()), SQLITE_STATIC);
        sqlite3_bind_int64(st, base + 6, needed);
        if (o.state == ObjectState::kFailed) ++failed;
      };
      sqlite3_stmt* bulk = Stmt_(many.c_str());
      for (; i + kRows <= objects.size(); i += kRows) {
        Query q(Db(), bulk);
        for (size_t r = 0; r < kRows; ++r) bind_row(bulk, static_cast<int>(r * 6), objects[i + r]);
        q.Step();
      }
      sqlite3_stmt* one = Stmt_("INSERT INTO objects(job_id,idx,state,line,failure_reason,needed) VALUES(?,?,?,?,?,?)");
      for (; i < objects.size(); ++i) {
        Query q(Db(), one);
        bind_row(one, 0, objects[i]);
        q.Step();
      }
      Q("UPDATE jobs SET object_count=object_count+?, failed=failed+?, modified_ms=? WHERE id=?")
          .Bind(1, static_cast<int64_t>(objects.size())).Bind(2, failed).Bind(3, now_ms)
          .Bind(4, job_id).Step();
      return {};
    });
  }
  Result<DataObject> GetObject(int64_t job_id, int64_t index) override {
    return Read<DataObject>([&]() -> Result<DataObject> {
      Query q = Q(kObjectSelect " WHERE job_id=? AND idx=?");
      q.Bind(1, job_id).Bind(2, index);
      if (!q.Step()) return NotFound("no object " + std::to_string(index));
      return ReadObject(q);
    });
  }
  Status ForEachObject(int64_t job_id, const std::function<void(const DataObject&)>& fn) override {
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
  Result<std::vector<int64_t>> ObjectsReadyToConsolidate(int64_t job_id, size_t limit) override {
    return Read<std::vector<int64_t>>([&]() -> Result<std::vector<int64_t>> {
      std::vector<int64_t> out;
      Query q = Q("SELECT idx FROM objects INDEXED BY objects_full WHERE job_id=? AND state=0 AND "
                  "needed <= (answers + declines) "
                  "ORDER BY idx LIMIT ?");
      q.Bind(1, job_id).Bind(2, static_cast<int64_t>(limit));
      while (q.Step()) out.push_back(q.Int(0));
      return out;
    });
  }
  Result<std::vector<Status>> FinishObjects(int64_t job_id, const std::vector<ObjectOutcome>& outcomes,
                                            int64_t now_ms) override {
    return Txn<std::vector<Status>>([&]() -> Result<std::vector<Status>> {
      std::vector<Status> out;
      out.reserve(outcomes.size());
      for (const auto& o : outcomes) out.push_back(FinishLocked(job_id, o, now_ms));
      return out;
    });
  }
  Status FinishLocked(int64_t job_id, const ObjectOutcome& o, int64_t now_ms) {
    bool was_in_window = false;
    {
      Query q = Q("SELECT state, released_ms > 0 AND (answers + declines) < needed FROM objects "
                  "WHERE job_id=? AND idx=?");
      q.Bind(1, job_id).Bind(2, o.index);
      if (!q.Step()) return NotFound("no object " + std::to_string(o.index));
      if (q.Int(0) != 0) return Conflict("object " + std::to_string(o.index) + " already finished");
      was_in_window = q.Int(1) != 0;
    }
    Q("UPDATE objects SET state=?, label=?, failure_reason=? WHERE job_id=? AND idx=?")
        .Bind(1, static_cast<int64_t>(o.state)).Bind(2, o.label_json).Bind(3, o.failure_reason)
        .Bind(4, job_id).Bind(5, o.index).Step();
    if (o.state == ObjectState::kLabeled)
      Q("UPDATE jobs SET labeled=labeled+1, modified_ms=? WHERE id=?").Bind(1, now_ms).Bind(2, job_id).Step();
    else
      Q("UPDATE jobs SET failed=failed+1, modified_ms=? WHERE id=?").Bind(1, now_ms).Bind(2, job_id).Step();
    if (was_in_window) ReleaseNext(job_id, 1, now_ms);
    return {};
  }
  Result<int64_t> CountInProgress(int64_t job_id) override {
    return Read<int64_t>([&]() -> Result<int64_t> {
      // Started objects are released ones: the count reads the window (and
      // the objects awaiting consolidation), not the whole job.
      Query q = Q("SELECT count(*) FROM objects INDEXED BY objects_released WHERE job_id=? AND "
                  "state=0 AND released_ms > 0 AND (answers + leases) > 0");
      q.Bind(1, job_id);
      q.Step();
      return q.Int(0);
    });
  }
  Result<std::vector<std::pair<int64_t, int64_t>>> ExpiredObjects(int64_t job_id, int64_t released_before_ms,
                                                                 size_t limit) override {
    using Rows = std::vector<std::pair<int64_t, int64_t>>;
    return Read<Rows>([&]() -> Result<Rows> {
      Rows out;
      Query q = Q("SELECT idx, answers FROM objects INDEXED BY objects_released WHERE job_id=? AND "
                  "state=0 AND released_ms>0 AND released_ms<? AND leases=0 ORDER BY released_ms, idx "
                  "LIMIT ?");
      q.Bind(1, job_id).Bind(2, released_before_ms).Bind(3, static_cast<int64_t>(limit));
      while (q.Step()) out.emplace_back(q.Int(0), q.Int(1));
      return out;
    });
  }
  Status ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      ReleaseNext(job_id, count, now_ms);
      return {};
    });
  }
  Result<int64_t> CountAvailable(int64_t job_id) override {
    return Read<int64_t>([&]() -> Result<int64_t> {
      // The job's counters, kept in the transactions that change object
      // states: no scan of the objects.
      Query q = Q("SELECT object_count - labeled - failed FROM jobs WHERE id=?");
      q.Bind(1, job_id);
      q.Step();
      return q.Int(0);
    });
  }

  // ---------------- assignments ----------------
  void ClaimAsync(const ClaimRequest& r, Done<std::optional<Assignment>> done) override {
    TxnAsync<std::optional<Assignment>>([this, r] { return ClaimLocked(r); }, std::move(done));
  }
  void SubmitAsync(int64_t id, int64_t user_id, std::string answer_json, double time_spent_s,
                   int64_t now_ms, Done<SubmitOutcome> done) override {
    TxnAsync<SubmitOutcome>(
        [this, id, user_id, answer = std::move(answer_json), time_spent_s, now_ms] {
          return SubmitLocked(id, user_id, answer, time_spent_s, now_ms);
        },
        std::move(done));
  }
  void SubmitAndClaimAsync(int64_t id, int64_t user_id, std::string answer_json,
                           double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                           Done<SubmittedAndClaimed> done) override {
    TxnAsync<SubmittedAndClaimed>(
        [this, id, user_id, answer = std::move(answer_json), time_spent_s, now_ms, next] {
          return SubmitAndClaimLocked(id, user_id, answer, time_spent_s, now_ms, next);
        },
        std::move(done));
  }
  Result<SubmittedAndClaimed> SubmitAndClaimLocked(int64_t id, int64_t user_id,
                                                   const std::string& answer_json,
                                                   double time_spent_s, int64_t now_ms,
                                                   const ClaimRequest& next) {
    PLB_ASSIGN_OR_RETURN(SubmitOutcome outcome,
                         SubmitLocked(id, user_id, answer_json, time_spent_s, now_ms));
    PLB_ASSIGN_OR_RETURN(std::optional<Assignment> claimed, ClaimLocked(next));
    return SubmittedAndClaimed{outcome, std::move(claimed)};
  }
  Result<std::optional<Assignment>> ClaimLocked(const ClaimRequest& r) {
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
        held.object_line = ObjectLine(held.job_id, held.object_index);
        return std::optional<Assignment>(std::move(held));
      }
    }
    // Prefer objects already in progress so they finish first; then the
    // first released object nobody has started, in manifest order. The
    // window of released objects holds at most MaxConcurrentTaskCount
    // unfinished ones (see ReleaseNext), which bounds the objects in
    // progress. Objects released before `cutoff` are past their
    // availability lifetime and no longer handed out.
    const int64_t cutoff = r.now_ms - r.availability_ms;
    std::optional<int64_t> pick;
    {
      Query q = Q(
          "SELECT o.idx FROM objects o INDEXED BY objects_open WHERE o.job_id=?1 AND o.state = 0 "
          "AND (o.answers + o.leases + o.declines) > 0 AND "
          "o.needed > (o.answers + o.leases + o.declines) AND o.released_ms >= ?3 AND NOT EXISTS "
          "(SELECT 1 FROM assignments a WHERE a.job_id=o.job_id AND a.idx=o.idx AND "
          "a.user_id=?2 AND a.state IN (0,1,3)) ORDER BY o.idx LIMIT 1");
      q.Bind(1, r.job_id).Bind(2, r.user_id).Bind(3, cutoff);
      if (q.Step()) pick = q.Int(0);
    }
    if (!pick && start_new_objects) {
      Query q = Q("SELECT idx FROM objects INDEXED BY objects_ready WHERE job_id=? AND state = 0 "
                  "AND released_ms > 0 AND answers = 0 AND leases = 0 AND declines = 0 AND "
                  "released_ms >= ? ORDER BY idx LIMIT 1");
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
        .Bind(1, a.job_id).Bind(2, a.object_index).Bind(3, a.user_id).Bind(4, a.accepted_ms)
        .Bind(5, a.deadline_ms).Step();
    a.id = sqlite3_last_insert_rowid(Db());
    Q("UPDATE objects SET leases=leases+1 WHERE job_id=? AND idx=?").Bind(1, a.job_id)
        .Bind(2, a.object_index).Step();
    a.object_line = ObjectLine(a.job_id, a.object_index);
    return std::optional<Assignment>(a);
  }
  Result<Assignment> GetAssignment(int64_t id) override {
    return Read<Assignment>([&]() -> Result<Assignment> { return ReadAssignment(id); });
  }
  Result<SubmitOutcome> SubmitLocked(int64_t id, int64_t user_id, const std::string& answer_json,
                                     double time_spent_s, int64_t now_ms) {
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
    double spent = time_spent_s > 0 ? time_spent_s : static_cast<double>(now_ms - a.accepted_ms) / 1000.0;
    Q("UPDATE assignments SET state=1, submitted_ms=?, answer=?, time_spent=? WHERE id=?")
        .Bind(1, now_ms).Bind(2, answer_json).Bind(3, spent).Bind(4, id).Step();
    EndLeaseOf(a, /*answered=*/true, /*declined=*/false, now_ms);
    return SubmitOutcome::kAccepted;
  }
  Status EndLease(int64_t id, int64_t user_id, AssignmentState new_state, int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      PLB_ASSIGN_OR_RETURN(Assignment a, ReadAssignment(id));
      if (a.user_id != user_id) return Conflict("task " + std::to_string(id) + " is not yours");
      if (a.state != AssignmentState::kLeased || now_ms > a.deadline_ms) {
        return Conflict("the lease on task " + std::to_string(id) + " has ended");
      }
      Q("UPDATE assignments SET state=? WHERE id=?").Bind(1, static_cast<int64_t>(new_state))
          .Bind(2, id).Step();
      // A decline uses up one of the object's N places for good.
      EndLeaseOf(a, /*answered=*/false, new_state == AssignmentState::kDeclined, now_ms);
      return {};
    });
  }
  Result<int64_t> ExpireLeases(int64_t now_ms) override {
    return Txn<int64_t>([&]() -> Result<int64_t> { return ExpireLocked(now_ms); });
  }
  Result<std::vector<ObjectAnswers>> GetObjectsWithAnswers(int64_t job_id,
                                                           const std::vector<int64_t>& indexes) override {
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
        Query q = Q(kAssignmentSelect " WHERE job_id=? AND idx=? AND state=1 ORDER BY submitted_ms, id");
        q.Bind(1, job_id).Bind(2, idx);
        while (q.Step()) oa.answers.push_back(ReadAssignmentRow(q));
        out.push_back(std::move(oa));
      }
      return out;
    });
  }
  Status ForEachLabeledAnswer(int64_t job_id,
                              const std::function<void(const Assignment&)>& fn) override {
    int64_t next_id = 0;
    for (;;) {
      std::vector<Assignment> page;
      auto r = Read<void>([&]() -> Status {
        Query q = Q(kAssignmentSelect " WHERE job_id=?1 AND state=1 AND id>?2 AND "
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
  Result<int64_t> CountClaimable(int64_t job_id, int64_t user_id) override {
    return Read<int64_t>([&]() -> Result<int64_t> {
      Query q = Q(
          "SELECT count(*) FROM objects o WHERE o.job_id=?1 AND o.state=0 AND "
          "(o.answers+o.leases)<o.needed AND NOT EXISTS (SELECT 1 FROM assignments a WHERE "
          "a.job_id=o.job_id AND a.idx=o.idx AND a.user_id=?2 AND a.state IN (0,1,3))");
      q.Bind(1, job_id).Bind(2, user_id);
      q.Step();
      return q.Int(0);
    });
  }

  // ---------------- KMS keys ----------------
#define kKmsSelect \
  "SELECT key_id,arn,coalesce(alias,''),description,wrapped_key,policy,enabled,created_ms," \
  "modified_ms FROM kms_keys"
  Status CreateKmsKey(const KmsKey& k) override {
    return Txn<void>([&]() -> Status {
      {
        Query q = Q("SELECT 1 FROM kms_keys WHERE key_id=?1 OR (?2<>'' AND alias=?2)");
        q.Bind(1, k.key_id).Bind(2, k.alias);
        if (q.Step()) return AlreadyExists("a key with id " + k.key_id + " or alias " + k.alias + " exists");
      }
      Q("INSERT INTO kms_keys(key_id,arn,alias,description,wrapped_key,policy,enabled,created_ms,"
        "modified_ms) VALUES(?1,?2,nullif(?3,''),?4,?5,?6,?7,?8,?9)")
          .Bind(1, k.key_id).Bind(2, k.arn).Bind(3, k.alias).Bind(4, k.description)
          .Bind(5, k.wrapped_key).Bind(6, k.policy_json).Bind(7, int64_t{k.enabled})
          .Bind(8, k.created_ms).Bind(9, k.modified_ms).Step();
      return {};
    });
  }
  Result<KmsKey> GetKmsKey(const std::string& key_id) override {
    return Read<KmsKey>([&]() -> Result<KmsKey> {
      Query q = Q(kKmsSelect " WHERE key_id=?");
      q.Bind(1, key_id);
      if (!q.Step()) return NotFound("Key '" + key_id + "' does not exist");
      return ReadKmsKey(q);
    });
  }
  Result<KmsKey> GetKmsKeyByAlias(const std::string& alias) override {
    return Read<KmsKey>([&]() -> Result<KmsKey> {
      Query q = Q(kKmsSelect " WHERE alias=?");
      q.Bind(1, alias);
      if (!q.Step()) return NotFound("Alias '" + alias + "' does not exist");
      return ReadKmsKey(q);
    });
  }
  Result<std::vector<KmsKey>> ListKmsKeys() override {
    return Read<std::vector<KmsKey>>([&]() -> Result<std::vector<KmsKey>> {
      std::vector<KmsKey> out;
      Query q = Q(kKmsSelect " ORDER BY created_ms, key_id");
      while (q.Step()) out.push_back(ReadKmsKey(q));
      return out;
    });
  }
  Status SetKmsKeyEnabled(const std::string& key_id, bool enabled, int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      Q("UPDATE kms_keys SET enabled=?, modified_ms=? WHERE key_id=?")
          .Bind(1, int64_t{enabled}).Bind(2, now_ms).Bind(3, key_id).Step();
      if (sqlite3_changes(Db()) == 0) return NotFound("Key '" + key_id + "' does not exist");
      return {};
    });
  }
  static KmsKey ReadKmsKey(const Query& q) {
    return KmsKey{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4),
                  q.Text(5), q.Int(6) != 0, q.Int(7), q.Int(8)};
  }
#undef kKmsSelect
  // ---------------- end of KMS keys ----------------

  // ---------------- workforce and access control (issue #6) ----------------
  Result<Workteam> UpdateWorkteam(const Workteam& team) override {
    return Txn<Workteam>([&]() -> Result<Workteam> {
      PLB_ASSIGN_OR_RETURN(Workteam old, ReadTeam("name", team.name));
      Q("UPDATE workteams SET doc=?, updated_ms=? WHERE id=?")
          .Bind(1, team.doc_json).Bind(2, team.updated_ms).Bind(3, old.id).Step();
      Q("DELETE FROM workteam_groups WHERE workteam_id=?").Bind(1, old.id).Step();
      for (const auto& g : team.groups)
        Q("INSERT OR IGNORE INTO workteam_groups(workteam_id,group_name) VALUES(?,?)")
            .Bind(1, old.id).Bind(2, g).Step();
      return ReadTeam("name", team.name);
    });
  }
  Status DeleteWorkteam(const std::string& name) override {
    return Txn<void>([&]() -> Status {
      PLB_ASSIGN_OR_RETURN(Workteam t, ReadTeam("name", name));
      {
        Query q = Q("SELECT name FROM jobs WHERE workteam_arn=? COLLATE NOCASE AND status IN "
                    "('Initializing','InProgress','Stopping') LIMIT 1");
        q.Bind(1, t.arn);
        if (q.Step())
          return Conflict("Workteam " + t.name + " is used by the running labeling job " + q.Text(0));
      }
      Q("DELETE FROM workteam_groups WHERE workteam_id=?").Bind(1, t.id).Step();
      Q("DELETE FROM workteams WHERE id=?").Bind(1, t.id).Step();
      return {};
    });
  }
  Status SetUserDisabled(int64_t user_id, bool disabled) override {
    return AuthChanged(Txn<void>([&]() -> Status {
      Q("UPDATE users SET disabled=? WHERE id=?").Bind(1, int64_t{disabled}).Bind(2, user_id).Step();
      if (sqlite3_changes(Db()) == 0) return NotFound("no user with id " + std::to_string(user_id));
      if (disabled) Q("DELETE FROM sessions WHERE user_id=?").Bind(1, user_id).Step();
      return {};
    }));
  }
  Status SetUserPassword(int64_t user_id, const std::string& password_hash) override {
    return AuthChanged(Txn<void>([&]() -> Status {
      Q("UPDATE users SET password_hash=? WHERE id=?").Bind(1, password_hash).Bind(2, user_id).Step();
      if (sqlite3_changes(Db()) == 0) return NotFound("no user with id " + std::to_string(user_id));
      Q("DELETE FROM sessions WHERE user_id=?").Bind(1, user_id).Step();
      return {};
    }));
  }
  Result<std::vector<AccessKeyInfo>> ListAccessKeys(std::optional<int64_t> user_id) override {
    return Read<std::vector<AccessKeyInfo>>([&]() -> Result<std::vector<AccessKeyInfo>> {
      std::vector<AccessKeyInfo> out;
      Query q = Q("SELECT access_key_id,user_id,is_root,revoked_ms,created_ms FROM access_keys "
                  "WHERE ?1 IS NULL OR user_id=?1 ORDER BY created_ms, access_key_id");
      if (user_id) q.Bind(1, *user_id);
      while (q.Step()) {
        AccessKeyInfo k;
        k.access_key_id = q.Text(0);
        k.user_id = q.Int(1);
        k.is_root = q.Int(2) != 0;
        k.revoked_ms = q.Int(3);
        k.active = k.revoked_ms == 0;
        k.created_ms = q.Int(4);
        out.push_back(std::move(k));
      }
      return out;
    });
  }
  Status RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) override {
    return Txn<void>([&]() -> Status {
      {
        Query q = Q("SELECT 1 FROM access_keys WHERE access_key_id=?");
        q.Bind(1, access_key_id);
        if (!q.Step()) return NotFound("no access key " + access_key_id);
      }
      Q("UPDATE access_keys SET revoked_ms=? WHERE access_key_id=? AND revoked_ms=0")
          .Bind(1, std::max<int64_t>(now_ms, 1)).Bind(2, access_key_id).Step();
      return {};
    });
  }
  Status AppendAudit(const AuditEntry& e) override {
    return Txn<void>([&]() -> Status {
      Q("INSERT INTO audit_log(time_ms,actor,action,target,source,outcome,detail) "
        "VALUES(?,?,?,?,?,?,?)")
          .Bind(1, e.time_ms).Bind(2, e.actor).Bind(3, e.action).Bind(4, e.target)
          .Bind(5, e.source).Bind(6, e.outcome).Bind(7, e.detail).Step();
      return {};
    });
  }
  Result<std::vector<AuditEntry>> ListAudit(int64_t since_ms, size_t limit) override {
    return Read<std::vector<AuditEntry>>([&]() -> Result<std::vector<AuditEntry>> {
      std::vector<AuditEntry> out;
      Query q = Q("SELECT id,time_ms,actor,action,target,source,outcome,detail FROM audit_log "
                  "WHERE time_ms>=? ORDER BY id DESC LIMIT ?");
      q.Bind(1, since_ms).Bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
      while (q.Step())
        out.push_back(AuditEntry{q.Int(0), q.Int(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                                 q.Text(6), q.Text(7)});
      std::reverse(out.begin(), out.end());
      return out;
    });
  }
  // Seals every secret still stored in plaintext (databases made before
  // encryption at rest), then truncates the WAL so no old page image keeps
  // the plaintext (secure_delete zeroes it in the main file).
  Status SealPlaintextSecrets() {
    PLB_TRY(Txn<void>([&]() -> Status {
      std::vector<std::pair<std::string, std::string>> plain;
      {
        Query q = Q("SELECT access_key_id,secret FROM access_keys");
        while (q.Step())
          if (!sealer_->is_sealed(q.Text(1))) plain.emplace_back(q.Text(0), q.Text(1));
      }
      for (const auto& [id, secret] : plain) {
        PLB_ASSIGN_OR_RETURN(std::string sealed, sealer_->seal(secret, id));
        Q("UPDATE access_keys SET secret=? WHERE access_key_id=?").Bind(1, sealed).Bind(2, id).Step();
      }
      return {};
    }));
    std::lock_guard<std::mutex> db_lock(mu_);
    ConnScope scope(&writer_);
    (void)Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return {};
  }
  // ---------------- end of workforce and access control ----------------

 private:

  // Group commit. Every write call becomes an operation in a queue. The
  // writer thread runs every queued operation in one IMMEDIATE transaction
  // on the writer connection, each inside its own SAVEPOINT so that an
  // operation that fails rolls back alone, then commits once (one fsync at
  // synchronous=FULL) and wakes the callers. Under load, concurrent writers
  // share fsyncs instead of queueing behind one another; alone, a call costs
  // what a plain transaction costs plus one hand-over to the writer thread.
  // SQLite failures become kUnavailable; errors returned by fn roll back its
  // changes.
  // One write waiting for the writer thread. The writer runs it inside the
  // batch's transaction, then (committed or not) calls Finish and deletes it.
  struct Op {
    virtual ~Op() = default;
    virtual bool Run() = 0;                // true: keep its changes
    virtual void Fail(const Error& e) = 0;  // the batch did not commit
    virtual void Finish() = 0;              // reports the result
  };

  void Enqueue(Op* op) {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(op);
    if (queue_.size() == 1) writer_cv_.notify_one();
  }

  // A write transaction that returns at once: `done` gets its result on the
  // writer thread after the commit (see Store::Done). fn's SQLite errors and
  // failed prepares (exceptions) become kUnavailable.
  template <class T, class F>
  void TxnAsync(F fn, Done<T> done) {
    struct Pending final : Op {
      Pending(F f, Done<T> d) : fn(std::move(f)), done(std::move(d)) {}
      bool Run() override {
        try {
          result.emplace(fn());
        } catch (const std::exception& e) {
          result.emplace(Unavailable(std::string("database error: ") + e.what()));
        }
        return result->has_value();
      }
      void Fail(const Error& e) override { result.emplace(e); }
      void Finish() override { done(std::move(*result)); }
      F fn;
      Done<T> done;
      std::optional<Result<T>> result;
    };
    Enqueue(new Pending(std::move(fn), std::move(done)));
  }

  // A write transaction; returns once it has committed (or failed).
  template <class T, class F>
  Result<T> Txn(F&& fn) {
    return Await<Result<T>>(
        [&](auto done) { TxnAsync<T>(std::forward<F>(fn), Done<T>(std::move(done))); });
  }

  // The writer thread: takes whatever is queued (up to kMaxBatch operations)
  // as one batch, and goes straight on to the next batch while callers are
  // waiting, so no hand-over between threads sits between two commits.
  void WriterLoop() {
    std::unique_lock<std::mutex> lock(queue_mu_);
    for (;;) {
      writer_cv_.wait(lock, [&] { return writer_stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to write
      size_t n = std::min<size_t>(queue_.size(), kMaxBatch);
      std::vector<Op*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      lock.unlock();
      RunBatch(batch);
      for (Op* o : batch) {
        std::unique_ptr<Op> owned(o);
        try {
          owned->Finish();
        } catch (...) {  // a callback that throws must not stop the writer
        }
      }
      lock.lock();
    }
  }

  void StopWriter() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      writer_stop_ = true;
    }
    writer_cv_.notify_one();
    if (writer_thread_.joinable()) writer_thread_.join();
  }

  void RunBatch(const std::vector<Op*>& batch) {
    std::lock_guard<std::mutex> db_lock(mu_);
    ConnScope scope(&writer_);
    if (auto s = Run("BEGIN IMMEDIATE"); !s) {
      for (Op* o : batch) o->Fail(s.error());
      return;
    }
    for (Op* o : batch) {
      if (batch.size() == 1) {
        if (!o->Run()) {
          (void)Run("ROLLBACK");
          return;
        }
        continue;
      }
      (void)Run("SAVEPOINT op");
      bool keep = o->Run();
      if (!keep) (void)Run("ROLLBACK TO op");
      (void)Run("RELEASE op");
    }
    if (auto s = Run("COMMIT"); !s) {
      (void)Run("ROLLBACK");
      for (Op* o : batch) o->Fail(s.error());
    }
  }

  static constexpr size_t kMaxBatch = 256;
  std::mutex queue_mu_;
  std::deque<Op*> queue_;
  std::condition_variable writer_cv_;
  bool writer_stop_ = false;
  std::thread writer_thread_;

  // A read-only transaction on a reader connection taken from the pool (or
  // opened on demand): it sees the last committed state and runs in
  // parallel with the writer and other readers.
  template <class T, class F>
  Result<T> Read(F&& fn) {
    if (!readers_enabled_) return Txn<T>(std::forward<F>(fn));
    std::unique_ptr<Conn> conn;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!readers_.empty()) {
        conn = std::move(readers_.back());
        readers_.pop_back();
      }
    }
    if (!conn) {
      conn = std::make_unique<Conn>();
      if (auto s = OpenConn(*conn, true); !s) return s.error();
    }
    std::optional<Result<T>> result;
    {
      ConnScope scope(conn.get());
      if (auto s = Run("BEGIN"); !s) return s.error();
      try {
        result.emplace(fn());
      } catch (const std::exception& e) {  // SQLite errors, failed prepares
        result.emplace(Unavailable(std::string("database error: ") + e.what()));
      }
      (void)Run("COMMIT");
    }
    std::lock_guard<std::mutex> lock(pool_mu_);
    readers_.push_back(std::move(conn));
    return std::move(*result);
  }

  // Checkpoints (copying the WAL back into the database file) run on a
  // thread of their own instead of inside the commit that crosses SQLite's
  // 1000-page mark: a commit then only appends to the WAL and syncs it.
  // PASSIVE checkpoints never block the writer or the readers; the WAL
  // starts over once a checkpoint has copied all of it.
  Status StartCheckpointer() {
    PLB_TRY(Exec("PRAGMA wal_autocheckpoint=0"));
    sqlite3_wal_hook(
        writer_.db,
        [](void* self, sqlite3*, const char*, int frames) -> int {
          if (frames >= kCheckpointFrames) static_cast<SqliteStore*>(self)->checkpoint_cv_.notify_one();
          return SQLITE_OK;
        },
        this);
    auto conn = std::make_unique<Conn>();
    PLB_TRY(OpenConn(*conn, false));
    checkpointer_ = std::thread([this, c = std::move(conn)] {
      NameThisThread("plb-checkpoint");
      std::unique_lock<std::mutex> lock(checkpoint_mu_);
      while (!checkpoint_stop_) {
        checkpoint_cv_.wait_for(lock, std::chrono::seconds(1));
        if (checkpoint_stop_) break;
        lock.unlock();
        int log = 0, done = 0;
        (void)sqlite3_wal_checkpoint_v2(c->db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        lock.lock();
      }
    });
    return {};
  }
  static constexpr int kCheckpointFrames = 1000;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_stop_ = false;
  std::thread checkpointer_;

  Status OpenConn(Conn& c, bool reader) {
    if (sqlite3_open_v2(path_.c_str(), &c.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      return Unavailable("cannot open database " + path_ + ": " +
                         (c.db ? sqlite3_errmsg(c.db) : "out of memory"));
    sqlite3_busy_timeout(c.db, 10000);
    ConnScope scope(&c);
    // A larger page cache than SQLite's 2 MB default: the hot pages of the
    // objects and assignments tables stay in memory.
    PLB_TRY(Exec("PRAGMA cache_size=-32768"));
    // (A memory map of the file measured slower under load: it is remapped
    // as the file grows.)
    if (reader) PLB_TRY(Exec("PRAGMA query_only=1"));
    return {};
  }

  sqlite3* Db() const { return t_conn->db; }
  sqlite3_stmt* Stmt_(const char* sql) { return t_conn->Prepare(sql); }
  Query Q(const char* sql) { return Query(t_conn->db, t_conn->Prepare(sql)); }

  // Runs SQL without results on the current connection.
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(Db(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      return Unavailable(std::string("database error in '") + sql + "': " + m);
    }
    return {};
  }
  // The same for the fixed statements of every transaction (BEGIN, COMMIT,
  // SAVEPOINT ...): prepared once per connection. `sql` must be a literal.
  Status Run(const char* sql) {
    try {
      Query q = Q(sql);
      while (q.Step()) {
      }
      return {};
    } catch (const Query::SqlError& e) {
      return Unavailable(std::string("database error in '") + sql + "': " + e.what());
    }
  }

  Status Migrate() {
    PLB_TRY(Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
    int64_t version = 0;
    {
      Query q = Q("SELECT coalesce(max(version),0) FROM schema_version");
      q.Step();
      version = q.Int(0);
    }
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    const int64_t target = schema_version_ > 0 ? std::min<int64_t>(schema_version_, latest) : latest;
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

  static bool EqualsNoCase(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
        return false;
    return true;
  }
  static bool ContainsNoCase(const std::string& hay, const std::string& needle) {
    std::string h = hay, n = needle;
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h.find(n) != std::string::npos;
  }

  static User ReadUser(const Query& q) {
    User u;
    u.id = q.Int(0);
    u.username = q.Text(1);
    u.password_hash = q.Text(2);
    u.is_admin = q.Int(3) != 0;
    u.disabled = q.Int(4) != 0;
    u.worker_key = q.Text(5);
    u.sub = q.Text(6);
    return u;
  }
  std::vector<std::string> ReadGroups(int64_t user_id) {
    std::vector<std::string> out;
    Query q = Q("SELECT group_name FROM user_groups WHERE user_id=? ORDER BY group_name");
    q.Bind(1, user_id);
    while (q.Step()) out.push_back(q.Text(0));
    return out;
  }
  void WriteGroups(int64_t user_id, const std::vector<std::string>& groups) {
    for (const auto& g : groups)
      Q("INSERT OR IGNORE INTO user_groups(user_id,group_name) VALUES(?,?)").Bind(1, user_id)
          .Bind(2, g).Step();
  }
  Result<Workteam> ReadTeam(const char* column, const std::string& value) {
    Workteam t;
    {
      Query q = Q(std::string(column) == "name"
                      ? "SELECT id,name,arn,doc,created_ms,updated_ms FROM workteams WHERE name=?"
                      : "SELECT id,name,arn,doc,created_ms,updated_ms FROM workteams WHERE arn=?");
      q.Bind(1, value);
      if (!q.Step()) return NotFound("Workteam " + value + " does not exist");
      t.id = q.Int(0);
      t.name = q.Text(1);
      t.arn = q.Text(2);
      t.doc_json = q.Text(3);
      t.created_ms = q.Int(4);
      t.updated_ms = q.Int(5);
    }
    Query g = Q("SELECT group_name FROM workteam_groups WHERE workteam_id=? ORDER BY group_name");
    g.Bind(1, t.id);
    while (g.Step()) t.groups.push_back(g.Text(0));
    return t;
  }
  static Job ReadJob(const Query& q) {
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
  static DataObject ReadObject(const Query& q) {
    DataObject o;
    o.job_id = q.Int(0);
    o.index = q.Int(1);
    o.state = static_cast<ObjectState>(q.Int(2));
    o.line = q.Text(3);
    o.label_json = q.Text(4);
    o.failure_reason = q.Text(5);
    o.answers = q.Int(6);
    o.leases = q.Int(7);
    return o;
  }
  static Assignment ReadAssignmentRow(const Query& q) {
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
  Result<Assignment> ReadAssignment(int64_t id) {
    Query q = Q(kAssignmentSelect " WHERE id=?");
    q.Bind(1, id);
    if (!q.Step()) return NotFound("no task " + std::to_string(id));
    return ReadAssignmentRow(q);
  }
  void ExpireOne(const Assignment& a) {
    Q("UPDATE assignments SET state=4 WHERE id=? AND state=0").Bind(1, a.id).Step();
    Q("UPDATE objects SET leases=leases-1 WHERE job_id=? AND idx=?").Bind(1, a.job_id)
        .Bind(2, a.object_index).Step();
  }
  std::string ObjectLine(int64_t job_id, int64_t idx) {
    Query q = Q("SELECT line FROM objects WHERE job_id=? AND idx=?");
    q.Bind(1, job_id).Bind(2, idx);
    return q.Step() ? q.Text(0) : std::string();
  }
  // Changes to sessions, users or groups: drop the session cache, and tell
  // other processes on this database (the `plumbline users` commands and the
  // server) by growing the auth file beside it, whose size and times every
  // cached lookup compares first (one stat call instead of a read transaction).
  struct AuthStamp {
    int64_t ino = 0, size = 0, mtime_ns = 0, ctime_ns = 0;
    bool operator==(const AuthStamp& o) const {
      return ino == o.ino && size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
    }
  };
  AuthStamp ReadAuthStamp() const {
    struct stat st {};
    if (::stat(auth_file_.c_str(), &st) != 0) return {};
    return {static_cast<int64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
            static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
  }
  Status AuthChanged(Status s) {
    {
      std::lock_guard<std::mutex> lock(auth_mu_);
      ++auth_generation_;
      auth_cache_.clear();
    }
    int fd = ::open(auth_file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // Kept small: started over once it reaches 4 KiB (the inode's change
      // time still differs).
      struct stat st {};
      if (::fstat(fd, &st) == 0 && st.st_size >= 4096) (void)::ftruncate(fd, 0);
      (void)!::write(fd, "+", 1);
      ::close(fd);
    }
    return s;
  }
  static constexpr size_t kMaxCachedSessions = 100000;
  std::string auth_file_;
  std::mutex auth_mu_;
  AuthStamp auth_stamp_;
  uint64_t auth_generation_ = 0;
  std::unordered_map<std::string, std::pair<Session, User>> auth_cache_;

  // The window: a job has at most MaxConcurrentTaskCount released objects
  // that still need answers. ReleaseObjects opens it when the job starts;
  // each object leaving it (all its places answered or declined, or finished
  // early) releases the next object in manifest order.
  void ReleaseNext(int64_t job_id, int64_t count, int64_t now_ms) {
    Q("UPDATE objects SET released_ms=?1 WHERE job_id=?2 AND idx IN (SELECT idx FROM objects "
      "INDEXED BY objects_unreleased WHERE job_id=?2 AND state=0 AND released_ms=0 ORDER BY idx "
      "LIMIT ?3)")
        .Bind(1, std::max<int64_t>(now_ms, 1)).Bind(2, job_id).Bind(3, count).Step();
  }
  // Ends a live lease on the object: an answer or a decline takes one of its
  // N places. When that was its last place the object leaves the window and
  // the next one is released; the update itself says so (RETURNING), with
  // no second read of the object.
  void EndLeaseOf(const Assignment& a, bool answered, bool declined, int64_t now_ms) {
    bool left_window = false;
    {
      Query q = Q("UPDATE objects SET leases=leases-1, answers=answers+?1, declines=declines+?2 "
                  "WHERE job_id=?3 AND idx=?4 "
                  "RETURNING (answers + declines) = needed AND released_ms > 0");
      q.Bind(1, int64_t{answered}).Bind(2, int64_t{declined}).Bind(3, a.job_id)
          .Bind(4, a.object_index);
      left_window = q.Step() && q.Int(0) != 0 && (answered || declined);
    }
    if (left_window) ReleaseNext(a.job_id, 1, now_ms);
  }
  int64_t ExpireLocked(int64_t now_ms) {
    std::vector<Assignment> expired;
    {
      Query q = Q(kAssignmentSelect " WHERE state=0 AND deadline_ms<?");
      q.Bind(1, now_ms);
      while (q.Step()) expired.push_back(ReadAssignmentRow(q));
    }
    for (const auto& a : expired) ExpireOne(a);
    return static_cast<int64_t>(expired.size());
  }

  std::string path_;
  int schema_version_ = 0;
  std::mutex mu_;  // the writer connection
  Conn writer_;
  bool readers_enabled_ = false;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> readers_;
  std::optional<SecretSealer> sealer_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqlite(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>();
  PLB_TRY(store->Open(options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace plumbline::store
