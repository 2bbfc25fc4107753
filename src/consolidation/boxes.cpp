// Bounding-box consolidation (consolidation.hpp): grouping across workers by
// IoU, reliability-weighted mean edges, a weighted label vote and worker
// weights from their agreement with the result.
#include <algorithm>
#include <cmath>
#include <queue>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// One image's boxes and groups, in buffers reused from image to image.
struct Groups {
  struct Member {
    int32_t answer;  // index of the answer (one worker each) in the image
    double weight;
    Box box;
  };
  std::vector<Member> members;
  std::vector<int32_t> next;  // next member of the same group, -1 at the end
  struct Group {
    int32_t head, tail, size;
    uint32_t version;
    double weight;           // the members' total weight
    double x1, y1, x2, y2;   // the representative's edges
    bool alive;
  };
  std::vector<Group> groups;
  // Which answers each group holds: words_per_group bits per group.
  std::vector<uint64_t> answers;
  size_t words = 1;
  struct Pair {
    double iou;
    int32_t a, b;
    uint32_t va, vb;
    bool operator<(const Pair& o) const {
      // Highest IoU first; equal ones in a fixed order (lower indices first).
      return std::tie(iou, o.a, o.b) < std::tie(o.iou, a, b);
    }
  };
  std::vector<Pair> heap;
  std::vector<std::pair<int32_t, double>> votes;
  std::vector<int32_t> tied;
};

double EdgesIoU(double ax1, double ay1, double ax2, double ay2, double bx1, double by1, double bx2,
                double by2) {
  const double iw = std::min(ax2, bx2) - std::max(ax1, bx1);
  const double ih = std::min(ay2, by2) - std::max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  const double uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return uni > 0 ? inter / uni : 0;
}

double GroupIoU(const Groups::Group& a, const Groups::Group& b) {
  return EdgesIoU(a.x1, a.y1, a.x2, a.y2, b.x1, b.y1, b.x2, b.y2);
}

bool ShareAnswer(const Groups& g, int32_t a, int32_t b) {
  const uint64_t* x = &g.answers[static_cast<size_t>(a) * g.words];
  const uint64_t* y = &g.answers[static_cast<size_t>(b) * g.words];
  for (size_t w = 0; w < g.words; ++w)
    if (x[w] & y[w]) return true;
  return false;
}

void Represent(Groups& g, Groups::Group& c) {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0, total = 0;
  for (int32_t m = c.head; m >= 0; m = g.next[static_cast<size_t>(m)]) {
    const auto& mb = g.members[static_cast<size_t>(m)];
    // A worker of weight 0 still counts a little, so a group of such workers
    // has a box.
    const double w = std::max(mb.weight, 1e-9);
    x1 += w * mb.box.left;
    y1 += w * mb.box.top;
    x2 += w * (mb.box.left + mb.box.width);
    y2 += w * (mb.box.top + mb.box.height);
    total += w;
  }
  c.x1 = x1 / total;
  c.y1 = y1 / total;
  c.x2 = x2 / total;
  c.y2 = y2 / total;
}

// Groups one image's boxes into `g` (agglomerative, best pair first).
void Group(const BoxImage& image, const std::vector<double>& weight, double min_iou, Groups& g) {
  g.members.clear();
  g.next.clear();
  g.groups.clear();
  g.heap.clear();
  g.words = (image.answers.size() + 63) / 64;
  if (g.words == 0) g.words = 1;
  for (size_t ai = 0; ai < image.answers.size(); ++ai) {
    const auto& a = image.answers[ai];
    for (const auto& b : a.boxes) {
      if (!(b.width > 0) || !(b.height > 0)) continue;
      const auto i = static_cast<int32_t>(g.members.size());
      const double w = weight[static_cast<size_t>(a.worker)];
      g.members.push_back({static_cast<int32_t>(ai), w, b});
      g.next.push_back(-1);
      g.groups.push_back({i, i, 1, 0, w, b.left, b.top, b.left + b.width, b.top + b.height, true});
    }
  }
  const size_t n = g.groups.size();
  g.answers.assign(n * g.words, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto ai = static_cast<size_t>(g.members[i].answer);
    g.answers[i * g.words + ai / 64] |= uint64_t{1} << (ai % 64);
  }
  auto consider = [&](int32_t a, int32_t b) {
    const double iou = GroupIoU(g.groups[static_cast<size_t>(a)], g.groups[static_cast<size_t>(b)]);
    if (iou >= min_iou && !ShareAnswer(g, a, b))
      g.heap.push_back({iou, std::min(a, b), std::max(a, b), g.groups[static_cast<size_t>(std::min(a, b))].version,
                        g.groups[static_cast<size_t>(std::max(a, b))].version});
  };
  // Initial pairs: boxes sorted by left edge; a pair overlaps only if the
  // second starts before the first ends.
  std::vector<int32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
    return std::tie(g.groups[static_cast<size_t>(x)].x1, x) < std::tie(g.groups[static_cast<size_t>(y)].x1, y);
  });
  for (size_t i = 0; i < n; ++i) {
    const auto& a = g.groups[static_cast<size_t>(order[i])];
    for (size_t j = i + 1; j < n; ++j) {
      if (g.groups[static_cast<size_t>(order[j])].x1 >= a.x2) break;
      consider(order[i], order[j]);
    }
  }
  std::make_heap(g.heap.begin(), g.heap.end());
  while (!g.heap.empty()) {
    std::pop_heap(g.heap.begin(), g.heap.end());
    const Groups::Pair p = g.heap.back();
    g.heap.pop_back();
    auto& a = g.groups[static_cast<size_t>(p.a)];
    auto& b = g.groups[static_cast<size_t>(p.b)];
    if (!a.alive || !b.alive || a.version != p.va || b.version != p.vb) continue;  // stale
    // Merge b into a: members keep their order.
    g.next[static_cast<size_t>(a.tail)] = b.head;
    a.tail = b.tail;
    a.size += b.size;
    a.weight += b.weight;
    ++a.version;
    b.alive = false;
    for (size_t w = 0; w < g.words; ++w)
      g.answers[static_cast<size_t>(p.a) * g.words + w] |= g.answers[static_cast<size_t>(p.b) * g.words + w];
    Represent(g, a);
    for (size_t k = 0; k < n; ++k) {
      if (static_cast<int32_t>(k) == p.a || !g.groups[k].alive) continue;
      const size_t before = g.heap.size();
      consider(p.a, static_cast<int32_t>(k));
      if (g.heap.size() != before) std::push_heap(g.heap.begin(), g.heap.end());
    }
  }
}

std::vector<ConsolidatedBox> ConsolidateImage(const BoxImage& image, const std::vector<double>& weight,
                                              double min_iou, Groups& g) {
  double total = 0;
  for (const auto& a : image.answers) total += weight[static_cast<size_t>(a.worker)];
  std::vector<ConsolidatedBox> out;
  if (image.answers.empty()) return out;
  if (total <= 0) total = 1e-9 * static_cast<double>(image.answers.size());
  Group(image, weight, min_iou, g);
  auto& votes = g.votes;
  auto& tied = g.tied;
  for (const auto& c : g.groups) {
    if (!c.alive) continue;
    double support = 0;
    votes.clear();
    for (int32_t m = c.head; m >= 0; m = g.next[static_cast<size_t>(m)]) {
      const auto& mb = g.members[static_cast<size_t>(m)];
      const double w = std::max(mb.weight, 1e-9);
      support += w;
      auto it = std::lower_bound(votes.begin(), votes.end(), mb.box.label,
                                 [](const auto& v, int32_t l) { return v.first < l; });
      if (it == votes.end() || it->first != mb.box.label) it = votes.insert(it, {mb.box.label, 0.0});
      it->second += w;
    }
    if (support < 0.5 * total - 1e-9) continue;
    double top = -1;
    tied.clear();
    for (const auto& [label, v] : votes) {
      if (v > top + 1e-12) {
        top = v;
        tied.assign(1, label);
      } else if (std::abs(v - top) <= 1e-12) {
        tied.push_back(label);
      }
    }
    const auto key = static_cast<uint64_t>(std::llround(c.x1 * 16)) * 0x100000001B3ULL ^
                     static_cast<uint64_t>(std::llround(c.y1 * 16));
    const uint64_t pick = Mix(image.seed ^ Mix(key)) % tied.size();
    ConsolidatedBox r;
    r.box = {c.x1, c.y1, c.x2 - c.x1, c.y2 - c.y1, tied[pick]};
    r.support = c.size;
    double iou = 0;
    for (int32_t m = c.head; m >= 0; m = g.next[static_cast<size_t>(m)])
      iou += BoxIoU(g.members[static_cast<size_t>(m)].box, r.box);
    r.confidence = std::min(1.0, top / total) * (iou / static_cast<double>(c.size));
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const ConsolidatedBox& a, const ConsolidatedBox& b) {
    return std::tie(a.box.label, a.box.top, a.box.left, a.box.width, a.box.height) <
           std::tie(b.box.label, b.box.top, b.box.left, b.box.width, b.box.height);
  });
  return out;
}

}  // namespace

double BoxIoU(const Box& a, const Box& b) {
  if (!(a.width > 0) || !(a.height > 0) || !(b.width > 0) || !(b.height > 0)) return 0;
  return EdgesIoU(a.left, a.top, a.left + a.width, a.top + a.height, b.left, b.top,
                  b.left + b.width, b.top + b.height);
}

BoxResult ConsolidateBoxes(std::span<const BoxImage> images, int32_t num_workers,
                           const BoxOptions& options) {
  if (num_workers < 0) throw std::invalid_argument("boxes: negative worker count");
  for (const auto& im : images)
    for (const auto& a : im.answers)
      if (a.worker < 0 || a.worker >= num_workers)
        throw std::invalid_argument("boxes: worker out of range");
  BoxResult r;
  r.worker_weight.assign(static_cast<size_t>(num_workers), 1.0);
  Groups groups;
  auto run = [&] {
    r.images.clear();
    r.images.reserve(images.size());
    for (const auto& im : images)
      r.images.push_back(ConsolidateImage(im, r.worker_weight, options.min_iou, groups));
  };
  run();
  std::vector<char> used;
  for (int round = 0; round < options.reliability_rounds; ++round) {
    // Each worker's boxes against the consolidated ones: a match is the same
    // label with IoU >= min_iou, each consolidated box matched once (greedy,
    // best IoU first per worker box).
    std::vector<double> tp(static_cast<size_t>(num_workers), 0), fp(tp), fn(tp);
    for (size_t ii = 0; ii < images.size(); ++ii) {
      const auto& result = r.images[ii];
      for (const auto& a : images[ii].answers) {
        used.assign(result.size(), 0);
        double matched = 0, given = 0;
        for (const auto& b : a.boxes) {
          if (!(b.width > 0) || !(b.height > 0)) continue;
          ++given;
          double best = options.min_iou;
          size_t hit = result.size();
          for (size_t k = 0; k < result.size(); ++k) {
            if (used[k] || result[k].box.label != b.label) continue;
            const double iou = BoxIoU(b, result[k].box);
            if (iou >= best) {
              best = iou;
              hit = k;
            }
          }
          if (hit < result.size()) {
            used[hit] = 1;
            ++matched;
          }
        }
        const auto w = static_cast<size_t>(a.worker);
        tp[w] += matched;
        fp[w] += given - matched;
        fn[w] += static_cast<double>(result.size()) - matched;
      }
    }
    for (size_t w = 0; w < tp.size(); ++w)
      r.worker_weight[w] = (2 * tp[w] + options.reliability_prior_a) /
                           (2 * tp[w] + fp[w] + fn[w] + options.reliability_prior_a +
                            options.reliability_prior_b);
    run();
  }
  return r;
}

}  // namespace plumbline::consolidation
