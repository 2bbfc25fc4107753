// Private to src/consolidation: the EM's inner kernels (the fused E-step
// and statistics pass, the vector ML M-step), shared by em.cpp's RunEm and
// kept in a translation unit of their own (em_kernels.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "consolidation/detail/em.hpp"

namespace plumbline::consolidation::detail {

// Floor of ML Dawid-Skene confusion cells and class priors: keeps a log-free
// E-step finite when a worker never gave some label (crowd-kit clips at eps).
constexpr double kDsFloor = 1e-12;

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
inline int Stride(int k_count) { return k_count == 3 ? 4 : k_count; }

// The parameters an E-step reads. Rows are `stride` doubles; padding lanes
// of `prior` are 0, so padded posterior lanes stay 0.
struct EStepInput {
  const TaskIndex* index;
  const double* likelihood;  // (W*K) x stride
  const double* prior;       // stride
  double* posteriors;        // T x stride; see PassKind
};

// One pass of kind `kind` over the tasks of `chunk` (statistics into chunk).
void EStep(const EStepInput& in, PassKind kind, Chunk& chunk);

// Dawid-Skene's ML confusion cells of workers [begin, end) from their
// statistics, a likelihood row being one vector of 2 or 4 lanes (stride 2, 4).
void MlConfusion2(const double* stats, double* cells, int k_count, int32_t begin, int32_t end);
void MlConfusion4(const double* stats, double* cells, int k_count, int32_t begin, int32_t end);

}  // namespace plumbline::consolidation::detail
