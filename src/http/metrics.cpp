#include "http/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <tuple>

namespace plumbline::http {
namespace {

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string LabelText(const Metrics::Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + EscapeLabel(labels[i].second) + "\"";
  }
  return out + "}";
}

}  // namespace

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

const std::vector<double>& Metrics::LatencyBuckets() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

void Metrics::RecordRequest(const std::string& route, const std::string& method, int status,
                            double seconds) {
  const auto& bounds = LatencyBuckets();
  size_t bucket = bounds.size();
  for (size_t i = 0; i < bounds.size(); ++i)
    if (seconds <= bounds[i]) {
      bucket = i;
      break;
    }
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  if (h.counts.empty()) h.counts.assign(bounds.size() + 1, 0);
  ++h.counts[bucket];
  h.sum += seconds;
  ++h.count;
}

void Metrics::AddCollector(std::string name, std::string type, std::string help,
                           std::function<std::vector<Sample>()> collect) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back({std::move(name), std::move(type), std::move(help), std::move(collect)});
}

std::string Metrics::Render() const {
  std::vector<Collector> collectors;
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    collectors = collectors_;
    out += "# HELP plumbline_http_requests_total HTTP requests answered, by route, method and status.\n";
    out += "# TYPE plumbline_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      const auto& [route, method, status] = key;
      out += "plumbline_http_requests_total" +
             LabelText({{"route", route}, {"method", method}, {"status", std::to_string(status)}}) +
             " " + std::to_string(n) + "\n";
    }
    out += "# HELP plumbline_http_request_duration_seconds Time from a request's head to its answer, by route.\n";
    out += "# TYPE plumbline_http_request_duration_seconds histogram\n";
    const auto& bounds = LatencyBuckets();
    for (const auto& [route, h] : latency_) {
      int64_t cumulative = 0;
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += h.counts[i];
        std::string le = i < bounds.size() ? Num(bounds[i]) : "+Inf";
        out += "plumbline_http_request_duration_seconds_bucket" +
               LabelText({{"route", route}, {"le", le}}) + " " + std::to_string(cumulative) + "\n";
      }
      out += "plumbline_http_request_duration_seconds_sum" + LabelText({{"route", route}}) + " " +
             Num(h.sum) + "\n";
      out += "plumbline_http_request_duration_seconds_count" + LabelText({{"route", route}}) +
             " " + std::to_string(h.count) + "\n";
    }
  }
  // Collectors run without the lock: they read the store.
  for (const auto& c : collectors) {
    std::vector<Sample> samples = c.collect();
    out += "# HELP " + c.name + " " + c.help + "\n";
    out += "# TYPE " + c.name + " " + c.type + "\n";
    for (const auto& s : samples) out += c.name + s.suffix + LabelText(s.labels) + " " + Num(s.value) + "\n";
  }
  return out;
}

}  // namespace plumbline::http
