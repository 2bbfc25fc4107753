// Fuzz entry point: the KMS API's request bodies. KmsApi::ParseBody (the
// awsJson1_1 object) and, on what it accepts, KmsApi::ParseFields: the field
// parsers the operations apply (encryption contexts, base64 blobs, Limit and
// Marker, Tags, KeySpec / NumberOfBytes).
// Links plumbline_api_kms.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/kms_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = plumbline::api::KmsApi::ParseBody(body);
  if (parsed) {
    auto fields = plumbline::api::KmsApi::ParseFields(*parsed);
    // Refusals are the caller's fault, never the server's.
    if (!fields && fields.error().code != plumbline::ErrorCode::kInvalidArgument) __builtin_trap();
  }
  return 0;
}
