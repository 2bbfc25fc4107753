// Consolidation: infer one label per task from several workers' answers.
//
// Pure algorithms over plain structs. Nothing here knows about jobs, the store
// or the service; callers map their own ids (task / worker / label strings) to
// dense integers first:
//   tasks 0..T-1, workers 0..W-1, classes 0..K-1.
// Every algorithm returns, per task, the chosen class and a confidence that is
// the posterior probability of that class under the algorithm's model (for
// majority vote: the vote share). See spec/groundtruth-api.md §7.0-7.1 for the
// service rules that the helpers at the end of this file implement.
//
// Determinism: results depend only on the inputs (including the order of the
// answers, which fixes the floating-point summation order) and Options. Ties
// are broken by documented rules, never by unseeded randomness.
//
// Thread safety: free functions are reentrant and keep no global state.
// JobConsolidator is a plain value: use one per job, from one thread at a
// time (or guard it).
//
// Examples: tests/consolidation/consolidation_test.cpp and the data-driven
// cases in tests/consolidation/cases/.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace plumbline::consolidation {

// One worker's answer for one task. Several answers of the same worker for
// the same task are allowed and count as separate votes.
struct Answer {
  int32_t task = 0;    // 0 <= task < Problem::num_tasks
  int32_t worker = 0;  // 0 <= worker < Problem::num_workers
  int32_t label = 0;   // 0 <= label < Problem::num_classes
};

// The input of an algorithm. The answers are borrowed, not copied: they must
// outlive the call that receives the Problem.
struct Problem {
  int32_t num_tasks = 0;
  int32_t num_workers = 0;
  int32_t num_classes = 0;  // K >= 1
  std::span<const Answer> answers;
  // Optional: called once Consolidate has read `answers` for the last time
  // (as soon as its task index is built), so that a caller holding a large
  // table may free it and the algorithm's tables reuse its memory.
  std::function<void()> answers_read;
};

// Returns std::nullopt if `problem` is well formed, else a message naming the
// first offending answer (index and field) or count. Call it on untrusted
// input: Consolidate() treats a malformed Problem as a programmer error.
std::optional<std::string> Validate(const Problem& problem);

enum class Algorithm {
  // Plurality of votes; confidence = vote share of the chosen class.
  kMajorityVote,
  // Dawid & Skene (1979): one K x K confusion matrix per worker plus class
  // priors, maximum likelihood by EM, initialised from the vote shares. Zero
  // counts are floored at 1e-12 (as in common implementations, e.g.
  // crowd-kit). Can overfit workers with few answers.
  kDawidSkene,
  // The spec's Plumbline reference (§7.1): one accuracy per worker with a
  // Beta(7,3) prior, Laplace-smoothed class priors, accuracy clamped to
  // [0.01, 0.99]. What the built-in single-label task types use.
  kOneCoin,
  // Bayesian Dawid-Skene by variational EM (the "independent Bayesian
  // classifier combination" of Kim & Ghahramani 2012): a Dirichlet prior on
  // every confusion row (kVbDiagonalPrior pseudo-counts on the diagonal,
  // kVbOffDiagonalPrior spread over the others), Laplace class priors, and an
  // E-step that uses exp(E[log confusion]) so that workers with few answers
  // count less. Initialised from the vote shares. At least as accurate as
  // kDawidSkene on every dataset in data/crowd and better on the sparse one
  // (see tests/consolidation/accuracy_test.cpp); same cost per iteration.
  kDawidSkeneVb,
};

// Stable lower-case names used by the CLI and the test cases:
// "majority", "dawid-skene", "one-coin", "dawid-skene-vb".
std::string_view AlgorithmName(Algorithm algorithm);
// Inverse of AlgorithmName; std::nullopt for an unknown name.
std::optional<Algorithm> ParseAlgorithm(std::string_view name);

// Prior pseudo-counts of kDawidSkeneVb per confusion row (true class k):
// kVbDiagonalPrior for answering k, kVbOffDiagonalPrior / (K - 1) for each
// other answer, i.e. a prior mean accuracy of 2/3 worth 1.5 answers.
inline constexpr double kVbDiagonalPrior = 1.0;
inline constexpr double kVbOffDiagonalPrior = 0.5;

// How the remaining ties are broken after the algorithm's own rule (EM
// algorithms first prefer the class with more raw votes, §7.1 step 5).
enum class TieBreak {
  kLowestIndex,   // the lowest class index wins (the spec's rule)
  kSeededRandom,  // a pseudo-random tied class, a pure function of (seed, task)
};

struct Options {
  Algorithm algorithm = Algorithm::kOneCoin;
  // EM stops after this many E-steps, or earlier once no posterior moved by
  // more than `tolerance` (max |delta T|) in one iteration (§7.1 step 4).
  // The previous posteriors are kept as floats for this test, so it errs by
  // at most 6e-8; the returned posteriors are full doubles. tolerance <= 0
  // runs exactly max_iterations E-steps.
  int max_iterations = 100;
  double tolerance = 1e-6;
  TieBreak tie_break = TieBreak::kLowestIndex;
  uint64_t seed = 0;  // only used by TieBreak::kSeededRandom
  // If true, Consolidation::posteriors is filled (T*K doubles).
  bool keep_posteriors = false;
  // Threads used by the EM loop (>= 1). The work is split into a number of
  // chunks that depends only on the input size, so the result is
  // bit-identical for any thread count.
  int num_threads = 1;
};

// The consolidated label of one task.
struct TaskLabel {
  int32_t label = -1;       // chosen class, or -1 if the task has no answers
  double confidence = 0.0;  // posterior of `label` in [0, 1]; 0 if no answers
  int32_t num_answers = 0;  // answers seen for this task
};

// The result of Consolidate(). Owned by the caller.
struct Consolidation {
  std::vector<TaskLabel> tasks;  // indexed by task id, size num_tasks
  // Row-major num_tasks x num_classes posteriors, only if keep_posteriors.
  // A task without answers has the class priors as its row.
  std::vector<double> posteriors;
  // Estimated class priors (size K); for kMajorityVote the mean vote share.
  std::vector<double> class_priors;
  // Estimated probability that each worker answers correctly (size W):
  // a_w for kOneCoin, sum_k prior_k * confusion_w[k][k] for the Dawid-Skene
  // variants, empty for kMajorityVote. Workers without answers keep their
  // prior mean (0.7 for kOneCoin).
  std::vector<double> worker_accuracy;
  int iterations = 0;      // E-steps run (0 for kMajorityVote)
  bool converged = true;   // false if EM stopped at max_iterations
};

// Runs `options.algorithm` on `problem`. Returns one TaskLabel per task.
// Precondition: Validate(problem) is std::nullopt and options are sane
// (max_iterations >= 0, num_threads >= 1); otherwise throws
// std::invalid_argument (a programmer error, not an expected failure).
// Cost: O(iterations * answers * K) time, O((T + W*K) * K) extra memory.
Consolidation Consolidate(const Problem& problem, const Options& options);

// ---------------------------------------------------------------------------
// Service helpers (spec §7.0 / §7.1). They apply the service rules on top of
// the algorithms: a task with exactly one answer gets confidence 0, and the
// raw posterior is returned unrounded (round with RoundConfidence when
// writing output).

// Consolidates the answers of one object in a fresh job (S = {object}).
// `labels` are the class indexes of the answers, in arrival order. Returns
// label -1 / confidence 0 for an empty list. Precondition: every label is in
// [0, num_classes) and num_classes >= 1; otherwise throws
// std::invalid_argument.
TaskLabel ConsolidateObject(std::span<const int32_t> labels, int32_t num_classes,
                            Algorithm algorithm = Algorithm::kOneCoin);

// Rounds a confidence to 2 decimals, as written into output manifests.
double RoundConfidence(double confidence);

// Job-wide incremental consolidation: the job's answers accumulate across
// batches, and each call re-estimates the worker statistics over every
// answer so far (S = all objects consolidated so far plus the current batch)
// before labelling the requested tasks. Labels returned earlier are never
// revised by this class; the caller writes each task's label once.
class JobConsolidator {
 public:
  explicit JobConsolidator(int32_t num_classes, Algorithm algorithm = Algorithm::kOneCoin);

  // Records one answer. Ids are dense and may grow: a new task or worker id
  // extends the job. Throws std::invalid_argument on a negative id or a label
  // outside [0, num_classes).
  void AddAnswer(int32_t task, int32_t worker, int32_t label);

  // Runs the algorithm over all answers recorded so far and returns the
  // labels of `tasks` (same order). A task with one answer has confidence
  // 0; an unknown task or one without answers has label -1.
  std::vector<TaskLabel> Consolidate(std::span<const int32_t> tasks) const;

  // Runs the algorithm over everything recorded so far and returns the full
  // result, without the single-answer rule (diagnostics, worker statistics).
  Consolidation ConsolidateAll() const;

  size_t num_answers() const { return answers_.size(); }

 private:
  Options options_;
  int32_t num_classes_;
  int32_t num_tasks_ = 0;
  int32_t num_workers_ = 0;
  std::vector<Answer> answers_;
};

// ---------------------------------------------------------------------------
// Multi-label classification (spec §7.2; multi_label.cpp). Each class is its
// own yes/no question per task, decided from every worker's answer with the
// worker's reliability: a "two-coin" model, one sensitivity (P(worker ticks c
// | c present)) and one specificity (P(worker leaves c | c absent)) per
// worker, shared by all classes, and one prevalence per class, fitted by EM
// over all answers. Two coins rather than the spec's one: with few classes
// present per task, one accuracy per worker is dominated by the agreed
// absences and makes every tick look reliable (overconfident presences);
// separate coins keep the probabilities calibrated (see
// tests/consolidation/multi_label_test.cpp).

// One worker's answer for one task: the classes they ticked (any order,
// duplicates ignored). An empty set says "none of the classes".
struct LabelSetAnswer {
  int32_t task = 0;
  int32_t worker = 0;
  std::vector<int32_t> labels;
};

struct MultiLabelOptions {
  // Beta prior pseudo-counts on every worker's sensitivity and specificity:
  // prior means 0.7 and 0.9, each worth 10 answers, so that workers with few
  // answers stay near the prior.
  double sensitivity_prior_a = 7, sensitivity_prior_b = 3;
  double specificity_prior_a = 9, specificity_prior_b = 1;
  int max_iterations = 100;
  double tolerance = 1e-6;  // stops once no presence moved by more than this
};

struct MultiLabelResult {
  int32_t num_classes = 0;
  std::vector<double> presence;      // tasks x classes, row-major: P(class present)
  std::vector<int32_t> votes;        // tasks x classes: workers who ticked it
  std::vector<int32_t> num_answers;  // per task
  std::vector<double> sensitivity;   // per worker
  std::vector<double> specificity;   // per worker
  std::vector<double> prevalence;    // per class
  int iterations = 0;
  bool converged = true;
  double Presence(int32_t task, int32_t c) const {
    return presence[static_cast<size_t>(task) * num_classes + c];
  }
  int32_t Votes(int32_t task, int32_t c) const {
    return votes[static_cast<size_t>(task) * num_classes + c];
  }
};

// Fits the model to every answer. Throws std::invalid_argument on an id or
// class out of range (a programmer error). A task without answers keeps the
// class prevalences as its presences.
MultiLabelResult ConsolidateMultiLabel(int32_t num_tasks, int32_t num_workers, int32_t num_classes,
                                       std::span<const LabelSetAnswer> answers,
                                       const MultiLabelOptions& options = {});

// Per-class majority vote, the baseline: present when more than half of the
// task's answers ticked it. Same shape as ConsolidateMultiLabel's presences
// (1 or 0; a task without answers has 0).
std::vector<double> MajorityMultiLabel(int32_t num_tasks, int32_t num_classes,
                                       std::span<const LabelSetAnswer> answers);

// ---------------------------------------------------------------------------
// Text spans, named entity recognition (spec §7.5; spans.cpp). Each
// document's spans are grouped across workers by overlap (agglomerative, the
// best Jaccard pair of cluster representatives first, at least 0.5, never two
// spans of one worker in a cluster); a group is kept when its workers carry
// at least half of the answering workers' weight; its boundaries are the
// members' mode (a value more frequent than every other, seen at least
// twice) or else their lower median; its label is the weighted vote of the
// members; its confidence is the chosen label's weight share of the
// answering workers times the members' mean Jaccard with the result. Worker
// weights are their reliability across all documents (a smoothed F1 of
// their spans against the consolidated ones), re-estimated a few rounds.

// A worker's span: half-open [start, end) in any unit (Ground Truth: code
// points), label a class index.
struct LabeledSpan {
  int64_t start = 0;
  int64_t end = 0;
  int32_t label = 0;
};

// One worker's answer for one document (possibly no spans).
struct SpanAnswer {
  int32_t worker = 0;
  std::vector<LabeledSpan> spans;
};

struct SpanDocument {
  std::vector<SpanAnswer> answers;
  uint64_t seed = 0;  // breaks label ties pseudo-randomly, reproducibly
};

struct ConsolidatedSpan {
  int64_t start = 0;
  int64_t end = 0;
  int32_t label = 0;
  double confidence = 0;  // unrounded; the service writes 0 for one answer
  int32_t support = 0;    // workers in the group
};

struct SpanOptions {
  double min_jaccard = 0.5;
  // Rounds of reliability estimation; 0: every worker weighs 1 (the spec's
  // unweighted reference).
  int reliability_rounds = 2;
  // Smoothing of a worker's F1: (2 TP + a) / (2 TP + FP + FN + a + b).
  double reliability_prior_a = 7, reliability_prior_b = 3;
};

struct SpanResult {
  std::vector<std::vector<ConsolidatedSpan>> documents;  // sorted by start, end, label
  std::vector<double> worker_weight;                     // per worker id
};

// Consolidates every document (worker ids dense in [0, num_workers)).
SpanResult ConsolidateSpans(std::span<const SpanDocument> documents, int32_t num_workers,
                            const SpanOptions& options = {});

// Jaccard of two half-open intervals over their positions (0 when disjoint
// or either is empty).
double SpanJaccard(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end);

// ------------------------------------------------------------------ boxes
// Bounding-box consolidation (BoundingBox, AdjustmentBoundingBox; spec §7.3).
// Each image's boxes are grouped across workers by overlap (agglomerative:
// the pair of groups whose representative boxes have the highest IoU, at
// least min_iou, merges first; never two boxes of one worker in a group);
// labels are ignored while grouping, so a box two workers label differently
// is still one object. A group's representative is the mean of its members'
// edges weighted by their workers' reliability. A group is kept when its
// workers carry at least half of the answering workers' weight; its label is
// the members' weighted vote (ties broken pseudo-randomly from the image's
// seed); its confidence is the chosen label's weight share of the answering
// workers times the members' mean IoU with the result. Worker weights are
// their reliability across all images (a smoothed F1 of their boxes against
// the consolidated ones: same label, IoU >= min_iou), re-estimated a few
// rounds. Grouping uses a queue of candidate pairs, so an image with n boxes
// costs about n^2 IoUs, not n^3.

// A worker's box in pixels (x right, y down); label a class index.
struct Box {
  double left = 0, top = 0, width = 0, height = 0;
  int32_t label = 0;
};

struct BoxAnswer {
  int32_t worker = 0;
  std::vector<Box> boxes;  // boxes with width or height <= 0 are ignored
};

struct BoxImage {
  std::vector<BoxAnswer> answers;
  uint64_t seed = 0;  // breaks label ties pseudo-randomly, reproducibly
};

struct ConsolidatedBox {
  Box box;
  double confidence = 0;  // unrounded; the service writes 0 for one answer
  int32_t support = 0;    // workers in the group
};

struct BoxOptions {
  double min_iou = 0.5;
  // Rounds of reliability estimation; 0: every worker weighs 1.
  int reliability_rounds = 2;
  // Smoothing of a worker's F1: (2 TP + a) / (2 TP + FP + FN + a + b).
  double reliability_prior_a = 7, reliability_prior_b = 3;
};

struct BoxResult {
  // Per image, sorted by label, then top, then left.
  std::vector<std::vector<ConsolidatedBox>> images;
  std::vector<double> worker_weight;  // per worker id
};

// Consolidates every image (worker ids dense in [0, num_workers)); throws
// std::invalid_argument for a worker id out of range.
BoxResult ConsolidateBoxes(std::span<const BoxImage> images, int32_t num_workers,
                           const BoxOptions& options = {});

// Intersection over union of two boxes (0 when disjoint or either is empty).
double BoxIoU(const Box& a, const Box& b);

// ------------------------------------------------------------------ masks
// Semantic segmentation masks (SemanticSegmentation; spec §7.4): every pixel
// is a weighted vote of the workers' classes; each class's votes are
// smoothed with the 3x3 kernel [[1,2,1],[2,4,2],[1,2,1]] / 16 (edges
// replicated) so that a pixel also hears its neighbours; the pixel takes the
// class with the most smoothed votes (ties: the larger raw vote, then
// background, then the lower class). Pixels whose neighbourhood every worker
// gives one class (most of an image) take a shortcut.

struct MaskVote {
  int32_t width = 0, height = 0;
  int32_t num_classes = 0;             // classes 0 (background) .. num_classes - 1
  std::vector<const uint8_t*> masks;   // one per worker, width * height class indices
  std::vector<double> weights;         // one per worker (empty: all 1)
};

struct MaskResult {
  std::vector<uint8_t> labels;  // width * height
  // Mean over pixels of the chosen class's smoothed vote share (0 with one
  // worker, as Ground Truth writes a single answer).
  double confidence = 0;
};

// Throws std::invalid_argument for sizes or classes out of range.
MaskResult VoteMasks(const MaskVote& vote);

}  // namespace plumbline::consolidation
