// Segmentation mask voting (consolidation.hpp): agreement, majorities with
// smoothing, weights, tie rules, errors; a synthetic crowd with known truth
// against the median worker's pixel accuracy; and the time for a 4000x3000
// image with 5 workers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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

// The algorithm as the header states it, one pixel at a time (the first
// implementation, kept as the reference VoteMasks must equal exactly).
MaskResult PlainVote(const MaskVote& v) {
  const int64_t w = v.width, h = v.height;
  const size_t n = v.masks.size();
  if (w < 0 || h < 0) throw std::invalid_argument("masks: negative size");
  if (v.num_classes < 1 || v.num_classes > 256) throw std::invalid_argument("masks: classes out of range");
  if (!v.weights.empty() && v.weights.size() != n) throw std::invalid_argument("masks: one weight per mask");
  for (const uint8_t* m : v.masks)
    if (!m) throw std::invalid_argument("masks: a mask is missing");
  MaskResult r;
  r.labels.assign(static_cast<size_t>(w * h), 0);
  if (n == 0 || w == 0 || h == 0) return r;
  std::vector<double> weight(n, 1.0);
  if (!v.weights.empty()) weight = v.weights;
  double total = 0;
  for (double x : weight) total += x;
  if (total <= 0) {
    std::fill(weight.begin(), weight.end(), 1.0);
    total = static_cast<double>(n);
  }
  const int32_t k = v.num_classes;
  std::vector<double> smooth(static_cast<size_t>(k)), raw(static_cast<size_t>(k));
  static constexpr double kKernel[3][3] = {{1, 2, 1}, {2, 4, 2}, {1, 2, 1}};
  double confidence_sum = 0;
  // colv[x]: the class every worker gives the three pixels of column x in
  // rows y-1..y+1, or 255 when they differ; a pixel whose three columns hold
  // one class is uniform.
  std::vector<uint16_t> colv(static_cast<size_t>(w));
  for (int64_t y = 0; y < h; ++y) {
    const int64_t ys[3] = {std::max<int64_t>(y - 1, 0), y, std::min<int64_t>(y + 1, h - 1)};
    for (int64_t x = 0; x < w; ++x) {
      const uint8_t c0 = v.masks[0][ys[0] * w + x];
      bool same = true;
      for (size_t m = 0; m < n && same; ++m) {
        const uint8_t* mk = v.masks[m];
        same = mk[ys[0] * w + x] == c0 && mk[ys[1] * w + x] == c0 && mk[ys[2] * w + x] == c0;
      }
      colv[static_cast<size_t>(x)] = same ? c0 : 0x100;
    }
    for (int64_t x = 0; x < w; ++x) {
      const int64_t xs[3] = {std::max<int64_t>(x - 1, 0), x, std::min<int64_t>(x + 1, w - 1)};
      const int64_t p = y * w + x;
      const uint16_t c0 = colv[static_cast<size_t>(x)];
      if (c0 < 0x100 && colv[static_cast<size_t>(xs[0])] == c0 && colv[static_cast<size_t>(xs[2])] == c0) {
        if (c0 >= k) throw std::invalid_argument("masks: class out of range");
        r.labels[static_cast<size_t>(p)] = static_cast<uint8_t>(c0);
        confidence_sum += 1.0;
        continue;
      }
      std::fill(smooth.begin(), smooth.end(), 0.0);
      std::fill(raw.begin(), raw.end(), 0.0);
      for (size_t m = 0; m < n; ++m) {
        const uint8_t* mk = v.masks[m];
        const double wm = weight[m] / 16.0;
        for (int dy = 0; dy < 3; ++dy) {
          const uint8_t* row = mk + ys[dy] * w;
          for (int dx = 0; dx < 3; ++dx) {
            const uint8_t c = row[xs[dx]];
            if (c >= k) throw std::invalid_argument("masks: class out of range");
            smooth[c] += wm * kKernel[dy][dx];
          }
        }
        raw[mk[p]] += weight[m];
      }
      int32_t best = 0;
      for (int32_t c = 1; c < k; ++c) {
        const double a = smooth[static_cast<size_t>(c)], b = smooth[static_cast<size_t>(best)];
        if (a > b + 1e-12 || (std::abs(a - b) <= 1e-12 && raw[static_cast<size_t>(c)] > raw[static_cast<size_t>(best)] + 1e-12))
          best = c;
      }
      r.labels[static_cast<size_t>(p)] = static_cast<uint8_t>(best);
      confidence_sum += smooth[static_cast<size_t>(best)] / total;
    }
  }
  r.confidence = n == 1 ? 0 : confidence_sum / static_cast<double>(w * h);
  return r;
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

// Random masks of blobs and speckles, odd sizes (one row, one column),
// weights of every kind: the same labels and the same confidence, to the
// bit, as the plain algorithm.
TEST(MasksTest, EqualsThePlainAlgorithm) {
  std::mt19937 rng(17);
  const std::vector<std::pair<int, int>> sizes = {{1, 1}, {1, 9}, {9, 1}, {2, 2}, {37, 23}, {64, 3}, {120, 80}};
  int cases = 0;
  for (const auto& [w, h] : sizes)
    for (int k : {1, 2, 3, 7})
      for (int n : {1, 2, 5})
        for (int weights = 0; weights < 3; ++weights) {
          std::vector<std::vector<uint8_t>> masks;
          for (int m = 0; m < n; ++m) {
            std::vector<uint8_t> mask(static_cast<size_t>(w * h), 0);
            for (int blob = 0; blob < 3; ++blob) {
              const int c = static_cast<int>(rng() % static_cast<unsigned>(k));
              const int x0 = static_cast<int>(rng() % static_cast<unsigned>(w)), y0 = static_cast<int>(rng() % static_cast<unsigned>(h));
              const int x1 = x0 + static_cast<int>(rng() % static_cast<unsigned>(w)), y1 = y0 + static_cast<int>(rng() % static_cast<unsigned>(h));
              for (int y = y0; y < std::min(y1, h); ++y)
                for (int x = x0; x < std::min(x1, w); ++x) mask[static_cast<size_t>(y * w + x)] = static_cast<uint8_t>(c);
            }
            for (int speck = 0; speck < w * h / 20; ++speck)
              mask[rng() % mask.size()] = static_cast<uint8_t>(rng() % static_cast<unsigned>(k));
            masks.push_back(std::move(mask));
          }
          std::vector<double> wt;
          if (weights == 1)
            for (int m = 0; m < n; ++m) wt.push_back(std::uniform_real_distribution<double>(0, 2)(rng));
          if (weights == 2)
            for (int m = 0; m < n; ++m) wt.push_back(m == 0 ? 0.0 : 1.0 / 3);  // zero and inexact weights
          MaskVote v;
          v.width = w;
          v.height = h;
          v.num_classes = k;
          for (const auto& m : masks) v.masks.push_back(m.data());
          v.weights = wt;
          const auto fast = VoteMasks(v), plain = PlainVote(v);
          ASSERT_EQ(fast.labels, plain.labels) << w << "x" << h << " k=" << k << " n=" << n << " weights=" << weights;
          ASSERT_EQ(fast.confidence, plain.confidence) << w << "x" << h << " k=" << k << " n=" << n;
          ++cases;
        }
  EXPECT_EQ(cases, 7 * 4 * 3 * 3);
}

TEST(MasksTest, FourThousandByThreeThousandWithFiveWorkers) {
  const int w = 4000, h = 3000;
  std::mt19937 rng(9);
  const auto truth = Truth(w, h);
  std::vector<std::vector<uint8_t>> masks;
  for (int k = 0; k < 5; ++k) masks.push_back(Worker(truth, w, h, k == 4 ? 40 : 6, false, rng));
  MaskVote v;
  v.width = w;
  v.height = h;
  v.num_classes = 3;
  for (const auto& m : masks) v.masks.push_back(m.data());
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = VoteMasks(v);
  const auto t1 = std::chrono::steady_clock::now();
  const auto plain = PlainVote(v);
  const auto t2 = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  const double plain_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  std::printf("masks, 4000x3000 x 5 workers: %.0f ms (the plain per-pixel loop: %.0f ms, %.1fx), accuracy %.4f\n",
              ms, plain_ms, plain_ms / ms, Accuracy(r.labels, truth));
  EXPECT_GT(Accuracy(r.labels, truth), 0.99);
  EXPECT_EQ(r.labels, plain.labels);
  EXPECT_EQ(r.confidence, plain.confidence);
}

}  // namespace
}  // namespace plumbline::consolidation
