// Private to src/consolidation: the shared EM engine behind the Dawid-Skene
// variants. Not part of the public interface (see consolidation.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation::detail {

// The answers grouped by task (CSR), each answer reduced to its "row"
// worker * K + label. The tasks are laid out in "positions" ordered by
// answer count (then task id), so that the E-step's inner loops run the same
// number of times for long stretches of tasks (a varying trip count costs a
// branch misprediction per task). Grouping is stable: a task's answers keep
// their input order.
struct TaskIndex {
  int32_t num_tasks = 0;
  int32_t num_workers = 0;
  int32_t num_classes = 0;
  std::vector<int32_t> order;  // size T; the task id at each position
  // size T + 1; answers at position p: [offsets[p], offsets[p+1]). 32 bits:
  // Validate() caps the answer count at 2^31 - 1, and the E-step streams
  // this array every iteration.
  std::vector<int32_t> offsets;
  // Positions where the answer count changes, then T: positions
  // [run_starts[r], run_starts[r+1]) all have the same number of answers.
  std::vector<int32_t> run_starts;
  // The answers' rows worker * K + label, size N, in one of two widths:
  // 16 bits when W * K <= 65536 (rows16; rows is then empty), else 32 bits
  // (rows). The E-step streams them every iteration: half the bytes is less
  // memory traffic, and the array is made once, in the width it is read in.
  std::vector<int32_t> rows;
  std::vector<uint16_t> rows16;
  std::vector<int32_t> worker_answers;  // size W; answers per worker

  int32_t answers_at(int32_t position) const {
    return offsets[position + 1] - offsets[position];
  }
  // f(const Row* rows) with the rows in their width (Row: uint16_t or int32_t).
  template <class F>
  decltype(auto) WithRows(F&& f) const {
    return rows16.empty() ? f(rows.data()) : f(rows16.data());
  }
};

// std::nullopt when an answer's task, worker or label is out of range (the
// counts and sizes must be valid: Validate's checks before the answers).
std::optional<TaskIndex> BuildTaskIndex(const Problem& problem);

// The model that an EM run estimates. All variants share one parameter
// layout: likelihood[(w * K + y) * K + k] = P(worker w answers y | true k).
enum class EmModel { kDawidSkene, kOneCoin, kDawidSkeneVb };

struct EmResult {
  // The posteriors by position (TaskIndex::order), `stride` doubles a row
  // (K, or 4 for K = 3; padding lanes are 0). Rows of positions without
  // answers are not posteriors: such a task's posterior is the class prior.
  std::unique_ptr<double[]> by_position;
  int stride = 0;
  std::vector<double> class_priors;
  std::vector<double> worker_accuracy;
  int iterations = 0;
  bool converged = false;
};

// Runs EM from the vote shares (§7.1 step 1).
EmResult RunEm(const TaskIndex& index, EmModel model, const Options& options);

// EmResult's posteriors as T x K in task order (the prior for a task
// without answers).
std::vector<double> TaskOrderPosteriors(const TaskIndex& index, const EmResult& result);

// Vote shares (T x K, task order) of the index's answers; a task without
// answers gets an all-zero row.
std::vector<double> VoteShares(const TaskIndex& index);

}  // namespace plumbline::consolidation::detail
