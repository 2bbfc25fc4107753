// Per-pixel weighted voting of segmentation masks (consolidation.hpp).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {

MaskResult VoteMasks(const MaskVote& v) {
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

}  // namespace plumbline::consolidation
