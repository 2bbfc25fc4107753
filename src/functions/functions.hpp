// Functions: the custom pre-annotation and consolidation hooks of custom
// labeling workflows, with AWS Lambda's contract (an event in, a JSON answer
// out), run on this machine.
//
// A function is registered in the store (store::Function) under a name and
// a Lambda ARN, and runs in one of three ways (its `kind`):
//   python      a handler `module.function` from an unpacked package, served
//               by warm python3 worker processes: each runs a small bootstrap
//               (embedded in the binary) that imports the handler once and
//               then answers events sent over a pipe, calling
//               handler(event, context) with Lambda's context object;
//   executable  any program (the handler names it, inside the package or
//               absolute): one process per event, the event JSON on stdin,
//               the answer JSON on stdout;
//   http        an endpoint speaking Lambda's Invoke API (POST the event to
//               .../2015-03-31/functions/NAME/invocations; an
//               X-Amz-Function-Error header marks an error answer), such as
//               the Lambda runtime interface emulator.
// Each invocation has the function's timeout (default 3 s, as Lambda's); a
// worker that times out, crashes or is killed is replaced. What a function
// prints (stdout of python handlers, stderr of executables) and a START /
// END / REPORT line per invocation go to the function's log file.
//
// Threading: Runner and Registry may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace plumbline::functions {

// How one invocation ended.
struct Invocation {
  bool ok = false;
  // ok: the function's answer (JSON text). Otherwise Lambda's error object,
  // {"errorMessage": ..., "errorType": ...} (JSON text).
  std::string payload;
  // "" when ok. "Unhandled" (the handler raised or the program failed),
  // "Timeout" (wall-clock or CPU time), "OutOfMemory" (a python handler
  // went beyond its MemorySize; its worker is replaced), "Crashed" (the
  // worker died), "BadResponse" (not JSON),
  // "Unavailable" (could not start or reach the function).
  std::string error_type;
  std::string request_id;
  // The error message alone (from payload), for failure reasons.
  std::string Message() const;
};

// What a run gets beside the event: environment variables such as the
// run's temporary credentials and the endpoint to reach Plumbline.
struct RunContext {
  std::map<std::string, std::string> env;
  // Whom the run acts for (a job's ARN), "" for none. A scoped run's python
  // workers are kept per function and scope and start with `env` in their
  // process environment, as a Lambda sandbox starts with its execution
  // role's credentials, so a handler that makes its boto3 clients at import
  // has them; every message also carries `env` (the freshest credentials)
  // into os.environ for the events it holds. Unscoped runs get `env` per
  // message only.
  std::string scope;
  // When the credentials in `env` expire (Unix ms; 0: they do not). A warm
  // worker started with them is replaced before then.
  int64_t expires_ms = 0;
  // Events per message to a python worker, at most (0: the runner's
  // python_chunk). 1 isolates events: a retry after a crash sends each alone,
  // so one event that kills its worker takes no other event with it.
  size_t max_chunk = 0;
};

struct RunnerOptions {
  std::string python = "python3";  // the interpreter of python functions
  int python_workers = 2;          // warm processes per python function
  int exec_parallel = 4;           // executable / http invocations at once per batch
  int python_chunk = 256;          // events per message to a python worker
  std::string region = "us-east-1";
  // Bounds on warm python workers, which are kept per function and scope
  // (python_workers each): starting one beyond max_warm_python first stops
  // the least recently used idle worker of another pool (busy workers are
  // never stopped, so the count exceeds it only while more are busy at
  // once); Trim() retires pools unused for idle_retire_ms.
  int max_warm_python = 16;
  int64_t idle_retire_ms = 5 * 60 * 1000;
  // A worker whose start credentials expire within this much plus the
  // function's timeout is replaced before it takes more events.
  int64_t refresh_before_ms = 2 * 60 * 1000;
};

class Runner {
 public:
  explicit Runner(RunnerOptions options);
  ~Runner();  // stops every warm worker
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Invokes `fn` once per event (each a JSON text), spread over the
  // function's workers; blocks until every invocation has ended and returns
  // one Invocation per event, in order. `log_path` is the function's log.
  std::vector<Invocation> InvokeBatch(const store::Function& fn,
                                      const std::vector<std::string>& events,
                                      const RunContext& context, const std::string& log_path);
  Invocation Invoke(const store::Function& fn, const std::string& event,
                    const RunContext& context, const std::string& log_path);
  // Stops the warm workers of the function (its code or settings changed,
  // or it was deleted); later invocations start new ones.
  void Forget(const std::string& name);
  // Stops the warm workers of every function not in `current`, or whose
  // revision there differs (deleted or changed by another process, such as
  // `plumbline functions delete` beside a running server).
  void Retain(const std::vector<store::Function>& current);
  // Stops idle workers whose start credentials are about to expire and the
  // pools unused for idle_retire_ms (the registry's sweep calls it).
  void Trim();
  // Warm worker processes running now (tests and metrics).
  int WarmWorkers();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Unpacks a zip archive into `dir` (which must exist). kInvalidArgument
// naming the entry for a damaged archive, an unsupported compression method
// or an entry whose path leaves `dir`.
Status Unzip(std::string_view zip, const std::string& dir);

// "NAME", "arn:aws:lambda:REGION:ACCOUNT:function:NAME" or either with a
// ":QUALIFIER" -> NAME; kInvalidArgument for anything else.
Result<std::string> FunctionNameOf(std::string_view name_or_arn);

// What CreateFunction / `plumbline functions create` asks for.
struct FunctionSpec {
  std::string name;
  std::string runtime;   // python3.x; "provided..." or "executable"; "http"
  std::string handler;   // module.function; the program; the URL
  int64_t timeout_s = 3;
  int64_t memory_mb = 128;
  std::string environment_json = "{}";
  std::string description;
  std::string role;
  // The code: a zip archive's bytes, or a folder copied in. Neither for http.
  std::optional<std::string> zip;
  std::optional<std::string> folder;
};

// What UpdateFunctionConfiguration / `plumbline functions update-config`
// changes: only the fields given.
struct ConfigUpdate {
  std::optional<std::string> handler;
  std::optional<int64_t> timeout_s;
  std::optional<int64_t> memory_mb;
  std::optional<std::string> environment_json;  // the whole variable map
  std::optional<std::string> description;
  std::optional<std::string> role;
};

// The registry: functions in the store, their code in folders under
// `functions_dir` (NAME/REVISION-ID), their logs beside (NAME/log).
class Registry {
 public:
  Registry(store::Store& store, std::string functions_dir, std::string account_id,
           Runner& runner, const Clock& clock);

  // kAlreadyExists, kInvalidArgument naming the field at fault.
  Result<store::Function> Create(const FunctionSpec& spec, const std::string& region);
  // New code (zip or folder); kNotFound.
  Result<store::Function> UpdateCode(const std::string& name_or_arn,
                                     const std::optional<std::string>& zip,
                                     const std::optional<std::string>& folder);
  // New settings, taking effect with the next invocation (warm workers of
  // the old settings are stopped). kNotFound, kInvalidArgument naming the
  // field at fault (as Create checks it).
  Result<store::Function> UpdateConfiguration(const std::string& name_or_arn,
                                              const ConfigUpdate& update);
  Result<store::Function> Get(const std::string& name_or_arn);  // kNotFound
  Result<std::vector<store::Function>> List();
  Status Delete(const std::string& name_or_arn);  // kNotFound
  // Invokes the function named by name or ARN; kNotFound when it is not
  // registered.
  Result<std::vector<Invocation>> InvokeBatch(const std::string& name_or_arn,
                                              const std::vector<std::string>& events,
                                              const RunContext& context);
  Result<Invocation> Invoke(const std::string& name_or_arn, const std::string& event,
                            const RunContext& context);
  std::string LogPath(const std::string& name) const;
  // The last `max_bytes` of the function's log; kNotFound for an unknown function.
  Result<std::string> Logs(const std::string& name_or_arn, size_t max_bytes = 1 << 20);
  // Stops warm workers of functions deleted or changed since they started
  // (by this process or another one sharing the store), idle ones whose
  // credentials are about to expire and pools unused for a while
  // (Runner::Trim). The labeling runner calls it every few seconds.
  Status SweepWarmWorkers();

 private:
  Result<store::Function> Install(store::Function fn, const std::optional<std::string>& zip,
                                  const std::optional<std::string>& folder);
  store::Store& store_;
  std::string dir_;
  std::string account_;
  Runner& runner_;
  const Clock& clock_;
};

}  // namespace plumbline::functions
