#include "api/kms_api.hpp"

#include <boost/json.hpp>
#include <functional>
#include <map>

#include "api/aws_auth.hpp"
#include "api/aws_json.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "crypto/sigv4.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"

namespace plumbline::api {
namespace {

using boost::json::array;
using boost::json::object;

http::Response KmsError(int status, const std::string& code, const std::string& message) {
  return AwsErrorResponse({status, code, message});
}

// The one mapping of Error to KMS's error codes: kms/ names the exception in
// front of the message where the ErrorCode alone does not tell.
http::Response FromError(const Error& e) {
  // Not a structured binding: lambdas capture those only from C++20
  // compilers newer than clang 15 (the fuzzers' compiler).
  const auto split = kms::SplitException(e.message);
  const std::string& named = split.first;
  const std::string& message = split.second;
  auto answer = [&](int status, const char* fallback) {
    return KmsError(status, named.empty() ? std::string(fallback) : named, message);
  };
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return answer(400, "ValidationException");
    case ErrorCode::kNotFound: return answer(400, "NotFoundException");
    case ErrorCode::kConflict: return answer(400, "KMSInvalidStateException");
    case ErrorCode::kPermissionDenied: return answer(400, "AccessDeniedException");
    case ErrorCode::kUnauthenticated: return answer(403, "UnrecognizedClientException");
    case ErrorCode::kAlreadyExists: return answer(400, "AlreadyExistsException");
    case ErrorCode::kUnavailable: return answer(503, "KMSInternalException");
    case ErrorCode::kInternal: break;
  }
  return KmsError(500, "KMSInternalException", message);
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

object KeyMetadata(const kms::KeyInfo& k, const std::string& account) {
  object m;
  m["AWSAccountId"] = account;
  m["KeyId"] = k.key_id;
  m["Arn"] = k.arn;
  m["CreationDate"] = Seconds(k.created_ms);
  m["Enabled"] = k.state == "Enabled";
  m["Description"] = k.description;
  m["KeyUsage"] = "ENCRYPT_DECRYPT";
  m["KeyState"] = k.state;
  if (k.deletion_ms) m["DeletionDate"] = Seconds(k.deletion_ms);
  m["Origin"] = "AWS_KMS";
  m["KeyManager"] = k.key_manager;
  m["KeySpec"] = "SYMMETRIC_DEFAULT";
  m["CustomerMasterKeySpec"] = "SYMMETRIC_DEFAULT";
  m["EncryptionAlgorithms"] = array{"SYMMETRIC_DEFAULT"};
  m["MultiRegion"] = false;
  return m;
}

// What one call has: the operation's body, the caller and where from.
struct Call {
  const object& body;
  const identity::Principal& who;
  const std::string& source;
  kms::KeyService& keys;
  const std::string& account;
};

Result<std::string> RequiredString(const object& body, const char* field) {
  auto v = json::GetString(body, field);
  if (!v || v->empty())
    return InvalidArgument(std::string("ValidationException: 1 validation error detected: Value null at '") +
                           field + "' failed to satisfy constraint: Member must not be null");
  return *v;
}

Result<kms::EncryptionContext> ContextOf(const object& body, const char* field) {
  kms::EncryptionContext out;
  const auto* v = body.if_contains(field);
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return InvalidArgument(std::string("ValidationException: ") + field + " must be a map of strings");
  for (const auto& [k, val] : v->get_object()) {
    if (!val.is_string()) return InvalidArgument(std::string("ValidationException: ") + field + " values must be strings");
    out.emplace_back(std::string(k), std::string(val.get_string()));
  }
  return out;
}

Result<std::string> BlobOf(const object& body, const char* field) {
  PLB_ASSIGN_OR_RETURN(std::string b64, RequiredString(body, field));
  auto blob = crypto::Base64Decode(b64);
  if (!blob) return InvalidArgument("InvalidCiphertextException: " + std::string(field) + " is not base64");
  return *blob;
}

// Limit (1-1000, default 100) and Marker (an offset this endpoint handed out).
Result<std::pair<size_t, size_t>> Page(const object& body) {
  size_t limit = 100, offset = 0;
  if (const auto* l = body.if_contains("Limit")) {
    if (!l->is_int64() || l->as_int64() < 1 || l->as_int64() > 1000)
      return InvalidArgument("ValidationException: Limit must be between 1 and 1000");
    limit = static_cast<size_t>(l->as_int64());
  }
  if (auto m = json::GetString(body, "Marker")) {
    if (m->empty() || m->size() > 9 || m->find_first_not_of("0123456789") != std::string::npos)
      return InvalidArgument("InvalidMarkerException: the marker is not one this endpoint issued");
    offset = std::stoul(*m);
  }
  return std::make_pair(limit, offset);
}

template <class T, class F>
object Paged(const std::vector<T>& all, std::pair<size_t, size_t> page, const char* field, F&& shape) {
  array items;
  size_t end = std::min(all.size(), page.second + page.first);
  for (size_t i = page.second; i < end; ++i) items.push_back(shape(all[i]));
  object out;
  out[field] = std::move(items);
  out["Truncated"] = end < all.size();
  if (end < all.size()) out["NextMarker"] = std::to_string(end);
  return out;
}

Result<std::vector<kms::Tag>> TagsOf(const object& body) {
  std::vector<kms::Tag> tags;
  const auto* v = body.if_contains("Tags");
  if (!v || v->is_null()) return tags;
  if (!v->is_array()) return InvalidArgument("ValidationException: Tags must be a list");
  for (const auto& t : v->get_array()) {
    if (!t.is_object()) return InvalidArgument("ValidationException: a tag must be an object");
    auto k = json::GetString(t.get_object(), "TagKey");
    auto val = json::GetString(t.get_object(), "TagValue");
    if (!k || !val) return InvalidArgument("ValidationException: a tag needs TagKey and TagValue");
    tags.push_back({*k, *val});
  }
  return tags;
}

using Op = std::function<Result<object>(const Call&)>;

// GenerateDataKey's size: KeySpec AES_256 | AES_128, or NumberOfBytes 1-1024.
Result<size_t> DataKeySize(const object& body) {
  auto spec = json::GetString(body, "KeySpec");
  const auto* n = body.if_contains("NumberOfBytes");
  if (spec && n) return InvalidArgument("ValidationException: give KeySpec or NumberOfBytes, not both");
  if (spec) {
    if (*spec == "AES_256") return 32;
    if (*spec == "AES_128") return 16;
    return InvalidArgument("ValidationException: KeySpec must be AES_256 or AES_128");
  }
  if (n) {
    if (!n->is_int64() || n->as_int64() < 1 || n->as_int64() > 1024)
      return InvalidArgument("ValidationException: NumberOfBytes must be between 1 and 1024");
    return static_cast<size_t>(n->as_int64());
  }
  return InvalidArgument("ValidationException: Please specify either number of bytes or key spec.");
}

Result<object> GenerateDataKey(const Call& c, bool with_plaintext) {
  PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
  PLB_ASSIGN_OR_RETURN(size_t size, DataKeySize(c.body));
  PLB_ASSIGN_OR_RETURN(auto context, ContextOf(c.body, "EncryptionContext"));
  std::string plain = RandomBytes(size);
  PLB_ASSIGN_OR_RETURN(auto sealed, c.keys.ring().Encrypt(
      kms::KeyService::CallerOf(c.who), ref, plain, context,
      with_plaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext"));
  object out;
  out["CiphertextBlob"] = crypto::Base64Encode(sealed.blob);
  if (with_plaintext) out["Plaintext"] = crypto::Base64Encode(plain);
  out["KeyId"] = sealed.key_arn;
  return out;
}

const std::map<std::string, Op>& Operations() {
  static const std::map<std::string, Op> ops = {
      {"CreateKey",
       [](const Call& c) -> Result<object> {
         PLB_TRY(c.keys.AuthorizeAccountAction(c.who, "kms:CreateKey"));
         if (auto u = json::GetString(c.body, "KeyUsage"); u && *u != "ENCRYPT_DECRYPT")
           return InvalidArgument("UnsupportedOperationException: only ENCRYPT_DECRYPT keys");
         for (const char* f : {"KeySpec", "CustomerMasterKeySpec"})
           if (auto s = json::GetString(c.body, f); s && *s != "SYMMETRIC_DEFAULT")
             return InvalidArgument("UnsupportedOperationException: only SYMMETRIC_DEFAULT keys");
         kms::CreateKeyRequest r;
         r.description = json::GetString(c.body, "Description").value_or("");
         r.policy = json::GetString(c.body, "Policy").value_or("");
         PLB_ASSIGN_OR_RETURN(r.tags, TagsOf(c.body));
         PLB_ASSIGN_OR_RETURN(auto info, c.keys.ring().CreateKey(r));
         return object{{"KeyMetadata", KeyMetadata(info, c.account)}};
       }},
      {"DescribeKey",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_ASSIGN_OR_RETURN(auto info, c.keys.DescribeKey(c.who, ref));
         return object{{"KeyMetadata", KeyMetadata(info, c.account)}};
       }},
      {"ListKeys",
       [](const Call& c) -> Result<object> {
         PLB_TRY(c.keys.AuthorizeAccountAction(c.who, "kms:ListKeys"));
         PLB_ASSIGN_OR_RETURN(auto page, Page(c.body));
         PLB_ASSIGN_OR_RETURN(auto keys, c.keys.ring().ListKeys());
         return Paged(keys, page, "Keys", [](const kms::KeyInfo& k) {
           return object{{"KeyId", k.key_id}, {"KeyArn", k.arn}};
         });
       }},
      {"EnableKey",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_TRY(c.keys.ring().SetEnabled(kms::KeyService::CallerOf(c.who), ref, true));
         return object{};
       }},
      {"DisableKey",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_TRY(c.keys.ring().SetEnabled(kms::KeyService::CallerOf(c.who), ref, false));
         return object{};
       }},
      {"ScheduleKeyDeletion",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         int64_t days = 30;
         if (const auto* d = c.body.if_contains("PendingWindowInDays")) {
           if (!d->is_int64()) return InvalidArgument("ValidationException: PendingWindowInDays must be a number");
           days = d->as_int64();
         }
         PLB_ASSIGN_OR_RETURN(auto info, c.keys.ring().ScheduleDeletion(
                                             kms::KeyService::CallerOf(c.who), ref,
                                             static_cast<int>(std::clamp<int64_t>(days, -1, 1000))));
         return object{{"KeyId", info.arn},
                       {"DeletionDate", Seconds(info.deletion_ms)},
                       {"KeyState", info.state},
                       {"PendingWindowInDays", days}};
       }},
      {"CancelKeyDeletion",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_ASSIGN_OR_RETURN(auto info, c.keys.ring().CancelDeletion(kms::KeyService::CallerOf(c.who), ref));
         return object{{"KeyId", info.arn}};
       }},
      {"CreateAlias",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string alias, RequiredString(c.body, "AliasName"));
         PLB_ASSIGN_OR_RETURN(std::string target, RequiredString(c.body, "TargetKeyId"));
         PLB_TRY(c.keys.ring().CreateAlias(kms::KeyService::CallerOf(c.who), alias, target));
         return object{};
       }},
      {"UpdateAlias",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string alias, RequiredString(c.body, "AliasName"));
         PLB_ASSIGN_OR_RETURN(std::string target, RequiredString(c.body, "TargetKeyId"));
         PLB_TRY(c.keys.ring().UpdateAlias(kms::KeyService::CallerOf(c.who), alias, target));
         return object{};
       }},
      {"DeleteAlias",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string alias, RequiredString(c.body, "AliasName"));
         PLB_TRY(c.keys.ring().DeleteAlias(kms::KeyService::CallerOf(c.who), alias));
         return object{};
       }},
      {"ListAliases",
       [](const Call& c) -> Result<object> {
         PLB_TRY(c.keys.AuthorizeAccountAction(c.who, "kms:ListAliases"));
         PLB_ASSIGN_OR_RETURN(auto page, Page(c.body));
         PLB_ASSIGN_OR_RETURN(auto aliases,
                              c.keys.ring().ListAliases(json::GetString(c.body, "KeyId").value_or("")));
         return Paged(aliases, page, "Aliases", [&](const store::KmsAlias& a) {
           return object{{"AliasName", a.alias},
                         {"AliasArn", c.keys.ring().ArnFor(a.alias)},
                         {"TargetKeyId", a.key_id},
                         {"CreationDate", Seconds(a.created_ms)},
                         {"LastUpdatedDate", Seconds(a.modified_ms)}};
         });
       }},
      {"Encrypt",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_ASSIGN_OR_RETURN(std::string b64, RequiredString(c.body, "Plaintext"));
         auto plain = crypto::Base64Decode(b64);
         if (!plain) return InvalidArgument("ValidationException: Plaintext is not base64");
         PLB_ASSIGN_OR_RETURN(auto context, ContextOf(c.body, "EncryptionContext"));
         PLB_ASSIGN_OR_RETURN(auto sealed, c.keys.ring().Encrypt(kms::KeyService::CallerOf(c.who),
                                                                 ref, *plain, context));
         return object{{"CiphertextBlob", crypto::Base64Encode(sealed.blob)},
                       {"KeyId", sealed.key_arn},
                       {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
       }},
      {"Decrypt",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string blob, BlobOf(c.body, "CiphertextBlob"));
         PLB_ASSIGN_OR_RETURN(auto context, ContextOf(c.body, "EncryptionContext"));
         if (auto a = json::GetString(c.body, "EncryptionAlgorithm"); a && *a != "SYMMETRIC_DEFAULT")
           return InvalidArgument("InvalidCiphertextException: the key is a SYMMETRIC_DEFAULT key");
         PLB_ASSIGN_OR_RETURN(auto plain, c.keys.ring().Decrypt(kms::KeyService::CallerOf(c.who),
                                                                json::GetString(c.body, "KeyId").value_or(""),
                                                                blob, context));
         return object{{"KeyId", plain.key_arn},
                       {"Plaintext", crypto::Base64Encode(plain.plaintext)},
                       {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
       }},
      {"GenerateDataKey", [](const Call& c) { return GenerateDataKey(c, true); }},
      {"GenerateDataKeyWithoutPlaintext", [](const Call& c) { return GenerateDataKey(c, false); }},
      {"ReEncrypt",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string blob, BlobOf(c.body, "CiphertextBlob"));
         PLB_ASSIGN_OR_RETURN(std::string dest, RequiredString(c.body, "DestinationKeyId"));
         PLB_ASSIGN_OR_RETURN(auto from_context, ContextOf(c.body, "SourceEncryptionContext"));
         PLB_ASSIGN_OR_RETURN(auto to_context, ContextOf(c.body, "DestinationEncryptionContext"));
         auto caller = kms::KeyService::CallerOf(c.who);
         PLB_ASSIGN_OR_RETURN(auto plain, c.keys.ring().Decrypt(
                                              caller, json::GetString(c.body, "SourceKeyId").value_or(""),
                                              blob, from_context, "kms:ReEncryptFrom"));
         PLB_ASSIGN_OR_RETURN(auto sealed, c.keys.ring().Encrypt(caller, dest, plain.plaintext,
                                                                 to_context, "kms:ReEncryptTo"));
         return object{{"CiphertextBlob", crypto::Base64Encode(sealed.blob)},
                       {"SourceKeyId", plain.key_arn},
                       {"KeyId", sealed.key_arn},
                       {"SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT"},
                       {"DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
       }},
      {"GetKeyPolicy",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         if (auto n = json::GetString(c.body, "PolicyName"); n && *n != "default")
           return NotFound("NotFoundException: No such policy exists");
         PLB_ASSIGN_OR_RETURN(auto policy, c.keys.ring().GetKeyPolicy(kms::KeyService::CallerOf(c.who), ref));
         return object{{"Policy", policy}, {"PolicyName", "default"}};
       }},
      {"PutKeyPolicy",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_ASSIGN_OR_RETURN(std::string policy, RequiredString(c.body, "Policy"));
         if (auto n = json::GetString(c.body, "PolicyName"); n && *n != "default")
           return InvalidArgument("ValidationException: PolicyName must be default");
         PLB_TRY(c.keys.ring().PutKeyPolicy(kms::KeyService::CallerOf(c.who), ref, policy));
         return object{};
       }},
      {"TagResource",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_ASSIGN_OR_RETURN(auto tags, TagsOf(c.body));
         PLB_TRY(c.keys.ring().TagResource(kms::KeyService::CallerOf(c.who), ref, tags));
         return object{};
       }},
      {"UntagResource",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         std::vector<std::string> keys;
         if (const auto* v = c.body.if_contains("TagKeys"); v && v->is_array())
           for (const auto& k : v->get_array())
             if (k.is_string()) keys.emplace_back(k.get_string());
         PLB_TRY(c.keys.ring().UntagResource(kms::KeyService::CallerOf(c.who), ref, keys));
         return object{};
       }},
      {"ListResourceTags",
       [](const Call& c) -> Result<object> {
         PLB_ASSIGN_OR_RETURN(std::string ref, RequiredString(c.body, "KeyId"));
         PLB_ASSIGN_OR_RETURN(auto tags, c.keys.ring().ListResourceTags(kms::KeyService::CallerOf(c.who), ref));
         PLB_ASSIGN_OR_RETURN(auto page, Page(c.body));
         return Paged(tags, page, "Tags", [](const kms::Tag& t) {
           return object{{"TagKey", t.key}, {"TagValue", t.value}};
         });
       }},
  };
  return ops;
}

}  // namespace

KmsApi::KmsApi(kms::KeyService& keys, identity::Identity& identity, KmsApiOptions options)
    : keys_(keys), identity_(identity), options_(options) {}

Result<boost::json::object> KmsApi::ParseBody(std::string_view body) {
  auto parsed = json::Parse(body.empty() ? std::string_view("{}") : body);
  if (!parsed || !parsed->is_object())
    return InvalidArgument("SerializationException: The request body is not a JSON object");
  return std::move(parsed->get_object());
}

Status KmsApi::ParseFields(const boost::json::object& body) {
  for (const char* f : {"EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext"})
    PLB_TRY(ContextOf(body, f));
  for (const char* f : {"CiphertextBlob", "Plaintext"})
    if (body.contains(f)) PLB_TRY(BlobOf(body, f));
  PLB_TRY(Page(body));
  PLB_TRY(TagsOf(body));
  if (body.contains("KeySpec") || body.contains("NumberOfBytes")) PLB_TRY(DataKeySize(body));
  return {};
}

http::Response KmsApi::Handle(const http::Request& request) const {
  const std::string* target = request.FindHeader("X-Amz-Target");
  std::string op;
  if (target && target->rfind("TrentService.", 0) == 0) op = target->substr(13);
  auto found = Operations().find(op);
  if (found == Operations().end())
    return KmsError(400, "UnknownOperationException",
                    "Unknown operation " + (target ? *target : std::string("(none)")));

  // Who: SigV4 (service "kms") with a Plumbline access key or temporary credentials.
  auto who = AuthenticateSigV4(request, identity_, options_.allowed_skew, "kms");
  if (!who) return AwsErrorResponse(FromAuthError(who.error()));

  auto body = ParseBody(request.body);
  if (!body) return FromError(body.error());
  const std::string account = identity_.options().account_id;
  Call call{*body, *who, request.remote_address, keys_, account};
  auto result = found->second(call);
  // Every call is audited with its key (or none), refusals also logged.
  std::string key;
  for (const char* f : {"KeyId", "TargetKeyId", "DestinationKeyId", "AliasName"})
    if (auto k = json::GetString(*body, f)) {
      key = *k;
      break;
    }
  Error failure;
  if (!result) failure = result.error();
  keys_.Record(*who, "kms:" + op, key, request.remote_address, result ? nullptr : &failure);
  if (!result) return FromError(result.error());
  return AwsJsonResponse(200, *result);
}

}  // namespace plumbline::api
