// Child processes of functions: spawning with a clean environment and the
// pipes the runtimes need, reading replies with a deadline, killing and
// reaping. Private to functions/.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace plumbline::functions::detail {

using Deadline = std::chrono::steady_clock::time_point;

struct Child {
  pid_t pid = -1;
  int in = -1;   // the child's stdin (we write)
  int out = -1;  // the child's answer channel (we read)
  std::string buffered;  // read from `out`, not yet consumed
};

// Resource limits of a function's process (setrlimit in the child, before
// exec). 0: no limit.
struct Limits {
  // RLIMIT_DATA: the process's private writable memory (heap, anonymous
  // maps, thread stacks; not its code or shared libraries), the function's
  // MemorySize. Allocations beyond it fail (Python: MemoryError).
  uint64_t memory_bytes = 0;
  // RLIMIT_CPU: seconds of CPU time (SIGXCPU at the soft limit, SIGKILL a
  // second later).
  uint64_t cpu_seconds = 0;
};

// Starts argv[0] (a path, or a name looked up in PATH) in `cwd` with exactly
// `env` ("NAME=value"), in a process group of its own, under `limits`. The
// child's stdin is a pipe (Child::in); its answers go to a pipe (Child::out)
// that is the child's fd `answer_fd` (1 or 3); what it prints goes to
// `log_fd` (stderr, and stdout when answer_fd is not 1).
Result<Child> Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& cwd, int log_fd, int answer_fd, const Limits& limits = {});

// Writes everything or fails (the child closed its end, or the deadline).
Status WriteAll(Child& c, std::string_view data, Deadline deadline);

enum class ReadEnd { kOk, kEof, kTimeout, kError };
// Reads one message "<length>\n<bytes>" from Child::out.
ReadEnd ReadMessage(Child& c, std::string* message, Deadline deadline);
// Reads until end of file (an executable's stdout), at most `limit` bytes.
ReadEnd ReadToEnd(Child& c, std::string* out, size_t limit, Deadline deadline);

// Kills the child's process group, closes its pipes and reaps it; returns
// how it ended ("exited with status N", "killed by signal N").
std::string KillAndReap(Child& c);
// Closes the pipes and waits for the child to exit by itself until the
// deadline (then kills it); returns its exit status, or -1 when it was
// killed or died of a signal, with `how` describing it.
int Wait(Child& c, Deadline deadline, std::string* how);

}  // namespace plumbline::functions::detail
