// Span (NER) consolidation (consolidation.hpp): grouping, boundaries, label
// votes, confidence; then span F1 on synthetic crowds with known truth
// against the median single worker and the unweighted reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <tuple>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

SpanOptions Unweighted() {
  SpanOptions o;
  o.reliability_rounds = 0;
  return o;
}

TEST(SpansTest, JaccardOfIntervals) {
  EXPECT_DOUBLE_EQ(SpanJaccard(0, 10, 0, 10), 1.0);
  EXPECT_DOUBLE_EQ(SpanJaccard(0, 10, 5, 15), 5.0 / 15.0);
  EXPECT_DOUBLE_EQ(SpanJaccard(0, 5, 5, 10), 0.0);
  EXPECT_DOUBLE_EQ(SpanJaccard(2, 4, 0, 10), 0.2);
}

TEST(SpansTest, GroupsBoundariesLabelAndConfidence) {
  SpanDocument d;
  d.answers = {{0, {{10, 20, 0}, {40, 45, 1}}},
               {1, {{10, 20, 0}, {41, 45, 1}}},
               {2, {{11, 20, 1}}}};
  auto r = ConsolidateSpans(std::span<const SpanDocument>(&d, 1), 3, Unweighted());
  ASSERT_EQ(r.documents[0].size(), 2u);
  const auto& a = r.documents[0][0];
  EXPECT_EQ(std::tie(a.start, a.end, a.label, a.support), std::make_tuple(int64_t{10}, int64_t{20}, 0, 3));
  // 2 of 3 votes for label 0, mean Jaccard (1 + 1 + 0.9) / 3.
  EXPECT_NEAR(a.confidence, (2.0 / 3.0) * (2.9 / 3.0), 1e-12);
  const auto& b = r.documents[0][1];
  // Starts 40 and 41, no mode: the lower median.
  EXPECT_EQ(std::tie(b.start, b.end, b.label), std::make_tuple(int64_t{40}, int64_t{45}, 1));
}

TEST(SpansTest, MinoritySpansAndOneWorkersTwoSpansStayApart) {
  SpanDocument d;
  // Worker 0 marks two overlapping spans: they never join one group.
  d.answers = {{0, {{0, 10, 0}, {2, 10, 0}}}, {1, {}}, {2, {}}, {3, {{50, 60, 0}}}};
  auto r = ConsolidateSpans(std::span<const SpanDocument>(&d, 1), 4, Unweighted());
  EXPECT_TRUE(r.documents[0].empty());  // no group has 2 of 4 workers
  d.answers = {{0, {{0, 10, 0}, {2, 10, 0}}}, {1, {{0, 10, 0}}}};
  r = ConsolidateSpans(std::span<const SpanDocument>(&d, 1), 2, Unweighted());
  // Two answers: every group survives (half of the answers is enough).
  ASSERT_EQ(r.documents[0].size(), 2u);
  EXPECT_EQ(r.documents[0][0].support, 2);
  EXPECT_EQ(r.documents[0][1].support, 1);
}

TEST(SpansTest, NestedEntitiesAreKeptSeparately) {
  SpanDocument d;
  // "University of Oslo" (organisation) with "Oslo" (place) inside it.
  d.answers = {{0, {{0, 18, 0}, {14, 18, 1}}}, {1, {{0, 18, 0}, {14, 18, 1}}}, {2, {{0, 18, 0}}}};
  auto r = ConsolidateSpans(std::span<const SpanDocument>(&d, 1), 3, Unweighted());
  ASSERT_EQ(r.documents[0].size(), 2u);
  EXPECT_EQ(r.documents[0][0].end, 18);
  EXPECT_EQ(r.documents[0][1].start, 14);
}

TEST(SpansTest, LabelTiesAreSeededAndReproducible) {
  SpanDocument d;
  d.answers = {{0, {{0, 5, 0}}}, {1, {{0, 5, 1}}}};
  std::set<int32_t> seen;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    d.seed = seed;
    auto r1 = ConsolidateSpans(std::span<const SpanDocument>(&d, 1), 2, Unweighted());
    auto r2 = ConsolidateSpans(std::span<const SpanDocument>(&d, 1), 2, Unweighted());
    EXPECT_EQ(r1.documents[0][0].label, r2.documents[0][0].label);
    seen.insert(r1.documents[0][0].label);
  }
  EXPECT_EQ(seen.size(), 2u);
}

// ------------------------------------------------------ synthetic crowds

struct Truth {
  std::vector<std::vector<LabeledSpan>> docs;
};

struct Worker {
  double detect, exact, label, spurious;
};

using Key = std::tuple<int64_t, int64_t, int32_t>;

struct F1 {
  double tp = 0, fp = 0, fn = 0;
  void Add(const std::vector<LabeledSpan>& got, const std::vector<LabeledSpan>& truth) {
    std::multiset<Key> t;
    for (const auto& s : truth) t.insert({s.start, s.end, s.label});
    for (const auto& s : got) {
      auto it = t.find({s.start, s.end, s.label});
      if (it != t.end()) {
        ++tp;
        t.erase(it);
      } else {
        ++fp;
      }
    }
    fn += static_cast<double>(t.size());
  }
  double Value() const { return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn); }
};

std::vector<LabeledSpan> Spans(const std::vector<ConsolidatedSpan>& c) {
  std::vector<LabeledSpan> out;
  for (const auto& s : c) out.push_back({s.start, s.end, s.label});
  return out;
}

TEST(SpansAccuracyTest, ConsolidatedF1BeatsTheMedianWorker) {
  for (uint32_t seed : {11u, 12u}) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    constexpr int kWorkers = 30, kDocs = 2000, kLabels = 4, kPerDoc = 5;
    std::vector<Worker> workers;
    for (int w = 0; w < kWorkers; ++w)
      workers.push_back({0.6 + 0.35 * u(rng), 0.55 + 0.4 * u(rng), 0.7 + 0.28 * u(rng), 1.2 * u(rng)});
    for (int w = 0; w < kWorkers; w += 7) workers[w] = {0.4, 0.3, 0.4, 2.0};  // careless workers
    Truth truth;
    std::vector<SpanDocument> docs(kDocs);
    std::vector<F1> worker_f1(kWorkers);
    for (int d = 0; d < kDocs; ++d) {
      std::vector<LabeledSpan> t;
      int64_t at = static_cast<int64_t>(u(rng) * 10);
      const int n = 2 + static_cast<int>(u(rng) * 5);
      for (int e = 0; e < n; ++e) {
        const int64_t len = 3 + static_cast<int64_t>(u(rng) * 15);
        t.push_back({at, at + len, static_cast<int32_t>(u(rng) * kLabels)});
        at += len + 5 + static_cast<int64_t>(u(rng) * 30);
      }
      std::vector<int> ws(kWorkers);
      for (int w = 0; w < kWorkers; ++w) ws[w] = w;
      std::shuffle(ws.begin(), ws.end(), rng);
      docs[d].seed = static_cast<uint64_t>(d);
      for (int j = 0; j < kPerDoc; ++j) {
        const Worker& k = workers[ws[j]];
        SpanAnswer a{ws[j], {}};
        for (const auto& s : t) {
          if (u(rng) > k.detect) continue;
          LabeledSpan x = s;
          if (u(rng) > k.exact) {
            x.start += static_cast<int64_t>(u(rng) * 5) - 2;
            x.end += static_cast<int64_t>(u(rng) * 5) - 2;
            if (x.end <= x.start) x.end = x.start + 1;
          }
          if (u(rng) > k.label) x.label = (x.label + 1 + static_cast<int32_t>(u(rng) * (kLabels - 1))) % kLabels;
          a.spans.push_back(x);
        }
        for (double f = k.spurious; u(rng) < f; f -= 1) {
          const int64_t s0 = static_cast<int64_t>(u(rng) * at);
          a.spans.push_back({s0, s0 + 2 + static_cast<int64_t>(u(rng) * 8), static_cast<int32_t>(u(rng) * kLabels)});
        }
        worker_f1[ws[j]].Add(a.spans, t);
        docs[d].answers.push_back(std::move(a));
      }
      truth.docs.push_back(std::move(t));
    }
    auto weighted = ConsolidateSpans(docs, kWorkers);
    auto plain = ConsolidateSpans(docs, kWorkers, Unweighted());
    F1 fw, fp;
    for (int d = 0; d < kDocs; ++d) {
      fw.Add(Spans(weighted.documents[d]), truth.docs[d]);
      fp.Add(Spans(plain.documents[d]), truth.docs[d]);
    }
    std::vector<double> singles;
    for (const auto& f : worker_f1) singles.push_back(f.Value());
    std::sort(singles.begin(), singles.end());
    const double median = (singles[kWorkers / 2 - 1] + singles[kWorkers / 2]) / 2;
    std::printf("NER synthetic seed %u: span F1 weighted %.4f, unweighted (spec reference) %.4f, "
                "median worker %.4f, best worker %.4f\n",
                seed, fw.Value(), fp.Value(), median, singles.back());
    EXPECT_GT(fw.Value(), median);
    EXPECT_GE(fw.Value(), fp.Value() - 0.005);
    // Careless workers end up with less weight than the median worker.
    std::vector<double> wts = weighted.worker_weight;
    std::sort(wts.begin(), wts.end());
    EXPECT_LT(weighted.worker_weight[0], wts[kWorkers / 2]);
  }
}

}  // namespace
}  // namespace plumbline::consolidation
