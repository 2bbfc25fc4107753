// The KMS API of Plumbline's local key service, as AWS KMS speaks it:
// awsJson1_1 over "POST /", X-Amz-Target "TrentService.<Operation>", every
// call signed with AWS Signature V4 (service "kms") by a Plumbline access key.
// This file is the protocol only: it parses, calls kms::KeyService (which
// authorises, checks key policies and audits) and answers.
//
// Operations (shapes as AWS KMS's): CreateKey, DescribeKey, ListKeys,
// EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion,
// CreateAlias, UpdateAlias, DeleteAlias, ListAliases, Encrypt, Decrypt,
// GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncrypt, GetKeyPolicy,
// PutKeyPolicy, TagResource, UntagResource, ListResourceTags. KeyId is a key
// id, key ARN, alias name or alias ARN. Every key operation is checked
// against the key's policy (kms/kms.hpp); CreateKey, ListKeys and
// ListAliases need the root key or an admin. Lists page with Limit and
// Marker. `plumbline kms decrypt` uses Decrypt.
// Errors are KMS's: AccessDeniedException, NotFoundException,
// DisabledException, KMSInvalidStateException, AlreadyExistsException,
// InvalidCiphertextException, IncorrectKeyException, InvalidAliasNameException,
// MalformedPolicyDocumentException, TagException, ValidationException,
// UnknownOperationException, and the SigV4 ones (403). Every call is audited
// ("kms:<Operation>"); refusals are also logged (spdlog warn, msg="kms denied").
//
// Thread-safe: Handle() may run concurrently. See tests/kms/kms_api_test.cpp.
#pragma once

#include <chrono>

#include <boost/json/object.hpp>
#include <string_view>

#include "common/result.hpp"
#include "http/http.hpp"

namespace plumbline::kms {
class KeyService;
}
namespace plumbline::identity {
class Identity;
}

namespace plumbline::api {

struct KmsApiOptions {
  std::chrono::seconds allowed_skew{300};
};

class KmsApi {
 public:
  // Borrows both; they must outlive the KmsApi.
  KmsApi(kms::KeyService& keys, identity::Identity& identity, KmsApiOptions options = {});
  // For requests whose X-Amz-Target starts with "TrentService.".
  http::Response Handle(const http::Request& request) const;
  // The request body as a JSON object ("{}" when empty); kInvalidArgument
  // (SerializationException) otherwise. Exposed for the fuzz target.
  static Result<boost::json::object> ParseBody(std::string_view body);
  // The field parsers the operations apply to a parsed body, each over the
  // fields it reads when they are present: the encryption contexts,
  // CiphertextBlob and Plaintext (base64), Limit and Marker, Tags, KeySpec /
  // NumberOfBytes. The first refusal (kInvalidArgument, the exception
  // named) or OK. No key is touched. Exposed for the fuzz target.
  static Status ParseFields(const boost::json::object& body);

 private:
  kms::KeyService& keys_;
  identity::Identity& identity_;
  KmsApiOptions options_;
};

}  // namespace plumbline::api
