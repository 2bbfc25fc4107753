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
// Key policy: an AWS key policy document (kms/policy.hpp has the subset and
// the evaluation; the earlier {"Version":"plumbline-1","AllowDecrypt":[...]}
// form is still read). Every operation on a key is checked against it:
// an explicit Deny wins; an Allow naming the caller allows; an Allow naming
// the account delegates to the account's own permissions: the root key may
// do everything, admin users may manage keys (describe, enable, policies,
// aliases, tags, deletion) but use a key's data (Encrypt, Decrypt,
// ReEncrypt*, GenerateDataKey*) only where the policy names them. With no
// matching statement the root key is still allowed (the installation's owner
// cannot be locked out); everyone else is refused with AWS's message.
//
// The AWS managed key alias/aws/s3 exists in every installation: it is
// created on first use (any reference to the alias or its ARN), every
// principal may use it, and nobody may change or delete it.
//
// Errors whose ErrorCode alone does not say which KMS exception they are
// carry its name in front of the message, "DisabledException: ..."
// (SplitException below takes it apart).
//
// Data key blob (KMS's "CiphertextBlob"): 0x01 | u8 n | key id (n bytes) |
// 24-byte nonce | XChaCha20-Poly1305(data key) with the key id as additional
// data; see docs/formats/encrypted-output.md. Ciphertexts of the KMS API
// (Encrypt, GenerateDataKey*, ReEncrypt) are version 0x02: the same layout
// with the plaintext (up to 4096 bytes) sealed under additional data that
// also binds the encryption context (sorted, length-prefixed pairs), so a
// Decrypt must give the same context, as AWS requires.
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

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/envelope.hpp"
#include "store/store.hpp"

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

struct Tag {
  std::string key;
  std::string value;
};

struct KeyInfo {
  std::string key_id;
  std::string arn;
  std::string alias;          // "" or the first "alias/<name>"
  std::string description;
  bool enabled = true;
  int64_t created_ms = 0;
  std::vector<std::string> allowed_users;  // legacy policies: may decrypt (besides root)
  std::string key_manager = "CUSTOMER";    // or "AWS"
  std::string state = "Enabled";           // Enabled | Disabled | PendingDeletion
  int64_t deletion_ms = 0;                 // PendingDeletion: when the key goes
};

struct CreateKeyRequest {
  std::string description;
  std::string alias;          // optional; "name" or "alias/name"
  std::vector<std::string> allowed_users;  // usernames that may use the key
  std::string policy;         // a key policy document; default: AWS's default policy
  std::vector<Tag> tags;
};

// Who asks: the root key, or a user (by username). `arn` is the principal's
// ARN for access-denied messages (identity::Principal::arn); when empty the
// message names the username. `other_arns` are further ARNs it acts as (the
// user behind temporary credentials, the role of a session).
struct Caller {
  bool is_root = false;
  std::string username;
  std::string arn;
  bool is_admin = false;
  std::vector<std::string> other_arns;
  // A narrowed session's own check (its session policy): OK, or
  // kPermissionDenied with AWS's message, for (action, key ARN). Asked
  // before the key policy; empty for callers that are not narrowed.
  std::function<Status(std::string_view action, std::string_view key_arn)> session_check;
};

// "DisabledException: text" -> {"DisabledException", "text"}; {"", message}
// when the message names no exception.
std::pair<std::string, std::string> SplitException(const std::string& message);

// Encryption context: string pairs bound into a ciphertext.
using EncryptionContext = std::vector<std::pair<std::string, std::string>>;

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

  const KeyRingOptions& options() const { return options_; }

  // Creates an enabled key with 32 fresh random bytes. kInvalidArgument for a
  // malformed alias, user name or policy, kAlreadyExists when the alias is
  // taken. (No caller: the service checks who may create keys.)
  Result<KeyInfo> CreateKey(const CreateKeyRequest& request);

  // `ref` is a key id, a key ARN, "alias/<name>" or an alias ARN. kNotFound
  // ("Key '<ref>' does not exist") when it names no key of this ring.
  Result<KeyInfo> DescribeKey(const std::string& ref);
  // Every key (keys whose deletion window has passed are deleted first).
  Result<std::vector<KeyInfo>> ListKeys();
  // The ARN `ref` stands for in this ring's region and account (a key or
  // alias ARN), whether or not the key exists: the resource of messages.
  std::string ArnFor(const std::string& ref) const;
  Status DisableKey(const std::string& ref);  // kNotFound
  Status EnableKey(const std::string& ref);   // kNotFound

  // For CreateLabelingJob's OutputConfig.KmsKeyId: OK when `ref` names an
  // enabled key; kInvalidArgument (-> ValidationException) naming `ref` when
  // it is unknown, disabled or pending deletion.
  Status CheckKeyUsable(const std::string& ref);

  // A fresh data key under the key `ref` (service side: no policy check).
  // kNotFound, kConflict when the key is disabled or pending deletion.
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

  // --- the KMS API's operations, each checked against the key's policy for
  // `caller` (kPermissionDenied with AWS's message naming caller.arn) ---

  // Encrypts up to 4096 bytes (`action` is what the policy is asked:
  // kms:Encrypt, kms:GenerateDataKey, ...). Returns the key ARN and blob.
  // kNotFound, kConflict (Disabled / KMSInvalidState), kInvalidArgument.
  struct Sealed {
    std::string key_arn;
    std::string blob;
  };
  Result<Sealed> Encrypt(const Caller& caller, const std::string& ref, std::string_view plaintext,
                         const EncryptionContext& context, std::string_view action = "kms:Encrypt");
  // Decrypts a blob of either version; the context must be the one it was
  // made with (none for version 1). `key_ref` empty or the blob's key
  // (else IncorrectKeyException). InvalidCiphertextException for anything
  // that fails authentication.
  Result<Unwrapped> Decrypt(const Caller& caller, const std::string& key_ref, std::string_view blob,
                            const EncryptionContext& context,
                            std::string_view action = "kms:Decrypt");

  Status SetEnabled(const Caller& caller, const std::string& ref, bool enabled);
  // 7-30 days; the key becomes PendingDeletion and unusable, and is deleted
  // (with its aliases) once the window has passed. Returns the key.
  Result<KeyInfo> ScheduleDeletion(const Caller& caller, const std::string& ref, int days);
  // Back to Disabled, as AWS does. kConflict when not pending deletion.
  Result<KeyInfo> CancelDeletion(const Caller& caller, const std::string& ref);
  // Aliases: "alias/<name>"; alias/aws/ names are AWS's.
  Status CreateAlias(const Caller& caller, const std::string& alias, const std::string& target);
  Status UpdateAlias(const Caller& caller, const std::string& alias, const std::string& target);
  Status DeleteAlias(const Caller& caller, const std::string& alias);
  // Every alias (of one key when key_ref is set), with the key id each names.
  Result<std::vector<store::KmsAlias>> ListAliases(const std::string& key_ref);
  Result<std::string> GetKeyPolicy(const Caller& caller, const std::string& ref);
  Status PutKeyPolicy(const Caller& caller, const std::string& ref, const std::string& policy);
  Status TagResource(const Caller& caller, const std::string& ref, const std::vector<Tag>& tags);
  Status UntagResource(const Caller& caller, const std::string& ref,
                       const std::vector<std::string>& tag_keys);
  Result<std::vector<Tag>> ListResourceTags(const Caller& caller, const std::string& ref);
  // Describe with the policy checked (kms:DescribeKey).
  Result<KeyInfo> Describe(const Caller& caller, const std::string& ref);

 private:
  KeyRing(store::Store& store, KeyRingOptions options, std::string root, const Clock& clock);
  struct Resolved;
  Result<Resolved> Resolve(const std::string& ref);
  Result<std::string> MasterKey(const Resolved& key);
  Status Allowed(const Resolved& key, const Caller& caller, std::string_view action);
  Status Usable(const Resolved& key);
  Status Manageable(const Resolved& key);
  Result<store::KmsKey> CreateManagedKey();

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

// The KMS API's operations for a signed-in principal: each turns the
// principal into a Caller (a disabled user's keys do nothing), runs the
// ring's operation and audits keys' uses and refusals ("kms:<Action>",
// outcome "ok" or the error code, from `source`). Thread-safe; borrows the
// ring and the identity, which must outlive it.
class KeyService {
 public:
  KeyService(KeyRing& ring, identity::Identity& identity);

  // The Caller a principal acts as.
  static Caller CallerOf(const identity::Principal& who);

  // The key's metadata, checked against the key policy. kPermissionDenied
  // (AWS's message naming who and the key), kNotFound.
  Result<KeyInfo> DescribeKey(const identity::Principal& who, const std::string& ref);

  // Unwraps a data key blob when the key's policy allows `who` (root always).
  // Errors as KeyRing::DecryptDataKey, kPermissionDenied naming who.arn.
  // Every call is audited ("kms:Decrypt", from `source`) and logged.
  Result<KeyRing::Unwrapped> Decrypt(const identity::Principal& who, const std::string& key_ref,
                                     std::string_view blob, const std::string& source);

  // Account-level operations (CreateKey, ListKeys, ListAliases): root and
  // admins, as IAM permissions would. kPermissionDenied.
  Status AuthorizeAccountAction(const identity::Principal& who, const std::string& action);

  // Records the outcome of a KMS call on `target` (refusals are also logged).
  void Record(const identity::Principal& who, const std::string& action, const std::string& target,
              const std::string& source, const Error* error);

  KeyRing& ring() { return ring_; }

 private:
  KeyRing& ring_;
  identity::Identity& identity_;
};

}  // namespace plumbline::kms
