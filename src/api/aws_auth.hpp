// SigV4 authentication of an awsJson request: the part the SageMaker and KMS
// endpoints share. It turns the plain http::Request into what
// identity::Identity::Authenticate verifies. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include <boost/system/result.hpp>

#include "crypto/sigv4.hpp"
#include "http/http.hpp"
#include "identity/identity.hpp"

namespace plumbline::api {

// Verifies the request's signature for `service` ("sagemaker", "kms") with
// the secret of the access key it names and returns its principal. Errors
// carry AWS's code and message (see FromAuthError in api/aws_json.hpp).
boost::system::result<identity::Principal, crypto::AuthError> AuthenticateSigV4(
    const http::Request& request, identity::Identity& identity, std::chrono::seconds allowed_skew,
    const std::string& service);

}  // namespace plumbline::api
