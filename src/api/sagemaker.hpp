// The SageMaker API as Ground Truth clients speak it: awsJson1_1 over
// "POST /", dispatched on X-Amz-Target "SageMaker.<Operation>", every call
// signed with AWS Signature V4 by a Plumbline access key.
//
// Handle() authenticates, authorises (admin users and the root key only),
// validates the body against the service model's constraints, calls the
// labeling service and shapes the answer as the real service does, errors
// included ({"__type","message"} + x-amzn-ErrorType). Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.hpp"
#include "http/http.hpp"

namespace plumbline::labeling {
class LabelingService;
}
namespace plumbline::store {
class Store;
}

namespace plumbline::api {

struct ApiOptions {
  std::chrono::seconds allowed_skew{300};
  std::string account_id = "000000000000";
};

class SageMakerApi {
 public:
  SageMakerApi(labeling::LabelingService& service, store::Store& store, const Clock& clock,
               ApiOptions options);
  // Also appends an audit entry (store::AuditEntry) for every call that
  // changes state (Create*/Stop*/Update*/Delete*) and every refused one.
  http::Response Handle(const http::Request& request) const;

 private:
  struct AuditNote;
  http::Response Serve(const http::Request& request, AuditNote& note) const;
  labeling::LabelingService& service_;
  store::Store& store_;
  const Clock& clock_;
  ApiOptions options_;
};

}  // namespace plumbline::api
