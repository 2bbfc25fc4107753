// The S3 REST protocol over the embedded buckets (storage::LocalBuckets):
// requests signed for the service "s3" (SigV4 header or presigned query),
// path-style (http://HOST/bucket/key) or virtual-host style
// (http://bucket.S3HOST/key when the Host header ends in ".S3HOST").
//
// Operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket,
// GetBucketLocation, Put/Get/DeleteBucketEncryption, PutObject, GetObject
// (Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since),
// HeadObject, DeleteObject, DeleteObjects, CopyObject, ListObjectsV2 and
// ListObjects (prefix, delimiter, pagination, encoding-type=url), multipart
// uploads (create, upload part, complete, abort, list parts, list uploads).
// Bodies: plain, UNSIGNED-PAYLOAD and aws-chunked (signed or unsigned, with
// checksum trailers). Errors are S3's XML error bodies with RequestId and
// Resource.
//
// Large bodies stream: OpenBody gives the HTTP server a sink for an upload's
// body (it authenticates the head first, then decodes, hashes and writes to
// a staged file), and GetObject answers with a body read from disk.
//
// Who may do what: any enabled user's access key may read (GetObject,
// HeadObject, ListBucket, ListAllMyBuckets); writes and bucket
// administration need the root key or an admin's key (identity::Role).
//
// Thread safety: Handle and OpenBody may run concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "http/http.hpp"

namespace plumbline::identity {
class Identity;
}
namespace plumbline::storage {
class LocalBuckets;
}
namespace plumbline::kms {
class KeyService;
}

namespace plumbline::s3 {

struct S3Options {
  // Virtual-host style: requests whose Host is "<bucket>.<virtual_host>"
  // (port ignored) address that bucket. Empty: path-style only.
  std::string virtual_host;
  std::chrono::seconds allowed_skew{900};  // S3 allows 15 minutes
  std::string region = "us-east-1";        // GetBucketLocation default
  std::string account_id = "000000000000";
  // The installation's storage is this S3 server (`serve --s3-endpoint`):
  // every S3 request an authenticated caller sends here is answered 501
  // NotImplemented naming it, rather than served from this server's own
  // buckets folder, which no job reads.
  std::string storage_elsewhere;
};

class S3Service {
 public:
  // Borrows everything; `keys` may be null (then SSE-KMS is refused).
  S3Service(storage::LocalBuckets& buckets, identity::Identity& identity, kms::KeyService* keys,
            S3Options options);
  ~S3Service();
  S3Service(const S3Service&) = delete;
  S3Service& operator=(const S3Service&) = delete;

  // Answers an S3 request (signed for "s3", or an unsigned one the caller
  // routes here: those are refused with AccessDenied).
  void Handle(http::Request& request, http::Respond respond);
  // For http::ServerOptions::stream_body: a sink for the body of a PutObject
  // or UploadPart signed for S3, nullptr for every other request.
  std::shared_ptr<http::BodySink> OpenBody(const http::Request& head);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::s3
