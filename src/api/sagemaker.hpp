// The SageMaker API as Ground Truth clients speak it: awsJson1_1 over
// "POST /", dispatched on X-Amz-Target "SageMaker.<Operation>", every call
// signed with AWS Signature V4 by a Plumbline access key.
//
// Handle() authenticates and authorises through identity/ (admin users and
// the root key only),
// validates the body against the service model's constraints, calls the
// labeling service and shapes the answer as the real service does, errors
// included ({"__type","message"} + x-amzn-ErrorType). Thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>

#include "common/clock.hpp"
#include "http/http.hpp"

namespace plumbline::labeling {
class LabelingService;
}
namespace plumbline::identity {
class Identity;
}
namespace plumbline::store {
struct Job;
}

namespace plumbline::api {

struct ApiOptions {
  std::chrono::seconds allowed_skew{300};
  std::string account_id = "000000000000";
};

class SageMakerApi {
 public:
  // Borrows `service` and `identity`, which must outlive the API.
  SageMakerApi(labeling::LabelingService& service, identity::Identity& identity, ApiOptions options);
  // Also appends an audit entry (identity's audit log) for every call that
  // changes state (Create*/Stop*/Update*/Delete*) and every refused one.
  http::Response Handle(const http::Request& request) const;

 private:
  struct AuditNote;
  http::Response Serve(const http::Request& request, AuditNote& note) const;
  labeling::LabelingService& service_;
  identity::Identity& identity_;
  ApiOptions options_;
};

// DescribeLabelingJob's answer for a stored job (its configuration as
// requested, status, counters and output), so that other views of a job
// (the admin console) show exactly what the API shows.
boost::json::object DescribeLabelingJobBody(const store::Job& job);

}  // namespace plumbline::api
