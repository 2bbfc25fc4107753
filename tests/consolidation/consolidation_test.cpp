// Unit tests of consolidation.hpp: each algorithm, the tie rules, degenerate
// inputs and the service helpers. Data-driven cases live in golden_test.cpp.
#include "consolidation/consolidation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "consolidation/detail/em.hpp"

namespace plumbline::consolidation {
namespace {

constexpr Algorithm kAll[] = {Algorithm::kMajorityVote, Algorithm::kDawidSkene,
                              Algorithm::kOneCoin, Algorithm::kDawidSkeneVb};
constexpr Algorithm kEm[] = {Algorithm::kDawidSkene, Algorithm::kOneCoin,
                             Algorithm::kDawidSkeneVb};

Options With(Algorithm algorithm) {
  Options options;
  options.algorithm = algorithm;
  options.keep_posteriors = true;
  return options;
}

// A seeded synthetic job: every worker has a one-coin accuracy in [0.55, 0.95].
std::vector<Answer> Synthetic(int32_t tasks, int32_t workers, int32_t classes, int per_task,
                              std::vector<int32_t>* truth, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> accuracy(workers);
  for (double& a : accuracy) a = 0.55 + 0.4 * unit(rng);
  std::vector<Answer> answers;
  truth->assign(tasks, 0);
  for (int32_t t = 0; t < tasks; ++t) {
    (*truth)[t] = static_cast<int32_t>(rng() % classes);
    for (int n = 0; n < per_task; ++n) {
      const int32_t w = static_cast<int32_t>(rng() % workers);
      int32_t label = (*truth)[t];
      if (unit(rng) > accuracy[w]) label = (label + 1 + static_cast<int32_t>(rng() % (classes - 1))) % classes;
      answers.push_back({t, w, label});
    }
  }
  return answers;
}

TEST(ConsolidationTest, AlgorithmNamesRoundTrip) {
  for (Algorithm a : kAll) EXPECT_EQ(ParseAlgorithm(AlgorithmName(a)), a);
  EXPECT_EQ(ParseAlgorithm("dawid-skene"), Algorithm::kDawidSkene);
  EXPECT_FALSE(ParseAlgorithm("Majority").has_value());
  EXPECT_FALSE(ParseAlgorithm("").has_value());
}

TEST(ConsolidationTest, ValidateNamesTheOffendingAnswer) {
  const std::vector<Answer> answers = {{0, 0, 0}, {1, 0, 2}};
  EXPECT_EQ(Validate({2, 1, 3, answers}), std::nullopt);
  EXPECT_EQ(Validate({2, 1, 2, answers}), "answer 1: label out of range");
  EXPECT_EQ(Validate({1, 1, 3, answers}), "answer 1: task out of range");
  EXPECT_EQ(Validate({2, 0, 3, answers}), "answer 0: worker out of range");
  EXPECT_EQ(Validate({2, 1, 0, {}}), "num_classes must be at least 1");
  EXPECT_THROW(Consolidate({2, 1, 2, answers}, Options{}), std::invalid_argument);
  Options bad;
  bad.num_threads = 0;
  EXPECT_THROW(Consolidate({2, 1, 3, answers}, bad), std::invalid_argument);
}

TEST(ConsolidationTest, EmptyProblem) {
  for (Algorithm a : kAll) {
    const Consolidation r = Consolidate({0, 0, 3, {}}, With(a));
    EXPECT_TRUE(r.tasks.empty());
    EXPECT_EQ(r.class_priors.size(), 3u);
  }
}

TEST(ConsolidationTest, TaskWithoutAnswersHasNoLabel) {
  const std::vector<Answer> answers = {{0, 0, 1}, {0, 1, 1}};
  for (Algorithm a : kAll) {
    const Consolidation r = Consolidate({2, 2, 2, answers}, With(a));
    ASSERT_EQ(r.tasks.size(), 2u) << AlgorithmName(a);
    EXPECT_EQ(r.tasks[0].label, 1);
    EXPECT_EQ(r.tasks[0].num_answers, 2);
    EXPECT_EQ(r.tasks[1].label, -1);
    EXPECT_EQ(r.tasks[1].confidence, 0.0);
    EXPECT_EQ(r.tasks[1].num_answers, 0);
    // The posterior row of the empty task is the class prior.
    EXPECT_DOUBLE_EQ(r.posteriors[2], r.class_priors[0]);
    EXPECT_DOUBLE_EQ(r.posteriors[3], r.class_priors[1]);
  }
}

TEST(ConsolidationTest, SingleClassIsCertain) {
  const std::vector<Answer> answers = {{0, 0, 0}, {1, 1, 0}, {1, 0, 0}};
  for (Algorithm a : kAll) {
    const Consolidation r = Consolidate({2, 2, 1, answers}, With(a));
    for (const TaskLabel& t : r.tasks) {
      EXPECT_EQ(t.label, 0) << AlgorithmName(a);
      EXPECT_DOUBLE_EQ(t.confidence, 1.0) << AlgorithmName(a);
    }
  }
}

TEST(ConsolidationTest, MajorityVoteSharesAndLowestIndexTie) {
  const std::vector<Answer> answers = {{0, 0, 2}, {0, 1, 2}, {0, 2, 0},  // 2 wins 2/3
                                       {1, 0, 1}, {1, 1, 0}};            // 0-1 tie
  const Consolidation r = Consolidate({2, 3, 3, answers}, With(Algorithm::kMajorityVote));
  EXPECT_EQ(r.tasks[0].label, 2);
  EXPECT_DOUBLE_EQ(r.tasks[0].confidence, 2.0 / 3.0);
  EXPECT_EQ(r.tasks[1].label, 0);
  EXPECT_DOUBLE_EQ(r.tasks[1].confidence, 0.5);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_TRUE(r.worker_accuracy.empty());
}

TEST(ConsolidationTest, SeededTieBreakIsDeterministicAndSpreads) {
  // 200 tasks, each a 1-1 tie between classes 0 and 1.
  std::vector<Answer> answers;
  for (int32_t t = 0; t < 200; ++t) {
    answers.push_back({t, 0, 0});
    answers.push_back({t, 1, 1});
  }
  Options options = With(Algorithm::kMajorityVote);
  options.tie_break = TieBreak::kSeededRandom;
  options.seed = 42;
  const Consolidation a = Consolidate({200, 2, 2, answers}, options);
  const Consolidation b = Consolidate({200, 2, 2, answers}, options);
  int ones = 0;
  for (int32_t t = 0; t < 200; ++t) {
    EXPECT_EQ(a.tasks[t].label, b.tasks[t].label);
    ones += a.tasks[t].label;
  }
  EXPECT_GT(ones, 60);
  EXPECT_LT(ones, 140);
  options.seed = 43;
  const Consolidation c = Consolidate({200, 2, 2, answers}, options);
  int differ = 0;
  for (int32_t t = 0; t < 200; ++t) differ += a.tasks[t].label != c.tasks[t].label;
  EXPECT_GT(differ, 0);
}

TEST(ConsolidationTest, EmTieFallsBackToLowestIndex) {
  // Two workers with identical histories disagree on task 2: a perfect tie.
  const std::vector<Answer> answers = {{0, 0, 0}, {0, 1, 0}, {1, 0, 1}, {1, 1, 1},
                                       {2, 0, 1}, {2, 1, 0}};
  for (Algorithm a : kEm) {
    const Consolidation r = Consolidate({3, 2, 2, answers}, With(a));
    EXPECT_EQ(r.tasks[2].label, 0) << AlgorithmName(a);
    EXPECT_NEAR(r.tasks[2].confidence, 0.5, 1e-9) << AlgorithmName(a);
  }
}

TEST(ConsolidationTest, PosteriorsAreDistributions) {
  std::vector<int32_t> truth;
  const std::vector<Answer> answers = Synthetic(500, 40, 3, 5, &truth);
  for (Algorithm a : kAll) {
    const Consolidation r = Consolidate({500, 40, 3, answers}, With(a));
    for (int32_t t = 0; t < 500; ++t) {
      double sum = 0.0;
      for (int k = 0; k < 3; ++k) sum += r.posteriors[t * 3 + k];
      EXPECT_NEAR(sum, 1.0, 1e-9);
      EXPECT_DOUBLE_EQ(r.tasks[t].confidence, r.posteriors[t * 3 + r.tasks[t].label]);
    }
  }
}

TEST(ConsolidationTest, DawidSkeneLearnsAnAdversarialWorker) {
  // Workers 0 and 1 are right, worker 2 always answers the other class and
  // worker 3 always agrees with worker 2: majority vote ties or errs, the
  // confusion matrices recover the truth.
  std::vector<Answer> answers;
  for (int32_t t = 0; t < 40; ++t) {
    const int32_t truth = t % 2;
    answers.push_back({t, 0, truth});
    if (t % 4 != 0) answers.push_back({t, 1, truth});
    answers.push_back({t, 2, 1 - truth});
  }
  const Consolidation r = Consolidate({40, 3, 2, answers}, With(Algorithm::kDawidSkene));
  for (int32_t t = 0; t < 40; ++t) EXPECT_EQ(r.tasks[t].label, t % 2) << t;
  EXPECT_LT(r.worker_accuracy[2], 0.01);
  EXPECT_GT(r.worker_accuracy[0], 0.99);
  EXPECT_TRUE(r.converged);
}

TEST(ConsolidationTest, EmBeatsMajorityOnSyntheticData) {
  std::vector<int32_t> truth;
  const std::vector<Answer> answers = Synthetic(3000, 60, 4, 5, &truth, 11);
  double accuracy[4] = {};
  for (int n = 0; n < 4; ++n) {
    const Consolidation r = Consolidate({3000, 60, 4, answers}, With(kAll[n]));
    for (int32_t t = 0; t < 3000; ++t) accuracy[n] += r.tasks[t].label == truth[t];
  }
  for (int n = 1; n < 4; ++n) EXPECT_GT(accuracy[n], accuracy[0]) << AlgorithmName(kAll[n]);
}

TEST(ConsolidationTest, DeterministicAndThreadCountIndependent) {
  std::vector<int32_t> truth;
  // > 2 * 131072 answers so that the E-step is split into several chunks.
  const std::vector<Answer> answers = Synthetic(60000, 300, 3, 5, &truth, 3);
  for (Algorithm a : kEm) {
    Options one = With(a);
    one.max_iterations = 3;
    const Consolidation x = Consolidate({60000, 300, 3, answers}, one);
    const Consolidation z = Consolidate({60000, 300, 3, answers}, one);
    EXPECT_EQ(x.posteriors, z.posteriors) << AlgorithmName(a);
    // Chunks go to whichever thread is free, so which thread runs which
    // chunk changes from pass to pass; more threads than chunks leaves some
    // idle. None of it may change a bit of the result.
    for (int threads : {2, 3, 4, 16}) {
      Options many = one;
      many.num_threads = threads;
      for (int repeat = 0; repeat < 3; ++repeat) {
        const Consolidation y = Consolidate({60000, 300, 3, answers}, many);
        EXPECT_EQ(x.posteriors, y.posteriors) << AlgorithmName(a) << " threads=" << threads;
        EXPECT_EQ(x.worker_accuracy, y.worker_accuracy) << AlgorithmName(a);
        EXPECT_EQ(x.class_priors, y.class_priors) << AlgorithmName(a);
        // The labels too (chosen on two threads from 50,000 tasks).
        ASSERT_EQ(x.tasks.size(), y.tasks.size());
        for (size_t t = 0; t < x.tasks.size(); ++t) {
          ASSERT_EQ(x.tasks[t].label, y.tasks[t].label) << AlgorithmName(a) << " task " << t;
          ASSERT_EQ(x.tasks[t].confidence, y.tasks[t].confidence) << AlgorithmName(a);
          ASSERT_EQ(x.tasks[t].num_answers, y.tasks[t].num_answers) << AlgorithmName(a);
        }
      }
    }
  }
}

// Problem::answers_read: called once, after which the answers are not read
// again (the consolidate command frees them there). Scribbling over them in
// the callback must leave every bit of the result as it is.
TEST(ConsolidationTest, AnswersReadIsCalledOnceAndTheAnswersAreNotReadAfterIt) {
  std::vector<int32_t> truth;
  const std::vector<Answer> answers = Synthetic(2000, 40, 3, 5, &truth, 5);
  for (Algorithm a : kAll) {
    const Consolidation expected = Consolidate({2000, 40, 3, answers}, With(a));
    std::vector<Answer> scratch = answers;
    int calls = 0;
    Problem problem{2000, 40, 3, scratch};
    problem.answers_read = [&] {
      ++calls;
      for (Answer& answer : scratch) answer = Answer{0, 0, 2};
    };
    const Consolidation got = Consolidate(problem, With(a));
    EXPECT_EQ(calls, 1) << AlgorithmName(a);
    EXPECT_EQ(got.posteriors, expected.posteriors) << AlgorithmName(a);
    ASSERT_EQ(got.tasks.size(), expected.tasks.size());
    for (size_t t = 0; t < got.tasks.size(); ++t) {
      ASSERT_EQ(got.tasks[t].label, expected.tasks[t].label) << AlgorithmName(a) << " task " << t;
      ASSERT_EQ(got.tasks[t].num_answers, expected.tasks[t].num_answers);
    }
  }
}

// The E-step reads 16-bit answer rows when workers x classes fit in them and
// 32-bit ones otherwise. Workers without answers change no posterior, so
// padding the worker count past 65,536 rows takes the 32-bit path over the
// same answers: every bit of the result must be the same.
TEST(ConsolidationTest, SixteenAndThirtyTwoBitRowsAgree) {
  for (int32_t classes : {2, 3, 4, 5}) {
    std::vector<int32_t> truth;
    const std::vector<Answer> answers = Synthetic(4000, 300, classes, 5, &truth, 5);
    const int32_t padded_workers = 65536 / classes + 1;
    for (Algorithm a : kEm) {
      const Consolidation narrow = Consolidate({4000, 300, classes, answers}, With(a));
      const Consolidation wide = Consolidate({4000, padded_workers, classes, answers}, With(a));
      EXPECT_EQ(narrow.posteriors, wide.posteriors) << AlgorithmName(a) << " K=" << classes;
      EXPECT_EQ(narrow.class_priors, wide.class_priors) << AlgorithmName(a);
      EXPECT_EQ(narrow.iterations, wide.iterations) << AlgorithmName(a);
      ASSERT_EQ(wide.worker_accuracy.size(), static_cast<size_t>(padded_workers));
      EXPECT_TRUE(std::equal(narrow.worker_accuracy.begin(), narrow.worker_accuracy.end(),
                             wide.worker_accuracy.begin()))
          << AlgorithmName(a);
    }
  }
}

// The task index in both row widths: positions by answer count, a task's
// rows its answers in input order, the same rows in 16 and 32 bits; answers
// in random task order, some tasks without answers.
TEST(ConsolidationTest, TaskIndexHoldsEachTasksAnswersInInputOrderInEitherWidth) {
  std::mt19937_64 rng(17);
  std::vector<Answer> answers(30000);
  for (Answer& a : answers) {
    a = Answer{static_cast<int32_t>(rng() % 7000), static_cast<int32_t>(rng() % 500),
               static_cast<int32_t>(rng() % 3)};
  }
  const detail::TaskIndex narrow = detail::BuildTaskIndex({7001, 500, 3, answers}).value();
  const detail::TaskIndex wide = detail::BuildTaskIndex({7001, 65536 / 3 + 1, 3, answers}).value();
  EXPECT_TRUE(narrow.rows.empty());
  EXPECT_TRUE(wide.rows16.empty());
  EXPECT_TRUE(std::equal(narrow.rows16.begin(), narrow.rows16.end(), wide.rows.begin(),
                         wide.rows.end()));
  EXPECT_EQ(narrow.order, wide.order);
  EXPECT_EQ(narrow.offsets, wide.offsets);
  std::vector<std::vector<int32_t>> by_task(7001);
  for (const Answer& a : answers) by_task[a.task].push_back(a.worker * 3 + a.label);
  for (int32_t p = 0; p < narrow.num_tasks; ++p) {
    const int32_t task = narrow.order[p];
    if (p > 0) {
      ASSERT_LE(narrow.answers_at(p - 1), narrow.answers_at(p));
    }
    std::vector<int32_t> got;
    narrow.WithRows([&](const auto* rows) {
      for (int32_t j = narrow.offsets[p]; j < narrow.offsets[p + 1]; ++j) got.push_back(rows[j]);
    });
    ASSERT_EQ(got, by_task[task]) << "task " << task;
  }
  EXPECT_EQ(narrow.answers_at(0), 0);  // task 7000 has none
}

// Consolidate checks the answers' ids while it indexes them and refuses a
// bad one with Validate's message, naming it, for every algorithm.
TEST(ConsolidationTest, ConsolidateRefusesAnAnswerOutOfRangeWithValidatesMessage) {
  std::vector<int32_t> truth;
  const std::vector<Answer> good = Synthetic(70000, 50, 3, 4, &truth, 9);  // 280k answers
  for (size_t at : {size_t{5}, good.size() - 3}) {
    for (int field = 0; field < 3; ++field) {
      std::vector<Answer> answers = good;
      if (field == 0) answers[at].task = -1;
      if (field == 1) answers[at].worker = 50;
      if (field == 2) answers[at].label = 3;
      const Problem problem{70000, 50, 3, answers};
      const std::string expected = Validate(problem).value();
      EXPECT_NE(expected.find("answer " + std::to_string(at)), std::string::npos) << expected;
      for (Algorithm a : kAll) {
        for (int threads : {1, 2}) {
          Options options = With(a);
          options.num_threads = threads;
          try {
            Consolidate(problem, options);
            ADD_FAILURE() << "accepted answer " << at << " field " << field;
          } catch (const std::invalid_argument& e) {
            EXPECT_EQ(e.what(), expected) << AlgorithmName(a) << " threads " << threads;
          }
        }
      }
    }
  }
}

// Maximum-likelihood Dawid-Skene written plainly: vote shares, then
// M-step / E-step until no posterior moves by `tolerance` or the cap, with
// every posterior of the pass before kept for the test (the engine keeps
// them only once a bound from its statistics no longer proves the change
// large enough).
struct ReferenceRun {
  std::vector<double> posteriors;
  int iterations = 0;
  bool converged = false;
};

ReferenceRun ReferenceDawidSkene(const Problem& p, double tolerance, int max_iterations) {
  const int K = p.num_classes;
  std::vector<double> t(static_cast<size_t>(p.num_tasks) * K, 0.0);
  std::vector<int> count(p.num_tasks, 0);
  for (const Answer& a : p.answers) {
    t[a.task * K + a.label] += 1.0;
    ++count[a.task];
  }
  for (int32_t i = 0; i < p.num_tasks; ++i) {
    for (int k = 0; k < K; ++k) t[i * K + k] /= count[i];
  }
  ReferenceRun run;
  std::vector<double> prior(K), cell(static_cast<size_t>(p.num_workers) * K * K);
  for (int iteration = 1; iteration <= max_iterations; ++iteration) {
    // M-step: cell[(w*K + y)*K + k] = P(w answers y | true k), floored.
    std::fill(prior.begin(), prior.end(), 0.0);
    std::fill(cell.begin(), cell.end(), 0.0);
    for (int32_t i = 0; i < p.num_tasks; ++i) {
      for (int k = 0; k < K; ++k) prior[k] += t[i * K + k];
    }
    for (const Answer& a : p.answers) {
      for (int k = 0; k < K; ++k) cell[(a.worker * K + a.label) * K + k] += t[a.task * K + k];
    }
    double prior_sum = 0.0;
    for (double& q : prior) prior_sum += (q = std::max(q / p.num_tasks, 1e-12));
    for (double& q : prior) q /= prior_sum;
    for (int32_t w = 0; w < p.num_workers; ++w) {
      for (int k = 0; k < K; ++k) {
        double den = 0.0;
        for (int y = 0; y < K; ++y) den += (cell[(w * K + y) * K + k] = std::max(cell[(w * K + y) * K + k], 1e-12));
        for (int y = 0; y < K; ++y) cell[(w * K + y) * K + k] /= den;
      }
    }
    // E-step.
    std::vector<double> next(t.size());
    for (int32_t i = 0; i < p.num_tasks; ++i) {
      for (int k = 0; k < K; ++k) next[i * K + k] = std::log(prior[k]);
    }
    for (const Answer& a : p.answers) {
      for (int k = 0; k < K; ++k) next[a.task * K + k] += std::log(cell[(a.worker * K + a.label) * K + k]);
    }
    double max_delta = 0.0;
    for (int32_t i = 0; i < p.num_tasks; ++i) {
      const double top = *std::max_element(next.begin() + i * K, next.begin() + (i + 1) * K);
      double sum = 0.0;
      for (int k = 0; k < K; ++k) sum += (next[i * K + k] = std::exp(next[i * K + k] - top));
      for (int k = 0; k < K; ++k) {
        next[i * K + k] /= sum;
        max_delta = std::max(max_delta, std::abs(next[i * K + k] - t[i * K + k]));
      }
    }
    t.swap(next);
    run.iterations = iteration;
    if (max_delta < tolerance) {
      run.converged = true;
      break;
    }
  }
  run.posteriors = std::move(t);
  return run;
}

// The engine stops at the same iteration as an EM that keeps every
// posterior, whether the change is tested exactly from the first pass (a
// large tolerance), from a later one, or never (tolerance 0: every pass
// bounded, the cap reached).
// More than one chunk (> 131,072 answers) and one: the bound sums the
// chunks' statistics.
TEST(ConsolidationTest, StoppingRuleMatchesAnEmThatKeepsEveryPosterior) {
  struct Case {
    int32_t tasks, workers, classes;
    int per_task;
    uint64_t seed;
  };
  for (const Case& c : {Case{2000, 40, 2, 3, 21}, Case{3000, 60, 4, 5, 22},
                        Case{70000, 200, 3, 4, 23}}) {
    std::vector<int32_t> truth;
    const std::vector<Answer> answers =
        Synthetic(c.tasks, c.workers, c.classes, c.per_task, &truth, c.seed);
    const Problem problem{c.tasks, c.workers, c.classes, answers};
    int converged_runs = 0;
    for (double tolerance : {0.9, 0.3, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 0.0}) {
      Options options = With(Algorithm::kDawidSkene);
      options.tolerance = tolerance;
      options.max_iterations = 60;
      const ReferenceRun want = ReferenceDawidSkene(problem, tolerance, options.max_iterations);
      const Consolidation got = Consolidate(problem, options);
      EXPECT_EQ(got.iterations, want.iterations) << c.tasks << " tolerance " << tolerance;
      EXPECT_EQ(got.converged, want.converged) << c.tasks << " tolerance " << tolerance;
      converged_runs += got.converged;
      ASSERT_EQ(got.posteriors.size(), want.posteriors.size());
      double worst = 0.0;
      for (size_t n = 0; n < want.posteriors.size(); ++n) {
        worst = std::max(worst, std::abs(got.posteriors[n] - want.posteriors[n]));
      }
      EXPECT_LT(worst, 1e-9) << c.tasks << " tolerance " << tolerance;
    }
    // Both ends of the sweep: runs that converge, and tolerance 0 never does.
    EXPECT_GT(converged_runs, 2) << c.tasks;
    EXPECT_LT(converged_runs, 10) << c.tasks;
  }
}

// When every worker answers once, the bound from the statistics is the exact
// largest change, so a run converges in the very pass in which the bound
// first fails: the test then needs the posteriors of the pass before, which
// the engine must recompute (later than the first iteration).
TEST(ConsolidationTest, StoppingRuleWhenTheBoundIsExact) {
  std::mt19937_64 rng(31);
  constexpr int32_t kTasks = 300, kPerTask = 3, kClasses = 3;
  std::vector<Answer> answers;
  for (int32_t t = 0; t < kTasks; ++t) {
    for (int n = 0; n < kPerTask; ++n) {
      answers.push_back({t, t * kPerTask + n, static_cast<int32_t>(rng() % kClasses)});
    }
  }
  const Problem problem{kTasks, kTasks * kPerTask, kClasses, answers};
  int later_than_first = 0;
  for (double tolerance : {1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-9, 1e-12}) {
    Options options = With(Algorithm::kDawidSkene);
    options.tolerance = tolerance;
    options.max_iterations = 200;
    const ReferenceRun want = ReferenceDawidSkene(problem, tolerance, options.max_iterations);
    const Consolidation got = Consolidate(problem, options);
    EXPECT_EQ(got.iterations, want.iterations) << "tolerance " << tolerance;
    EXPECT_EQ(got.converged, want.converged) << "tolerance " << tolerance;
    later_than_first += want.converged && want.iterations > 1;
  }
  EXPECT_GT(later_than_first, 2);
}

TEST(ConsolidationTest, ZeroIterationsKeepsVoteShares) {
  const std::vector<Answer> answers = {{0, 0, 1}, {0, 1, 1}, {0, 2, 0}};
  Options options = With(Algorithm::kDawidSkene);
  options.max_iterations = 0;
  const Consolidation r = Consolidate({1, 3, 2, answers}, options);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.tasks[0].label, 1);
  EXPECT_DOUBLE_EQ(r.tasks[0].confidence, 2.0 / 3.0);
}

// The first pass's vote shares are exactly votes / answers for every K and
// task size: 1 to 40 answers (the K <= 4 pass reads the small ones from a
// table of the same divisions), tasks without answers between.
TEST(ConsolidationTest, ZeroIterationsGiveExactVoteSharesForAnyTaskSize) {
  std::mt19937_64 rng(23);
  for (int32_t classes : {2, 3, 4, 5}) {
    std::vector<Answer> answers;
    std::vector<std::vector<int32_t>> votes(82, std::vector<int32_t>(classes, 0));
    for (int32_t task = 0; task < 82; task += 2) {
      const int32_t n = 1 + task / 2;
      for (int32_t j = 0; j < n; ++j) {
        const auto label = static_cast<int32_t>(rng() % classes);
        answers.push_back({task, static_cast<int32_t>(rng() % 30), label});
        ++votes[task][label];
      }
    }
    std::shuffle(answers.begin(), answers.end(), rng);
    Options options = With(Algorithm::kDawidSkene);
    options.max_iterations = 0;
    const Consolidation r = Consolidate({82, 30, classes, answers}, options);
    for (int32_t task = 0; task < 82; task += 2) {
      const int32_t n = 1 + task / 2;
      for (int32_t k = 0; k < classes; ++k) {
        ASSERT_EQ(r.posteriors[task * classes + k], static_cast<double>(votes[task][k]) / n)
            << "K=" << classes << " task " << task << " class " << k;
      }
    }
  }
}

TEST(ConsolidationTest, DuplicateAnswersCountAsVotes) {
  const std::vector<Answer> answers = {{0, 0, 1}, {0, 0, 1}, {0, 1, 0}};
  const Consolidation r = Consolidate({1, 2, 2, answers}, With(Algorithm::kMajorityVote));
  EXPECT_EQ(r.tasks[0].label, 1);
  EXPECT_EQ(r.tasks[0].num_answers, 3);
}

// §7.1 worked values: fresh job, one object, three workers.
TEST(ConsolidateObjectTest, SpecWorkedValues) {
  const std::vector<int32_t> unanimous = {1, 1, 1};
  const std::vector<int32_t> two_one = {1, 0, 1};
  EXPECT_EQ(ConsolidateObject(unanimous, 2).label, 1);
  EXPECT_DOUBLE_EQ(RoundConfidence(ConsolidateObject(unanimous, 2).confidence), 0.97);
  EXPECT_DOUBLE_EQ(RoundConfidence(ConsolidateObject(two_one, 2).confidence), 0.84);
  EXPECT_DOUBLE_EQ(RoundConfidence(ConsolidateObject(unanimous, 3).confidence), 0.99);
  EXPECT_DOUBLE_EQ(RoundConfidence(ConsolidateObject(two_one, 3).confidence), 0.91);
  EXPECT_EQ(ConsolidateObject(two_one, 3).label, 1);
}

TEST(ConsolidateObjectTest, SingleAnswerHasZeroConfidence) {
  const std::vector<int32_t> one = {2};
  for (Algorithm a : kAll) {
    const TaskLabel r = ConsolidateObject(one, 3, a);
    EXPECT_EQ(r.label, 2);
    EXPECT_EQ(r.confidence, 0.0);
    EXPECT_EQ(r.num_answers, 1);
  }
}

TEST(ConsolidateObjectTest, EmptyAndInvalid) {
  EXPECT_EQ(ConsolidateObject({}, 2).label, -1);
  const std::vector<int32_t> bad = {0, 2};
  EXPECT_THROW(ConsolidateObject(bad, 2), std::invalid_argument);
  EXPECT_THROW(ConsolidateObject(bad, 0), std::invalid_argument);
}

TEST(ConsolidateObjectTest, TwoToTwoTieGoesToLowerIndex) {
  const std::vector<int32_t> tie = {1, 0, 1, 0};
  const TaskLabel r = ConsolidateObject(tie, 2);
  EXPECT_EQ(r.label, 0);
  EXPECT_NEAR(r.confidence, 0.5, 1e-9);
}

TEST(RoundConfidenceTest, TwoDecimals) {
  EXPECT_DOUBLE_EQ(RoundConfidence(0.9722), 0.97);
  EXPECT_DOUBLE_EQ(RoundConfidence(0.835), 0.84);
  EXPECT_DOUBLE_EQ(RoundConfidence(1.0), 1.0);
  EXPECT_DOUBLE_EQ(RoundConfidence(0.0), 0.0);
}

TEST(JobConsolidatorTest, AccumulatesAcrossBatches) {
  JobConsolidator job(2);
  // Batch 1: tasks 0..1. Worker 2 disagrees with the others.
  job.AddAnswer(0, 0, 1);
  job.AddAnswer(0, 1, 1);
  job.AddAnswer(0, 2, 0);
  job.AddAnswer(1, 0, 0);
  const std::vector<int32_t> batch1 = {0, 1, 7};
  const std::vector<TaskLabel> first = job.Consolidate(batch1);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].label, 1);
  EXPECT_GT(first[0].confidence, 0.5);
  EXPECT_EQ(first[1].label, 0);
  EXPECT_EQ(first[1].confidence, 0.0);  // one answer
  EXPECT_EQ(first[2].label, -1);        // unknown task
  // Batch 2 reuses the same workers: worker statistics come from both.
  for (int32_t t = 2; t < 12; ++t) {
    job.AddAnswer(t, 0, t % 2);
    job.AddAnswer(t, 1, t % 2);
    job.AddAnswer(t, 2, 1 - t % 2);
  }
  EXPECT_EQ(job.num_answers(), 34u);
  const std::vector<int32_t> batch2 = {2, 3};
  const std::vector<TaskLabel> second = job.Consolidate(batch2);
  EXPECT_EQ(second[0].label, 0);
  EXPECT_EQ(second[1].label, 1);
  const Consolidation all = job.ConsolidateAll();
  EXPECT_LT(all.worker_accuracy[2], all.worker_accuracy[0]);
  EXPECT_THROW(job.AddAnswer(0, 0, 2), std::invalid_argument);
  EXPECT_THROW(job.AddAnswer(-1, 0, 0), std::invalid_argument);
}

}  // namespace
}  // namespace plumbline::consolidation
