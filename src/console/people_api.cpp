// The console's people and keys: users, invitations, access keys, the
// audit log, and KMS keys with their policies.
#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "api/sagemaker.hpp"
#include "api/validation.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "console/detail/console_impl.hpp"
#include "console/job_stats.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "portal/assets.hpp"
#include "portal/media.hpp"
#include "portal/pages.hpp"
#include "portal/task_pages.hpp"
#include "portal/worker_api.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::console {

object Console::Impl::KeyJson(const kms::KeyInfo& k, const std::vector<store::KmsAlias>& aliases) {
  object o;
  o["keyId"] = k.key_id;
  o["arn"] = k.arn;
  o["description"] = k.description;
  o["state"] = k.state;
  o["enabled"] = k.enabled;
  o["keyManager"] = k.key_manager;
  o["created"] = k.created_ms;
  if (k.deletion_ms) o["deletionDate"] = k.deletion_ms;
  else o["deletionDate"] = nullptr;
  array names;
  for (const auto& a : aliases)
    if (a.key_id == k.key_id) names.emplace_back(a.alias);
  o["aliases"] = std::move(names);
  return o;
}

http::Response Console::Impl::KmsList(const http::Request& req, const identity::SignedIn& who) {
  return KmsCall(req, who, "ListKeys", "", [&](const identity::Principal& p, const kms::Caller&) -> Result<object> {
    PLB_TRY(key_service->AuthorizeAccountAction(p, "kms:ListKeys"));
    PLB_ASSIGN_OR_RETURN(auto list, key_service->ring().ListKeys());
    PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
    array out;
    for (const auto& k : list) out.push_back(KeyJson(k, aliases));
    return object{{"keys", std::move(out)}};
  });
}

http::Response Console::Impl::KmsKey(const http::Request& req, const identity::SignedIn& who) {
  std::string ref = req.Param("keyId");
  return KmsCall(req, who, "DescribeKey", ref, [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
    PLB_ASSIGN_OR_RETURN(auto info, key_service->ring().Describe(c, ref));
    PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
    object o = KeyJson(info, aliases);
    PLB_ASSIGN_OR_RETURN(std::string policy, key_service->ring().GetKeyPolicy(c, ref));
    o["policy"] = std::move(policy);
    return o;
  });
}

http::Response Console::Impl::KmsCreate(const http::Request& req, const identity::SignedIn& who) {
  auto body = json::Parse(req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  kms::CreateKeyRequest r;
  r.description = json::GetString(b, "description").value_or("");
  r.alias = json::GetString(b, "alias").value_or("");
  r.policy = json::GetString(b, "policy").value_or("");
  // Users who may use the key's data (decrypt), in AWS's default policy.
  r.allowed_users = StringList(b, "allowedUsers");
  return KmsCall(req, who, "CreateKey", r.alias, [&](const identity::Principal& p, const kms::Caller&) -> Result<object> {
    PLB_TRY(key_service->AuthorizeAccountAction(p, "kms:CreateKey"));
    PLB_ASSIGN_OR_RETURN(auto info, key_service->ring().CreateKey(r));
    PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
    return KeyJson(info, aliases);
  });
}

http::Response Console::Impl::KmsChange(const http::Request& req, const identity::SignedIn& who) {
  std::string ref = req.Param("keyId");
  std::string action = req.Param("action");
  auto body = json::Parse(req.body.empty() ? "{}" : req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  // The key as it is after the change.
  auto after = [&]() -> Result<object> {
    PLB_ASSIGN_OR_RETURN(auto info, key_service->ring().DescribeKey(ref));
    PLB_ASSIGN_OR_RETURN(auto aliases, key_service->ring().ListAliases(""));
    return KeyJson(info, aliases);
  };
  if (action == "enable" || action == "disable") {
    bool enable = action == "enable";
    return KmsCall(req, who, enable ? "EnableKey" : "DisableKey", ref,
                   [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                     PLB_TRY(key_service->ring().SetEnabled(c, ref, enable));
                     return after();
                   });
  }
  if (action == "schedule-deletion") {
    int64_t days = 30;
    if (const auto* d = b.if_contains("days"); d && !d->is_null()) {
      if (!d->is_int64()) return JsonError(400, "InvalidRequest", "days: expected a whole number from 7 to 30");
      days = d->get_int64();
    }
    return KmsCall(req, who, "ScheduleKeyDeletion", ref,
                   [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                     PLB_TRY(key_service->ring().ScheduleDeletion(c, ref, static_cast<int>(std::clamp<int64_t>(days, -1, 1000))));
                     return after();
                   });
  }
  if (action == "cancel-deletion") {
    return KmsCall(req, who, "CancelKeyDeletion", ref,
                   [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                     PLB_TRY(key_service->ring().CancelDeletion(c, ref));
                     return after();
                   });
  }
  if (action == "policy") {
    auto policy = json::GetString(b, "policy");
    if (!policy) return JsonError(400, "InvalidRequest", "policy: a key policy document (a string) is required");
    return KmsCall(req, who, "PutKeyPolicy", ref,
                   [&](const identity::Principal&, const kms::Caller& c) -> Result<object> {
                     PLB_TRY(key_service->ring().PutKeyPolicy(c, ref, *policy));
                     PLB_ASSIGN_OR_RETURN(object o, after());
                     PLB_ASSIGN_OR_RETURN(std::string stored, key_service->ring().GetKeyPolicy(c, ref));
                     o["policy"] = std::move(stored);
                     return o;
                   });
  }
  return JsonError(404, "NotFound", "no such key action: " + action);
}

void Console::Impl::AuditChange(const http::Request& req, const identity::SignedIn& who, const std::string& action,
                                const std::string& target, const Status& s, const std::string& detail) {
  store::AuditEntry e;
  e.actor = who.user.username;
  e.action = action;
  e.target = target;
  e.source = req.remote_address;
  e.outcome = s ? "ok" : s.error().code == ErrorCode::kNotFound ? "NotFound" : "Refused";
  e.detail = detail;
  identity.Audit(e);
}

object Console::Impl::UserJson(const store::User& u) {
  object o;
  o["username"] = u.username;
  o["admin"] = u.is_admin;
  o["disabled"] = u.disabled;
  array groups;
  for (const auto& g : u.groups) groups.emplace_back(g);
  o["groups"] = std::move(groups);
  return o;
}

std::vector<std::string> Console::Impl::StringList(const object& b, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = b.if_contains(key); v && v->is_array())
    for (const auto& g : v->get_array())
      if (g.is_string() && !g.get_string().empty()) out.emplace_back(g.get_string());
  return out;
}

http::Response Console::Impl::Users() {
  auto users = identity.ListUsers();
  if (!users) return FromError(users.error());
  array list;
  for (const auto& u : *users) list.push_back(UserJson(u));
  object out;
  out["users"] = std::move(list);
  return Ok(out);
}

http::Response Console::Impl::AddUser(const http::Request& req, const identity::SignedIn& who) {
  auto body = json::Parse(req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  identity::NewUser n;
  n.username = json::GetString(b, "username").value_or("");
  n.password = json::GetString(b, "password").value_or("");
  n.groups = StringList(b, "groups");
  if (const auto* a = b.if_contains("admin"); a && a->is_bool()) n.is_admin = a->get_bool();
  auto created = identity.CreateUser(n);
  AuditChange(req, who, "console:users:add", n.username, created ? Status() : Status(created.error()),
              n.is_admin ? "admin" : "worker");
  if (!created) return FromError(created.error());
  return Ok(UserJson(*created));
}

http::Response Console::Impl::ChangeUser(const http::Request& req, const identity::SignedIn& who) {
  std::string name = req.Param("username");
  std::string action = req.Param("action");
  auto body = json::Parse(req.body.empty() ? "{}" : req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  if (action == "disable" || action == "enable") {
    if (action == "disable" && AsciiLower(name) == AsciiLower(who.user.username))
      return JsonError(409, "Conflict", "you cannot disable your own account");
    auto u = identity.SetDisabled(name, action == "disable");
    AuditChange(req, who, "console:users:" + action, name, u ? Status() : Status(u.error()));
    if (!u) return FromError(u.error());
    return Ok(UserJson(*u));
  }
  if (action == "password") {
    auto s = identity.ResetPassword(name, json::GetString(b, "password").value_or(""));
    AuditChange(req, who, "console:users:reset-password", name, s);
    if (!s) return FromError(s.error());
    return Ok(object{{"username", name}});
  }
  if (action == "groups") {
    auto u = identity.ChangeGroups(name, identity::GroupChange::kSet, StringList(b, "groups"));
    AuditChange(req, who, "console:users:set-groups", name, u ? Status() : Status(u.error()));
    if (!u) return FromError(u.error());
    return Ok(UserJson(*u));
  }
  if (action == "access-keys") {
    auto k = identity.CreateAccessKey(name);
    AuditChange(req, who, "console:users:create-access-key", name, k ? Status() : Status(k.error()),
                k ? k->access_key_id : "");
    if (!k) return FromError(k.error());
    object o;
    o["AccessKeyId"] = k->access_key_id;
    o["SecretAccessKey"] = k->secret;  // shown this once
    o["username"] = name;
    return Ok(o);
  }
  return JsonError(404, "NotFound", "no such user action: " + action);
}

http::Response Console::Impl::Invite(const http::Request& req, const identity::SignedIn& who) {
  auto body = json::Parse(req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  identity::NewInvitation n;
  n.username = json::GetString(b, "username").value_or("");
  n.groups = StringList(b, "groups");
  if (const auto* a = b.if_contains("admin"); a && a->is_bool()) n.is_admin = a->get_bool();
  n.invited_by = who.user.username;
  if (const auto* t = b.if_contains("expiresInSeconds"); t && !t->is_null()) {
    if (!t->is_int64())
      return JsonError(400, "InvalidRequest", "expiresInSeconds: expected a whole number of seconds");
    n.ttl_seconds = t->get_int64();
  }
  auto issued = identity.Invite(n);
  std::string detail = (n.is_admin ? "admin" : "worker") + std::string(", groups: ");
  for (size_t i = 0; i < n.groups.size(); ++i) detail += (i ? "," : "") + n.groups[i];
  if (issued) detail += ", expires " + FormatIsoMillisZ(FromEpochMs(issued->invitation.expires_ms));
  AuditChange(req, who, "console:users:invite", n.username, issued ? Status() : Status(issued.error()), detail);
  if (!issued) return FromError(issued.error());
  object o = InvitationJson(issued->invitation);
  o["token"] = issued->token;  // shown this once
  o["path"] = "/worker/invite#" + issued->token;
  return Ok(o);
}

object Console::Impl::InvitationJson(const store::Invitation& i) const {
  object o;
  o["username"] = i.username;
  array groups;
  for (const auto& g : i.groups) groups.emplace_back(g);
  o["groups"] = std::move(groups);
  o["admin"] = i.is_admin;
  o["invitedBy"] = i.invited_by;
  o["created"] = i.created_ms;
  o["expires"] = i.expires_ms;
  o["used"] = i.used_ms;
  int64_t now = ToEpochMs(identity.clock().Now());
  o["state"] = i.used_ms ? "accepted" : now >= i.expires_ms ? "expired" : "pending";
  return o;
}

http::Response Console::Impl::Invitations() {
  auto list = identity.ListInvitations();
  if (!list) return FromError(list.error());
  array out;
  for (const auto& i : *list) out.push_back(InvitationJson(i));
  return Ok(object{{"invitations", std::move(out)}});
}

http::Response Console::Impl::AccessKeys() {
  auto keys = identity.ListAccessKeys(std::nullopt);
  if (!keys) return FromError(keys.error());
  array list;
  for (const auto& k : *keys) {
    object o;
    o["AccessKeyId"] = k.key.access_key_id;
    o["username"] = k.username;
    o["root"] = k.key.is_root;
    o["active"] = k.key.active;
    o["created"] = k.key.created_ms;
    o["revoked"] = k.key.revoked_ms;
    list.push_back(std::move(o));
  }
  object out;
  out["keys"] = std::move(list);
  return Ok(out);
}

http::Response Console::Impl::RevokeKey(const http::Request& req, const identity::SignedIn& who) {
  std::string id = req.Param("keyId");
  auto s = identity.RevokeAccessKey(id);
  AuditChange(req, who, "console:users:revoke-access-key", id, s);
  if (!s) return FromError(s.error());
  return Ok(object{{"AccessKeyId", id}, {"active", false}});
}

http::Response Console::Impl::Audit(const http::Request& req) {
  auto q = http::ParseQuery(req.query);
  std::string needle = AsciiLower(q.count("q") ? q["q"] : "");
  int64_t limit = IntParam(q, "limit", 200, 1, 1000);
  auto entries = identity.ListAudit(0, 100000);
  if (!entries) return FromError(entries.error());
  array list;
  for (auto it = entries->rbegin(); it != entries->rend() && static_cast<int64_t>(list.size()) < limit; ++it) {
    const auto& e = *it;
    if (!needle.empty()) {
      std::string all = AsciiLower(e.actor + " " + e.action + " " + e.target + " " + e.source + " " +
                              e.outcome + " " + e.detail);
      if (all.find(needle) == std::string::npos) continue;
    }
    list.push_back(object{{"time", e.time_ms}, {"actor", e.actor}, {"action", e.action},
                          {"target", e.target}, {"source", e.source}, {"outcome", e.outcome},
                          {"detail", e.detail}});
  }
  object out;
  out["entries"] = std::move(list);
  return Ok(out);
}

}  // namespace plumbline::console
