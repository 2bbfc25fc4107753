// Accuracy and calibration of every algorithm on the public crowdsourcing
// datasets in <shared>/data/crowd (see SOURCE.md there), printed as a table.
//
// Asserts:
//  * the published figures quoted in SOURCE.md are reproduced within the
//    rounding of the quote (majority vote on bluebirds, rte, adultcontent2;
//    Dawid-Skene on adultcontent2), and Dawid-Skene is at least the
//    published figure;
//  * kDawidSkeneVb, documented as our best method, is at least as accurate
//    as kDawidSkene on every dataset;
//  * regression floors/ceilings measured when the algorithms were written
//    (ours, not published), so that a change that loses accuracy or
//    calibration shows up here.
// ECE = expected calibration error of the confidence of the chosen label,
// 10 equal-width bins over [0, 1], on the gold tasks.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>

#include "cli/consolidate_cmd.hpp"
#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

namespace fs = std::filesystem;

constexpr double kNone = -1.0;

struct Reference {
  const char* name;
  // Published majority-vote accuracy; `mv_random_ties` says whether the
  // figure is the expectation under uniformly random tie-breaking.
  double mv_published;
  bool mv_random_ties;
  double ds_published;
  // Quoted decimals of the published figures (for "within rounding").
  int decimals;
  // Regression bounds, ours: minimum correct gold tasks for DS and DS-VB,
  // and maximum ECE of DS-VB.
  int ds_min_correct;
  int vb_min_correct;
  double vb_max_ece;
};

// Published figures: SOURCE.md (Zhang et al. JMLR 2016 for bluebirds/rte MV;
// Ustalov et al. JOSS 2024, crowd-kit, for adultcontent2 MV and DS).
constexpr Reference kReferences[] = {
    {"bluebirds", 0.7593, false, kNone, 4, 97, 97, 0.12},
    {"rte", 0.8969, true, kNone, 4, 742, 742, 0.08},
    {"temp", kNone, false, kNone, 4, 435, 435, 0.07},
    {"wsd", kNone, false, kNone, 4, 176, 176, 0.02},
    {"adultcontent2", 0.763, false, 0.748, 3, 249, 257, 0.24},
};

struct Dataset {
  cli::AnswerTable table;
  std::vector<std::pair<int32_t, int32_t>> gold;  // (task, class)
};

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Dataset Load(const fs::path& dir) {
  Dataset d;
  d.table = cli::ParseAnswersCsv(ReadText(dir / "answers.csv")).value();
  std::unordered_map<std::string, int32_t> task_ids;
  for (size_t i = 0; i < d.table.tasks.size(); ++i) task_ids[d.table.tasks[i]] = static_cast<int32_t>(i);
  std::istringstream gold(ReadText(dir / "gold.csv"));
  std::string line;
  std::getline(gold, line);  // header task,label
  while (std::getline(gold, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const size_t comma = line.rfind(',');
    const std::string task = line.substr(0, comma);
    const std::string label = line.substr(comma + 1);
    const auto it = std::lower_bound(d.table.labels.begin(), d.table.labels.end(), label);
    if (!task_ids.contains(task) || it == d.table.labels.end() || *it != label) {
      ADD_FAILURE() << dir << ": gold row without answers or with an unknown label: " << line;
      continue;
    }
    d.gold.emplace_back(task_ids.at(task), static_cast<int32_t>(it - d.table.labels.begin()));
  }
  return d;
}

struct Score {
  int correct = 0;
  double accuracy = 0.0;
  double ece = 0.0;
  double seconds = 0.0;
};

Score Evaluate(const Dataset& d, const Consolidation& r) {
  Score s;
  double bin_confidence[10] = {};
  double bin_correct[10] = {};
  for (const auto& [task, label] : d.gold) {
    const TaskLabel& t = r.tasks[task];
    const bool ok = t.label == label;
    s.correct += ok;
    const int bin = std::min(9, static_cast<int>(t.confidence * 10.0));
    bin_confidence[bin] += t.confidence;
    bin_correct[bin] += ok;
  }
  const double n = static_cast<double>(d.gold.size());
  s.accuracy = s.correct / n;
  for (int b = 0; b < 10; ++b) s.ece += std::abs(bin_correct[b] - bin_confidence[b]) / n;
  return s;
}

// Majority-vote accuracy expected when ties are broken uniformly at random.
double MajorityRandomTies(const Dataset& d, const Consolidation& mv) {
  const int k = d.table.problem().num_classes;
  double sum = 0.0;
  for (const auto& [task, label] : d.gold) {
    const double* shares = mv.posteriors.data() + static_cast<size_t>(task) * k;
    const double best = *std::max_element(shares, shares + k);
    int tied = 0;
    for (int c = 0; c < k; ++c) tied += best - shares[c] < 1e-12;
    if (best - shares[label] < 1e-12) sum += 1.0 / tied;
  }
  return sum / static_cast<double>(d.gold.size());
}

TEST(AccuracyTest, PublicCrowdDatasets) {
  const fs::path root = fs::path(PLUMBLINE_SHARED_DIR) / "data/crowd";
  if (!fs::exists(root)) GTEST_SKIP() << "no shared data folder " << root;
  constexpr Algorithm kAlgorithms[] = {Algorithm::kMajorityVote, Algorithm::kDawidSkene,
                                       Algorithm::kOneCoin, Algorithm::kDawidSkeneVb};
  std::printf("\n%-14s %5s %6s | %-15s | %-15s | %-15s | %-15s | %s\n", "dataset", "gold", "K",
              "majority acc/ECE", "dawid-skene", "one-coin (7.1)", "dawid-skene-vb",
              "published MV / DS");
  for (const Reference& ref : kReferences) {
    SCOPED_TRACE(ref.name);
    const fs::path dir = root / ref.name;
    ASSERT_TRUE(fs::exists(dir / "answers.csv")) << dir;
    const Dataset d = Load(dir);
    ASSERT_FALSE(d.gold.empty());
    Score scores[4];
    Consolidation results[4];
    for (int a = 0; a < 4; ++a) {
      Options options;
      options.algorithm = kAlgorithms[a];
      options.keep_posteriors = true;
      const auto start = std::chrono::steady_clock::now();
      results[a] = Consolidate(d.table.problem(), options);
      scores[a] = Evaluate(d, results[a]);
      scores[a].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const double mv_random = MajorityRandomTies(d, results[0]);
    char mv_text[16] = "-";
    char ds_text[16] = "-";
    if (ref.mv_published != kNone) std::snprintf(mv_text, sizeof mv_text, "%g", ref.mv_published);
    if (ref.ds_published != kNone) std::snprintf(ds_text, sizeof ds_text, "%g", ref.ds_published);
    std::printf("%-14s %5zu %6d |", ref.name, d.gold.size(), d.table.problem().num_classes);
    for (const Score& s : scores) std::printf(" %.4f / %.4f |", s.accuracy, s.ece);
    std::printf(" %s / %s  (MV random ties %.4f)\n", mv_text, ds_text, mv_random);

    const double half_unit = 0.5 * std::pow(10.0, -ref.decimals) + 1e-9;
    if (ref.mv_published != kNone) {
      const double mv = ref.mv_random_ties ? mv_random : scores[0].accuracy;
      EXPECT_NEAR(mv, ref.mv_published, half_unit) << "majority vote vs published";
    }
    if (ref.ds_published != kNone) {
      EXPECT_GE(scores[1].accuracy, ref.ds_published - half_unit) << "Dawid-Skene vs published";
    }
    EXPECT_GE(scores[3].accuracy, scores[1].accuracy) << "dawid-skene-vb below dawid-skene";
    EXPECT_GE(scores[1].correct, ref.ds_min_correct) << "dawid-skene regression";
    EXPECT_GE(scores[3].correct, ref.vb_min_correct) << "dawid-skene-vb regression";
    EXPECT_LE(scores[3].ece, ref.vb_max_ece) << "dawid-skene-vb calibration regression";
    for (int a = 1; a < 4; ++a) {
      EXPECT_LT(scores[a].seconds, 5.0) << AlgorithmName(kAlgorithms[a]) << " too slow";
    }
  }
}

}  // namespace
}  // namespace plumbline::consolidation
