// Drawn-shape consolidation (shapes.hpp): polygons, lines, polylines and
// keypoints grouped across workers, their labels voted and their shapes
// merged with worker reliabilities.
#include "consolidation/shapes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace plumbline::consolidation {
namespace {

struct Bounds {
  double x1 = std::numeric_limits<double>::infinity(), y1 = x1;
  double x2 = -std::numeric_limits<double>::infinity(), y2 = x2;
  void Add(const Point& p) {
    x1 = std::min(x1, p.x);
    y1 = std::min(y1, p.y);
    x2 = std::max(x2, p.x);
    y2 = std::max(y2, p.y);
  }
};

Bounds BoundsOf(std::span<const Point> pts) {
  Bounds b;
  for (const auto& p : pts) b.Add(p);
  return b;
}

double ShoelaceArea(std::span<const Point> p) {
  double s = 0;
  for (size_t i = 0, n = p.size(); i < n; ++i) {
    const Point& a = p[i];
    const Point& b = p[(i + 1) % n];
    s += a.x * b.y - b.x * a.y;
  }
  return std::abs(s) / 2;
}

// The x of each edge crossing of the horizontal line at y, sorted.
void Crossings(std::span<const Point> poly, double y, std::vector<double>& out) {
  out.clear();
  for (size_t i = 0, n = poly.size(); i < n; ++i) {
    const Point& a = poly[i];
    const Point& b = poly[(i + 1) % n];
    if ((a.y <= y) == (b.y <= y)) continue;  // half-open: each vertex counted once
    out.push_back(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
  }
  std::sort(out.begin(), out.end());
}

double PointSegmentDistance(const Point& p, const Point& a, const Point& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

double PointPolylineDistance(const Point& p, std::span<const Point> line) {
  if (line.size() == 1) return std::hypot(p.x - line[0].x, p.y - line[0].y);
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i + 1 < line.size(); ++i) best = std::min(best, PointSegmentDistance(p, line[i], line[i + 1]));
  return best;
}

// Mean distance from points spread evenly along `from` to `to`.
double MeanDistance(std::span<const Point> from, std::span<const Point> to) {
  constexpr int kSamples = 32;
  if (from.size() == 1) return PointPolylineDistance(from[0], to);
  double length = 0;
  for (size_t i = 0; i + 1 < from.size(); ++i)
    length += std::hypot(from[i + 1].x - from[i].x, from[i + 1].y - from[i].y);
  if (!(length > 0)) return PointPolylineDistance(from[0], to);
  double sum = 0;
  size_t seg = 0;
  double seg_start = 0;
  for (int s = 0; s <= kSamples; ++s) {
    const double at = length * s / kSamples;
    double seg_len = std::hypot(from[seg + 1].x - from[seg].x, from[seg + 1].y - from[seg].y);
    while (seg + 2 < from.size() && seg_start + seg_len < at) {
      seg_start += seg_len;
      ++seg;
      seg_len = std::hypot(from[seg + 1].x - from[seg].x, from[seg + 1].y - from[seg].y);
    }
    const double t = seg_len > 0 ? std::clamp((at - seg_start) / seg_len, 0.0, 1.0) : 0;
    const Point p{from[seg].x + t * (from[seg + 1].x - from[seg].x), from[seg].y + t * (from[seg + 1].y - from[seg].y)};
    sum += PointPolylineDistance(p, to);
  }
  return sum / (kSamples + 1);
}

size_t MinPoints(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::kPolygon: return 3;
    case ShapeKind::kLine:
    case ShapeKind::kPolyline: return 2;
    case ShapeKind::kKeypoint: return 1;
  }
  return 1;
}

// One image's usable shapes and what is known of them.
struct Item {
  int32_t answer;  // index of the answer in the image (one worker each)
  int32_t worker;
  const Shape* shape;
  Bounds bounds;
  double area;  // polygons
};

struct Context {
  ShapeKind kind;
  const ShapeOptions& options;
  double tau = 1;  // distance threshold in pixels
};

// Similarity in [0, 1] of two shapes, or -1 when they must not be grouped.
double Similarity(const Context& c, const Item& a, const Item& b) {
  if (c.kind == ShapeKind::kPolygon) {
    const double iw = std::min(a.bounds.x2, b.bounds.x2) - std::max(a.bounds.x1, b.bounds.x1);
    const double ih = std::min(a.bounds.y2, b.bounds.y2) - std::max(a.bounds.y1, b.bounds.y1);
    if (iw <= 0 || ih <= 0) return 0;
    // The intersection is at most the bounds', the union at least the larger area.
    const double larger = std::max(a.area, b.area);
    if (larger <= 0 || iw * ih / larger < c.options.min_iou) return 0;
    return PolygonIoU(a.shape->points, b.shape->points, c.options.raster);
  }
  if (c.kind == ShapeKind::kKeypoint && a.shape->label != b.shape->label) return -1;
  // The mean distance is at least the gap between the bounds.
  const double gx = std::max({0.0, a.bounds.x1 - b.bounds.x2, b.bounds.x1 - a.bounds.x2});
  const double gy = std::max({0.0, a.bounds.y1 - b.bounds.y2, b.bounds.y1 - a.bounds.y2});
  if (std::hypot(gx, gy) > c.tau) return 0;
  return std::max(0.0, 1 - PolylineDistance(a.shape->points, b.shape->points) / c.tau);
}

double Threshold(const Context& c) {
  // Polygons: IoU >= min_iou; the others: closer than tau (similarity > 0).
  return c.kind == ShapeKind::kPolygon ? c.options.min_iou : 0.0;
}

double ShapeSimilarity(const Context& c, const Shape& a, const Shape& b) {
  if (c.kind == ShapeKind::kPolygon) return PolygonIoU(a.points, b.points, c.options.raster);
  return std::max(0.0, 1 - PolylineDistance(a.points, b.points) / c.tau);
}

double WeightedMedian(std::vector<std::pair<double, double>>& values) {  // (value, weight)
  std::sort(values.begin(), values.end());
  double total = 0;
  for (const auto& v : values) total += v.second;
  double run = 0;
  for (const auto& v : values) {
    run += v.second;
    if (run >= total / 2) return v.first;
  }
  return values.back().first;
}

struct Kept {
  std::vector<int32_t> members;  // item indexes
  int32_t label;
};

// Consolidates one image with the given weights; `kept` receives the kept
// groups (for the reliability estimate).
std::vector<ConsolidatedShape> OneImage(const Context& c, const ShapeImage& image,
                                        const std::vector<double>& weight,
                                        std::vector<Item>& items, std::vector<Kept>& kept) {
  items.clear();
  kept.clear();
  const size_t min_points = MinPoints(c.kind);
  for (size_t ai = 0; ai < image.answers.size(); ++ai) {
    for (const auto& s : image.answers[ai].shapes) {
      if (s.points.size() < min_points) continue;
      Item it{static_cast<int32_t>(ai), image.answers[ai].worker, &s, BoundsOf(s.points), 0};
      if (c.kind == ShapeKind::kPolygon) it.area = ShoelaceArea(s.points);
      items.push_back(it);
    }
  }
  const size_t n = items.size();
  std::vector<double> sim(n * n, 0);
  struct Pair {
    double s;
    int32_t a, b;
  };
  std::vector<Pair> pairs;
  const double threshold = Threshold(c);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (items[i].answer == items[j].answer) continue;
      const double s = Similarity(c, items[i], items[j]);
      sim[i * n + j] = sim[j * n + i] = std::max(s, 0.0);
      if (s > 0 && s >= threshold) pairs.push_back({s, static_cast<int32_t>(i), static_cast<int32_t>(j)});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    return std::tie(y.s, x.a, x.b) < std::tie(x.s, y.a, y.b);
  });
  // Groups: members, and which answers they hold.
  std::vector<int32_t> group_of(n);
  std::vector<std::vector<int32_t>> groups(n);
  std::vector<std::vector<char>> holds(n, std::vector<char>(image.answers.size(), 0));
  for (size_t i = 0; i < n; ++i) {
    group_of[i] = static_cast<int32_t>(i);
    groups[i] = {static_cast<int32_t>(i)};
    holds[i][static_cast<size_t>(items[i].answer)] = 1;
  }
  for (const auto& p : pairs) {
    int32_t ga = group_of[static_cast<size_t>(p.a)], gb = group_of[static_cast<size_t>(p.b)];
    if (ga == gb) continue;
    bool shared = false;
    for (size_t k = 0; k < image.answers.size() && !shared; ++k)
      shared = holds[static_cast<size_t>(ga)][k] && holds[static_cast<size_t>(gb)][k];
    if (shared) continue;
    if (ga > gb) std::swap(ga, gb);
    for (int32_t m : groups[static_cast<size_t>(gb)]) {
      group_of[static_cast<size_t>(m)] = ga;
      groups[static_cast<size_t>(ga)].push_back(m);
    }
    for (size_t k = 0; k < image.answers.size(); ++k)
      holds[static_cast<size_t>(ga)][k] |= holds[static_cast<size_t>(gb)][k];
    groups[static_cast<size_t>(gb)].clear();
  }

  double answering = 0;
  for (const auto& a : image.answers) answering += weight[static_cast<size_t>(a.worker)];
  std::vector<ConsolidatedShape> out;
  for (size_t g = 0; g < n; ++g) {
    auto& members = groups[g];
    if (members.empty()) continue;
    std::sort(members.begin(), members.end());
    auto w = [&](int32_t m) { return std::max(weight[static_cast<size_t>(items[static_cast<size_t>(m)].worker)], 1e-9); };
    double total = 0;
    for (int32_t m : members) total += weight[static_cast<size_t>(items[static_cast<size_t>(m)].worker)];
    if (total < answering / 2) continue;
    // The label: weighted vote, ties to the lowest index.
    std::vector<std::pair<int32_t, double>> votes;
    for (int32_t m : members) {
      const int32_t label = items[static_cast<size_t>(m)].shape->label;
      auto it = std::find_if(votes.begin(), votes.end(), [&](const auto& v) { return v.first == label; });
      if (it == votes.end()) votes.emplace_back(label, w(m));
      else it->second += w(m);
    }
    std::sort(votes.begin(), votes.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    // The medoid: the member most similar to the group, weighted, itself
    // included (similarity 1): without its own weight, the least reliable
    // member would win whenever the similarities are close (of two, always
    // the one whose partner weighs more).
    int32_t medoid = members.front();
    double best = -1;
    for (int32_t m : members) {
      double s = 0;
      for (int32_t o : members)
        s += w(o) * (o == m ? 1.0 : sim[static_cast<size_t>(m) * n + static_cast<size_t>(o)]);
      if (s > best) {
        best = s;
        medoid = m;
      }
    }
    ConsolidatedShape cs;
    cs.shape.label = votes.front().first;
    cs.support = static_cast<int32_t>(members.size());
    const Shape& ref = *items[static_cast<size_t>(medoid)].shape;
    if (c.kind == ShapeKind::kPolygon || c.kind == ShapeKind::kPolyline) {
      cs.shape.points = ref.points;
    } else if (c.kind == ShapeKind::kLine) {
      Point p0{}, p1{};
      double wsum = 0;
      for (int32_t m : members) {
        const auto& pts = items[static_cast<size_t>(m)].shape->points;
        Point a = pts.front(), b = pts.back();
        const double straight = std::hypot(a.x - ref.points.front().x, a.y - ref.points.front().y) +
                                std::hypot(b.x - ref.points.back().x, b.y - ref.points.back().y);
        const double flipped = std::hypot(b.x - ref.points.front().x, b.y - ref.points.front().y) +
                               std::hypot(a.x - ref.points.back().x, a.y - ref.points.back().y);
        if (flipped < straight) std::swap(a, b);
        p0.x += w(m) * a.x;
        p0.y += w(m) * a.y;
        p1.x += w(m) * b.x;
        p1.y += w(m) * b.y;
        wsum += w(m);
      }
      cs.shape.points = {{p0.x / wsum, p0.y / wsum}, {p1.x / wsum, p1.y / wsum}};
    } else {  // keypoint
      std::vector<std::pair<double, double>> xs, ys;
      for (int32_t m : members) {
        const Point& p = items[static_cast<size_t>(m)].shape->points.front();
        xs.emplace_back(p.x, w(m));
        ys.emplace_back(p.y, w(m));
      }
      cs.shape.points = {{WeightedMedian(xs), WeightedMedian(ys)}};
    }
    double agreement = 0;
    for (int32_t m : members) agreement += ShapeSimilarity(c, *items[static_cast<size_t>(m)].shape, cs.shape);
    agreement /= static_cast<double>(members.size());
    const double share = answering > 0 ? std::min(1.0, votes.front().second / answering) : 0;
    cs.confidence = share * agreement;
    out.push_back(std::move(cs));
    kept.push_back({members, votes.front().first});
  }
  // Sorted by label, then first point (y, x); kept in the same order.
  std::vector<size_t> order(out.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const auto& a = out[x].shape;
    const auto& b = out[y].shape;
    return std::tie(a.label, a.points.front().y, a.points.front().x, x) <
           std::tie(b.label, b.points.front().y, b.points.front().x, y);
  });
  std::vector<ConsolidatedShape> sorted;
  std::vector<Kept> kept_sorted;
  for (size_t i : order) {
    sorted.push_back(std::move(out[i]));
    kept_sorted.push_back(std::move(kept[i]));
  }
  kept = std::move(kept_sorted);
  return sorted;
}

double Diagonal(const ShapeImage& image) {
  if (image.width > 0 && image.height > 0) return std::hypot(image.width, image.height);
  Bounds b;
  for (const auto& a : image.answers)
    for (const auto& s : a.shapes)
      for (const auto& p : s.points) b.Add(p);
  return b.x2 >= b.x1 ? std::hypot(b.x2 - b.x1, b.y2 - b.y1) : 0;
}

}  // namespace

double PolygonIoU(std::span<const Point> a, std::span<const Point> b, int raster) {
  if (a.size() < 3 || b.size() < 3 || raster < 1) return 0;
  Bounds box = BoundsOf(a);
  for (const auto& p : b) box.Add(p);
  const double w = box.x2 - box.x1, h = box.y2 - box.y1;
  if (!(w > 0) || !(h > 0)) return 0;
  const double cw = w / raster, ch = h / raster;
  std::vector<double> xa, xb;
  int64_t in_a = 0, in_b = 0, both = 0;
  for (int row = 0; row < raster; ++row) {
    const double y = box.y1 + (row + 0.5) * ch;
    Crossings(a, y, xa);
    Crossings(b, y, xb);
    size_t ia = 0, ib = 0;
    for (int col = 0; col < raster; ++col) {
      const double x = box.x1 + (col + 0.5) * cw;
      while (ia < xa.size() && xa[ia] < x) ++ia;
      while (ib < xb.size() && xb[ib] < x) ++ib;
      const bool inside_a = ia % 2 == 1, inside_b = ib % 2 == 1;
      in_a += inside_a;
      in_b += inside_b;
      both += inside_a && inside_b;
    }
  }
  const int64_t uni = in_a + in_b - both;
  return uni > 0 ? static_cast<double>(both) / static_cast<double>(uni) : 0;
}

double PolylineDistance(std::span<const Point> a, std::span<const Point> b) {
  if (a.empty() || b.empty()) return std::numeric_limits<double>::infinity();
  return (MeanDistance(a, b) + MeanDistance(b, a)) / 2;
}

ShapeResult ConsolidateShapes(ShapeKind kind, std::span<const ShapeImage> images,
                              int32_t num_workers, const ShapeOptions& options) {
  for (const auto& image : images)
    for (const auto& a : image.answers)
      if (a.worker < 0 || a.worker >= num_workers)
        throw std::invalid_argument("shape answer of worker " + std::to_string(a.worker) +
                                    " outside [0, " + std::to_string(num_workers) + ")");
  ShapeResult result;
  result.worker_weight.assign(static_cast<size_t>(std::max(num_workers, 0)), 1.0);
  std::vector<Item> items;
  std::vector<std::vector<Kept>> kept(images.size());
  std::vector<std::vector<Item>> kept_items(images.size());
  for (int round = 0; round <= std::max(options.reliability_rounds, 0); ++round) {
    result.images.assign(images.size(), {});
    for (size_t i = 0; i < images.size(); ++i) {
      Context c{kind, options};
      c.tau = std::max(options.min_distance_px, options.max_distance_fraction * Diagonal(images[i]));
      result.images[i] = OneImage(c, images[i], result.worker_weight, items, kept[i]);
      kept_items[i] = items;
    }
    if (round == options.reliability_rounds) break;
    // Each worker's smoothed F1 against the kept groups.
    std::vector<double> tp(result.worker_weight.size(), 0), fp = tp, fn = tp;
    for (size_t i = 0; i < images.size(); ++i) {
      const auto& its = kept_items[i];
      std::vector<char> good(its.size(), 0);
      for (const auto& k : kept[i])
        for (int32_t m : k.members)
          if (its[static_cast<size_t>(m)].shape->label == k.label) good[static_cast<size_t>(m)] = 1;
      for (size_t m = 0; m < its.size(); ++m)
        (good[m] ? tp : fp)[static_cast<size_t>(its[m].worker)] += 1;
      for (size_t ai = 0; ai < images[i].answers.size(); ++ai) {
        for (const auto& k : kept[i]) {
          bool has = false;
          for (int32_t m : k.members) has = has || its[static_cast<size_t>(m)].answer == static_cast<int32_t>(ai);
          if (!has) fn[static_cast<size_t>(images[i].answers[ai].worker)] += 1;
        }
      }
    }
    const double a = options.reliability_prior_a, b = options.reliability_prior_b;
    for (size_t w = 0; w < result.worker_weight.size(); ++w)
      result.worker_weight[w] = (2 * tp[w] + a) / (2 * tp[w] + fp[w] + fn[w] + a + b);
  }
  return result;
}

}  // namespace plumbline::consolidation
