// Consolidation of the drawn shapes of custom templates: crowd-polygon,
// crowd-line, crowd-polyline and crowd-keypoint answers (issue 16). Pure,
// like the rest of consolidation/: callers map workers and labels to dense
// integers first.
//
// Each image's shapes are grouped across workers (never two shapes of one
// worker in a group): the most similar pair of shapes of different workers
// whose groups share no worker joins first, down to a threshold. Similarity:
//   polygons   their IoU (areas rasterised on a grid over the pair's bounds,
//              even-odd rule), grouped at IoU >= min_iou; labels ignored;
//   lines and  1 - d / tau, with d the symmetric mean distance between the
//   polylines  two (points sampled along each, distance to the other one;
//              direction does not matter) and tau = max(min_distance_px,
//              max_distance_fraction * the image's diagonal); labels ignored;
//   keypoints  1 - d / tau for points of the same label (a label names a
//              part, such as "left eye", so labels are matched, not voted).
// A group is kept when its workers carry at least half of the weight of the
// workers who answered the image. Its label is the members' weighted vote
// (ties: the lowest label index). Its shape: a polygon or polyline group's
// medoid (the member most similar to the group, weighted, its own weight
// counted with similarity 1, so the more reliable of close members), as vertex
// counts differ from worker to worker; a line's endpoints averaged with the
// weights (each member turned to run the way the medoid runs); a keypoint's
// reliability-weighted median x and y. Its confidence: the chosen label's
// weight share of the answering workers times the members' mean similarity
// to the result. Worker weights are their reliability over all images, a
// smoothed F1 of their shapes against the kept groups (a shape counts when
// its group was kept with its label), re-estimated `reliability_rounds`
// times from a start of 1 each.
//
// Examples: tests/consolidation/shapes_test.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace plumbline::consolidation {

struct Point {
  double x = 0, y = 0;
};

enum class ShapeKind { kPolygon, kLine, kPolyline, kKeypoint };

// A polygon (3 or more vertices, closed), a line (2), a polyline (2 or
// more, open) or a keypoint (1). Shapes with too few points are ignored.
struct Shape {
  int32_t label = 0;
  std::vector<Point> points;
};

struct ShapeAnswer {
  int32_t worker = 0;
  std::vector<Shape> shapes;
};

struct ShapeImage {
  std::vector<ShapeAnswer> answers;
  // The image's size in pixels, for the distance threshold; 0: the bounds of
  // the answers' points stand in for it.
  double width = 0, height = 0;
};

struct ConsolidatedShape {
  Shape shape;
  double confidence = 0;  // unrounded
  int32_t support = 0;    // workers in the group
};

struct ShapeOptions {
  double min_iou = 0.5;                  // polygons
  double max_distance_fraction = 0.03;   // lines, polylines, keypoints
  double min_distance_px = 5;
  int raster = 64;                       // polygon IoU grid, cells per side
  int reliability_rounds = 2;            // 0: every worker weighs 1
  double reliability_prior_a = 7, reliability_prior_b = 3;
};

struct ShapeResult {
  // Per image, sorted by label, then by the first point (y, then x).
  std::vector<std::vector<ConsolidatedShape>> images;
  std::vector<double> worker_weight;  // per worker id
};

// Consolidates every image (worker ids dense in [0, num_workers)); throws
// std::invalid_argument for a worker id out of range.
ShapeResult ConsolidateShapes(ShapeKind kind, std::span<const ShapeImage> images,
                              int32_t num_workers, const ShapeOptions& options = {});

// IoU of two simple or self-crossing polygons (even-odd), rasterised on a
// raster x raster grid over their joint bounds; 0 when either has no area.
double PolygonIoU(std::span<const Point> a, std::span<const Point> b, int raster = 64);

// The symmetric mean distance between two polylines (a line is one with two
// points, a keypoint one with one): points sampled along each, their mean
// distance to the other, the two means averaged.
double PolylineDistance(std::span<const Point> a, std::span<const Point> b);

}  // namespace plumbline::consolidation
