// AWS Signature Version 4 (header-signed requests): signing for clients and
// verification for the SageMaker API server.
//
// The request is described by a plain RequestView (no Beast types): the
// method, the raw request target as it came over the wire ("/path?query"), the
// headers in arrival order (duplicates allowed, names in any case) and the
// body. Nothing here owns the request; a RequestView must not outlive the
// strings it points into.
//
// Canonicalisation follows AWS's published rules and test vectors
// (data/sigv4/v4, see tests/crypto/sigv4_vectors_test.cpp):
//  * URI: optional dot-segment/duplicate-slash normalisation, then every byte
//    outside A-Z a-z 0-9 - . _ ~ / is percent-encoded once more. Because the
//    target is taken as sent (already percent-encoded by the client), this is
//    AWS's "double encoding" rule for every service except S3.
//  * Query: each key and value percent-decoded then re-encoded, sorted by key
//    then value; a parameter without '=' gets an empty value.
//  * Headers: names lower-cased; each value trimmed with internal whitespace
//    runs (including folded lines) collapsed to one space; repeated headers
//    joined with ',' in arrival order.
//  * Payload: hex SHA-256 of the body, or the X-Amz-Content-Sha256 value when
//    that header is present (Verify insists that it equals the body's hash).
//
// Thread safety: all functions are pure (apart from the SecretLookup callback,
// whose thread safety is the caller's business) and may run concurrently.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"

namespace plumbline::crypto {

using Header = std::pair<std::string, std::string>;

struct RequestView {
  std::string_view method;          // "POST"
  std::string_view target;          // raw request target: "/" or "/a%20b?x=1"
  std::span<const Header> headers;  // as received, arrival order, any case
  std::string_view body;
};

// ---------------------------------------------------------------------------
// Building blocks (exposed for tests, clients and presigning later).

// Canonical URI of `path` (the target without its query). With `normalize`
// "." and ".." segments and empty segments are removed, a trailing '/' kept.
std::string CanonicalUri(std::string_view path, bool normalize);

// Canonical query string of `query` (the part after '?', without the '?').
std::string CanonicalQueryString(std::string_view query);

// Canonical header block: "name:value\n" per name of `signed_headers` (which
// must be lower case), in that order. A signed header that the request lacks
// contributes "name:\n" (the signature then fails to match).
std::string CanonicalHeaders(std::span<const Header> headers,
                             std::span<const std::string> signed_headers);

// The full canonical request; `signed_headers` lower case in signing order
// (sorted for every conforming client), `payload_hash` lower-case hex.
// With `encode_once` (S3) the path is percent-decoded and encoded once
// instead of being encoded again as sent.
std::string CanonicalRequest(const RequestView& request,
                             std::span<const std::string> signed_headers,
                             std::string_view payload_hash, bool normalize_path,
                             bool encode_once = false);

// "<date8>/<region>/<service>/aws4_request".
std::string CredentialScope(std::string_view date8, std::string_view region,
                            std::string_view service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date8), region), service),
// "aws4_request"); 32 raw bytes.
std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date8,
                             std::string_view region, std::string_view service);

// Lower-case hex HMAC-SHA256(signing_key, string_to_sign).
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// ---------------------------------------------------------------------------
// Client side.

struct SigningParams {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;        // empty: none; else sent as X-Amz-Security-Token
  std::string region;               // "us-west-2"
  std::string service;              // "sagemaker"
  TimePoint time;                   // becomes X-Amz-Date (seconds precision)
  bool normalize_path = true;       // false only for S3
  bool sign_session_token = true;   // false: token header added but not signed
  bool add_content_sha256 = false;  // add and sign X-Amz-Content-Sha256
};

struct SigningResult {
  // Headers to add to the request, in this order: X-Amz-Date,
  // [X-Amz-Security-Token], [X-Amz-Content-Sha256], Authorization.
  std::vector<Header> headers_to_add;
  std::string authorization;  // the Authorization header value
  std::string amz_date;       // "20150830T123600Z"
  // Intermediate values, for debugging and tests.
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};

// Signs `request` with every header it carries except Authorization, X-Amz-Date
// (both replaced), User-Agent, Expect, X-Amzn-Trace-Id and amz-sdk-* (which
// proxies and retries rewrite). Never fails.
SigningResult Sign(const RequestView& request, const SigningParams& params);

// ---------------------------------------------------------------------------
// Server side.

// AWS's error code and message; the API layer turns it into an awsJson error
// body. Codes: MissingAuthenticationTokenException, IncompleteSignatureException,
// UnrecognizedClientException, InvalidSignatureException.
struct AuthError {
  std::string code;
  std::string message;
};

// Who signed a request that verified, and what a body streamed after the
// head must still be checked against.
struct VerifiedCaller {
  std::string access_key_id;
  std::string region;         // from the credential scope
  std::string session_token;  // X-Amz-Security-Token if sent (not validated here)
  bool presigned = false;     // authenticated by the query (a presigned URL)
  // With VerifyOptions::s3_payload: the declared X-Amz-Content-Sha256 (a hex
  // SHA-256 the caller must check the body against, UNSIGNED-PAYLOAD, or a
  // STREAMING-* mode whose chunks continue the signature chain below).
  std::string payload_hash;
  // The chain's start, for aws-chunked bodies (ChunkSignature): the derived
  // signing key (valid for this date, region and service only), the scope,
  // X-Amz-Date and the request's own signature.
  std::string signing_key;
  std::string scope;
  std::string amz_date;
  std::string signature;
};

// Secret for an access key id, or nullopt when the key is unknown/disabled.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct VerifyOptions {
  std::string expected_service = "sagemaker";
  std::chrono::seconds allowed_skew = std::chrono::minutes(5);
  bool normalize_path = true;  // false only for S3-style services
  // S3's payload rules: header-signed requests must carry X-Amz-Content-Sha256
  // (else InvalidRequest), and its value is the payload hash signed; the body
  // is not read here, because S3 bodies stream after the head (the caller
  // checks a hex hash against the body, or decodes aws-chunked, see
  // VerifiedCaller::payload_hash). The canonical URI is S3's too: the path
  // encoded once (a key "c d" is signed as /bucket/c%20d).
  bool s3_payload = false;
  // Accept query authentication (presigned URLs: X-Amz-Algorithm,
  // X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
  // X-Amz-Signature) when the request has no Authorization header.
  bool allow_presigned = false;
};

using VerifyResult = boost::system::result<VerifiedCaller, AuthError>;

// Verifies the Authorization header of `request` at server time `now`.
// On success returns the caller. Errors (AWS code: message), checked in order:
//  * no Authorization header -> MissingAuthenticationTokenException
//  * algorithm not AWS4-HMAC-SHA256, a malformed key=value list, a missing
//    Credential/SignedHeaders/Signature part, no X-Amz-Date, a malformed
//    X-Amz-Date, a Credential without 5 parts, Host not signed
//    -> IncompleteSignatureException
//  * scope terminator not aws4_request, scope service != expected_service,
//    credential date != the date part of X-Amz-Date, X-Amz-Date outside
//    now +/- allowed_skew ("Signature expired: ..." / "Signature not yet
//    current: ...") -> InvalidSignatureException
//  * lookup returns nullopt -> UnrecognizedClientException
//  * X-Amz-Content-Sha256 present but not the body's hash, or the signature
//    differs (compared in constant time) -> InvalidSignatureException
// `lookup` is called at most once, after the cheap checks.
VerifyResult Verify(const RequestView& request, const SecretLookup& lookup, TimePoint now,
                    const VerifyOptions& options = {});

// The query-authentication variant: how presigned URLs verify (see
// allow_presigned). Errors, in order: a missing parameter or a malformed one
// -> AuthorizationQueryParametersError; X-Amz-Expires over 604800 or below 1
// -> AuthorizationQueryParametersError; the URL used after X-Amz-Date +
// X-Amz-Expires -> AccessDenied "Request has expired"; X-Amz-Date later than
// now + allowed_skew -> AccessDenied "Request is not valid yet"; then the
// scope, key and signature checks of Verify. The payload hash is
// UNSIGNED-PAYLOAD unless X-Amz-Content-Sha256 (query or header) says
// otherwise.
VerifyResult VerifyPresigned(const RequestView& request, const SecretLookup& lookup, TimePoint now,
                             const VerifyOptions& options);

// Presigns a request for the client side (tests and tools): returns the
// target with the authentication parameters added. Signs only Host, with
// UNSIGNED-PAYLOAD, at params.time, valid for `expires`.
std::string Presign(const RequestView& request, const SigningParams& params,
                    std::chrono::seconds expires);

// aws-chunked signatures (X-Amz-Content-Sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// and ...-PAYLOAD-TRAILER): each chunk's signature is
// HMAC(signing_key, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" previous
// "\n" hex(sha256("")) "\n" chunk_sha256_hex), the first previous being the
// request's signature; the trailer's is HMAC(signing_key,
// "AWS4-HMAC-SHA256-TRAILER\n" date "\n" scope "\n" previous "\n"
// hex(sha256(trailer lines))). Lower-case hex.
std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex);
std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view previous_signature,
                             std::string_view trailer_text);

// Lets VerifyResult::value() throw in tests (std::runtime_error "code: message").
[[noreturn]] void throw_exception_from_error(const AuthError& e, const boost::source_location& loc);

}  // namespace plumbline::crypto
