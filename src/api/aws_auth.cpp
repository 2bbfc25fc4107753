#include "api/aws_auth.hpp"

#include <optional>
#include <vector>

namespace plumbline::api {

boost::system::result<Authenticated, crypto::AuthError> AuthenticateSigV4(
    const http::Request& request, store::Store& store, TimePoint now,
    std::chrono::seconds allowed_skew, const std::string& service) {
  std::vector<crypto::Header> headers;
  headers.reserve(request.headers.size());
  for (const auto& h : request.headers) headers.emplace_back(h.name, h.value);
  crypto::RequestView view{request.method, request.target, headers, request.body};
  std::optional<store::AccessKey> key;
  auto lookup = [&](std::string_view id) -> std::optional<std::string> {
    auto found = store.FindAccessKey(std::string(id));
    if (!found || !*found) return std::nullopt;
    key = **found;
    return key->secret;
  };
  crypto::VerifyOptions options;
  options.expected_service = service;
  options.allowed_skew = allowed_skew;
  auto verified = crypto::Verify(view, lookup, now, options);
  if (!verified) return verified.error();
  return Authenticated{*key, *verified};
}

}  // namespace plumbline::api
