// Multi-label consolidation: one presence decision per (task, class) from a
// two-coin worker model fitted by EM (consolidation.hpp).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

constexpr double kMinProbability = 0.01;
constexpr double kMaxProbability = 0.99;

double Clamp(double p) { return std::clamp(p, kMinProbability, kMaxProbability); }

// One answer's ticks as a dense 0/1 row of `num_classes`.
void Ticks(const LabelSetAnswer& a, int32_t num_classes, std::vector<char>& row) {
  row.assign(static_cast<size_t>(num_classes), 0);
  for (int32_t c : a.labels) {
    if (c < 0 || c >= num_classes) throw std::invalid_argument("multi-label answer: class out of range");
    row[static_cast<size_t>(c)] = 1;
  }
}

void CheckIds(const LabelSetAnswer& a, int32_t num_tasks, int32_t num_workers) {
  if (a.task < 0 || a.task >= num_tasks) throw std::invalid_argument("multi-label answer: task out of range");
  if (a.worker < 0 || a.worker >= num_workers)
    throw std::invalid_argument("multi-label answer: worker out of range");
}

}  // namespace

std::vector<double> MajorityMultiLabel(int32_t num_tasks, int32_t num_classes,
                                       std::span<const LabelSetAnswer> answers) {
  std::vector<int32_t> votes(static_cast<size_t>(num_tasks) * num_classes, 0);
  std::vector<int32_t> count(static_cast<size_t>(num_tasks), 0);
  std::vector<char> row;
  for (const auto& a : answers) {
    if (a.task < 0 || a.task >= num_tasks) throw std::invalid_argument("multi-label answer: task out of range");
    Ticks(a, num_classes, row);
    ++count[static_cast<size_t>(a.task)];
    for (int32_t c = 0; c < num_classes; ++c)
      votes[static_cast<size_t>(a.task) * num_classes + c] += row[static_cast<size_t>(c)];
  }
  std::vector<double> out(votes.size(), 0.0);
  for (int32_t i = 0; i < num_tasks; ++i)
    for (int32_t c = 0; c < num_classes; ++c) {
      size_t at = static_cast<size_t>(i) * num_classes + c;
      out[at] = 2 * votes[at] > count[static_cast<size_t>(i)] ? 1.0 : 0.0;
    }
  return out;
}

MultiLabelResult ConsolidateMultiLabel(int32_t num_tasks, int32_t num_workers, int32_t num_classes,
                                       std::span<const LabelSetAnswer> answers,
                                       const MultiLabelOptions& options) {
  if (num_tasks < 0 || num_workers < 0 || num_classes < 1)
    throw std::invalid_argument("multi-label: bad problem size");
  const size_t k = static_cast<size_t>(num_classes);
  MultiLabelResult r;
  r.num_classes = num_classes;
  r.votes.assign(static_cast<size_t>(num_tasks) * k, 0);
  r.num_answers.assign(static_cast<size_t>(num_tasks), 0);
  // The ticks, dense: answers x classes.
  std::vector<char> ticks(answers.size() * k, 0);
  std::vector<char> row;
  for (size_t n = 0; n < answers.size(); ++n) {
    const auto& a = answers[n];
    CheckIds(a, num_tasks, num_workers);
    Ticks(a, num_classes, row);
    std::copy(row.begin(), row.end(), ticks.begin() + static_cast<std::ptrdiff_t>(n * k));
    ++r.num_answers[static_cast<size_t>(a.task)];
    for (size_t c = 0; c < k; ++c) r.votes[static_cast<size_t>(a.task) * k + c] += row[c];
  }
  // Start from the vote shares.
  std::vector<double>& p = r.presence;
  p.assign(static_cast<size_t>(num_tasks) * k, 0.0);
  for (int32_t i = 0; i < num_tasks; ++i) {
    const int32_t n = r.num_answers[static_cast<size_t>(i)];
    for (size_t c = 0; c < k; ++c)
      if (n > 0) p[static_cast<size_t>(i) * k + c] = double(r.votes[static_cast<size_t>(i) * k + c]) / n;
  }
  r.sensitivity.assign(static_cast<size_t>(num_workers), 0.7);
  r.specificity.assign(static_cast<size_t>(num_workers), 0.9);
  r.prevalence.assign(k, 0.5);
  std::vector<double> hit(static_cast<size_t>(num_workers)), pos(static_cast<size_t>(num_workers));
  std::vector<double> rej(static_cast<size_t>(num_workers)), neg(static_cast<size_t>(num_workers));
  std::vector<double> log_odds(static_cast<size_t>(num_tasks) * k);
  r.converged = false;
  for (int iter = 0; iter < options.max_iterations; ++iter) {
    // M-step: worker coins and class prevalences from the presences.
    std::fill(hit.begin(), hit.end(), 0.0);
    std::fill(pos.begin(), pos.end(), 0.0);
    std::fill(rej.begin(), rej.end(), 0.0);
    std::fill(neg.begin(), neg.end(), 0.0);
    for (size_t n = 0; n < answers.size(); ++n) {
      const size_t w = static_cast<size_t>(answers[n].worker);
      const double* pi = &p[static_cast<size_t>(answers[n].task) * k];
      const char* x = &ticks[n * k];
      for (size_t c = 0; c < k; ++c) {
        pos[w] += pi[c];
        neg[w] += 1 - pi[c];
        if (x[c]) hit[w] += pi[c];
        else rej[w] += 1 - pi[c];
      }
    }
    for (size_t w = 0; w < r.sensitivity.size(); ++w) {
      r.sensitivity[w] = Clamp((hit[w] + options.sensitivity_prior_a) /
                               (pos[w] + options.sensitivity_prior_a + options.sensitivity_prior_b));
      r.specificity[w] = Clamp((rej[w] + options.specificity_prior_a) /
                               (neg[w] + options.specificity_prior_a + options.specificity_prior_b));
    }
    int32_t answered = 0;
    std::vector<double> sum(k, 0.0);
    for (int32_t i = 0; i < num_tasks; ++i) {
      if (r.num_answers[static_cast<size_t>(i)] == 0) continue;
      ++answered;
      for (size_t c = 0; c < k; ++c) sum[c] += p[static_cast<size_t>(i) * k + c];
    }
    for (size_t c = 0; c < k; ++c) r.prevalence[c] = Clamp((sum[c] + 1) / (answered + 2));
    // E-step: log odds of presence per (task, class).
    for (int32_t i = 0; i < num_tasks; ++i)
      for (size_t c = 0; c < k; ++c)
        log_odds[static_cast<size_t>(i) * k + c] = std::log(r.prevalence[c] / (1 - r.prevalence[c]));
    for (size_t n = 0; n < answers.size(); ++n) {
      const size_t w = static_cast<size_t>(answers[n].worker);
      const double s = r.sensitivity[w], q = r.specificity[w];
      const double tick = std::log(s / (1 - q)), no_tick = std::log((1 - s) / q);
      double* lo = &log_odds[static_cast<size_t>(answers[n].task) * k];
      const char* x = &ticks[n * k];
      for (size_t c = 0; c < k; ++c) lo[c] += x[c] ? tick : no_tick;
    }
    double moved = 0;
    for (size_t at = 0; at < p.size(); ++at) {
      const double next = 1 / (1 + std::exp(-log_odds[at]));
      moved = std::max(moved, std::abs(next - p[at]));
      p[at] = next;
    }
    r.iterations = iter + 1;
    if (moved < options.tolerance) {
      r.converged = true;
      break;
    }
  }
  return r;
}

}  // namespace plumbline::consolidation
