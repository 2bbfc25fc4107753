#include "api/aws_auth.hpp"

#include <vector>

namespace plumbline::api {

boost::system::result<identity::Principal, crypto::AuthError> AuthenticateSigV4(
    const http::Request& request, identity::Identity& identity, std::chrono::seconds allowed_skew,
    const std::string& service) {
  std::vector<crypto::Header> headers;
  headers.reserve(request.headers.size());
  for (const auto& h : request.headers) headers.emplace_back(h.name, h.value);
  crypto::RequestView view{request.method, request.target, headers, request.body};
  crypto::VerifyOptions options;
  options.expected_service = service;
  options.allowed_skew = allowed_skew;
  return identity.Authenticate(view, options);
}

}  // namespace plumbline::api
