// libpq, loaded on first use, as libcurl is (storage/curl_loader.cpp). The
// binary is not linked against libpq: this file defines the PQ* functions
// the PostgreSQL store calls, and the first of them opens libpq.so.5 with
// dlopen and looks the real ones up. Linked directly, libpq made every
// process (`plumbline consolidate`, `--help`, an SQLite server) map it and
// the sixteen libraries behind it (Kerberos, LDAP, SASL, GnuTLS ...) and run
// their initialisers: about 10 ms of each start on our machines.
//
// Only the functions used in src/ are here; a new PQ* call fails to link
// until it is added below. Without libpq, PQconnectdb answers nullptr and
// PQstatus / PQerrorMessage of that nullptr say why (libpq's own answers
// for a null connection are CONNECTION_BAD and a message too), so the
// store's existing error path reports it; every other function needs a
// connection or a result, hence a loaded libpq.
#include <dlfcn.h>
#include <libpq-fe.h>

#include <cstdio>
#include <string>

namespace {

#define PLB_LIBPQ_FUNCTIONS(X)                                                              \
  X(PQconnectdb) X(PQfinish) X(PQstatus) X(PQtransactionStatus) X(PQerrorMessage)        \
  X(PQsocket) X(PQsetnonblocking) X(PQflush) X(PQconsumeInput) X(PQnotifies)              \
  X(PQfreemem) X(PQsetNoticeProcessor) X(PQescapeIdentifier) X(PQescapeLiteral)           \
  X(PQexec) X(PQprepare) X(PQexecPrepared) X(PQsendQueryPrepared) X(PQsendQueryParams)    \
  X(PQgetResult) X(PQenterPipelineMode) X(PQexitPipelineMode) X(PQpipelineSync)           \
  X(PQpipelineStatus) X(PQputCopyData) X(PQputCopyEnd) X(PQresultStatus)                  \
  X(PQresultErrorMessage) X(PQresultErrorField) X(PQntuples) X(PQcmdTuples)               \
  X(PQgetvalue) X(PQgetlength) X(PQgetisnull) X(PQclear)

struct Libpq {
#define PLB_LIBPQ_SLOT(name) decltype(&::name) name = nullptr;
  PLB_LIBPQ_FUNCTIONS(PLB_LIBPQ_SLOT)
#undef PLB_LIBPQ_SLOT
  bool loaded = false;
  std::string error;  // why it is not loaded
};

Libpq Load() {
  Libpq pq;
  void* library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    pq.error = std::string("cannot load libpq.so.5 (Debian: apt-get install libpq5): ") +
               (why != nullptr ? why : "unknown error");
    return pq;
  }
  bool complete = true;
#define PLB_LIBPQ_BIND(name)                                                  \
  pq.name = reinterpret_cast<decltype(pq.name)>(dlsym(library, #name));      \
  if (pq.name == nullptr) {                                                   \
    complete = false;                                                         \
    pq.error = "libpq.so.5 lacks " #name ", which Plumbline needs (libpq 14 or newer)"; \
  }
  PLB_LIBPQ_FUNCTIONS(PLB_LIBPQ_BIND)
#undef PLB_LIBPQ_BIND
  pq.loaded = complete;
  return pq;
}

// Loaded once, on first use, from any thread (a function-local static).
const Libpq& Lib() {
  static const Libpq pq = Load();
  return pq;
}

}  // namespace

extern "C" {

// Connections. Without libpq there is no connection, and the null one reads
// as libpq's own null connection does, with the reason as its message (with
// libpq loaded, PQconnectdb answers nullptr only when out of memory).
PGconn* PQconnectdb(const char* conninfo) {
  return Lib().loaded ? Lib().PQconnectdb(conninfo) : nullptr;
}
void PQfinish(PGconn* conn) {
  if (conn != nullptr) Lib().PQfinish(conn);
}
ConnStatusType PQstatus(const PGconn* conn) {
  return conn != nullptr ? Lib().PQstatus(conn) : CONNECTION_BAD;
}
PGTransactionStatusType PQtransactionStatus(const PGconn* conn) {
  return conn != nullptr ? Lib().PQtransactionStatus(conn) : PQTRANS_UNKNOWN;
}
char* PQerrorMessage(const PGconn* conn) {
  if (conn != nullptr) return Lib().PQerrorMessage(conn);
  static thread_local std::string message;
  message = Lib().loaded ? "out of memory\n" : Lib().error + "\n";
  return message.data();
}
int PQsocket(const PGconn* conn) { return conn != nullptr ? Lib().PQsocket(conn) : -1; }
int PQsetnonblocking(PGconn* conn, int arg) { return Lib().PQsetnonblocking(conn, arg); }
int PQflush(PGconn* conn) { return Lib().PQflush(conn); }
int PQconsumeInput(PGconn* conn) { return Lib().PQconsumeInput(conn); }
PGnotify* PQnotifies(PGconn* conn) { return Lib().PQnotifies(conn); }
void PQfreemem(void* ptr) {
  if (ptr != nullptr) Lib().PQfreemem(ptr);
}
PQnoticeProcessor PQsetNoticeProcessor(PGconn* conn, PQnoticeProcessor proc, void* arg) {
  return Lib().PQsetNoticeProcessor(conn, proc, arg);
}
char* PQescapeIdentifier(PGconn* conn, const char* str, size_t len) {
  return Lib().PQescapeIdentifier(conn, str, len);
}
char* PQescapeLiteral(PGconn* conn, const char* str, size_t len) {
  return Lib().PQescapeLiteral(conn, str, len);
}

// Statements.
PGresult* PQexec(PGconn* conn, const char* query) { return Lib().PQexec(conn, query); }
PGresult* PQprepare(PGconn* conn, const char* name, const char* query, int n_params,
                    const Oid* param_types) {
  return Lib().PQprepare(conn, name, query, n_params, param_types);
}
PGresult* PQexecPrepared(PGconn* conn, const char* name, int n_params, const char* const* values,
                         const int* lengths, const int* formats, int result_format) {
  return Lib().PQexecPrepared(conn, name, n_params, values, lengths, formats, result_format);
}
int PQsendQueryPrepared(PGconn* conn, const char* name, int n_params, const char* const* values,
                        const int* lengths, const int* formats, int result_format) {
  return Lib().PQsendQueryPrepared(conn, name, n_params, values, lengths, formats, result_format);
}
int PQsendQueryParams(PGconn* conn, const char* command, int n_params, const Oid* param_types,
                      const char* const* values, const int* lengths, const int* formats,
                      int result_format) {
  return Lib().PQsendQueryParams(conn, command, n_params, param_types, values, lengths, formats,
                                 result_format);
}
PGresult* PQgetResult(PGconn* conn) { return Lib().PQgetResult(conn); }
int PQenterPipelineMode(PGconn* conn) { return Lib().PQenterPipelineMode(conn); }
int PQexitPipelineMode(PGconn* conn) { return Lib().PQexitPipelineMode(conn); }
int PQpipelineSync(PGconn* conn) { return Lib().PQpipelineSync(conn); }
PGpipelineStatus PQpipelineStatus(const PGconn* conn) {
  return conn != nullptr ? Lib().PQpipelineStatus(conn) : PQ_PIPELINE_OFF;
}
int PQputCopyData(PGconn* conn, const char* buffer, int bytes) {
  return Lib().PQputCopyData(conn, buffer, bytes);
}
int PQputCopyEnd(PGconn* conn, const char* error) { return Lib().PQputCopyEnd(conn, error); }

// Results. A null result reads as libpq's own null result does.
ExecStatusType PQresultStatus(const PGresult* res) {
  return res != nullptr ? Lib().PQresultStatus(res) : PGRES_FATAL_ERROR;
}
char* PQresultErrorMessage(const PGresult* res) {
  static char empty[] = "";
  return res != nullptr ? Lib().PQresultErrorMessage(res) : empty;
}
char* PQresultErrorField(const PGresult* res, int field) {
  return res != nullptr ? Lib().PQresultErrorField(res, field) : nullptr;
}
int PQntuples(const PGresult* res) { return res != nullptr ? Lib().PQntuples(res) : 0; }
char* PQcmdTuples(PGresult* res) { return Lib().PQcmdTuples(res); }
char* PQgetvalue(const PGresult* res, int row, int column) {
  return Lib().PQgetvalue(res, row, column);
}
int PQgetlength(const PGresult* res, int row, int column) {
  return Lib().PQgetlength(res, row, column);
}
int PQgetisnull(const PGresult* res, int row, int column) {
  return Lib().PQgetisnull(res, row, column);
}
void PQclear(PGresult* res) {
  if (res != nullptr) Lib().PQclear(res);
}

}  // extern "C"
