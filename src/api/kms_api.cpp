#include "api/kms_api.hpp"

#include <boost/json.hpp>

#include "api/aws_auth.hpp"
#include "api/aws_json.hpp"
#include "common/json.hpp"
#include "crypto/sigv4.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"

namespace plumbline::api {
namespace {

using boost::json::object;

http::Response KmsError(int status, const std::string& code, const std::string& message) {
  return AwsErrorResponse({status, code, message});
}

// The one mapping of Error to KMS's error codes.
http::Response FromError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return KmsError(400, "InvalidCiphertextException", e.message);
    case ErrorCode::kNotFound: return KmsError(400, "NotFoundException", e.message);
    case ErrorCode::kConflict: return KmsError(400, "DisabledException", e.message);
    case ErrorCode::kPermissionDenied: return KmsError(400, "AccessDeniedException", e.message);
    case ErrorCode::kUnauthenticated: return KmsError(403, "UnrecognizedClientException", e.message);
    case ErrorCode::kAlreadyExists: return KmsError(400, "AlreadyExistsException", e.message);
    case ErrorCode::kUnavailable: return KmsError(503, "KMSInternalException", e.message);
    case ErrorCode::kInternal: break;
  }
  return KmsError(500, "KMSInternalException", e.message);
}

object KeyMetadata(const kms::KeyInfo& k, const std::string& account) {
  object m;
  m["AWSAccountId"] = account;
  m["KeyId"] = k.key_id;
  m["Arn"] = k.arn;
  m["CreationDate"] = static_cast<double>(k.created_ms) / 1000.0;
  m["Enabled"] = k.enabled;
  m["Description"] = k.description;
  m["KeyUsage"] = "ENCRYPT_DECRYPT";
  m["KeyState"] = k.enabled ? "Enabled" : "Disabled";
  m["Origin"] = "AWS_KMS";
  m["KeyManager"] = "CUSTOMER";
  m["KeySpec"] = "SYMMETRIC_DEFAULT";
  m["CustomerMasterKeySpec"] = "SYMMETRIC_DEFAULT";
  m["EncryptionAlgorithms"] = boost::json::array{"SYMMETRIC_DEFAULT"};
  return m;
}

// arn:aws:kms:<region>:<account>:key/<id> -> <account>
std::string AccountOf(const std::string& arn) {
  size_t a = 0;
  for (int i = 0; i < 4 && a != std::string::npos; ++i) a = arn.find(':', a + 1);
  if (a == std::string::npos) return "";
  size_t b = arn.find(':', a + 1);
  return b == std::string::npos ? "" : arn.substr(a + 1, b - a - 1);
}

}  // namespace

KmsApi::KmsApi(kms::KeyService& keys, identity::Identity& identity, KmsApiOptions options)
    : keys_(keys), identity_(identity), options_(options) {}

http::Response KmsApi::Handle(const http::Request& request) const {
  const std::string* target = request.FindHeader("X-Amz-Target");
  std::string op;
  if (target && target->rfind("TrentService.", 0) == 0) op = target->substr(13);
  if (op != "Decrypt" && op != "DescribeKey")
    return KmsError(400, "UnknownOperationException",
                    "Unknown operation " + (target ? *target : std::string("(none)")));

  // Who: SigV4 (service "kms") with a Plumbline access key.
  auto who = AuthenticateSigV4(request, identity_, options_.allowed_skew, "kms");
  if (!who) return AwsErrorResponse(FromAuthError(who.error()));

  auto parsed = json::Parse(request.body.empty() ? std::string_view("{}") : std::string_view(request.body));
  if (!parsed || !parsed->is_object())
    return KmsError(400, "SerializationException", "The request body is not a JSON object");
  const object& body = parsed->get_object();

  if (op == "DescribeKey") {
    auto ref = json::GetString(body, "KeyId");
    if (!ref || ref->empty()) return KmsError(400, "ValidationException", "KeyId is required");
    auto info = keys_.DescribeKey(*who, *ref);
    if (!info) return FromError(info.error());
    object out;
    out["KeyMetadata"] = KeyMetadata(*info, AccountOf(info->arn));
    return AwsJsonResponse(200, out);
  }

  // Decrypt.
  auto blob64 = json::GetString(body, "CiphertextBlob");
  if (!blob64 || blob64->empty())
    return KmsError(400, "ValidationException", "1 validation error detected: Value null at "
                                                "'ciphertextBlob' failed to satisfy constraint: "
                                                "Member must not be null");
  auto blob = crypto::Base64Decode(*blob64);
  if (!blob) return KmsError(400, "InvalidCiphertextException", "CiphertextBlob is not base64");
  std::string key_ref = json::GetString(body, "KeyId").value_or("");
  auto unwrapped = keys_.Decrypt(*who, key_ref, *blob, request.remote_address);
  if (!unwrapped) return FromError(unwrapped.error());
  object out;
  out["KeyId"] = unwrapped->key_arn;
  out["Plaintext"] = crypto::Base64Encode(unwrapped->plaintext);
  out["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT";
  return AwsJsonResponse(200, out);
}

}  // namespace plumbline::api
