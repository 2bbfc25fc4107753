// Drawn-shape consolidation (consolidation/shapes.hpp): the geometry, the
// grouping rules, and synthetic crowds with known truth (5 workers, one of
// them careless) for polygons, keypoints and lines.
#include "consolidation/shapes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

namespace plumbline::consolidation {
namespace {

std::vector<Point> Rect(double x, double y, double w, double h) {
  return {{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}};
}

TEST(ShapeGeometryTest, PolygonIoU) {
  auto a = Rect(0, 0, 10, 10);
  EXPECT_DOUBLE_EQ(PolygonIoU(a, a), 1.0);
  EXPECT_NEAR(PolygonIoU(a, Rect(5, 0, 10, 10)), 1.0 / 3, 0.02);
  EXPECT_EQ(PolygonIoU(a, Rect(20, 20, 5, 5)), 0.0);
  // An L (three quarters of the square) against the square; vertex order
  // (clockwise or not) does not matter.
  std::vector<Point> l = {{0, 0}, {10, 0}, {10, 5}, {5, 5}, {5, 10}, {0, 10}};
  EXPECT_NEAR(PolygonIoU(l, a), 0.75, 0.02);
  std::vector<Point> reversed(l.rbegin(), l.rend());
  EXPECT_NEAR(PolygonIoU(reversed, a), 0.75, 0.02);
  EXPECT_EQ(PolygonIoU(std::vector<Point>{{0, 0}, {1, 1}}, a), 0.0);  // no area
}

TEST(ShapeGeometryTest, PolylineDistance) {
  std::vector<Point> line = {{0, 0}, {100, 0}};
  EXPECT_NEAR(PolylineDistance(line, line), 0, 1e-9);
  EXPECT_NEAR(PolylineDistance(line, std::vector<Point>{{100, 0}, {0, 0}}), 0, 1e-9);  // direction
  EXPECT_NEAR(PolylineDistance(line, std::vector<Point>{{0, 3}, {100, 3}}), 3, 1e-9);
  // A polyline and a straight line over the same span: the bend counts.
  std::vector<Point> bent = {{0, 0}, {50, 10}, {100, 0}};
  EXPECT_GT(PolylineDistance(line, bent), 2);
  EXPECT_LT(PolylineDistance(line, bent), 6);
  EXPECT_NEAR(PolylineDistance(std::vector<Point>{{3, 4}}, std::vector<Point>{{0, 0}}), 5, 1e-9);
}

TEST(ShapeConsolidationTest, PolygonsOfTwoWorkersOfThreeAreKeptWithTheVotedLabel) {
  ShapeImage image;
  image.width = 200;
  image.height = 200;
  image.answers = {{0, {{0, Rect(10, 10, 50, 50)}, {1, Rect(120, 120, 40, 40)}}},
                   {1, {{0, Rect(12, 11, 49, 50)}}},
                   {2, {{1, Rect(11, 9, 50, 52)}}}};
  ShapeOptions o;
  o.reliability_rounds = 0;
  auto r = ConsolidateShapes(ShapeKind::kPolygon, std::span(&image, 1), 3, o);
  ASSERT_EQ(r.images.size(), 1u);
  // The lone polygon of worker 0 (a third of the weight) is dropped.
  ASSERT_EQ(r.images[0].size(), 1u);
  const auto& s = r.images[0][0];
  EXPECT_EQ(s.shape.label, 0);  // two votes of three
  EXPECT_EQ(s.support, 3);
  EXPECT_GT(PolygonIoU(s.shape.points, Rect(10, 10, 50, 50)), 0.9);
  EXPECT_GT(s.confidence, 0.55);
  EXPECT_LT(s.confidence, 2.0 / 3 + 1e-9);
  // Two polygons of one worker never share a group.
  ShapeImage twice;
  twice.answers = {{0, {{0, Rect(0, 0, 10, 10)}, {0, Rect(1, 0, 10, 10)}}}};
  EXPECT_EQ(ConsolidateShapes(ShapeKind::kPolygon, std::span(&twice, 1), 1, o).images[0].size(), 2u);
  EXPECT_THROW(ConsolidateShapes(ShapeKind::kPolygon, std::span(&image, 1), 2, o), std::invalid_argument);
}

TEST(ShapeConsolidationTest, KeypointsOfOneLabelGetTheWeightedMedian) {
  ShapeImage image;
  image.width = 1000;
  image.height = 1000;
  // Four careful workers near (100, 200), one far off; a second label apart.
  image.answers = {{0, {{0, {{101, 199}}}, {1, {{400, 400}}}}}, {1, {{0, {{99, 202}}}, {1, {{402, 398}}}}},
                   {2, {{0, {{100, 200}}}}}, {3, {{0, {{103, 201}}}}}, {4, {{0, {{900, 50}}}}}};
  ShapeOptions o;
  o.reliability_rounds = 0;
  auto r = ConsolidateShapes(ShapeKind::kKeypoint, std::span(&image, 1), 5, o);
  // Label 1: two workers of five, less than half the weight: dropped. The
  // far point of label 0 is a group of its own, also dropped.
  ASSERT_EQ(r.images[0].size(), 1u);
  const auto& s = r.images[0][0];
  EXPECT_EQ(s.shape.label, 0);
  EXPECT_EQ(s.support, 4);
  ASSERT_EQ(s.shape.points.size(), 1u);
  EXPECT_EQ(s.shape.points[0].x, 100);  // the median, not the mean
  EXPECT_EQ(s.shape.points[0].y, 200);
  EXPECT_GT(s.confidence, 0.7);  // four fifths, close together
  EXPECT_LT(s.confidence, 0.8);
}

TEST(ShapeConsolidationTest, TheMedoidIsTheMoreReliableOfCloseMembers) {
  // Image 0 teaches the weights: workers 0 and 1 agree, worker 2 draws a
  // polygon nobody else does. On image 1 all three trace one square, worker
  // 2 a little off: the two careful ones weigh more and one of them, not
  // worker 2, gives the shape (each member counts its own weight).
  std::vector<ShapeImage> images(2);
  images[0].answers = {{0, {{0, Rect(10, 10, 50, 50)}}},
                       {1, {{0, Rect(10, 10, 50, 50)}}},
                       {2, {{0, Rect(10, 10, 50, 50)}, {0, Rect(120, 120, 40, 40)}}}};
  images[1].answers = {{0, {{0, Rect(100, 100, 100, 100)}}},
                       {1, {{0, Rect(102, 100, 100, 100)}}},
                       {2, {{0, Rect(106, 106, 100, 100)}}}};
  auto r = ConsolidateShapes(ShapeKind::kPolygon, images, 3);
  ASSERT_LT(r.worker_weight[2], r.worker_weight[0]);
  ASSERT_EQ(r.images[1].size(), 1u);
  EXPECT_LE(r.images[1][0].shape.points[0].x, 102);
  // Of two members, the more reliable one.
  std::vector<ShapeImage> two(2);
  two[0] = images[0];
  two[1].answers = {{0, {{0, Rect(100, 100, 100, 100)}}}, {2, {{0, Rect(104, 100, 100, 100)}}}};
  auto r2 = ConsolidateShapes(ShapeKind::kPolygon, two, 3);
  ASSERT_EQ(r2.images[1].size(), 1u);
  EXPECT_EQ(r2.images[1][0].shape.points[0].x, 100);
}

// Synthetic crowds: `images` images, each with `per_image` true shapes; four
// workers copy them with noise (and now and then miss one), worker 4 draws
// at random with random labels.
struct Crowd {
  std::vector<std::vector<Shape>> truth;
  std::vector<ShapeImage> images;
};

Crowd MakeCrowd(ShapeKind kind, int images, int per_image, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pos(50, 950), size(60, 160), unit(0, 1);
  std::normal_distribution<double> noise(0, 3);
  Crowd c;
  for (int i = 0; i < images; ++i) {
    std::vector<Shape> truth;
    for (int k = 0; k < per_image; ++k) {
      Shape s;
      s.label = k % 3;
      // Shapes in their own cell of the image, so true ones do not overlap.
      const double cx = 150 + 300 * (k % 3), cy = 150 + 300 * (k / 3);
      if (kind == ShapeKind::kPolygon) {
        const double r = size(rng) / 2;
        const int n = 5 + k % 3;
        for (int v = 0; v < n; ++v) {
          const double a = 2 * M_PI * v / n, rr = r * (0.7 + 0.3 * unit(rng));
          s.points.push_back({cx + rr * std::cos(a), cy + rr * std::sin(a)});
        }
      } else if (kind == ShapeKind::kLine) {
        const double a = unit(rng) * M_PI, r = size(rng) / 2;
        s.points = {{cx - r * std::cos(a), cy - r * std::sin(a)}, {cx + r * std::cos(a), cy + r * std::sin(a)}};
      } else {
        s.points = {{cx + noise(rng) * 10, cy + noise(rng) * 10}};
      }
      truth.push_back(std::move(s));
    }
    ShapeImage image;
    image.width = image.height = 1000;
    for (int w = 0; w < 5; ++w) {
      ShapeAnswer a;
      a.worker = w;
      for (const auto& t : truth) {
        Shape s = t;
        if (w == 4) {
          const double dx = pos(rng) - 500, dy = pos(rng) - 500;
          for (auto& p : s.points) p = {p.x + dx, p.y + dy};
          s.label = static_cast<int32_t>(rng() % 3);
        } else {
          if (unit(rng) < 0.05) continue;  // a miss
          for (auto& p : s.points) p = {p.x + noise(rng), p.y + noise(rng)};
          if (kind == ShapeKind::kLine && unit(rng) < 0.5) std::swap(s.points[0], s.points[1]);
          if (unit(rng) < 0.05) s.label = (s.label + 1) % 3;  // a slip
        }
        a.shapes.push_back(std::move(s));
      }
      image.answers.push_back(std::move(a));
    }
    c.truth.push_back(std::move(truth));
    c.images.push_back(std::move(image));
  }
  return c;
}

// How well `found` covers `truth`: recall (a truth shape matched by a found
// one of its label) and the mean similarity of the matches.
struct Score {
  double recall = 0, mean_similarity = 0;
};

double Similar(ShapeKind kind, const Shape& a, const Shape& b) {
  if (kind == ShapeKind::kPolygon) return PolygonIoU(a.points, b.points);
  return std::max(0.0, 1 - PolylineDistance(a.points, b.points) / 30);
}

Score ScoreOf(ShapeKind kind, const std::vector<std::vector<Shape>>& truth,
              const std::vector<std::vector<Shape>>& found) {
  double matched = 0, total = 0, sim = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    for (const auto& t : truth[i]) {
      total += 1;
      double best = 0;
      for (const auto& f : found[i])
        if (f.label == t.label) best = std::max(best, Similar(kind, t, f));
      if (best >= 0.5) {
        matched += 1;
        sim += best;
      }
    }
  return {matched / total, matched > 0 ? sim / matched : 0};
}

void ExpectBetterThanTheMedianWorker(ShapeKind kind, const char* name, double min_recall) {
  Crowd c = MakeCrowd(kind, 60, 6, 1234 + static_cast<uint32_t>(kind));
  auto r = ConsolidateShapes(kind, c.images, 5);
  std::vector<std::vector<Shape>> merged;
  for (const auto& image : r.images) {
    merged.emplace_back();
    for (const auto& s : image) merged.back().push_back(s.shape);
  }
  Score consolidated = ScoreOf(kind, c.truth, merged);
  std::vector<double> worker_sim;
  for (int w = 0; w < 5; ++w) {
    std::vector<std::vector<Shape>> own;
    for (const auto& image : c.images) own.push_back(image.answers[static_cast<size_t>(w)].shapes);
    Score s = ScoreOf(kind, c.truth, own);
    worker_sim.push_back(s.recall * s.mean_similarity);
  }
  std::sort(worker_sim.begin(), worker_sim.end());
  std::printf("%s: consolidated recall %.3f, mean similarity %.3f; median worker recall x similarity %.3f\n",
              name, consolidated.recall, consolidated.mean_similarity, worker_sim[2]);
  EXPECT_GE(consolidated.recall, min_recall) << name;
  EXPECT_GT(consolidated.recall * consolidated.mean_similarity, worker_sim[2]) << name;
  // The careless worker weighs least.
  for (int w = 0; w < 4; ++w) EXPECT_LT(r.worker_weight[4], r.worker_weight[static_cast<size_t>(w)]) << name;
  // Confidence: in [0, 1], and lower for shapes some workers missed or mislabeled.
  for (const auto& image : r.images)
    for (const auto& s : image) {
      EXPECT_GE(s.confidence, 0.0);
      EXPECT_LE(s.confidence, 1.0);
    }
}

TEST(ShapeConsolidationTest, PolygonCrowdBeatsTheMedianWorker) {
  ExpectBetterThanTheMedianWorker(ShapeKind::kPolygon, "polygons", 0.95);
}
TEST(ShapeConsolidationTest, LineCrowdBeatsTheMedianWorker) {
  ExpectBetterThanTheMedianWorker(ShapeKind::kLine, "lines", 0.95);
}
TEST(ShapeConsolidationTest, KeypointCrowdBeatsTheMedianWorker) {
  // Keypoints are matched by label, not voted: a point that two of the four
  // careful workers missed or labeled otherwise (each 5% + 5% here: about 5%
  // of the points) has less than half the weight and is dropped.
  ExpectBetterThanTheMedianWorker(ShapeKind::kKeypoint, "keypoints", 0.93);
}

}  // namespace
}  // namespace plumbline::consolidation
