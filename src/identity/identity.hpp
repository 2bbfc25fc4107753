// Identity: who people and programs are, and what they may do. One home for
// users and their groups, portal sessions (sign-in with a password, the
// sign-in throttle, CSRF tokens), access keys and the lookup SigV4
// authentication needs, password hashing (crypto/password), the two roles
// (admin, worker) and the audit log. The portal, the API endpoints and the
// admin commands go through this class; none of them reads or writes these
// rows of the Store themselves.
//
// Identity owns no data of its own: the Store is the source of truth (users,
// sessions, keys and audit entries live there, so admin commands running
// beside the server see the same people). The only state in memory is the
// sign-in throttle's failure counts.
//
// Principals. An API call is made by a Principal: the root access key, or an
// access key of a user. Its ARN is AWS's form, arn:aws:iam::<account>:root or
// arn:aws:iam::<account>:user/<username>, and every access-denied message
// names it the way AWS does:
//   "User: <principal ARN> is not authorized to perform: <service>:<Action>
//    on resource: <resource ARN>"
//
// Thread safety: every method may be called from several threads at once
// (the Store is thread-safe; the throttle has its own lock). Password hashing
// and verification take tens of milliseconds and 64 MiB each: callers on I/O
// threads should run SignIn on a pool of their own (the portal does).
//
// See tests/identity/identity_test.cpp for examples.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "crypto/secretbox.hpp"
#include "crypto/sigv4.hpp"
#include "identity/session_policy.hpp"
#include "store/store.hpp"

namespace plumbline::identity {

class SignInThrottle;

// Sign-in failures -> refusals without a password check (see
// detail/sign_in_throttle.hpp for how the counts and lockouts work).
struct SignInThrottleOptions {
  int max_failures_per_user = 5;       // in `window` -> lockout
  int max_failures_per_address = 20;   // many usernames from one address (spraying)
  std::chrono::seconds window{300};
  std::chrono::seconds first_lockout{60};
  std::chrono::seconds max_lockout{3600};
  size_t max_tracked = 100000;
};

struct IdentityOptions {
  std::string account_id = "000000000000";  // of principal ARNs
  int64_t session_ttl_seconds = 12 * 3600;
  SignInThrottleOptions throttle;
  // Seals STS session tokens (the data dir's secrets key, shared by every
  // replica). When null, a random key of this process is used: tokens then
  // work only in this process (tests).
  std::shared_ptr<const crypto::SecretBox> session_box;
};

// Temporary credentials (STS AssumeRole / GetSessionToken).
struct TemporaryCredentials {
  std::string access_key_id;   // "ASIA" + 16
  std::string secret_access_key;
  std::string session_token;
  int64_t expires_ms = 0;
  std::string arn;             // the session's principal ARN
};

// The two roles. Root has both; an enabled user is a worker, and an admin
// when the user was created as one.
enum class Role { kWorker, kAdmin };

// Who made a signed API call.
struct Principal {
  bool is_root = false;
  std::string access_key_id;
  std::optional<store::User> user;  // the key's user; nullopt for root
  std::string arn;                  // arn:aws:iam::<account>:root | :user/<name>, or
                                    // arn:aws:sts::<account>:assumed-role/<role>/<session>
  std::string region;               // from a signed request's credential scope
  // How the request was signed (S3 checks a streamed body against it and
  // continues its signature chain over aws-chunked uploads).
  crypto::VerifiedCaller signed_with;
  // Temporary credentials (STS): the ARN of the long-term principal that
  // made them (its permissions are the session's), the role of an
  // AssumeRole session, and when they expire. Empty / 0 for long-term keys.
  std::string base_arn;
  std::string role_arn;
  int64_t expires_ms = 0;
  std::string base_access_key_id;   // the long-term key behind a session
  // A session's policies (AssumeRole's Policy, a hook run's scope): they
  // narrow what the session may do below its long-term principal's
  // permissions. Null for long-term keys and unnarrowed sessions.
  std::shared_ptr<const SessionPolicy> session_policy;

  // For the audit log: "root:<key>", "<username>:<key>" or "unknown:<key>".
  std::string AuditActor() const;
  // "root", or the username ("" when the key's user is gone).
  std::string Name() const;
};

// A signed-in portal session and its user (with groups).
struct SignedIn {
  store::Session session;
  store::User user;
  // The identity version the two were read under (store::SessionUser): a
  // worker write passes it on to be checked in its transaction.
  int64_t identity_version = 0;
};

// What SignIn answers. Exactly one of: `status` OK with `signed_in` set;
// kPermissionDenied with retry_after_seconds > 0 (throttled: the password was
// not looked at); kUnauthenticated "wrong username or password" (unknown user,
// disabled user or wrong password: one answer, one cost, so that neither
// tells which usernames exist); kUnavailable when the store failed.
struct SignInResult {
  Status status;
  int64_t retry_after_seconds = 0;
  std::optional<SignedIn> signed_in;
};

// Where a request came from, for the audit log.
struct RequestSource {
  std::string address;     // remote address, or "cli"
  std::string user_agent;  // may be empty
};

struct NewUser {
  std::string username;
  std::string password;            // at least 8 characters
  std::vector<std::string> groups;
  bool is_admin = false;
};

enum class GroupChange { kAdd, kRemove, kSet };

// An invitation to join, as an admin makes it (see Identity::Invite).
struct NewInvitation {
  std::string username;
  std::vector<std::string> groups;
  bool is_admin = false;
  std::string invited_by;           // the admin's username
  int64_t ttl_seconds = 7 * 24 * 3600;
};

// A new invitation and the token of its one-time link, which exists only
// here (the store keeps its SHA-256).
struct IssuedInvitation {
  std::string token;
  store::Invitation invitation;
};

// An access key as listings show it (never the secret), with its owner.
struct AccessKeyListing {
  store::AccessKeyInfo key;
  std::string username;  // "(root)" for the root key
};

class Identity {
 public:
  // Borrows `store` and `clock`, which must outlive the Identity.
  Identity(store::Store& store, const Clock& clock, IdentityOptions options = {});
  ~Identity();
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  const IdentityOptions& options() const { return options_; }
  // The clock sessions and invitations expire by.
  const Clock& clock() const { return clock_; }

  // --- users and groups ---
  // Creates a user with an Argon2id hash of the password, a fresh worker key
  // and sub. kInvalidArgument for an empty username or a password shorter
  // than 8 characters, kAlreadyExists when the username is taken
  // (case-insensitive), kUnavailable.
  Result<store::User> CreateUser(const NewUser& user);
  // By username (case-insensitive). kNotFound, kUnavailable.
  Result<store::User> GetUser(const std::string& username);
  // Every user, with groups. kUnavailable.
  Result<std::vector<store::User>> ListUsers();
  // Disabling also ends the user's sessions; the user's access keys stop
  // authorising. kNotFound, kUnavailable. Returns the user.
  Result<store::User> SetDisabled(const std::string& username, bool disabled);
  // Replaces the password and ends the user's sessions. kInvalidArgument
  // (shorter than 8), kNotFound, kUnavailable.
  Status ResetPassword(const std::string& username, const std::string& password);
  // Adds, removes or replaces the user's groups (work teams are groups);
  // returns the user with the new groups. kNotFound, kUnavailable.
  Result<store::User> ChangeGroups(const std::string& username, GroupChange change,
                                   const std::vector<std::string>& groups);

  // --- invitations: one-time links to join ---
  // Makes an invitation for a user not there yet: a random 256-bit token
  // (64 hex characters) whose SHA-256 is stored, valid ttl_seconds.
  // kInvalidArgument for an empty username or a ttl outside 5 minutes to
  // 30 days, kAlreadyExists when the username is taken, kUnavailable.
  Result<IssuedInvitation> Invite(const NewInvitation& invitation);
  // The invitation a token stands for while it may be accepted. kNotFound
  // for a token that names none (mistyped, forged), kConflict when it was
  // used already or has expired (the message says which, and when),
  // kUnavailable.
  Result<store::Invitation> CheckInvitation(const std::string& token);
  // Accepts an invitation: creates its user with `password` (its groups and
  // role), marks it used and signs the user in (a session as SignIn makes),
  // so a link works once. Errors as CheckInvitation, kInvalidArgument for a
  // password shorter than 8, kAlreadyExists when the username was taken
  // since. Audited as "portal:accept-invitation" (refusals too).
  Result<SignedIn> AcceptInvitation(const std::string& token, const std::string& password,
                                    const RequestSource& source);
  // Every invitation (never a token), oldest first. kUnavailable.
  Result<std::vector<store::Invitation>> ListInvitations();

  // --- portal sessions ---
  // Signs in with a password (see SignInResult), and on success stores a new
  // session (session_ttl_seconds from now) with a fresh CSRF token. Every
  // attempt is audited as "portal:login".
  SignInResult SignIn(const std::string& username, const std::string& password,
                      const RequestSource& source);
  // The session of `token` and its user. nullopt for an unknown or expired
  // session; kPermissionDenied "this account is disabled" when the user is
  // disabled; kUnavailable when the store failed. `check`: how fresh the
  // answer must be (store::SessionCheck; kCheckedByTheWrite only for a
  // caller that hands identity_version to its write).
  Result<std::optional<SignedIn>> FindSession(
      const std::string& token, store::SessionCheck check = store::SessionCheck::kCurrent);
  // True when `csrf_token` is the session's (constant-time comparison).
  static bool CsrfMatches(const store::Session& session, std::string_view csrf_token);
  // Ends the session (audited as "portal:logout"). kUnavailable.
  Status SignOut(const SignedIn& who, const RequestSource& source);

  // --- access keys ---
  // A new key for the user: {id "AKIA" + 16, secret 40}; the secret is shown
  // only here. kNotFound, kUnavailable.
  Result<store::AccessKey> CreateAccessKey(const std::string& username);
  // Every key (or only `username`'s), oldest first, never a secret.
  // kNotFound (unknown username), kUnavailable.
  Result<std::vector<AccessKeyListing>> ListAccessKeys(const std::optional<std::string>& username);
  // Revokes a key for good. kInvalidArgument for the root key (it is
  // replaced through PLUMBLINE_ROOT_ACCESS_KEY_ID/SECRET), kNotFound,
  // kUnavailable.
  Status RevokeAccessKey(const std::string& access_key_id);
  // The root key: `from_env` (id, secret) when given, else the stored one,
  // else a new one. Returns the key when it was generated now (the caller
  // shows it once), nullopt otherwise. kUnavailable.
  Result<std::optional<store::AccessKey>> EnsureRootKey(
      const std::optional<std::pair<std::string, std::string>>& from_env);

  // --- authentication and roles ---
  // Verifies a SigV4-signed request for `options.expected_service` against
  // the access keys (revoked keys are unknown). Errors carry AWS's code and
  // message (MissingAuthenticationTokenException, UnrecognizedClientException,
  // InvalidSignatureException, IncompleteSignatureException).
  boost::system::result<Principal, crypto::AuthError> Authenticate(
      const crypto::RequestView& request, const crypto::VerifyOptions& options);
  // The principal of a known access key. kUnavailable.
  Result<Principal> PrincipalOf(const store::AccessKey& key);

  // --- temporary credentials (STS) ---
  // Stateless: the session token is the sealed (XChaCha20-Poly1305 under
  // options().session_box, bound to the new access key id) record of the
  // long-term key that asked, the session's secret, its expiry and role; no
  // row is written, so any replica sharing the secrets key verifies it.
  // Authenticate accepts an "ASIA" key with its X-Amz-Security-Token (header,
  // or query parameter of a presigned URL) until the expiry
  // (ExpiredTokenException after), while the long-term key is not revoked.
  // The session acts with the permissions of `who`'s long-term principal.
  // `role_arn` empty: a GetSessionToken session (ARN: who's own); else an
  // AssumeRole session, arn:aws:sts::<account>:assumed-role/<role>/<session>.
  // `policy` (a session policy document, see session_policy.hpp) narrows the
  // session; a session made by a narrowed session keeps its policies too, so
  // chaining never widens. kInvalidArgument "MalformedPolicyDocument: ..."
  // for a policy that does not parse.
  Result<TemporaryCredentials> IssueTemporaryCredentials(const Principal& who,
                                                         const std::string& role_arn,
                                                         const std::string& session_name,
                                                         int64_t duration_seconds,
                                                         const std::string& policy = "");
  // OK when `who` holds `role` (root holds every role; a disabled user or a
  // key whose user is gone holds none) and its session policy, if any,
  // allows `action` on `resource`. Else kPermissionDenied with AWS's
  // message naming who.arn, `action` ("sagemaker:CreateLabelingJob") and
  // `resource` (an ARN).
  static Status Authorize(const Principal& who, Role role, std::string_view action,
                          std::string_view resource);
  // AWS's access-denied message (what Authorize and key policies say).
  static std::string AccessDeniedMessage(std::string_view principal_arn, std::string_view action,
                                         std::string_view resource);

  // --- the audit log ---
  // Appends an entry; time_ms 0 means now. A failure is logged (warning)
  // and otherwise ignored: an action never fails for its audit line.
  void Audit(store::AuditEntry entry);
  // Entries at or after since_ms, oldest first, at most `limit` (the newest
  // when there are more). kUnavailable.
  Result<std::vector<store::AuditEntry>> ListAudit(int64_t since_ms, size_t limit);

 private:
  std::string UserArn(const std::string& username) const;
  Result<store::Session> NewSession(int64_t user_id);
  Error InvitationRefusal(const Error& e, const store::Invitation* found) const;
  store::Store& store_;
  const Clock& clock_;
  IdentityOptions options_;
  std::unique_ptr<SignInThrottle> throttle_;
  std::shared_ptr<const crypto::SecretBox> session_box_;
};

}  // namespace plumbline::identity
