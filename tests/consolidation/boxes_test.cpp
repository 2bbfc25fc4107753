// Bounding-box consolidation (consolidation.hpp): IoU, grouping, weighted
// edges, label votes, confidence, order; then synthetic crowds with known
// truth (noisy boxes, one careless worker) against the median single worker.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <stdexcept>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

BoxOptions Unweighted() {
  BoxOptions o;
  o.reliability_rounds = 0;
  return o;
}

BoxResult One(const BoxImage& im, int32_t workers, const BoxOptions& o = Unweighted()) {
  return ConsolidateBoxes(std::span<const BoxImage>(&im, 1), workers, o);
}

TEST(BoxesTest, IntersectionOverUnion) {
  EXPECT_DOUBLE_EQ(BoxIoU({0, 0, 10, 10, 0}, {0, 0, 10, 10, 0}), 1.0);
  EXPECT_DOUBLE_EQ(BoxIoU({0, 0, 10, 10, 0}, {5, 0, 10, 10, 0}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(BoxIoU({0, 0, 10, 10, 0}, {10, 0, 10, 10, 0}), 0.0);  // touching
  EXPECT_DOUBLE_EQ(BoxIoU({0, 0, 10, 10, 0}, {2, 2, 5, 5, 0}), 0.25);   // inside
  EXPECT_DOUBLE_EQ(BoxIoU({0, 0, 0, 10, 0}, {0, 0, 10, 10, 0}), 0.0);   // empty
}

TEST(BoxesTest, OneObjectSeenByThreeWorkersIsTheirMeanBox) {
  BoxImage im;
  im.answers = {{0, {{100, 50, 40, 60, 0}}}, {1, {{102, 52, 40, 58, 0}}}, {2, {{98, 48, 44, 62, 1}}}};
  auto r = One(im, 3);
  ASSERT_EQ(r.images[0].size(), 1u);
  const auto& b = r.images[0][0];
  EXPECT_DOUBLE_EQ(b.box.left, 100);
  EXPECT_DOUBLE_EQ(b.box.top, 50);
  EXPECT_NEAR(b.box.left + b.box.width, (140 + 142 + 142) / 3.0, 1e-9);
  EXPECT_NEAR(b.box.top + b.box.height, (110 + 110 + 110) / 3.0, 1e-9);
  EXPECT_EQ(b.box.label, 0);  // 2 of 3 votes
  EXPECT_EQ(b.support, 3);
  double iou = 0;
  for (const auto& a : im.answers) iou += BoxIoU(a.boxes[0], b.box);
  EXPECT_NEAR(b.confidence, (2.0 / 3.0) * (iou / 3.0), 1e-12);
}

TEST(BoxesTest, MinorityBoxesDropAndOneWorkersBoxesStayApart) {
  BoxImage im;
  // Worker 0 draws two overlapping boxes; only worker 3 sees the far box.
  im.answers = {{0, {{0, 0, 10, 10, 0}, {1, 0, 10, 10, 0}}},
                {1, {{0, 0, 10, 10, 0}}},
                {2, {{0, 1, 10, 10, 0}}},
                {3, {{200, 200, 30, 30, 0}}}};
  auto r = One(im, 4);
  ASSERT_EQ(r.images[0].size(), 1u);  // {w0 first, w1, w2}; the rest are below half
  EXPECT_EQ(r.images[0][0].support, 3);
  // Two answers: every group survives (half of the answers is enough).
  im.answers = {{0, {{0, 0, 10, 10, 0}, {1, 0, 10, 10, 0}}}, {1, {{0, 0, 10, 10, 0}}}};
  r = One(im, 2);
  ASSERT_EQ(r.images[0].size(), 2u);
  EXPECT_EQ(r.images[0][0].support + r.images[0][1].support, 3);
}

TEST(BoxesTest, LowOverlapDoesNotMergeAndEmptyBoxesAreIgnored) {
  BoxImage im;
  im.answers = {{0, {{0, 0, 10, 10, 0}, {5, 5, 0, 10, 0}}}, {1, {{6, 0, 10, 10, 0}}}};
  auto r = One(im, 2);
  ASSERT_EQ(r.images[0].size(), 2u);  // IoU 0.25 < 0.5: two objects
  for (const auto& b : r.images[0]) EXPECT_EQ(b.support, 1);
}

TEST(BoxesTest, NoBoxesAndNoAnswers) {
  BoxImage empty_answers;
  empty_answers.answers = {{0, {}}, {1, {}}};
  BoxImage none;
  std::vector<BoxImage> ims{empty_answers, none};
  auto r = ConsolidateBoxes(ims, 2);
  EXPECT_TRUE(r.images[0].empty());
  EXPECT_TRUE(r.images[1].empty());
  EXPECT_THROW(ConsolidateBoxes(ims, 1), std::invalid_argument);  // worker 1 out of range
}

TEST(BoxesTest, OutputIsOrderedByLabelTopLeft) {
  BoxImage im;
  im.answers = {{0, {{50, 10, 10, 10, 1}, {0, 30, 10, 10, 0}, {0, 10, 10, 10, 0}, {30, 10, 10, 10, 0}}}};
  auto r = One(im, 1);
  ASSERT_EQ(r.images[0].size(), 4u);
  EXPECT_EQ(r.images[0][0].box.left, 0);
  EXPECT_EQ(r.images[0][0].box.top, 10);
  EXPECT_EQ(r.images[0][1].box.left, 30);
  EXPECT_EQ(r.images[0][2].box.top, 30);
  EXPECT_EQ(r.images[0][3].box.label, 1);
}

TEST(BoxesTest, LabelTiesAreBrokenReproduciblyBySeed) {
  BoxImage im;
  im.answers = {{0, {{0, 0, 10, 10, 0}}}, {1, {{0, 0, 10, 10, 1}}}};
  std::set<int32_t> seen;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    im.seed = seed;
    const int32_t l = One(im, 2).images[0][0].box.label;
    EXPECT_EQ(l, One(im, 2).images[0][0].box.label);  // same seed, same choice
    seen.insert(l);
  }
  EXPECT_EQ(seen.size(), 2u);  // both labels come up over seeds
}

TEST(BoxesTest, ReliabilityWeightsPullTheBoxTowardsCarefulWorkers) {
  // Workers 0-2 agree on every image; worker 3 is off by 6 px each time and
  // adds a stray box: it ends with the lowest weight, and the merged edges
  // move towards the others.
  std::vector<BoxImage> ims(30);
  for (size_t i = 0; i < ims.size(); ++i) {
    const double x = 20.0 * static_cast<double>(i);
    ims[i].answers = {{0, {{x, 0, 40, 40, 0}}}, {1, {{x, 0, 40, 40, 0}}}, {2, {{x, 0, 40, 40, 0}}},
                      {3, {{x + 6, 6, 40, 40, 0}, {500, 500, 20, 20, 0}}}};
  }
  auto flat = ConsolidateBoxes(ims, 4, Unweighted());
  auto weighted = ConsolidateBoxes(ims, 4);
  EXPECT_LT(weighted.worker_weight[3], weighted.worker_weight[0]);
  EXPECT_NEAR(flat.images[0][0].box.left, 1.5, 1e-9);
  EXPECT_LT(weighted.images[0][0].box.left, flat.images[0][0].box.left);
  EXPECT_GT(weighted.images[0][0].confidence, flat.images[0][0].confidence);
}

// A synthetic crowd: images with 1-8 true boxes of 3 classes; 4 careful
// workers (edges off by ~3 px, 3% missed, 3% wrong label) and one careless
// worker (edges off by ~20 px, a third missed, wrong labels, stray boxes).
struct Crowd {
  std::vector<std::vector<Box>> truth;
  std::vector<BoxImage> images;
};
Crowd MakeCrowd(int n_images, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Crowd c;
  for (int i = 0; i < n_images; ++i) {
    std::vector<Box> truth;
    const int k = 1 + static_cast<int>(u(rng) * 8);
    for (int j = 0; j < k; ++j)
      truth.push_back({u(rng) * 900, u(rng) * 600, 40 + u(rng) * 160, 40 + u(rng) * 160,
                       static_cast<int32_t>(u(rng) * 3)});
    BoxImage im;
    im.seed = static_cast<uint64_t>(i);
    for (int w = 0; w < 5; ++w) {
      const bool careless = w == 4;
      std::normal_distribution<double> noise(0, careless ? 20 : 3);
      BoxAnswer a{w, {}};
      for (const auto& t : truth) {
        if (u(rng) < (careless ? 0.33 : 0.03)) continue;
        Box b = t;
        const double x1 = t.left + noise(rng), y1 = t.top + noise(rng);
        const double x2 = t.left + t.width + noise(rng), y2 = t.top + t.height + noise(rng);
        b.left = std::min(x1, x2);
        b.top = std::min(y1, y2);
        b.width = std::abs(x2 - x1);
        b.height = std::abs(y2 - y1);
        if (u(rng) < (careless ? 0.3 : 0.03)) b.label = (b.label + 1) % 3;
        a.boxes.push_back(b);
      }
      if (careless && u(rng) < 0.5) a.boxes.push_back({u(rng) * 900, u(rng) * 600, 50, 50, 0});
      im.answers.push_back(a);
    }
    c.truth.push_back(truth);
    c.images.push_back(im);
  }
  return c;
}

// Recall (true boxes matched by a same-label box with IoU >= 0.5) and mean
// IoU of the matched ones.
struct Score {
  double recall = 0, mean_iou = 0;
};
Score ScoreBoxes(const std::vector<std::vector<Box>>& truth, const std::vector<std::vector<Box>>& got) {
  double found = 0, total = 0, iou = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    std::vector<char> used(got[i].size(), 0);
    for (const auto& t : truth[i]) {
      ++total;
      double best = 0.5;
      size_t hit = got[i].size();
      for (size_t k = 0; k < got[i].size(); ++k) {
        if (used[k] || got[i][k].label != t.label) continue;
        const double v = BoxIoU(t, got[i][k]);
        if (v >= best) best = v, hit = k;
      }
      if (hit < got[i].size()) used[hit] = 1, ++found, iou += best;
    }
  }
  return {found / total, found ? iou / found : 0};
}

TEST(BoxesTest, SyntheticCrowdBeatsTheMedianWorkerWithHighRecall) {
  const Crowd c = MakeCrowd(400, 7);
  auto r = ConsolidateBoxes(c.images, 5);
  std::vector<std::vector<Box>> merged;
  for (const auto& im : r.images) {
    merged.emplace_back();
    for (const auto& b : im) merged.back().push_back(b.box);
  }
  const Score m = ScoreBoxes(c.truth, merged);
  std::vector<Score> workers;
  for (int w = 0; w < 5; ++w) {
    std::vector<std::vector<Box>> one;
    for (const auto& im : c.images) one.push_back(im.answers[static_cast<size_t>(w)].boxes);
    workers.push_back(ScoreBoxes(c.truth, one));
  }
  std::vector<Score> sorted = workers;
  std::sort(sorted.begin(), sorted.end(), [](const Score& a, const Score& b) { return a.mean_iou < b.mean_iou; });
  const Score median = sorted[2];
  std::printf("boxes, 400 images x 5 workers (1 careless): merged recall %.3f mean IoU %.3f; "
              "median worker recall %.3f mean IoU %.3f; careless worker weight %.2f vs %.2f\n",
              m.recall, m.mean_iou, median.recall, median.mean_iou, r.worker_weight[4], r.worker_weight[0]);
  EXPECT_GE(m.recall, 0.95);
  EXPECT_GT(m.mean_iou, median.mean_iou);
  EXPECT_LT(r.worker_weight[4], r.worker_weight[0]);
}

}  // namespace
}  // namespace plumbline::consolidation
