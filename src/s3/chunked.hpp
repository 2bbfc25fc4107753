// The aws-chunked body encoding S3 clients use for streaming uploads
// (Content-Encoding: aws-chunked, X-Amz-Content-Sha256 STREAMING-*):
//   hex-size[;chunk-signature=SIG]\r\n data \r\n ... 0[;chunk-signature=SIG]\r\n
//   [trailer-name:value\r\n ... [x-amz-trailer-signature:SIG\r\n]] \r\n
// The decoder is incremental (bytes in any split), checks every chunk's
// signature against the chain from the request's seed signature
// (crypto::ChunkSignature) when the mode is signed, and checks the
// x-amz-checksum-* trailer (crc32, crc32c, sha256) named by X-Amz-Trailer
// against the decoded bytes. One instance per request; not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "crypto/digest.hpp"

namespace plumbline::s3 {

struct ChunkedOptions {
  bool signed_chunks = false;   // STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]
  bool trailer = false;         // ...-TRAILER modes
  std::string trailer_name;     // X-Amz-Trailer ("x-amz-checksum-crc32"), may be empty
  // The signature chain's start (signed modes).
  std::string signing_key, amz_date, scope, seed_signature;
  size_t max_line = 4096;
};

// Errors carry S3's codes in the message prefix "Code: message" is not
// used: kPermissionDenied for a chunk or trailer signature that does not
// match (SignatureDoesNotMatch), kInvalidArgument for malformed framing
// (IncompleteBody / InvalidRequest) or a checksum that does not match
// (BadDigest; the message starts with "checksum").
class ChunkedDecoder {
 public:
  using Sink = std::function<Status(std::string_view)>;
  ChunkedDecoder(ChunkedOptions options, Sink sink);
  ~ChunkedDecoder();
  // Decodes the next bytes of the body; decoded data goes to the sink.
  Status Feed(std::string_view bytes);
  // After the last byte: kInvalidArgument unless the final chunk (and the
  // trailer) arrived.
  Status Finish();
  uint64_t decoded_bytes() const { return decoded_; }

 private:
  Status Line(std::string_view line);
  Status EndOfChunk();
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  ChunkedOptions o_;
  Sink sink_;
  State state_ = State::kSize;
  std::string line_;
  uint64_t left_ = 0;
  uint64_t decoded_ = 0;
  bool last_chunk_ = false;
  std::string chunk_signature_;
  std::string previous_;
  std::unique_ptr<crypto::Digest> chunk_sha_;
  std::unique_ptr<crypto::Digest> checksum_;
  std::string trailer_text_;
  std::string trailer_value_;
  std::string trailer_signature_;
};

}  // namespace plumbline::s3
