// Metrics in Prometheus' text exposition format (version 0.0.4), for
// GET /metrics: counters and histograms the server updates as it works,
// plus gauges and counters read from their owners at scrape time.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace plumbline::http {

class Metrics {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // One HTTP request answered: counted by route, method and status, its
  // latency in the route's histogram.
  void RecordRequest(const std::string& route, const std::string& method, int status,
                     double seconds);

  // A value read when /metrics is scraped: `collect` appends its samples
  // (name, labels, value) of one family with the given type and help text.
  struct Sample {
    Labels labels;
    double value = 0;
    std::string suffix;  // a histogram's "_bucket", "_sum", "_count"
  };
  void AddCollector(std::string name, std::string type, std::string help,
                    std::function<std::vector<Sample>()> collect);

  // The whole exposition (text/plain; version=0.0.4).
  std::string Render() const;

  // Upper bounds of the latency histogram, in seconds.
  static const std::vector<double>& LatencyBuckets();

 private:
  struct Histogram {
    std::vector<int64_t> counts;  // per bucket (not cumulative) + one for +Inf
    double sum = 0;
    int64_t count = 0;
  };
  struct Collector {
    std::string name, type, help;
    std::function<std::vector<Sample>()> collect;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;  // by route
  std::vector<Collector> collectors_;
};

// A label value escaped for the exposition format (\\, \" and \n).
std::string EscapeLabel(const std::string& v);

}  // namespace plumbline::http
