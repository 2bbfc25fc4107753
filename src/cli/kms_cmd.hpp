// `plumbline kms ...`: the local key service from the command line.
//
//   plumbline kms create-key   --data-dir DIR [--description D] [--alias A] [--allow USER...]
//                              [--region R]            -> {"KeyId","Arn"[,"Alias"]}
//   plumbline kms list-keys    --data-dir DIR          -> {"Keys":[{"KeyId","KeyArn"}]}
//   plumbline kms describe-key --data-dir DIR --key-id REF  -> {"KeyMetadata":{...}}
//   plumbline kms disable-key | enable-key --data-dir DIR --key-id REF
//   plumbline kms decrypt FILE --endpoint-url URL [-o OUT]
//
// The admin commands open the data dir's store directly, so they work while
// the server runs (SQLite WAL); the root secret is DIR/kms-root.key or
// PLUMBLINE_KMS_ROOT_KEY, exactly as the server finds it (kms/kms.hpp).
// `decrypt` is a client: it reads the encrypted file's header, asks the
// server's KMS API (TrentService.Decrypt, signed with SigV4 using
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN] and
// AWS_REGION or AWS_DEFAULT_REGION) for the data key, then decrypts and
// verifies locally, streaming. With -o the output appears only once the
// whole file verified; on stdout, a failure ends the command with an error
// after the verified prefix.
//
// Thread safety: the functions are reentrant.
#pragma once

#include <iosfwd>
#include <string>

#include "common/result.hpp"
#include "crypto/envelope.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace plumbline::cli {

void AddKmsCommands(CLI::App& app);

struct KmsClientOptions {
  std::string endpoint_url;        // "http://127.0.0.1:8080"
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;       // optional
  long timeout_seconds = 30;
};

// Fills credentials and region from the environment (see above).
// kUnauthenticated when no credentials are set.
Result<KmsClientOptions> KmsClientFromEnvironment(const std::string& endpoint_url);

// Calls TrentService.Decrypt for the data key of `header`. The server's
// refusal comes back with its KMS code in the message: kPermissionDenied
// (AccessDeniedException), kNotFound, kConflict (DisabledException),
// kInvalidArgument (InvalidCiphertextException), kUnauthenticated (SigV4
// errors), kUnavailable (no connection, 5xx).
Result<std::string> FetchDataKey(const KmsClientOptions& client, const crypto::EnvelopeHeader& header);

// Decrypts the file at `in_path` into `out_path` (atomically: a temporary
// file renamed when all of it verified), or into `*out` when out_path is
// empty. kInvalidArgument when the file is not an encrypted file or fails
// verification; the FetchDataKey errors otherwise.
Status DecryptFile(const KmsClientOptions& client, const std::string& in_path,
                   const std::string& out_path, std::ostream* out);

}  // namespace plumbline::cli
