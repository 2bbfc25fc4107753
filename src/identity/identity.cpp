#include "identity/identity.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json.hpp>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "crypto/hash.hpp"
#include "crypto/password.hpp"
#include "identity/detail/sign_in_throttle.hpp"

namespace plumbline::identity {

namespace {

constexpr size_t kMinPasswordLength = 8;

Status CheckPassword(const std::string& password) {
  if (password.size() < kMinPasswordLength)
    return InvalidArgument("the password must have at least 8 characters");
  return {};
}

}  // namespace

std::string Principal::AuditActor() const {
  if (is_root) return "root:" + access_key_id;
  return (user ? user->username : std::string("unknown")) + ":" + access_key_id;
}

std::string Principal::Name() const {
  if (is_root) return "root";
  return user ? user->username : std::string();
}

Identity::Identity(store::Store& store, const Clock& clock, IdentityOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      throttle_(std::make_unique<SignInThrottle>(clock, options_.throttle)),
      session_box_(options_.session_box) {
  if (!session_box_) session_box_ = crypto::SecretBox::FromHex(RandomHex(32)).value();
}

Identity::~Identity() = default;

std::string Identity::UserArn(const std::string& username) const {
  return "arn:aws:iam::" + options_.account_id + ":user/" + username;
}

// ------------------------------------------------------------------ users

Result<store::User> Identity::CreateUser(const NewUser& user) {
  if (user.username.empty()) return InvalidArgument("the username must not be empty");
  PLB_TRY(CheckPassword(user.password));
  store::User u;
  u.username = user.username;
  PLB_ASSIGN_OR_RETURN(u.password_hash, crypto::HashPassword(user.password));
  u.is_admin = user.is_admin;
  u.worker_key = RandomHex(8);
  u.sub = RandomUuid();
  u.groups = user.groups;
  return store_.CreateUser(u);
}

Result<store::User> Identity::GetUser(const std::string& username) {
  return store_.GetUserByName(username);
}

Result<std::vector<store::User>> Identity::ListUsers() { return store_.ListUsers(); }

Result<store::User> Identity::SetDisabled(const std::string& username, bool disabled) {
  PLB_ASSIGN_OR_RETURN(store::User user, store_.GetUserByName(username));
  PLB_TRY(store_.SetUserDisabled(user.id, disabled));
  user.disabled = disabled;
  return user;
}

Status Identity::ResetPassword(const std::string& username, const std::string& password) {
  PLB_TRY(CheckPassword(password));
  PLB_ASSIGN_OR_RETURN(store::User user, store_.GetUserByName(username));
  PLB_ASSIGN_OR_RETURN(std::string hash, crypto::HashPassword(password));
  return store_.SetUserPassword(user.id, hash);
}

Result<store::User> Identity::ChangeGroups(const std::string& username, GroupChange change,
                                           const std::vector<std::string>& groups) {
  PLB_ASSIGN_OR_RETURN(store::User user, store_.GetUserByName(username));
  std::vector<std::string> next = change == GroupChange::kSet ? groups : user.groups;
  if (change != GroupChange::kSet) {
    for (const auto& g : groups) {
      auto it = std::find(next.begin(), next.end(), g);
      if (change == GroupChange::kAdd && it == next.end()) next.push_back(g);
      if (change == GroupChange::kRemove && it != next.end()) next.erase(it);
    }
  }
  PLB_TRY(store_.SetUserGroups(user.id, next));
  user.groups = std::move(next);
  return user;
}

// ------------------------------------------------------------ invitations

Result<IssuedInvitation> Identity::Invite(const NewInvitation& n) {
  if (n.username.empty()) return InvalidArgument("username: must not be empty");
  if (n.ttl_seconds < 300 || n.ttl_seconds > 30 * 24 * 3600)
    return InvalidArgument("expiresInSeconds: must be between 300 (5 minutes) and 2592000 (30 days)");
  IssuedInvitation out;
  out.token = RandomHex(32);
  store::Invitation& inv = out.invitation;
  inv.token_hash = crypto::Sha256Hex(out.token);
  inv.username = n.username;
  inv.groups = n.groups;
  inv.is_admin = n.is_admin;
  inv.invited_by = n.invited_by;
  inv.created_ms = ToEpochMs(clock_.Now());
  inv.expires_ms = inv.created_ms + n.ttl_seconds * 1000;
  PLB_TRY(store_.CreateInvitation(inv));
  return out;
}

// The refusal a link's holder sees: what went wrong and what to do, never
// more about the invitation than the holder already knows.
Error Identity::InvitationRefusal(const Error& e, const store::Invitation* found) const {
  if (e.code == ErrorCode::kNotFound)
    return NotFound("this invitation link is not valid: check that it was copied whole, or ask "
                    "your administrator for a new one");
  if (e.code == ErrorCode::kConflict && found && found->used_ms != 0)
    return Conflict("this invitation link was already used; sign in with the password chosen "
                    "then, or ask your administrator for a new link");
  if (e.code == ErrorCode::kConflict && found)
    return Conflict("this invitation link expired on " +
                    FormatIsoMillisZ(FromEpochMs(found->expires_ms)) +
                    "; ask your administrator for a new one");
  return e;
}

Result<store::Invitation> Identity::CheckInvitation(const std::string& token) {
  auto inv = store_.GetInvitation(crypto::Sha256Hex(token));
  if (!inv) return InvitationRefusal(inv.error(), nullptr);
  if (inv->used_ms != 0 || ToEpochMs(clock_.Now()) >= inv->expires_ms)
    return InvitationRefusal(Conflict("refused"), &*inv);
  return *inv;
}

Result<SignedIn> Identity::AcceptInvitation(const std::string& token, const std::string& password,
                                            const RequestSource& source) {
  std::string hash = crypto::Sha256Hex(token);
  auto audit = [&](const std::string& who, const std::string& outcome) {
    store::AuditEntry e;
    e.actor = who;
    e.action = "portal:accept-invitation";
    e.target = who;
    e.source = source.address;
    e.outcome = outcome;
    e.detail = "invitation " + hash.substr(0, 12);
    Audit(std::move(e));
  };
  auto refuse = [&](const Error& e, const store::Invitation* found) -> Error {
    audit(found ? found->username : "", e.code == ErrorCode::kNotFound ? "NotFound"
                                        : e.code == ErrorCode::kInvalidArgument ? "InvalidPassword"
                                                                                : "Refused");
    return InvitationRefusal(e, found);
  };
  auto found = store_.GetInvitation(hash);
  if (!found) return refuse(found.error(), nullptr);
  if (auto s = CheckPassword(password); !s) return refuse(s.error(), &*found);
  store::User u;
  u.username = found->username;
  PLB_ASSIGN_OR_RETURN(u.password_hash, crypto::HashPassword(password));
  u.worker_key = RandomHex(8);
  u.sub = RandomUuid();
  // The store checks use and expiry again in its transaction (two tabs
  // accepting at once make one user).
  auto made = store_.AcceptInvitation(hash, u, ToEpochMs(clock_.Now()));
  if (!made) {
    // Read again for the message: it may have been used just now.
    auto again = store_.GetInvitation(hash);
    return refuse(made.error(), again ? &*again : &*found);
  }
  auto session = NewSession(made->id);
  if (!session) return session.error();
  audit(made->username, "ok");
  return SignedIn{std::move(*session), std::move(*made)};
}

Result<std::vector<store::Invitation>> Identity::ListInvitations() {
  return store_.ListInvitations();
}

// --------------------------------------------------------------- sessions

Result<store::Session> Identity::NewSession(int64_t user_id) {
  store::Session s;
  s.token = RandomHex(32);
  s.user_id = user_id;
  s.csrf_token = RandomHex(16);
  s.expires_ms = ToEpochMs(clock_.Now()) + options_.session_ttl_seconds * 1000;
  PLB_TRY(store_.PutSession(s));
  return s;
}

SignInResult Identity::SignIn(const std::string& username, const std::string& password,
                              const RequestSource& source) {
  auto audit = [&](const std::string& who, const std::string& outcome) {
    store::AuditEntry e;
    e.actor = who.substr(0, 128);
    e.action = "portal:login";
    e.target = e.actor;
    e.source = source.address;
    e.outcome = outcome;
    e.detail = source.user_agent.substr(0, 200);
    Audit(std::move(e));
  };
  SignInResult out;
  // Throttled keys are refused before the password is looked at.
  if (int64_t wait = throttle_->RetryAfterSeconds(username, source.address); wait > 0) {
    audit(username, "Throttled");
    out.status = PermissionDenied("too many failed sign-ins; try again in " +
                                  std::to_string(wait) + " seconds");
    out.retry_after_seconds = wait;
    return out;
  }
  auto user = store_.GetUserByName(username);
  if (!user && user.error().code != ErrorCode::kNotFound) {
    out.status = user.error();
    return out;
  }
  // An unknown user costs a password verification too, so response times
  // do not tell which usernames exist.
  static const std::string kDummyHash = [] {
    auto h = crypto::HashPassword(RandomHex(16));
    return h ? *h : std::string();
  }();
  if (!user) (void)crypto::VerifyPassword(kDummyHash, password);
  // The same answer for an unknown user, a disabled one and a wrong password.
  if (!user || user->disabled || !crypto::VerifyPassword(user->password_hash, password)) {
    throttle_->RecordFailure(username, source.address);
    audit(username, user && user->disabled ? "UserDisabled" : "InvalidCredentials");
    out.status = Unauthenticated("wrong username or password");
    return out;
  }
  throttle_->RecordSuccess(username);
  auto s = NewSession(user->id);
  if (!s) {
    out.status = s.error();
    return out;
  }
  audit(user->username, "ok");
  out.signed_in = SignedIn{std::move(*s), std::move(*user)};
  return out;
}

Result<std::optional<SignedIn>> Identity::FindSession(const std::string& token,
                                                      store::SessionCheck check) {
  if (token.empty()) return std::optional<SignedIn>();
  PLB_ASSIGN_OR_RETURN(auto found, store_.FindSession(token, check));
  if (!found || found->session.expires_ms < ToEpochMs(clock_.Now()))
    return std::optional<SignedIn>();
  if (found->user.disabled) return PermissionDenied("this account is disabled");
  return std::optional<SignedIn>(
      SignedIn{std::move(found->session), std::move(found->user), found->identity_version});
}

bool Identity::CsrfMatches(const store::Session& session, std::string_view csrf_token) {
  const std::string& want = session.csrf_token;
  if (want.empty() || csrf_token.size() != want.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < want.size(); ++i)
    diff |= static_cast<unsigned char>(want[i] ^ csrf_token[i]);
  return diff == 0;
}

Status Identity::SignOut(const SignedIn& who, const RequestSource& source) {
  PLB_TRY(store_.DeleteSession(who.session.token));
  store::AuditEntry e;
  e.actor = who.user.username;
  e.action = "portal:logout";
  e.target = e.actor;
  e.source = source.address;
  e.outcome = "ok";
  e.detail = source.user_agent.substr(0, 200);
  Audit(std::move(e));
  return {};
}

// ------------------------------------------------------------ access keys

Result<store::AccessKey> Identity::CreateAccessKey(const std::string& username) {
  PLB_ASSIGN_OR_RETURN(store::User user, store_.GetUserByName(username));
  store::AccessKey k{"AKIA" + RandomUpperAlnum(16), RandomAlnum(40), user.id, false};
  PLB_TRY(store_.PutAccessKey(k));
  return k;
}

Result<std::vector<AccessKeyListing>> Identity::ListAccessKeys(
    const std::optional<std::string>& username) {
  std::optional<int64_t> uid;
  if (username) {
    PLB_ASSIGN_OR_RETURN(store::User user, store_.GetUserByName(*username));
    uid = user.id;
  }
  PLB_ASSIGN_OR_RETURN(auto users, store_.ListUsers());
  PLB_ASSIGN_OR_RETURN(auto keys, store_.ListAccessKeys(uid));
  std::vector<AccessKeyListing> out;
  for (auto& k : keys) {
    std::string name = "(root)";
    if (!k.is_root) {
      name.clear();
      for (const auto& u : users)
        if (u.id == k.user_id) name = u.username;
    }
    out.push_back({std::move(k), std::move(name)});
  }
  return out;
}

Status Identity::RevokeAccessKey(const std::string& access_key_id) {
  PLB_ASSIGN_OR_RETURN(auto keys, store_.ListAccessKeys(std::nullopt));
  for (const auto& k : keys)
    if (k.access_key_id == access_key_id && k.is_root)
      return InvalidArgument(
          "the root key cannot be revoked; replace it with PLUMBLINE_ROOT_ACCESS_KEY_ID/SECRET");
  return store_.RevokeAccessKey(access_key_id, ToEpochMs(clock_.Now()));
}

Result<std::optional<store::AccessKey>> Identity::EnsureRootKey(
    const std::optional<std::pair<std::string, std::string>>& from_env) {
  if (from_env) {
    PLB_TRY(store_.PutAccessKey({from_env->first, from_env->second, 0, true}));
    PLB_TRY(store_.PutSetting("root_access_key_id", from_env->first));
    return std::optional<store::AccessKey>();
  }
  PLB_ASSIGN_OR_RETURN(auto existing, store_.GetSetting("root_access_key_id"));
  if (existing) return std::optional<store::AccessKey>();
  store::AccessKey key{"AKIA" + RandomUpperAlnum(16), RandomAlnum(40), 0, true};
  PLB_TRY(store_.PutAccessKey(key));
  PLB_TRY(store_.PutSetting("root_access_key_id", key.access_key_id));
  return std::optional<store::AccessKey>(std::move(key));
}

// ------------------------------------------------ authentication and roles

namespace {

constexpr std::string_view kSessionContext = "sts-session:";

struct SessionClaims {
  std::string base_key;
  std::string secret;
  int64_t expires_ms = 0;
  std::string role_arn;
  std::string session_name;
  std::vector<std::string> policies;
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 && HexDigitValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// X-Amz-Security-Token from the headers, or from a presigned URL's query.
std::string SessionTokenOf(const crypto::RequestView& request) {
  for (const auto& [name, value] : request.headers) {
    if (name.size() == 20 && EqualsIgnoreCase(name, "x-amz-security-token"))
      return value;
  }
  size_t q = request.target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = request.target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (part.rfind("X-Amz-Security-Token=", 0) == 0) return PercentDecode(part.substr(21));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

std::optional<SessionClaims> OpenSession(const crypto::SecretBox& box, std::string_view key_id,
                                         std::string_view token) {
  if (token.empty() || token.size() > 12288) return std::nullopt;
  auto plain = box.Open(token, std::string(kSessionContext) + std::string(key_id));
  if (!plain) return std::nullopt;
  auto v = json::Parse(*plain);
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->get_object();
  SessionClaims c;
  c.base_key = json::GetString(o, "k").value_or("");
  c.secret = json::GetString(o, "s").value_or("");
  c.role_arn = json::GetString(o, "r").value_or("");
  c.session_name = json::GetString(o, "n").value_or("");
  if (const auto* e = o.if_contains("e"); e && e->is_int64()) c.expires_ms = e->as_int64();
  if (const auto* p = o.if_contains("p"); p && p->is_array())
    for (const auto& d : p->get_array()) {
      if (!d.is_string()) return std::nullopt;
      c.policies.emplace_back(d.get_string());
    }
  if (c.base_key.empty() || c.secret.empty() || c.expires_ms == 0) return std::nullopt;
  return c;
}

// "arn:aws:iam::<account>:role/<path/>name" -> name
std::string RoleName(const std::string& role_arn) {
  size_t slash = role_arn.rfind('/');
  return slash == std::string::npos ? role_arn : role_arn.substr(slash + 1);
}

}  // namespace

Result<TemporaryCredentials> Identity::IssueTemporaryCredentials(const Principal& who,
                                                                 const std::string& role_arn,
                                                                 const std::string& session_name,
                                                                 int64_t duration_seconds,
                                                                 const std::string& policy) {
  // The new session's policies: its parent session's, and the one given.
  std::vector<std::string> policies;
  if (who.session_policy) policies = who.session_policy->documents();
  if (!policy.empty()) {
    PLB_ASSIGN_OR_RETURN(auto parsed, SessionPolicy::Parse({policy}));
    policies.push_back(parsed->documents().front());
  }
  TemporaryCredentials t;
  t.access_key_id = "ASIA" + RandomUpperAlnum(16);
  t.secret_access_key = RandomAlnum(40);
  t.expires_ms = ToEpochMs(clock_.Now()) + duration_seconds * 1000;
  // A session made by a session ends when its parent does, at the latest.
  if (who.expires_ms > 0) t.expires_ms = std::min(t.expires_ms, who.expires_ms);
  // A session made with a session's credentials stands on the same long-term key.
  const std::string base = who.base_access_key_id.empty() ? who.access_key_id : who.base_access_key_id;
  boost::json::object claims{{"k", base},
                             {"s", t.secret_access_key},
                             {"e", t.expires_ms},
                             {"r", role_arn},
                             {"n", session_name}};
  if (!policies.empty()) {
    boost::json::array p;
    for (const auto& d : policies) p.emplace_back(d);
    claims["p"] = std::move(p);
  }
  t.session_token = session_box_->Seal(json::Serialize(claims),
                                       std::string(kSessionContext) + t.access_key_id);
  t.arn = role_arn.empty() ? (who.base_arn.empty() ? who.arn : who.base_arn)
                           : "arn:aws:sts::" + options_.account_id + ":assumed-role/" +
                                 RoleName(role_arn) + "/" + session_name;
  return t;
}

boost::system::result<Principal, crypto::AuthError> Identity::Authenticate(
    const crypto::RequestView& request, const crypto::VerifyOptions& options) {
  std::optional<store::AccessKey> key;
  std::optional<SessionClaims> session;
  std::optional<Error> failed;
  auto find = [&](const std::string& id) -> bool {
    auto found = store_.FindAccessKey(id);
    if (!found) {
      failed = found.error();
      return false;
    }
    if (!*found) return false;
    key = **found;
    return true;
  };
  auto lookup = [&](std::string_view id) -> std::optional<std::string> {
    if (id.rfind("ASIA", 0) == 0) {
      session = OpenSession(*session_box_, id, SessionTokenOf(request));
      // The long-term key behind the session must still be there.
      if (!session || !find(session->base_key)) return std::nullopt;
      return session->secret;
    }
    if (!find(std::string(id))) return std::nullopt;
    return key->secret;
  };
  auto verified = crypto::Verify(request, lookup, clock_.Now(), options);
  if (session && session->expires_ms <= ToEpochMs(clock_.Now()))
    return crypto::AuthError{"ExpiredTokenException",
                             "The security token included in the request is expired"};
  if (!verified) {
    // A store that cannot be read is not the caller's fault.
    if (failed) return crypto::AuthError{"ServiceUnavailable", failed->message};
    return verified.error();
  }
  auto principal = PrincipalOf(*key);
  if (!principal) return crypto::AuthError{"ServiceUnavailable", principal.error().message};
  principal->region = verified->region;
  principal->signed_with = std::move(*verified);
  if (session) {
    principal->base_arn = principal->arn;
    principal->base_access_key_id = key->access_key_id;
    principal->access_key_id = verified->access_key_id;
    principal->expires_ms = session->expires_ms;
    principal->role_arn = session->role_arn;
    if (!session->policies.empty()) {
      // Sealed by this installation, so it parsed when it was issued.
      auto policy = SessionPolicy::Parse(session->policies);
      if (!policy)
        return crypto::AuthError{"InvalidClientTokenId",
                                 "The security token included in the request is invalid"};
      principal->session_policy = std::move(*policy);
    }
    if (!session->role_arn.empty())
      principal->arn = "arn:aws:sts::" + options_.account_id + ":assumed-role/" +
                       RoleName(session->role_arn) + "/" + session->session_name;
  }
  return std::move(*principal);
}

Result<Principal> Identity::PrincipalOf(const store::AccessKey& key) {
  Principal p;
  p.is_root = key.is_root;
  p.access_key_id = key.access_key_id;
  if (key.is_root) {
    p.arn = "arn:aws:iam::" + options_.account_id + ":root";
    return p;
  }
  auto user = store_.GetUser(key.user_id);
  if (!user && user.error().code != ErrorCode::kNotFound) return user.error();
  if (user) p.user = std::move(*user);
  p.arn = UserArn(p.user ? p.user->username : "unknown-" + key.access_key_id);
  return p;
}

std::string Identity::AccessDeniedMessage(std::string_view principal_arn, std::string_view action,
                                          std::string_view resource) {
  std::string m = "User: ";
  m += principal_arn;
  m += " is not authorized to perform: ";
  m += action;
  m += " on resource: ";
  m += resource;
  return m;
}

Status Identity::Authorize(const Principal& who, Role role, std::string_view action,
                           std::string_view resource) {
  if (who.session_policy) PLB_TRY(who.session_policy->Check(who.arn, action, resource));
  if (who.is_root) return {};
  bool ok = who.user && !who.user->disabled && (role == Role::kWorker || who.user->is_admin);
  if (ok) return {};
  return PermissionDenied(AccessDeniedMessage(who.arn, action, resource));
}

// ---------------------------------------------------------------- audit

void Identity::Audit(store::AuditEntry entry) {
  if (entry.time_ms == 0) entry.time_ms = ToEpochMs(clock_.Now());
  if (auto s = store_.AppendAudit(entry); !s)
    spdlog::warn("msg=\"audit append failed\" action={} error=\"{}\"", entry.action,
                 s.error().message);
}

Result<std::vector<store::AuditEntry>> Identity::ListAudit(int64_t since_ms, size_t limit) {
  return store_.ListAudit(since_ms, limit);
}

}  // namespace plumbline::identity
