// The EM engine shared by the Dawid-Skene variants (spec §7.1 and the
// classic full-confusion model). One fused pass per iteration: for every
// task, the E-step computes the posterior from the current parameters and
// immediately adds it to the sufficient statistics of the next M-step, so the
// answers are streamed once per iteration.
//
// The E-step works in the linear domain (products of likelihoods, rescaled
// every few answers) instead of log-sum-exp: no exp/log in the inner loop.
// Every likelihood is floored well above 1e-30, so a product of
// kRescaleEvery factors cannot underflow a double.
//
// The stopping rule compares every posterior with the pass before, but until
// the EM nears convergence a bound from the statistics alone shows that some
// posterior moved by more than the tolerance; only then are the posteriors
// kept from pass to pass (see RunEm).
//
// Speed: for K <= 4 the rows of the likelihood table, the statistics and the
// posteriors are padded to 2 or 4 doubles and processed as one GCC vector,
// compiled twice (AVX2 and baseline) with target_clones where available.
// Lane-wise IEEE operations in a fixed order (no FMA contraction in ISO
// mode) give bit-identical results on both paths and on the scalar path.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <thread>

#include "consolidation/detail/em.hpp"

namespace plumbline::consolidation::detail {
namespace {

// Floor of ML Dawid-Skene confusion cells and class priors: keeps a log-free
// E-step finite when a worker never gave some label (crowd-kit clips at eps).
constexpr double kDsFloor = 1e-12;
// §7.1: Beta pseudo-counts of the one-coin worker accuracy and its clamp.
constexpr double kOneCoinA0 = 7.0;
constexpr double kOneCoinB0 = 3.0;
constexpr double kMinAccuracy = 0.01;
constexpr double kMaxAccuracy = 0.99;
constexpr int kRescaleEvery = 8;
// Answers per chunk of the E-step; the chunk count depends only on the input
// size so that the summation order, hence the result, ignores num_threads.
constexpr int64_t kAnswersPerChunk = 131072;
constexpr int kMaxChunks = 4;

// What a pass over the answers does besides computing each task's posterior.
//   kTracked: the M-step statistics; and the change of every posterior from
//     the one in EStepInput::posteriors (the pass before), for the stopping
//     rule, and the posterior into its place.
//   kBounded: the statistics only. The stopping rule then reads a lower
//     bound of that change from the statistics themselves (see RunEm), which
//     spares every task's posterior a load and a store.
//   kFinal: the posteriors into EStepInput::posteriors.
enum class PassKind { kTracked, kBounded, kFinal };

struct Chunk {
  int32_t begin = 0;  // task range [begin, end)
  int32_t end = 0;
  std::vector<double> stats;       // W*K x stride, layout of the likelihood table
  std::vector<double> class_mass;  // K
  double max_delta = 0.0;
  bool clean = true;  // stats are all zero (a pass then need not clear them)
};

// Row stride of the padded tables: K = 3 is padded to 4 lanes.
int Stride(int k_count) { return k_count == 3 ? 4 : k_count; }

// The parameters an E-step reads. Rows are `stride` doubles; padding lanes
// of `prior` are 0, so padded posterior lanes stay 0.
struct EStepInput {
  const TaskIndex* index;
  const double* likelihood;  // (W*K) x stride
  const double* prior;       // stride
  double* posteriors;        // T x stride; see PassKind
};

// Scalar E-step for any K (stride == K); what it writes besides the
// statistics depends on kKind (PassKind).
template <PassKind kKind>
void EStepScalar(const EStepInput& in, Chunk& chunk) {
  const TaskIndex& index = *in.index;
  constexpr bool kFinal = kKind == PassKind::kFinal;
  const int k_count = index.num_classes;
  std::vector<double> p(k_count);
  std::vector<double> mass(k_count, 0.0);
  if (!kFinal && !chunk.clean) std::fill(chunk.stats.begin(), chunk.stats.end(), 0.0);
  if (!kFinal) chunk.clean = false;
  double max_delta = 0.0;
  for (int32_t i = chunk.begin; i < chunk.end; ++i) {
    const int64_t first = index.offsets[i];
    const int64_t last = index.offsets[i + 1];
    if (first == last) continue;
    for (int k = 0; k < k_count; ++k) p[k] = in.prior[k];
    int since_rescale = 0;
    for (int64_t j = first; j < last; ++j) {
      const double* l = in.likelihood + static_cast<int64_t>(index.rows[j]) * k_count;
      for (int k = 0; k < k_count; ++k) p[k] *= l[k];
      if (++since_rescale == kRescaleEvery) {
        since_rescale = 0;
        const double inv = 1.0 / *std::max_element(p.begin(), p.end());
        for (int k = 0; k < k_count; ++k) p[k] *= inv;
      }
    }
    double sum = 0.0;
    for (int k = 0; k < k_count; ++k) sum += p[k];
    const double inv = 1.0 / sum;
    for (int k = 0; k < k_count; ++k) p[k] *= inv;
    double* t = in.posteriors + static_cast<int64_t>(i) * k_count;
    if (kFinal) {
      std::copy(p.begin(), p.end(), t);
      continue;
    }
    for (int k = 0; k < k_count; ++k) {
      if (kKind == PassKind::kTracked) {
        max_delta = std::max(max_delta, std::abs(p[k] - t[k]));
        t[k] = p[k];
      }
      mass[k] += p[k];
    }
    for (int64_t j = first; j < last; ++j) {
      double* s = chunk.stats.data() + static_cast<int64_t>(index.rows[j]) * k_count;
      for (int k = 0; k < k_count; ++k) s[k] += p[k];
    }
  }
  if (kFinal) return;
  chunk.class_mass = mass;
  chunk.max_delta = max_delta;
}

// The same E-step with one posterior row in one vector V of kLanes doubles,
// over the positions [begin, end), which all have kCount answers (kCount ==
// 0: any count). A compile-time count unrolls the answer loops and removes
// every data-dependent branch. Loads and stores go through memcpy
// (unaligned, no aliasing questions).
// Normalises the task's product `p` into its posterior. The final pass
// stores it and returns false; otherwise the posterior goes into `mass`, a
// tracked pass also puts its change from the stored posterior into
// `max_delta` and stores it, and the caller adds it to the statistics
// (returns true).
template <class V, int kLanes, PassKind kKind>
[[gnu::always_inline]] inline bool FinishTask(V& p, int32_t i, double* __restrict posteriors,
                                              V& mass, V& max_delta) {
  double sum = p[0];
  for (int k = 1; k < kLanes; ++k) sum += p[k];
  p *= 1.0 / sum;
  double* row = posteriors + static_cast<int64_t>(i) * kLanes;
  if (kKind == PassKind::kFinal) {
    std::memcpy(row, &p, sizeof(V));
    return false;
  }
  mass += p;
  if (kKind == PassKind::kBounded) return true;
  V before;
  std::memcpy(&before, row, sizeof(V));
  V delta = p - before;
  // |delta| by clearing the sign bits (-0.0 becomes 0.0: the same for the
  // comparisons with max_delta and the tolerance).
  using VI = decltype(delta < delta);  // 64-bit integer lanes
  const VI magnitude = VI{} + std::numeric_limits<int64_t>::max();
  delta = reinterpret_cast<V>(reinterpret_cast<VI>(delta) & magnitude);
  max_delta = delta > max_delta ? delta : max_delta;
  std::memcpy(row, &p, sizeof(V));
  return true;
}

template <class V, int kLanes, PassKind kKind, int kCount, class Row>
[[gnu::always_inline]] inline void EStepRange(const EStepInput& in, const Row* row_data,
                                              double* stats, int32_t begin, int32_t end, V& mass,
                                              V& max_delta) {
  // Local restrict copies: the stores through memcpy below could otherwise
  // alias the index and the EStepInput fields, which the compiler would then
  // reload for every task.
  const Row* __restrict rows = row_data;
  const int32_t* __restrict offsets = in.index->offsets.data();
  const double* __restrict likelihood = in.likelihood;
  double* __restrict posteriors = in.posteriors;
  double* __restrict sums = stats;
  V prior;
  std::memcpy(&prior, in.prior, sizeof(V));
  int32_t first = offsets[begin];
  for (int32_t i = begin; i < end; ++i) {
    // With a fixed count the offsets are implicit: one less array to stream.
    if (kCount == 0) first = offsets[i];
    const int32_t n = kCount > 0 ? kCount : offsets[i + 1] - first;
    if (kCount == 0 && n == 0) continue;
    const Row* r = rows + first;
    first += n;
    V p = prior;
    if constexpr (kCount > 0 && kCount < kRescaleEvery) {
      // The rows' offsets in doubles, computed once for the product and the
      // statistics below.
      int64_t at[kCount];
      for (int32_t j = 0; j < kCount; ++j) at[j] = static_cast<int64_t>(r[j]) * kLanes;
      for (int32_t j = 0; j < kCount; ++j) {
        V l;
        std::memcpy(&l, likelihood + at[j], sizeof(V));
        p *= l;
      }
      if (!FinishTask<V, kLanes, kKind>(p, i, posteriors, mass, max_delta)) {
        continue;
      }
      for (int32_t j = 0; j < kCount; ++j) {
        V acc;
        std::memcpy(&acc, sums + at[j], sizeof(V));
        acc += p;
        std::memcpy(sums + at[j], &acc, sizeof(V));
      }
    } else {
      int since_rescale = 0;
      for (int32_t j = 0; j < n; ++j) {
        V l;
        std::memcpy(&l, likelihood + static_cast<int64_t>(r[j]) * kLanes, sizeof(V));
        p *= l;
        if (++since_rescale == kRescaleEvery) {
          since_rescale = 0;
          double m = p[0];
          for (int k = 1; k < kLanes; ++k) m = std::max(m, static_cast<double>(p[k]));
          p *= 1.0 / m;
        }
      }
      if (!FinishTask<V, kLanes, kKind>(p, i, posteriors, mass, max_delta)) {
        continue;
      }
      for (int32_t j = 0; j < n; ++j) {
        double* s = sums + static_cast<int64_t>(r[j]) * kLanes;
        V acc;
        std::memcpy(&acc, s, sizeof(V));
        acc += p;
        std::memcpy(s, &acc, sizeof(V));
      }
    }
  }
}

template <class V, int kLanes, PassKind kKind, class Row>
[[gnu::always_inline]] inline void EStepVectorRuns(const EStepInput& in, const Row* rows,
                                                   Chunk& chunk) {
  constexpr bool kFinal = kKind == PassKind::kFinal;
  const TaskIndex& index = *in.index;
  double* stats = chunk.stats.data();
  if (!kFinal && !chunk.clean) std::fill(chunk.stats.begin(), chunk.stats.end(), 0.0);
  if (!kFinal) chunk.clean = false;
  V mass = V{} * 0.0;
  V max_delta = mass;
  // Positions are sorted by answer count: walk the runs of equal count.
  for (size_t run = 0; run + 1 < index.run_starts.size(); ++run) {
    const int32_t begin = std::max(index.run_starts[run], chunk.begin);
    const int32_t end = std::min(index.run_starts[run + 1], chunk.end);
    if (begin >= end) continue;
    switch (index.answers_at(begin)) {
      case 0: break;
#define PLB_RUN(n)                                                                           \
  case n:                                                                                    \
    EStepRange<V, kLanes, kKind, n>(in, rows, stats, begin, end, mass, max_delta); \
    break;
      PLB_RUN(1) PLB_RUN(2) PLB_RUN(3) PLB_RUN(4) PLB_RUN(5) PLB_RUN(6) PLB_RUN(7)
#undef PLB_RUN
      default: EStepRange<V, kLanes, kKind, 0>(in, rows, stats, begin, end, mass, max_delta);
    }
  }
  if (kFinal) return;
  for (int k = 0; k < index.num_classes; ++k) chunk.class_mass[k] = mass[k];
  double m = max_delta[0];
  for (int k = 1; k < kLanes; ++k) m = std::max(m, static_cast<double>(max_delta[k]));
  chunk.max_delta = m;
}

// The 16-bit rows when the index has them (the same values, fewer bytes).
template <class V, int kLanes, PassKind kKind>
[[gnu::always_inline]] inline void EStepVectorBody(const EStepInput& in, Chunk& chunk) {
  const TaskIndex& index = *in.index;
  if (!index.rows16.empty()) {
    EStepVectorRuns<V, kLanes, kKind>(in, index.rows16.data(), chunk);
  } else {
    EStepVectorRuns<V, kLanes, kKind>(in, index.rows.data(), chunk);
  }
}

using V2 = double __attribute__((vector_size(16)));
using V4 = double __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PLB_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define PLB_MULTIVERSION
#endif

PLB_MULTIVERSION void TrackedPass2(const EStepInput& in, Chunk& chunk) {
  EStepVectorBody<V2, 2, PassKind::kTracked>(in, chunk);
}
PLB_MULTIVERSION void TrackedPass4(const EStepInput& in, Chunk& chunk) {
  EStepVectorBody<V4, 4, PassKind::kTracked>(in, chunk);
}
PLB_MULTIVERSION void BoundedPass2(const EStepInput& in, Chunk& chunk) {
  EStepVectorBody<V2, 2, PassKind::kBounded>(in, chunk);
}
PLB_MULTIVERSION void BoundedPass4(const EStepInput& in, Chunk& chunk) {
  EStepVectorBody<V4, 4, PassKind::kBounded>(in, chunk);
}
PLB_MULTIVERSION void FinalPass2(const EStepInput& in, Chunk& chunk) {
  EStepVectorBody<V2, 2, PassKind::kFinal>(in, chunk);
}
PLB_MULTIVERSION void FinalPass4(const EStepInput& in, Chunk& chunk) {
  EStepVectorBody<V4, 4, PassKind::kFinal>(in, chunk);
}

// The maximum-likelihood confusion matrices (Dawid-Skene's M-step) of
// workers [begin, end) when a row of the likelihood table is one vector
// (stride 2 or 4): lane k of worker w's row y is the cell P(y | k), and the
// cells of each true class k are its floored statistics normalised over y.
// Lane by lane the same operations in the same order as the scalar
// Estimator::UpdateConfusion, whose zero pseudo-counts change nothing (the
// statistics are sums of posteriors, never -0), so the same values; padding
// lanes (K = 3) stay 0.
template <class V, int kLanes>
[[gnu::always_inline]] inline void MlConfusionRows(const double* stats, double* cells,
                                                   int k_count, int32_t begin, int32_t end) {
  using VI = decltype(V{} < V{});  // 64-bit integer lanes
  VI keep{};
  for (int k = 0; k < kLanes; ++k) keep[k] = k < k_count ? -1 : 0;
  const V floor = V{} + kDsFloor;
  for (int32_t w = begin; w < end; ++w) {
    const int64_t first = static_cast<int64_t>(w) * k_count * kLanes;
    V rows[kLanes];
    V den{};
    for (int y = 0; y < k_count; ++y) {
      V c;
      std::memcpy(&c, stats + first + y * kLanes, sizeof(V));
      c = c < floor ? floor : c;
      rows[y] = c;
      den += c;
    }
    for (int y = 0; y < k_count; ++y) {
      V cell = rows[y] / den;
      cell = reinterpret_cast<V>(reinterpret_cast<VI>(cell) & keep);
      std::memcpy(cells + first + y * kLanes, &cell, sizeof(V));
    }
  }
}

PLB_MULTIVERSION void MlConfusion2(const double* stats, double* cells, int k_count,
                                   int32_t begin, int32_t end) {
  MlConfusionRows<V2, 2>(stats, cells, k_count, begin, end);
}
PLB_MULTIVERSION void MlConfusion4(const double* stats, double* cells, int k_count,
                                   int32_t begin, int32_t end) {
  MlConfusionRows<V4, 4>(stats, cells, k_count, begin, end);
}

void EStep(const EStepInput& in, PassKind kind, Chunk& chunk) {
  switch (Stride(in.index->num_classes)) {
    case 2:
      switch (kind) {
        case PassKind::kTracked: return TrackedPass2(in, chunk);
        case PassKind::kBounded: return BoundedPass2(in, chunk);
        case PassKind::kFinal: return FinalPass2(in, chunk);
      }
      return;
    case 4:
      switch (kind) {
        case PassKind::kTracked: return TrackedPass4(in, chunk);
        case PassKind::kBounded: return BoundedPass4(in, chunk);
        case PassKind::kFinal: return FinalPass4(in, chunk);
      }
      return;
    default:
      switch (kind) {
        case PassKind::kTracked: return EStepScalar<PassKind::kTracked>(in, chunk);
        case PassKind::kBounded: return EStepScalar<PassKind::kBounded>(in, chunk);
        case PassKind::kFinal: return EStepScalar<PassKind::kFinal>(in, chunk);
      }
  }
}

// Splits the tasks into chunks of roughly equal answer counts.
std::vector<Chunk> MakeChunks(const TaskIndex& index) {
  const int64_t total = index.offsets.back();
  const int count = static_cast<int>(
      std::clamp<int64_t>(total / kAnswersPerChunk, 1, kMaxChunks));
  std::vector<Chunk> chunks(count);
  const size_t stats_size =
      static_cast<size_t>(index.num_workers) * index.num_classes * Stride(index.num_classes);
  int32_t task = 0;
  for (int c = 0; c < count; ++c) {
    chunks[c].begin = task;
    const int64_t target = total * (c + 1) / count;
    if (c == count - 1) {
      task = index.num_tasks;
    } else {
      while (task < index.num_tasks && index.offsets[task + 1] <= target) ++task;
    }
    chunks[c].end = task;
    chunks[c].stats.resize(stats_size);
    chunks[c].class_mass.resize(index.num_classes);
  }
  return chunks;
}

// The initialisation pass (§7.1 step 1), in position order: each position's
// vote shares T_ik = votes / |W_i|, padded to the stride, into `posteriors`
// (the same values as VoteShares; row % K is the label), and at once the
// statistics of those posteriors: stats[(w*K+y)*stride+k] = sum of T_ik over
// w's answers y, the class mass, and the number of those answers,
// row_answers[w*K+y]. The rows of a position are read once for both.
template <int kClasses, class Row>
void InitialPassOf(const TaskIndex& index, const Row* rows, int k_count, double* posteriors,
                   Chunk& out, std::vector<int32_t>& row_answers) {
  const int k = kClasses > 0 ? kClasses : k_count;
  const int stride = Stride(k);
  double* __restrict stats = out.stats.data();
  double* __restrict mass = out.class_mass.data();
  int32_t* __restrict counts = row_answers.data();
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    double* __restrict t = posteriors + static_cast<int64_t>(p) * stride;
    std::fill(t, t + stride, 0.0);
    const int32_t first = index.offsets[p];
    const int32_t last = index.offsets[p + 1];
    if (last == first) continue;
    for (int32_t j = first; j < last; ++j) t[rows[j] % k] += 1.0;
    for (int c = 0; c < k; ++c) t[c] /= last - first;
    for (int c = 0; c < k; ++c) mass[c] += t[c];
    for (int32_t j = first; j < last; ++j) {
      const int64_t row = rows[j];
      ++counts[row];
      double* s = stats + row * stride;
      for (int c = 0; c < k; ++c) s[c] += t[c];
    }
  }
}

template <class Row>
void InitialPassRows(const TaskIndex& index, const Row* rows, double* posteriors, Chunk& out,
                     std::vector<int32_t>& row_answers) {
  switch (index.num_classes) {  // a constant K makes row % K cheap
    case 2: return InitialPassOf<2>(index, rows, 2, posteriors, out, row_answers);
    case 3: return InitialPassOf<3>(index, rows, 3, posteriors, out, row_answers);
    case 4: return InitialPassOf<4>(index, rows, 4, posteriors, out, row_answers);
    default:
      return InitialPassOf<0>(index, rows, index.num_classes, posteriors, out, row_answers);
  }
}

void InitialPass(const TaskIndex& index, double* posteriors, Chunk& out,
                 std::vector<int32_t>& row_answers) {
  std::fill(out.stats.begin(), out.stats.end(), 0.0);
  std::fill(out.class_mass.begin(), out.class_mass.end(), 0.0);
  row_answers.assign(out.stats.size() / Stride(index.num_classes), 0);
  if (!index.rows16.empty()) {
    InitialPassRows(index, index.rows16.data(), posteriors, out, row_answers);
  } else {
    InitialPassRows(index, index.rows.data(), posteriors, out, row_answers);
  }
}

// Sums the chunks' statistics of rows [begin, end) (row: worker * K +
// label) into `total`, in chunk order (the result does not depend on which
// thread sums which rows), and clears them for the next pass. Returns, over
// those rows, a lower bound of the stopping rule's max |T_ik - T'_ik|
// between the pass summed and the one whose statistics are `before`: a cell
// sums T_ik over the c answers y of worker w, so its change is at most c
// times the largest change of a posterior; less the rounding of the two sums
// (c terms in [0, 1]: at most c^2 u each, u = 2^-53).
double ReduceRows(std::vector<Chunk>& chunks, int64_t begin, int64_t end,
                  const std::vector<int32_t>& row_answers, int k_count,
                  std::vector<double>& total, const std::vector<double>& before) {
  const int stride = Stride(k_count);
  constexpr double kUnit = std::numeric_limits<double>::epsilon() / 2;
  // Chunk by chunk over the range (contiguous, vectorised), so each cell is
  // ((s0 + s1) + s2) + s3 as in a cell-by-cell sum.
  const size_t first = static_cast<size_t>(begin) * stride;
  const size_t count = static_cast<size_t>(end - begin) * stride;
  double* __restrict sum = total.data() + first;
  for (size_t c = 0; c < chunks.size(); ++c) {
    double* __restrict part = chunks[c].stats.data() + first;
    if (c == 0) {
      std::memcpy(sum, part, count * sizeof(double));
    } else {
      for (size_t n = 0; n < count; ++n) sum[n] += part[n];
    }
    std::memset(part, 0, count * sizeof(double));
  }
  double bound = 0.0;
  for (int64_t r = begin; r < end; ++r) {
    const int32_t c = row_answers[r];
    if (c == 0) continue;
    double change = 0.0;
    for (int64_t n = r * stride; n < (r + 1) * stride; ++n) {
      change = std::max(change, std::abs(total[n] - before[n]));
    }
    bound = std::max(bound, change / c - 2.0 * c * kUnit);
  }
  return bound;
}

// The digamma function psi(x) for x > 0: recurrence up to x >= 6, then the
// asymptotic series (absolute error < 1e-12 there).
double Digamma(double x) {
  double result = 0.0;
  while (x < 6.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  const double f = 1.0 / (x * x);
  return result + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

// The threads of one RunEm call, started once and woken for each pass (an
// iteration takes about a millisecond on large jobs: starting threads for
// each one cost a visible share of it). Run() does `work(c)` for every chunk
// c in [0, chunks): the caller and the helpers take chunks from a shared
// counter as they come free, so a helper that wakes late (a busy machine)
// leaves its share to the others instead of holding up the pass. Run()
// returns when every chunk is done. Helpers spin briefly before they sleep:
// the next pass follows within microseconds.
class Team {
 public:
  Team(int threads, int chunks, std::function<void(int chunk)> work)
      : chunks_(chunks), work_(std::move(work)) {
    helpers_.reserve(threads - 1);
    for (int t = 1; t < threads; ++t) helpers_.emplace_back([this] { HelperLoop(); });
  }
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;
  ~Team() {
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& t : helpers_) t.join();
  }

  void Run() {
    done_.store(0, std::memory_order_relaxed);
    // Release: a helper that claims a chunk sees everything written before.
    next_chunk_.store(0, std::memory_order_release);
    if (!helpers_.empty()) {
      generation_.fetch_add(1, std::memory_order_release);
      generation_.notify_all();
    }
    DoChunks();
    for (int spin = 0;; ++spin) {
      const int done = done_.load(std::memory_order_acquire);
      if (done == chunks_) break;
      if (spin < kSpins) {
        Pause();
      } else {
        done_.wait(done, std::memory_order_acquire);
      }
    }
  }

 private:
  static constexpr int kSpins = 2000;

  static void Pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void DoChunks() {
    for (int c = next_chunk_.fetch_add(1, std::memory_order_acq_rel); c < chunks_;
         c = next_chunk_.fetch_add(1, std::memory_order_acq_rel)) {
      work_(c);
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks_) done_.notify_one();
    }
  }

  void HelperLoop() {
    uint64_t seen = 0;
    while (true) {
      for (int spin = 0;; ++spin) {
        const uint64_t now = generation_.load(std::memory_order_acquire);
        if (now != seen) {
          seen = now;
          break;
        }
        if (spin < kSpins) {
          Pause();
        } else {
          generation_.wait(now, std::memory_order_acquire);
        }
      }
      if (stop_.load(std::memory_order_relaxed)) return;
      DoChunks();
    }
  }

  const int chunks_;
  std::function<void(int chunk)> work_;
  std::vector<std::thread> helpers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> next_chunk_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
};

class Estimator {
 public:
  Estimator(const TaskIndex& index, EmModel model)
      : index_(index),
        model_(model),
        k_(index.num_classes),
        stride_(Stride(k_)),
        likelihood_(static_cast<size_t>(index.num_workers) * k_ * stride_, 0.0),
        prior_(stride_, 0.0),
        previous_likelihood_(likelihood_.size(), 0.0),
        previous_prior_(stride_, 0.0),
        accuracy_(index.num_workers, model == EmModel::kOneCoin ? 0.7 : 0.0) {
    for (int32_t i = 0; i < index.num_tasks; ++i) {
      if (index.offsets[i] != index.offsets[i + 1]) ++answered_tasks_;
    }
  }

  // M-step: parameters from the statistics of the last E-step. The
  // parameters they replace stay readable as the previous ones. In parts:
  // BeginUpdate, then UpdateWorkers over ranges that cover every worker
  // once (each range reads and writes only its workers' rows, so ranges
  // may run at once).
  void Update(const std::vector<double>& stats, const std::vector<double>& class_mass) {
    BeginUpdate(class_mass);
    UpdateWorkers(stats, 0, index_.num_workers);
  }
  void BeginUpdate(const std::vector<double>& class_mass) {
    // Every cell and prior is rewritten: swapping is enough.
    likelihood_.swap(previous_likelihood_);
    prior_.swap(previous_prior_);
    UpdatePriors(class_mass);
  }
  void UpdateWorkers(const std::vector<double>& stats, int32_t begin, int32_t end) {
    if (model_ == EmModel::kDawidSkene && stride_ == 4 && k_ > 1) {
      return MlConfusion4(stats.data(), likelihood_.data(), k_, begin, end);
    }
    if (model_ == EmModel::kDawidSkene && stride_ == 2) {
      return MlConfusion2(stats.data(), likelihood_.data(), k_, begin, end);
    }
    for (int32_t w = begin; w < end; ++w) {
      switch (model_) {
        case EmModel::kDawidSkene: UpdateConfusion(stats, w, 0.0, 0.0); break;
        case EmModel::kDawidSkeneVb:
          UpdateConfusion(stats, w, kVbDiagonalPrior, kVbOffDiagonalPrior);
          break;
        case EmModel::kOneCoin: UpdateOneCoin(stats, w); break;
      }
    }
  }

  const double* likelihood() const { return likelihood_.data(); }
  // Padded to the stride with zeros.
  const std::vector<double>& prior() const { return prior_; }
  // The parameters before the last Update (zeros before the second one).
  const double* previous_likelihood() const { return previous_likelihood_.data(); }
  const double* previous_prior() const { return previous_prior_.data(); }

  // P(worker answers correctly) under the current parameters.
  std::vector<double> WorkerAccuracy() const {
    if (model_ == EmModel::kOneCoin) return accuracy_;
    std::vector<double> out(index_.num_workers, 0.0);
    for (int32_t w = 0; w < index_.num_workers; ++w) {
      double acc = 0.0;
      for (int k = 0; k < k_; ++k) acc += prior_[k] * Cell(w, k, k);
      out[w] = acc;
    }
    return out;
  }

 private:
  // likelihood of answer y given true class k for worker w.
  double& Cell(int32_t w, int y, int k) {
    return likelihood_[(static_cast<size_t>(w) * k_ + y) * stride_ + k];
  }
  double Cell(int32_t w, int y, int k) const {
    return likelihood_[(static_cast<size_t>(w) * k_ + y) * stride_ + k];
  }
  double Stat(const std::vector<double>& stats, int32_t w, int y, int k) const {
    return stats[(static_cast<size_t>(w) * k_ + y) * stride_ + k];
  }

  void UpdatePriors(const std::vector<double>& class_mass) {
    double sum = 0.0;
    for (int k = 0; k < k_; ++k) {
      if (model_ == EmModel::kDawidSkene) {
        // Maximum likelihood, floored so that no class becomes impossible.
        prior_[k] = std::max(class_mass[k] / std::max(answered_tasks_, 1.0), kDsFloor);
      } else {
        // §7.1 step 2: Laplace smoothing.
        prior_[k] = (class_mass[k] + 1.0) / (answered_tasks_ + k_);
      }
      sum += prior_[k];
    }
    for (int k = 0; k < k_; ++k) prior_[k] /= sum;
  }

  // Full confusion matrix of worker w: row k (true class) is a distribution
  // over answers y. For ML (kDawidSkene) the cells are the normalised
  // counts, zero cells floored at kDsFloor. For kDawidSkeneVb, diag / off are
  // Dirichlet pseudo-counts and the cell is exp(E[log theta]) under the
  // Dirichlet posterior (variational Bayes): exp(psi(alpha_ky) - psi(sum)).
  void UpdateConfusion(const std::vector<double>& stats, int32_t w, double diag, double off) {
    const double off_cell = k_ > 1 ? off / (k_ - 1) : 0.0;
    for (int k = 0; k < k_; ++k) {
      double den = 0.0;
      for (int y = 0; y < k_; ++y) {
        double c = Stat(stats, w, y, k) + (y == k ? diag : off_cell);
        if (c < kDsFloor) c = kDsFloor;
        Cell(w, y, k) = c;
        den += c;
      }
      if (model_ == EmModel::kDawidSkeneVb) {
        const double psi_den = Digamma(den);
        for (int y = 0; y < k_; ++y) Cell(w, y, k) = std::exp(Digamma(Cell(w, y, k)) - psi_den);
      } else {
        for (int y = 0; y < k_; ++y) Cell(w, y, k) /= den;
      }
    }
  }

  // §7.1 step 2: a_w = (sum of T_{i,y_iw} + A0) / (n_w + A0 + B0), clamped.
  void UpdateOneCoin(const std::vector<double>& stats, int32_t w) {
    double agree = 0.0;
    for (int y = 0; y < k_; ++y) agree += Stat(stats, w, y, y);
    double a = (agree + kOneCoinA0) / (index_.worker_answers[w] + kOneCoinA0 + kOneCoinB0);
    a = std::clamp(a, kMinAccuracy, kMaxAccuracy);
    accuracy_[w] = a;
    const double wrong = k_ > 1 ? (1.0 - a) / (k_ - 1) : 1.0;
    for (int y = 0; y < k_; ++y) {
      for (int k = 0; k < k_; ++k) Cell(w, y, k) = (k_ == 1 || y == k) ? (k_ == 1 ? 1.0 : a) : wrong;
    }
  }

  const TaskIndex& index_;
  EmModel model_;
  int k_;
  int stride_;
  double answered_tasks_ = 0.0;
  std::vector<double> likelihood_;
  std::vector<double> prior_;
  std::vector<double> previous_likelihood_;
  std::vector<double> previous_prior_;
  std::vector<double> accuracy_;
};

}  // namespace

TaskIndex BuildTaskIndex(const Problem& problem) {
  TaskIndex index;
  const int32_t task_count = problem.num_tasks;
  index.num_tasks = task_count;
  index.num_workers = problem.num_workers;
  index.num_classes = problem.num_classes;
  std::vector<int32_t> counts(task_count, 0);
  index.worker_answers.assign(problem.num_workers, 0);
  for (const Answer& a : problem.answers) {
    ++counts[a.task];
    ++index.worker_answers[a.worker];
  }
  // Positions: a stable counting sort of the tasks by answer count.
  const int32_t max_count = task_count > 0 ? *std::max_element(counts.begin(), counts.end()) : 0;
  std::vector<int32_t> bucket(static_cast<size_t>(max_count) + 2, 0);
  for (int32_t c : counts) ++bucket[c + 1];
  for (int32_t c = 0; c <= max_count; ++c) bucket[c + 1] += bucket[c];
  index.order.resize(task_count);
  std::vector<int32_t> position(task_count);
  for (int32_t t = 0; t < task_count; ++t) {
    position[t] = bucket[counts[t]]++;
    index.order[position[t]] = t;
  }
  index.offsets.assign(static_cast<size_t>(task_count) + 1, 0);
  for (int32_t p = 0; p < task_count; ++p) {
    index.offsets[p + 1] = index.offsets[p] + counts[index.order[p]];
    if (p == 0 || counts[index.order[p]] != counts[index.order[p - 1]]) {
      index.run_starts.push_back(p);
    }
  }
  index.run_starts.push_back(task_count);
  // Counting sort of the answers by position; stable.
  std::vector<int32_t> cursor(index.offsets.begin(), index.offsets.end() - 1);
  index.rows.resize(problem.answers.size());
  for (const Answer& a : problem.answers) {
    index.rows[cursor[position[a.task]]++] = a.worker * problem.num_classes + a.label;
  }
  if (static_cast<int64_t>(problem.num_workers) * problem.num_classes <= 65536) {
    index.rows16.assign(index.rows.begin(), index.rows.end());
  }
  return index;
}

std::vector<double> VoteShares(const Problem& problem, const TaskIndex& index) {
  const int k_count = index.num_classes;
  std::vector<double> shares(static_cast<size_t>(index.num_tasks) * k_count, 0.0);
  for (const Answer& a : problem.answers) {
    shares[static_cast<size_t>(a.task) * k_count + a.label] += 1.0;
  }
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    const int32_t n = index.answers_at(p);
    if (n == 0) continue;
    double* t = shares.data() + static_cast<size_t>(index.order[p]) * k_count;
    for (int k = 0; k < k_count; ++k) t[k] /= n;  // §7.1 step 1: T_ik = votes / |W_i|
  }
  return shares;
}

EmResult RunEm(const TaskIndex& index, EmModel model, const Options& options) {
  const int k_count = index.num_classes;
  const int stride = Stride(k_count);
  // Work on padded posteriors in position order, from the vote shares.
  // Buffers without zero-fill (every element is written before it is read):
  // for large jobs, zeroing and first-touch page faults are a visible part
  // of a call.
  const size_t padded_size = static_cast<size_t>(index.num_tasks) * stride;
  std::unique_ptr<double[]> posteriors(new double[padded_size]);
  EmResult result;
  Estimator estimator(index, model);
  std::vector<Chunk> chunks = MakeChunks(index);
  std::vector<int32_t> row_answers;

  InitialPass(index, posteriors.get(), chunks[0], row_answers);
  estimator.Update(chunks[0].stats, chunks[0].class_mass);
  // The summed statistics of the current pass and of the one before.
  std::vector<double> total(chunks[0].stats.size());
  std::vector<double> last_total(chunks[0].stats.size());
  last_total.swap(chunks[0].stats);  // chunk 0 gets zeros

  const int threads = std::clamp(options.num_threads, 1, static_cast<int>(chunks.size()));
  const int parts = static_cast<int>(chunks.size());
  const int64_t rows = static_cast<int64_t>(row_answers.size());
  std::vector<double> part_bound(parts);
  // The team's work, in parts of one kind at a time: an E-step pass over
  // every chunk (each writes only its chunk's statistics); the reduction of
  // the statistics, and the M-step, over ranges of rows and workers. The
  // parts are shared out to the team's threads as they come free.
  enum class Phase { kPass, kReduce, kUpdate };
  struct Setup {
    Phase phase = Phase::kPass;
    PassKind kind = PassKind::kBounded;
    const double* likelihood = nullptr;
    const double* prior = nullptr;
  } setup;
  Team team(threads, parts, [&](int part) {
    switch (setup.phase) {
      case Phase::kPass: {
        const EStepInput input{&index, setup.likelihood, setup.prior, posteriors.get()};
        EStep(input, setup.kind, chunks[part]);
        break;
      }
      case Phase::kReduce:
        part_bound[part] = ReduceRows(chunks, rows * part / parts, rows * (part + 1) / parts,
                                      row_answers, k_count, total, last_total);
        break;
      case Phase::kUpdate:
        estimator.UpdateWorkers(total, static_cast<int32_t>(index.num_workers * int64_t{part} / parts),
                                static_cast<int32_t>(index.num_workers * int64_t{part + 1} / parts));
        break;
    }
  });
  // Each Run() publishes `setup` to the helpers as it starts them.
  // `previous_parameters`: the pass of the parameters before the last Update.
  auto pass = [&](PassKind kind, bool previous_parameters = false) {
    setup.phase = Phase::kPass;
    setup.kind = kind;
    setup.likelihood = previous_parameters ? estimator.previous_likelihood()
                                           : estimator.likelihood();
    setup.prior = previous_parameters ? estimator.previous_prior() : estimator.prior().data();
    team.Run();
  };
  // Sums the pass's statistics into `total` and its class mass into chunk
  // 0's; returns the largest change a tracked pass saw and sets `bound`.
  double bound = 0.0;
  auto reduce = [&] {
    setup.phase = Phase::kReduce;
    team.Run();
    double max_delta = chunks[0].max_delta;
    bound = part_bound[0];
    for (int part = 1; part < parts; ++part) bound = std::max(bound, part_bound[part]);
    for (size_t c = 0; c < chunks.size(); ++c) {
      chunks[c].clean = true;
      if (c == 0) continue;
      max_delta = std::max(max_delta, chunks[c].max_delta);
      for (int k = 0; k < k_count; ++k) chunks[0].class_mass[k] += chunks[c].class_mass[k];
    }
    return max_delta;
  };
  // The stopping rule, max |delta T| < tolerance between successive passes,
  // needs every posterior of the pass before. Far from convergence a lower
  // bound read off the statistics already exceeds the tolerance, so the
  // passes leave the posteriors alone (kBounded). Once the bound cannot
  // tell, `posteriors` is made to hold the pass before (it still holds the
  // initial ones in the first iteration; later a pass of the parameters
  // before computes them) and every pass from then on tracks the change
  // exactly: the iterations and the result are those of tracking throughout.
  bool tracking = false;
  bool posteriors_are_initial = true;
  for (int iteration = 1; iteration <= options.max_iterations; ++iteration) {
    pass(tracking ? PassKind::kTracked : PassKind::kBounded);
    double max_delta = reduce();
    if (!tracking && bound < options.tolerance) {
      if (!posteriors_are_initial) pass(PassKind::kTracked, /*previous_parameters=*/true);
      // Again, now tracked: the same statistics, and the exact change (the
      // reduction is repeated: the first cleared the chunks' statistics).
      for (Chunk& chunk : chunks) chunk.clean = false;
      pass(PassKind::kTracked);
      max_delta = reduce();
      tracking = true;
    }
    posteriors_are_initial = false;
    result.iterations = iteration;
    if (tracking && max_delta < options.tolerance) {
      result.converged = true;
      break;
    }
    if (iteration < options.max_iterations) {
      estimator.BeginUpdate(chunks[0].class_mass);
      setup.phase = Phase::kUpdate;
      team.Run();
      last_total.swap(total);
    }
  }
  // The parameters are those of the last E-step. A tracked one left its
  // posteriors in place; else compute them (without any E-step the initial
  // posteriors stand).
  if (result.iterations > 0 && !tracking) pass(PassKind::kFinal);
  result.class_priors.assign(estimator.prior().begin(), estimator.prior().begin() + k_count);
  result.worker_accuracy = estimator.WorkerAccuracy();
  result.by_position = std::move(posteriors);
  result.stride = stride;
  return result;
}

std::vector<double> TaskOrderPosteriors(const TaskIndex& index, const EmResult& result) {
  const int k_count = index.num_classes;
  std::vector<double> out(static_cast<size_t>(index.num_tasks) * k_count);
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    const double* from = index.answers_at(p) > 0
                             ? result.by_position.get() + static_cast<int64_t>(p) * result.stride
                             : result.class_priors.data();
    std::copy_n(from, k_count, out.begin() + static_cast<int64_t>(index.order[p]) * k_count);
  }
  return out;
}

}  // namespace plumbline::consolidation::detail
