#include "functions/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace plumbline::functions::detail {
namespace {

int MsUntil(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string Describe(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended";
}

// Reads what is available into c.buffered; kOk when something was read.
ReadEnd Fill(Child& c, Deadline deadline) {
  for (;;) {
    pollfd p{c.out, POLLIN, 0};
    int rc = ::poll(&p, 1, MsUntil(deadline));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return ReadEnd::kError;
    }
    if (rc == 0) return ReadEnd::kTimeout;
    char buf[65536];
    ssize_t n = ::read(c.out, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ReadEnd::kError;
    }
    if (n == 0) return ReadEnd::kEof;
    c.buffered.append(buf, static_cast<size_t>(n));
    return ReadEnd::kOk;
  }
}

}  // namespace

Result<Child> Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& cwd, int log_fd, int answer_fd, const Limits& limits) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Unavailable(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is made before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::string path_var;
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
  // The program: a path as given, else the first match in PATH.
  std::vector<std::string> candidates;
  if (argv[0].find('/') != std::string::npos) {
    candidates.push_back(argv[0]);
  } else {
    size_t start = 0;
    while (start <= path_var.size()) {
      size_t end = path_var.find(':', start);
      if (end == std::string::npos) end = path_var.size();
      if (end > start) candidates.push_back(path_var.substr(start, end - start) + "/" + argv[0]);
      start = end + 1;
    }
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(in[0]);
    ::close(in[1]);
    ::close(out[0]);
    ::close(out[1]);
    return Unavailable(std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // Move the ends the child keeps above the targets first, so that the
    // dup2s below never overwrite one another.
    int rin = ::fcntl(in[0], F_DUPFD_CLOEXEC, 10);
    int rout = ::fcntl(out[1], F_DUPFD_CLOEXEC, 10);
    int rlog = ::fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
    if (rin < 0 || rout < 0 || rlog < 0) ::_exit(126);
    ::dup2(rin, 0);
    ::dup2(answer_fd == 1 ? rout : rlog, 1);
    ::dup2(rlog, 2);
    if (answer_fd != 1) ::dup2(rout, answer_fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    if (limits.memory_bytes > 0) {
      rlimit r{limits.memory_bytes, limits.memory_bytes};
      if (::setrlimit(RLIMIT_DATA, &r) != 0) ::_exit(126);
    }
    if (limits.cpu_seconds > 0) {
      rlimit r{limits.cpu_seconds, limits.cpu_seconds + 1};
      if (::setrlimit(RLIMIT_CPU, &r) != 0) ::_exit(126);
    }
    for (const auto& c : candidates) ::execve(c.c_str(), args.data(), envp.data());
    const char msg[] = "plumbline: cannot start the function's program\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with a kill right after fork
  ::close(in[0]);
  ::close(out[1]);
  Child c;
  c.pid = pid;
  c.in = in[1];
  c.out = out[0];
  return c;
}

Status WriteAll(Child& c, std::string_view data, Deadline deadline) {
  size_t off = 0;
  while (off < data.size()) {
    pollfd p{c.in, POLLOUT, 0};
    int rc = ::poll(&p, 1, MsUntil(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return Unavailable("the function did not read its input in time");
    // SIGPIPE is ignored (Runner's constructor): a closed pipe is EPIPE.
    ssize_t n = ::write(c.in, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Unavailable(std::string("writing to the function failed: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

ReadEnd ReadMessage(Child& c, std::string* message, Deadline deadline) {
  for (;;) {
    size_t nl = c.buffered.find('\n');
    if (nl != std::string::npos) {
      size_t len = 0;
      for (size_t i = 0; i < nl; ++i) {
        char ch = c.buffered[i];
        if (ch < '0' || ch > '9') return ReadEnd::kError;
        len = len * 10 + static_cast<size_t>(ch - '0');
      }
      if (c.buffered.size() >= nl + 1 + len) {
        *message = c.buffered.substr(nl + 1, len);
        c.buffered.erase(0, nl + 1 + len);
        return ReadEnd::kOk;
      }
    }
    ReadEnd r = Fill(c, deadline);
    if (r != ReadEnd::kOk) return r;
  }
}

ReadEnd ReadToEnd(Child& c, std::string* out, size_t limit, Deadline deadline) {
  for (;;) {
    ReadEnd r = Fill(c, deadline);
    if (c.buffered.size() > limit) return ReadEnd::kError;
    if (r == ReadEnd::kEof) {
      *out = std::move(c.buffered);
      c.buffered.clear();
      return ReadEnd::kOk;
    }
    if (r != ReadEnd::kOk) return r;
  }
}

std::string KillAndReap(Child& c) {
  if (c.pid <= 0) return "not running";
  ::kill(-c.pid, SIGKILL);
  ::kill(c.pid, SIGKILL);
  CloseFd(c.in);
  CloseFd(c.out);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  c.pid = -1;
  return Describe(status);
}

int Wait(Child& c, Deadline deadline, std::string* how) {
  CloseFd(c.in);
  CloseFd(c.out);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(c.pid, &status, WNOHANG);
    if (r == c.pid) break;
    if (r < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-c.pid, SIGKILL);
      ::kill(c.pid, SIGKILL);
      while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(-c.pid, SIGKILL);  // whatever it left behind in its group
  c.pid = -1;
  *how = Describe(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace plumbline::functions::detail
