#include "crypto/sigv4.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/text.hpp"
#include "crypto/hash.hpp"

namespace plumbline::crypto {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

// Header whitespace includes CR/LF so that obs-folded values collapse too.
bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Percent-decoding for query components. A '%' not followed by two hex digits
// is kept literally (and so re-encoded as %25). '+' stays '+': AWS clients
// encode spaces as %20.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexDigitValue(s[i + 1]), lo = HexDigitValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Trims and collapses internal whitespace runs to one space.
std::string TrimCollapse(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (IsWs(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWs(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWs(s.back())) s.remove_suffix(1);
  return s;
}

const Header* FindHeader(std::span<const Header> headers, std::string_view name) {
  for (const Header& h : headers)
    if (EqualsIgnoreCase(h.first, name)) return &h;
  return nullptr;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string JoinSigned(std::span<const std::string> names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out.push_back(';');
    out += n;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

AuthError Incomplete(std::string m) { return {"IncompleteSignatureException", std::move(m)}; }
AuthError InvalidSig(std::string m) { return {"InvalidSignatureException", std::move(m)}; }

const char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

// "5 min." as AWS prints the skew; other skews in minutes or seconds.
std::string SkewText(std::chrono::seconds skew) {
  if (skew.count() % 60 == 0) return std::to_string(skew.count() / 60) + " min.";
  return std::to_string(skew.count()) + " sec.";
}

TimePoint TruncateToSeconds(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  return std::chrono::time_point_cast<std::chrono::milliseconds>(secs);
}

// S3's X-Amz-Content-Sha256: required with header authentication, and either a
// hex SHA-256 or one of the payload modes S3 defines.
#define PLB_SIGV4_TRY(expr)                 \
  do {                                      \
    if (auto e = (expr)) return std::move(*e); \
  } while (0)

std::optional<AuthError> S3PayloadHash(std::span<const Header> headers, std::string* out) {
  const Header* h = FindHeader(headers, "x-amz-content-sha256");
  if (h == nullptr)
    return AuthError{"InvalidRequest", "Missing required header for this request: x-amz-content-sha256"};
  std::string v(Trim(h->second));
  static const char* const kModes[] = {
      "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"};
  bool ok = std::find(std::begin(kModes), std::end(kModes), v) != std::end(kModes);
  if (!ok && v.size() == 64)
    ok = std::all_of(v.begin(), v.end(), [](char c) { return HexDigitValue(c) >= 0; });
  if (!ok)
    return AuthError{"InvalidArgument",
                     "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-"
                     "TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                     "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."};
  *out = v.size() == 64 ? AsciiLower(v) : v;
  return std::nullopt;
}

// The last step of both verifications: the signature itself.
VerifyResult Finish(const RequestView& request, const std::string& canonical,
                    const std::string& secret, std::string_view key_id, std::string_view date8,
                    std::string_view region, std::string_view service, const std::string& amz_date,
                    std::string_view signature, const std::string& payload_hash, bool presigned) {
  const std::string scope = CredentialScope(date8, region, service);
  const std::string sts = StringToSign(amz_date, scope, canonical);
  std::string key = DeriveSigningKey(secret, date8, region, service);
  const std::string expected = SignatureHex(key, sts);
  if (!ConstantTimeEquals(expected, signature)) return InvalidSig(kMismatch);
  VerifiedCaller caller;
  caller.access_key_id = std::string(key_id);
  caller.region = std::string(region);
  if (const Header* t = FindHeader(request.headers, "x-amz-security-token"))
    caller.session_token = std::string(Trim(t->second));
  caller.presigned = presigned;
  caller.payload_hash = payload_hash;
  caller.signing_key = std::move(key);
  caller.scope = scope;
  caller.amz_date = amz_date;
  caller.signature = expected;
  return caller;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string CanonicalUri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  std::string out;
  if (!normalize) {
    AppendPercentEncoded(out, path, /*keep_slash=*/true);
    return out;
  }
  // RFC 3986 dot-segment removal plus collapsing empty segments, as AWS's
  // signers do for every service but S3 (vectors get-slash*, get-relative*).
  std::vector<std::string_view> segments;
  for (std::string_view seg : Split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  out.push_back('/');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    AppendPercentEncoded(out, segments[i], /*keep_slash=*/false);
  }
  if (!segments.empty() && path.back() == '/') out.push_back('/');
  return out;
}

std::string CanonicalQueryString(std::string_view query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view part : Split(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key, value;
    AppendPercentEncoded(key, PercentDecode(part.substr(0, eq)), false);
    if (eq != std::string_view::npos)
      AppendPercentEncoded(value, PercentDecode(part.substr(eq + 1)), false);
    params.emplace_back(std::move(key), std::move(value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string CanonicalHeaders(std::span<const Header> headers,
                             std::span<const std::string> signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out += name;
    out.push_back(':');
    bool first = true;
    for (const Header& h : headers) {
      if (!EqualsIgnoreCase(h.first, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      out += TrimCollapse(h.second);
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const RequestView& request,
                             std::span<const std::string> signed_headers,
                             std::string_view payload_hash, bool normalize_path,
                             bool encode_once) {
  auto [path, query] = SplitTarget(request.target);
  std::string out;
  out += request.method;
  out.push_back('\n');
  out += encode_once ? CanonicalUri(PercentDecode(path), normalize_path)
                     : CanonicalUri(path, normalize_path);
  out.push_back('\n');
  out += CanonicalQueryString(query);
  out.push_back('\n');
  out += CanonicalHeaders(request.headers, signed_headers);
  out.push_back('\n');
  out += JoinSigned(signed_headers);
  out.push_back('\n');
  out += payload_hash;
  return out;
}

std::string CredentialScope(std::string_view date8, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.append(date8).append("/").append(region).append("/").append(service).append("/");
  out.append(kTerminator);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out += Sha256Hex(canonical_request);
  return out;
}

std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date8,
                             std::string_view region, std::string_view service) {
  std::string k = "AWS4";
  k += secret_access_key;
  std::string k_date = HmacSha256(k, date8);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, kTerminator);
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

// ---------------------------------------------------------------------------

SigningResult Sign(const RequestView& request, const SigningParams& params) {
  SigningResult result;
  result.amz_date = FormatAmzDate(params.time);
  const std::string date8 = result.amz_date.substr(0, 8);
  const std::string body_hash = Sha256Hex(request.body);

  // The request as it will be sent: caller's headers minus the ones we own.
  std::vector<Header> headers;
  for (const Header& h : request.headers) {
    if (EqualsIgnoreCase(h.first, "authorization") || EqualsIgnoreCase(h.first, "x-amz-date")) continue;
    headers.push_back(h);
  }
  result.headers_to_add.emplace_back("X-Amz-Date", result.amz_date);
  if (!params.session_token.empty())
    result.headers_to_add.emplace_back("X-Amz-Security-Token", params.session_token);
  if (params.add_content_sha256)
    result.headers_to_add.emplace_back("X-Amz-Content-Sha256", body_hash);
  headers.insert(headers.end(), result.headers_to_add.begin(), result.headers_to_add.end());

  std::vector<std::string> names;
  for (const Header& h : headers) {
    std::string n = AsciiLower(h.first);
    if (n == "user-agent" || n == "expect" || n == "x-amzn-trace-id" || n.starts_with("amz-sdk-"))
      continue;
    if (n == "x-amz-security-token" && !params.sign_session_token) continue;
    names.push_back(std::move(n));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  RequestView view = request;
  view.headers = headers;
  result.canonical_request = CanonicalRequest(view, names, body_hash, params.normalize_path);
  const std::string scope = CredentialScope(date8, params.region, params.service);
  result.string_to_sign = StringToSign(result.amz_date, scope, result.canonical_request);
  result.signature =
      SignatureHex(DeriveSigningKey(params.secret_access_key, date8, params.region, params.service),
                   result.string_to_sign);
  result.authorization = std::string(kAlgorithm) + " Credential=" + params.access_key_id + "/" +
                         scope + ", SignedHeaders=" + JoinSigned(names) +
                         ", Signature=" + result.signature;
  result.headers_to_add.emplace_back("Authorization", result.authorization);
  return result;
}

// ---------------------------------------------------------------------------

VerifyResult Verify(const RequestView& request, const SecretLookup& lookup, TimePoint now,
                    const VerifyOptions& options) {
  const Header* auth_header = FindHeader(request.headers, "authorization");
  if (auth_header == nullptr && options.allow_presigned &&
      request.target.find("X-Amz-Algorithm=") != std::string_view::npos)
    return VerifyPresigned(request, lookup, now, options);
  if (auth_header == nullptr)
    return AuthError{"MissingAuthenticationTokenException", "Missing Authentication Token"};
  const std::string_view auth = Trim(auth_header->second);

  // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
  size_t sp = auth.find_first_of(" \t");
  std::string_view algorithm = auth.substr(0, sp);
  if (algorithm != kAlgorithm) return Incomplete("Unsupported Authorization Type");
  std::string_view rest = sp == std::string_view::npos ? std::string_view{} : auth.substr(sp);

  std::optional<std::string_view> credential, signed_headers_text, signature;
  for (std::string_view raw : Split(rest, ',')) {
    std::string_view part = Trim(raw);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Incomplete("'" + std::string(part) +
                        "' not a valid key=value pair (missing equal-sign) in Authorization "
                        "header: '" +
                        std::string(auth) + "'.");
    }
    std::string_view key = Trim(part.substr(0, eq));
    std::string_view value = Trim(part.substr(eq + 1));
    if (key == "Credential")
      credential = value;
    else if (key == "SignedHeaders")
      signed_headers_text = value;
    else if (key == "Signature")
      signature = value;
  }
  const Header* date_header = FindHeader(request.headers, "x-amz-date");
  {
    // AWS reports every missing part at once, then echoes the header.
    std::string missing;
    auto need = [&missing](bool ok, std::string_view text) {
      if (ok) return;
      if (!missing.empty()) missing.push_back(' ');
      missing += text;
    };
    need(credential.has_value(), "Authorization header requires 'Credential' parameter.");
    need(signature.has_value(), "Authorization header requires 'Signature' parameter.");
    need(signed_headers_text.has_value(),
         "Authorization header requires 'SignedHeaders' parameter.");
    need(date_header != nullptr,
         "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    if (!missing.empty()) return Incomplete(missing + " Authorization=" + std::string(auth));
  }

  const std::string amz_date(Trim(date_header->second));
  TimePoint signed_at;
  if (!ParseAmzDate(amz_date, &signed_at)) {
    return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + amz_date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }

  std::vector<std::string_view> scope = Split(*credential, '/');
  if (scope.size() != 5 || scope[0].empty()) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(*credential) + "'");
  }
  const std::string_view key_id = scope[0], date8 = scope[1], region = scope[2], service = scope[3],
                         terminator = scope[4];

  std::vector<std::string> signed_names;
  for (std::string_view n : Split(*signed_headers_text, ';')) {
    if (n.empty())
      return Incomplete("Invalid SignedHeaders: '" + std::string(*signed_headers_text) + "'");
    signed_names.push_back(AsciiLower(n));
  }
  if (std::find(signed_names.begin(), signed_names.end(), "host") == signed_names.end())
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

  if (terminator != kTerminator) {
    return InvalidSig("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                      std::string(terminator) + "'.");
  }
  if (service != options.expected_service) {
    return InvalidSig("Credential should be scoped to correct service: '" +
                      options.expected_service + "'. ");
  }
  if (region.empty()) return InvalidSig("Credential should be scoped to a valid region. ");
  if (date8 != std::string_view(amz_date).substr(0, 8)) {
    return InvalidSig(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        std::string(date8) + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.");
  }

  // X-Amz-Date has whole seconds; compare against "now" at second precision
  // so that the message's timestamps agree with the decision.
  const TimePoint now_s = TruncateToSeconds(now);
  const auto skew = std::chrono::duration_cast<std::chrono::milliseconds>(options.allowed_skew);
  if (signed_at < now_s - skew) {
    return InvalidSig("Signature expired: " + amz_date + " is now earlier than " +
                      FormatAmzDate(now_s - skew) + " (" + FormatAmzDate(now_s) + " - " +
                      SkewText(options.allowed_skew) + ")");
  }
  if (signed_at > now_s + skew) {
    return InvalidSig("Signature not yet current: " + amz_date + " is still later than " +
                      FormatAmzDate(now_s + skew) + " (" + FormatAmzDate(now_s) + " + " +
                      SkewText(options.allowed_skew) + ")");
  }

  std::optional<std::string> secret = lookup ? lookup(key_id) : std::nullopt;
  if (!secret) {
    return AuthError{"UnrecognizedClientException",
                     "The security token included in the request is invalid."};
  }

  std::string payload_hash;
  if (options.s3_payload) {
    PLB_SIGV4_TRY(S3PayloadHash(request.headers, &payload_hash));
  } else {
    payload_hash = Sha256Hex(request.body);
    if (const Header* h = FindHeader(request.headers, "x-amz-content-sha256")) {
      // A declared payload hash must be the body's: UNSIGNED-PAYLOAD would leave
      // the JSON body unauthenticated.
      if (AsciiLower(Trim(h->second)) != payload_hash) {
        return InvalidSig(
            "The provided 'x-amz-content-sha256' header does not match what was computed.");
      }
    }
  }

  const std::string canonical = CanonicalRequest(request, signed_names, payload_hash,
                                                 options.normalize_path, options.s3_payload);
  return Finish(request, canonical, *secret, key_id, date8, region, service, amz_date, *signature,
                payload_hash, false);
}

VerifyResult VerifyPresigned(const RequestView& request, const SecretLookup& lookup, TimePoint now,
                             const VerifyOptions& options) {
  auto [path, query] = SplitTarget(request.target);
  // The parameters as sent; the canonical query is every one but the signature.
  std::string algorithm, credential, amz_date, expires_text, signed_text, signature, query_sha;
  std::string unsigned_query;
  for (std::string_view part : Split(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = PercentDecode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(part.substr(eq + 1));
    if (key == "X-Amz-Signature") {
      signature = value;
      continue;
    }
    if (!unsigned_query.empty()) unsigned_query.push_back('&');
    unsigned_query += part;
    if (key == "X-Amz-Algorithm") algorithm = value;
    else if (key == "X-Amz-Credential") credential = value;
    else if (key == "X-Amz-Date") amz_date = value;
    else if (key == "X-Amz-Expires") expires_text = value;
    else if (key == "X-Amz-SignedHeaders") signed_text = value;
    else if (key == "X-Amz-Content-Sha256") query_sha = value;
  }
  auto query_error = [](std::string m) {
    return AuthError{"AuthorizationQueryParametersError", std::move(m)};
  };
  if (algorithm.empty() || credential.empty() || amz_date.empty() || expires_text.empty() ||
      signed_text.empty() || signature.empty()) {
    return query_error(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  if (algorithm != kAlgorithm)
    return query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  TimePoint signed_at;
  if (!ParseAmzDate(amz_date, &signed_at))
    return query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  long long expires = -1;
  if (expires_text.size() <= 7 &&
      std::all_of(expires_text.begin(), expires_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    expires = std::stoll(expires_text);
  if (expires < 0) return query_error("X-Amz-Expires should be a number");
  if (expires > 604800)
    return query_error("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  if (expires < 1) return query_error("X-Amz-Expires must be non-negative");
  std::vector<std::string_view> scope = Split(credential, '/');
  if (scope.size() != 5 || scope[0].empty())
    return query_error("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                       "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  const std::string_view key_id = scope[0], date8 = scope[1], region = scope[2], service = scope[3];
  if (scope[4] != kTerminator || service != options.expected_service || region.empty())
    return query_error("Error parsing the X-Amz-Credential parameter; incorrect service, region or "
                       "terminator in \"" + credential + "\".");
  if (date8 != std::string_view(amz_date).substr(0, 8))
    return query_error("Error parsing the X-Amz-Credential parameter; incorrect date. This should "
                       "be \"" + amz_date.substr(0, 8) + "\"");
  std::vector<std::string> signed_names;
  for (std::string_view n : Split(signed_text, ';')) {
    if (n.empty()) return query_error("Invalid X-Amz-SignedHeaders: '" + signed_text + "'");
    signed_names.push_back(AsciiLower(n));
  }
  if (std::find(signed_names.begin(), signed_names.end(), "host") == signed_names.end())
    return query_error("Query-string authentication requires the Host header to be signed.");

  const TimePoint now_s = TruncateToSeconds(now);
  if (now_s > signed_at + std::chrono::seconds(expires))
    return AuthError{"AccessDenied", "Request has expired"};
  if (signed_at > now_s + std::chrono::duration_cast<std::chrono::milliseconds>(options.allowed_skew))
    return AuthError{"AccessDenied", "Request is not valid yet"};

  std::optional<std::string> secret = lookup ? lookup(key_id) : std::nullopt;
  if (!secret) {
    return AuthError{"UnrecognizedClientException",
                     "The security token included in the request is invalid."};
  }
  std::string payload_hash = "UNSIGNED-PAYLOAD";
  if (!query_sha.empty()) payload_hash = query_sha;
  else if (const Header* h = FindHeader(request.headers, "x-amz-content-sha256"))
    payload_hash = std::string(Trim(h->second));

  std::string target(path);
  if (!unsigned_query.empty()) target += "?" + unsigned_query;
  RequestView view = request;
  view.target = target;
  const std::string canonical = CanonicalRequest(view, signed_names, payload_hash,
                                                 options.normalize_path, options.s3_payload);
  return Finish(request, canonical, *secret, key_id, date8, region, service, amz_date, signature,
                payload_hash, true);
}

std::string Presign(const RequestView& request, const SigningParams& params,
                    std::chrono::seconds expires) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string date8 = amz_date.substr(0, 8);
  const std::string scope = CredentialScope(date8, params.region, params.service);
  auto [path, query] = SplitTarget(request.target);
  std::string q(query);
  auto add = [&q](std::string_view k, std::string_view v) {
    if (!q.empty()) q.push_back('&');
    AppendPercentEncoded(q, k, false);
    q.push_back('=');
    AppendPercentEncoded(q, v, false);
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", params.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires.count()));
  if (!params.session_token.empty()) add("X-Amz-Security-Token", params.session_token);
  add("X-Amz-SignedHeaders", "host");
  std::string target = std::string(path) + "?" + q;
  RequestView view = request;
  view.target = target;
  const std::vector<std::string> names{"host"};
  const std::string canonical =
      CanonicalRequest(view, names, "UNSIGNED-PAYLOAD", params.normalize_path);
  const std::string sig = SignatureHex(
      DeriveSigningKey(params.secret_access_key, date8, params.region, params.service),
      StringToSign(amz_date, scope, canonical));
  return target + "&X-Amz-Signature=" + sig;
}

std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex) {
  static const std::string kEmptyHash = Sha256Hex("");
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts.append(amz_date).append("\n").append(scope).append("\n").append(previous_signature);
  sts.append("\n").append(kEmptyHash).append("\n").append(chunk_sha256_hex);
  return SignatureHex(signing_key, sts);
}

std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view previous_signature,
                             std::string_view trailer_text) {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n";
  sts.append(amz_date).append("\n").append(scope).append("\n").append(previous_signature);
  sts.append("\n").append(Sha256Hex(trailer_text));
  return SignatureHex(signing_key, sts);
}

void throw_exception_from_error(const AuthError& e, const boost::source_location&) {
  throw std::runtime_error(e.code + ": " + e.message);
}

}  // namespace plumbline::crypto
