// SigV4 verification of a request whose Authorization header, X-Amz-Date,
// target and body come from the input: the parser of the header's key=value
// list, the credential scope, the canonical URI and query.
// Input: four fields separated by '\n' (header, date, target, body).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sigv4.hpp"

namespace {

std::string_view Field(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view f = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string auth(Field(in)), date(Field(in)), target(Field(in)), body(in);
  if (target.empty()) target.push_back('/');
  std::vector<crypto::Header> headers = {{"Host", "127.0.0.1"},
                                         {"X-Amz-Date", date},
                                         {"Authorization", auth},
                                         {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}};
  crypto::RequestView view{"POST", target, headers, body};
  auto lookup = [](std::string_view) -> std::optional<std::string> { return std::string("secret"); };
  TimePoint now{std::chrono::seconds(1764892800)};  // 2025-12-05
  for (bool normalize : {true, false}) {
    crypto::VerifyOptions o;
    o.normalize_path = normalize;
    (void)crypto::Verify(view, lookup, now, o);
  }
  size_t q = target.find('?');
  (void)crypto::CanonicalUri(std::string_view(target).substr(0, q), true);
  if (q != std::string::npos) (void)crypto::CanonicalQueryString(std::string_view(target).substr(q + 1));
  return 0;
}
