// Private to src/s3: the state and helpers the S3 handlers share.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "crypto/digest.hpp"
#include "crypto/envelope.hpp"
#include "crypto/sigv4.hpp"
#include "http/http.hpp"
#include "identity/identity.hpp"
#include "s3/s3.hpp"
#include "storage/buckets.hpp"

namespace plumbline::s3 {

// An S3 error: status, code and message as S3 sends them.
struct S3Error {
  int status = 500;
  std::string code;
  std::string message;
};

// What the request addresses.
struct Target {
  std::string bucket;  // "" for the service (ListBuckets)
  std::string key;     // "" for a bucket
  std::map<std::string, std::string> query;
  bool Has(const std::string& name) const { return query.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
  std::string Resource() const { return "/" + bucket + (key.empty() ? "" : "/" + key); }
};

std::optional<Target> ParseTarget(const http::Request& r, const S3Options& options);

// Maps a storage error to S3's, for `what` ("bucket" or "key" operations).
S3Error FromStorage(const Error& e, bool about_key);

struct S3Service::Impl {
  storage::LocalBuckets& buckets;
  identity::Identity& identity;
  kms::KeyService* keys;
  S3Options options;

  // Verifies the signature of the request's head (the body is checked by
  // whoever reads it) and that the caller may do `action` on `resource`.
  std::optional<S3Error> Authenticate(const http::Request& r, identity::Principal* who);
  std::optional<S3Error> Authorize(const identity::Principal& who, const char* action,
                                   const Target& t);

  http::Response Dispatch(http::Request& r, const Target& t, const identity::Principal& who);

  // bucket_ops.cpp
  http::Response ListBuckets(const identity::Principal& who);
  http::Response BucketRequest(http::Request& r, const Target& t, const identity::Principal& who);
  http::Response ListObjects(const Target& t, bool v2);
  // objects.cpp
  http::Response PutObject(http::Request& r, const Target& t, const identity::Principal& who);
  http::Response GetObject(const http::Request& r, const Target& t, const identity::Principal& who,
                           bool head);
  http::Response DeleteObject(const Target& t);
  http::Response DeleteObjects(const http::Request& r, const Target& t, const identity::Principal& who);
  http::Response CopyObject(const http::Request& r, const Target& t, const identity::Principal& who);
  // UploadPartCopy: a range of an object (decrypted for a caller its key
  // allows) becomes a part (encrypted when the upload is).
  http::Response CopyPart(const http::Request& r, const Target& t, const identity::Principal& who);
  // multipart.cpp
  http::Response CreateUpload(const http::Request& r, const Target& t, const identity::Principal& who);
  http::Response CompleteUpload(const http::Request& r, const Target& t, const identity::Principal& who);
  http::Response AbortUpload(const Target& t);
  http::Response ListParts(const Target& t);
  http::Response ListUploads(const Target& t);
};

// Response helpers.
http::Response XmlResponse(int status, std::string body);
http::Response ErrorResponse(const S3Error& e, const std::string& resource);
std::string RequestId();
std::string IsoTime(int64_t ms);   // 2009-10-12T17:50:30.000Z
std::string HttpDate(int64_t ms);  // Mon, 12 Oct 2009 17:50:30 GMT
bool ParseHttpDate(const std::string& text, int64_t* ms);
std::string Quote(const std::string& etag) ;

// The object metadata a PUT, CopyObject (REPLACE) or CreateMultipartUpload
// carries: Content-Type and x-amz-meta-*.
storage::ObjectInfo MetadataFromHeaders(const http::Request& r);
// SSE settings of a write: from the request's headers, else the bucket's
// default. Sets info->sse and sse_kms_key_id, or returns an error.
std::optional<S3Error> EncryptionFor(S3Service::Impl& s3, const http::Request& r,
                                     const std::string& bucket, storage::ObjectInfo* info);

// A fresh data key of `key_arn` and an envelope encryptor over it.
std::optional<S3Error> NewEncryptor(S3Service::Impl& s3, const std::string& key_arn,
                                    std::unique_ptr<crypto::EnvelopeEncryptor>* out);
// Copies everything `read` gives into `w`, through `enc` when set (which
// stays open: FinishEnvelope closes it), adding the plaintext to `md5` (when
// set) and `size`. Does not commit.
std::optional<S3Error> Pump(const std::function<Result<size_t>(char*, size_t)>& read,
                            storage::ObjectWriter& w, crypto::EnvelopeEncryptor* enc,
                            crypto::Digest* md5, uint64_t* size);
std::optional<S3Error> FinishEnvelope(storage::ObjectWriter& w, crypto::EnvelopeEncryptor* enc);
// x-amz-copy-source ("bucket/key", "/bucket/key", percent-encoded, an
// optional "?versionId=") into `from`.
std::optional<S3Error> ParseCopySource(const http::Request& r, Target* from);

// The sink an upload's body streams into (PutObject, UploadPart).
std::shared_ptr<http::BodySink> StartUpload(S3Service::Impl& s3, const http::Request& head);

}  // namespace plumbline::s3
