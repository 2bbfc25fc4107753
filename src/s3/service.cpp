// S3 request routing, authentication and the error format.
#include <time.h>

#include <cstdio>

#include "common/ids.hpp"
#include "s3/detail/impl.hpp"
#include "s3/xml.hpp"

namespace plumbline::s3 {

namespace {

std::string LowerAscii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// AWS's S3 codes for what crypto::Verify reports in awsJson's words.
S3Error FromAuth(const crypto::AuthError& e) {
  const std::string& c = e.code;
  if (c == "MissingAuthenticationTokenException") return {403, "AccessDenied", "Access Denied"};
  if (c == "UnrecognizedClientException")
    return {403, "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records."};
  if (c == "IncompleteSignatureException") return {400, "AuthorizationHeaderMalformed", e.message};
  if (c == "InvalidSignatureException") {
    if (e.message.rfind("Signature expired", 0) == 0 ||
        e.message.rfind("Signature not yet current", 0) == 0)
      return {403, "RequestTimeTooSkewed",
              "The difference between the request time and the current time is too large."};
    if (e.message.rfind("The request signature", 0) == 0)
      return {403, "SignatureDoesNotMatch", e.message};
    return {400, "AuthorizationHeaderMalformed", e.message};
  }
  if (c == "AccessDenied") return {403, "AccessDenied", e.message};
  if (c == "ServiceUnavailable") return {503, "ServiceUnavailable", "Please reduce your request rate."};
  return {400, c, e.message};  // InvalidRequest, InvalidArgument, AuthorizationQueryParametersError
}

}  // namespace

std::optional<Target> ParseTarget(const http::Request& r, const S3Options& options) {
  Target t;
  std::string path;
  if (!http::PercentDecode(r.path, &path) || path.empty() || path[0] != '/') return std::nullopt;
  t.query = http::ParseQuery(r.query);
  std::string host;
  if (const std::string* h = r.FindHeader("Host")) host = LowerAscii(*h);
  if (size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
    host.resize(colon);
  const std::string suffix = "." + options.virtual_host;
  if (!options.virtual_host.empty() && host.size() > suffix.size() &&
      host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
    t.bucket = host.substr(0, host.size() - suffix.size());
    t.key = path.substr(1);
    return t;
  }
  size_t slash = path.find('/', 1);
  t.bucket = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  if (slash != std::string::npos) t.key = path.substr(slash + 1);
  return t;
}

S3Error FromStorage(const Error& e, bool about_key) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      if (e.message.rfind("The specified bucket", 0) == 0)
        return {404, "NoSuchBucket", "The specified bucket does not exist"};
      if (e.message.rfind("The specified upload", 0) == 0) return {404, "NoSuchUpload", e.message};
      return {404, about_key ? "NoSuchKey" : "NoSuchBucket", e.message};
    case ErrorCode::kInvalidArgument:
      if (e.message.rfind("Your key is too long", 0) == 0) return {400, "KeyTooLongError", e.message};
      if (e.message.rfind("The specified bucket is not valid", 0) == 0)
        return {400, "InvalidBucketName", e.message};
      return {400, "InvalidArgument", e.message};
    case ErrorCode::kConflict:
      if (!about_key) return {409, "BucketNotEmpty", e.message};
      return {400, "InvalidArgument", e.message};
    case ErrorCode::kAlreadyExists:
      return {409, "BucketAlreadyOwnedByYou",
              "Your previous request to create the named bucket succeeded and you already own it."};
    case ErrorCode::kPermissionDenied: return {403, "AccessDenied", e.message};
    case ErrorCode::kUnavailable: return {503, "ServiceUnavailable", e.message};
    default: return {500, "InternalError", e.message};
  }
}

std::string RequestId() {
  std::string id = RandomHex(8);
  for (char& c : id)
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  return id;
}

http::Response XmlResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.Set("Content-Type", "application/xml");
  return r;
}

http::Response ErrorResponse(const S3Error& e, const std::string& resource) {
  std::string id = RequestId();
  XmlWriter x("Error", false);
  x.Leaf("Code", e.code).Leaf("Message", e.message).Leaf("Resource", resource).Leaf("RequestId", id);
  http::Response r = XmlResponse(e.status, x.Finish());
  r.Set("x-amz-request-id", id);
  return r;
}

std::string IsoTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int fields, so no truncation is possible
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

std::string HttpDate(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool ParseHttpDate(const std::string& text, int64_t* ms) {
  struct tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) {
    tm = {};
    end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return false;
  }
  *ms = int64_t(timegm(&tm)) * 1000;
  return true;
}

std::string Quote(const std::string& etag) { return "\"" + etag + "\""; }

std::optional<S3Error> S3Service::Impl::Authenticate(const http::Request& r,
                                                     identity::Principal* who) {
  std::vector<crypto::Header> headers;
  headers.reserve(r.headers.size());
  for (const auto& h : r.headers) headers.emplace_back(h.name, h.value);
  crypto::RequestView view{r.method, r.target, headers, ""};
  crypto::VerifyOptions o;
  o.expected_service = "s3";
  o.allowed_skew = options.allowed_skew;
  o.normalize_path = false;
  o.s3_payload = true;
  o.allow_presigned = true;
  auto verified = identity.Authenticate(view, o);
  if (!verified) return FromAuth(verified.error());
  *who = std::move(*verified);
  return std::nullopt;
}

std::optional<S3Error> S3Service::Impl::Authorize(const identity::Principal& who,
                                                  const char* action, const Target& t) {
  // Reads for every user of the installation; the rest for admins.
  static const char* const kReads[] = {"s3:GetObject", "s3:ListBucket", "s3:ListAllMyBuckets",
                                       "s3:GetBucketLocation", "s3:ListMultipartUploadParts",
                                       "s3:ListBucketMultipartUploads",
                                       "s3:GetEncryptionConfiguration", "s3:GetObjectTagging"};
  bool read = false;
  for (const char* a : kReads) read = read || std::string_view(a) == action;
  std::string resource = "arn:aws:s3:::" + t.bucket + (t.key.empty() ? "" : "/" + t.key);
  if (t.bucket.empty()) resource = "arn:aws:s3:::*";
  auto s = identity::Identity::Authorize(who, read ? identity::Role::kWorker : identity::Role::kAdmin,
                                         action, resource);
  if (!s) return S3Error{403, "AccessDenied", s.error().message};
  return std::nullopt;
}

http::Response S3Service::Impl::Dispatch(http::Request& r, const Target& t,
                                         const identity::Principal& who) {
  const std::string& m = r.method;
  auto denied = [&](const char* action) { return Authorize(who, action, t); };
  auto fail = [&](const S3Error& e) { return ErrorResponse(e, t.Resource()); };
  if (t.bucket.empty()) {
    if (m != "GET") return fail({405, "MethodNotAllowed", "The specified method is not allowed against this resource."});
    if (auto e = denied("s3:ListAllMyBuckets")) return fail(*e);
    return ListBuckets(who);
  }
  if (t.key.empty()) return BucketRequest(r, t, who);
  if (auto s = storage::LocalBuckets::CheckKey(t.key); !s) return fail(FromStorage(s.error(), true));
  // Object tags are not kept: an object's tag set is empty (what AWS's CLI
  // reads before a multipart copy), and setting one is refused rather than
  // dropped. Other object subresources are refused, not mistaken for the object.
  if (t.Has("tagging")) {
    if (m == "GET") {
      if (auto e = denied("s3:GetObjectTagging")) return fail(*e);
      auto info = buckets.Head(t.bucket, t.key);
      if (!info) return fail(FromStorage(info.error(), true));
      XmlWriter x("Tagging");
      x.Open("TagSet").Close("TagSet");
      return XmlResponse(200, x.Finish());
    }
    return fail({501, "NotImplemented", "Object tags are not kept by this server."});
  }
  for (const char* sub : {"acl", "attributes", "legal-hold", "retention", "torrent", "restore", "select"})
    if (t.Has(sub))
      return fail({501, "NotImplemented", std::string("The ?") + sub + " subresource of objects is not implemented by this server."});
  const char* action = nullptr;
  if (m == "PUT") {
    if (r.FindHeader("x-amz-copy-source")) {
      if (auto e = denied("s3:PutObject")) return fail(*e);
      if (t.Has("partNumber") || t.Has("uploadId")) return CopyPart(r, t, who);
      return CopyObject(r, t, who);
    }
    return PutObject(r, t, who);  // authorised when its body sink opened
  }
  if (m == "GET" || m == "HEAD") {
    if (t.Has("uploadId")) {
      if (auto e = denied("s3:ListMultipartUploadParts")) return fail(*e);
      return ListParts(t);
    }
    if (auto e = denied("s3:GetObject")) return fail(*e);
    return GetObject(r, t, who, m == "HEAD");
  }
  if (m == "DELETE") {
    action = t.Has("uploadId") ? "s3:AbortMultipartUpload" : "s3:DeleteObject";
    if (auto e = denied(action)) return fail(*e);
    return t.Has("uploadId") ? AbortUpload(t) : DeleteObject(t);
  }
  if (m == "POST") {
    if (auto e = denied("s3:PutObject")) return fail(*e);
    if (t.Has("uploads")) return CreateUpload(r, t, who);
    if (t.Has("uploadId")) return CompleteUpload(r, t, who);
  }
  return fail({405, "MethodNotAllowed", "The specified method is not allowed against this resource."});
}

S3Service::S3Service(storage::LocalBuckets& buckets, identity::Identity& identity,
                     kms::KeyService* keys, S3Options options)
    : impl_(new Impl{buckets, identity, keys, std::move(options)}) {}
S3Service::~S3Service() = default;

void S3Service::Handle(http::Request& request, http::Respond respond) {
  auto t = ParseTarget(request, impl_->options);
  if (!t) {
    respond(http::Ready(ErrorResponse({400, "InvalidURI", "Couldn't parse the specified URI."},
                                      request.path)));
    return;
  }
  identity::Principal who;
  http::Response out;
  if (auto e = impl_->Authenticate(request, &who)) {
    out = ErrorResponse(*e, t->Resource());
  } else if (!impl_->options.storage_elsewhere.empty()) {
    out = ErrorResponse({501, "NotImplemented",
                         "This server keeps no buckets: the installation's storage is the S3 server at " +
                             impl_->options.storage_elsewhere + ". Send S3 requests there."},
                        t->Resource());
  } else {
    out = impl_->Dispatch(request, *t, who);
  }
  if (request.method == "HEAD") out.body.clear();
  respond(http::Ready(std::move(out)));
}

std::shared_ptr<http::BodySink> S3Service::OpenBody(const http::Request& head) {
  if (head.method != "PUT" || head.FindHeader("x-amz-copy-source")) return nullptr;
  if (!impl_->options.storage_elsewhere.empty()) return nullptr;  // refused by Handle
  auto t = ParseTarget(head, impl_->options);
  if (!t || t->bucket.empty() || t->key.empty()) return nullptr;
  return StartUpload(*impl_, head);
}

}  // namespace plumbline::s3
