// Segmentation mask voting (consolidation.hpp): agreement, majorities with
// smoothing, weights, tie rules, errors; a synthetic crowd with known truth
// against the median worker's pixel accuracy; and the time for a 4000x3000
// image with 5 workers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

MaskResult Vote(int w, int h, int k, const std::vector<std::vector<uint8_t>>& masks,
                std::vector<double> weights = {}) {
  MaskVote v;
  v.width = w;
  v.height = h;
  v.num_classes = k;
  for (const auto& m : masks) v.masks.push_back(m.data());
  v.weights = std::move(weights);
  return VoteMasks(v);
}

TEST(MasksTest, AgreementIsCertain) {
  std::vector<uint8_t> m(20 * 10, 0);
  for (int y = 2; y < 8; ++y)
    for (int x = 5; x < 15; ++x) m[y * 20 + x] = 2;
  auto r = Vote(20, 10, 3, {m, m, m});
  EXPECT_EQ(r.labels, m);
  // Along the region's edge the smoothed votes are split between the two
  // classes even when the workers agree: less than 1 there.
  EXPECT_GT(r.confidence, 0.9);
  EXPECT_LT(r.confidence, 1.0);
  std::vector<uint8_t> flat(20 * 10, 1);
  EXPECT_NEAR(Vote(20, 10, 3, {flat, flat, flat}).confidence, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(Vote(20, 10, 3, {m}).confidence, 0.0);  // one worker
}

TEST(MasksTest, MajorityWinsAndALoneSpeckIsSmoothedAway) {
  std::vector<uint8_t> a(9 * 9, 1), b(a), c(a);
  c[4 * 9 + 4] = 2;               // one worker's single odd pixel
  for (int x = 0; x < 9; ++x) b[x] = 0, c[x] = 0;  // row 0: two of three say background
  auto r = Vote(9, 9, 3, {a, b, c});
  EXPECT_EQ(r.labels[4 * 9 + 4], 1);
  for (int x = 0; x < 9; ++x) EXPECT_EQ(r.labels[x], 0) << x;
  EXPECT_EQ(r.labels[2 * 9 + 4], 1);
  EXPECT_GT(r.confidence, 0.6);
  EXPECT_LT(r.confidence, 1.0);
}

TEST(MasksTest, WeightsDecide) {
  std::vector<uint8_t> a(16, 1), b(16, 1), c(16, 2);
  EXPECT_EQ(Vote(4, 4, 3, {a, b, c}).labels, a);
  EXPECT_EQ(Vote(4, 4, 3, {a, b, c}, {1, 1, 3}).labels, c);
}

TEST(MasksTest, TiesGoToBackgroundThenTheLowerClass) {
  std::vector<uint8_t> zero(16, 0), one(16, 1), two(16, 2);
  EXPECT_EQ(Vote(4, 4, 3, {one, zero}).labels, zero);
  EXPECT_EQ(Vote(4, 4, 3, {two, one}).labels, one);
}

TEST(MasksTest, BadInputIsRefused) {
  std::vector<uint8_t> m(16, 3);
  EXPECT_THROW(Vote(4, 4, 3, {m}), std::invalid_argument);  // class 3 of 0..2
  EXPECT_THROW(Vote(4, 4, 3, {m}, {1, 2}), std::invalid_argument);
  EXPECT_TRUE(Vote(0, 0, 2, {}).labels.empty());
}

// A truth of a few rectangles and discs; careful workers trace the edges
// within ~2 px (a rectangle's edges shifted at random), the careless one
// within ~15 px and paints one class as another.
std::vector<uint8_t> Truth(int w, int h) {
  std::vector<uint8_t> t(static_cast<size_t>(w * h), 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (x > w / 10 && x < w / 2 && y > h / 5 && y < h / 2) t[static_cast<size_t>(y * w + x)] = 1;
      const double dx = x - 0.7 * w, dy = y - 0.6 * h;
      if (dx * dx + dy * dy < 0.04 * w * w) t[static_cast<size_t>(y * w + x)] = 2;
    }
  return t;
}
std::vector<uint8_t> Worker(const std::vector<uint8_t>& truth, int w, int h, double sd, bool swap, std::mt19937& rng) {
  std::normal_distribution<double> n(0, sd);
  const int sx = static_cast<int>(std::lround(n(rng))), sy = static_cast<int>(std::lround(n(rng)));
  std::vector<uint8_t> m(truth.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int ox = std::clamp(x - sx, 0, w - 1), oy = std::clamp(y - sy, 0, h - 1);
      uint8_t c = truth[static_cast<size_t>(oy * w + ox)];
      if (swap && c == 2) c = 1;
      m[static_cast<size_t>(y * w + x)] = c;
    }
  return m;
}
double Accuracy(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return static_cast<double>(same) / static_cast<double>(a.size());
}

TEST(MasksTest, SyntheticCrowdBeatsTheMedianWorker) {
  const int w = 400, h = 300;
  std::mt19937 rng(5);
  const auto truth = Truth(w, h);
  std::vector<std::vector<uint8_t>> masks;
  for (int k = 0; k < 5; ++k) masks.push_back(Worker(truth, w, h, k == 4 ? 15 : 3, k == 4, rng));
  std::vector<double> acc;
  for (const auto& m : masks) acc.push_back(Accuracy(m, truth));
  std::vector<double> sorted = acc;
  std::sort(sorted.begin(), sorted.end());
  const auto r = Vote(w, h, 3, masks);
  const double voted = Accuracy(r.labels, truth);
  std::printf("masks, 400x300, 5 workers (1 careless): voted pixel accuracy %.4f, median worker %.4f, careless %.4f\n",
              voted, sorted[2], acc[4]);
  EXPECT_GT(voted, sorted[2]);
}

TEST(MasksTest, FourThousandByThreeThousandWithFiveWorkers) {
  const int w = 4000, h = 3000;
  std::mt19937 rng(9);
  const auto truth = Truth(w, h);
  std::vector<std::vector<uint8_t>> masks;
  for (int k = 0; k < 5; ++k) masks.push_back(Worker(truth, w, h, k == 4 ? 40 : 6, false, rng));
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = Vote(w, h, 3, masks);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("masks, 4000x3000 x 5 workers: %.0f ms, accuracy %.4f\n", ms, Accuracy(r.labels, truth));
  EXPECT_GT(Accuracy(r.labels, truth), 0.99);
}

}  // namespace
}  // namespace plumbline::consolidation
