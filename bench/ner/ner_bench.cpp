// Times consolidation::ConsolidateSpans on the job ner_bench.py generates:
//   ner_bench DIR
// Reads DIR/answers.txt (see ner_bench.py), consolidates every document with
// the service's settings (two rounds of worker reliabilities), best of
// PLUMBLINE_BENCH_REPEATS runs (default 3), writes DIR/spans_cpp.txt and
// prints "cpp docs=... seconds=... cpu_seconds=...". Loading is not timed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "consolidation/consolidation.hpp"

namespace {
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

int main(int argc, char** argv) {
  using namespace plumbline::consolidation;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  FILE* in = std::fopen((dir + "/answers.txt").c_str(), "r");
  if (!in) {
    std::fprintf(stderr, "cannot read %s/answers.txt\n", dir.c_str());
    return 1;
  }
  int docs = 0, workers = 0;
  if (std::fscanf(in, "%d %d", &docs, &workers) != 2) return 1;
  std::vector<SpanDocument> documents(static_cast<size_t>(docs));
  for (int d = 0; d < docs; ++d) documents[static_cast<size_t>(d)].seed = static_cast<uint64_t>(d);
  int doc = 0, worker = 0, n = 0;
  while (std::fscanf(in, "%d %d %d", &doc, &worker, &n) == 3) {
    SpanAnswer a{worker, {}};
    for (int i = 0; i < n; ++i) {
      long long s = 0, e = 0;
      int l = 0;
      if (std::fscanf(in, "%lld %lld %d", &s, &e, &l) != 3) return 1;
      a.spans.push_back({s, e, l});
    }
    documents[static_cast<size_t>(doc)].answers.push_back(std::move(a));
  }
  std::fclose(in);
  const char* env = std::getenv("PLUMBLINE_BENCH_REPEATS");
  const int repeats = env ? std::max(1, std::atoi(env)) : 3;
  double best_wall = 1e30, best_cpu = 1e30;
  SpanResult result;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds();
    result = ConsolidateSpans(documents, workers);
    best_cpu = std::min(best_cpu, CpuSeconds() - cpu);
    best_wall = std::min(
        best_wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::ofstream out(dir + "/spans_cpp.txt");
  for (const auto& spans : result.documents) {
    for (size_t i = 0; i < spans.size(); ++i)
      out << (i ? " " : "") << spans[i].start << ' ' << spans[i].end << ' ' << spans[i].label;
    out << '\n';
  }
  std::printf("cpp docs=%d seconds=%.4f cpu_seconds=%.4f\n", docs, best_wall, best_cpu);
  return 0;
}
