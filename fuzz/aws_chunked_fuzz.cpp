// Fuzz entry point: the aws-chunked body decoder, in the signed and the
// unsigned-with-trailer modes. The first input byte picks the mode and how
// the rest is split into Feed calls.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "s3/chunked.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline;
  if (size == 0) return 0;
  uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  s3::ChunkedOptions o;
  o.signed_chunks = mode & 1;
  o.trailer = mode & 2;
  if (mode & 4) o.trailer_name = "x-amz-checksum-crc32";
  o.signing_key = std::string(32, 'k');
  o.amz_date = "20240101T000000Z";
  o.scope = "20240101/us-east-1/s3/aws4_request";
  o.seed_signature = std::string(64, '0');
  size_t decoded = 0;
  s3::ChunkedDecoder d(o, [&](std::string_view s) {
    decoded += s.size();
    return Status{};
  });
  size_t piece = 1 + (mode >> 3) * 7;
  bool ok = true;
  for (size_t i = 0; ok && i < body.size(); i += piece) ok = bool(d.Feed(body.substr(i, piece)));
  if (ok) (void)d.Finish();
  return 0;
}
