#include "portal/media.hpp"

#include "common/text.hpp"
#include "crypto/hash.hpp"
#include "storage/object_store.hpp"

namespace plumbline::portal {
namespace {

std::string ContentType(const std::string& uri) {
  auto dot = uri.rfind('.');
  std::string ext = dot == std::string::npos ? "" : uri.substr(dot + 1);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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
  router.Add("GET", "/worker/media", [this](const http::Request& req) {
    auto q = http::ParseQuery(req.query);
    const std::string& uri = q["uri"];
    int64_t expires = 0;
    try {
      expires = std::stoll(q["expires"]);
    } catch (...) {
      return http::Response::Json(403, R"({"error":"Forbidden","message":"bad signature"})");
    }
    if (!crypto::ConstantTimeEquals(Mac(uri, expires), q["sig"]))
      return http::Response::Json(403, R"({"error":"Forbidden","message":"bad signature"})");
    if (ToEpochMs(clock_.Now()) / 1000 > expires)
      return http::Response::Json(403, R"({"error":"Forbidden","message":"this link has expired"})");
    auto data = objects_.ReadAll(uri);
    if (!data) {
      int status = data.error().code == ErrorCode::kNotFound ? 404 : 503;
      return http::Response::Json(status, R"({"error":"NotFound","message":"no such object"})");
    }
    http::Response r = http::Response::Text(200, std::move(*data), ContentType(uri));
    r.Set("Cache-Control", "private, max-age=300");
    r.Set("X-Content-Type-Options", "nosniff");
    // The task page runs in a sandboxed frame (an opaque origin): the image
    // tools load with CORS to read pixels (flood fill by colour, an earlier
    // job's mask). The signed URL is the permission, so any origin may read.
    r.Set("Access-Control-Allow-Origin", "*");
    return r;
  });
}

}  // namespace plumbline::portal
