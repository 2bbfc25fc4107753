// SigV4 authentication of an awsJson request against Plumbline's access keys:
// the part the SageMaker and KMS endpoints share. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include <boost/system/result.hpp>

#include "common/clock.hpp"
#include "crypto/sigv4.hpp"
#include "http/http.hpp"
#include "store/store.hpp"

namespace plumbline::api {

struct Authenticated {
  store::AccessKey key;            // the signer's key (root or a user's)
  crypto::VerifiedCaller caller;   // region and key id from the credential scope
};

// Verifies the request's signature for `service` ("sagemaker", "kms") with the
// secret of the access key it names. Errors carry AWS's code and message
// (MissingAuthenticationTokenException, UnrecognizedClientException,
// InvalidSignatureException, IncompleteSignatureException).
boost::system::result<Authenticated, crypto::AuthError> AuthenticateSigV4(
    const http::Request& request, store::Store& store, TimePoint now,
    std::chrono::seconds allowed_skew, const std::string& service);

}  // namespace plumbline::api
