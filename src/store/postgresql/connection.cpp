// The PostgreSQL store's connections: the URL, opening connections, the
// prepared statements, the pool of readers and the writer thread that runs
// the group commits.
#include <poll.h>

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

// ---------------- pipeline mode ----------------

namespace {

// The error of a pipelined statement's result (nullptr: the connection's).
SqlError PipelineError(PGconn* pg, PGresult* res, const std::string& what) {
  if (res && PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
    return SqlError("", "not run: an earlier statement of the pipeline failed (in " + what + ")");
  return ErrorOf(pg, res, what);
}

}  // namespace

void Conn::EnterPipeline() {
  if (PQenterPipelineMode(pg) != 1 || PQsetnonblocking(pg, 1) != 0)
    throw ErrorOf(pg, nullptr, "entering pipeline mode");
}

void Conn::SendCommand(const char* sql) {
  if (PQsendQueryParams(pg, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1)
    throw ErrorOf(pg, nullptr, sql);
}

void Conn::Flush() {
  for (;;) {
    int r = PQflush(pg);
    if (r == 0) return;
    if (r < 0) throw ErrorOf(pg, nullptr, "sending the pipeline");
    // The socket is full: take in what the server sent meanwhile (it may
    // be waiting for us to read before it reads more), then try again.
    pollfd fd{PQsocket(pg), POLLIN | POLLOUT, 0};
    if (::poll(&fd, 1, -1) < 0 && errno != EINTR) throw ErrorOf(pg, nullptr, "poll");
    if ((fd.revents & (POLLIN | POLLERR | POLLHUP)) && PQconsumeInput(pg) != 1)
      throw ErrorOf(pg, nullptr, "reading while sending the pipeline");
  }
}

void Conn::Sync() {
  if (PQpipelineSync(pg) != 1) throw ErrorOf(pg, nullptr, "pipeline sync");
  Flush();
  // Reading blocks until the results are in.
  PQsetnonblocking(pg, 0);
}

PGresult* Conn::NextResult() {
  PGresult* first = PQgetResult(pg);
  if (!first) return nullptr;
  // Each statement's results end with a NULL (one result per statement here).
  while (PGresult* more = PQgetResult(pg)) PQclear(more);
  return first;
}

void Conn::ReadCommand(const char* what) {
  PGresult* res = NextResult();
  const ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) {
    SqlError e = PipelineError(pg, res, what);
    PQclear(res);
    throw e;
  }
  PQclear(res);
}

void Conn::EndPipeline() noexcept {
  if (!pg) return;
  PQsetnonblocking(pg, 0);
  // Whatever is left, up to the Sync's result. A statement's results end
  // with a NULL; the Sync's is not followed by one, so two NULLs in a row
  // mean nothing is left to read (or the connection is gone).
  int nulls = 0;
  while (PQpipelineStatus(pg) != PQ_PIPELINE_OFF && Healthy()) {
    PGresult* res = PQgetResult(pg);
    if (!res) {
      if (++nulls == 2) break;
      continue;
    }
    nulls = 0;
    bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync && PQexitPipelineMode(pg) == 1) return;
  }
  if (PQpipelineStatus(pg) == PQ_PIPELINE_OFF) return;
  if (PQexitPipelineMode(pg) != 1) Close();
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
    TakeResult();
  }
  return ++row_ < PQntuples(res_);
}

void Query::TakeResult() {
  ExecStatusType st = res_ ? PQresultStatus(res_) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    SqlError e = PipelineError(conn_->pg, res_, "statement " + stmt_->name);
    PQclear(res_);
    res_ = nullptr;
    throw e;
  }
  const char* n = PQcmdTuples(res_);
  conn_->changes = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
  row_ = -1;
}

void Query::Send() {
  std::vector<const char*> values(params_.size());
  for (size_t i = 0; i < params_.size(); ++i)
    values[i] = params_[i] ? params_[i]->c_str() : nullptr;
  if (PQsendQueryPrepared(conn_->pg, stmt_->name.c_str(), static_cast<int>(values.size()),
                          values.data(), nullptr, nullptr, 0) != 1)
    throw ErrorOf(conn_->pg, nullptr, "statement " + stmt_->name);
}

void Query::Collect() {
  if (res_) PQclear(res_);
  res_ = conn_->NextResult();
  TakeResult();
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
    std::string m = PQerrorMessage(c.pg);  // says why for a null connection too
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
  completer_thread_ = std::thread([this] {
    NameThisThread("plb-pg-done");
    CompleterLoop();
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
    // Claims and submits first: then they begin the transaction, whose
    // first statement locks the objects its submits update in one order
    // (RunPipelined), before it holds any other row. Otherwise the objects
    // of submits behind another operation (a runner's finish or lease) were
    // locked in the order the submits came, and two replicas' batches could
    // each wait for the other's (seen in the 2-replica bench). Any order of
    // one batch is one its callers could have seen: only claims and submits
    // are queued without waiting, and they keep their order.
    std::stable_partition(batch.begin(), batch.end(),
                          [](const Op* o) { return o->Write() != nullptr; });
    const std::vector<Op*> again = RunBatch(batch);
    // The callers hear on the completer's thread, while this one goes on
    // with the next batch: handing each result back (waking the thread
    // that answers it) took the writer about 0.6 ms a batch of 27 writes,
    // a seventh of its cycle, with the database idle.
    std::vector<Op*> done;
    done.reserve(batch.size() - again.size());
    for (Op* o : batch)
      if (std::find(again.begin(), again.end(), o) == again.end()) done.push_back(o);
    if (!done.empty()) {
      std::lock_guard<std::mutex> done_lock(done_mu_);
      done_.push_back(std::move(done));
      done_cv_.notify_one();
    }
    lock.lock();
    // Writes that met a deadlock go first in the next transaction.
    queue_.insert(queue_.begin(), again.begin(), again.end());
  }
}

void PgStore::CompleterLoop() {
  std::unique_lock<std::mutex> lock(done_mu_);
  for (;;) {
    done_cv_.wait(lock, [&] { return done_stop_ || !done_.empty(); });
    if (done_.empty()) return;
    std::vector<Op*> batch = std::move(done_.front());
    done_.pop_front();
    lock.unlock();
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
  // Then every result the writer handed over reaches its caller.
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_stop_ = true;
  }
  done_cv_.notify_one();
  if (completer_thread_.joinable()) completer_thread_.join();
}

// The batch runs in one transaction with a savepoint before each operation
// ("RELEASE op; SAVEPOINT op" between two). An operation that fails rolls
// back to its savepoint alone. One that met a deadlock or a serialization
// failure (another replica's transaction) runs again, a few times, but in
// the next transaction: the other side of a deadlock may be waiting for
// rows the batch's earlier operations hold, so a rerun before this
// transaction ends would meet it again (a second wait of deadlock_timeout).
// So would the batch's later operations that touch the other side's rows:
// after a deadlock the transaction commits what it has at once, and the
// rest of the batch goes first in the next one.
//
// Consecutive claims and submits (Op::Write) go to the server as one
// plb_write_batch statement in one pipeline (the first of the batch also
// with its BEGIN and first SAVEPOINT), so such a batch is one round trip
// and its COMMIT another (which also announces what the batch touched: its
// kinds are known only once the results are read). When that statement
// fails, the writer rolls back to the savepoint before it; after a
// deadlock its writes go to the next transaction with the rest of the
// batch, after any other error they are sent again one statement each, so
// that the one that fails fails alone (the server skips the rest of a
// pipeline after a failed statement: the writer rolls back to the failed
// write's savepoint, reruns it later if it may, and sends the writes after
// it again). Other operations run alone, a statement at a time.
std::vector<PgStore::Op*> PgStore::RunBatch(const std::vector<Op*>& batch) {
  ConnScope scope(&writer_);
  std::vector<Op*> again;
  auto fail_all = [&](const Error& e) {
    for (Op* o : batch) o->Fail(e);
    failed_commits_.fetch_add(1, std::memory_order_relaxed);
    return std::vector<Op*>();
  };
  if (!writer_.Healthy()) {
    reconnects_.fetch_add(1);
    if (auto s = Connect(writer_); !s) return fail_all(s.error());
  }
  ChangeSet touched = changes::kNone;  // by the writes the commit keeps
  // The transaction begins with the first operation: in its pipeline when
  // it is pipelined (no round trip of its own), else before it runs.
  bool begun = false;
  // Writes before this one are sent one statement each (their statement
  // together failed).
  size_t alone_until = 0;
  try {
    for (size_t i = 0; i < batch.size();) {
      if (!batch[i]->Write()) {
        if (!begun) writer_.Exec("BEGIN; SAVEPOINT op");
        begun = true;
        if (!RunAlone(batch[i], i + 1 == batch.size())) {
          // A deadlock: the rest of the batch waits for the next transaction.
          again.insert(again.end(), batch.begin() + static_cast<std::ptrdiff_t>(i),
                       batch.end());
          break;
        }
        ++i;
        continue;
      }
      size_t to = i;
      while (to < batch.size() && batch[to]->Write()) ++to;
      PipelineRun run = RunPipelined(batch, i, to, /*begin=*/!begun, alone_until);
      if (run.lock_deadlocked) {
        // Nothing ran and the transaction is rolled back: the batch goes
        // again in the next one, each write a few times at most.
        for (Op* op : batch) {
          if (++op->failures < kMaxRetries) {
            again.push_back(op);
          } else {
            op->Fail(Unavailable("database error: deadlock locking the batch's objects"));
          }
        }
        return again;
      }
      begun = begun || run.began;
      auto stale = [&](const Op* op) { return AuthorisedUnderAnother(op, run.identity_version); };
      if (run.identity_version > 0 &&
          std::any_of(batch.begin() + static_cast<std::ptrdiff_t>(i),
                      batch.begin() + static_cast<std::ptrdiff_t>(to), stale)) {
        // Writes authorised under an older identity version ran: the whole
        // transaction goes. They fail (their callers authenticate again);
        // the rest of the batch runs again in the next transaction.
        writer_.Exec("ROLLBACK");
        for (Op* op : batch) {
          if (stale(op)) {
            op->Fail(IdentityChanged(op->Write()->identity_version, run.identity_version));
            counters_.IdentityRefused();
          } else {
            again.push_back(op);
          }
        }
        return again;
      }
      i = run.next;
      if (run.error) {
        // The transaction is aborted; back to before the failed statement.
        if (begun) writer_.Exec("ROLLBACK TO op");
        const size_t from = run.failed_from, to_failed = run.failed_to;
        if (to_failed - from > 1 && !run.error->Retryable()) {
          // Several writes in one statement: each goes again alone, so
          // that the one at fault fails by itself.
          alone_until = to_failed;
          i = from;
          continue;
        }
        bool deadlocked = false;
        for (size_t k = from; k < to_failed; ++k) {
          batch[k]->StatementFailed(*run.error);
          if (RunsAgain(batch[k])) {
            again.push_back(batch[k]);
            deadlocked = true;
          }
        }
        if (deadlocked) {
          // A deadlock (or a serialization failure): the other transaction
          // waits for rows this one holds, and the writes after these would
          // likely meet it again, each after deadlock_timeout. This
          // transaction commits what it has now, releasing its locks, and
          // the rest of the batch goes first in the next one.
          again.insert(again.end(), batch.begin() + static_cast<std::ptrdiff_t>(run.next),
                       batch.end());
          break;
        }
      }
    }
    // Announces what the kept writes touched, in the committing transaction
    // (none began when every operation failed before it was sent).
    touched = TouchedBy(batch);
    if (begun) writer_.Exec(CommitSql(touched).c_str());
  } catch (const SqlError& e) {
    writer_.EndPipeline();
    try {
      if (writer_.Healthy()) writer_.Exec("ROLLBACK");
    } catch (const SqlError&) {
    }
    return fail_all(Unavailable(std::string("database error: ") + e.what()));
  }
  const size_t done = batch.size() - again.size();
  commits_.fetch_add(1, std::memory_order_relaxed);
  committed_writes_.fetch_add(static_cast<int64_t>(done), std::memory_order_relaxed);
  counters_.Committed(done);
  changes_.Publish(touched);  // before the callers hear of their commit
  return again;
}

bool PgStore::AuthorisedUnderAnother(const Op* op, int64_t version) {
  const BatchWrite* w = op->Write();
  return w && w->identity_version > 0 && w->identity_version != version;
}

bool PgStore::RunsAgain(Op* op) { return op->Retryable() && ++op->failures < kMaxRetries; }

bool PgStore::RunAlone(Op* op, bool last) {
  if (op->Run()) {
    if (!last) writer_.Exec("RELEASE op; SAVEPOINT op");
    return true;
  }
  writer_.Exec("ROLLBACK TO op");
  return !RunsAgain(op);
}

namespace {
// The identity version from its pipelined read.
int64_t ReadVersionRow(Query& q) {
  q.Collect();
  if (!q.Step()) throw SqlError("", "the identity_version row is missing");
  return q.Int(0);
}
}  // namespace

PgStore::PipelineRun PgStore::RunPipelined(const std::vector<Op*>& batch, size_t from,
                                           size_t to, bool begin, size_t alone_until) {
  PipelineRun run;
  // The statements, bound before the pipeline (preparing, the first time,
  // waits for the server): one per write before `alone_until`, then one
  // for the rest.
  struct Statement {
    size_t from, to;
    Query query;
  };
  std::vector<Statement> statements;
  for (size_t k = from; k < to;) {
    const size_t end = k < alone_until ? k + 1 : to;
    std::vector<const BatchWrite*> writes;
    for (size_t w = k; w < end; ++w) writes.push_back(batch[w]->Write());
    statements.push_back({k, end, WriteBatchQuery(writes)});
    k = end;
  }
  // The objects the submits update, locked first in one order. Prepared
  // like every statement: sent as text, its parse and plan were 5% of the
  // writer's backend in the claim + submit bench.
  std::optional<Query> lock;
  if (begin) {
    ArrayLiteral ids;
    for (size_t k = from; k < to; ++k)
      if (batch[k]->object_of_assignment > 0) ids.Add(batch[k]->object_of_assignment);
    if (!ids.Empty()) {
      lock.emplace(
          Q("SELECT 1 FROM objects o JOIN assignments a ON o.job_id = a.job_id AND o.idx = a.idx "
            "WHERE a.id = ANY(?::bigint[]) ORDER BY o.job_id, o.idx FOR UPDATE OF o"));
      lock->Bind(1, ids.Done());
    }
  }
  // The identity version, when a write was authorised under one: read in
  // this pipeline, before the writes, so that a change committed before
  // they ran is seen (RunBatch takes back the writes it does not match).
  std::optional<Query> identity;
  for (size_t k = from; k < to && !identity; ++k)
    if (batch[k]->Write()->identity_version > 0)
      identity.emplace(Q("SELECT version FROM identity_version WHERE id=1"));
  writer_.EnterPipeline();
  try {
    if (begin) {
      writer_.SendCommand("BEGIN");
      if (lock) lock->Send();
      if (identity) identity->Send();
      writer_.SendCommand("SAVEPOINT op");
      run.began = true;
    } else if (identity) {
      identity->Send();
    }
    for (Statement& st : statements) {
      st.query.Send();
      if (st.to < batch.size()) {
        writer_.SendCommand("RELEASE op");
        writer_.SendCommand("SAVEPOINT op");
      }
      writer_.Flush();
    }
    writer_.Sync();
    run.next = to;
    if (begin) {
      writer_.ReadCommand("BEGIN");
      if (lock) {
        try {
          lock->Collect();
        } catch (const SqlError& e) {
          // Another transaction waited for one of them while holding one
          // this batch wants: nothing of the batch has run.
          if (!e.Retryable()) throw;
          writer_.EndPipeline();
          writer_.Exec("ROLLBACK");
          run.next = from;
          run.lock_deadlocked = true;
          return run;
        }
      }
      if (identity) run.identity_version = ReadVersionRow(*identity);
      writer_.ReadCommand("SAVEPOINT op");
    } else if (identity) {
      run.identity_version = ReadVersionRow(*identity);
    }
    for (Statement& st : statements) {
      try {
        st.query.Collect();
      } catch (const SqlError& e) {
        run.failed_from = st.from;
        run.failed_to = st.to;
        run.error = e;
        run.next = st.to;
        break;
      }
      for (size_t k = st.from; k < st.to; ++k) {
        if (!st.query.Step()) throw SqlError("", "plb_write_batch returned too few rows");
        batch[k]->ReadRow(st.query);
      }
      if (st.to < batch.size()) {
        writer_.ReadCommand("RELEASE op");
        writer_.ReadCommand("SAVEPOINT op");
      }
    }
  } catch (const SqlError&) {
    writer_.EndPipeline();
    throw;
  }
  writer_.EndPipeline();
  if (!writer_.Healthy()) throw SqlError("", "the connection was lost after a pipeline");
  return run;
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
