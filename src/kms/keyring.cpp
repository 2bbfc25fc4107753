#include "kms/kms.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "kms/detail/keyring_impl.hpp"
#include "kms/policy.hpp"
#include "store/store.hpp"

namespace plumbline::kms {

using crypto::DataKey;
using crypto::kDataKeyBytes;
namespace {

Result<std::string> HexDecode32(std::string_view hex, const std::string& what) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' '))
    hex.remove_suffix(1);
  std::string out(32, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (hex.size() != 64 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, &end) != 0 ||
      len != 32)
    return InvalidArgument(what + " must be 64 hexadecimal characters (32 bytes)");
  return out;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Result<std::string>(NotFound(path))
                                     : Result<std::string>(Unavailable(Errno("cannot read " + path)));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    ::close(fd);
    return InvalidArgument(path + " must be readable by its owner only (chmod 600)");
  }
  std::string out(256, '\0');
  ssize_t n = ::read(fd, out.data(), out.size());
  ::close(fd);
  if (n < 0) return Unavailable(Errno("cannot read " + path));
  out.resize(static_cast<size_t>(n));
  return out;
}

// KMS aliases: alias/<name>, name of letters, digits, / _ -; alias/aws/ is AWS's.
Result<std::string> NormalizeAlias(std::string alias) {
  if (alias.empty()) return alias;
  if (alias.rfind("alias/", 0) != 0) alias = "alias/" + alias;
  std::string_view name = std::string_view(alias).substr(6);
  if (name.empty() || name.size() > 250 || name.rfind("aws/", 0) == 0)
    return InvalidArgument("bad alias " + alias);
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-')
      return InvalidArgument("bad alias " + alias + ": only letters, digits, '/', '_' and '-'");
  return alias;
}

// The account field of an ARN (arn:aws:kms:<region>:<account>:key/<id>); "" if none.
std::string ArnAccount(const std::string& arn) {
  size_t start = 0;
  for (int field = 0; field < 4; ++field) {
    size_t colon = arn.find(':', start);
    if (colon == std::string::npos) return "";
    start = colon + 1;
  }
  size_t end = arn.find(':', start);
  return end == std::string::npos ? "" : arn.substr(start, end - start);
}

// The users of this account whose ARNs the key policy (either form) names
// and lets decrypt, in the order the policy names them. Policies of both
// forms are read: the legacy {"AllowDecrypt": [...]} and AWS documents (a
// key created with users gets AWS's default policy naming their ARNs).
std::vector<std::string> PolicyUsers(const std::string& policy_json, const std::string& account_id) {
  std::vector<std::string> out;
  auto policy = ParseKeyPolicy(policy_json, account_id);
  if (!policy) return out;
  const std::string user_prefix = "arn:aws:iam::" + account_id + ":user/";
  const std::string root_arn = "arn:aws:iam::" + account_id + ":root";
  for (const auto& s : policy->statements) {
    for (const auto& p : s.principals) {
      if (p.size() <= user_prefix.size() || p.compare(0, user_prefix.size(), user_prefix) != 0)
        continue;
      std::string name = p.substr(user_prefix.size());
      if (std::find(out.begin(), out.end(), name) != out.end()) continue;
      if (Evaluate(*policy, {p}, "kms:Decrypt", root_arn) == PolicyDecision::kAllow)
        out.push_back(std::move(name));
    }
  }
  return out;
}

}  // namespace

KeyInfo Info(const store::KmsKey& k) {
  KeyInfo i{k.key_id, k.arn, k.alias, k.description, k.enabled, k.created_ms,
            PolicyUsers(k.policy_json, ArnAccount(k.arn))};
  i.key_manager = k.key_manager;
  i.deletion_ms = k.deletion_ms;
  i.state = k.deletion_ms ? "PendingDeletion" : k.enabled ? "Enabled" : "Disabled";
  return i;
}

std::pair<std::string, std::string> SplitException(const std::string& message) {
  size_t colon = message.find(": ");
  if (colon == std::string::npos || colon < 9 || message.compare(colon - 9, 9, "Exception") != 0)
    return {"", message};
  for (size_t i = 0; i < colon; ++i)
    if (!std::isalpha(static_cast<unsigned char>(message[i]))) return {"", message};
  return {message.substr(0, colon), message.substr(colon + 2)};
}

Result<std::string> LoadOrCreateRootSecret(const KeyRingOptions& options) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  if (!options.root_key_hex.empty()) return HexDecode32(options.root_key_hex, "the KMS root key");
  if (const char* env = std::getenv("PLUMBLINE_KMS_ROOT_KEY"); env && *env)
    return HexDecode32(env, "PLUMBLINE_KMS_ROOT_KEY");
  if (options.data_dir.empty()) return InvalidArgument("no data dir for the KMS root key");
  const std::string path = options.data_dir + "/kms-root.key";
  auto existing = ReadSmallFile(path);
  if (existing) return HexDecode32(*existing, path);
  if (existing.error().code != ErrorCode::kNotFound) return existing.error();
  // Create it beside, then link() into place: link fails if another process
  // (the server, another CLI) won the race, and nobody ever reads a partial file.
  const std::string tmp = path + ".tmp-" + RandomHex(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable(Errno("cannot create " + tmp));
  std::string secret = RandomBytes(32);
  std::string text = ToHex(U(secret), secret.size()) + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return Unavailable(Errno("cannot write " + tmp));
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err != EEXIST) {
      errno = err;
      return Unavailable(Errno("cannot create " + path));
    }
    PLB_ASSIGN_OR_RETURN(std::string theirs, ReadSmallFile(path));
    return HexDecode32(theirs, path);
  }
  return secret;
}


KeyRing::KeyRing(store::Store& store, KeyRingOptions options, std::string root, const Clock& clock)
    : store_(store), options_(std::move(options)), root_(std::move(root)), clock_(clock) {}

KeyRing::~KeyRing() { sodium_memzero(root_.data(), root_.size()); }

Result<std::unique_ptr<KeyRing>> KeyRing::Open(store::Store& store, const KeyRingOptions& options,
                                               const Clock& clock) {
  PLB_ASSIGN_OR_RETURN(std::string root, LoadOrCreateRootSecret(options));
  return std::unique_ptr<KeyRing>(new KeyRing(store, options, std::move(root), clock));
}

Result<KeyRing::Resolved> KeyRing::Resolve(const std::string& ref) {
  auto not_found = [&] { return NotFound("Key '" + ref + "' does not exist"); };
  if (ref.empty()) return not_found();
  Result<store::KmsKey> row = not_found();
  std::string alias;
  std::string arn_prefix;  // "arn:aws:kms:<region>:<account>:" when ref is an ARN
  const std::string own_prefix = "arn:aws:kms:" + options_.region + ":" + options_.account_id + ":";
  if (ref.rfind("arn:", 0) == 0) {
    // arn:aws:kms:<region>:<account>:key/<id> | :alias/<name>. Keys are
    // regional, as in AWS: the ARN's partition, region and account must be
    // the key's own (another region's ARN names another key).
    std::vector<std::string> parts;
    size_t i = 0;
    for (int n = 0; n < 5; ++n) {
      size_t c = ref.find(':', i);
      if (c == std::string::npos) return not_found();
      parts.push_back(ref.substr(i, c - i));
      i = c + 1;
    }
    std::string resource = ref.substr(i);
    if (parts[1] != "aws" || parts[2] != "kms" || parts[4] != options_.account_id) return not_found();
    arn_prefix = ref.substr(0, i);
    if (resource.rfind("key/", 0) == 0) row = store_.GetKmsKey(resource.substr(4));
    else if (resource.rfind("alias/", 0) == 0) row = store_.GetKmsKeyByAlias(alias = resource);
    else return not_found();
  } else if (ref.rfind("alias/", 0) == 0) {
    row = store_.GetKmsKeyByAlias(alias = ref);
  } else {
    row = store_.GetKmsKey(ref);
  }
  // The managed key is created on first use in this ring's own region only.
  if (!row && row.error().code == ErrorCode::kNotFound && alias == kManagedAlias &&
      (arn_prefix.empty() || arn_prefix == own_prefix))
    row = CreateManagedKey();
  if (!row) return row.error().code == ErrorCode::kNotFound ? not_found() : row.error();
  if (!arn_prefix.empty() && row->arn.rfind(arn_prefix, 0) != 0) return not_found();
  // A key whose deletion window has passed is gone.
  if (row->deletion_ms && row->deletion_ms <= ToEpochMs(clock_.Now())) {
    auto d = store_.DeleteKmsKey(row->key_id);
    if (!d && d.error().code != ErrorCode::kNotFound) return d.error();
    return not_found();
  }
  return Resolved{std::move(*row)};
}

Result<store::KmsKey> KeyRing::CreateManagedKey() {
  store::KmsKey k;
  k.key_id = RandomUuid();
  k.arn = "arn:aws:kms:" + options_.region + ":" + options_.account_id + ":key/" + k.key_id;
  k.alias = std::string(kManagedAlias);
  k.description = "Default key that protects my S3 objects when no other key is defined";
  std::string master = RandomBytes(32);
  std::string sealed = Seal(root_, master, std::string(kMasterAd) + k.key_id);
  sodium_memzero(master.data(), master.size());
  k.wrapped_key = ToHex(U(sealed), sealed.size());
  k.policy_json = ManagedKeyPolicy(options_.account_id);
  k.key_manager = "AWS";
  k.created_ms = k.modified_ms = ToEpochMs(clock_.Now());
  auto created = store_.CreateKmsKey(k);
  // Two first uses at once: the other one's key is the managed key.
  if (!created && created.error().code == ErrorCode::kAlreadyExists)
    return store_.GetKmsKeyByAlias(std::string(kManagedAlias));
  if (!created) return created.error();
  return k;
}

Result<std::string> KeyRing::MasterKey(const Resolved& key) {
  std::string sealed(key.row.wrapped_key.size() / 2, '\0');
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(sealed.data()), sealed.size(),
                     key.row.wrapped_key.data(), key.row.wrapped_key.size(), nullptr, &len,
                     nullptr) != 0)
    return Internal("key " + key.row.key_id + " has a malformed stored master key");
  sealed.resize(len);
  auto master = Unseal(root_, sealed, std::string(kMasterAd) + key.row.key_id);
  if (!master || master->size() != 32)
    return Internal("key " + key.row.key_id +
                    " cannot be unsealed: the KMS root secret is not the one it was created with");
  return master;
}

Result<KeyInfo> KeyRing::CreateKey(const CreateKeyRequest& request) {
  PLB_ASSIGN_OR_RETURN(std::string alias, NormalizeAlias(request.alias));
  std::vector<std::string> users;
  for (const auto& u : request.allowed_users) {
    if (u.empty() || u.size() > 128) return InvalidArgument("bad user name '" + u + "' in the key policy");
    users.push_back("arn:aws:iam::" + options_.account_id + ":user/" + u);
  }
  if (request.description.size() > 8192) return InvalidArgument("the description is too long");
  std::string policy = request.policy.empty() ? DefaultKeyPolicy(options_.account_id, users)
                                              : request.policy;
  PLB_TRY(ParseKeyPolicy(policy, options_.account_id));
  store::KmsKey k;
  k.key_id = RandomUuid();
  k.arn = "arn:aws:kms:" + options_.region + ":" + options_.account_id + ":key/" + k.key_id;
  k.alias = alias;
  k.description = request.description;
  std::string master = RandomBytes(32);
  std::string sealed = Seal(root_, master, std::string(kMasterAd) + k.key_id);
  sodium_memzero(master.data(), master.size());
  k.wrapped_key = ToHex(U(sealed), sealed.size());
  k.policy_json = policy;
  k.tags_json = TagsJson(request.tags);
  k.enabled = true;
  k.created_ms = k.modified_ms = ToEpochMs(clock_.Now());
  auto created = store_.CreateKmsKey(k);
  if (!created) {
    if (created.error().code == ErrorCode::kAlreadyExists)
      return AlreadyExists("AlreadyExistsException: An alias with the name " + ArnFor(alias) +
                           " already exists");
    return created.error();
  }
  return Info(k);
}

Result<KeyInfo> KeyRing::DescribeKey(const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  return Info(r.row);
}

Result<std::vector<KeyInfo>> KeyRing::ListKeys() {
  PLB_ASSIGN_OR_RETURN(auto rows, store_.ListKmsKeys());
  std::vector<KeyInfo> out;
  const int64_t now = ToEpochMs(clock_.Now());
  for (const auto& r : rows) {
    if (r.deletion_ms && r.deletion_ms <= now) {
      (void)store_.DeleteKmsKey(r.key_id);
      continue;
    }
    out.push_back(Info(r));
  }
  return out;
}

std::string KeyRing::ArnFor(const std::string& ref) const {
  if (ref.rfind("arn:", 0) == 0) return ref;
  std::string prefix = "arn:aws:kms:" + options_.region + ":" + options_.account_id + ":";
  return prefix + (ref.rfind("alias/", 0) == 0 ? ref : "key/" + ref);
}

Status KeyRing::DisableKey(const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  return store_.SetKmsKeyEnabled(r.row.key_id, false, ToEpochMs(clock_.Now()));
}

Status KeyRing::EnableKey(const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  return store_.SetKmsKeyEnabled(r.row.key_id, true, ToEpochMs(clock_.Now()));
}

Status KeyRing::CheckKeyUsable(const std::string& ref) {
  auto r = Resolve(ref);
  if (!r) {
    if (r.error().code == ErrorCode::kNotFound)
      return InvalidArgument("KmsKeyId '" + ref + "' does not name a key of this installation");
    return r.error();
  }
  if (auto u = Usable(*r); !u) return InvalidArgument("KmsKeyId '" + ref + "': " + SplitException(u.error().message).second);
  return {};
}

Result<DataKey> KeyRing::GenerateDataKey(const std::string& ref) {
  PLB_ASSIGN_OR_RETURN(Resolved r, Resolve(ref));
  PLB_TRY(Usable(r));
  PLB_ASSIGN_OR_RETURN(std::string master, MasterKey(r));
  DataKey dk;
  dk.key_arn = r.row.arn;
  dk.plaintext = RandomBytes(kDataKeyBytes);
  dk.wrapped.push_back(static_cast<char>(kBlobVersion));
  dk.wrapped.push_back(static_cast<char>(r.row.key_id.size()));
  dk.wrapped.append(r.row.key_id);
  dk.wrapped.append(Seal(master, dk.plaintext, std::string(kDataAd) + r.row.key_id));
  sodium_memzero(master.data(), master.size());
  return dk;
}

Result<KeyRing::Unwrapped> KeyRing::DecryptDataKey(const std::string& key_ref, std::string_view blob,
                                                   const Caller& caller) {
  PLB_ASSIGN_OR_RETURN(Unwrapped u, Decrypt(caller, key_ref, blob, {}));
  if (u.plaintext.size() != kDataKeyBytes)
    return InvalidArgument("InvalidCiphertextException: the ciphertext is not a data key");
  return u;
}

}  // namespace plumbline::kms
