// Span consolidation for named entity recognition (consolidation.hpp):
// grouping across workers by overlap, aggregated boundaries, a weighted
// label vote and worker weights from their agreement with the result.
#include <algorithm>
#include <cmath>
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

// One document's spans and their groups, in buffers reused from document to
// document (no allocation per span). A group is a linked list of spans.
struct Groups {
  std::vector<int32_t> worker;  // per span
  std::vector<LabeledSpan> span;
  std::vector<int32_t> next;    // next span of the same group, -1 at the end
  struct Group {
    int32_t head, tail, size;
    int64_t start, end;  // the representative
    bool alive;
  };
  std::vector<Group> groups;
  std::vector<size_t> order;
  std::vector<int64_t> scratch;
  std::vector<std::pair<int32_t, double>> votes;
  std::vector<int32_t> tied;
};

// A value more frequent than every other and seen at least twice, else the
// lower median.
int64_t Aggregate(std::vector<int64_t>& values) {
  std::sort(values.begin(), values.end());
  int64_t best = values[0];
  size_t best_count = 0;
  bool unique = false;
  for (size_t i = 0; i < values.size();) {
    size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    const size_t count = j - i;
    if (count > best_count) {
      best = values[i];
      best_count = count;
      unique = true;
    } else if (count == best_count) {
      unique = false;
    }
    i = j;
  }
  if (unique && best_count >= 2) return best;
  return values[(values.size() - 1) / 2];
}

void Represent(Groups& g, Groups::Group& c) {
  auto& scratch = g.scratch;
  scratch.clear();
  for (int32_t m = c.head; m >= 0; m = g.next[m]) scratch.push_back(g.span[m].start);
  c.start = Aggregate(scratch);
  scratch.clear();
  for (int32_t m = c.head; m >= 0; m = g.next[m]) scratch.push_back(g.span[m].end);
  c.end = Aggregate(scratch);
  if (c.end <= c.start) {  // odd mixes of boundaries: fall back to the span hull
    c.start = g.span[c.head].start;
    c.end = g.span[c.head].end;
    for (int32_t m = c.head; m >= 0; m = g.next[m]) {
      c.start = std::min(c.start, g.span[m].start);
      c.end = std::max(c.end, g.span[m].end);
    }
  }
}

bool ShareWorker(const Groups& g, const Groups::Group& a, const Groups::Group& b) {
  for (int32_t x = a.head; x >= 0; x = g.next[x])
    for (int32_t y = b.head; y >= 0; y = g.next[y])
      if (g.worker[x] == g.worker[y]) return true;
  return false;
}

// Groups one document's spans (agglomerative, best pair first) into `g`;
// the live groups are those with `alive`.
void Group(const SpanDocument& doc, double min_jaccard, Groups& g) {
  g.worker.clear();
  g.span.clear();
  g.next.clear();
  g.groups.clear();
  for (const auto& a : doc.answers)
    for (const auto& s : a.spans) {
      if (s.end <= s.start) continue;
      const auto i = static_cast<int32_t>(g.span.size());
      g.worker.push_back(a.worker);
      g.span.push_back(s);
      g.next.push_back(-1);
      g.groups.push_back({i, i, 1, s.start, s.end, true});
    }
  // Groups sorted by start: only overlapping representatives can merge, so
  // the pair scan stops at the first group starting at or past the end.
  auto& groups = g.groups;
  auto& order = g.order;
  // Equal representatives keep their order of creation (the answers'
  // order), so that the result does not depend on the sort's algorithm.
  const auto before = [&](size_t x, size_t y) {
    return std::tie(groups[x].start, groups[x].end, x) < std::tie(groups[y].start, groups[y].end, y);
  };
  order.resize(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), before);
  for (;;) {
    double best = min_jaccard;
    size_t bi = 0, bj = 0;
    bool found = false;
    for (size_t oi = 0; oi < order.size(); ++oi) {
      const auto& a = groups[order[oi]];
      for (size_t oj = oi + 1; oj < order.size(); ++oj) {
        const auto& b = groups[order[oj]];
        if (b.start >= a.end) break;
        const double j = SpanJaccard(a.start, a.end, b.start, b.end);
        if ((j > best || (!found && j >= best)) && !ShareWorker(g, a, b)) {
          best = j;
          bi = order[oi];
          bj = order[oj];
          found = true;
        }
      }
    }
    if (!found) break;
    auto& into = groups[bi];
    g.next[into.tail] = groups[bj].head;  // members keep their order
    into.tail = groups[bj].tail;
    into.size += groups[bj].size;
    groups[bj].alive = false;
    Represent(g, into);
    // The order again: without bj, bi moved to its new representative's place.
    order.erase(std::remove_if(order.begin(), order.end(),
                               [&](size_t x) { return x == bi || x == bj; }),
                order.end());
    order.insert(std::lower_bound(order.begin(), order.end(), bi, before), bi);
  }
}

std::vector<ConsolidatedSpan> ConsolidateDocument(const SpanDocument& doc,
                                                  const std::vector<double>& weight,
                                                  double min_jaccard, Groups& g) {
  double total = 0;
  for (const auto& a : doc.answers) total += weight[static_cast<size_t>(a.worker)];
  std::vector<ConsolidatedSpan> out;
  if (doc.answers.empty() || total <= 0) return out;
  Group(doc, min_jaccard, g);
  auto& votes = g.votes;  // (label, weight), in label order
  auto& tied = g.tied;
  for (const auto& c : g.groups) {
    if (!c.alive) continue;
    double support = 0;
    votes.clear();
    for (int32_t m = c.head; m >= 0; m = g.next[m]) {
      const double w = weight[static_cast<size_t>(g.worker[m])];
      const int32_t label = g.span[m].label;
      support += w;
      auto it = std::lower_bound(votes.begin(), votes.end(), label,
                                 [](const auto& v, int32_t l) { return v.first < l; });
      if (it == votes.end() || it->first != label) it = votes.insert(it, {label, 0.0});
      it->second += w;
    }
    if (support < 0.5 * total - 1e-9) continue;
    double top = -1;
    tied.clear();
    for (const auto& [label, v] : votes) {
      if (v > top + 1e-9) {
        top = v;
        tied.assign(1, label);
      } else if (std::abs(v - top) <= 1e-9) {
        tied.push_back(label);
      }
    }
    const uint64_t pick = Mix(doc.seed ^ Mix(static_cast<uint64_t>(c.start))) % tied.size();
    ConsolidatedSpan s;
    s.start = c.start;
    s.end = c.end;
    s.label = tied[pick];
    s.support = c.size;
    double jaccard = 0;
    for (int32_t m = c.head; m >= 0; m = g.next[m])
      jaccard += SpanJaccard(g.span[m].start, g.span[m].end, s.start, s.end);
    s.confidence = (top / total) * (jaccard / static_cast<double>(c.size));
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const ConsolidatedSpan& a, const ConsolidatedSpan& b) {
    return std::tie(a.start, a.end, a.label) < std::tie(b.start, b.end, b.label);
  });
  return out;
}

}  // namespace

double SpanJaccard(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end) {
  const int64_t inter = std::min(a_end, b_end) - std::max(a_start, b_start);
  if (inter <= 0 || a_end <= a_start || b_end <= b_start) return 0;
  const int64_t uni = (a_end - a_start) + (b_end - b_start) - inter;
  return static_cast<double>(inter) / static_cast<double>(uni);
}

SpanResult ConsolidateSpans(std::span<const SpanDocument> documents, int32_t num_workers,
                            const SpanOptions& options) {
  if (num_workers < 0) throw std::invalid_argument("spans: negative worker count");
  for (const auto& d : documents)
    for (const auto& a : d.answers)
      if (a.worker < 0 || a.worker >= num_workers)
        throw std::invalid_argument("spans: worker out of range");
  SpanResult r;
  r.worker_weight.assign(static_cast<size_t>(num_workers), 1.0);
  Groups groups;
  auto run = [&] {
    r.documents.clear();
    r.documents.reserve(documents.size());
    for (const auto& d : documents)
      r.documents.push_back(ConsolidateDocument(d, r.worker_weight, options.min_jaccard, groups));
  };
  run();
  for (int round = 0; round < options.reliability_rounds; ++round) {
    // Each worker's spans against the consolidated ones: a match is the same
    // label with Jaccard >= min_jaccard, each consolidated span matched once.
    std::vector<double> tp(static_cast<size_t>(num_workers), 0), fp(tp), fn(tp);
    for (size_t di = 0; di < documents.size(); ++di) {
      const auto& result = r.documents[di];
      for (const auto& a : documents[di].answers) {
        std::vector<char> used(result.size(), 0);
        double matched = 0;
        for (const auto& s : a.spans) {
          bool hit = false;
          for (size_t k = 0; k < result.size() && !hit; ++k) {
            if (used[k] || result[k].label != s.label) continue;
            if (SpanJaccard(s.start, s.end, result[k].start, result[k].end) >= options.min_jaccard) {
              used[k] = 1;
              hit = true;
            }
          }
          matched += hit;
        }
        const size_t w = static_cast<size_t>(a.worker);
        tp[w] += matched;
        fp[w] += static_cast<double>(a.spans.size()) - matched;
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
