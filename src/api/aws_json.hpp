// The awsJson1_1 answers the SageMaker and KMS endpoints share: a JSON body
// with content type application/x-amz-json-1.1 and an x-amzn-RequestId, and
// errors as {"__type": CODE, "message": TEXT} with the x-amzn-ErrorType
// header (botocore reads the body, other SDKs the header; spec §2.5).
// Which ErrorCode becomes which AwsError is each protocol's own choice, made
// in one function per protocol (sagemaker.cpp, kms_api.cpp). Thread-safe.
#pragma once

#include <boost/json/fwd.hpp>
#include <string>

#include "crypto/sigv4.hpp"
#include "http/http.hpp"

namespace plumbline::api {

struct AwsError {
  int status = 400;
  std::string code;     // "ValidationException", "AccessDeniedException", ...
  std::string message;
};

// 200 (or `status`) with `body` serialised in Ground Truth's number format.
http::Response AwsJsonResponse(int status, const boost::json::value& body);

// The error body and headers of `e`.
http::Response AwsErrorResponse(const AwsError& e);

// A SigV4 refusal (identity::Identity::Authenticate): 403 with AWS's code,
// or 503 ServiceUnavailable when the access keys could not be read.
AwsError FromAuthError(const crypto::AuthError& e);

}  // namespace plumbline::api
