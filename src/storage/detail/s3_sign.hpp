// Private to storage/: SigV4 signing of S3 requests, exposed for the tests
// that compare it with botocore's S3SigV4Auth (tests/storage/s3_sign_test.cpp).
//
// S3 differs from the other services in two ways that matter here: the
// canonical URI is the path encoded once (not twice), and the payload hash is
// sent and signed as X-Amz-Content-Sha256. Pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"

namespace plumbline::storage::detail {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct S3SignInput {
  std::string method;        // "GET"
  std::string path;          // decoded: "/bucket/dir/a b.txt" (virtual host: "/dir/a b.txt")
  std::string query;         // encoded, without '?': "partNumber=1&uploadId=x" or ""
  HeaderList headers;        // must include Host; all are signed
  std::string payload_hash;  // lower-case hex SHA-256 of the body
};

struct S3Credentials {
  std::string access_key_id, secret_access_key, session_token, region;
};

// Headers to add: X-Amz-Date, X-Amz-Content-Sha256, [X-Amz-Security-Token],
// Authorization.
HeaderList SignS3(const S3SignInput& input, const S3Credentials& creds, TimePoint now);

// Percent-encodes a key for a URL path: unreserved bytes and '/' kept.
std::string EncodeKey(const std::string& key);

}  // namespace plumbline::storage::detail
