// Signed, time-limited URLs for objects in storage: what Ground Truth's
// grant_read_access filter gives a template. The URL points at Plumbline's
// own /worker/media endpoint, which streams the object when the signature
// and expiry check out. The browser needs no session for it (templates run
// in a sandboxed iframe), so the signature is the only authorisation.
// Thread-safe.
#pragma once

#include <string>

#include "common/clock.hpp"
#include "http/http.hpp"

namespace plumbline::storage {
class ObjectStore;
}

namespace plumbline::portal {

class MediaSigner {
 public:
  // `key`: a server secret (at least 32 random bytes, kept in the store).
  MediaSigner(std::string key, storage::ObjectStore& objects, const Clock& clock);
  // "/worker/media?uri=<enc>&expires=<epoch s>&sig=<hex>", valid for ttl_s.
  std::string Sign(const std::string& uri, int64_t ttl_s) const;
  // GET /worker/media: 403 for a bad or expired signature, 404 when missing.
  // Answers carry an ETag and Cache-Control (private, for as long as the link
  // is valid); If-None-Match naming the ETag gets 304. One byte range
  // (Range: bytes=a-b, a-, -n) gets 206 with Content-Range, or 416 when it
  // starts past the end; several ranges in one header, or a Range whose
  // If-Range is not the current ETag, get the whole object (200). Objects
  // stream from the store in constant memory (a range's start skipped
  // without reading when the store can); those whose store cannot tell their
  // size and version beforehand (decrypted ones) are read whole, up to
  // kMaxBufferedBytes, and tagged by a digest of their bytes. HEAD answers
  // as GET does (status, ETag, Content-Length of what GET would send,
  // Content-Range, caching headers) without a body.
  void Register(http::Router& router) const;
  http::Response Serve(const http::Request& req) const;

  static constexpr size_t kMaxBufferedBytes = 64u << 20;

 private:
  std::string Mac(const std::string& uri, int64_t expires) const;
  std::string key_;
  storage::ObjectStore& objects_;
  const Clock& clock_;
};

}  // namespace plumbline::portal
