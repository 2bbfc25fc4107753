// The KMS API's operations on one key: policy checks, states, aliases, tags
// and the API's ciphertexts (keyring.cpp has the root secret, master keys and
// the data keys of output envelopes).
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>

#include "common/json.hpp"
#include "kms/detail/keyring_impl.hpp"
#include "kms/kms.hpp"
#include "kms/policy.hpp"
#include "store/store.hpp"

namespace plumbline::kms {
namespace {

// Using a key's data, which the account's delegation gives the root key
// only; admins need the key policy to name them (see kms.hpp).
bool IsDataAction(std::string_view action) {
  for (std::string_view a : {"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                             "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"})
    if (action == a) return true;
  return false;
}

void PutU32(std::string& out, size_t n) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
}

// Additional data of a version-2 ciphertext: key id and the sorted context.
std::string CiphertextAd(const std::string& key_id, EncryptionContext context) {
  std::sort(context.begin(), context.end());
  std::string ad(kCiphertextAd);
  ad += key_id;
  PutU32(ad, context.size());
  for (const auto& [k, v] : context) {
    PutU32(ad, k.size());
    ad += k;
    PutU32(ad, v.size());
    ad += v;
  }
  return ad;
}

Result<std::string> NormalizeNewAlias(const std::string& alias) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("InvalidAliasNameException: Alias " + alias + " " + why);
  };
  if (alias.rfind("alias/", 0) != 0) return bad("must begin with alias/");
  std::string_view name = std::string_view(alias).substr(6);
  if (name.empty() || alias.size() > 256) return bad("must have 1 to 250 characters after alias/");
  if (name.rfind("aws/", 0) == 0) return bad("must not begin with alias/aws/ (reserved for AWS)");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-')
      return bad("may hold only letters, digits, '/', '_' and '-'");
  return alias;
}

}  // namespace

std::string TagsJson(const std::vector<Tag>& tags) {
  boost::json::array a;
  for (const auto& t : tags) a.push_back(boost::json::object{{"TagKey", t.key}, {"TagValue", t.value}});
  return boost::json::serialize(a);
}

std::vector<Tag> TagsOf(const std::string& tags_json) {
  std::vector<Tag> out;
  auto v = json::Parse(tags_json);
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) continue;
    auto k = json::GetString(e.get_object(), "TagKey");
    auto val = json::GetString(e.get_object(), "TagValue");
    if (k) out.push_back({*k, val.value_or("")});
  }
  return out;
}

Status KeyRing::Allowed(const Resolved& key, const Caller& caller, std::string_view action) {
  const std::string root_arn = "arn:aws:iam::" + options_.account_id + ":root";
  std::string who = !caller.arn.empty() ? caller.arn : caller.username.empty() ? "(unknown)" : caller.username;
  auto denied = [&](bool explicit_deny) {
    return PermissionDenied(
        "AccessDeniedException: User: " + who + " is not authorized to perform: " +
        std::string(action) + " on resource: " + key.row.arn +
        (explicit_deny ? " with an explicit deny in a resource-based policy"
                       : " because no resource-based policy allows the " + std::string(action) +
                             " action"));
  };
  // A disabled user, or a key whose user is gone, may do nothing.
  if (!caller.is_root && caller.username.empty())
    return denied(false);
  if (caller.session_check)
    if (auto s = caller.session_check(action, key.row.arn); !s)
      return PermissionDenied("AccessDeniedException: " + s.error().message);
  std::vector<std::string> arns = caller.other_arns;
  if (!caller.arn.empty()) arns.push_back(caller.arn);
  if (caller.is_root) arns.push_back(root_arn);
  else arns.push_back("arn:aws:iam::" + options_.account_id + ":user/" + caller.username);
  auto policy = ParseKeyPolicy(key.row.policy_json, options_.account_id);
  if (!policy) return Internal("key " + key.row.key_id + " has an unreadable policy: " + policy.error().message);
  switch (Evaluate(*policy, arns, action, root_arn)) {
    case PolicyDecision::kDeny:
      return denied(true);
    case PolicyDecision::kAllow:
      return {};
    case PolicyDecision::kAccountDelegated:
      if (caller.is_root || (caller.is_admin && !IsDataAction(action))) return {};
      break;
    case PolicyDecision::kNoMatch:
      if (caller.is_root && key.row.key_manager != "AWS") return {};
      break;
  }
  return denied(false);
}

Status KeyRing::Usable(const Resolved& key) {
  if (key.row.deletion_ms)
    return Conflict("KMSInvalidStateException: " + key.row.arn + " is pending deletion.");
  if (!key.row.enabled) return Conflict("DisabledException: " + key.row.arn + " is disabled.");
  return {};
}

Status KeyRing::Manageable(const Resolved& key) {
  if (key.row.key_manager == "AWS")
    return PermissionDenied("AccessDeniedException: " + key.row.arn +
                            " is an AWS managed key; it cannot be changed");
  return {};
}

Result<KeyInfo> KeyRing::Describe(const Caller& caller, const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:DescribeKey"));
  return Info(r.row);
}

Result<KeyRing::Sealed> KeyRing::Encrypt(const Caller& caller, const std::string& ref,
                                         std::string_view plaintext, const EncryptionContext& context,
                                         std::string_view action) {
  if (plaintext.empty() || plaintext.size() > 4096)
    return InvalidArgument("ValidationException: 1 validation error detected: Value at 'plaintext' "
                           "failed to satisfy constraint: Member must have length between 1 and 4096");
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, action));
  PLB_TRY(Usable(r));
  PLB_ASSIGN_OR_RETURN(std::string master, MasterKey(r));
  Sealed out;
  out.key_arn = r.row.arn;
  out.blob.push_back(static_cast<char>(kCiphertextVersion));
  out.blob.push_back(static_cast<char>(r.row.key_id.size()));
  out.blob.append(r.row.key_id);
  out.blob.append(Seal(master, plaintext, CiphertextAd(r.row.key_id, context)));
  sodium_memzero(master.data(), master.size());
  return out;
}

Result<KeyRing::Unwrapped> KeyRing::Decrypt(const Caller& caller, const std::string& key_ref,
                                            std::string_view blob, const EncryptionContext& context,
                                            std::string_view action) {
  auto invalid = [] {
    return InvalidArgument("InvalidCiphertextException: The ciphertext is invalid or was not made "
                           "with this key and encryption context");
  };
  if (blob.size() < 2) return invalid();
  const auto version = static_cast<unsigned char>(blob[0]);
  const size_t n = static_cast<unsigned char>(blob[1]);
  if ((version != kBlobVersion && version != kCiphertextVersion) ||
      blob.size() < 2 + n + kNonceBytes + kTagBytes)
    return invalid();
  std::string key_id(blob.substr(2, n));
  auto found = Resolve(key_id);
  if (!found) return found.error().code == ErrorCode::kNotFound ? Result<Unwrapped>(invalid()) : found.error();
  Resolved& r = *found;
  if (!key_ref.empty()) {
    PLB_ASSIGN_OR_RETURN(Resolved named, Resolve(key_ref));
    if (named.row.key_id != r.row.key_id)
      return InvalidArgument("IncorrectKeyException: The key ID in the request does not identify "
                             "the KMS key that was used to encrypt the ciphertext.");
  }
  PLB_TRY(Allowed(r, caller, action));
  PLB_TRY(Usable(r));
  if (version == kBlobVersion && !context.empty()) return invalid();
  PLB_ASSIGN_OR_RETURN(std::string master, MasterKey(r));
  std::string ad = version == kBlobVersion ? std::string(kDataAd) + r.row.key_id
                                           : CiphertextAd(r.row.key_id, context);
  auto plain = Unseal(master, blob.substr(2 + n), ad);
  sodium_memzero(master.data(), master.size());
  if (!plain) return invalid();
  return Unwrapped{r.row.arn, std::move(*plain)};
}

Status KeyRing::SetEnabled(const Caller& caller, const std::string& ref, bool enabled) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, enabled ? "kms:EnableKey" : "kms:DisableKey"));
  PLB_TRY(Manageable(r));
  const int64_t now = ToEpochMs(clock_.Now());
  return store_.UpdateKmsKey(r.row.key_id, [&](store::KmsKey& k) -> Status {
    if (k.deletion_ms)
      return Conflict("KMSInvalidStateException: " + k.arn + " is pending deletion.");
    k.enabled = enabled;
    k.modified_ms = now;
    return {};
  });
}

Result<KeyInfo> KeyRing::ScheduleDeletion(const Caller& caller, const std::string& ref, int days) {
  if (days < 7 || days > 30)
    return InvalidArgument("ValidationException: PendingWindowInDays must be between 7 and 30");
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:ScheduleKeyDeletion"));
  PLB_TRY(Manageable(r));
  const int64_t now = ToEpochMs(clock_.Now());
  store::KmsKey after;
  PLB_TRY(store_.UpdateKmsKey(r.row.key_id, [&](store::KmsKey& k) -> Status {
    if (k.deletion_ms)
      return Conflict("KMSInvalidStateException: " + k.arn + " is pending deletion.");
    k.deletion_ms = now + int64_t{days} * 86400 * 1000;
    k.enabled = false;
    k.modified_ms = now;
    after = k;
    return {};
  }));
  return Info(after);
}

Result<KeyInfo> KeyRing::CancelDeletion(const Caller& caller, const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:CancelKeyDeletion"));
  PLB_TRY(Manageable(r));
  const int64_t now = ToEpochMs(clock_.Now());
  store::KmsKey after;
  PLB_TRY(store_.UpdateKmsKey(r.row.key_id, [&](store::KmsKey& k) -> Status {
    if (!k.deletion_ms)
      return Conflict("KMSInvalidStateException: " + k.arn + " is not pending deletion.");
    k.deletion_ms = 0;
    k.enabled = false;  // AWS leaves a cancelled key Disabled
    k.modified_ms = now;
    after = k;
    return {};
  }));
  return Info(after);
}

Status KeyRing::CreateAlias(const Caller& caller, const std::string& alias, const std::string& target) {
  PLB_ASSIGN_OR_RETURN(std::string name, NormalizeNewAlias(alias));
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(target));
  PLB_TRY(Allowed(r, caller, "kms:CreateAlias"));
  PLB_TRY(Manageable(r));
  if (r.row.deletion_ms) PLB_TRY(Usable(r));
  const int64_t now = ToEpochMs(clock_.Now());
  auto s = store_.CreateKmsAlias({name, r.row.key_id, now, now});
  if (!s && s.error().code == ErrorCode::kAlreadyExists)
    return AlreadyExists("AlreadyExistsException: An alias with the name " + ArnFor(name) +
                         " already exists");
  return s;
}

Status KeyRing::UpdateAlias(const Caller& caller, const std::string& alias, const std::string& target) {
  PLB_ASSIGN_OR_RETURN(std::string name, NormalizeNewAlias(alias));
  PLB_ASSIGN_OR_RETURN(Resolved current, Resolve(name));
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(target));
  PLB_TRY(Allowed(current, caller, "kms:UpdateAlias"));
  PLB_TRY(Allowed(r, caller, "kms:UpdateAlias"));
  PLB_TRY(Manageable(r));
  return store_.UpdateKmsAlias(name, r.row.key_id, ToEpochMs(clock_.Now()));
}

Status KeyRing::DeleteAlias(const Caller& caller, const std::string& alias) {
  PLB_ASSIGN_OR_RETURN(std::string name, NormalizeNewAlias(alias));
  auto r = Resolve(name);
  if (!r) {
    if (r.error().code == ErrorCode::kNotFound)
      return NotFound("NotFoundException: Alias " + ArnFor(name) + " is not found.");
    return r.error();
  }
  PLB_TRY(Allowed(*r, caller, "kms:DeleteAlias"));
  return store_.DeleteKmsAlias(name);
}

Result<std::vector<store::KmsAlias>> KeyRing::ListAliases(const std::string& key_ref) {
  std::string key_id;
  if (!key_ref.empty()) {
    PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(key_ref));
    key_id = r.row.key_id;
  }
  PLB_ASSIGN_OR_RETURN(auto all, store_.ListKmsAliases());
  // AWS lists its managed aliases too; this one exists from its first use.
  std::vector<store::KmsAlias> out;
  for (auto& a : all)
    if (key_id.empty() || a.key_id == key_id) out.push_back(std::move(a));
  return out;
}

Result<std::string> KeyRing::GetKeyPolicy(const Caller& caller, const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:GetKeyPolicy"));
  return AwsFormOf(r.row.policy_json, options_.account_id);
}

Status KeyRing::PutKeyPolicy(const Caller& caller, const std::string& ref, const std::string& policy) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:PutKeyPolicy"));
  PLB_TRY(Manageable(r));
  PLB_TRY(ParseKeyPolicy(policy, options_.account_id));
  const int64_t now = ToEpochMs(clock_.Now());
  return store_.UpdateKmsKey(r.row.key_id, [&](store::KmsKey& k) -> Status {
    k.policy_json = policy;
    k.modified_ms = now;
    return {};
  });
}

Status KeyRing::TagResource(const Caller& caller, const std::string& ref, const std::vector<Tag>& tags) {
  for (const auto& t : tags)
    if (t.key.empty() || t.key.size() > 128 || t.value.size() > 256 || t.key.rfind("aws:", 0) == 0)
      return InvalidArgument("TagException: bad tag key or value '" + t.key + "'");
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:TagResource"));
  PLB_TRY(Manageable(r));
  const int64_t now = ToEpochMs(clock_.Now());
  return store_.UpdateKmsKey(r.row.key_id, [&](store::KmsKey& k) -> Status {
    auto have = TagsOf(k.tags_json);
    for (const auto& t : tags) {
      auto it = std::find_if(have.begin(), have.end(), [&](const Tag& h) { return h.key == t.key; });
      if (it != have.end()) it->value = t.value;
      else have.push_back(t);
    }
    if (have.size() > 50) return InvalidArgument("TagException: a key holds at most 50 tags");
    k.tags_json = TagsJson(have);
    k.modified_ms = now;
    return {};
  });
}

Status KeyRing::UntagResource(const Caller& caller, const std::string& ref,
                              const std::vector<std::string>& tag_keys) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:UntagResource"));
  PLB_TRY(Manageable(r));
  const int64_t now = ToEpochMs(clock_.Now());
  return store_.UpdateKmsKey(r.row.key_id, [&](store::KmsKey& k) -> Status {
    auto have = TagsOf(k.tags_json);
    std::erase_if(have, [&](const Tag& t) {
      return std::find(tag_keys.begin(), tag_keys.end(), t.key) != tag_keys.end();
    });
    k.tags_json = TagsJson(have);
    k.modified_ms = now;
    return {};
  });
}

Result<std::vector<Tag>> KeyRing::ListResourceTags(const Caller& caller, const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Allowed(r, caller, "kms:ListResourceTags"));
  return TagsOf(r.row.tags_json);
}

}  // namespace plumbline::kms
