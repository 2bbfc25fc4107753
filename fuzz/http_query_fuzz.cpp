// What the router does with a request target and headers from the wire:
// percent-decoding, query parsing, cookie lookup and path matching with
// captured parameters. Input: target, then '\n', then a Cookie header value.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline;
  static const http::Router* router = [] {
    auto* r = new http::Router;
    auto ok = [](const http::Request& q) { return http::Response::Text(200, q.Param("job")); };
    r->Add("GET", "/worker/api/jobs/{job}/claim", ok);
    r->Add("POST", "/worker/api/tasks/{job}/submit", ok);
    r->Add("GET", "/assets/*", ok);
    return r;
  }();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  http::Request request;
  request.method = in.size() % 2 ? "GET" : "POST";
  request.target = std::string(in.substr(0, nl));
  size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  if (q != std::string::npos) request.query = request.target.substr(q + 1);
  if (nl != std::string_view::npos)
    request.headers.push_back({"Cookie", std::string(in.substr(nl + 1))});
  (void)http::ParseQuery(request.query);
  std::string decoded;
  (void)http::PercentDecode(request.path, &decoded);
  (void)request.Cookie("plumbline_session");
  (void)router->Dispatch(request);
  return 0;
}
