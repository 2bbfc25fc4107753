// Load benchmark against a running `plumbline serve`: 64 (or --workers)
// concurrent workers each sign in, then claim + submit in a loop for
// --seconds, twice: as two requests (claim, then submit) and as the portal
// does it (a submit with "next" that also claims the next task, one request);
// prints round trips per second with p50/p99 latency and where the CPU went
// (server, this client, the whole machine). Right before each flow it
// measures two references: the server's own GET /healthz rate with the same
// concurrency (before that flow's workers start) and the raw rate of
// single-row SQLite commits at the server's durability (WAL,
// synchronous=FULL) in --scratch.
//
// Usage: load_bench --url http://127.0.0.1:PORT --job NAME --user-prefix w
//                   --password-suffix -password [--workers 64] [--seconds 10]
//                   [--rounds 1] [--scratch DIR] [--server-pid PID] [--db-pid PID]
// Several servers (replicas sharing one database): --url and --server-pid
// take comma-separated lists; worker i talks to server i mod their count,
// and the server CPU is the sum over their processes. --db-pid PID (a
// PostgreSQL postmaster) adds the CPU of that process and every process
// under it (its backends, WAL writer, ...), and each flow prints the CPU
// milliseconds per round trip of the servers, the database and this client.
// With --rounds N it repeats the references and both flows N times and
// ends with the median ratios. --flow next runs only the portal's flow and
// --references 0 skips the references (what bench/functions/consolidation.sh
// uses to alternate two jobs in one server).
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Response {
  int status = 0;
  std::string headers;
  std::string body;
};

// A keep-alive HTTP/1.1 connection: just enough client for the benchmark.
class Conn {
 public:
  Conn(const std::string& host, int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("connect");
      std::exit(1);
    }
  }
  ~Conn() { ::close(fd_); }

  Response Do(const std::string& method, const std::string& path, const std::string& body,
              const std::string& extra_headers) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n" +
                      extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    size_t off = 0;
    while (off < req.size()) {
      ssize_t w = ::write(fd_, req.data() + off, req.size() - off);
      if (w <= 0) std::exit(2);
      off += static_cast<size_t>(w);
    }
    Response r;
    size_t header_end;
    while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) Fill();
    r.headers = buf_.substr(0, header_end);
    r.status = std::atoi(r.headers.c_str() + 9);
    size_t len = 0;
    auto p = r.headers.find("Content-Length: ");
    if (p == std::string::npos) p = r.headers.find("content-length: ");
    if (p != std::string::npos) len = std::strtoul(r.headers.c_str() + p + 16, nullptr, 10);
    while (buf_.size() < header_end + 4 + len) Fill();
    r.body = buf_.substr(header_end + 4, len);
    buf_.erase(0, header_end + 4 + len);
    return r;
  }

 private:
  void Fill() {
    char tmp[65536];
    ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n <= 0) std::exit(3);
    buf_.append(tmp, static_cast<size_t>(n));
  }
  int fd_;
  std::string buf_;
};

std::string JsonField(const std::string& body, const std::string& key) {
  auto p = body.find("\"" + key + "\":\"");
  if (p == std::string::npos) return "";
  p += key.size() + 4;
  return body.substr(p, body.find('"', p) - p);
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

double SqliteCommitsPerSecond(const std::string& dir) {
  std::string path = dir + "/commit-bench.db";
  ::unlink(path.c_str());
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(id INTEGER PRIMARY KEY, payload TEXT)", nullptr, nullptr, nullptr);
  sqlite3_stmt* s;
  sqlite3_prepare_v2(db, "INSERT INTO t(payload) VALUES('{\"crowd-classifier\":{\"label\":\"animal\"}}')", -1, &s, nullptr);
  auto start = Clock::now();
  int n = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < 3.0) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    ++n;
  }
  double rate = n / std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(s);
  sqlite3_close(db);
  ::unlink(path.c_str());
  return rate;
}

// CPU time (user + system, in clock ticks) of a process, or of the whole
// machine's busy time when pid is 0, from /proc.
struct CpuSample {
  double process = 0, machine_busy = 0, machine_total = 0;
};
CpuSample SampleCpu(const std::vector<long>& pids) {
  CpuSample c;
  for (long pid : pids) {
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    if (FILE* f = std::fopen(path.c_str(), "r")) {
      char buf[1024];
      size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      buf[n] = 0;
      std::fclose(f);
      // Fields after the ")" that closes the command name: state is field 3,
      // utime 14 and stime 15.
      const char* p = std::strrchr(buf, ')');
      unsigned long long utime = 0, stime = 0;
      if (p && std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) == 2)
        c.process += static_cast<double>(utime + stime);
    }
  }
  if (FILE* f = std::fopen("/proc/stat", "r")) {
    unsigned long long v[8] = {};
    if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
      for (auto x : v) c.machine_total += static_cast<double>(x);
      c.machine_busy = c.machine_total - static_cast<double>(v[3] + v[4]);  // minus idle and iowait
    }
    std::fclose(f);
  }
  return c;
}

// The process `root` and every process under it (children, their
// children, ...), from the parent PIDs in /proc/*/stat.
std::vector<long> ProcessTree(long root) {
  std::vector<std::pair<long, long>> parent_of;  // (pid, ppid)
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 0 || *end) continue;
      std::string path = std::string("/proc/") + e->d_name + "/stat";
      FILE* f = std::fopen(path.c_str(), "r");
      if (!f) continue;
      char buf[1024];
      size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      buf[n] = 0;
      std::fclose(f);
      const char* p = std::strrchr(buf, ')');
      long ppid = 0;
      if (p && std::sscanf(p + 2, "%*c %ld", &ppid) == 1) parent_of.emplace_back(pid, ppid);
    }
    ::closedir(d);
  }
  std::vector<long> tree{root};
  for (size_t i = 0; i < tree.size(); ++i)
    for (const auto& [pid, ppid] : parent_of)
      if (ppid == tree[i]) tree.push_back(pid);
  return tree;
}

struct Server {
  std::string host;
  int port = 0;
};

struct Target {
  std::vector<Server> servers;  // worker i talks to servers[i % size]
  std::string job, prefix, suffix;
  int workers = 64;
  std::vector<long> server_pids;
  long db_pid = 0;  // a PostgreSQL postmaster; 0: none measured
  const Server& For(int worker) const {
    return servers[static_cast<size_t>(worker) % servers.size()];
  }
};

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// GET /healthz from every worker's connection at once for `seconds`.
double HealthzPerSecond(const Target& t, double seconds) {
  std::vector<std::thread> threads;
  std::atomic<long> health{0};
  auto h0 = Clock::now();
  for (int w = 0; w < t.workers; ++w) {
    threads.emplace_back([&, w] {
      Conn c(t.For(w).host, t.For(w).port);
      while (std::chrono::duration<double>(Clock::now() - h0).count() < seconds) {
        if (c.Do("GET", "/healthz", "", "").status == 200) ++health;
      }
    });
  }
  for (auto& th : threads) th.join();
  return static_cast<double>(health) / std::chrono::duration<double>(Clock::now() - h0).count();
}

struct FlowResult {
  double rate = 0, p50 = 0, p99 = 0;
  size_t round_trips = 0;
  int failed = 0;
  double server_cpu = 0, client_cpu = 0, machine_busy = 0;  // % of one core; % of the machine
  double db_cpu = 0;                                         // % of one core (with --db-pid)
  // CPU milliseconds per round trip.
  double server_ms = 0, client_ms = 0, db_ms = 0;
};

// Claim + submit round trips for `seconds`: a claim request then a submit
// request, or (chained) the portal's flow, where a submit with "next"
// answers with the worker's next task, one request per round trip.
FlowResult RunFlow(const Target& t, bool chained, double seconds) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(t.workers));
  std::atomic<int> ready{0}, failed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < t.workers; ++w) {
    threads.emplace_back([&, w] {
      Conn c(t.For(w).host, t.For(w).port);
      std::string user = t.prefix + std::to_string(w);
      auto login = c.Do("POST", "/worker/api/login",
                        "{\"username\":\"" + user + "\",\"password\":\"" + user + t.suffix + "\"}", "");
      if (login.status != 200) {
        std::fprintf(stderr, "login %s: %d %s\n", user.c_str(), login.status, login.body.c_str());
        std::exit(4);
      }
      auto cs = login.headers.find("plb_session=");
      std::string cookie = login.headers.substr(cs, login.headers.find(';', cs) - cs);
      std::string hdr = "Cookie: " + cookie + "\r\nX-CSRF-Token: " + JsonField(login.body, "csrfToken") + "\r\n";
      const std::string answer = "{\"answer\":{\"crowd-classifier\":{\"label\":\"animal\"}}";
      ++ready;
      while (!go) std::this_thread::yield();
      auto start = Clock::now();
      std::string task;  // chained: the task the last submit handed out
      while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
        auto t0 = Clock::now();
        if (task.empty()) {
          auto claim = c.Do("POST", "/worker/api/jobs/" + t.job + "/claim", "", hdr);
          if (claim.status != 200) {
            if (failed++ == 0)
              std::fprintf(stderr, "claim answered %d: %s\n", claim.status,
                           claim.status == 204 ? "no task left: the job ran out before the run "
                                                 "ended (a bigger job: OBJECTS)"
                                               : claim.body.c_str());
            break;
          }
          task = JsonField(claim.body, "taskId");
        }
        auto sub = c.Do("POST", "/worker/api/tasks/" + task + "/submit",
                        answer + (chained ? ",\"next\":true}" : "}"), hdr);
        task.clear();
        if (sub.status != 200) {
          if (failed++ == 0)
            std::fprintf(stderr, "submit answered %d: %s\n", sub.status, sub.body.c_str());
        } else if (chained) {
          if (auto p = sub.body.find("\"next\":{"); p != std::string::npos)
            task = JsonField(sub.body.substr(p), "taskId");
        }
        // Chained, a round trip is one request (the first also claims).
        lat[static_cast<size_t>(w)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  while (ready < t.workers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto t0 = Clock::now();
  const std::vector<long> self{static_cast<long>(::getpid())};
  // The database's processes as of the start (its connections from the
  // servers are open by now: the workers have signed in).
  const std::vector<long> db = t.db_pid ? ProcessTree(t.db_pid) : std::vector<long>();
  CpuSample server0 = SampleCpu(t.server_pids), client0 = SampleCpu(self), db0 = SampleCpu(db);
  go = true;
  for (auto& th : threads) th.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  CpuSample server1 = SampleCpu(t.server_pids), client1 = SampleCpu(self), db1 = SampleCpu(db);
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  FlowResult r;
  r.round_trips = all.size();
  r.rate = static_cast<double>(all.size()) / elapsed;
  r.p50 = Percentile(all, 0.50);
  r.p99 = Percentile(all, 0.99);
  r.failed = failed.load();
  double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  r.server_cpu = 100 * (server1.process - server0.process) / ticks / elapsed;
  r.client_cpu = 100 * (client1.process - client0.process) / ticks / elapsed;
  r.machine_busy = 100 * (server1.machine_busy - server0.machine_busy) /
                   std::max(1.0, server1.machine_total - server0.machine_total);
  r.db_cpu = 100 * (db1.process - db0.process) / ticks / elapsed;
  const double per_trip = 1000 / ticks / std::max<double>(1, static_cast<double>(r.round_trips));
  r.server_ms = (server1.process - server0.process) * per_trip;
  r.client_ms = (client1.process - client0.process) * per_trip;
  r.db_ms = (db1.process - db0.process) * per_trip;
  return r;
}

double Median(std::vector<double> v) { return Percentile(v, 0.5); }

// Where the CPU went during a flow: % of one core per side, and CPU
// milliseconds per round trip of the servers, this client and (when
// measured) the database.
void PrintCpu(const char* mode, const FlowResult& r, bool with_db) {
  std::printf("%s: cpu: server=%.0f%% bench_client=%.0f%% machine_busy=%.0f%% of %ld cores\n", mode,
              r.server_cpu, r.client_cpu, r.machine_busy, ::sysconf(_SC_NPROCESSORS_ONLN));
  if (with_db)
    std::printf("%s: cpu_ms_per_round_trip: server=%.3f database=%.3f bench_client=%.3f "
                "total=%.3f (database=%.0f%% of one core)\n",
                mode, r.server_ms, r.db_ms, r.client_ms, r.server_ms + r.db_ms + r.client_ms,
                r.db_cpu);
  else
    std::printf("%s: cpu_ms_per_round_trip: server=%.3f bench_client=%.3f\n", mode, r.server_ms,
                r.client_ms);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Target t;
  std::string url, scratch = "/tmp";
  t.prefix = "w";
  t.suffix = "-password";
  double seconds = 10;
  int rounds = 1;
  std::string flow = "both";
  bool references = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") url = v;
    else if (k == "--job") t.job = v;
    else if (k == "--user-prefix") t.prefix = v;
    else if (k == "--password-suffix") t.suffix = v;
    else if (k == "--workers") t.workers = std::stoi(v);
    else if (k == "--seconds") seconds = std::stod(v);
    else if (k == "--rounds") rounds = std::max(1, std::stoi(v));
    else if (k == "--scratch") scratch = v;
    else if (k == "--server-pid")
      for (const auto& p : SplitCommas(v)) t.server_pids.push_back(std::stol(p));
    else if (k == "--db-pid") t.db_pid = std::stol(v);
    else if (k == "--flow") flow = v;
    else if (k == "--references") references = v != "0";
  }
  for (const auto& one : SplitCommas(url)) {
    std::string hostport = one.substr(one.find("://") + 3);
    t.servers.push_back({hostport.substr(0, hostport.find(':')),
                         std::stoi(hostport.substr(hostport.find(':') + 1))});
  }
  if (t.servers.empty()) {
    std::fprintf(stderr, "load_bench: --url is required\n");
    return 2;
  }

  // Each flow is measured right after its own references, so that a machine
  // whose speed drifts (a shared VM) moves both sides of the ratio together.
  int errors = 0;
  std::vector<double> ratios[2][2];  // [chained][vs commits, vs healthz requests]
  for (int round = 1; round <= rounds; ++round) {
    for (bool chained : {false, true}) {
      if (flow == "next" && !chained) continue;
      FlowResult r;
      double health_rate = 0, sqlite_rate = 0;
      if (references) {
        // 1. /healthz with the same concurrency; the runner has had a second
        // to catch up since the last flow.
        std::this_thread::sleep_for(std::chrono::seconds(1));
        health_rate = HealthzPerSecond(t, 3.0);
        // 2. Raw single-row SQLite commits at the same durability.
        sqlite_rate = SqliteCommitsPerSecond(scratch);
      }
      // 3. The flow.
      r = RunFlow(t, chained, seconds);
      errors += r.failed;
      // Requests per round trip: claim + submit, or one submit with "next".
      double requests = chained ? 1.0 : 2.0;
      const char* mode = chained ? "submit_with_next" : "claim_then_submit";
      std::printf("%s: round=%d servers=%zu workers=%d round_trips=%zu errors=%d claim_submit_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
                  mode, round, t.servers.size(), t.workers, r.round_trips, r.failed, r.rate, r.p50, r.p99);
      if (!references) {
        PrintCpu(mode, r, t.db_pid != 0);
        continue;
      }
      std::printf("%s: healthz_per_s=%.0f task_api_requests_per_s=%.0f task_api_vs_healthz=%.2f "
                  "round_trips_vs_healthz=%.2f\n",
                  mode, health_rate, requests * r.rate, requests * r.rate / health_rate, r.rate / health_rate);
      std::printf("%s: sqlite_single_row_commits_per_s=%.0f submits_vs_sqlite_commits=%.2f\n", mode,
                  sqlite_rate, r.rate / sqlite_rate);
      // Where the machine's CPU went during the run (100% is one core).
      PrintCpu(mode, r, t.db_pid != 0);
      ratios[chained][0].push_back(r.rate / sqlite_rate);
      ratios[chained][1].push_back(requests * r.rate / health_rate);
    }
  }
  if (!references) return errors == 0 ? 0 : 1;
  for (bool chained : {false, true})
    std::printf("summary: %s rounds=%d median submits_vs_sqlite_commits=%.2f median task_api_vs_healthz=%.2f\n",
                chained ? "submit_with_next" : "claim_then_submit", rounds,
                Median(ratios[chained][0]), Median(ratios[chained][1]));
  return errors == 0 ? 0 : 1;
}
