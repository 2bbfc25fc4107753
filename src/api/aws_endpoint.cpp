#include "api/aws_endpoint.hpp"

#include <string_view>

#include "api/aws_json.hpp"

namespace plumbline::api {
namespace {

// "AKID/DATE/REGION/SERVICE/aws4_request" -> SERVICE, or "".
std::string ServiceOfCredential(std::string_view credential) {
  // The access key id may not contain '/', so the service is the fourth
  // field counted from the left and the terminator the fifth.
  size_t start = 0;
  for (int field = 0; field < 3; ++field) {
    size_t slash = credential.find('/', start);
    if (slash == std::string_view::npos) return "";
    start = slash + 1;
  }
  size_t end = credential.find('/', start);
  if (end == std::string_view::npos || end == start) return "";
  if (credential.substr(end + 1) != "aws4_request") return "";
  return std::string(credential.substr(start, end - start));
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string SignedService(const http::Request& request) {
  if (const std::string* auth = request.FindHeader("Authorization")) {
    std::string_view a = *auth;
    if (!StartsWith(a, "AWS4-HMAC-SHA256")) return "";
    size_t at = a.find("Credential=");
    if (at == std::string_view::npos) return "";
    std::string_view rest = a.substr(at + 11);
    size_t end = rest.find_first_of(", ");
    return ServiceOfCredential(rest.substr(0, end));
  }
  if (request.query.find("X-Amz-Credential=") == std::string::npos) return "";
  auto params = http::ParseQuery(request.query);
  auto it = params.find("X-Amz-Credential");
  if (it == params.end()) return "";
  return ServiceOfCredential(it->second);
}

AwsEndpoint::AwsEndpoint(const http::Router& unsigned_routes)
    : unsigned_routes_(unsigned_routes) {}

void AwsEndpoint::AddService(std::string service, http::AsyncHandler handler) {
  services_[std::move(service)] = std::move(handler);
}

void AwsEndpoint::Dispatch(http::Request& request, http::Respond respond) const {
  std::string service = SignedService(request);
  if (service.empty()) {
    unsigned_routes_.Dispatch(request, std::move(respond));
    return;
  }
  auto it = services_.find(service);
  if (it != services_.end()) {
    it->second(request, std::move(respond));
    return;
  }
  std::string served;
  for (const auto& [name, handler] : services_) served += (served.empty() ? "" : ", ") + name;
  respond(http::Ready(AwsErrorResponse(
      {400, "UnknownOperationException",
       "This endpoint does not serve the AWS service '" + service +
           "' named in the request's credential scope; it serves: " + served + "."})));
}

}  // namespace plumbline::api
