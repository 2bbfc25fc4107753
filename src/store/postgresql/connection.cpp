// The PostgreSQL store's connections: the URL, opening connections, the
// prepared statements, the pool of readers and the writer thread that runs
// the group commits.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/thread_name.hpp"
#include "store/postgresql/open.hpp"
#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {

thread_local Conn* t_conn = nullptr;

// ---------------- statements ----------------

std::string ToDollarPlaceholders(const char* sql, int* params) {
  std::string out;
  int highest = 0;
  bool in_string = false;
  for (const char* p = sql; *p; ++p) {
    if (*p == '\'') in_string = !in_string;
    if (*p != '?' || in_string) {
      out += *p;
      continue;
    }
    int n = 0;
    while (p[1] >= '0' && p[1] <= '9') n = n * 10 + (*++p - '0');
    if (n == 0) n = highest + 1;  // a bare `?` takes the next number, as in SQLite
    highest = std::max(highest, n);
    out += '$';
    out += std::to_string(n);
  }
  *params = highest;
  return out;
}

namespace {

SqlError ErrorOf(PGconn* pg, PGresult* res, const std::string& what) {
  std::string state;
  if (res)
    if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE)) state = s;
  std::string msg = res ? PQresultErrorMessage(res) : "";
  if (msg.empty() && pg) msg = PQerrorMessage(pg);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return SqlError(state, msg + " (in " + what + ")");
}

}  // namespace

const Conn::Prepared& Conn::Prepare(const char* sql, bool literal) {
  if (literal) {
    if (auto it = prepared.find(sql); it != prepared.end()) return it->second;
  } else if (auto it = prepared_text.find(sql); it != prepared_text.end()) {
    return it->second;
  }
  Prepared p;
  std::string text = ToDollarPlaceholders(sql, &p.params);
  p.name = "s" + std::to_string(prepared.size() + prepared_text.size() + 1);
  PGresult* res = PQprepare(pg, p.name.c_str(), text.c_str(), p.params, nullptr);
  if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
    SqlError e = ErrorOf(pg, res, text);
    PQclear(res);
    throw e;
  }
  PQclear(res);
  if (literal) return prepared.emplace(sql, std::move(p)).first->second;
  return prepared_text.emplace(sql, std::move(p)).first->second;
}

void Conn::Exec(const char* sql) {
  PGresult* res = PQexec(pg, sql);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    SqlError e = ErrorOf(pg, res, sql);
    PQclear(res);
    throw e;
  }
  PQclear(res);
}

Query& Query::Bind(int i, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return Set(i, buf);
}

bool Query::Step() {
  if (!res_) {
    std::vector<const char*> values(params_.size());
    for (size_t i = 0; i < params_.size(); ++i)
      values[i] = params_[i] ? params_[i]->c_str() : nullptr;
    res_ = PQexecPrepared(conn_->pg, stmt_->name.c_str(), static_cast<int>(values.size()),
                          values.data(), nullptr, nullptr, 0);
    ExecStatusType st = res_ ? PQresultStatus(res_) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      SqlError e = ErrorOf(conn_->pg, res_, "statement " + stmt_->name);
      PQclear(res_);
      res_ = nullptr;
      throw e;
    }
    const char* n = PQcmdTuples(res_);
    conn_->changes = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
    row_ = -1;
  }
  return ++row_ < PQntuples(res_);
}

int64_t Query::Int(int col) const {
  if (PQgetisnull(res_, row_, col)) return 0;
  const char* v = PQgetvalue(res_, row_, col);
  if (v[0] == 't' && v[1] == '\0') return 1;  // booleans
  if (v[0] == 'f' && v[1] == '\0') return 0;
  return std::strtoll(v, nullptr, 10);
}
double Query::Real(int col) const {
  if (PQgetisnull(res_, row_, col)) return 0;
  return std::strtod(PQgetvalue(res_, row_, col), nullptr);
}
std::string Query::Text(int col) const {
  if (PQgetisnull(res_, row_, col)) return {};
  return std::string(PQgetvalue(res_, row_, col),
                     static_cast<size_t>(PQgetlength(res_, row_, col)));
}

Query PgStore::QText(const std::string& sql) {
  return Query(t_conn, t_conn->Prepare(sql.c_str(), false));
}

// ---------------- opening ----------------

// Splits the store's own `schema=NAME` parameter off a libpq URI.
std::string TakeSchemaParam(std::string& url) {
  size_t q = url.find('?');
  if (q == std::string::npos) return {};
  std::string query = url.substr(q + 1), kept, schema;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string part = query.substr(start, amp - start);
    if (part.rfind("schema=", 0) == 0) {
      schema = part.substr(7);
    } else if (!part.empty()) {
      if (!kept.empty()) kept += '&';
      kept += part;
    }
    start = amp + 1;
  }
  url = url.substr(0, q) + (kept.empty() ? "" : "?" + kept);
  return schema;
}

// The URL without its password, for messages.
std::string Redacted(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

PgStore::~PgStore() {
  if (listener_) listener_->Stop();
  StopWriter();
}

Status PgStore::Connect(Conn& c) {
  c.Close();
  c.pg = PQconnectdb(conninfo_.c_str());
  if (!c.Healthy()) {
    std::string m = c.pg ? PQerrorMessage(c.pg) : "out of memory";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    c.Close();
    return Unavailable("cannot connect to PostgreSQL at " + display_url_ + ": " + m);
  }
  // The server's notices ("relation ... already exists, skipping") are not
  // errors: they are dropped rather than printed on stderr.
  PQsetNoticeProcessor(c.pg, [](void*, const char*) {}, nullptr);
  try {
    if (!schema_.empty()) {
      char* ident = PQescapeIdentifier(c.pg, schema_.c_str(), schema_.size());
      std::string set = std::string("SET search_path TO ") + ident;
      PQfreemem(ident);
      c.Exec(set.c_str());
    }
  } catch (const SqlError& e) {
    c.Close();
    return Unavailable(std::string("PostgreSQL: ") + e.what());
  }
  return {};
}

Status PgStore::Open(const std::string& url, const StoreOptions& options) {
  conninfo_ = url;
  display_url_ = Redacted(url);
  schema_ = TakeSchemaParam(conninfo_);
  schema_version_ = options.schema_version;
  migrate_ = options.migrate;
  // Durability is the server's (fsync, synchronous_commit); a store opened
  // as not durable lets its commits return before the WAL is flushed.
  if (!options.durable) {
    conninfo_ += conninfo_.find('?') == std::string::npos ? "?" : "&";
    conninfo_ += "options=-csynchronous_commit%3Doff";
  }
  PLB_TRY(Connect(writer_));
  {
    ConnScope scope(&writer_);
    PLB_TRY(Migrate());
  }
  StartListener();
  writer_thread_ = std::thread([this] {
    NameThisThread("plb-pg-writer");
    WriterLoop();
  });
  sealer_ = options.secret_sealer;
  if (sealer_) PLB_TRY(SealPlaintextSecrets());
  return {};
}

StoreStats PgStore::Stats() {
  StoreStats s{commits_.load(), committed_writes_.load(), failed_commits_.load()};
  s.pool_open = readers_open_.load() + 1;  // and the writer's
  s.pool_busy = readers_busy_.load();
  s.reconnects = reconnects_.load();
  counters_.Fill(s);
  return s;
}

// ---------------- readers ----------------

Status PgStore::TakeReader(std::unique_ptr<Conn>& out) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    while (!readers_.empty()) {
      out = std::move(readers_.back());
      readers_.pop_back();
      if (out->Healthy()) break;  // the health check: a connection the server dropped goes
      out.reset();
      readers_open_.fetch_sub(1);
      reconnects_.fetch_add(1);
    }
  }
  if (!out) {
    out = std::make_unique<Conn>();
    PLB_TRY(Connect(*out));
    readers_open_.fetch_add(1);
  }
  readers_busy_.fetch_add(1);
  return {};
}

void PgStore::ReturnReader(std::unique_ptr<Conn> conn) {
  readers_busy_.fetch_sub(1);
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (conn->Healthy() && PQtransactionStatus(conn->pg) == PQTRANS_IDLE &&
      readers_.size() < kMaxIdleReaders) {
    readers_.push_back(std::move(conn));
    return;
  }
  readers_open_.fetch_sub(1);
}

// ---------------- group commit ----------------

void PgStore::Enqueue(Op* op) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  queue_.push_back(op);
  if (queue_.size() == 1) writer_cv_.notify_one();
}

void PgStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  for (;;) {
    writer_cv_.wait(lock, [&] { return writer_stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    size_t n = std::min<size_t>(queue_.size(), kMaxBatch);
    std::vector<Op*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    RunBatch(batch);
    for (Op* o : batch) {
      std::unique_ptr<Op> owned(o);
      try {
        owned->Finish();
      } catch (...) {
      }
    }
    lock.lock();
  }
}

void PgStore::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    writer_stop_ = true;
  }
  writer_cv_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
}

// The batch runs in one transaction with a savepoint before each operation
// ("RELEASE op; SAVEPOINT op" between two: one round trip). An operation
// that fails rolls back to its savepoint alone; one that met a deadlock or a
// serialization failure (another replica's transaction) runs again, a few
// times.
void PgStore::RunBatch(const std::vector<Op*>& batch) {
  ConnScope scope(&writer_);
  auto fail_all = [&](const Error& e) {
    for (Op* o : batch) o->Fail(e);
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
  };
  if (!writer_.Healthy()) {
    reconnects_.fetch_add(1);
    if (auto s = Connect(writer_); !s) return fail_all(s.error());
  }
  try {
    writer_.Exec("BEGIN; SAVEPOINT op");
    for (size_t i = 0; i < batch.size(); ++i) {
      for (int attempt = 1;; ++attempt) {
        if (batch[i]->Run()) {
          if (i + 1 < batch.size()) writer_.Exec("RELEASE op; SAVEPOINT op");
          break;
        }
        writer_.Exec("ROLLBACK TO op");
        if (!batch[i]->Retryable() || attempt >= kMaxRetries) break;
      }
    }
    writer_.Exec(CommitSql(TouchedBy(batch)).c_str());  // announces what it touched
  } catch (const SqlError& e) {
    try {
      if (writer_.Healthy()) writer_.Exec("ROLLBACK");
    } catch (const SqlError&) {
    }
    return fail_all(Unavailable(std::string("database error: ") + e.what()));
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  committed_writes_.fetch_add(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
  counters_.Committed(batch.size());
  changes_.Publish(TouchedBy(batch));  // before the callers hear of their commit
}

Result<SchemaInfo> PgStore::Inspect(const std::string& url) {
  conninfo_ = url;
  display_url_ = Redacted(url);
  schema_ = TakeSchemaParam(conninfo_);
  PLB_TRY(Connect(writer_));
  ConnScope scope(&writer_);
  PLB_ASSIGN_OR_RETURN(int64_t version, ReadSchemaVersion());
  SchemaInfo info;
  info.version = version;
  info.latest = static_cast<int64_t>(kMigrationCount);
  if (version > info.latest)
    return Unavailable("database schema version " + std::to_string(version) +
                       " is newer than this plumbline (" + std::to_string(info.latest) + ")");
  for (int64_t v = version; v < info.latest; ++v)
    info.pending.push_back({v + 1, kMigrationSummaries[v]});
  return info;
}

Result<SchemaInfo> Inspect(const std::string& url) {
  PgStore store;
  return store.Inspect(url);
}

Result<std::unique_ptr<Store>> Open(const std::string& url, const StoreOptions& options) {
  auto store = std::make_unique<PgStore>();
  PLB_TRY(store->Open(url, options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace plumbline::store::postgresql
