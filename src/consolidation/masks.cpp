// Per-pixel weighted voting of segmentation masks (consolidation.hpp).
//
// Most pixels sit in a neighbourhood that every worker paints one class;
// they take that class with certainty. Finding them is done a row at a time
// with flat loops the compiler vectorises: which pixels of a row all workers
// agree on, which columns agree over three rows, which pixels have three
// such columns. Only the others (the edges where workers differ) sum the
// smoothed votes per class, in the same order as the plain algorithm, so
// the result does not depend on the shortcut.
#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

// The class all masks give each pixel of one row, or kDiffer.
constexpr uint16_t kDiffer = 0x100;

void AgreeRow(const std::vector<const uint8_t*>& masks, size_t offset, size_t w, uint8_t* diff,
              uint16_t* out) {
  const uint8_t* m0 = masks[0] + offset;
  std::fill(diff, diff + w, uint8_t{0});
  for (size_t m = 1; m < masks.size(); ++m) {
    const uint8_t* mk = masks[m] + offset;
    for (size_t x = 0; x < w; ++x) diff[x] |= static_cast<uint8_t>(mk[x] ^ m0[x]);
  }
  for (size_t x = 0; x < w; ++x) out[x] = diff[x] ? kDiffer : m0[x];
}

// sum + 1.0 done n times, rounded as those n additions would be, without
// the chain of n dependent additions: in [2^e, 2^(e+1)) with e >= 0 a sum's
// ulp is at most 1, so adding ones is exact until the next power of two.
double AddOnes(double sum, int64_t n) {
  while (n > 0) {
    if (sum >= 1 && sum < 0x1p52) {
      const double next = std::exp2(std::ilogb(sum) + 1);
      const auto room = static_cast<int64_t>(std::ceil(next - sum)) - 1;  // next - sum is exact
      const int64_t k = std::min(n, room);
      sum += static_cast<double>(k);
      n -= k;
      if (n == 0) break;
    }
    sum += 1.0;
    --n;
  }
  return sum;
}

}  // namespace

MaskResult VoteMasks(const MaskVote& v) {
  const int64_t w = v.width, h = v.height;
  const size_t n = v.masks.size();
  if (w < 0 || h < 0) throw std::invalid_argument("masks: negative size");
  if (v.num_classes < 1 || v.num_classes > 256) throw std::invalid_argument("masks: classes out of range");
  if (!v.weights.empty() && v.weights.size() != n) throw std::invalid_argument("masks: one weight per mask");
  for (const uint8_t* m : v.masks)
    if (!m) throw std::invalid_argument("masks: a mask is missing");
  MaskResult r;
  const auto pixels = static_cast<size_t>(w * h);
  r.labels.assign(pixels, 0);
  if (n == 0 || w == 0 || h == 0) return r;
  const int32_t k = v.num_classes;
  // Every pixel's class is checked once, before any voting.
  for (const uint8_t* m : v.masks) {
    uint8_t top = 0;
    for (size_t i = 0; i < pixels; ++i) top = std::max(top, m[i]);
    if (top >= k) throw std::invalid_argument("masks: class out of range");
  }
  std::vector<double> weight(n, 1.0);
  if (!v.weights.empty()) weight = v.weights;
  double total = 0;
  for (double x : weight) total += x;
  if (total <= 0) {
    std::fill(weight.begin(), weight.end(), 1.0);
    total = static_cast<double>(n);
  }
  static constexpr double kKernel[3][3] = {{1, 2, 1}, {2, 4, 2}, {1, 2, 1}};
  // A mask's vote for one neighbour: its weight / 16 times the kernel's.
  std::vector<std::array<double, 9>> share(n);
  for (size_t m = 0; m < n; ++m) {
    const double wm = weight[m] / 16.0;
    for (int dy = 0; dy < 3; ++dy)
      for (int dx = 0; dx < 3; ++dx) share[m][static_cast<size_t>(dy * 3 + dx)] = wm * kKernel[dy][dx];
  }
  // With whole weights (the service gives none: all 1) every share is a
  // multiple of 1/16 and every sum of them exact, in any order: a class's
  // smoothed vote is then counted in integers, a class at a time over the
  // 9 n neighbour values, without the chain of dependent additions.
  bool whole = k <= 16;
  for (double x : weight) whole = whole && x >= 0 && x <= 0x1p20 && x == std::floor(x);
  static constexpr int32_t kKernelInt[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
  const size_t values = (9 * n + 15) / 16 * 16;
  std::vector<int32_t> kernel_weight(values, 0);
  std::vector<uint8_t> neighbour(values, 0);
  if (whole)
    for (size_t m = 0; m < n; ++m)
      for (size_t j = 0; j < 9; ++j) kernel_weight[9 * m + j] = static_cast<int32_t>(weight[m]) * kKernelInt[j];
  std::array<double, 256> smooth{}, raw{};
  double confidence_sum = 0;
  const auto uw = static_cast<size_t>(w);
  // agree[i]: AgreeRow of image row y - 1 + i (edges replicated); colv[x]:
  // the class of column x over rows y-1..y+1, or kDiffer.
  std::vector<uint16_t> agree_rows(3 * uw), colv(uw);
  std::vector<uint8_t> diff(uw), uniform(uw);
  uint16_t* agree[3] = {agree_rows.data(), agree_rows.data() + uw, agree_rows.data() + 2 * uw};
  AgreeRow(v.masks, 0, uw, diff.data(), agree[1]);
  std::copy(agree[1], agree[1] + uw, agree[0]);
  if (h > 1) AgreeRow(v.masks, uw, uw, diff.data(), agree[2]);
  else std::copy(agree[1], agree[1] + uw, agree[2]);
  for (int64_t y = 0; y < h; ++y) {
    if (y > 0) {
      std::rotate(agree, agree + 1, agree + 3);
      if (y + 1 < h) AgreeRow(v.masks, static_cast<size_t>(y + 1) * uw, uw, diff.data(), agree[2]);
      else std::copy(agree[1], agree[1] + uw, agree[2]);
    }
    const uint16_t *a0 = agree[0], *a1 = agree[1], *a2 = agree[2];
    for (size_t x = 0; x < uw; ++x) colv[x] = (a0[x] == a1[x] && a1[x] == a2[x]) ? a1[x] : kDiffer;
    const int64_t ys[3] = {std::max<int64_t>(y - 1, 0), y, std::min<int64_t>(y + 1, h - 1)};
    uint8_t* out = r.labels.data() + static_cast<size_t>(y) * uw;
    // uniform[x]: columns x-1..x+1 hold one class (edges replicated).
    uniform[0] = colv[0] != kDiffer && colv[0] == colv[std::min<size_t>(1, uw - 1)];
    for (size_t x = 1; x + 1 < uw; ++x)
      uniform[x] = (colv[x] != kDiffer) & (colv[x - 1] == colv[x]) & (colv[x + 1] == colv[x]);
    if (uw > 1) uniform[uw - 1] = colv[uw - 1] != kDiffer && colv[uw - 2] == colv[uw - 1];
    for (size_t x = 0; x < uw; ++x) out[x] = static_cast<uint8_t>(colv[x]);
    for (int64_t x = 0; x < w;) {
      if (uniform[static_cast<size_t>(x)]) {
        int64_t end = x + 1;
        while (end < w && uniform[static_cast<size_t>(end)]) ++end;
        confidence_sum = AddOnes(confidence_sum, end - x);
        x = end;
        continue;
      }
      const int64_t xs[3] = {std::max<int64_t>(x - 1, 0), x, std::min<int64_t>(x + 1, w - 1)};
      std::fill(smooth.begin(), smooth.begin() + k, 0.0);
      std::fill(raw.begin(), raw.begin() + k, 0.0);
      if (whole) {
        uint8_t* nb = neighbour.data();
        for (size_t m = 0; m < n; ++m) {
          const uint8_t* mk = v.masks[m];
          for (int dy = 0; dy < 3; ++dy) {
            const uint8_t* row = mk + ys[dy] * w;
            for (int dx = 0; dx < 3; ++dx) *nb++ = row[xs[dx]];
          }
          raw[mk[y * w + x]] += weight[m];
        }
        const int32_t* kw = kernel_weight.data();
        for (int32_t c = 0; c < k; ++c) {
          int32_t count = 0;
          for (size_t i = 0; i < values; ++i) count += neighbour[i] == c ? kw[i] : 0;
          smooth[static_cast<size_t>(c)] = count / 16.0;
        }
      } else {
      for (size_t m = 0; m < n; ++m) {
        const uint8_t* mk = v.masks[m];
        const double* s = share[m].data();
        for (int dy = 0; dy < 3; ++dy) {
          const uint8_t* row = mk + ys[dy] * w;
          for (int dx = 0; dx < 3; ++dx) smooth[row[xs[dx]]] += s[dy * 3 + dx];
        }
        raw[mk[y * w + x]] += weight[m];
      }
      }
      int32_t best = 0;
      for (int32_t c = 1; c < k; ++c) {
        const double a = smooth[static_cast<size_t>(c)], b = smooth[static_cast<size_t>(best)];
        if (a > b + 1e-12 || (std::abs(a - b) <= 1e-12 && raw[static_cast<size_t>(c)] > raw[static_cast<size_t>(best)] + 1e-12))
          best = c;
      }
      out[x] = static_cast<uint8_t>(best);
      confidence_sum += smooth[static_cast<size_t>(best)] / total;
      ++x;
    }
  }
  r.confidence = n == 1 ? 0 : confidence_sum / static_cast<double>(w * h);
  return r;
}

}  // namespace plumbline::consolidation
