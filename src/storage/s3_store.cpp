// The S3-compatible object store: the S3 REST protocol over libcurl, signed
// with Plumbline's own SigV4 (crypto/sigv4.hpp building blocks).
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "common/text.hpp"
#include "crypto/hash.hpp"
#include "crypto/sigv4.hpp"
#include "storage/detail/s3_sign.hpp"
#include "storage/object_store.hpp"

namespace plumbline::storage {
namespace detail {

std::string EncodeKey(const std::string& key) { return PercentEncode(key, /*keep_slash=*/true); }

HeaderList SignS3(const S3SignInput& in, const S3Credentials& creds, TimePoint now) {
  const std::string amz_date = FormatAmzDate(now);
  const std::string date8 = amz_date.substr(0, 8);
  std::vector<crypto::Header> headers(in.headers.begin(), in.headers.end());
  HeaderList added = {{"X-Amz-Date", amz_date}, {"X-Amz-Content-Sha256", in.payload_hash}};
  if (!creds.session_token.empty()) added.emplace_back("X-Amz-Security-Token", creds.session_token);
  for (const auto& h : added) headers.push_back(h);
  // Every header is signed (as botocore does), names lower case and sorted.
  std::vector<std::string> names;
  for (const auto& h : headers) {
    std::string n = AsciiLower(h.first);
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  std::string signed_list;
  for (const auto& n : names) signed_list += (signed_list.empty() ? "" : ";") + n;
  // S3: the path is encoded once, without dot-segment normalisation.
  std::string canonical = in.method + "\n" + crypto::CanonicalUri(in.path, false) + "\n" +
                          crypto::CanonicalQueryString(in.query) + "\n" +
                          crypto::CanonicalHeaders(headers, names) + "\n" + signed_list + "\n" +
                          in.payload_hash;
  std::string scope = crypto::CredentialScope(date8, creds.region, "s3");
  std::string sts = crypto::StringToSign(amz_date, scope, canonical);
  std::string key = crypto::DeriveSigningKey(creds.secret_access_key, date8, creds.region, "s3");
  std::string signature = crypto::SignatureHex(key, sts);
  added.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                                          ", SignedHeaders=" + signed_list + ", Signature=" + signature);
  return added;
}

}  // namespace detail

namespace {

using detail::HeaderList;

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct HttpResult {
  long status = 0;
  std::string body;
  HeaderList headers;  // response headers, names lower case

  const std::string* Header(const std::string& lower_name) const {
    for (const auto& h : headers)
      if (h.first == lower_name) return &h.second;
    return nullptr;
  }
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  std::string_view line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = AsciiLower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    static_cast<HeaderList*>(user)->emplace_back(std::move(name), std::string(value));
  } else if (line.rfind("HTTP/", 0) == 0) {
    static_cast<HeaderList*>(user)->clear();  // a new response (after 100 Continue)
  }
  return size * n;
}

// "<Code>NoSuchKey</Code>" -> "NoSuchKey"
std::string XmlField(const std::string& xml, const std::string& tag) {
  size_t a = xml.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  a += tag.size() + 2;
  size_t b = xml.find("</" + tag + ">", a);
  return b == std::string::npos ? "" : xml.substr(a, b - a);
}


class S3Store;

// One S3 request, ready to send (and to re-sign on each retry).
struct S3Request {
  std::string method = "GET";
  std::string bucket, key;
  std::string query;     // encoded
  HeaderList headers;    // besides Host and the signature
  std::string_view body;
};

class S3Store final : public ObjectStore {
 public:
  explicit S3Store(S3Options options) : o_(std::move(options)) {
    static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)init;
    if (o_.endpoint.empty()) o_.endpoint = "https://s3." + o_.region + ".amazonaws.com";
    while (!o_.endpoint.empty() && o_.endpoint.back() == '/') o_.endpoint.pop_back();
    size_t scheme = o_.endpoint.find("://");
    scheme_ = scheme == std::string::npos ? "http" : o_.endpoint.substr(0, scheme);
    authority_ = scheme == std::string::npos ? o_.endpoint : o_.endpoint.substr(scheme + 3);
    size_t slash = authority_.find('/');
    if (slash != std::string::npos) {
      base_path_ = authority_.substr(slash);
      authority_ = authority_.substr(0, slash);
    }
    o_.part_bytes = std::max<size_t>(o_.part_bytes, 5u << 20);
    o_.read_bytes = std::max<size_t>(o_.read_bytes, 64u << 10);
    o_.max_attempts = std::max(o_.max_attempts, 1);
  }
  ~S3Store() override {
    for (CURL* c : pool_) curl_easy_cleanup(c);
  }

  Result<std::unique_ptr<Reader>> OpenRead(const std::string& uri) override;
  Result<std::unique_ptr<Writer>> OpenWrite(const std::string& uri) override;

  const S3Options& options() const { return o_; }

  // Sends `req` with retries on connection errors, 5xx and 429.
  Result<HttpResult> Send(const S3Request& req, const std::string& uri) {
    Result<HttpResult> last = Unavailable("no attempt");
    for (int attempt = 0; attempt < o_.max_attempts; ++attempt) {
      if (attempt > 0) {
        thread_local std::minstd_rand jitter(std::random_device{}());
        int delay = o_.backoff_ms * (1 << std::min(attempt - 1, 10));
        delay += static_cast<int>(jitter() % static_cast<unsigned>(std::max(1, delay / 4)));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      }
      last = SendOnce(req);
      if (!last) continue;  // connection-level failure: retry
      if (last->status >= 500 || last->status == 429) continue;
      break;
    }
    if (!last) return Unavailable(uri + ": " + last.error().message + " (after " +
                                  std::to_string(o_.max_attempts) + " attempts)");
    return last;
  }

  // An error naming the URI for a non-2xx answer.
  static Error ErrorFor(const HttpResult& r, const std::string& uri, const std::string& what) {
    std::string code = XmlField(r.body, "Code");
    std::string message = XmlField(r.body, "Message");
    std::string detail = std::to_string(r.status) + (code.empty() ? "" : " " + code) +
                         (message.empty() ? "" : ": " + message);
    if (r.status == 404) return NotFound("no such object: " + uri + " (" + detail + ")");
    if (r.status == 403) return PermissionDenied("access denied to " + uri + " (" + detail + ")");
    if (r.status >= 500 || r.status == 429)
      return Unavailable(what + " " + uri + " failed: " + detail);
    return InvalidArgument(what + " " + uri + " failed: " + detail);
  }

 private:
  Result<HttpResult> SendOnce(const S3Request& req) {
    // URL and the host/path that get signed.
    std::string host = authority_;
    std::string path;  // decoded, for the signature
    if (o_.path_style) {
      path = base_path_ + "/" + req.bucket + (req.key.empty() ? "" : "/" + req.key);
    } else {
      host = req.bucket + "." + authority_;
      path = base_path_ + "/" + req.key;
    }
    std::string url = scheme_ + "://" + host + detail::EncodeKey(path) +
                      (req.query.empty() ? "" : "?" + req.query);
    HeaderList headers = req.headers;
    headers.emplace_back("Host", host);
    detail::S3SignInput in{req.method, path, req.query, headers,
                           req.body.empty() ? kEmptySha256 : crypto::Sha256Hex(req.body)};
    detail::S3Credentials creds{o_.access_key_id, o_.secret_access_key, o_.session_token, o_.region};
    for (auto& h : detail::SignS3(in, creds, SystemClock::Get().Now())) headers.push_back(std::move(h));

    curl_slist* raw = nullptr;
    for (const auto& [name, value] : headers) raw = curl_slist_append(raw, (name + ": " + value).c_str());
    raw = curl_slist_append(raw, "Expect:");
    if (req.method == "PUT" || req.method == "POST") raw = curl_slist_append(raw, "Transfer-Encoding:");
    std::unique_ptr<curl_slist, CurlDeleter> list(raw);

    CURL* c = Acquire();
    HttpResult out;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o_.timeout_seconds);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (req.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (req.method == "DELETE" && req.body.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
      } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      }
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
    Release(c, rc == CURLE_OK);
    // s3rver answers a ranged GET of an empty object with 206, Content-Range
    // "bytes 0-0/0" and a Content-Length of 1 it never sends (S3 says 416).
    if (rc == CURLE_PARTIAL_FILE && out.status == 206) {
      const std::string* range = out.Header("content-range");
      if (range && range->size() > 2 && range->substr(range->size() - 2) == "/0") {
        out.body.clear();
        return out;
      }
    }
    if (rc != CURLE_OK) return Unavailable(std::string(curl_easy_strerror(rc)) + " (" + url + ")");
    return out;
  }

  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pool_.empty()) {
        CURL* c = pool_.back();
        pool_.pop_back();
        curl_easy_reset(c);  // options go; the connection cache stays
        return c;
      }
    }
    return curl_easy_init();
  }
  void Release(CURL* c, bool healthy) {
    if (!healthy) {
      curl_easy_cleanup(c);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (pool_.size() < 16) pool_.push_back(c);
    else curl_easy_cleanup(c);
  }

  S3Options o_;
  std::string scheme_, authority_, base_path_;
  std::mutex mu_;
  std::vector<CURL*> pool_;
};

// Streams an object with ranged GETs; bounded memory (one range).
class S3Reader final : public Reader {
 public:
  S3Reader(S3Store& store, std::string bucket, std::string key, std::string uri)
      : s_(store), bucket_(std::move(bucket)), key_(std::move(key)), uri_(std::move(uri)) {}

  // HEAD first: the size and ETag (so an empty object needs no GET and every
  // range is pinned to one version); kNotFound etc. surface from OpenRead.
  Status Start() {
    S3Request req;
    req.method = "HEAD";
    req.bucket = bucket_;
    req.key = key_;
    PLB_ASSIGN_OR_RETURN(HttpResult r, s_.Send(req, uri_));
    if (r.status != 200) return S3Store::ErrorFor(r, uri_, "HEAD");
    const std::string* length = r.Header("content-length");
    if (!length) return Unavailable("HEAD " + uri_ + " returned no Content-Length");
    total_ = std::stoull(*length);
    if (const auto* e = r.Header("etag")) etag_ = *e;
    return {};
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ == chunk_.size()) {
      if (offset_ >= total_) return size_t{0};
      PLB_TRY(Fetch());
      if (chunk_.empty()) return size_t{0};
    }
    size_t take = std::min(n, chunk_.size() - pos_);
    std::memcpy(buf, chunk_.data() + pos_, take);
    pos_ += take;
    return take;
  }

  std::optional<Version> Describe() const override {
    if (total_ == std::numeric_limits<size_t>::max() || etag_.empty()) return std::nullopt;
    std::string tag = etag_;
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
    return Version{static_cast<uint64_t>(total_), tag};
  }

  // The next ranged GET starts further on; nothing skipped is fetched.
  Status Skip(uint64_t n) override {
    size_t buffered = std::min<uint64_t>(n, chunk_.size() - pos_);
    pos_ += buffered;
    n -= buffered;
    if (n > 0) offset_ = static_cast<size_t>(std::min<uint64_t>(offset_ + n, total_));
    return {};
  }

 private:
  Status Fetch() {
    S3Request req;
    req.bucket = bucket_;
    req.key = key_;
    size_t last = offset_ + s_.options().read_bytes - 1;
    req.headers.emplace_back("Range", "bytes=" + std::to_string(offset_) + "-" + std::to_string(last));
    if (!etag_.empty()) req.headers.emplace_back("If-Match", etag_);
    PLB_ASSIGN_OR_RETURN(HttpResult r, s_.Send(req, uri_));
    if (r.status == 416 && offset_ == 0) {  // an empty object has no byte 0
      chunk_.clear();
      pos_ = 0;
      total_ = 0;
      return {};
    }
    if (r.status == 412)
      return Unavailable(uri_ + " changed while it was being read (ETag " + etag_ + ")");
    if (r.status != 200 && r.status != 206) return S3Store::ErrorFor(r, uri_, "GET");
    if (const auto* e = r.Header("etag"); e && etag_.empty()) etag_ = *e;
    if (r.status == 200) {
      total_ = offset_ + r.body.size();  // the server ignored Range: this is all of it
    } else if (const auto* cr = r.Header("content-range")) {
      size_t slash = cr->rfind('/');
      if (slash != std::string::npos && (*cr)[slash + 1] != '*') total_ = std::stoull(cr->substr(slash + 1));
    }
    offset_ += r.body.size();
    chunk_ = std::move(r.body);
    pos_ = 0;
    if (chunk_.empty() && offset_ < total_) return Unavailable(uri_ + ": empty range before the end");
    return {};
  }

  S3Store& s_;
  std::string bucket_, key_, uri_;
  std::string etag_;
  std::string chunk_;
  size_t pos_ = 0;
  size_t offset_ = 0;
  size_t total_ = std::numeric_limits<size_t>::max();
};

// Buffers up to part_bytes; one PUT for small objects, multipart otherwise.
class S3Writer final : public Writer {
 public:
  S3Writer(S3Store& store, std::string bucket, std::string key, std::string uri)
      : s_(store), bucket_(std::move(bucket)), key_(std::move(key)), uri_(std::move(uri)) {}
  ~S3Writer() override {
    if (!upload_id_.empty() && !committed_) {
      S3Request req;
      req.method = "DELETE";
      req.bucket = bucket_;
      req.key = key_;
      req.query = "uploadId=" + detail::EncodeKey(upload_id_);
      (void)s_.Send(req, uri_);  // best effort: a leftover upload only costs storage
    }
  }

  Status Append(std::string_view data) override {
    if (committed_) return Internal("Append after Commit on " + uri_);
    buf_.append(data);
    if (buf_.size() >= s_.options().part_bytes) PLB_TRY(UploadPart());
    return {};
  }

  Status Commit() override {
    if (committed_) return Internal("Commit twice on " + uri_);
    if (upload_id_.empty()) {
      S3Request req;
      req.method = "PUT";
      req.bucket = bucket_;
      req.key = key_;
      req.headers = BaseHeaders();
      req.body = buf_;
      PLB_ASSIGN_OR_RETURN(HttpResult r, s_.Send(req, uri_));
      if (r.status != 200) return S3Store::ErrorFor(r, uri_, "PUT");
      committed_ = true;
      return {};
    }
    if (!buf_.empty() || etags_.empty()) PLB_TRY(UploadPart());
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags_.size(); ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + EscapeHtml(etags_[i]) +
             "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    S3Request req;
    req.method = "POST";
    req.bucket = bucket_;
    req.key = key_;
    req.query = "uploadId=" + detail::EncodeKey(upload_id_);
    req.headers.emplace_back("Content-Type", "application/xml");
    req.body = xml;
    PLB_ASSIGN_OR_RETURN(HttpResult r, s_.Send(req, uri_));
    // S3 may answer 200 with an <Error> body when completion fails late.
    if (r.status != 200 || r.body.find("<Error>") != std::string::npos)
      return S3Store::ErrorFor(r.status == 200 ? HttpResult{500, r.body, {}} : r, uri_,
                               "CompleteMultipartUpload");
    committed_ = true;
    return {};
  }

 private:
  HeaderList BaseHeaders() const {
    return {{"Content-Type", "application/octet-stream"}};
  }

  Status UploadPart() {
    if (upload_id_.empty()) {
      S3Request req;
      req.method = "POST";
      req.bucket = bucket_;
      req.key = key_;
      req.query = "uploads=";
      req.headers = BaseHeaders();
      PLB_ASSIGN_OR_RETURN(HttpResult r, s_.Send(req, uri_));
      if (r.status != 200) return S3Store::ErrorFor(r, uri_, "CreateMultipartUpload");
      upload_id_ = XmlField(r.body, "UploadId");
      if (upload_id_.empty()) return Unavailable("CreateMultipartUpload " + uri_ + " returned no UploadId");
    }
    S3Request req;
    req.method = "PUT";
    req.bucket = bucket_;
    req.key = key_;
    req.query = "partNumber=" + std::to_string(etags_.size() + 1) +
                "&uploadId=" + detail::EncodeKey(upload_id_);
    req.body = buf_;
    PLB_ASSIGN_OR_RETURN(HttpResult r, s_.Send(req, uri_));
    if (r.status != 200) return S3Store::ErrorFor(r, uri_, "UploadPart");
    const std::string* etag = r.Header("etag");
    if (!etag) return Unavailable("UploadPart " + uri_ + " returned no ETag");
    etags_.push_back(*etag);
    buf_.clear();
    return {};
  }

  S3Store& s_;
  std::string bucket_, key_, uri_;
  std::string buf_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  bool committed_ = false;
};

Result<std::unique_ptr<Reader>> S3Store::OpenRead(const std::string& uri) {
  std::string bucket, key;
  if (uri.rfind("s3://", 0) != 0) {
    if (o_.fallback) return o_.fallback->OpenRead(uri);
    return InvalidArgument("not an s3:// URI: " + uri);
  }
  if (!ParseS3Uri(uri, &bucket, &key) || key.empty()) return InvalidArgument("not an object URI: " + uri);
  auto reader = std::make_unique<S3Reader>(*this, bucket, key, uri);
  PLB_TRY(reader->Start());
  return std::unique_ptr<Reader>(std::move(reader));
}

Result<std::unique_ptr<Writer>> S3Store::OpenWrite(const std::string& uri) {
  std::string bucket, key;
  if (uri.rfind("s3://", 0) != 0) {
    if (o_.fallback) return o_.fallback->OpenWrite(uri);
    return InvalidArgument("not an s3:// URI: " + uri);
  }
  if (!ParseS3Uri(uri, &bucket, &key) || key.empty()) return InvalidArgument("not an object URI: " + uri);
  return std::unique_ptr<Writer>(new S3Writer(*this, bucket, key, uri));
}

// Minimal INI reading for the shared credentials/config files.
std::string IniValue(const std::string& path, const std::string& section, const std::string& name) {
  std::ifstream in(path);
  std::string line, current;
  auto trim = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = trim(line.substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find('=');
    if (current == section && eq != std::string::npos && trim(line.substr(0, eq)) == name)
      return trim(line.substr(eq + 1));
  }
  return "";
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Result<S3Options> S3OptionsFromEnvironment(const std::string& endpoint) {
  S3Options o;
  o.endpoint = endpoint;
  std::string profile = Env("AWS_PROFILE").empty() ? "default" : Env("AWS_PROFILE");
  std::string home = Env("HOME");
  std::string creds_file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (creds_file.empty() && !home.empty()) creds_file = home + "/.aws/credentials";
  std::string config_file = Env("AWS_CONFIG_FILE");
  if (config_file.empty() && !home.empty()) config_file = home + "/.aws/config";
  const std::string config_section = profile == "default" ? "default" : "profile " + profile;

  o.access_key_id = Env("AWS_ACCESS_KEY_ID");
  o.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
  o.session_token = Env("AWS_SESSION_TOKEN");
  if (o.access_key_id.empty() || o.secret_access_key.empty()) {
    o.access_key_id = IniValue(creds_file, profile, "aws_access_key_id");
    o.secret_access_key = IniValue(creds_file, profile, "aws_secret_access_key");
    o.session_token = IniValue(creds_file, profile, "aws_session_token");
  }
  if (o.access_key_id.empty() || o.secret_access_key.empty())
    return Unauthenticated("no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or " +
                           creds_file + " [" + profile + "]");
  std::string region = Env("AWS_REGION");
  if (region.empty()) region = Env("AWS_DEFAULT_REGION");
  if (region.empty()) region = IniValue(config_file, config_section, "region");
  if (!region.empty()) o.region = region;
  return o;
}

std::unique_ptr<ObjectStore> OpenS3(const S3Options& options) {
  return std::make_unique<S3Store>(options);
}

}  // namespace plumbline::storage
