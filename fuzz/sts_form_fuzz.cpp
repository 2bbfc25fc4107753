// Fuzz entry point: STS's query-protocol form bodies (api::ParseFormBody),
// and the lookups StsApi::Handle makes on what it returns.
// Links plumbline_api_sts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/sts_api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto params = plumbline::api::ParseFormBody(body);
  if (params) {
    size_t total = 0;
    for (const auto& [name, value] : *params) {
      // Every name the parser returns is non-empty; values may hold any byte.
      if (name.empty()) __builtin_trap();
      total += name.size() + value.size();
    }
    // Decoding never makes the text longer.
    if (total > body.size()) __builtin_trap();
    for (const char* key : {"Action", "Version", "RoleArn", "RoleSessionName", "DurationSeconds"})
      (void)params->count(key);
  }
  return 0;
}
