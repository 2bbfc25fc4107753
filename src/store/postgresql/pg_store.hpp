// PostgreSQL implementation of Store (private to store/; libpq stays out of
// every public header).
//
// The design follows the SQLite store's (store/sqlite/sqlite_store.hpp) so
// that both read alike:
//   - Writes go through one writer connection with group commit: every write
//     call becomes an operation in a queue; the writer thread runs the queued
//     operations in one transaction, each inside its own SAVEPOINT so that an
//     operation that fails rolls back alone, then commits once (one WAL
//     flush on the server) and wakes the callers. A deadlock or
//     serialization failure (another replica's transaction) reruns the
//     operation that met it, first in the next transaction. Claims and
//     submits are rows of one server-side function (plb_write_batch,
//     schema.cpp): the consecutive ones of a batch go to the server as one
//     statement in one libpq pipeline with the batch's BEGIN, then the
//     COMMIT with the batch's announcement, so a batch of them costs two
//     round trips and one statement; when that statement fails they run
//     again one statement each, each at its own savepoint.
//   - Reads run on a pool of reader connections in REPEATABLE READ READ
//     ONLY transactions, in parallel with the writer and with each other.
//     A connection found broken (health check on take, or a failed
//     statement) is dropped and a new one opened on demand; the writer
//     reconnects before its next batch.
//   - Every statement is prepared once per connection (named, on first
//     use); the SQL is written with SQLite's `?`/`?N` placeholders and
//     turned into `$N` when it is prepared.
//   - Several processes may share the database: claims lock the object they
//     pick (FOR UPDATE SKIP LOCKED) and a worker's claims in a job are
//     serialized by a transaction-scoped advisory lock, so replicas never
//     hand one object out twice nor give one worker two tasks.
//   - Versioned migrations (schema.cpp) run at open under an advisory lock,
//     so replicas starting together apply each one once.
//
// The store URL is a libpq connection URI (postgresql://user@host:port/db?...)
// with one parameter of the store's own, `schema=NAME`: the tables live in
// that schema (created when missing), so several installations or tests
// can share one database.
//
// Files:
//   connection.cpp      connections, the pool, the writer thread
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

#include <libpq-fe.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
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
#include "common/fresh_read.hpp"
#include "store/postgresql/listener.hpp"
#include "store/session_cache.hpp"
#include "store/sql/sql_jobs.hpp"
#include "store/store.hpp"

namespace plumbline::store::postgresql {

// Column lists: store/sql/columns.hpp.

// The migrations, applied in order; the schema version is their count.
extern const char* const kMigrations[];
// Migrations 6 to 12 (write_functions.cpp): the hot writes as functions.
extern const char kHotWritesSql[];
extern const char kFewerStatementsSql[];
extern const char kWriteBatchSql[];
extern const char kPickStateSql[];
extern const char kPlainPickSql[];
extern const char kSetSubmitsSql[];
extern const char kClaimPoolSql[];
extern const size_t kMigrationCount;
// One line per migration, what it brings (plumbline migrate lists them).
extern const char* const kMigrationSummaries[];

// The runner's read of a batch of objects with their answers
// (GetObjectsWithAnswers): one statement for the whole list (up to a
// thousand objects), each object with its answers in submission order, a
// row per answer (one with NULL answer columns when it has none). The
// answers are looked up per object (assignments_answers), whatever the
// statistics say: as a plain join, on a job whose tables autovacuum had
// not analysed yet, the plan read every answer of the job once per object
// (1,000 objects of a job with 15,000 answers: 1.8 s, now 10 ms). OFFSET 0
// keeps the planner from flattening the lateral into that join. A test
// checks the plan (postgres_batch_test.cpp).
inline constexpr const char* kObjectsWithAnswersSql =
    "SELECT o.job_id,o.idx,o.state,o.line,o.label,o.failure_reason,o.answers,o.leases,"
    "o.task_input,a.id,a.job_id,a.idx,a.user_id,a.state,a.accepted_ms,a.deadline_ms,"
    "a.submitted_ms,a.answer,a.time_spent FROM objects o LEFT JOIN LATERAL (SELECT * FROM "
    "assignments x WHERE x.job_id=o.job_id AND x.idx=o.idx AND x.state=1 OFFSET 0) a ON true "
    "WHERE o.job_id=? AND o.idx=ANY(?::bigint[]) ORDER BY o.idx, a.submitted_ms, a.id";

// A failed statement: the server's SQLSTATE (five characters, "" when the
// connection failed) and message.
struct SqlError : std::runtime_error {
  SqlError(std::string state, const std::string& m) : std::runtime_error(m), sqlstate(std::move(state)) {}
  std::string sqlstate;
  // Deadlock or serialization failure: the transaction may simply be rerun.
  bool Retryable() const { return sqlstate == "40P01" || sqlstate == "40001"; }
};

// Splits the store's own `schema=NAME` parameter off a libpq URI and
// returns it ("" when there is none).
std::string TakeSchemaParam(std::string& url);
// The URL without its password, for messages.
std::string Redacted(const std::string& url);

// `?` and `?N` placeholders as `$N`; `*params` gets the highest number.
std::string ToDollarPlaceholders(const char* sql, int* params);

// One server connection with its prepared statements.
struct Conn {
  PGconn* pg = nullptr;
  struct Prepared {
    std::string name;
    int params = 0;
  };
  std::unordered_map<const char*, Prepared> prepared;  // by the SQL text's address
  std::unordered_map<std::string, Prepared> prepared_text;  // SQL built at run time
  int64_t changes = 0;  // rows the last statement changed
  ~Conn() { Close(); }
  void Close() {
    prepared.clear();
    prepared_text.clear();
    if (pg) PQfinish(pg);
    pg = nullptr;
  }
  bool Healthy() const { return pg != nullptr && PQstatus(pg) == CONNECTION_OK; }
  // The statement's prepared form on this connection (prepared on first use).
  const Prepared& Prepare(const char* sql, bool literal);
  // Runs SQL without parameters or results (BEGIN, COMMIT, SAVEPOINT ...).
  void Exec(const char* sql);

  // Pipeline mode (libpq 14+): statements are queued with Query::Send or
  // SendCommand, Sync ends the pipeline, and the results are read back in
  // the order sent (Query::Collect, ReadCommand). While the pipeline is
  // sent, whatever the server already answered is read into libpq's buffer
  // so neither side can block the other on a full socket.
  void EnterPipeline();
  // Queues a statement without parameters or rows (SAVEPOINT, COMMIT ...).
  void SendCommand(const char* sql);
  // Sends what is queued, reading the server's answers meanwhile.
  void Flush();
  // Ends the pipeline with a Sync and sends it.
  void Sync();
  // Reads the next statement's result (all of it, up to libpq's NULL).
  // The caller owns it; nullptr when the connection failed.
  PGresult* NextResult();
  // Reads the result of a SendCommand; throws SqlError unless it succeeded.
  void ReadCommand(const char* what);
  // Reads and drops whatever is left up to the Sync and leaves pipeline
  // mode; a connection that cannot is closed (the writer reconnects).
  void EndPipeline() noexcept;
};

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

// Binds and runs a prepared statement; rows are read with Step like
// SQLite's. Unbound parameters are NULL. Errors throw SqlError (turned into
// Error at the seam).
class Query {
 public:
  Query(Conn* c, const Conn::Prepared& p) : conn_(c), stmt_(&p), params_(static_cast<size_t>(p.params)) {}
  ~Query() {
    if (res_) PQclear(res_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& o) noexcept
      : conn_(o.conn_), stmt_(o.stmt_), params_(std::move(o.params_)), res_(o.res_), row_(o.row_) {
    o.res_ = nullptr;
  }
  Query& Bind(int i, int64_t v) { return Set(i, std::to_string(v)); }
  Query& Bind(int i, double v);
  Query& Bind(int i, const std::string& v) { return Set(i, v); }
  Query& BindNull(int i) {
    if (i >= 1 && static_cast<size_t>(i) <= params_.size()) params_[static_cast<size_t>(i) - 1].reset();
    return *this;
  }
  // Runs the statement on first call; true while a row is available.
  bool Step();
  // In pipeline mode: queues the statement (Send), later reads its result
  // (Collect, which throws SqlError as Step does); Step then reads rows.
  void Send();
  void Collect();
  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const { return PQgetisnull(res_, row_, col) != 0; }

 private:
  // Checks the result just stored in res_ (throws SqlError) and starts
  // reading its rows.
  void TakeResult();
  Query& Set(int i, std::string v) {
    if (i >= 1 && static_cast<size_t>(i) <= params_.size())
      params_[static_cast<size_t>(i) - 1] = std::move(v);
    return *this;
  }
  Conn* conn_;
  const Conn::Prepared* stmt_;
  std::vector<std::optional<std::string>> params_;
  PGresult* res_ = nullptr;
  int row_ = -1;
};

// A PostgreSQL array literal of text-form elements (`{1,2}`,
// `{"a","b\"c"}`), built one element at a time.
class ArrayLiteral {
 public:
  ArrayLiteral& Add(int64_t v) { return Raw(std::to_string(v)); }
  ArrayLiteral& Add(bool v) { return Raw(v ? "t" : "f"); }
  ArrayLiteral& Add(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return Raw(buf);
  }
  // Quoted, with `"` and `\` escaped by a backslash.
  ArrayLiteral& AddText(const std::string& v) {
    Next();
    text_ += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
    return *this;
  }
  std::string Done() const { return text_.empty() ? "{}" : text_ + "}"; }
  bool Empty() const { return text_.empty(); }

 private:
  void Next() { text_ += text_.empty() ? "{" : ","; }
  ArrayLiteral& Raw(const std::string& v) {
    Next();
    text_ += v;
    return *this;
  }
  std::string text_;
};

// A claim, a submit or a submit that also claims: one element of the
// arrays plb_write_batch takes (write_functions.cpp, migration 8), whose row for it
// holds the submit's outcome from column kBatchOutcomeCol (outcome, job
// name, job status) and the claimed task from kBatchClaimCol (NULLs when
// nothing was claimed).
struct BatchWrite {
  enum Kind { kClaim = 1, kSubmit = 2, kSubmitAndClaim = 3 };
  Kind kind = kClaim;
  int64_t id = 0;  // a submit's task, user, answer, time spent and time
  int64_t user_id = 0;
  std::string answer_json;
  double time_spent_s = 0;
  int64_t now_ms = 0;
  ClaimRequest claim;  // a claim's
  // The identity version the worker was authorised under (see
  // Store::ClaimAsync; 0: unchecked). The writer reads the store's in the
  // write's pipeline and takes back the writes it does not match.
  int64_t identity_version = 0;
};
inline constexpr int kBatchOutcomeCol = 1;
inline constexpr int kBatchClaimCol = 4;

// Rows to values (the column order of the k*Select lists above).
using sql::ReadJob;
using sql::ReadAssignmentRow;
using sql::ReadObject;
// How many columns kObjectSelect has.
inline constexpr int kObjectColumns = 9;

class PgStore final : public sql::SqlJobs<PgStore> {
 public:
  PgStore() = default;
  ~PgStore() override;
  Status Open(const std::string& url, const StoreOptions& options);
  // The schema of the database `target` names, read without changing it.
  Result<SchemaInfo> Inspect(const std::string& target);
  // Migrates the target, then copies an SQLite store's rows into it (import.cpp).
  Result<std::vector<TableCopied>> ImportSqlite(const std::string& sqlite_path, const std::string& url,
                                                const CopyProgress& progress);

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
  Status ForEachAnswer(int64_t job_id, const std::function<void(const Assignment&)>& fn) override;

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
  Result<int64_t> CountClaimable(int64_t job_id, int64_t user_id) override;

  StoreStats Stats() override;
  ChangeFeed& Feed() override { return changes_; }

 private:
  friend class sql::SqlPeople<PgStore>;
  friend class sql::SqlFunctions<PgStore>;
  friend class sql::SqlJobs<PgStore>;
  // The statements of SqlPeople and SqlFunctions in PostgreSQL's words:
  // names compared case-insensitively with lower(), the server's clock,
  // row locks.
  struct Dialect {
    static constexpr const char* kUserNamed = "SELECT 1 FROM users WHERE lower(username)=lower(?)";
    static constexpr const char* kUserByName = kUserSelect " WHERE lower(username)=lower(?)";
    static constexpr const char* kTeamNamed = "SELECT 1 FROM workteams WHERE lower(name)=lower(?)";
    static constexpr const char* kTeamByName =
        "SELECT id,name,arn,doc,created_ms,updated_ms FROM workteams WHERE lower(name)=lower(?)";
    static constexpr const char* kTeamByArn =
        "SELECT id,name,arn,doc,created_ms,updated_ms FROM workteams WHERE lower(arn)=lower(?)";
    static constexpr const char* kPutAccessKey =
        "INSERT INTO access_keys(access_key_id,secret,user_id,is_root,created_ms) "
        "VALUES(?,?,?,?,(extract(epoch from clock_timestamp())*1000)::bigint) "
        "ON CONFLICT(access_key_id) DO UPDATE SET secret=excluded.secret, "
        "user_id=excluded.user_id, is_root=excluded.is_root";
    static constexpr const char* kRunningJobOfTeam =
        "SELECT name FROM jobs WHERE lower(workteam_arn)=lower(?) AND status IN "
        "('Initializing','InProgress','Stopping') LIMIT 1";
    // The row stays locked to the transaction: a replica accepting the same
    // invitation at once waits, then finds it used.
    static constexpr const char* kInvitationForUpdate =
        kInvitationSelect " WHERE token_hash=? FOR UPDATE";
    static constexpr const char* kFunctionForUpdate = kFunctionSelect " WHERE name=? FOR UPDATE";
    static constexpr const char* kJobNamed = "SELECT 1 FROM jobs WHERE lower(name)=lower(?)";
    static constexpr const char* kJobByName = kJobSelect " WHERE lower(name)=lower(?)";
    static constexpr const char* kObjectsToPreprocess = PLB_SQL_OBJECTS_TO_PREPROCESS("");
    static constexpr const char* kObjectLabelsPage = PLB_SQL_OBJECT_LABELS_PAGE("");
    // Objects with all their answers: pick 4 (objects_full, migration 9).
    static constexpr const char* kObjectsReadyToConsolidate =
        "SELECT idx FROM objects WHERE job_id=? AND pick=4 ORDER BY idx LIMIT ?";
    static constexpr const char* kCountInProgress = PLB_SQL_COUNT_IN_PROGRESS("");
    static constexpr const char* kExpiredObjects = PLB_SQL_EXPIRED_OBJECTS("");
    // The job list's order and filter terms, as its indexes were made
    // (job_ops.cpp).
    static const char* JobOrderBy(JobSort sort, bool descending);
    static const char* const kJobTeamIs;
    static const char* const kJobNameContains;
    static constexpr const char* kLeaseOfFence =
        "SELECT holder, epoch FROM runner_leases WHERE name=? FOR SHARE";
  };

  // ---- the write path (connection.cpp) ----
  struct Op {
    virtual ~Op() = default;
    virtual bool Run() = 0;                 // true: keep its changes
    virtual bool Retryable() const = 0;     // failed on a deadlock: may run again
    virtual void Fail(const Error& e) = 0;  // the batch did not commit
    virtual void Finish() = 0;              // reports the result
    // A claim or a submit (see BatchWrite): the writer sends the batch's
    // consecutive ones together, as one plb_write_batch statement in a
    // pipeline; nullptr: the operation runs alone (Run). ReadRow reads its
    // result from its row of that statement; StatementFailed gives it the
    // error of a statement that held it alone. Such a write that refuses
    // changes nothing, so the next one runs after it without a rollback in
    // between.
    virtual const BatchWrite* Write() const { return nullptr; }
    virtual void ReadRow(Query& row) { (void)row; }
    virtual void StatementFailed(const SqlError& e) { (void)e; }
    int failures = 0;  // runs that met a deadlock
    // What it may touch (see Store::Feed), and what its last run that
    // kept its changes did touch (Touched narrows it while it runs): what
    // the commit announces.
    ChangeSet changes = changes::kNone;
    ChangeSet kept_changes = changes::kNone;
    // A submit: the assignment whose object row it updates. A transaction
    // that a pipeline begins locks these objects first, in one order (see
    // RunPipelined), so that two replicas' batches do not deadlock on them.
    int64_t object_of_assignment = 0;
  };
  void Enqueue(Op* op);
  void WriterLoop();
  // Reports the writer's committed batches to their callers, in order.
  void CompleterLoop();
  void StopWriter();
  // Runs a batch in one transaction; returns the operations to run again in
  // the next one (they met a deadlock), which have not reported.
  std::vector<Op*> RunBatch(const std::vector<Op*>& batch);
  // Runs one operation by itself at the savepoint; `last`: no operation
  // follows it in the batch. False: it runs again in the next transaction.
  bool RunAlone(Op* op, bool last);
  // Whether `op` is a write authorised under an identity version other than
  // `version` (see BatchWrite::identity_version).
  static bool AuthorisedUnderAnother(const Op* op, int64_t version);
  // Counts a failure of `op`; true when it met a deadlock and may run again.
  bool RunsAgain(Op* op);
  struct PipelineRun {
    size_t next = 0;                    // the first operation not run
    // Operations [failed_from, failed_to) were one statement, which failed
    // with `error` (empty range: none failed).
    size_t failed_from = 0, failed_to = 0;
    std::optional<SqlError> error;
    bool began = false;                 // the pipeline began the transaction
    bool lock_deadlocked = false;       // locking the objects met a deadlock: nothing ran
    // The identity version read in the pipeline (writes that carry one:
    // see BatchWrite::identity_version), 0 when none was read.
    int64_t identity_version = 0;
  };
  // Runs the writes batch[from, to) (see Op::Write) in one pipeline as one
  // plb_write_batch statement, except that those before `alone_until` get
  // one statement each; each statement but the batch's last is followed by
  // "RELEASE op", "SAVEPOINT op". With `begin` (no transaction yet) the
  // pipeline starts with "BEGIN", the lock of the objects its submits
  // update (by job and index, so every batch takes them in the same
  // order), then "SAVEPOINT op". When a write carries an identity version
  // the pipeline also reads the store's (before the writes), into
  // PipelineRun::identity_version. Stops reading at a failed statement.
  PipelineRun RunPipelined(const std::vector<Op*>& batch, size_t from, size_t to, bool begin,
                           size_t alone_until);
  // The plb_write_batch statement for these writes, bound.
  Query WriteBatchQuery(const std::vector<const BatchWrite*>& writes);

  // A write transaction that returns at once: `done` gets its result on the
  // writer thread after the commit (see Store::Done). Statement errors
  // (exceptions) become kUnavailable; errors fn returns roll back its
  // changes. `touches` is what it may change (announced with the commit when
  // it keeps its changes; see Store::Feed).
  template <class T, class F>
  void TxnAsync(ChangeSet touches, F fn, Done<T> done) {
    struct Pending final : Op {
      Pending(PgStore* s, ChangeSet t, F f, Done<T> d)
          : store(s), fn(std::move(f)), done(std::move(d)) {
        changes = t;
      }
      bool Run() override {
        retryable = false;
        kept_changes = changes::kNone;
        ChangeSet touched = changes;
        store->op_changes_ = &touched;
        try {
          result.emplace(fn());
        } catch (const SqlError& e) {
          retryable = e.Retryable();
          result.emplace(Unavailable(std::string("database error: ") + e.what()));
        } catch (const std::exception& e) {
          result.emplace(Unavailable(std::string("database error: ") + e.what()));
        }
        store->op_changes_ = nullptr;
        if (!result->has_value()) return false;
        kept_changes = touched;
        return true;
      }
      bool Retryable() const override { return retryable; }
      void Fail(const Error& e) override { result.emplace(e); }
      void Finish() override { done(std::move(*result)); }
      PgStore* store;
      F fn;
      Done<T> done;
      std::optional<Result<T>> result;
      bool retryable = false;
    };
    Enqueue(new Pending(this, touches, std::move(fn), std::move(done)));
  }

  // A claim or a submit (see Op::Write): `read` makes its result from its
  // row of the plb_write_batch statement that ran it (and may narrow
  // `touches` with Touched). `object_of_assignment`: see Op.
  template <class T, class ReadFn>
  void WriteAsync(ChangeSet touches, BatchWrite write, ReadFn read, Done<T> done,
                  int64_t object_of_assignment = 0) {
    struct Pending final : Op {
      Pending(PgStore* s, ChangeSet t, BatchWrite w, ReadFn r, Done<T> d)
          : store(s), write(std::move(w)), read(std::move(r)), done(std::move(d)) {
        changes = t;
      }
      // Runs `step` and keeps its result (and what it touched, when it is
      // a success: `read` may narrow it with Touched); false when a
      // statement failed.
      bool Settle(const std::function<Result<T>()>& step) {
        retryable = false;
        kept_changes = changes::kNone;
        ChangeSet touched = changes;
        store->op_changes_ = &touched;
        bool ran = false;
        try {
          result.emplace(step());
          ran = true;
        } catch (const SqlError& e) {
          retryable = e.Retryable();
          result.emplace(Unavailable(std::string("database error: ") + e.what()));
        } catch (const std::exception& e) {
          result.emplace(Unavailable(std::string("database error: ") + e.what()));
        }
        store->op_changes_ = nullptr;
        if (ran && result->has_value()) kept_changes = touched;
        return ran;
      }
      // Never called: the writer sends every write in a pipeline
      // (RunPipelined), one statement each after a statement that failed.
      bool Run() override {
        result.emplace(Internal("a claim or a submit ran outside the writer's pipeline"));
        return false;
      }
      bool Retryable() const override { return retryable; }
      void Fail(const Error& e) override { result.emplace(e); }
      void Finish() override { done(std::move(*result)); }
      const BatchWrite* Write() const override { return &write; }
      void ReadRow(Query& row) override {
        Settle([&]() -> Result<T> { return read(row); });
      }
      void StatementFailed(const SqlError& e) override {
        Settle([&]() -> Result<T> { throw e; });
      }
      PgStore* store;
      BatchWrite write;
      ReadFn read;
      Done<T> done;
      std::optional<Result<T>> result;
      bool retryable = false;
    };
    auto* op = new Pending(this, touches, std::move(write), std::move(read), std::move(done));
    op->object_of_assignment = object_of_assignment;
    Enqueue(op);
  }

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

  // A read-only transaction on a pooled reader connection.
  template <class T, class F>
  Result<T> Read(F&& fn) {
    return OnReader<T>(/*transaction=*/true, std::forward<F>(fn));
  }
  // A read that is one statement: it runs alone, without BEGIN and COMMIT
  // (a statement outside a transaction block is a transaction of its own
  // and reads one snapshot), so it costs the server one round trip and one
  // statement instead of three. The hot reads of every worker request (the
  // identity version, a task) and the runner's reads of each pass go this
  // way.
  template <class T, class F>
  Result<T> ReadOne(F&& fn) {
    return OnReader<T>(/*transaction=*/false, std::forward<F>(fn));
  }
  // `fn` on a pooled reader connection, inside a REPEATABLE READ READ ONLY
  // transaction when `transaction`; a database error becomes Unavailable.
  template <class T, class F>
  Result<T> OnReader(bool transaction, F&& fn) {
    std::unique_ptr<Conn> conn;
    if (auto s = TakeReader(conn); !s) return s.error();
    std::optional<Result<T>> result;
    {
      ConnScope scope(conn.get());
      try {
        if (transaction) conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        result.emplace(fn());
        if (transaction) conn->Exec("COMMIT");
      } catch (const std::exception& e) {
        result.emplace(Unavailable(std::string("database error: ") + e.what()));
        try {
          if (transaction && conn->Healthy()) conn->Exec("ROLLBACK");
        } catch (const std::exception&) {
        }
      }
    }
    ReturnReader(std::move(conn));
    return std::move(*result);
  }
  Status TakeReader(std::unique_ptr<Conn>& out);
  void ReturnReader(std::unique_ptr<Conn> conn);

  Status Connect(Conn& c);
  Status Migrate();  // schema.cpp

  // ---- changes (listener.cpp) ----
  // What the batch's writes that kept their changes touched.
  static ChangeSet TouchedBy(const std::vector<Op*>& batch);
  // The statement that commits a batch that touched `touched`: a pg_notify
  // on the store's channel first when it touched anything, so that other
  // processes hear of it when (and only if) the transaction commits.
  std::string CommitSql(ChangeSet touched) const;
  // Names the store's channel and starts listening on it (Open).
  void StartListener();
  // The schema version of the database on the current connection (0: none).
  Result<int64_t> ReadSchemaVersion();

  Query Q(const char* sql) { return Query(t_conn, t_conn->Prepare(sql, true)); }
  // A statement whose text is built at run time (cached by text).
  Query QText(const std::string& sql);
  int64_t Changes() const { return t_conn->changes; }

  // ---- helpers inside a transaction ----
  // What FinishObjects adds to the job's counters (written once per call).
  struct JobCounts {
    int64_t labeled = 0, skipped = 0, failed = 0;
  };
  void ReleaseNext(int64_t job_id, int64_t count, int64_t now_ms);
  Result<Assignment> ReadAssignment(int64_t id, bool for_update);
  void EndLeaseOf(const Assignment& a, bool answered, bool declined, int64_t now_ms);
  int64_t ExpireLocked(int64_t now_ms);

  // ---- state ----
  std::string conninfo_;  // the URL without the store's own parameters
  std::string display_url_;  // the URL as given, without its password (for messages)
  std::string schema_;    // "" : the connection's default search_path
  int schema_version_ = 0;
  bool migrate_ = true;  // StoreOptions::migrate
  std::optional<SecretSealer> sealer_;

  Conn writer_;
  static constexpr size_t kMaxBatch = 256;
  static constexpr int kMaxRetries = 5;
  std::mutex queue_mu_;
  std::deque<Op*> queue_;
  std::condition_variable writer_cv_;
  bool writer_stop_ = false;
  std::thread writer_thread_;
  std::mutex done_mu_;
  std::deque<std::vector<Op*>> done_;  // batches whose callers have not heard yet
  std::condition_variable done_cv_;
  bool done_stop_ = false;
  std::thread completer_thread_;
  std::atomic<int64_t> commits_{0}, committed_writes_{0}, failed_commits_{0};
  StoreCounters counters_;
  ChangeSet* op_changes_ = nullptr;  // the running write's (writer thread only)
  // Changes: this process's commits and what the listener hears of others'.
  ChangeFeed changes_;
  std::string channel_literal_;  // the NOTIFY channel, quoted for SQL
  std::string origin_;           // this store's name in its announcements
  std::unique_ptr<ChangeListener> listener_;

  static constexpr size_t kMaxIdleReaders = 16;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Conn>> readers_;
  std::atomic<int64_t> readers_open_{0}, readers_busy_{0}, reconnects_{0};

  // The identity version every kCurrent session lookup checks, read for many
  // requests at once: each is answered by a read that started after it
  // asked, so it sees every change committed before, and one read answers
  // all the requests that arrived while the one before it ran.
  FreshRead<Result<int64_t>, std::function<Result<int64_t>()>> identity_version_{[this] {
    return ReadOne<int64_t>([&]() -> Result<int64_t> { return ReadIdentityVersion(); });
  }};
  SessionCache sessions_;  // FindSession (people_ops.cpp)
};

}  // namespace plumbline::store::postgresql

// Compiled once each, in people_ops.cpp, function_ops.cpp and job_ops.cpp.
extern template class plumbline::store::sql::SqlPeople<plumbline::store::postgresql::PgStore>;
extern template class plumbline::store::sql::SqlFunctions<plumbline::store::postgresql::PgStore>;
extern template class plumbline::store::sql::SqlJobs<plumbline::store::postgresql::PgStore>;
