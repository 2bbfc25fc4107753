// KeyRing: Plumbline's local KMS. It creates customer master keys shaped like
// AWS KMS keys (id = UUID, ARN arn:aws:kms:<region>:<account>:key/<id>,
// optional alias "alias/<name>"), keeps them in the Store wrapped by a root
// secret that never enters the database, hands out fresh data keys for
// envelope encryption (crypto/envelope.hpp) and unwraps them again for
// callers that the key's policy allows.
//
// Root secret: 32 bytes, from PLUMBLINE_KMS_ROOT_KEY (64 hex characters) when
// set, else DATA_DIR/kms-root.key (64 hex characters, mode 0600), created
// atomically on first use. Losing it loses every encrypted output; keep a
// copy apart from the database backups.
//
// Key policy: the users (by username, case-insensitive) allowed to decrypt
// data keys of the key. The root access key is always allowed. Policies are
// stored as JSON {"Version":"plumbline-1","AllowDecrypt":[...]}.
//
// Data key blob (KMS's "CiphertextBlob"): 0x01 | u8 n | key id (n bytes) |
// 24-byte nonce | XChaCha20-Poly1305(data key) with the key id as additional
// data; see docs/formats/encrypted-output.md.
//
// KeyService (below) is the KMS API's logic apart from its wire format:
// who may describe a key, decrypts checked against the key policy, and their
// audit entries. api/kms_api.cpp only parses, calls it and answers.
//
// This library (plumbline_kms) joins crypto with store/, storage/ and
// identity/; the plumbline_crypto library itself stays free of all three.
//
// Thread safety: a KeyRing may be used from several threads at once (the
// Store is thread-safe and the root secret is immutable).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/envelope.hpp"

namespace plumbline::store {
class Store;
}
namespace plumbline::storage {
class ObjectStore;
class Reader;
}  // namespace plumbline::storage

namespace plumbline::identity {
class Identity;
struct Principal;
}  // namespace plumbline::identity

namespace plumbline::kms {

using crypto::DataKey;

struct KeyRingOptions {
  std::string data_dir;       // home of kms-root.key; may be empty when root_key_hex is set
  std::string root_key_hex;   // overrides the environment and the file (tests)
  std::string region = "us-east-1";      // of new keys' ARNs
  std::string account_id = "000000000000";
};

struct KeyInfo {
  std::string key_id;
  std::string arn;
  std::string alias;          // "" or "alias/<name>"
  std::string description;
  bool enabled = true;
  int64_t created_ms = 0;
  std::vector<std::string> allowed_users;  // may decrypt (besides root)
};

struct CreateKeyRequest {
  std::string description;
  std::string alias;          // optional; "name" or "alias/name"
  std::vector<std::string> allowed_users;
};

// Who asks to decrypt: the root key, or a user (by username). `arn` is the
// principal's ARN for access-denied messages (identity::Principal::arn);
// when empty the message names the username.
struct Caller {
  bool is_root = false;
  std::string username;
  std::string arn;
};

// Loads (or creates) the root secret. kUnavailable when the file cannot be
// read or written; kInvalidArgument for a malformed secret. Exposed for tests.
Result<std::string> LoadOrCreateRootSecret(const KeyRingOptions& options);

class KeyRing {
 public:
  // kUnavailable / kInvalidArgument as LoadOrCreateRootSecret. `store` and
  // `clock` must outlive the KeyRing.
  static Result<std::unique_ptr<KeyRing>> Open(store::Store& store, const KeyRingOptions& options,
                                               const Clock& clock = SystemClock::Get());
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Creates an enabled key with 32 fresh random bytes. kInvalidArgument for a
  // malformed alias or user name, kAlreadyExists when the alias is taken.
  Result<KeyInfo> CreateKey(const CreateKeyRequest& request);

  // `ref` is a key id, a key ARN, "alias/<name>" or an alias ARN. kNotFound
  // ("Key '<ref>' does not exist") when it names no key of this ring.
  Result<KeyInfo> DescribeKey(const std::string& ref);
  Result<std::vector<KeyInfo>> ListKeys();
  // The ARN `ref` stands for in this ring's region and account (a key or
  // alias ARN), whether or not the key exists: the resource of messages.
  std::string ArnFor(const std::string& ref) const;
  Status DisableKey(const std::string& ref);  // kNotFound
  Status EnableKey(const std::string& ref);   // kNotFound

  // For CreateLabelingJob's OutputConfig.KmsKeyId: OK when `ref` names an
  // enabled key; kInvalidArgument (-> ValidationException) naming `ref` when
  // it is unknown or disabled.
  Status CheckKeyUsable(const std::string& ref);

  // A fresh data key under the key `ref` (service side: no policy check).
  // kNotFound, kConflict when the key is disabled.
  Result<DataKey> GenerateDataKey(const std::string& ref);

  // Unwraps a data key blob for `caller`. `key_ref` may be empty (the blob
  // names its key) or must name the same key. Errors: kInvalidArgument for a
  // malformed or tampered blob or a key_ref that does not match it,
  // kNotFound, kConflict when the key is disabled, kPermissionDenied when the
  // policy does not allow the caller. Returns the key's ARN and the 32 bytes.
  struct Unwrapped {
    std::string key_arn;
    std::string plaintext;
  };
  Result<Unwrapped> DecryptDataKey(const std::string& key_ref, std::string_view blob,
                                   const Caller& caller);

 private:
  KeyRing(store::Store& store, KeyRingOptions options, std::string root, const Clock& clock);
  struct Resolved;
  Result<Resolved> Resolve(const std::string& ref);
  Result<std::string> MasterKey(const Resolved& key);

  store::Store& store_;
  KeyRingOptions options_;
  std::string root_;
  const Clock& clock_;
};

// An ObjectStore decorator whose writers envelope-encrypt everything they
// are given with a fresh data key of `key_ref` per object (the labeling code
// writes a job's outputs through it when OutputConfig.KmsKeyId is set).
// OpenRead passes through to `inner` and returns the stored (encrypted)
// bytes. Fails like KeyRing::GenerateDataKey when the key is unusable. The
// decorator borrows `inner` and `ring`, which must outlive it.
Result<std::unique_ptr<storage::ObjectStore>> EncryptingStore(storage::ObjectStore& inner,
                                                              KeyRing& ring,
                                                              const std::string& key_ref);

// Wraps a reader of an encrypted object into one that yields its plaintext,
// unwrapping the data key through `ring` for `caller` (service-side reads,
// e.g. a job chained from an encrypted output). Authentication failures
// surface as kInvalidArgument from Read(); only authenticated bytes are
// returned.
Result<std::unique_ptr<storage::Reader>> DecryptingReader(std::unique_ptr<storage::Reader> inner,
                                                          KeyRing& ring, const Caller& caller);

// The KMS API's operations for a signed-in principal (see the top of this
// file). Thread-safe; borrows the ring and the identity, which must outlive it.
class KeyService {
 public:
  KeyService(KeyRing& ring, identity::Identity& identity);

  // The key's metadata, for the root key and admins. kPermissionDenied
  // (AWS's message naming who and the key), kNotFound.
  Result<KeyInfo> DescribeKey(const identity::Principal& who, const std::string& ref);

  // Unwraps a data key blob when the key's policy allows `who` (root always).
  // Errors as KeyRing::DecryptDataKey, kPermissionDenied naming who.arn.
  // Every call is audited ("kms:Decrypt", from `source`) and logged.
  Result<KeyRing::Unwrapped> Decrypt(const identity::Principal& who, const std::string& key_ref,
                                     std::string_view blob, const std::string& source);

  KeyRing& ring() { return ring_; }

 private:
  KeyRing& ring_;
  identity::Identity& identity_;
};

}  // namespace plumbline::kms
