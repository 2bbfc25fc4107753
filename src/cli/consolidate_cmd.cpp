// `plumbline consolidate`: CSV in, consolidation::Consolidate, CSV out.
//
// The command is meant to cost little more than its EM (bench/consolidation
// times both against NumPy). answers_csv.cpp reads the input without
// per-field allocations; here the input file is mapped (or read once) and
// the output is built in one buffer with std::to_chars and written with one
// write(2).
#include "cli/consolidate_cmd.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <span>
#include <thread>

namespace plumbline::cli {
namespace {

// Whether `value` holds a byte that makes a CSV field quoted: ',', '"', CR
// or LF. Eight bytes at a time: a word has a byte equal to c when w ^ c*0x01..
// has a zero byte, which (x - 0x01..) & ~x & 0x80.. finds exactly.
bool NeedsQuoting(std::string_view value) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  auto has = [](uint64_t w, uint8_t c) {
    const uint64_t x = w ^ (kOnes * c);
    return ((x - kOnes) & ~x & kHighs) != 0;
  };
  const char* p = value.data();
  const size_t n = value.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (has(w, ',') | has(w, '"') | has(w, '\r') | has(w, '\n')) return true;
  }
  for (; i < n; ++i) {
    const char c = p[i];
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

char* AppendField(char* out, std::string_view value) {
  if (!NeedsQuoting(value)) {
    std::memcpy(out, value.data(), value.size());
    return out + value.size();
  }
  *out++ = '"';
  for (char c : value) {
    if (c == '"') *out++ = '"';
    *out++ = c;
  }
  *out++ = '"';
  return out;
}

// Appends `value` with `precision` decimals, the digits of printf's "%.*f"
// (the correctly rounded decimal of the double). Confidences are in [0, 1]:
// there value * 10^precision is computed with a relative error below 2^-53,
// so unless it lies within 1e-6 of a rounding tie (x.5) the integer nearest
// to it is the correctly rounded one; everything else goes to to_chars.
char* AppendFixed(char* out, double value, int precision) {
  static constexpr uint64_t kPow10[] = {1,      10,      100,      1000,      10000,
                                        100000, 1000000, 10000000, 100000000, 1000000000};
  if (precision <= 9) {
    const double scaled = value * static_cast<double>(kPow10[precision]);
    if (scaled >= 0.0 && scaled < 1e9) {
      const double whole = std::floor(scaled);
      const double fraction = scaled - whole;
      if (std::abs(fraction - 0.5) > 1e-6) {
        const uint64_t digits = static_cast<uint64_t>(whole) + (fraction > 0.5 ? 1 : 0);
        out = std::to_chars(out, out + 20, digits / kPow10[precision]).ptr;
        if (precision == 0) return out;
        *out++ = '.';
        uint64_t rest = digits % kPow10[precision];
        for (int i = precision - 1; i >= 0; --i) {
          out[i] = static_cast<char>('0' + rest % 10);
          rest /= 10;
        }
        return out + precision;
      }
    }
  }
  // Fixed notation of any double fits in 350 characters.
  return std::to_chars(out, out + 350, value, std::chars_format::fixed, precision).ptr;
}

// The output CSV in one or two uninitialised buffers (no zero fill of ~10
// MB): two when it was formatted on two threads, written with writev. Two
// blocks of half the size fit where the scan's and the EM's freed arrays
// were, where one block would have grown the heap by its whole size.
class LabelsCsv {
 public:
  // A buffer of `capacity` bytes for the next part; returns its start.
  char* NewPart(size_t capacity) {
    buffers_[num_parts_] = std::make_unique_for_overwrite<char[]>(capacity);
    parts_[num_parts_] = std::string_view(buffers_[num_parts_].get(), 0);
    return buffers_[num_parts_++].get();
  }
  // Part `part` (0 or 1) was written up to `end`.
  void EndPart(size_t part, const char* end) {
    const char* begin = buffers_[part].get();
    parts_[part] = std::string_view(begin, static_cast<size_t>(end - begin));
  }
  std::span<const std::string_view> parts() const { return {parts_, num_parts_}; }
  std::string text() const {
    std::string out;
    for (std::string_view part : parts()) out += part;
    return out;
  }

 private:
  std::unique_ptr<char[]> buffers_[2];
  std::string_view parts_[2];
  size_t num_parts_ = 0;
};

// Upper bound of the bytes of rows [begin, end): both names quoted with every
// byte doubled, and the number: a sign, 10 digits, the point and the
// decimals below 1e9, else the widest fixed-notation double (not a
// probability, but cheap to allow).
template <class Name>
size_t RowsCapacity(std::span<const Name> tasks, const consolidation::Consolidation& result,
                    size_t max_label, int precision, size_t begin, size_t end) {
  size_t capacity = 0;
  for (size_t i = begin; i < end; ++i) {
    const bool small = std::abs(result.tasks[i].confidence) < 1e9;
    capacity += 2 * tasks[i].size() + 2 + max_label + 3 + static_cast<size_t>(precision) +
                (small ? 12 : 350);
  }
  return capacity;
}

// `label_fields`: each label as its CSV field (quoted where it must be),
// made once instead of once a row.
template <class Name>
char* FormatRows(std::span<const Name> tasks, const std::vector<std::string>& label_fields,
                 const consolidation::Consolidation& result, int precision, size_t begin,
                 size_t end, char* p) {
  for (size_t i = begin; i < end; ++i) {
    const consolidation::TaskLabel& label = result.tasks[i];
    if (label.label < 0) continue;  // no answers: cannot come from a parsed table
    p = AppendField(p, std::string_view(tasks[i]));
    *p++ = ',';
    const std::string& field = label_fields[label.label];
    std::memcpy(p, field.data(), field.size());
    p += field.size();
    *p++ = ',';
    p = AppendFixed(p, label.confidence, precision);
    *p++ = '\n';
  }
  return p;
}

// Jobs with fewer tasks are formatted on one thread.
constexpr size_t kParallelFormatMin = 50000;

// `tasks`: the task ids (std::string or std::string_view). With threads >= 2
// and many tasks, the two halves of the rows are formatted at once into the
// two halves of one buffer.
template <class Name>
LabelsCsv WriteLabelsCsv(std::span<const Name> tasks, const std::vector<std::string>& labels,
                         const consolidation::Consolidation& result, int precision,
                         int threads = 1) {
  precision = std::clamp(precision, 0, 17);
  constexpr std::string_view kOutHeader = "task,label,confidence\n";
  const size_t rows = std::min(tasks.size(), result.tasks.size());
  size_t max_label = 0;
  std::vector<std::string> label_fields;
  for (const std::string& l : labels) {
    max_label = std::max(max_label, 2 * l.size() + 2);
    std::string field(2 * l.size() + 2, '\0');
    field.resize(static_cast<size_t>(AppendField(field.data(), l) - field.data()));
    label_fields.push_back(std::move(field));
  }
  LabelsCsv csv;
  if (threads < 2 || rows < kParallelFormatMin) {
    char* p = csv.NewPart(kOutHeader.size() +
                          RowsCapacity(tasks, result, max_label, precision, 0, rows));
    std::memcpy(p, kOutHeader.data(), kOutHeader.size());
    csv.EndPart(0, FormatRows(tasks, label_fields, result, precision, 0, rows,
                              p + kOutHeader.size()));
    return csv;
  }
  const size_t middle = rows / 2;
  size_t second_capacity = 0;
  std::thread helper([&] {
    second_capacity = RowsCapacity(tasks, result, max_label, precision, middle, rows);
  });
  const size_t first_capacity =
      kOutHeader.size() + RowsCapacity(tasks, result, max_label, precision, 0, middle);
  helper.join();
  // Both blocks are allocated on this thread: one allocated on the
  // formatter's would come from another malloc arena (fresh memory).
  char* first = csv.NewPart(first_capacity);
  char* second = csv.NewPart(second_capacity);
  char* second_end = nullptr;
  std::thread formatter([&] {
    second_end = FormatRows(tasks, label_fields, result, precision, middle, rows, second);
  });
  std::memcpy(first, kOutHeader.data(), kOutHeader.size());
  csv.EndPart(0, FormatRows(tasks, label_fields, result, precision, 0, middle,
                            first + kOutHeader.size()));
  formatter.join();
  csv.EndPart(1, second_end);
  return csv;
}

// ---------------------------------------------------------------------------
// Files: the input is mapped when it is a regular file, read otherwise.

class InputText {
 public:
  InputText() = default;
  InputText(const InputText&) = delete;
  InputText& operator=(const InputText&) = delete;
  ~InputText() {
    if (mapped_ != nullptr) munmap(mapped_, mapped_size_);
  }

  static Result<std::unique_ptr<InputText>> Open(const std::string& path) {
    auto input = std::make_unique<InputText>();
    int fd = 0;
    if (path != "-") {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return InvalidArgument("cannot open input file '" + path + "'");
    }
    struct stat st {};
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* m = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                     MAP_PRIVATE, fd, 0);
      if (m != MAP_FAILED) {
        input->mapped_ = m;
        input->mapped_size_ = static_cast<size_t>(st.st_size);
        if (fd != 0) ::close(fd);
        return input;
      }
    }
    char buffer[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n == 0) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (fd != 0) ::close(fd);
        return Unavailable("cannot read input file '" + path + "'");
      }
      input->read_.append(buffer, static_cast<size_t>(n));
    }
    if (fd != 0) ::close(fd);
    return input;
  }

  std::string_view text() const {
    if (mapped_ != nullptr) return {static_cast<const char*>(mapped_), mapped_size_};
    return read_;
  }

 private:
  void* mapped_ = nullptr;
  size_t mapped_size_ = 0;
  std::string read_;
};

// The command's arrays (answers, the EM's tables, the output) are large and
// each is touched soon after it is allocated, so page faults, one per 4 KiB,
// were about half of the command's time on our VMs. This grows the heap once
// by `bytes`, asks for transparent huge pages there (honoured where THP is
// "madvise" or "always") and keeps large blocks on that heap instead of an
// mmap each. Only for this one-shot command: it changes the process's malloc
// settings. (A low-priority thread that populated the heap ahead of use was
// tried: it competed with the scan and the EM, which keep both cores busy,
// and the command was 2 ms slower in median with it.)
void UseHugePageHeap(size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  if (bytes < 8 * kHuge) return;
  bytes = std::min<size_t>(bytes, size_t{1} << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);  // blocks below 1 GiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);  // freed blocks stay for the next ones
  void* block = std::malloc(bytes);    // grows the heap by about `bytes`
  if (block == nullptr) return;
  const uintptr_t low = (reinterpret_cast<uintptr_t>(block) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t high = reinterpret_cast<uintptr_t>(sbrk(0)) & ~(kHuge - 1);
  std::free(block);
  if (high > low) madvise(reinterpret_cast<void*>(low), high - low, MADV_HUGEPAGE);
}

// `--timings`: each phase's wall time and the CPU time the process spent in
// it (all threads) to stderr when the command ends, and the CPU the process
// had used before the command began (start-up: loading the binary and its
// libraries, static initialisers, argument parsing).
class PhaseTimer {
 public:
  explicit PhaseTimer(bool enabled)
      : enabled_(enabled), last_(Clock::now()), last_cpu_(enabled ? ProcessCpuMs() : 0.0) {
    if (!enabled_) return;
    char line[64];
    std::snprintf(line, sizeof line, "start-up cpu %.2f ms", last_cpu_);
    Note(line);
  }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  ~PhaseTimer() {
    if (enabled_) std::fputs(report_.c_str(), stderr);
  }

  void Note(const std::string& what) {
    if (enabled_) report_ += "timings: " + what + "\n";
  }
  // Ends the phase `name`, begun at the previous call (or at construction).
  void Lap(const char* name) {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    const double cpu = ProcessCpuMs();
    char line[96];
    std::snprintf(line, sizeof line, "%s %.2f ms (cpu %.2f ms)", name,
                  std::chrono::duration<double, std::milli>(now - last_).count(), cpu - last_cpu_);
    Note(line);
    last_ = now;
    last_cpu_ = cpu;
  }

 private:
  using Clock = std::chrono::steady_clock;

  static double ProcessCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return 1e3 * static_cast<double>(ts.tv_sec) + 1e-6 * static_cast<double>(ts.tv_nsec);
  }

  bool enabled_;
  Clock::time_point last_;
  double last_cpu_;
  std::string report_;
};

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool WriteAll(int fd, const LabelsCsv& csv) {
  for (std::string_view part : csv.parts()) {
    if (!WriteAll(fd, part)) return false;
  }
  return true;
}

}  // namespace

std::string FormatLabelsCsv(const AnswerTable& table, const consolidation::Consolidation& result,
                            int precision) {
  return WriteLabelsCsv(std::span<const std::string>(table.tasks), table.labels, result, precision)
      .text();
}

Result<std::string> ConsolidateCsv(std::string_view input, consolidation::Algorithm algorithm,
                                   int precision, int threads) {
  PLB_ASSIGN_OR_RETURN(AnswerTable table, ParseAnswersCsv(input, threads));
  consolidation::Options options;
  options.algorithm = algorithm;
  options.num_threads = std::max(1, threads);
  const consolidation::Consolidation result = consolidation::Consolidate(table.problem(), options);
  return FormatLabelsCsv(table, result, precision);
}

void AddConsolidateCommand(CLI::App& app) {
  struct Flags {
    std::string algorithm = "dawid-skene";
    std::string input;
    std::string output;
    int precision = 2;
    int threads = 0;  // 0: one per processor
    bool timings = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "consolidate", "Consolidate worker answers (CSV task,worker,label) into one label per task");
  cmd->add_option("--algorithm", flags->algorithm, "majority, dawid-skene, one-coin (spec 7.1) "
                  "or dawid-skene-vb")
      ->check(CLI::IsMember({"majority", "dawid-skene", "one-coin", "dawid-skene-vb"}))
      ->capture_default_str();
  cmd->add_option("--input", flags->input, "Answers CSV with header task,worker,label ('-' = stdin)")
      ->required();
  cmd->add_option("--output", flags->output, "Output CSV task,label,confidence (default: stdout)");
  cmd->add_option("--precision", flags->precision, "Decimals of the confidence")
      ->check(CLI::Range(0, 17))
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads,
                  "Threads of the EM loop, 0 = one per processor; jobs under about 260k "
                  "answers use one (the result does not depend on it)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_flag("--timings", flags->timings,
                "Print each phase's wall time (read, parse, consolidate, format, write) to stderr");
  // CLI11 runs the callback after parsing; errors are printed here and
  // reported as CLI::RuntimeError so that App::exit only sets the exit code.
  cmd->callback([flags] {
    auto fail = [](const std::string& message) {
      std::cerr << "plumbline consolidate: " << message << "\n";
      throw CLI::RuntimeError(1);
    };
    PhaseTimer timer(flags->timings);
    const std::optional<consolidation::Algorithm> algorithm =
        consolidation::ParseAlgorithm(flags->algorithm);
    if (!algorithm) fail("unknown algorithm '" + flags->algorithm + "'");
    Result<std::unique_ptr<InputText>> input = InputText::Open(flags->input);
    if (!input) fail(input.error().message);
    // The heap spans about the input's size (the answers, then the EM's
    // tables, then the output, each in memory the one before freed); three
    // times that is set aside for huge pages.
    UseHugePageHeap(3 * (*input)->text().size());
    timer.Lap("read");
    const int threads =
        flags->threads > 0
            ? flags->threads
            : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 64u));
    Result<AnswerViews> table = ParseAnswersCsvViews((*input)->text(), threads);
    if (!table) fail(flags->input + ": " + table.error().message);
    timer.Lap("parse");
    consolidation::Options options;
    options.algorithm = *algorithm;
    options.num_threads = threads;
    // Fresh memory is what the command pays most for after the EM itself: a
    // page the process touches first is zeroed by the kernel and, on VMs
    // whose host takes freed memory back, faulted in by the host too (about
    // 1 ms a MiB here when cold). So each phase reuses the memory of the one
    // before: the answers are freed once the EM's index is built, and the
    // EM's posteriors and the labels take their place.
    const size_t answer_count = table->answers.size();
    consolidation::Problem problem = table->problem();
    problem.answers_read = [&table] { std::vector<consolidation::Answer>().swap(table->answers); };
    const consolidation::Consolidation result = consolidation::Consolidate(problem, options);
    timer.Lap("consolidate");
    timer.Note("iterations " + std::to_string(result.iterations) + ", threads " +
               std::to_string(threads) + ", answers " + std::to_string(answer_count));
    const LabelsCsv output =
        WriteLabelsCsv(std::span<const std::string_view>(table->tasks), table->labels, result,
                       flags->precision, threads);
    timer.Lap("format");
    if (flags->output.empty()) {
      std::cout.flush();
      if (!WriteAll(STDOUT_FILENO, output)) fail("cannot write to stdout");
      timer.Lap("write");
      return;
    }
    const int fd = ::open(flags->output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    const bool written = fd >= 0 && WriteAll(fd, output);
    if (fd >= 0 && ::close(fd) != 0) fail("cannot write output file '" + flags->output + "'");
    if (!written) fail("cannot write output file '" + flags->output + "'");
    timer.Lap("write");
  });
}

}  // namespace plumbline::cli
