// The SQLite store's connections: opening the database, the writer thread
// that runs the group commits back to back, the pool of reader connections
// and the checkpoint thread.
#include <algorithm>
#include <chrono>

#include "common/thread_name.hpp"
#include "store/sqlite/open.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace plumbline::store::sqlite {

thread_local Conn* t_conn = nullptr;

SqliteStore::~SqliteStore() {
  StopWriter();
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

Status SqliteStore::Open(const std::string& path, const StoreOptions& options) {
  path_ = path;
  schema_version_ = options.schema_version;
  migrate_ = options.migrate;
  if (auto s = OpenConn(writer_, false); !s) {
    if (migrate_) return s;
    return Unavailable(s.error().message + " (without migrations the database must exist: run "
                       "`plumbline migrate` first)");
  }
  // Readers need a file both connections can open; an in-memory database
  // reads on the writer.
  readers_enabled_ = !path_.empty() && path_ != ":memory:" && path_.rfind("file:", 0) != 0;
  writer_thread_ = std::thread([this] {
    NameThisThread("plb-writer");
    WriterLoop();
  });
  ConnScope scope(&writer_);
  PLB_TRY(Exec("PRAGMA journal_mode=WAL"));
  // A durable store syncs every commit (synchronous=FULL); otherwise WAL's
  // NORMAL level, which can lose the last commits on a power failure.
  PLB_TRY(Exec(options.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  PLB_TRY(Exec("PRAGMA foreign_keys=ON"));
  // Freed and overwritten content is zeroed, so a secret replaced by its
  // sealed form (or a deleted session token) does not linger in the file.
  PLB_TRY(Exec("PRAGMA secure_delete=ON"));
  PLB_TRY(Migrate());
  if (readers_enabled_) PLB_TRY(StartCheckpointer());
  sealer_ = options.secret_sealer;
  if (sealer_) {
    PLB_TRY(SealPlaintextSecrets());
    // Then the WAL is truncated, so that no old page image keeps the
    // plaintext (secure_delete zeroes it in the main file).
    // (On the writer connection: Open's scope.)
    std::lock_guard<std::mutex> db_lock(mu_);
    (void)Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return {};
}

StoreStats SqliteStore::Stats() {
  StoreStats s{commits_.load(), committed_writes_.load(), failed_commits_.load()};
  counters_.Fill(s);
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    s.pool_open = 1 + static_cast<int64_t>(readers_.size());  // the writer and idle readers
  }
  return s;
}

// ---------------- group commit ----------------
// Under load, concurrent writers share fsyncs instead of queueing behind one
// another; alone, a call costs what a plain transaction costs plus one
// hand-over to the writer thread.

void SqliteStore::Enqueue(Op* op) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  queue_.push_back(op);
  if (queue_.size() == 1) writer_cv_.notify_one();
}

// The writer thread: takes whatever is queued (up to kMaxBatch operations)
// as one batch, and goes straight on to the next batch while callers are
// waiting, so no hand-over between threads sits between two commits.
void SqliteStore::WriterLoop() {
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

void SqliteStore::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    writer_stop_ = true;
  }
  writer_cv_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
}

void SqliteStore::RunBatch(const std::vector<Op*>& batch) {
  std::lock_guard<std::mutex> db_lock(mu_);
  ConnScope scope(&writer_);
  if (auto s = Run("BEGIN IMMEDIATE"); !s) {
    for (Op* o : batch) o->Fail(s.error());
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ChangeSet touched = changes::kNone;
  for (Op* o : batch) {
    if (batch.size() == 1) {
      if (!o->Run()) {
        (void)Run("ROLLBACK");
        return;
      }
      touched |= o->changes;
      continue;
    }
    (void)Run("SAVEPOINT op");
    bool keep = o->Run();
    if (!keep) (void)Run("ROLLBACK TO op");
    else touched |= o->changes;
    (void)Run("RELEASE op");
  }
  if (auto s = Run("COMMIT"); !s) {
    (void)Run("ROLLBACK");
    for (Op* o : batch) o->Fail(s.error());
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  committed_writes_.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
  counters_.Committed(batch.size());
  changes_.Publish(touched);  // before the callers hear of their commit
}

// ---------------- readers ----------------

std::unique_ptr<Conn> SqliteStore::TakeReader() {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (readers_.empty()) return nullptr;
  std::unique_ptr<Conn> conn = std::move(readers_.back());
  readers_.pop_back();
  return conn;
}

void SqliteStore::ReturnReader(std::unique_ptr<Conn> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  readers_.push_back(std::move(conn));
}

// ---------------- checkpoints ----------------
// Checkpoints (copying the WAL back into the database file) run on a thread
// of their own instead of inside the commit that crosses SQLite's 1000-page
// mark: a commit then only appends to the WAL and syncs it. PASSIVE
// checkpoints never block the writer or the readers; the WAL starts over
// once a checkpoint has copied all of it.
Status SqliteStore::StartCheckpointer() {
  PLB_TRY(Exec("PRAGMA wal_autocheckpoint=0"));
  sqlite3_wal_hook(
      writer_.db,
      [](void* self, sqlite3*, const char*, int frames) -> int {
        if (frames >= kCheckpointFrames)
          static_cast<SqliteStore*>(self)->checkpoint_cv_.notify_one();
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

// ---------------- connections ----------------

Status SqliteStore::OpenConn(Conn& c, bool reader) {
  if (sqlite3_open_v2(path_.c_str(), &c.db,
                      // Without migrations the database must exist already.
                      SQLITE_OPEN_READWRITE | (migrate_ ? SQLITE_OPEN_CREATE : 0) |
                          SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return Unavailable("cannot open database " + path_ + ": " +
                       (c.db ? sqlite3_errmsg(c.db) : "out of memory"));
  sqlite3_busy_timeout(c.db, 10000);
  ConnScope scope(&c);
  // A larger page cache than SQLite's 2 MB default: the hot pages of the
  // objects and assignments tables stay in memory.
  PLB_TRY(Exec("PRAGMA cache_size=-32768"));
  // Statement journals and sorts in memory: a bulk insert's statement
  // journal otherwise spills to a temporary file once past 64 KiB, which
  // wrote more than the database itself during a large ingest. They need no
  // durability: a crash rolls the whole transaction back from the WAL.
  PLB_TRY(Exec("PRAGMA temp_store=MEMORY"));
  // (A memory map of the file measured slower under load: it is remapped
  // as the file grows.)
  if (reader) PLB_TRY(Exec("PRAGMA query_only=1"));
  return {};
}

Status SqliteStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(Db(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown error";
    sqlite3_free(err);
    return Unavailable(std::string("database error in '") + sql + "': " + m);
  }
  return {};
}

Status SqliteStore::Run(const char* sql) {
  try {
    Query q = Q(sql);
    while (q.Step()) {
    }
    return {};
  } catch (const Query::SqlError& e) {
    return Unavailable(std::string("database error in '") + sql + "': " + e.what());
  }
}

Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options) {
  auto store = std::make_unique<SqliteStore>();
  PLB_TRY(store->Open(path, options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace plumbline::store::sqlite
