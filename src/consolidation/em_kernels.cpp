// The EM's inner kernels: the fused E-step + statistics pass for every K
// (scalar) and for K <= 4 as GCC vectors, and the vector ML M-step.
//
// The E-step works in the linear domain (products of likelihoods, rescaled
// every few answers) instead of log-sum-exp: no exp/log in the inner loop.
// Every likelihood is floored well above 1e-30, so a product of
// kRescaleEvery factors cannot underflow a double.
//
// Speed: for K <= 4 the rows of the likelihood table, the statistics and the
// posteriors are padded to 2 or 4 doubles and processed as one GCC vector,
// compiled twice (AVX2 and baseline) with target_clones where available.
// Lane-wise IEEE operations in a fixed order (no FMA contraction in ISO
// mode) give bit-identical results on both paths and on the scalar path.
#include "consolidation/detail/em_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace plumbline::consolidation::detail {
namespace {

constexpr int kRescaleEvery = 8;

// Scalar E-step for any K (stride == K); what it writes besides the
// statistics depends on kKind (PassKind).
template <PassKind kKind, class Row>
void EStepScalarRows(const EStepInput& in, const Row* rows, Chunk& chunk) {
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
      const double* l = in.likelihood + static_cast<int64_t>(rows[j]) * k_count;
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
      double* s = chunk.stats.data() + static_cast<int64_t>(rows[j]) * k_count;
      for (int k = 0; k < k_count; ++k) s[k] += p[k];
    }
  }
  if (kFinal) return;
  chunk.class_mass = mass;
  chunk.max_delta = max_delta;
}

template <PassKind kKind>
void EStepScalar(const EStepInput& in, Chunk& chunk) {
  in.index->WithRows([&](const auto* rows) { EStepScalarRows<kKind>(in, rows, chunk); });
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
  // An if rather than TaskIndex::WithRows: a lambda would be a function of
  // its own, outside this function's target_clones (AVX2) copy.
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

}  // namespace

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

}  // namespace plumbline::consolidation::detail
