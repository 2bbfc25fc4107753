// Copying an SQLite store into PostgreSQL (`plumbline migrate --from`).
//
// At their latest schemas both stores hold the same tables with the same
// columns (schema.cpp), but for the columns PostgreSQL derives from others
// (objects.pick), which the copy leaves out and then computes. So the copy
// is generic: each of the target's tables, in the order they were created
// (a referenced table before the tables that refer to it), is filled by one
// COPY ... FROM STDIN from a SELECT of the same columns in the SQLite file,
// opened read-only. Identity columns then carry on after the highest copied id.
// Everything happens in one transaction: a copy that fails leaves the
// target as it was.
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "store/postgresql/open.hpp"
#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {
namespace {

constexpr int64_t kProgressEvery = 100000;
constexpr size_t kCopyChunk = 1 << 20;

// Tables the copy leaves alone: each store's own migration bookkeeping.
bool IsBookkeeping(const std::string& table) { return table == "schema_version"; }

// PostgreSQL's columns that SQLite lacks because they follow from the
// others, each with the statement that sets it once its table is copied.
struct Derived {
  const char* table;
  const char* column;
  const char* fill;
};
constexpr Derived kDerived[] = {
    {"objects", "pick",
     "UPDATE objects SET pick = plb_pick(state, needed, answers, leases, declines, released_ms)"},
};
const Derived* DerivedColumn(const std::string& table, const std::string& column) {
  for (const auto& d : kDerived)
    if (table == d.table && column == d.column) return &d;
  return nullptr;
}

// `text` as libpq escapes it for SQL: an identifier ("name") or a literal ('text').
std::string Escaped(PGconn* pg, const std::string& text, char* (*escape)(PGconn*, const char*, size_t)) {
  char* q = escape(pg, text.c_str(), text.size());
  if (q == nullptr) throw SqlError("", "cannot quote " + text);
  std::string out = q;
  PQfreemem(q);
  return out;
}
std::string Quoted(PGconn* pg, const std::string& name) { return Escaped(pg, name, PQescapeIdentifier); }
std::string Literal(PGconn* pg, const std::string& text) { return Escaped(pg, text, PQescapeLiteral); }

// One value in COPY's text format.
void AppendCopyValue(std::string& out, sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
      out += "\\N";
      return;
    case SQLITE_INTEGER:
      out += std::to_string(sqlite3_column_int64(st, col));
      return;
    case SQLITE_FLOAT: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(st, col));
      out += buf;
      return;
    }
    default: {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, col));
      int n = sqlite3_column_bytes(st, col);
      for (int i = 0; i < n; ++i) {
        char c = p[i];
        switch (c) {
          case '\\': out += "\\\\"; break;
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          case '\t': out += "\\t"; break;
          default: out += c;
        }
      }
    }
  }
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using SqliteStmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

SqliteStmt PrepareSqlite(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw SqlError("", std::string("SQLite store: ") + sqlite3_errmsg(db));
  return SqliteStmt(st);
}

std::set<std::string> SqliteTables(sqlite3* db) {
  std::set<std::string> out;
  auto st = PrepareSqlite(db, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'");
  while (sqlite3_step(st.get()) == SQLITE_ROW)
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)));
  return out;
}

std::set<std::string> SqliteColumns(sqlite3* db, const std::string& table) {
  std::set<std::string> out;
  auto st = PrepareSqlite(db, "SELECT name FROM pragma_table_info(?1)");
  sqlite3_bind_text(st.get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(st.get()) == SQLITE_ROW)
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0)));
  return out;
}

void CheckResult(PGresult* res, PGconn* pg, ExecStatusType want, const std::string& what) {
  std::unique_ptr<PGresult, void (*)(PGresult*)> owned(res, PQclear);
  if (PQresultStatus(res) != want) {
    std::string m = PQresultErrorMessage(res);
    if (m.empty()) m = PQerrorMessage(pg);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    throw SqlError(state ? state : "", what + ": " + m);
  }
}

// COPY of one table's rows; returns how many.
int64_t CopyTable(PGconn* pg, sqlite3* db, const std::string& table,
                  const std::vector<std::string>& columns, const CopyProgress& progress) {
  std::string pg_cols, sqlite_cols;
  for (const auto& c : columns) {
    if (!pg_cols.empty()) pg_cols += ',', sqlite_cols += ',';
    pg_cols += Quoted(pg, c);
    sqlite_cols += '"' + c + '"';  // names from PostgreSQL's catalog, checked against SQLite's
  }
  auto st = PrepareSqlite(db, "SELECT " + sqlite_cols + " FROM \"" + table + "\"");
  std::string copy = "COPY " + Quoted(pg, table) + " (" + pg_cols + ") FROM STDIN";
  CheckResult(PQexec(pg, copy.c_str()), pg, PGRES_COPY_IN, "table " + table);
  std::string buf;
  buf.reserve(kCopyChunk + 4096);
  int64_t rows = 0;
  auto flush = [&] {
    if (!buf.empty() && PQputCopyData(pg, buf.data(), static_cast<int>(buf.size())) != 1)
      throw SqlError("", "table " + table + ": " + PQerrorMessage(pg));
    buf.clear();
  };
  int rc;
  const int n = static_cast<int>(columns.size());
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    for (int i = 0; i < n; ++i) {
      if (i) buf += '\t';
      AppendCopyValue(buf, st.get(), i);
    }
    buf += '\n';
    if (buf.size() >= kCopyChunk) flush();
    if (++rows % kProgressEvery == 0 && progress) progress(table, rows, false);
  }
  if (rc != SQLITE_DONE) {
    PQputCopyEnd(pg, "the SQLite store could not be read");
    while (PGresult* r = PQgetResult(pg)) PQclear(r);
    throw SqlError("", "SQLite store, table " + table + ": " + sqlite3_errmsg(db));
  }
  flush();
  if (PQputCopyEnd(pg, nullptr) != 1) throw SqlError("", "table " + table + ": " + PQerrorMessage(pg));
  PGresult* last = nullptr;
  while (PGresult* r = PQgetResult(pg)) {
    if (last) PQclear(last);
    last = r;
  }
  if (last == nullptr) throw SqlError("", "table " + table + ": no answer to COPY");
  CheckResult(last, pg, PGRES_COMMAND_OK, "table " + table);
  if (progress) progress(table, rows, true);
  return rows;
}

}  // namespace

Result<std::vector<TableCopied>> PgStore::ImportSqlite(const std::string& sqlite_path,
                                                       const std::string& url,
                                                       const CopyProgress& progress) {
  conninfo_ = url;
  display_url_ = Redacted(url);
  schema_ = TakeSchemaParam(conninfo_);
  migrate_ = true;
  schema_version_ = 0;
  PLB_TRY(Connect(writer_));
  ConnScope scope(&writer_);
  PLB_TRY(Migrate());

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(sqlite_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  if (rc != SQLITE_OK)
    return Unavailable("cannot open the SQLite store " + sqlite_path + ": " +
                       (raw ? sqlite3_errmsg(raw) : "out of memory"));
  sqlite3_busy_timeout(raw, 10000);

  PGconn* pg = writer_.pg;
  auto copy = [&]() -> Result<std::vector<TableCopied>> {
    std::vector<TableCopied> copied;
    std::set<std::string> sqlite_tables = SqliteTables(raw);
    std::vector<std::string> tables;
    {
      Query q = Q("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid");
      while (q.Step())
        if (!IsBookkeeping(q.Text(0))) tables.push_back(q.Text(0));
    }
    const std::string migrate_first =
        ": bring it to its latest schema first (plumbline migrate --store sqlite:" + sqlite_path + ")";
    for (const auto& t : sqlite_tables)
      if (!IsBookkeeping(t) && std::find(tables.begin(), tables.end(), t) == tables.end())
        return InvalidArgument("the SQLite store has a table " + t +
                               " that PostgreSQL's schema lacks: is it from a newer plumbline?");
    // What the target must not hold yet (identity_version's one row is the
    // migration's and is replaced by the source's).
    for (const auto& t : tables) {
      if (t == "identity_version") continue;
      Query q = QText("SELECT EXISTS(SELECT 1 FROM " + Quoted(pg, t) + ")");
      q.Step();
      if (q.Text(0) == "t")
        return Conflict("the target " + display_url_ + " already holds rows in table " + t +
                        ": copy into an empty database (or a new schema=NAME)");
    }
    for (const auto& t : tables) {
      if (!sqlite_tables.count(t)) return InvalidArgument("the SQLite store has no table " + t + migrate_first);
      std::vector<std::string> columns, identity;
      std::vector<const Derived*> derived;
      {
        Query q = QText(
            "SELECT column_name, is_identity FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?1 AND is_generated = 'NEVER' "
            "ORDER BY ordinal_position");
        q.Bind(1, t);
        while (q.Step()) {
          if (const Derived* d = DerivedColumn(t, q.Text(0))) {
            derived.push_back(d);
            continue;
          }
          columns.push_back(q.Text(0));
          if (q.Text(1) == "YES") identity.push_back(q.Text(0));
        }
      }
      std::set<std::string> sqlite_columns = SqliteColumns(raw, t);
      for (const auto& c : columns)
        if (!sqlite_columns.count(c))
          return InvalidArgument("table " + t + ": the SQLite store has no column " + c + migrate_first);
      for (const auto& c : sqlite_columns)
        if (std::find(columns.begin(), columns.end(), c) == columns.end())
          return InvalidArgument("table " + t + ": PostgreSQL's schema has no column " + c +
                                 " (is the SQLite store from a newer plumbline?)");
      if (t == "identity_version") writer_.Exec("DELETE FROM identity_version");
      int64_t rows = CopyTable(pg, raw, t, columns, progress);
      for (const Derived* d : derived) writer_.Exec(d->fill);
      for (const auto& c : identity) {
        // New rows get ids after the highest copied one.
        Query q = QText("SELECT setval(pg_get_serial_sequence(" + Literal(pg, Quoted(pg, t)) + ", " +
                        Literal(pg, c) + "), coalesce(max(" + Quoted(pg, c) + "), 0) + 1, false) FROM " +
                        Quoted(pg, t));
        q.Step();
      }
      copied.push_back({t, rows});
    }
    return copied;
  };
  Result<std::vector<TableCopied>> result = std::vector<TableCopied>{};
  try {
    writer_.Exec("BEGIN");
    // The SQLite file is read in one transaction too: one consistent view,
    // even while a server still writes to it.
    if (sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
      throw SqlError("", std::string("SQLite store: ") + sqlite3_errmsg(raw));
    result = copy();
    sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
    writer_.Exec(result ? "COMMIT" : "ROLLBACK");
  } catch (const SqlError& e) {
    try {
      writer_.Exec("ROLLBACK");
    } catch (const SqlError&) {
    }
    return Unavailable(std::string("copy failed, nothing copied: ") + e.what());
  }
  return result;
}

Result<std::vector<TableCopied>> ImportSqlite(const std::string& sqlite_path, const std::string& url,
                                              const CopyProgress& progress) {
  PgStore store;
  return store.ImportSqlite(sqlite_path, url, progress);
}

}  // namespace plumbline::store::postgresql
