// The KMS API's logic: authorisation, the key policy, audit and logs.
#include <spdlog/spdlog.h>

#include "identity/identity.hpp"
#include "kms/kms.hpp"

namespace plumbline::kms {

KeyService::KeyService(KeyRing& ring, identity::Identity& identity)
    : ring_(ring), identity_(identity) {}

Result<KeyInfo> KeyService::DescribeKey(const identity::Principal& who, const std::string& ref) {
  // Authorised before the lookup: a refused caller learns nothing of which keys exist.
  PLB_TRY(identity::Identity::Authorize(who, identity::Role::kAdmin, "kms:DescribeKey",
                                        ring_.ArnFor(ref)));
  return ring_.DescribeKey(ref);
}

Result<KeyRing::Unwrapped> KeyService::Decrypt(const identity::Principal& who,
                                               const std::string& key_ref, std::string_view blob,
                                               const std::string& source) {
  // A disabled user's keys decrypt nothing, whatever the key policy says.
  Caller caller;
  caller.is_root = who.is_root;
  caller.arn = who.arn;
  if (who.user && !who.user->disabled) caller.username = who.user->username;
  auto unwrapped = ring_.DecryptDataKey(key_ref, blob, caller);

  store::AuditEntry e;
  e.actor = who.is_root ? "root" : (caller.username.empty() ? who.access_key_id : caller.username);
  e.action = "kms:Decrypt";
  e.target = key_ref;
  e.source = source;
  e.outcome = unwrapped ? "ok" : ErrorCodeName(unwrapped.error().code);
  e.detail = unwrapped ? unwrapped->key_arn : unwrapped.error().message;
  identity_.Audit(std::move(e));
  if (!unwrapped) {
    spdlog::warn(
        "msg=\"kms decrypt denied\" access_key_id={} user={} root={} key={} code={} reason=\"{}\"",
        who.access_key_id, caller.username.empty() ? "-" : caller.username, caller.is_root,
        key_ref.empty() ? "-" : key_ref, ErrorCodeName(unwrapped.error().code),
        unwrapped.error().message);
    return unwrapped;
  }
  spdlog::info("msg=\"kms decrypt\" access_key_id={} user={} root={} key={}", who.access_key_id,
               caller.username.empty() ? "-" : caller.username, caller.is_root, unwrapped->key_arn);
  return unwrapped;
}

}  // namespace plumbline::kms
