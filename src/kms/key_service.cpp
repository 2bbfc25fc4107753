// The KMS API's logic: who the caller is for key policies, audit and logs.
#include <spdlog/spdlog.h>

#include "identity/identity.hpp"
#include "kms/kms.hpp"

namespace plumbline::kms {

KeyService::KeyService(KeyRing& ring, identity::Identity& identity)
    : ring_(ring), identity_(identity) {}

Caller KeyService::CallerOf(const identity::Principal& who) {
  Caller caller;
  caller.is_root = who.is_root;
  caller.arn = who.arn;
  // A disabled user's keys do nothing, whatever the key policy says.
  if (who.user && !who.user->disabled) {
    caller.username = who.user->username;
    caller.is_admin = who.user->is_admin;
  }
  // Temporary credentials act as the principal that made them.
  if (!who.base_arn.empty() && who.base_arn != who.arn) caller.other_arns.push_back(who.base_arn);
  if (!who.role_arn.empty()) caller.other_arns.push_back(who.role_arn);
  if (who.session_policy)
    caller.session_check = [policy = who.session_policy, arn = who.arn](std::string_view action,
                                                                          std::string_view key_arn) {
      return policy->Check(arn, action, key_arn);
    };
  return caller;
}

Result<KeyInfo> KeyService::DescribeKey(const identity::Principal& who, const std::string& ref) {
  return ring_.Describe(CallerOf(who), ref);
}

Status KeyService::AuthorizeAccountAction(const identity::Principal& who, const std::string& action) {
  return identity::Identity::Authorize(who, identity::Role::kAdmin, action, "*");
}

void KeyService::Record(const identity::Principal& who, const std::string& action,
                        const std::string& target, const std::string& source, const Error* error) {
  store::AuditEntry e;
  e.actor = who.is_root ? "root" : (who.user ? who.user->username : who.access_key_id);
  e.action = action;
  e.target = target;
  e.source = source;
  e.outcome = error ? ErrorCodeName(error->code) : "ok";
  e.detail = error ? SplitException(error->message).second : who.arn;
  identity_.Audit(std::move(e));
  if (error && error->code == ErrorCode::kPermissionDenied)
    spdlog::warn("msg=\"kms denied\" action={} access_key_id={} principal={} key={} reason=\"{}\"",
                 action, who.access_key_id, who.arn, target.empty() ? "-" : target, error->message);
}

Result<KeyRing::Unwrapped> KeyService::Decrypt(const identity::Principal& who,
                                               const std::string& key_ref, std::string_view blob,
                                               const std::string& source) {
  auto unwrapped = ring_.Decrypt(CallerOf(who), key_ref, blob, {});
  Error failure;
  if (!unwrapped) failure = unwrapped.error();
  Record(who, "kms:Decrypt", key_ref.empty() && unwrapped ? unwrapped->key_arn : key_ref, source,
         unwrapped ? nullptr : &failure);
  return unwrapped;
}

}  // namespace plumbline::kms
