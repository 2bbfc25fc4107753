// What operators scrape and probe: GET /metrics (Prometheus text), /healthz
// (the process answers) and /readyz (the store and storage answer too).
#pragma once

#include <functional>

#include "common/result.hpp"
#include "http/http.hpp"
#include "http/metrics.hpp"
#include "store/store.hpp"

namespace plumbline::cli {

// Registers the three routes, and the metrics read from the store at each
// scrape (claims, submits, answers committed, commits and their batch
// sizes, the connection pool, jobs by status). `storage_ready` tells whether
// the object storage answers (kUnavailable: it does not).
void RegisterOperations(http::Router& router, http::Metrics& metrics, store::Store& store,
                        std::function<Status()> storage_ready);

}  // namespace plumbline::cli
