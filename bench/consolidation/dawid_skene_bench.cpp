// Times consolidation::Consolidate on a data set written by bench.py:
//   dawid_skene_bench DIR MAX_ITERATIONS [THREADS...]
// EM runs with the production stopping rule: max |delta T| < 1e-6 or
// MAX_ITERATIONS E-steps (the NumPy side uses the same rule).
// Each run is repeated PLUMBLINE_BENCH_REPEATS times (default 5); the best
// wall and CPU times are printed.
// DIR/meta.txt holds "T W K N"; DIR/answers.bin N x (task, worker, label)
// int32 little-endian; DIR/truth.bin T int32. Writes DIR/labels_cpp.bin (the
// Dawid-Skene labels, int32) and prints one "key=value" line per run.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "consolidation/consolidation.hpp"

namespace {

using plumbline::consolidation::Algorithm;
using plumbline::consolidation::AlgorithmName;
using plumbline::consolidation::Answer;
using plumbline::consolidation::Consolidate;
using plumbline::consolidation::Consolidation;
using plumbline::consolidation::Options;
using plumbline::consolidation::Problem;

template <class T>
std::vector<T> ReadBinary(const std::string& path, size_t count) {
  std::vector<T> out(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  return out;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR MAX_ITERATIONS [THREADS...]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const char* repeats_env = std::getenv("PLUMBLINE_BENCH_REPEATS");
  const int repeats = repeats_env != nullptr ? std::max(1, std::atoi(repeats_env)) : 5;
  const int iterations = std::atoi(argv[2]);
  std::vector<int> thread_counts;
  for (int i = 3; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts.push_back(1);

  int32_t t = 0, w = 0, k = 0;
  long long n = 0;
  std::ifstream meta(dir + "/meta.txt");
  if (!(meta >> t >> w >> k >> n)) {
    std::fprintf(stderr, "cannot read %s/meta.txt\n", dir.c_str());
    return 1;
  }
  const std::vector<Answer> answers = ReadBinary<Answer>(dir + "/answers.bin", n);
  const std::vector<int32_t> truth = ReadBinary<int32_t>(dir + "/truth.bin", t);
  const Problem problem{t, w, k, answers};

  auto accuracy = [&](const Consolidation& r) {
    long long correct = 0;
    for (int32_t i = 0; i < t; ++i) correct += r.tasks[i].label == truth[i];
    return static_cast<double>(correct) / t;
  };

  struct Run {
    Algorithm algorithm;
    int threads;
  };
  std::vector<Run> runs = {{Algorithm::kMajorityVote, 1}};
  for (int threads : thread_counts) runs.push_back({Algorithm::kDawidSkene, threads});
  runs.push_back({Algorithm::kDawidSkeneVb, thread_counts.front()});
  for (const Run& run : runs) {
    Options options;
    options.algorithm = run.algorithm;
    options.max_iterations = iterations;
    options.num_threads = run.threads;
    double best = 1e100;
    double best_cpu = 1e100;
    Consolidation result;
    for (int repeat = 0; repeat < repeats; ++repeat) {  // best of N against machine noise
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = CpuSeconds();
      result = Consolidate(problem, options);
      best_cpu = std::min(best_cpu, CpuSeconds() - cpu_start);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("impl=cpp algorithm=%s threads=%d iterations=%d seconds=%.4f cpu_seconds=%.4f "
                "accuracy=%.5f\n",
                std::string(AlgorithmName(run.algorithm)).c_str(), run.threads, result.iterations,
                best, best_cpu, accuracy(result));
    if (run.algorithm == Algorithm::kDawidSkene && run.threads == thread_counts.front()) {
      std::vector<int32_t> labels(t);
      for (int32_t i = 0; i < t; ++i) labels[i] = result.tasks[i].label;
      std::ofstream(dir + "/labels_cpp.bin", std::ios::binary)
          .write(reinterpret_cast<const char*>(labels.data()),
                 static_cast<std::streamsize>(labels.size() * sizeof(int32_t)));
    }
  }
  return 0;
}
