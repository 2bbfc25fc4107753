#include "portal/media.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "crypto/hash.hpp"
#include "http/range.hpp"
#include "http/reader_body.hpp"
#include "storage/object_store.hpp"

namespace plumbline::portal {
namespace {

std::string ContentType(const std::string& uri) {
  auto dot = uri.rfind('.');
  std::string ext = dot == std::string::npos ? "" : AsciiLower(std::string_view(uri).substr(dot + 1));
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "png") return "image/png";
  if (ext == "gif") return "image/gif";
  if (ext == "webp") return "image/webp";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "mp4") return "video/mp4";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wav") return "audio/wav";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "pdf") return "application/pdf";
  return "application/octet-stream";
}

http::Response Refused(int status, std::string_view message) {
  http::Response r = http::Response::Json(
      status, std::string(R"({"error":")") + (status == 404 ? "NotFound" : status == 503 ? "Unavailable" : "Forbidden") +
                  R"(","message":")" + std::string(message) + "\"}");
  r.Set("Cache-Control", "no-store");
  return r;
}

// Whether an If-Range validator names this version: only a strong entity
// tag can (we send no Last-Modified, so a date never does).
bool IfRangeHolds(const std::string& validator, const std::string& quoted_etag) {
  return validator == quoted_etag;
}

}  // namespace

MediaSigner::MediaSigner(std::string key, storage::ObjectStore& objects, const Clock& clock)
    : key_(std::move(key)), objects_(objects), clock_(clock) {}

std::string MediaSigner::Mac(const std::string& uri, int64_t expires) const {
  return crypto::HexEncode(crypto::HmacSha256(key_, uri + "\n" + std::to_string(expires)));
}

std::string MediaSigner::Sign(const std::string& uri, int64_t ttl_s) const {
  int64_t expires = ToEpochMs(clock_.Now()) / 1000 + ttl_s;
  return "/worker/media?uri=" + PercentEncode(uri) + "&expires=" + std::to_string(expires) +
         "&sig=" + Mac(uri, expires);
}

void MediaSigner::Register(http::Router& router) const {
  // HEAD: what a GET would answer, headers only (a player or a prefetch
  // asking for the size and the tag before the bytes).
  for (const char* method : {"GET", "HEAD"})
    router.Add(method, "/worker/media", [this](const http::Request& req) { return Serve(req); });
}

http::Response MediaSigner::Serve(const http::Request& req) const {
  auto q = http::ParseQuery(req.query);
  const std::string& uri = q["uri"];
  int64_t expires = 0;
  try {
    expires = std::stoll(q["expires"]);
  } catch (...) {
    return Refused(403, "bad signature");
  }
  if (!crypto::ConstantTimeEquals(Mac(uri, expires), q["sig"])) return Refused(403, "bad signature");
  const int64_t now_s = ToEpochMs(clock_.Now()) / 1000;
  if (now_s > expires) return Refused(403, "this link has expired");
  auto reader = objects_.OpenRead(uri);
  if (!reader) return Refused(reader.error().code == ErrorCode::kNotFound ? 404 : 503, "no such object");

  // The version: what the store says of it, else (a decrypted object) its
  // bytes, read whole, and their digest.
  std::optional<storage::Reader::Version> version = (*reader)->Describe();
  std::string whole;
  bool in_memory = !version;
  if (in_memory) {
    char buf[65536];
    for (;;) {
      auto n = (*reader)->Read(buf, sizeof buf);
      if (!n) return Refused(503, "the object could not be read");
      if (*n == 0) break;
      whole.append(buf, *n);
      if (whole.size() > kMaxBufferedBytes) return Refused(503, "the object is too large to serve");
    }
    version = storage::Reader::Version{whole.size(), crypto::Sha256Hex(whole).substr(0, 32)};
  }
  const std::string etag = "\"" + version->etag + "\"";
  const uint64_t size = version->size;

  http::Response out;
  out.Set("ETag", etag);
  // Cacheable by this browser only, and only while the link is valid: a
  // later request of the same URL is answered from the cache, a request
  // after that revalidates (If-None-Match) and gets 304.
  out.Set("Cache-Control", "private, max-age=" + std::to_string(std::max<int64_t>(0, expires - now_s)));
  out.Set("Accept-Ranges", "bytes");
  out.Set("X-Content-Type-Options", "nosniff");
  // The task page runs in a sandboxed frame (an opaque origin): the image
  // tools load with CORS to read pixels (flood fill by colour, an earlier
  // job's mask). The signed URL is the permission, so any origin may read.
  out.Set("Access-Control-Allow-Origin", "*");
  if (const std::string* h = req.FindHeader("If-None-Match"); h && http::EtagListMatches(*h, version->etag)) {
    out.status = 304;
    return out;
  }
  out.Set("Content-Type", ContentType(uri));

  http::ByteRange range;
  const std::string* if_range = req.FindHeader("If-Range");
  if (const std::string* h = req.FindHeader("Range"); h && (!if_range || IfRangeHolds(*if_range, etag)))
    range = http::ParseByteRange(*h, size);
  if (range.kind == http::ByteRange::kUnsatisfiable) {
    out.status = 416;
    out.Set("Content-Range", http::ContentRange(range, size));
    out.Set("Content-Type", "text/plain");
    out.body = "range not satisfiable";
    return out;
  }
  uint64_t start = 0, length = size;
  if (range.kind == http::ByteRange::kPartial) {
    out.status = 206;
    out.Set("Content-Range", http::ContentRange(range, size));
    start = range.start;
    length = range.length;
  }
  if (req.method == "HEAD") {
    // The length the GET would send, and no reader kept open for it.
    out.body_size = length;
    out.body_source = std::make_shared<http::ReaderBody<storage::Reader>>(nullptr, 0, length);
    return out;
  }
  if (in_memory) {
    out.body = whole.substr(static_cast<size_t>(start), static_cast<size_t>(length));
    return out;
  }
  if (start > 0) {
    if (auto s = (*reader)->Skip(start); !s) return Refused(503, "the object could not be read");
  }
  out.body_size = length;
  out.body_source = std::make_shared<http::ReaderBody<storage::Reader>>(std::move(*reader), 0, length);
  return out;
}

}  // namespace plumbline::portal
