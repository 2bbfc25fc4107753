// Fuzz entry point: SigV4 query authentication (presigned URLs). The input
// is the request target ("/bucket/key?X-Amz-..."); the secret lookup knows
// one key, so well-formed inputs reach the signature comparison.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/sigv4.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline;
  std::string target(reinterpret_cast<const char*>(data), size);
  std::vector<crypto::Header> headers{{"Host", "127.0.0.1:8080"}};
  crypto::RequestView view{"GET", target, headers, ""};
  crypto::VerifyOptions options;
  options.expected_service = "s3";
  options.normalize_path = false;
  options.s3_payload = true;
  options.allow_presigned = true;
  TimePoint now;
  ParseAmzDate("20240101T000000Z", &now);
  auto lookup = [](std::string_view id) -> std::optional<std::string> {
    if (id == "AKIDEXAMPLE") return std::string("secret");
    return std::nullopt;
  };
  (void)crypto::VerifyPresigned(view, lookup, now, options);
  (void)crypto::Verify(view, lookup, now, options);
  return 0;
}
