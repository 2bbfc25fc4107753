#include "cli/operations.hpp"

#include <boost/json.hpp>
#include <map>
#include <string>

#include "common/json.hpp"

namespace plumbline::cli {
namespace {
using Samples = std::vector<http::Metrics::Sample>;
}  // namespace

void RegisterOperations(http::Router& router, http::Metrics& metrics, store::Store& store,
                        std::function<Status()> storage_ready) {
  router.Add("GET", "/healthz", [](const http::Request&) {
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  // Ready: a read from the store and a probe of the storage both answer.
  router.Add("GET", "/readyz", [&store, storage_ready](const http::Request&) {
    boost::json::object body;
    bool ready = true;
    if (auto r = store.GetSetting("account_id"); r) {
      body["store"] = "ok";
    } else {
      ready = false;
      body["store"] = r.error().message;
    }
    if (auto s = storage_ready(); s) {
      body["storage"] = "ok";
    } else {
      ready = false;
      body["storage"] = s.error().message;
    }
    body["status"] = ready ? "ready" : "unavailable";
    return http::Response::Json(ready ? 200 : 503, json::Serialize(body));
  });
  router.Add("GET", "/metrics", [&metrics](const http::Request&) {
    http::Response r;
    r.status = 200;
    r.headers.push_back({"Content-Type", "text/plain; version=0.0.4; charset=utf-8"});
    r.body = metrics.Render();
    return r;
  });

  auto stats = [&store] { return store.Stats(); };
  metrics.AddCollector("plumbline_claims_total", "counter",
                       "Claims of a task by workers: outcome=task handed one out, none found none.",
                       [stats] {
                         auto s = stats();
                         return Samples{{{{"outcome", "task"}}, double(s.claims), ""},
                                        {{{"outcome", "none"}}, double(s.claims_empty), ""}};
                       });
  metrics.AddCollector("plumbline_submits_total", "counter",
                       "Submits of an answer: outcome=accepted stored it, repeated acknowledged a retry.",
                       [stats] {
                         auto s = stats();
                         return Samples{{{{"outcome", "accepted"}}, double(s.answers_committed), ""},
                                        {{{"outcome", "repeated"}}, double(s.answers_repeated), ""}};
                       });
  metrics.AddCollector("plumbline_answers_committed_total", "counter",
                       "Answers durably stored (each counted once).", [stats] {
                         return Samples{{{}, double(stats().answers_committed), ""}};
                       });
  metrics.AddCollector("plumbline_store_commits_total", "counter",
                       "Store transactions committed (result=ok) or failed (result=failed).",
                       [stats] {
                         auto s = stats();
                         return Samples{{{{"result", "ok"}}, double(s.commits), ""},
                                        {{{"result", "failed"}}, double(s.failed_commits), ""}};
                       });
  metrics.AddCollector("plumbline_store_commit_batch_size", "histogram",
                       "Writes per committed transaction (group commit).", [stats] {
                         auto s = stats();
                         Samples out;
                         int64_t cumulative = 0;
                         for (size_t i = 0; i < s.batch_sizes.size(); ++i) {
                           cumulative += s.batch_sizes[i];
                           bool last = i + 1 == s.batch_sizes.size();
                           out.push_back({{{"le", last ? "+Inf" : std::to_string(
                                                       store::StoreStats::kBatchSizeBounds[i])}},
                                          double(cumulative), "_bucket"});
                         }
                         out.push_back({{}, double(s.writes), "_sum"});
                         out.push_back({{}, double(s.commits), "_count"});
                         return out;
                       });
  metrics.AddCollector("plumbline_store_connections", "gauge",
                       "Database connections: open, and busy in a read right now.", [stats] {
                         auto s = stats();
                         return Samples{{{{"state", "open"}}, double(s.pool_open), ""},
                                        {{{"state", "busy"}}, double(s.pool_busy), ""}};
                       });
  metrics.AddCollector("plumbline_store_reconnects_total", "counter",
                       "Database connections reopened after the server dropped them.",
                       [stats] { return Samples{{{}, double(stats().reconnects), ""}}; });
  metrics.AddCollector("plumbline_store_identity_refused_total", "counter",
                       "Worker writes refused because users, groups, sessions or keys changed "
                       "after the worker's session was read (the request is authenticated again).",
                       [stats] {
                         return Samples{{{}, double(stats().identity_refused), ""}};
                       });
  metrics.AddCollector("plumbline_jobs", "gauge", "Labeling jobs by status.", [&store] {
    std::map<std::string, int64_t> by_status;
    for (auto st : {store::JobStatus::kInitializing, store::JobStatus::kInProgress,
                    store::JobStatus::kCompleted, store::JobStatus::kFailed,
                    store::JobStatus::kStopping, store::JobStatus::kStopped})
      by_status[store::JobStatusName(st)] = 0;
    if (auto jobs = store.ListJobs({}); jobs)
      for (const auto& j : *jobs) ++by_status[store::JobStatusName(j.status)];
    Samples out;
    for (const auto& [status, n] : by_status) out.push_back({{{"status", status}}, double(n), ""});
    return out;
  });
}

}  // namespace plumbline::cli
