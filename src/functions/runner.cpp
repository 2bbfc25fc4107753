// The function runner: warm python workers, executables and HTTP endpoints.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "functions/detail/bootstrap.hpp"
#include "functions/detail/http_invoke.hpp"
#include "functions/functions.hpp"
#include "functions/process.hpp"

extern char** environ;

namespace plumbline::functions {

using detail::Child;
using detail::Deadline;
using detail::ReadEnd;

std::string Invocation::Message() const {
  if (ok) return "";
  auto v = json::Parse(payload);
  if (v && v->is_object())
    if (auto m = json::GetString(v->get_object(), "errorMessage")) return *m;
  return payload;
}

namespace {

using Clock = std::chrono::steady_clock;

Invocation Failure(std::string type, const std::string& message, std::string request_id) {
  boost::json::object e;
  e["errorMessage"] = message;
  e["errorType"] = type;
  Invocation inv;
  inv.ok = false;
  inv.payload = json::Serialize(e);
  inv.error_type = std::move(type);
  inv.request_id = std::move(request_id);
  return inv;
}

// A function's log, opened for appending (every worker writes to it).
int OpenLog(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

void AppendLog(const std::string& path, const std::string& line) {
  int fd = OpenLog(path);
  if (fd < 0) return;
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

// The environment a function's processes start with: nothing of the
// server's own (its credentials stay out), Lambda's variables, the
// function's settings, and no shared AWS config files to fall back on.
std::vector<std::string> BaseEnv(const store::Function& fn, const std::string& region,
                                 const std::map<std::string, std::string>* run_env) {
  std::map<std::string, std::string> env;
  const char* path = std::getenv("PATH");
  env["PATH"] = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (const char* keep : {"HOME", "LANG", "TZ", "PYENV_ROOT", "PYENV_VERSION"})
    if (const char* v = std::getenv(keep)) env[keep] = v;
  env["PYTHONUNBUFFERED"] = "1";
  env["PYTHONDONTWRITEBYTECODE"] = "1";
  env["LAMBDA_TASK_ROOT"] = fn.code_dir;
  env["_HANDLER"] = fn.handler;
  env["AWS_LAMBDA_FUNCTION_NAME"] = fn.name;
  env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
  env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(fn.memory_mb);
  env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = std::to_string(fn.timeout_s);
  env["AWS_REGION"] = region;
  env["AWS_DEFAULT_REGION"] = region;
  env["AWS_CONFIG_FILE"] = "/dev/null";
  env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  if (auto v = json::Parse(fn.environment_json); v && v->is_object())
    for (const auto& [k, val] : v->get_object())
      if (val.is_string()) env[std::string(k)] = std::string(val.get_string());
  if (run_env)
    for (const auto& [k, v] : *run_env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::string RegionOfArn(const std::string& arn, const std::string& fallback) {
  // arn:aws:lambda:REGION:...
  size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
  if (a == std::string::npos) return fallback;
  size_t b = arn.find(':', a + 1);
  if (b == std::string::npos || b == a + 1) return fallback;
  return arn.substr(a + 1, b - a - 1);
}

}  // namespace

// ------------------------------------------------------------ python pools

struct Runner::Impl {
  RunnerOptions options;

  struct Worker {
    Child child;
    int64_t expires_ms = 0;  // its start credentials' expiry (Unix ms), 0: none
    Clock::time_point idle_since{};
  };
  // The warm workers of one function for one scope.
  struct Pool {
    std::string name;
    int64_t revision = 0;
    int64_t timeout_ms = 0;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::unique_ptr<Worker>> idle;  // most recently used last
    int total = 0;
    bool retired = false;
    std::atomic<int64_t> last_used{0};  // steady clock, ms
  };
  using PoolKey = std::pair<std::string, std::string>;  // function name, scope
  std::mutex pools_mu;
  std::map<PoolKey, std::shared_ptr<Pool>> pools;
  std::atomic<int> warm{0};

  static int64_t SteadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               Clock::now().time_since_epoch()).count();
  }
  static int64_t WallMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  }

  std::shared_ptr<Pool> PoolOf(const store::Function& fn, const std::string& scope) {
    std::lock_guard<std::mutex> lock(pools_mu);
    auto& p = pools[{fn.name, scope}];
    if (p && p->revision != fn.revision) {
      Retire(p);
      p.reset();
    }
    if (!p) {
      p = std::make_shared<Pool>();
      p->name = fn.name;
      p->revision = fn.revision;
      p->timeout_ms = fn.timeout_s * 1000;
    }
    p->last_used = SteadyMs();
    return p;
  }

  void Retire(const std::shared_ptr<Pool>& p) {
    std::vector<std::unique_ptr<Worker>> idle;
    {
      std::lock_guard<std::mutex> lock(p->mu);
      p->retired = true;
      idle.swap(p->idle);
      p->total -= static_cast<int>(idle.size());
    }
    for (auto& w : idle) Kill(*w);
  }

  void Kill(Worker& w) {
    detail::KillAndReap(w.child);
    --warm;
  }

  // True when the worker's start credentials expire before it could finish
  // another event with a margin to spare.
  bool Expiring(const Worker& w, int64_t timeout_ms) const {
    return w.expires_ms != 0 &&
           WallMs() + options.refresh_before_ms + timeout_ms >= w.expires_ms;
  }

  // Below max_warm_python before a worker starts: stops the least recently
  // used idle worker of another pool while the count is at the bound.
  void MakeRoom(const Pool& self) {
    while (warm.load() >= options.max_warm_python) {
      std::shared_ptr<Pool> victim;
      Clock::time_point oldest = Clock::time_point::max();
      {
        std::lock_guard<std::mutex> lock(pools_mu);
        for (auto& [key, p] : pools) {
          if (p.get() == &self) continue;
          std::lock_guard<std::mutex> plock(p->mu);
          if (!p->idle.empty() && p->idle.front()->idle_since < oldest) {
            oldest = p->idle.front()->idle_since;
            victim = p;
          }
        }
      }
      if (!victim) return;  // every other worker is busy
      std::unique_ptr<Worker> w;
      {
        std::lock_guard<std::mutex> lock(victim->mu);
        if (victim->idle.empty()) continue;  // taken meanwhile: look again
        w = std::move(victim->idle.front());
        victim->idle.erase(victim->idle.begin());
        --victim->total;
      }
      victim->cv.notify_one();
      Kill(*w);
    }
  }

  Result<std::unique_ptr<Worker>> Acquire(Pool& p, const store::Function& fn,
                                          const RunContext& context, int log_fd) {
    std::vector<std::unique_ptr<Worker>> expiring;
    std::unique_ptr<Worker> found;
    {
      std::unique_lock<std::mutex> lock(p.mu);
      p.cv.wait(lock, [&] { return !p.idle.empty() || p.total < options.python_workers; });
      while (!p.idle.empty() && !found) {
        auto w = std::move(p.idle.back());
        p.idle.pop_back();
        if (Expiring(*w, p.timeout_ms)) {
          expiring.push_back(std::move(w));  // replaced by one with fresh credentials
        } else {
          found = std::move(w);
        }
      }
      p.total -= static_cast<int>(expiring.size());
      if (!found) ++p.total;
    }
    for (auto& w : expiring) Kill(*w);
    if (found) return found;
    MakeRoom(p);
    std::string region = RegionOfArn(fn.arn, options.region);
    std::vector<std::string> argv = {options.python, "-u",        "-c",
                                     detail::kPythonBootstrap, fn.code_dir, fn.handler,
                                     fn.name,        std::to_string(fn.memory_mb), fn.arn};
    // The function's MemorySize bounds the worker's memory; its CPU time
    // is bounded per event by the bootstrap (the worker is warm).
    detail::Limits limits;
    limits.memory_bytes = static_cast<uint64_t>(fn.memory_mb) << 20;
    // A scoped worker starts with the run's credentials in its environment.
    const bool scoped = !context.scope.empty();
    auto child = detail::Spawn(argv, BaseEnv(fn, region, scoped ? &context.env : nullptr),
                               fn.code_dir, log_fd, 3, limits);
    if (!child) {
      std::lock_guard<std::mutex> lock(p.mu);
      --p.total;
      p.cv.notify_one();
      return child.error();
    }
    ++warm;
    auto w = std::make_unique<Worker>();
    w->child = std::move(*child);
    w->expires_ms = scoped ? context.expires_ms : 0;
    // The bootstrap says when it has imported the handler (Lambda's init
    // phase, here with a minute to finish).
    std::string ready;
    ReadEnd r = detail::ReadMessage(w->child, &ready, Clock::now() + std::chrono::seconds(60));
    if (r != ReadEnd::kOk || ready.find("\"ready\"") == std::string::npos) {
      std::string how = detail::KillAndReap(w->child);
      --warm;
      std::lock_guard<std::mutex> lock(p.mu);
      --p.total;
      p.cv.notify_one();
      return Unavailable("the python worker did not start (" + how + "); see the function's log");
    }
    return w;
  }

  void Release(Pool& p, std::unique_ptr<Worker> w, bool healthy) {
    bool keep = false;
    {
      std::lock_guard<std::mutex> lock(p.mu);
      keep = healthy && !p.retired;
      if (keep) {
        w->idle_since = Clock::now();
        p.idle.push_back(std::move(w));
      } else {
        --p.total;
      }
    }
    p.cv.notify_one();
    if (!keep && w) Kill(*w);
  }

  // One message of events to one python worker; fills results[first..].
  void RunPythonChunk(const store::Function& fn, Pool& pool, const std::vector<std::string>& events,
                      size_t first, size_t count, const RunContext& context, int log_fd,
                      std::vector<Invocation>& results) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < count; ++i) ids.push_back(RandomUuid());
    auto fail_rest = [&](size_t from, const std::string& type, const std::string& why) {
      for (size_t i = from; i < count; ++i)
        if (results[first + i].request_id.empty())
          results[first + i] = Failure(type, why, ids[i]);
    };
    auto worker = Acquire(pool, fn, context, log_fd);
    if (!worker) {
      fail_rest(0, "Unavailable",
                "cannot start a python worker for " + fn.name + ": " + worker.error().message);
      return;
    }
    std::string msg = "{\"timeout_ms\":" + std::to_string(fn.timeout_s * 1000) + ",\"env\":{";
    bool firstkv = true;
    for (const auto& [k, v] : context.env) {
      if (!firstkv) msg += ',';
      firstkv = false;
      json::AppendQuoted(k, &msg);
      msg += ':';
      json::AppendQuoted(v, &msg);
    }
    msg += "},\"calls\":[";
    for (size_t i = 0; i < count; ++i) {
      if (i) msg += ',';
      msg += "{\"id\":\"" + ids[i] + "\",\"event\":";
      msg += events[first + i];
      msg += '}';
    }
    msg += "]}";
    std::string framed = std::to_string(msg.size()) + "\n" + msg;
    // A live handler answers each event within its timeout; the worker is
    // given a second more before it is killed (it enforces the timeout
    // itself, which fails when the handler blocks signals or sits in C code).
    const auto per_call = std::chrono::milliseconds(fn.timeout_s * 1000 + 1000);
    Worker& w = **worker;
    if (auto s = detail::WriteAll(w.child, framed, Clock::now() + per_call); !s) {
      std::string how = detail::KillAndReap(w.child);
      fail_rest(0, "Crashed", "the python worker of " + fn.name + " " + how);
      Release(pool, std::move(*worker), false);
      return;
    }
    std::map<std::string, size_t> by_id;
    for (size_t i = 0; i < count; ++i) by_id[ids[i]] = i;
    size_t answered = 0;
    bool healthy = true;
    while (answered < count) {
      std::string reply;
      ReadEnd r = detail::ReadMessage(w.child, &reply, Clock::now() + per_call);
      if (r != ReadEnd::kOk) {
        healthy = false;
        std::string how = detail::KillAndReap(w.child);
        // The first unanswered call is the one that was running.
        size_t running = count;
        for (size_t i = 0; i < count; ++i)
          if (results[first + i].request_id.empty()) {
            running = i;
            break;
          }
        if (running < count) {
          results[first + running] =
              r == ReadEnd::kTimeout
                  ? Failure("Timeout",
                            "Task timed out after " + std::to_string(fn.timeout_s) +
                                ".00 seconds (the worker was killed)",
                            ids[running])
                  : Failure("Crashed", "the python worker of " + fn.name + " " + how, ids[running]);
        }
        fail_rest(0, "Crashed",
                  "not run: the python worker of " + fn.name + " stopped before it (" + how + ")");
        break;
      }
      auto v = json::Parse(reply);
      const boost::json::object* o = v && v->is_object() ? &v->get_object() : nullptr;
      auto id = o ? json::GetString(*o, "id") : std::nullopt;
      auto it = id ? by_id.find(*id) : by_id.end();
      if (it == by_id.end()) {
        healthy = false;  // a confused worker is not reused
        detail::KillAndReap(w.child);
        fail_rest(0, "Crashed", "the python worker of " + fn.name + " answered out of turn");
        break;
      }
      Invocation& inv = results[first + it->second];
      inv.request_id = *id;
      if (const auto* res = o->if_contains("result")) {
        inv.ok = true;
        inv.payload = json::Serialize(*res);
      } else {
        inv.ok = false;
        const auto* err = o->if_contains("error");
        inv.payload = err ? json::Serialize(*err) : "{}";
        auto type = err && err->is_object() ? json::GetString(err->get_object(), "errorType")
                                            : std::nullopt;
        inv.error_type = type && *type == "Timeout"                ? "Timeout"
                         : type && *type == "Runtime.OutOfMemory" ? "OutOfMemory"
                                                                   : "Unhandled";
        // A worker that exited or ran out of memory is replaced.
        if (type && (*type == "Runtime.ExitError" || *type == "Runtime.OutOfMemory"))
          healthy = false;
      }
      ++answered;
    }
    Release(pool, std::move(*worker), healthy);
  }

  // ------------------------------------------------------------ executables
  Invocation RunExecutable(const store::Function& fn, const std::string& event,
                           const RunContext& context, int log_fd) {
    std::string request_id = RandomUuid();
    std::string program = fn.handler;
    if (!program.empty() && program[0] != '/') program = fn.code_dir + "/" + program;
    std::map<std::string, std::string> env = context.env;
    env["AWS_LAMBDA_REQUEST_ID"] = request_id;
    detail::Limits limits;
    limits.memory_bytes = static_cast<uint64_t>(fn.memory_mb) << 20;
    limits.cpu_seconds = static_cast<uint64_t>(fn.timeout_s);
    auto child = detail::Spawn({program}, BaseEnv(fn, RegionOfArn(fn.arn, options.region), &env),
                               fn.code_dir, log_fd, 1, limits);
    if (!child)
      return Failure("Unavailable", "cannot start " + fn.handler + ": " + child.error().message,
                     request_id);
    Deadline deadline = Clock::now() + std::chrono::seconds(fn.timeout_s);
    Child& c = *child;
    (void)detail::WriteAll(c, event, deadline);  // a program may ignore its input
    ::close(c.in);
    c.in = -1;
    std::string out;
    ReadEnd r = detail::ReadToEnd(c, &out, 64u << 20, deadline);
    if (r == ReadEnd::kTimeout) {
      detail::KillAndReap(c);
      return Failure("Timeout",
                     "Task timed out after " + std::to_string(fn.timeout_s) + ".00 seconds",
                     request_id);
    }
    if (r != ReadEnd::kOk) {
      std::string how = detail::KillAndReap(c);
      return Failure("BadResponse", fn.name + " wrote more than 64 MiB or its output failed (" +
                                        how + ")",
                     request_id);
    }
    std::string how;
    int status = detail::Wait(c, deadline + std::chrono::seconds(1), &how);
    if (status != 0)
      return Failure(status < 0 ? "Crashed" : "Unhandled",
                     fn.name + " " + how + " (limits: MemorySize " + std::to_string(fn.memory_mb) +
                         " MB, " + std::to_string(fn.timeout_s) + " s of CPU)",
                     request_id);
    auto v = json::Parse(out);
    if (!v) {
      std::string head = out.substr(0, 200);
      return Failure("BadResponse",
                     fn.name + " did not answer JSON on stdout (" + v.error().message +
                         "); it wrote: " + head,
                     request_id);
    }
    Invocation inv;
    inv.ok = true;
    inv.payload = json::Serialize(*v);
    inv.request_id = request_id;
    return inv;
  }

  Invocation RunHttp(const store::Function& fn, const std::string& event,
                     const RunContext& context) {
    std::string request_id = RandomUuid();
    auto answer = detail::HttpInvoke(fn.handler, event, request_id, context.env,
                                     std::chrono::seconds(fn.timeout_s) + std::chrono::seconds(1));
    if (!answer) {
      bool timeout = answer.error().code == ErrorCode::kUnavailable &&
                     answer.error().message.find("timed out") != std::string::npos;
      return Failure(timeout ? "Timeout" : "Unavailable",
                     fn.name + " (" + fn.handler + "): " + answer.error().message, request_id);
    }
    if (answer->status / 100 != 2)
      return Failure("Unavailable",
                     fn.name + " answered HTTP " + std::to_string(answer->status) + ": " +
                         answer->body.substr(0, 300),
                     request_id);
    auto v = json::Parse(answer->body);
    if (!v)
      return Failure("BadResponse",
                     fn.name + " did not answer JSON (" + v.error().message + ")", request_id);
    Invocation inv;
    inv.request_id = request_id;
    inv.payload = json::Serialize(*v);
    inv.ok = answer->function_error.empty();
    if (!inv.ok) inv.error_type = "Unhandled";
    return inv;
  }

  // Runs `job(i)` for i in [0, n) on up to `parallel` threads.
  template <class F>
  static void Parallel(size_t n, int parallel, F job) {
    if (n == 0) return;
    size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, parallel)));
    if (threads == 1) {
      for (size_t i = 0; i < n; ++i) job(i);
      return;
    }
    std::atomic<size_t> next{0};
    std::vector<std::thread> team;
    for (size_t t = 0; t < threads; ++t)
      team.emplace_back([&] {
        for (size_t i; (i = next++) < n;) job(i);
      });
    for (auto& t : team) t.join();
  }
};

Runner::Runner(RunnerOptions options) : impl_(std::make_unique<Impl>()) {
  // A worker that dies while we write to it must be an error, not the end
  // of the server: writes to its pipe then fail with EPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  impl_->options = std::move(options);
}

Runner::~Runner() {
  std::map<Impl::PoolKey, std::shared_ptr<Impl::Pool>> pools;
  {
    std::lock_guard<std::mutex> lock(impl_->pools_mu);
    pools.swap(impl_->pools);
  }
  for (auto& [key, p] : pools) impl_->Retire(p);
}

void Runner::Forget(const std::string& name) {
  std::vector<std::shared_ptr<Impl::Pool>> gone;
  {
    std::lock_guard<std::mutex> lock(impl_->pools_mu);
    // Every scope's pool of the function: the keys sort by name first.
    auto it = impl_->pools.lower_bound({name, ""});
    while (it != impl_->pools.end() && it->first.first == name) {
      gone.push_back(it->second);
      it = impl_->pools.erase(it);
    }
  }
  for (auto& p : gone) impl_->Retire(p);
}

void Runner::Retain(const std::vector<store::Function>& current) {
  std::map<std::string, int64_t> revision;
  for (const auto& f : current) revision[f.name] = f.revision;
  std::vector<std::shared_ptr<Impl::Pool>> gone;
  {
    std::lock_guard<std::mutex> lock(impl_->pools_mu);
    for (auto it = impl_->pools.begin(); it != impl_->pools.end();) {
      auto r = revision.find(it->first.first);
      if (r == revision.end() || r->second != it->second->revision) {
        gone.push_back(it->second);
        it = impl_->pools.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& p : gone) impl_->Retire(p);
}

void Runner::Trim() {
  const int64_t now = Impl::SteadyMs();
  std::vector<std::shared_ptr<Impl::Pool>> gone;
  std::vector<std::unique_ptr<Impl::Worker>> expiring;
  {
    std::lock_guard<std::mutex> lock(impl_->pools_mu);
    for (auto it = impl_->pools.begin(); it != impl_->pools.end();) {
      auto& p = it->second;
      std::lock_guard<std::mutex> plock(p->mu);
      // Unused for a while and nothing running: the whole pool goes (a
      // pool taken again meanwhile is in use, so it stays).
      if (now - p->last_used.load() > impl_->options.idle_retire_ms &&
          p->total == static_cast<int>(p->idle.size())) {
        gone.push_back(p);
        it = impl_->pools.erase(it);
        continue;
      }
      for (auto w = p->idle.begin(); w != p->idle.end();) {
        if (impl_->Expiring(**w, p->timeout_ms)) {
          expiring.push_back(std::move(*w));
          w = p->idle.erase(w);
          --p->total;
        } else {
          ++w;
        }
      }
      p->cv.notify_all();
      ++it;
    }
  }
  for (auto& w : expiring) impl_->Kill(*w);
  for (auto& p : gone) impl_->Retire(p);
}

int Runner::WarmWorkers() { return impl_->warm.load(); }

std::vector<Invocation> Runner::InvokeBatch(const store::Function& fn,
                                            const std::vector<std::string>& events,
                                            const RunContext& context,
                                            const std::string& log_path) {
  std::vector<Invocation> results(events.size());
  if (events.empty()) return results;
  int log_fd = OpenLog(log_path);
  if (fn.kind == "python") {
    auto pool = impl_->PoolOf(fn, context.scope);
    // Enough messages to keep every worker busy, none longer than the chunk.
    size_t workers = static_cast<size_t>(std::max(1, impl_->options.python_workers));
    size_t limit = static_cast<size_t>(std::max(1, impl_->options.python_chunk));
    if (context.max_chunk > 0) limit = std::min(limit, context.max_chunk);
    size_t chunk = std::max<size_t>(1, std::min(limit, (events.size() + workers - 1) / workers));
    size_t chunks = (events.size() + chunk - 1) / chunk;
    Impl::Parallel(chunks, impl_->options.python_workers, [&](size_t k) {
      size_t first = k * chunk;
      size_t count = std::min(chunk, events.size() - first);
      impl_->RunPythonChunk(fn, *pool, events, first, count, context, log_fd, results);
    });
  } else if (fn.kind == "executable" || fn.kind == "http") {
    Impl::Parallel(events.size(), impl_->options.exec_parallel, [&](size_t i) {
      if (fn.kind == "http") {
        results[i] = impl_->RunHttp(fn, events[i], context);
        AppendLog(log_path, "REPORT RequestId: " + results[i].request_id + " " +
                                (results[i].ok ? "ok" : results[i].error_type + ": " +
                                                            results[i].Message()) +
                                "\n");
      } else {
        results[i] = impl_->RunExecutable(fn, events[i], context, log_fd);
        if (!results[i].ok)
          AppendLog(log_path, "[ERROR] RequestId: " + results[i].request_id + " " +
                                  results[i].error_type + ": " + results[i].Message() + "\n");
      }
    });
  } else {
    for (auto& r : results)
      r = Failure("Unavailable", "function " + fn.name + " has an unknown kind '" + fn.kind + "'",
                  RandomUuid());
  }
  ::close(log_fd);
  return results;
}

Invocation Runner::Invoke(const store::Function& fn, const std::string& event,
                          const RunContext& context, const std::string& log_path) {
  return std::move(InvokeBatch(fn, {event}, context, log_path)[0]);
}

}  // namespace plumbline::functions
