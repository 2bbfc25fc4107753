// The EM engine shared by the Dawid-Skene variants (spec §7.1 and the
// classic full-confusion model). One fused pass per iteration: for every
// task, the E-step computes the posterior from the current parameters and
// immediately adds it to the sufficient statistics of the next M-step, so the
// answers are streamed once per iteration.
//
// The stopping rule compares every posterior with the pass before, but until
// the EM nears convergence a bound from the statistics alone shows that some
// posterior moved by more than the tolerance; only then are the posteriors
// kept from pass to pass (see RunEm).
//
// The E-step and M-step kernels, in the linear domain and as vectors for
// K <= 4, are in em_kernels.cpp (detail/em_kernels.hpp).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "consolidation/detail/em.hpp"
#include "consolidation/detail/em_kernels.hpp"

namespace plumbline::consolidation::detail {
namespace {

// §7.1: Beta pseudo-counts of the one-coin worker accuracy and its clamp.
constexpr double kOneCoinA0 = 7.0;
constexpr double kOneCoinB0 = 3.0;
constexpr double kMinAccuracy = 0.01;
constexpr double kMaxAccuracy = 0.99;
// Answers per chunk of the E-step; the chunk count depends only on the input
// size so that the summation order, hence the result, ignores num_threads.
constexpr int64_t kAnswersPerChunk = 131072;
constexpr int kMaxChunks = 4;

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

using Doubles2 = double __attribute__((vector_size(16)));

// Stores the pair `v` at `to`, when `streaming` (`to` 16-byte aligned)
// without reading its cache line first or keeping it in cache.
inline void StorePair(double* to, Doubles2 v, bool streaming) {
#if defined(__SSE2__)
  if (streaming) {
    _mm_stream_pd(to, reinterpret_cast<__m128d>(v));
    return;
  }
#endif
  (void)streaming;
  std::memcpy(to, &v, sizeof v);
}

// The initialisation pass (§7.1 step 1), in position order: each position's
// vote shares T_ik = votes / |W_i|, padded to the stride, into `posteriors`
// (the same values as VoteShares; row % K is the label), and at once the
// statistics of those posteriors: stats[(w*K+y)*stride+k] = sum of T_ik over
// w's answers y, the class mass, and the number of those answers,
// row_answers[w*K+y]. The rows of a position are read once for both.
// This is the pass for K > 4 (InitialPassSmallK below for the others).
template <class Row>
void InitialPassAnyK(const TaskIndex& index, const Row* rows, double* posteriors, Chunk& out,
                     std::vector<int32_t>& row_answers) {
  const int k = index.num_classes;
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

// The same pass for K <= 4, with the same values: a position's votes are
// counted in one register (16 bits a class) instead of a chain of
// read-modify-writes of its posterior row, each share v / n is read from a
// table of those divisions (the same IEEE quotient, made once) for the
// usual small n, and a row (K padded to 2 or 4 lanes) is one vector. The
// posteriors are stored past the cache: no bounded pass reads them.
template <int kClasses, class Row>
void InitialPassSmallK(const TaskIndex& index, const Row* rows, double* posteriors, Chunk& out,
                       std::vector<int32_t>& row_answers) {
  static_assert(kClasses >= 2 && kClasses <= 4);
  // A row is one or two pairs of doubles: the width of the baseline target
  // this file is built for (wider vectors would be split through memory).
  constexpr int kStride = kClasses == 3 ? 4 : kClasses;
  constexpr int kPairs = kStride / 2;
  constexpr int32_t kTabled = 32;  // answers per task with shares in the table
  double share_of[kTabled + 1][kTabled + 1];
  for (int32_t n = 1; n <= kTabled; ++n) {
    for (int32_t v = 0; v <= n; ++v) share_of[n][v] = static_cast<double>(v) / n;
  }
  double* __restrict stats = out.stats.data();
  int32_t* __restrict counts = row_answers.data();
  // Rows of 2 or 4 doubles from a 16-byte aligned start (new[]'s blocks
  // are) are 16-byte aligned pairs.
  const bool streaming = reinterpret_cast<uintptr_t>(posteriors) % 16 == 0;
  Doubles2 mass[kPairs] = {};
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    const int32_t first = index.offsets[p];
    const int32_t n = index.offsets[p + 1] - first;
    Doubles2 t[kPairs] = {};
    if (n > 0 && n <= kTabled) {
      uint64_t votes = 0;
      for (int32_t j = first; j < first + n; ++j) votes += uint64_t{1} << (16 * (rows[j] % kClasses));
      // The pairs made of their lanes at once: lanes written one by one
      // through memory would stall the pair's load.
      const double* share = share_of[n];
      auto lane = [&](int c) { return c < kClasses ? share[(votes >> (16 * c)) & 0xFFFF] : 0.0; };
      for (int h = 0; h < kPairs; ++h) t[h] = Doubles2{lane(2 * h), lane(2 * h + 1)};
    } else if (n > 0) {
      double share[kStride] = {};
      for (int32_t j = first; j < first + n; ++j) share[rows[j] % kClasses] += 1.0;
      for (int c = 0; c < kClasses; ++c) share[c] /= n;
      std::memcpy(t, share, sizeof t);
    }
    double* row_out = posteriors + static_cast<int64_t>(p) * kStride;
    for (int h = 0; h < kPairs; ++h) StorePair(row_out + 2 * h, t[h], streaming);
    if (n == 0) continue;
    for (int h = 0; h < kPairs; ++h) mass[h] += t[h];
    for (int32_t j = first; j < first + n; ++j) {
      const int64_t row = rows[j];
      ++counts[row];
      double* cells = stats + row * kStride;
      for (int h = 0; h < kPairs; ++h) {
        Doubles2 c;
        std::memcpy(&c, cells + 2 * h, sizeof c);
        c += t[h];
        std::memcpy(cells + 2 * h, &c, sizeof c);
      }
    }
  }
#if defined(__SSE2__)
  _mm_sfence();  // the streaming stores are seen before the pass's end
#endif
  for (int c = 0; c < kClasses; ++c) out.class_mass[c] += mass[c / 2][c % 2];
}

template <class Row>
void InitialPassRows(const TaskIndex& index, const Row* rows, double* posteriors, Chunk& out,
                     std::vector<int32_t>& row_answers) {
  switch (index.num_classes) {  // a constant K makes row % K cheap
    case 2: return InitialPassSmallK<2>(index, rows, posteriors, out, row_answers);
    case 3: return InitialPassSmallK<3>(index, rows, posteriors, out, row_answers);
    case 4: return InitialPassSmallK<4>(index, rows, posteriors, out, row_answers);
    default: return InitialPassAnyK(index, rows, posteriors, out, row_answers);
  }
}

void InitialPass(const TaskIndex& index, double* posteriors, Chunk& out,
                 std::vector<int32_t>& row_answers) {
  std::fill(out.stats.begin(), out.stats.end(), 0.0);
  std::fill(out.class_mass.begin(), out.class_mass.end(), 0.0);
  row_answers.assign(out.stats.size() / Stride(index.num_classes), 0);
  index.WithRows([&](const auto* rows) {
    InitialPassRows(index, rows, posteriors, out, row_answers);
  });
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

std::optional<TaskIndex> BuildTaskIndex(const Problem& problem) {
  TaskIndex index;
  const int32_t task_count = problem.num_tasks;
  index.num_tasks = task_count;
  index.num_workers = problem.num_workers;
  index.num_classes = problem.num_classes;
  std::vector<int32_t> counts(task_count, 0);
  index.worker_answers.assign(problem.num_workers, 0);
  // The answers' ids are checked here, in the pass that reads them anyway
  // (unsigned: a negative id is a large one).
  const auto task_limit = static_cast<uint32_t>(task_count);
  const auto worker_limit = static_cast<uint32_t>(problem.num_workers);
  const auto class_limit = static_cast<uint32_t>(problem.num_classes);
  for (const Answer& a : problem.answers) {
    if ((static_cast<uint32_t>(a.task) >= task_limit) |
        (static_cast<uint32_t>(a.worker) >= worker_limit) |
        (static_cast<uint32_t>(a.label) >= class_limit)) [[unlikely]] {
      return std::nullopt;
    }
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
  // Counting sort of the answers by position (stable), each task's cursor
  // made in place of its position (fresh memory is dear).
  std::vector<int32_t>& cursor = position;
  for (int32_t t = 0; t < task_count; ++t) cursor[t] = index.offsets[position[t]];
  auto place = [&](auto& rows) {
    using Row = typename std::remove_reference_t<decltype(rows)>::value_type;
    rows.resize(problem.answers.size());
    for (const Answer& a : problem.answers) {
      rows[cursor[a.task]++] = static_cast<Row>(a.worker * problem.num_classes + a.label);
    }
  };
  if (static_cast<int64_t>(problem.num_workers) * problem.num_classes <= 65536) {
    place(index.rows16);
  } else {
    place(index.rows);
  }
  return index;
}

std::vector<double> VoteShares(const TaskIndex& index) {
  const int k_count = index.num_classes;
  std::vector<double> shares(static_cast<size_t>(index.num_tasks) * k_count, 0.0);
  index.WithRows([&](const auto* rows) {
    for (int32_t p = 0; p < index.num_tasks; ++p) {
      const int32_t first = index.offsets[p];
      const int32_t n = index.offsets[p + 1] - first;
      if (n == 0) continue;
      double* t = shares.data() + static_cast<size_t>(index.order[p]) * k_count;
      for (int32_t j = first; j < first + n; ++j) t[static_cast<int32_t>(rows[j]) % k_count] += 1.0;
      for (int k = 0; k < k_count; ++k) t[k] /= n;  // §7.1 step 1: T_ik = votes / |W_i|
    }
  });
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
