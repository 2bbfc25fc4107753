// Dispatch, label choice and the service helpers of consolidation.hpp.
#include "consolidation/consolidation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "consolidation/detail/em.hpp"

namespace plumbline::consolidation {
namespace {

// Posteriors closer than this are a tie: EM arithmetic in a different order
// can move exact ties by a few ulps, and the tie rules must still apply.
constexpr double kTieTolerance = 1e-12;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Picks the label of task `task` from its posterior row `t`: the largest
// posterior; among ties (§7.1 step 5) the class with more raw votes, then
// the lowest index or a seeded pseudo-random one. `rows` are the task's
// answers (worker * K + label); votes are only counted for a tie.
template <class Row>
int32_t ChooseLabel(const double* t, int k_count, std::span<const Row> rows, int32_t task,
                    const Options& options) {
  double best = t[0];
  int first_best = 0;
  int best_count = 0;
  for (int k = 1; k < k_count; ++k) {
    if (t[k] > best) {
      best = t[k];
      first_best = k;
    }
  }
  for (int k = 0; k < k_count; ++k) best_count += best - t[k] <= kTieTolerance;
  if (best_count == 1) return first_best;
  // Raw votes; a stack buffer for the usual small K.
  int32_t small_votes[32] = {};
  std::vector<int32_t> large_votes(k_count > 32 ? k_count : 0, 0);
  int32_t* votes = k_count > 32 ? large_votes.data() : small_votes;
  for (const Row r : rows) ++votes[static_cast<int32_t>(r) % k_count];
  int32_t best_votes = -1;
  for (int k = 0; k < k_count; ++k) {
    if (best - t[k] <= kTieTolerance) best_votes = std::max(best_votes, votes[k]);
  }
  auto is_tied = [&](int k) { return best - t[k] <= kTieTolerance && votes[k] == best_votes; };
  int tied_count = 0;
  int first_tied = -1;
  for (int k = 0; k < k_count; ++k) {
    if (!is_tied(k)) continue;
    if (first_tied < 0) first_tied = k;
    ++tied_count;
  }
  if (tied_count == 1 || options.tie_break == TieBreak::kLowestIndex) return first_tied;
  int pick = static_cast<int>(
      SplitMix64(options.seed ^ SplitMix64(static_cast<uint64_t>(task))) % tied_count);
  for (int k = 0; k < k_count; ++k) {
    if (is_tied(k) && pick-- == 0) return k;
  }
  return first_tied;
}

// `posteriors`: rows of `stride` doubles, by position (TaskIndex::order)
// when `by_position`, else by task. On one thread: two threads labelling
// halves of the positions write neighbouring tasks' labels (the positions
// interleave the tasks), which shares their cache lines.
void FillLabels(const detail::TaskIndex& index, const double* posteriors, int stride,
                bool by_position, const Options& options, Consolidation& out) {
  const int k_count = index.num_classes;
  out.tasks.assign(index.num_tasks, TaskLabel{});
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    const int32_t i = index.order[p];
    const int32_t first = index.offsets[p];
    const int32_t last = index.offsets[p + 1];
    TaskLabel& label = out.tasks[i];
    label.num_answers = last - first;
    if (first == last) continue;
    const double* t = posteriors + static_cast<int64_t>(by_position ? p : i) * stride;
    label.label = index.WithRows([&](const auto* rows) {
      return ChooseLabel(t, k_count, std::span(rows + first, rows + last), i, options);
    });
    label.confidence = t[label.label];
  }
}

// Validate's checks of the counts and sizes, before any answer is read.
std::optional<std::string> ValidateShape(const Problem& problem) {
  if (problem.num_tasks < 0) return "num_tasks is negative";
  if (problem.num_workers < 0) return "num_workers is negative";
  if (problem.num_classes < 1) return "num_classes must be at least 1";
  if (static_cast<int64_t>(problem.num_workers) * problem.num_classes > INT32_MAX) {
    return "num_workers * num_classes exceeds 2^31 - 1";
  }
  if (problem.answers.size() > static_cast<size_t>(INT32_MAX)) {
    return "more than 2^31 - 1 answers";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> Validate(const Problem& problem) {
  if (auto error = ValidateShape(problem)) return error;
  // One pass without branches (negative ids wrap to large unsigned ones);
  // the answer at fault is looked for only when there is one.
  const auto tasks = static_cast<uint32_t>(problem.num_tasks);
  const auto workers = static_cast<uint32_t>(problem.num_workers);
  const auto classes = static_cast<uint32_t>(problem.num_classes);
  bool any_out_of_range = false;
  for (const Answer& a : problem.answers) {
    any_out_of_range |= (static_cast<uint32_t>(a.task) >= tasks) |
                        (static_cast<uint32_t>(a.worker) >= workers) |
                        (static_cast<uint32_t>(a.label) >= classes);
  }
  if (!any_out_of_range) return std::nullopt;
  for (size_t n = 0; n < problem.answers.size(); ++n) {
    const Answer& a = problem.answers[n];
    const char* field = nullptr;
    if (a.task < 0 || a.task >= problem.num_tasks) field = "task";
    else if (a.worker < 0 || a.worker >= problem.num_workers) field = "worker";
    else if (a.label < 0 || a.label >= problem.num_classes) field = "label";
    if (field != nullptr) {
      return "answer " + std::to_string(n) + ": " + field + " out of range";
    }
  }
  return std::nullopt;
}

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kMajorityVote: return "majority";
    case Algorithm::kDawidSkene: return "dawid-skene";
    case Algorithm::kOneCoin: return "one-coin";
    case Algorithm::kDawidSkeneVb: return "dawid-skene-vb";
  }
  return "unknown";
}

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (Algorithm a : {Algorithm::kMajorityVote, Algorithm::kDawidSkene, Algorithm::kOneCoin,
                      Algorithm::kDawidSkeneVb}) {
    if (AlgorithmName(a) == name) return a;
  }
  return std::nullopt;
}

Consolidation Consolidate(const Problem& problem, const Options& options) {
  // The answers' ids are checked while the task index counts them; only a
  // problem that fails there is walked again, for the message.
  if (auto error = ValidateShape(problem)) throw std::invalid_argument(*error);
  if (options.max_iterations < 0) throw std::invalid_argument("max_iterations < 0");
  if (options.num_threads < 1) throw std::invalid_argument("num_threads < 1");

  std::optional<detail::TaskIndex> built = detail::BuildTaskIndex(problem);
  if (!built) throw std::invalid_argument(Validate(problem).value_or("an answer is out of range"));
  const detail::TaskIndex& index = *built;
  if (problem.answers_read) problem.answers_read();  // everything below reads the index
  const int k_count = problem.num_classes;
  Consolidation out;
  if (options.algorithm != Algorithm::kMajorityVote) {
    // The EM starts from the vote shares, which it computes in its own order,
    // and the labels are read off its own layout; the task-order table is
    // made only when asked for.
    const detail::EmModel model = options.algorithm == Algorithm::kDawidSkene
                                      ? detail::EmModel::kDawidSkene
                                  : options.algorithm == Algorithm::kOneCoin
                                      ? detail::EmModel::kOneCoin
                                      : detail::EmModel::kDawidSkeneVb;
    detail::EmResult em = detail::RunEm(index, model, options);
    FillLabels(index, em.by_position.get(), em.stride, /*by_position=*/true, options, out);
    if (options.keep_posteriors) out.posteriors = detail::TaskOrderPosteriors(index, em);
    out.class_priors = std::move(em.class_priors);
    out.worker_accuracy = std::move(em.worker_accuracy);
    out.iterations = em.iterations;
    out.converged = em.converged;
    return out;
  }
  std::vector<double> posteriors = detail::VoteShares(index);
  // The vote shares are the posteriors; the "prior" is their mean, so that
  // every algorithm fills the same fields.
  out.class_priors.assign(k_count, 0.0);
  int64_t answered = 0;
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    if (index.answers_at(p) == 0) continue;
    const int32_t i = index.order[p];
    ++answered;
    for (int k = 0; k < k_count; ++k) {
      out.class_priors[k] += posteriors[static_cast<int64_t>(i) * k_count + k];
    }
  }
  for (double& p : out.class_priors) p = answered > 0 ? p / answered : 1.0 / k_count;
  for (int32_t p = 0; p < index.num_tasks; ++p) {
    if (index.answers_at(p) != 0) continue;
    const int32_t i = index.order[p];
    std::copy(out.class_priors.begin(), out.class_priors.end(),
              posteriors.begin() + static_cast<int64_t>(i) * k_count);
  }
  FillLabels(index, posteriors.data(), k_count, /*by_position=*/false, options, out);
  if (options.keep_posteriors) out.posteriors = std::move(posteriors);
  return out;
}

// A one-object job: with one answer per worker, the worker accuracies stay
// near their prior, which gives the §7.1 worked values (0.97 / 0.84 ...).
TaskLabel ConsolidateObject(std::span<const int32_t> labels, int32_t num_classes,
                            Algorithm algorithm) {
  if (num_classes < 1) throw std::invalid_argument("num_classes must be at least 1");
  if (labels.empty()) return TaskLabel{};
  // In a fresh job each answer comes from a different worker.
  std::vector<Answer> answers;
  answers.reserve(labels.size());
  for (size_t n = 0; n < labels.size(); ++n) {
    answers.push_back(Answer{0, static_cast<int32_t>(n), labels[n]});
  }
  Problem problem{1, static_cast<int32_t>(labels.size()), num_classes, answers};
  Options options;
  options.algorithm = algorithm;
  TaskLabel out = Consolidate(problem, options).tasks[0];
  if (out.num_answers == 1) out.confidence = 0.0;  // §7.0: N_ans = 1 => confidence 0
  return out;
}

double RoundConfidence(double confidence) { return std::round(confidence * 100.0) / 100.0; }

JobConsolidator::JobConsolidator(int32_t num_classes, Algorithm algorithm)
    : num_classes_(num_classes) {
  if (num_classes < 1) throw std::invalid_argument("num_classes must be at least 1");
  options_.algorithm = algorithm;
}

void JobConsolidator::AddAnswer(int32_t task, int32_t worker, int32_t label) {
  if (task < 0 || worker < 0) throw std::invalid_argument("negative task or worker id");
  if (label < 0 || label >= num_classes_) throw std::invalid_argument("label out of range");
  answers_.push_back(Answer{task, worker, label});
  num_tasks_ = std::max(num_tasks_, task + 1);
  num_workers_ = std::max(num_workers_, worker + 1);
}

Consolidation JobConsolidator::ConsolidateAll() const {
  Problem problem{num_tasks_, num_workers_, num_classes_, answers_};
  return consolidation::Consolidate(problem, options_);
}

std::vector<TaskLabel> JobConsolidator::Consolidate(std::span<const int32_t> tasks) const {
  const Consolidation all = ConsolidateAll();
  std::vector<TaskLabel> out;
  out.reserve(tasks.size());
  for (int32_t task : tasks) {
    if (task < 0 || task >= num_tasks_) {
      out.push_back(TaskLabel{});
      continue;
    }
    TaskLabel label = all.tasks[task];
    if (label.num_answers == 1) label.confidence = 0.0;  // §7.0
    out.push_back(label);
  }
  return out;
}

}  // namespace plumbline::consolidation
