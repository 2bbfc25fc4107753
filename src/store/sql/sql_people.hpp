// Users, groups, sessions, access keys, work teams, KMS keys and aliases,
// invitations and the audit log, written once for both SQL stores (SQLite
// and PostgreSQL): a base class of each store (CRTP) that implements these
// Store operations over the store's own statements and transactions. The
// definitions are in sql_people_impl.hpp, compiled once per store in its
// people_ops.cpp (an explicit instantiation); other files see only these
// declarations.
//
// The store S is a friend of its base and provides:
//   Query Q(const char* sql)     a prepared statement (Bind, Step, Int, Text),
//                                cached by the pointer: pass string literals
//   Txn<T>(ChangeSet, fn), Read<T>(fn)
//                                a write transaction (announcing the changes)
//                                and a read, each returning Result<T>
//   int64_t Changes()            rows the last statement changed
//   sealer_, sessions_           the secrets' sealer (optional) and the
//                                session cache
//   IdentityVersion()            Store's, read the store's own way
//   S::Dialect                   the statements whose SQL differs between
//                                the two dialects (case-insensitive names,
//                                the clock, row locks): kUserNamed,
//                                kUserByName, kTeamNamed, kTeamByName,
//                                kTeamByArn, kPutAccessKey, kRunningJobOfTeam,
//                                kInvitationForUpdate (and SqlFunctions'
//                                kFunctionForUpdate)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/sql/columns.hpp"
#include "store/store.hpp"

namespace plumbline::store::sql {

template <class S>
class SqlPeople : public Store {
 public:
  // people
  Result<User> CreateUser(const User& user) override;
  Result<User> GetUserByName(const std::string& username) override;
  Result<User> GetUser(int64_t id) override;
  Result<std::vector<User>> ListUsers() override;
  Status SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) override;
  Status PutAccessKey(const AccessKey& key) override;
  Result<std::optional<AccessKey>> FindAccessKey(const std::string& id) override;
  Status PutSession(const Session& s) override;
  Result<std::optional<SessionUser>> FindSession(const std::string& token,
                                                 SessionCheck check) override;
  Status DeleteSession(const std::string& token) override;

  // work teams
  Result<Workteam> CreateWorkteam(const Workteam& team) override;
  Result<Workteam> GetWorkteamByName(const std::string& name) override;
  Result<Workteam> GetWorkteamByArn(const std::string& arn) override;
  Result<std::vector<Workteam>> ListWorkteams() override;
  Result<Workteam> UpdateWorkteam(const Workteam& team) override;
  Status DeleteWorkteam(const std::string& name) override;

  // KMS keys, account lifecycle, audit, invitations
  Status CreateKmsKey(const KmsKey& k) override;
  Result<KmsKey> GetKmsKey(const std::string& key_id) override;
  Result<KmsKey> GetKmsKeyByAlias(const std::string& alias) override;
  Result<std::vector<KmsKey>> ListKmsKeys() override;
  Status SetKmsKeyEnabled(const std::string& key_id, bool enabled, int64_t now_ms) override;
  Status UpdateKmsKey(const std::string& key_id,
                      const std::function<Status(KmsKey&)>& change) override;
  Status DeleteKmsKey(const std::string& key_id) override;
  Status CreateKmsAlias(const KmsAlias& alias) override;
  Status UpdateKmsAlias(const std::string& alias, const std::string& key_id,
                        int64_t now_ms) override;
  Status DeleteKmsAlias(const std::string& alias) override;
  Result<std::vector<KmsAlias>> ListKmsAliases() override;
  Status SetUserDisabled(int64_t user_id, bool disabled) override;
  Status SetUserPassword(int64_t user_id, const std::string& password_hash) override;
  Result<std::vector<AccessKeyInfo>> ListAccessKeys(std::optional<int64_t> user_id) override;
  Status RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) override;
  Status AppendAudit(const AuditEntry& e) override;
  Result<std::vector<AuditEntry>> ListAudit(int64_t since_ms, size_t limit) override;
  Status CreateInvitation(const Invitation& invitation) override;
  Result<Invitation> GetInvitation(const std::string& token_hash) override;
  Result<std::vector<Invitation>> ListInvitations() override;
  Result<User> AcceptInvitation(const std::string& token_hash, const User& user,
                                int64_t now_ms) override;

 protected:
  // Inside a transaction or a read.
  std::vector<std::string> ReadGroups(int64_t user_id);
  void WriteGroups(int64_t user_id, const std::vector<std::string>& groups);
  // `column`: "name" or "arn".
  Result<Workteam> ReadTeam(const char* column, const std::string& value);
  // The session, its user and the identity version in one snapshot (the
  // session cache's loader).
  Result<std::optional<std::pair<Session, User>>> FindSessionUserUncached(const std::string& token,
                                                                          int64_t* version);
  // Bumps the identity version inside the current write transaction; every
  // change of users, groups, passwords, sessions ending or access keys calls
  // it, so that session caches in every process sharing the database see it.
  void BumpIdentityVersion();
  int64_t ReadIdentityVersion();
  // Seals every secret still stored in plaintext (databases made, or rows
  // copied from an installation made, before encryption at rest), in one
  // transaction. Only with a sealer.
  Status SealPlaintextSecrets();

  // The store itself (CRTP); the derived bases use it too.
  S& self() { return static_cast<S&>(*this); }
};

}  // namespace plumbline::store::sql
