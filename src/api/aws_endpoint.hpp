// One listener for every AWS service Plumbline speaks. A signed request goes
// to the service its SigV4 credential scope names ("sagemaker", "kms", "sts",
// "s3", ...), so AWS_ENDPOINT_URL alone points every AWS client at Plumbline;
// an unsigned request (the worker portal, media URLs, health checks) goes to
// the path router as before.
//
// The scope is read from the Authorization header
// ("AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...")
// or, for a presigned URL, from the X-Amz-Credential query parameter. Reading
// it is not verifying it: each service verifies the signature itself.
//
// Thread safety: build it (AddService) before serving; Dispatch may then run
// concurrently.
#pragma once

#include <map>
#include <string>

#include "http/http.hpp"

namespace plumbline::api {

// The service of the request's credential scope, or "" when the request
// carries no SigV4 credential (or one too malformed to name a service: the
// path router then answers, and a service's own check reports the problem).
std::string SignedService(const http::Request& request);

class AwsEndpoint {
 public:
  // `unsigned_routes` is borrowed and must outlive the endpoint.
  explicit AwsEndpoint(const http::Router& unsigned_routes);
  // Requests signed for `service` go to `handler`. Later calls replace.
  void AddService(std::string service, http::AsyncHandler handler);
  // A request signed for a service not added is answered 400 with an
  // awsJson UnknownOperationException naming that service and the ones served.
  void Dispatch(http::Request& request, http::Respond respond) const;

 private:
  const http::Router& unsigned_routes_;
  std::map<std::string, http::AsyncHandler> services_;
};

}  // namespace plumbline::api
