// The KMS API of Plumbline's local key service, as AWS KMS speaks it:
// awsJson1_1 over "POST /", X-Amz-Target "TrentService.<Operation>", every
// call signed with AWS Signature V4 (service "kms") by a Plumbline access key.
// This file is the protocol only: it parses, calls kms::KeyService (which
// authorises, checks key policies and audits) and answers.
//
// Operations:
//  * Decrypt {CiphertextBlob, KeyId?} -> {KeyId, Plaintext, EncryptionAlgorithm}
//    unwraps a data key blob (kms/kms.hpp) when the key's policy names
//    the caller's user, or the caller uses the root key. `plumbline kms
//    decrypt` uses it; so can `aws kms decrypt --endpoint-url`.
//  * DescribeKey {KeyId} -> {KeyMetadata}: root and admin users.
// Errors are KMS's: AccessDeniedException, NotFoundException,
// DisabledException, InvalidCiphertextException, ValidationException,
// UnknownOperationException, and the SigV4 ones (403). Refused decrypts are
// logged (spdlog, level warn, msg="kms decrypt denied").
//
// Thread-safe: Handle() may run concurrently. See tests/kms/kms_api_test.cpp.
#pragma once

#include <chrono>

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

 private:
  kms::KeyService& keys_;
  identity::Identity& identity_;
  KmsApiOptions options_;
};

}  // namespace plumbline::api
