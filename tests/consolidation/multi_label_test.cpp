// Multi-label consolidation (consolidation.hpp): the rules on small cases,
// then accuracy and calibration on synthetic crowds with known truth and on
// the binary public datasets of data/crowd read as one-class problems.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

TEST(MultiLabelTest, UnanimousTicksAreConfidentAndAbsencesLow) {
  std::vector<LabelSetAnswer> a = {{0, 0, {0, 2}}, {0, 1, {2, 0}}, {0, 2, {0, 2, 2}}};
  auto r = ConsolidateMultiLabel(1, 3, 3, a);
  EXPECT_GT(r.Presence(0, 0), 0.9);
  EXPECT_GT(r.Presence(0, 2), 0.9);
  EXPECT_LT(r.Presence(0, 1), 0.1);
  EXPECT_EQ(r.Votes(0, 2), 3);  // a duplicate tick counts once
  EXPECT_EQ(r.num_answers[0], 3);
}

TEST(MultiLabelTest, OneTickOfThreeIsUnlikelyTwoOfThreeLikely) {
  std::vector<LabelSetAnswer> a = {{0, 0, {0}}, {0, 1, {0, 1}}, {0, 2, {}}};
  auto r = ConsolidateMultiLabel(1, 3, 2, a);
  EXPECT_GT(r.Presence(0, 0), 0.5);
  EXPECT_LT(r.Presence(0, 1), 0.5);
  auto mv = MajorityMultiLabel(1, 2, a);
  EXPECT_EQ(mv, (std::vector<double>{1, 0}));
}

TEST(MultiLabelTest, TaskWithoutAnswersKeepsThePrevalenceAndBadIdsThrow) {
  std::vector<LabelSetAnswer> a = {{0, 0, {0}}};
  auto r = ConsolidateMultiLabel(2, 1, 2, a);
  EXPECT_NEAR(r.Presence(1, 0), r.prevalence[0], 1e-12);
  std::vector<LabelSetAnswer> bad = {{0, 0, {5}}};
  EXPECT_THROW(ConsolidateMultiLabel(1, 1, 2, bad), std::invalid_argument);
  std::vector<LabelSetAnswer> bad_worker = {{0, 3, {0}}};
  EXPECT_THROW(ConsolidateMultiLabel(1, 1, 2, bad_worker), std::invalid_argument);
}

// Expected calibration error of presence probabilities against the truth,
// 10 equal-width bins, over every (task, class).
double Ece(const std::vector<double>& p, const std::vector<char>& truth) {
  double n[10] = {}, conf[10] = {}, pos[10] = {};
  for (size_t i = 0; i < p.size(); ++i) {
    int b = std::min(9, static_cast<int>(p[i] * 10));
    n[b] += 1;
    conf[b] += p[i];
    pos[b] += truth[i];
  }
  double e = 0;
  for (int b = 0; b < 10; ++b)
    if (n[b] > 0) e += std::abs(conf[b] - pos[b]) / static_cast<double>(p.size());
  return e;
}

double Hamming(const std::vector<double>& p, const std::vector<char>& truth) {
  size_t right = 0;
  for (size_t i = 0; i < p.size(); ++i) right += (p[i] >= 0.5) == (truth[i] != 0);
  return static_cast<double>(right) / static_cast<double>(p.size());
}

struct Crowd {
  int32_t tasks, workers, classes;
  std::vector<char> truth;  // tasks x classes
  std::vector<LabelSetAnswer> answers;
};

// Workers of varied sensitivity and specificity, a few spammers, `per_task`
// distinct workers per task, sparse classes.
Crowd Synthetic(uint32_t seed, int32_t tasks, int32_t classes, int per_task) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Crowd c{tasks, 40, classes, {}, {}};
  std::vector<double> sens(40), spec(40), prev(static_cast<size_t>(classes));
  for (int w = 0; w < 40; ++w) {
    sens[w] = 0.55 + 0.4 * u(rng);
    spec[w] = 0.8 + 0.19 * u(rng);
    if (w % 10 == 9) sens[w] = spec[w] = 0.5;  // spammers
  }
  for (auto& p : prev) p = 0.08 + 0.3 * u(rng);
  c.truth.resize(static_cast<size_t>(tasks) * classes);
  for (int32_t i = 0; i < tasks; ++i) {
    for (int32_t k = 0; k < classes; ++k) c.truth[static_cast<size_t>(i) * classes + k] = u(rng) < prev[k];
    std::vector<int32_t> ws(40);
    for (int w = 0; w < 40; ++w) ws[w] = w;
    std::shuffle(ws.begin(), ws.end(), rng);
    for (int j = 0; j < per_task; ++j) {
      LabelSetAnswer a{i, ws[j], {}};
      for (int32_t k = 0; k < classes; ++k) {
        const bool present = c.truth[static_cast<size_t>(i) * classes + k];
        if (present ? u(rng) < sens[ws[j]] : u(rng) > spec[ws[j]]) a.labels.push_back(k);
      }
      c.answers.push_back(std::move(a));
    }
  }
  return c;
}

TEST(MultiLabelAccuracyTest, SyntheticCrowdsBeatMajorityAndAreCalibrated) {
  struct Setting { uint32_t seed; int per_task; };
  for (Setting s : {Setting{1, 3}, Setting{2, 5}, Setting{3, 3}}) {
    Crowd c = Synthetic(s.seed, 3000, 8, s.per_task);
    auto em = ConsolidateMultiLabel(c.tasks, c.workers, c.classes, c.answers);
    auto mv = MajorityMultiLabel(c.tasks, c.classes, c.answers);
    const double em_acc = Hamming(em.presence, c.truth), mv_acc = Hamming(mv, c.truth);
    const double ece = Ece(em.presence, c.truth);
    std::printf("multi-label synthetic seed %u, %d answers/task: Hamming EM %.4f vs majority %.4f, ECE %.4f (%d iterations)\n",
                s.seed, s.per_task, em_acc, mv_acc, ece, em.iterations);
    EXPECT_GT(em_acc, mv_acc);
    EXPECT_LE(ece, 0.05);
  }
}

// The binary datasets as one class each: "1" ticked, "0" not.
TEST(MultiLabelAccuracyTest, BinaryPublicDatasetsAsOneClass) {
  const std::filesystem::path root = std::filesystem::path(PLUMBLINE_SHARED_DIR) / "data" / "crowd";
  for (const char* name : {"bluebirds", "rte", "temp"}) {
    std::ifstream answers(root / name / "answers.csv"), gold(root / name / "gold.csv");
    if (!answers || !gold) GTEST_SKIP() << "no " << name << " dataset";
    std::map<std::string, int32_t> tasks, workers;
    std::vector<LabelSetAnswer> a;
    std::string line;
    std::getline(answers, line);
    while (std::getline(answers, line)) {
      std::stringstream ss(line);
      std::string t, w, l;
      std::getline(ss, t, ',');
      std::getline(ss, w, ',');
      std::getline(ss, l, ',');
      int32_t ti = tasks.emplace(t, static_cast<int32_t>(tasks.size())).first->second;
      int32_t wi = workers.emplace(w, static_cast<int32_t>(workers.size())).first->second;
      LabelSetAnswer x{ti, wi, {}};
      if (std::stoi(l) == 1) x.labels.push_back(0);
      a.push_back(std::move(x));
    }
    auto em = ConsolidateMultiLabel(static_cast<int32_t>(tasks.size()), static_cast<int32_t>(workers.size()), 1, a);
    auto mv = MajorityMultiLabel(static_cast<int32_t>(tasks.size()), 1, a);
    std::vector<double> pe, pm;
    std::vector<char> truth;
    std::getline(gold, line);
    while (std::getline(gold, line)) {
      std::stringstream ss(line);
      std::string t, l;
      std::getline(ss, t, ',');
      std::getline(ss, l, ',');
      auto it = tasks.find(t);
      if (it == tasks.end()) continue;
      pe.push_back(em.presence[static_cast<size_t>(it->second)]);
      pm.push_back(mv[static_cast<size_t>(it->second)]);
      truth.push_back(std::stoi(l) == 1);
    }
    const double em_acc = Hamming(pe, truth), mv_acc = Hamming(pm, truth);
    std::printf("multi-label on %s as one class: accuracy EM %.4f vs majority %.4f, ECE %.4f (%zu gold)\n",
                name, em_acc, mv_acc, Ece(pe, truth), truth.size());
    EXPECT_GE(em_acc, mv_acc - 0.005) << name;
  }
}

}  // namespace
}  // namespace plumbline::consolidation
