// SQLite implementation of Store (private to store/), in WAL mode with
// synchronous=FULL unless the options ask for less durability.
//
// Writes go through one writer connection with group commit (see TxnAsync):
// every write call becomes an operation in a queue; the writer thread runs
// the queued operations in one IMMEDIATE transaction, each inside its own
// SAVEPOINT so that an operation that fails rolls back alone, then commits
// once (one fsync) and wakes the callers. Reads run on a pool of reader
// connections in parallel with the writer and with each other (WAL readers
// see the last committed state and never wait for a write). Checkpoints run
// on a thread of their own. Schema changes are versioned migrations applied
// at open (schema.cpp).
//
// The class is split over several files along its seams:
//   connection.cpp      opening, the writer thread, readers, checkpoints
//   schema.cpp          the migrations
//   job_ops.cpp         settings, jobs, data objects, runner leases (the
//                       instantiation of sql::SqlJobs) and what this store
//                       does its own way: the release window, bulk inserts
//   assignment_ops.cpp  claims, submits, leases, answers
//   people_ops.cpp      users, sessions (and their cache), keys, teams,
//                       KMS keys, invitations, the audit log: the
//                       instantiation of sql::SqlPeople (store/sql/,
//                       written once for both SQL stores), with the
//                       statements in this dialect (Dialect below)
//   function_ops.cpp    registered functions (custom hooks): the
//                       instantiation of sql::SqlFunctions
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/await.hpp"
#include "store/session_cache.hpp"
#include "store/sql/sql_jobs.hpp"
#include "store/store.hpp"

namespace plumbline::store::sqlite {

// Column lists: store/sql/columns.hpp.

// The migrations, applied in order; the schema version is their count.
extern const char* const kMigrations[];
extern const size_t kMigrationCount;
// One line per migration, what it brings (plumbline migrate lists them).
extern const char* const kMigrationSummaries[];

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("prepare failed: ") + sqlite3_errmsg(db) + " in " + sql);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One SQLite connection with its cache of prepared statements.
struct Conn {
  sqlite3* db = nullptr;
  std::unordered_map<const char*, std::unique_ptr<Stmt>> stmts;  // by the SQL text's address
  std::unordered_map<std::string, std::unique_ptr<Stmt>> stmts_text;  // SQL built at run time
  ~Conn() {
    stmts.clear();
    stmts_text.clear();
    if (db) sqlite3_close(db);
  }
  sqlite3_stmt* Prepare(const char* sql) {
    auto it = stmts.find(sql);
    if (it == stmts.end()) it = stmts.emplace(sql, std::make_unique<Stmt>(db, sql)).first;
    return it->second->get();
  }
  sqlite3_stmt* PrepareText(const std::string& sql) {
    auto it = stmts_text.find(sql);
    if (it == stmts_text.end())
      it = stmts_text.emplace(sql, std::make_unique<Stmt>(db, sql.c_str())).first;
    return it->second->get();
  }
};

// The connection the current thread's transaction runs on: set by RunBatch
// (the writer, on the writer thread) and Read (a reader) for the duration of
// the transaction body.
extern thread_local Conn* t_conn;

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
};

// Rows to values (the column order of the k*Select lists above).
using sql::ReadJob;
using sql::ReadAssignmentRow;
using sql::ReadObject;

class SqliteStore final : public sql::SqlJobs<SqliteStore> {
 public:
  SqliteStore() = default;
  ~SqliteStore() override;
  Status Open(const std::string& path, const StoreOptions& options);
  // The schema of the database `target` names, read without changing it.
  Result<SchemaInfo> Inspect(const std::string& target);

  // Users, sessions, keys, teams, KMS keys, invitations and the audit log:
  // sql::SqlPeople (store/sql/sql_people.hpp); the identity version is read
  // this store's way (people_ops.cpp).
  Result<int64_t> IdentityVersion() override;

  // jobs and objects (job_ops.cpp)
  Status InsertObjects(int64_t job_id, const std::vector<DataObject>& objects, int64_t now_ms,
                       const LeaseFence* fence = nullptr) override;
  Result<std::vector<Status>> FinishObjects(int64_t job_id,
                                            const std::vector<ObjectOutcome>& outcomes,
                                            int64_t now_ms,
                                            const LeaseFence* fence = nullptr) override;

  // assignments (assignment_ops.cpp)
  void ClaimAsync(const ClaimRequest& r, int64_t identity_version,
                  Done<std::optional<Assignment>> done) override;
  Result<Assignment> GetAssignment(int64_t id) override;
  void SubmitAsync(int64_t id, int64_t user_id, std::string answer_json, double time_spent_s,
                   int64_t now_ms, int64_t identity_version, Done<SubmitOutcome> done) override;
  void SubmitAndClaimAsync(int64_t id, int64_t user_id, std::string answer_json,
                           double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                           int64_t identity_version, Done<SubmittedAndClaimed> done) override;
  Status EndLease(int64_t id, int64_t user_id, AssignmentState new_state, int64_t now_ms) override;
  Result<int64_t> ExpireLeases(int64_t now_ms) override;
  Result<std::vector<ObjectAnswers>> GetObjectsWithAnswers(
      int64_t job_id, const std::vector<int64_t>& indexes) override;
  Status ForEachLabeledAnswer(int64_t job_id,
                              const std::function<void(const Assignment&)>& fn) override;
  Status ForEachAnswer(int64_t job_id, const std::function<void(const Assignment&)>& fn) override;
  Result<int64_t> CountClaimable(int64_t job_id, int64_t user_id) override;

  StoreStats Stats() override;
  ChangeFeed& Feed() override { return changes_; }

 private:
  friend class sql::SqlPeople<SqliteStore>;
  friend class sql::SqlFunctions<SqliteStore>;
  friend class sql::SqlJobs<SqliteStore>;
  // The statements of SqlPeople and SqlFunctions in SQLite's words: names
  // compare case-insensitively by their columns' NOCASE collation (so the
  // indexes serve), the clock is julianday('now'), and the writer's
  // transaction already keeps every other writer out.
  struct Dialect {
    static constexpr const char* kUserNamed = "SELECT 1 FROM users WHERE username=?";
    static constexpr const char* kUserByName = kUserSelect " WHERE username=?";
    static constexpr const char* kTeamNamed = "SELECT 1 FROM workteams WHERE name=?";
    static constexpr const char* kTeamByName =
        "SELECT id,name,arn,doc,created_ms,updated_ms FROM workteams WHERE name=?";
    static constexpr const char* kTeamByArn =
        "SELECT id,name,arn,doc,created_ms,updated_ms FROM workteams WHERE arn=?";
    static constexpr const char* kPutAccessKey =
        "INSERT INTO access_keys(access_key_id,secret,user_id,is_root,created_ms) "
        "VALUES(?,?,?,?,CAST((julianday('now')-2440587.5)*86400000 AS INTEGER)) "
        "ON CONFLICT(access_key_id) DO UPDATE SET secret=excluded.secret, "
        "user_id=excluded.user_id, is_root=excluded.is_root";
    static constexpr const char* kRunningJobOfTeam =
        "SELECT name FROM jobs WHERE workteam_arn=? COLLATE NOCASE AND status IN "
        "('Initializing','InProgress','Stopping') LIMIT 1";
    static constexpr const char* kInvitationForUpdate = kInvitationSelect " WHERE token_hash=?";
    static constexpr const char* kFunctionForUpdate = kFunctionSelect " WHERE name=?";
    static constexpr const char* kJobNamed = "SELECT 1 FROM jobs WHERE name=?";
    static constexpr const char* kJobByName = kJobSelect " WHERE name=?";
    static constexpr const char* kObjectsToPreprocess =
        PLB_SQL_OBJECTS_TO_PREPROCESS(" INDEXED BY objects_unprocessed");
    static constexpr const char* kObjectLabelsPage =
        PLB_SQL_OBJECT_LABELS_PAGE(" INDEXED BY objects_labeled");
    static constexpr const char* kObjectsReadyToConsolidate =
        PLB_SQL_OBJECTS_READY_TO_CONSOLIDATE(" INDEXED BY objects_full");
    static constexpr const char* kCountInProgress =
        PLB_SQL_COUNT_IN_PROGRESS(" INDEXED BY objects_released");
    static constexpr const char* kExpiredObjects =
        PLB_SQL_EXPIRED_OBJECTS(" INDEXED BY objects_released");
    // The job list's order and filter terms, as its indexes were made
    // (job_ops.cpp).
    static const char* JobOrderBy(JobSort sort, bool descending);
    static const char* const kJobTeamIs;
    static const char* const kJobNameContains;
    static constexpr const char* kLeaseOfFence =
        "SELECT holder, epoch FROM runner_leases WHERE name=?";
  };

  // ---- the write path (connection.cpp) ----
  // One write waiting for the writer thread. The writer runs it inside the
  // batch's transaction, then (committed or not) calls Finish and deletes it.
  struct Op {
    virtual ~Op() = default;
    virtual bool Run() = 0;                 // true: keep its changes
    virtual void Fail(const Error& e) = 0;  // the batch did not commit
    virtual void Finish() = 0;              // reports the result
    ChangeSet changes = changes::kNone;     // what it touches when it keeps its changes
  };
  void Enqueue(Op* op);
  void WriterLoop();
  void StopWriter();
  void RunBatch(const std::vector<Op*>& batch);

  // A write transaction that returns at once: `done` gets its result on the
  // writer thread after the commit (see Store::Done). fn's SQLite errors and
  // failed prepares (exceptions) become kUnavailable; errors fn returns roll
  // back its changes. `touches` is what it may change (published after the
  // commit when it kept its changes; see Store::Feed).
  template <class T, class F>
  void TxnAsync(ChangeSet touches, F fn, Done<T> done) {
    struct Pending final : Op {
      Pending(SqliteStore* s, ChangeSet t, F f, Done<T> d)
          : store(s), fn(std::move(f)), done(std::move(d)) {
        changes = t;
      }
      bool Run() override {
        store->op_changes_ = &changes;
        try {
          result.emplace(fn());
        } catch (const std::exception& e) {
          result.emplace(Unavailable(std::string("database error: ") + e.what()));
        }
        store->op_changes_ = nullptr;
        return result->has_value();
      }
      void Fail(const Error& e) override { result.emplace(e); }
      void Finish() override { done(std::move(*result)); }
      SqliteStore* store;
      F fn;
      Done<T> done;
      std::optional<Result<T>> result;
    };
    Enqueue(new Pending(this, touches, std::move(fn), std::move(done)));
  }

  // A write transaction; returns once it has committed (or failed).
  template <class T, class F>
  Result<T> Txn(ChangeSet touches, F&& fn) {
    return Await<Result<T>>([&](auto done) {
      TxnAsync<T>(touches, std::forward<F>(fn), Done<T>(std::move(done)));
    });
  }
  // A write that does not say what it touches announces every kind.
  template <class T, class F>
  Result<T> Txn(F&& fn) {
    return Txn<T>(changes::kAll, std::forward<F>(fn));
  }
  // Inside a write: what it touched after all (e.g. nothing, when it found
  // nothing to change), in place of what it said it may touch.
  void Touched(ChangeSet actual) {
    if (op_changes_) *op_changes_ = actual;
  }

  // A read-only transaction on a reader connection taken from the pool (or
  // opened on demand): it sees the last committed state and runs in
  // parallel with the writer and other readers.
  template <class T, class F>
  Result<T> Read(F&& fn) {
    if (!readers_enabled_) return Txn<T>(changes::kNone, std::forward<F>(fn));
    std::unique_ptr<Conn> conn = TakeReader();
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
    ReturnReader(std::move(conn));
    return std::move(*result);
  }
  // A read of one statement (sql::SqlJobs asks for it by this name, as
  // PostgreSQL runs such a read without a transaction): here simply a read.
  template <class T, class F>
  Result<T> ReadOne(F&& fn) {
    return Read<T>(std::forward<F>(fn));
  }
  std::unique_ptr<Conn> TakeReader();
  void ReturnReader(std::unique_ptr<Conn> conn);

  Status StartCheckpointer();
  Status OpenConn(Conn& c, bool reader);
  Status Migrate();  // schema.cpp
  // The schema version of the database on the current connection (0: none).
  Result<int64_t> ReadSchemaVersion();

  sqlite3* Db() const { return t_conn->db; }
  sqlite3_stmt* Stmt_(const char* sql) { return t_conn->Prepare(sql); }
  Query Q(const char* sql) { return Query(t_conn->db, t_conn->Prepare(sql)); }
  // Rows the last statement on the current connection changed.
  int64_t Changes() const { return sqlite3_changes(t_conn->db); }
  // A statement whose text is built at run time (cached by text).
  Query QText(const std::string& sql) { return Query(t_conn->db, t_conn->PrepareText(sql)); }
  // Runs SQL without results on the current connection.
  Status Exec(const char* sql);
  // The same for the fixed statements of every transaction (BEGIN, COMMIT,
  // SAVEPOINT ...): prepared once per connection. `sql` must be a literal.
  Status Run(const char* sql);

  // ---- helpers inside a transaction ----
  // job_ops.cpp
  Status FinishLocked(int64_t job_id, const ObjectOutcome& o, int64_t now_ms);
  void ReleaseNext(int64_t job_id, int64_t count, int64_t now_ms);
  // assignment_ops.cpp
  Result<std::optional<Assignment>> ClaimLocked(const ClaimRequest& r);
  Result<SubmitOutcome> SubmitLocked(int64_t id, int64_t user_id, const std::string& answer_json,
                                     double time_spent_s, int64_t now_ms);
  Result<SubmittedAndClaimed> SubmitAndClaimLocked(int64_t id, int64_t user_id,
                                                   const std::string& answer_json,
                                                   double time_spent_s, int64_t now_ms,
                                                   const ClaimRequest& next);
  Result<Assignment> ReadAssignment(int64_t id);
  void FillObjectOf(Assignment& a);
  void ExpireOne(const Assignment& a);
  void EndLeaseOf(const Assignment& a, bool answered, bool declined, int64_t now_ms);
  int64_t ExpireLocked(int64_t now_ms);
  // people_ops.cpp
  // Bumps the identity version inside the current write transaction; every
  // change of users, groups, passwords, sessions ending or access keys calls
  // it, so that session caches in every process sharing the database see it.
  Status CheckIdentityLocked(int64_t identity_version);

  // ---- state ----
  std::string path_;
  int schema_version_ = 0;
  bool migrate_ = true;  // StoreOptions::migrate
  std::optional<SecretSealer> sealer_;

  std::mutex mu_;  // the writer connection
  Conn writer_;
  static constexpr size_t kMaxBatch = 256;
  std::mutex queue_mu_;
  std::deque<Op*> queue_;
  std::condition_variable writer_cv_;
  bool writer_stop_ = false;
  std::thread writer_thread_;
  std::atomic<int64_t> commits_{0}, committed_writes_{0}, failed_commits_{0};
  StoreCounters counters_;
  ChangeSet* op_changes_ = nullptr;  // the running write's (writer thread only)
  ChangeFeed changes_;  // this process's commits (Changes)

  bool readers_enabled_ = false;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> readers_;

  static constexpr int kCheckpointFrames = 1000;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_stop_ = false;
  std::thread checkpointer_;

  // The session cache (FindSession, people_ops.cpp).
  SessionCache sessions_;
};

}  // namespace plumbline::store::sqlite

// Compiled once each, in people_ops.cpp, function_ops.cpp and job_ops.cpp.
extern template class plumbline::store::sql::SqlPeople<plumbline::store::sqlite::SqliteStore>;
extern template class plumbline::store::sql::SqlFunctions<plumbline::store::sqlite::SqliteStore>;
extern template class plumbline::store::sql::SqlJobs<plumbline::store::sqlite::SqliteStore>;
