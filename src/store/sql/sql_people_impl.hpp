// The definitions of SqlPeople (sql_people.hpp): included once per store,
// by its people_ops.cpp, after the store's header, and instantiated there.
#pragma once

#include <algorithm>
#include <climits>

#include "store/sql/sql_people.hpp"

namespace plumbline::store::sql {

namespace people_detail {

template <class Query>
User ReadUser(const Query& q) {
  User u;
  u.id = q.Int(0);
  u.username = q.Text(1);
  u.password_hash = q.Text(2);
  u.is_admin = q.Int(3) != 0;
  u.disabled = q.Int(4) != 0;
  u.worker_key = q.Text(5);
  u.sub = q.Text(6);
  return u;
}
template <class Query>
KmsKey ReadKmsKey(const Query& q) {
  KmsKey k{q.Text(0), q.Text(1),     q.Text(2), q.Text(3), q.Text(4),
           q.Text(5), q.Int(6) != 0, q.Int(7),  q.Int(8)};
  k.key_manager = q.Text(9);
  k.deletion_ms = q.Int(10);
  k.tags_json = q.Text(11);
  return k;
}
inline std::string JoinGroups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups) {
    if (!out.empty()) out += '\n';
    out += g;
  }
  return out;
}
inline std::vector<std::string> SplitGroups(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = std::min(text.find('\n', at), text.size());
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}
template <class Query>
Invitation ReadInvitation(const Query& q) {
  Invitation i;
  i.token_hash = q.Text(0);
  i.username = q.Text(1);
  i.groups = SplitGroups(q.Text(2));
  i.is_admin = q.Int(3) != 0;
  i.invited_by = q.Text(4);
  i.created_ms = q.Int(5);
  i.expires_ms = q.Int(6);
  i.used_ms = q.Int(7);
  return i;
}

}  // namespace people_detail
template <class S>
std::vector<std::string> SqlPeople<S>::ReadGroups(int64_t user_id) {
  std::vector<std::string> out;
  auto q = self().Q("SELECT group_name FROM user_groups WHERE user_id=? ORDER BY group_name");
  q.Bind(1, user_id);
  while (q.Step()) out.push_back(q.Text(0));
  return out;
}
template <class S>
void SqlPeople<S>::WriteGroups(int64_t user_id, const std::vector<std::string>& groups) {
  for (const auto& g : groups)
    self()
        .Q("INSERT INTO user_groups(user_id,group_name) VALUES(?,?) ON CONFLICT DO NOTHING")
        .Bind(1, user_id)
        .Bind(2, g)
        .Step();
}
template <class S>
Result<Workteam> SqlPeople<S>::ReadTeam(const char* column, const std::string& value) {
  Workteam t;
  {
    auto q =
        self().Q(std::string(column) == "name" ? S::Dialect::kTeamByName : S::Dialect::kTeamByArn);
    q.Bind(1, value);
    if (!q.Step()) return NotFound("Workteam " + value + " does not exist");
    t.id = q.Int(0);
    t.name = q.Text(1);
    t.arn = q.Text(2);
    t.doc_json = q.Text(3);
    t.created_ms = q.Int(4);
    t.updated_ms = q.Int(5);
  }
  auto g =
      self().Q("SELECT group_name FROM workteam_groups WHERE workteam_id=? ORDER BY group_name");
  g.Bind(1, t.id);
  while (g.Step()) t.groups.push_back(g.Text(0));
  return t;
}

// ---------------- people ----------------
template <class S>
Result<User> SqlPeople<S>::CreateUser(const User& user) {
  return self().template Txn<User>(changes::kPeople, [&]() -> Result<User> {
    {
      auto q = self().Q(S::Dialect::kUserNamed);
      q.Bind(1, user.username);
      if (q.Step()) return AlreadyExists("user '" + user.username + "' already exists");
    }
    auto ins = self().Q(
        "INSERT INTO users(username,password_hash,is_admin,disabled,worker_key,sub) "
        "VALUES(?,?,?,?,?,?) RETURNING id");
    ins.Bind(1, user.username)
        .Bind(2, user.password_hash)
        .Bind(3, int64_t{user.is_admin})
        .Bind(4, int64_t{user.disabled})
        .Bind(5, user.worker_key)
        .Bind(6, user.sub)
        .Step();
    User out = user;
    out.id = ins.Int(0);
    WriteGroups(out.id, user.groups);
    return out;
  });
}
template <class S>
Result<User> SqlPeople<S>::GetUserByName(const std::string& username) {
  return self().template Read<User>([&]() -> Result<User> {
    auto q = self().Q(S::Dialect::kUserByName);
    q.Bind(1, username);
    if (!q.Step()) return NotFound("no user named '" + username + "'");
    User u = people_detail::ReadUser(q);
    u.groups = ReadGroups(u.id);
    return u;
  });
}
template <class S>
Result<User> SqlPeople<S>::GetUser(int64_t id) {
  return self().template Read<User>([&]() -> Result<User> {
    auto q = self().Q(kUserSelect " WHERE id=?");
    q.Bind(1, id);
    if (!q.Step()) return NotFound("no user with id " + std::to_string(id));
    User u = people_detail::ReadUser(q);
    u.groups = ReadGroups(u.id);
    return u;
  });
}
template <class S>
Result<std::vector<User>> SqlPeople<S>::ListUsers() {
  return self().template Read<std::vector<User>>([&]() -> Result<std::vector<User>> {
    std::vector<User> out;
    {
      auto q = self().Q(kUserSelect " ORDER BY username");
      while (q.Step()) out.push_back(people_detail::ReadUser(q));
    }
    for (auto& u : out) u.groups = ReadGroups(u.id);
    return out;
  });
}
template <class S>
Status SqlPeople<S>::SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    BumpIdentityVersion();
    self().Q("DELETE FROM user_groups WHERE user_id=?").Bind(1, user_id).Step();
    WriteGroups(user_id, groups);
    return {};
  });
}
template <class S>
Status SqlPeople<S>::PutAccessKey(const AccessKey& key) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    BumpIdentityVersion();
    std::string stored = key.secret;
    if (self().sealer_) {
      PLB_ASSIGN_OR_RETURN(stored, self().sealer_->seal(key.secret, key.access_key_id));
    }
    self()
        .Q(S::Dialect::kPutAccessKey)
        .Bind(1, key.access_key_id)
        .Bind(2, stored)
        .Bind(3, key.user_id)
        .Bind(4, int64_t{key.is_root})
        .Step();
    return {};
  });
}
template <class S>
Result<std::optional<AccessKey>> SqlPeople<S>::FindAccessKey(const std::string& id) {
  return self().template Read<std::optional<AccessKey>>([&]() -> Result<std::optional<AccessKey>> {
    // Revoked keys are invisible to authentication.
    auto q = self().Q(
        "SELECT access_key_id,secret,user_id,is_root FROM access_keys "
        "WHERE access_key_id=? AND revoked_ms=0");
    q.Bind(1, id);
    if (!q.Step()) return std::optional<AccessKey>();
    AccessKey k{q.Text(0), q.Text(1), q.Int(2), q.Int(3) != 0};
    if (self().sealer_ && self().sealer_->is_sealed(k.secret)) {
      auto plain = self().sealer_->open(k.secret, k.access_key_id);
      if (!plain)
        return Internal("the secret of access key " + k.access_key_id +
                        " cannot be opened (wrong secrets key?)");
      k.secret = std::move(*plain);
    }
    return std::optional<AccessKey>(std::move(k));
  });
}
template <class S>
Status SqlPeople<S>::PutSession(const Session& s) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    self()
        .Q("INSERT INTO sessions(token,user_id,csrf_token,expires_ms) VALUES(?,?,?,?)")
        .Bind(1, s.token)
        .Bind(2, s.user_id)
        .Bind(3, s.csrf_token)
        .Bind(4, s.expires_ms)
        .Step();
    return {};
  });
}
// Cached (SessionCache): every request of a signed-in worker asks. Every
// change that could make an entry stale bumps the identity version in its
// own transaction, in this process or another one sharing the database; a
// kCurrent lookup reads the version first (IdentityVersion, each store's
// way), so its hit is never older than the last such change.
template <class S>
Result<std::optional<SessionUser>> SqlPeople<S>::FindSession(const std::string& token,
                                                             SessionCheck check) {
  return self().sessions_.Find(
      token, check, [this] { return IdentityVersion(); },
      [this](const std::string& t, int64_t* version) {
        return FindSessionUserUncached(t, version);
      });
}
// The session, its user and the identity version in one snapshot.
template <class S>
Result<std::optional<std::pair<Session, User>>> SqlPeople<S>::FindSessionUserUncached(
    const std::string& token, int64_t* version) {
  using Out = std::optional<std::pair<Session, User>>;
  return self().template Read<Out>([&]() -> Result<Out> {
    *version = ReadIdentityVersion();
    auto q = self().Q(
        "SELECT u.id,u.username,u.password_hash,u.is_admin,u.disabled,u.worker_key,u.sub,"
        "s.token,s.user_id,s.csrf_token,s.expires_ms FROM sessions s JOIN users u "
        "ON u.id=s.user_id WHERE s.token=?");
    q.Bind(1, token);
    if (!q.Step()) return Out();
    User u = people_detail::ReadUser(q);
    Session s{q.Text(7), q.Int(8), q.Text(9), q.Int(10)};
    u.groups = ReadGroups(u.id);
    return Out(std::make_pair(std::move(s), std::move(u)));
  });
}
template <class S>
int64_t SqlPeople<S>::ReadIdentityVersion() {
  auto q = self().Q("SELECT version FROM identity_version WHERE id=1");
  return q.Step() ? q.Int(0) : 0;
}
template <class S>
void SqlPeople<S>::BumpIdentityVersion() {
  self().Q("UPDATE identity_version SET version=version+1 WHERE id=1").Step();
}
template <class S>
Status SqlPeople<S>::DeleteSession(const std::string& token) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    BumpIdentityVersion();
    self().Q("DELETE FROM sessions WHERE token=?").Bind(1, token).Step();
    return {};
  });
}

// ---------------- work teams ----------------
template <class S>
Result<Workteam> SqlPeople<S>::CreateWorkteam(const Workteam& team) {
  return self().template Txn<Workteam>(changes::kTeams, [&]() -> Result<Workteam> {
    {
      auto q = self().Q(S::Dialect::kTeamNamed);
      q.Bind(1, team.name);
      if (q.Step()) return AlreadyExists("Workteam " + team.name + " already exists");
    }
    auto ins = self().Q(
        "INSERT INTO workteams(name,arn,doc,created_ms,updated_ms) VALUES(?,?,?,?,?) "
        "RETURNING id");
    ins.Bind(1, team.name)
        .Bind(2, team.arn)
        .Bind(3, team.doc_json)
        .Bind(4, team.created_ms)
        .Bind(5, team.updated_ms)
        .Step();
    Workteam out = team;
    out.id = ins.Int(0);
    for (const auto& g : team.groups)
      self()
          .Q("INSERT INTO workteam_groups(workteam_id,group_name) VALUES(?,?) ON CONFLICT DO "
             "NOTHING")
          .Bind(1, out.id)
          .Bind(2, g)
          .Step();
    return out;
  });
}
template <class S>
Result<Workteam> SqlPeople<S>::GetWorkteamByName(const std::string& name) {
  return self().template Read<Workteam>(
      [&]() -> Result<Workteam> { return ReadTeam("name", name); });
}
template <class S>
Result<Workteam> SqlPeople<S>::GetWorkteamByArn(const std::string& arn) {
  return self().template Read<Workteam>([&]() -> Result<Workteam> { return ReadTeam("arn", arn); });
}
template <class S>
Result<std::vector<Workteam>> SqlPeople<S>::ListWorkteams() {
  return self().template Read<std::vector<Workteam>>([&]() -> Result<std::vector<Workteam>> {
    std::vector<std::string> names;
    {
      auto q = self().Q("SELECT name FROM workteams ORDER BY created_ms, id");
      while (q.Step()) names.push_back(q.Text(0));
    }
    std::vector<Workteam> out;
    for (const auto& n : names) {
      auto t = ReadTeam("name", n);
      if (t) out.push_back(std::move(*t));
    }
    return out;
  });
}

// ---------------- KMS keys ----------------
// A key's `alias` is its first alias by name (kms_keys.alias is no longer
// read: migration 7 moved aliases to kms_aliases).
#define kKmsSelect                                                                   \
  "SELECT key_id,arn,coalesce((SELECT min(a.alias) FROM kms_aliases a WHERE "        \
  "a.key_id=kms_keys.key_id),''),description,wrapped_key,policy,enabled,created_ms," \
  "modified_ms,key_manager,deletion_ms,tags FROM kms_keys"
template <class S>
Status SqlPeople<S>::CreateKmsKey(const KmsKey& k) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    {
      auto q = self().Q(
          "SELECT 1 FROM kms_keys WHERE key_id=?1 UNION ALL "
          "SELECT 1 FROM kms_aliases WHERE CAST(?2 AS TEXT)<>'' AND alias=CAST(?2 AS TEXT)");
      q.Bind(1, k.key_id).Bind(2, k.alias);
      if (q.Step())
        return AlreadyExists("a key with id " + k.key_id + " or alias " + k.alias + " exists");
    }
    self()
        .Q("INSERT INTO "
           "kms_keys(key_id,arn,alias,description,wrapped_key,policy,enabled,created_ms,"
           "modified_ms,key_manager,deletion_ms,tags) "
           "VALUES(?1,?2,NULL,?3,?4,?5,?6,?7,?8,?9,?10,?11)")
        .Bind(1, k.key_id)
        .Bind(2, k.arn)
        .Bind(3, k.description)
        .Bind(4, k.wrapped_key)
        .Bind(5, k.policy_json)
        .Bind(6, int64_t{k.enabled})
        .Bind(7, k.created_ms)
        .Bind(8, k.modified_ms)
        .Bind(9, k.key_manager)
        .Bind(10, k.deletion_ms)
        .Bind(11, k.tags_json)
        .Step();
    if (!k.alias.empty())
      self()
          .Q("INSERT INTO kms_aliases(alias,key_id,created_ms,modified_ms) VALUES(?1,?2,?3,?3)")
          .Bind(1, k.alias)
          .Bind(2, k.key_id)
          .Bind(3, k.created_ms)
          .Step();
    return {};
  });
}
template <class S>
Result<KmsKey> SqlPeople<S>::GetKmsKey(const std::string& key_id) {
  return self().template Read<KmsKey>([&]() -> Result<KmsKey> {
    auto q = self().Q(kKmsSelect " WHERE key_id=?");
    q.Bind(1, key_id);
    if (!q.Step()) return NotFound("Key '" + key_id + "' does not exist");
    return people_detail::ReadKmsKey(q);
  });
}
template <class S>
Result<KmsKey> SqlPeople<S>::GetKmsKeyByAlias(const std::string& alias) {
  return self().template Read<KmsKey>([&]() -> Result<KmsKey> {
    auto q = self().Q(kKmsSelect " WHERE key_id=(SELECT key_id FROM kms_aliases WHERE alias=?)");
    q.Bind(1, alias);
    if (!q.Step()) return NotFound("Alias '" + alias + "' does not exist");
    return people_detail::ReadKmsKey(q);
  });
}
template <class S>
Result<std::vector<KmsKey>> SqlPeople<S>::ListKmsKeys() {
  return self().template Read<std::vector<KmsKey>>([&]() -> Result<std::vector<KmsKey>> {
    std::vector<KmsKey> out;
    auto q = self().Q(kKmsSelect " ORDER BY created_ms, key_id");
    while (q.Step()) out.push_back(people_detail::ReadKmsKey(q));
    return out;
  });
}
template <class S>
Status SqlPeople<S>::SetKmsKeyEnabled(const std::string& key_id, bool enabled, int64_t now_ms) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    self()
        .Q("UPDATE kms_keys SET enabled=?, modified_ms=? WHERE key_id=?")
        .Bind(1, int64_t{enabled})
        .Bind(2, now_ms)
        .Bind(3, key_id)
        .Step();
    if (self().Changes() == 0) return NotFound("Key '" + key_id + "' does not exist");
    return {};
  });
}
template <class S>
Status SqlPeople<S>::UpdateKmsKey(const std::string& key_id,
                                  const std::function<Status(KmsKey&)>& change) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    KmsKey k;
    {
      auto q = self().Q(kKmsSelect " WHERE key_id=?");
      q.Bind(1, key_id);
      if (!q.Step()) return NotFound("Key '" + key_id + "' does not exist");
      k = people_detail::ReadKmsKey(q);
    }
    PLB_TRY(change(k));
    self()
        .Q("UPDATE kms_keys SET description=?1, policy=?2, enabled=?3, deletion_ms=?4, tags=?5, "
           "modified_ms=?6 WHERE key_id=?7")
        .Bind(1, k.description)
        .Bind(2, k.policy_json)
        .Bind(3, int64_t{k.enabled})
        .Bind(4, k.deletion_ms)
        .Bind(5, k.tags_json)
        .Bind(6, k.modified_ms)
        .Bind(7, key_id)
        .Step();
    return {};
  });
}
template <class S>
Status SqlPeople<S>::DeleteKmsKey(const std::string& key_id) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    self().Q("DELETE FROM kms_keys WHERE key_id=?").Bind(1, key_id).Step();
    if (self().Changes() == 0) return NotFound("Key '" + key_id + "' does not exist");
    self().Q("DELETE FROM kms_aliases WHERE key_id=?").Bind(1, key_id).Step();
    return {};
  });
}
template <class S>
Status SqlPeople<S>::CreateKmsAlias(const KmsAlias& a) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    {
      auto q = self().Q("SELECT 1 FROM kms_aliases WHERE alias=?");
      q.Bind(1, a.alias);
      if (q.Step()) return AlreadyExists("An alias with the name " + a.alias + " already exists");
    }
    {
      auto q = self().Q("SELECT 1 FROM kms_keys WHERE key_id=?");
      q.Bind(1, a.key_id);
      if (!q.Step()) return NotFound("Key '" + a.key_id + "' does not exist");
    }
    self()
        .Q("INSERT INTO kms_aliases(alias,key_id,created_ms,modified_ms) VALUES(?1,?2,?3,?4)")
        .Bind(1, a.alias)
        .Bind(2, a.key_id)
        .Bind(3, a.created_ms)
        .Bind(4, a.modified_ms)
        .Step();
    return {};
  });
}
template <class S>
Status SqlPeople<S>::UpdateKmsAlias(const std::string& alias, const std::string& key_id,
                                    int64_t now_ms) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    {
      auto q = self().Q("SELECT 1 FROM kms_keys WHERE key_id=?");
      q.Bind(1, key_id);
      if (!q.Step()) return NotFound("Key '" + key_id + "' does not exist");
    }
    self()
        .Q("UPDATE kms_aliases SET key_id=?1, modified_ms=?2 WHERE alias=?3")
        .Bind(1, key_id)
        .Bind(2, now_ms)
        .Bind(3, alias)
        .Step();
    if (self().Changes() == 0) return NotFound("Alias '" + alias + "' does not exist");
    return {};
  });
}
template <class S>
Status SqlPeople<S>::DeleteKmsAlias(const std::string& alias) {
  return self().template Txn<void>(changes::kKeys, [&]() -> Status {
    self().Q("DELETE FROM kms_aliases WHERE alias=?").Bind(1, alias).Step();
    if (self().Changes() == 0) return NotFound("Alias '" + alias + "' does not exist");
    return {};
  });
}
template <class S>
Result<std::vector<KmsAlias>> SqlPeople<S>::ListKmsAliases() {
  return self().template Read<std::vector<KmsAlias>>([&]() -> Result<std::vector<KmsAlias>> {
    std::vector<KmsAlias> out;
    auto q = self().Q("SELECT alias,key_id,created_ms,modified_ms FROM kms_aliases ORDER BY alias");
    while (q.Step()) out.push_back(KmsAlias{q.Text(0), q.Text(1), q.Int(2), q.Int(3)});
    return out;
  });
}
#undef kKmsSelect
// ---------------- end of KMS keys ----------------

// ---------------- workforce and access control (issue #6) ----------------
template <class S>
Result<Workteam> SqlPeople<S>::UpdateWorkteam(const Workteam& team) {
  return self().template Txn<Workteam>(changes::kTeams, [&]() -> Result<Workteam> {
    PLB_ASSIGN_OR_RETURN(Workteam old, ReadTeam("name", team.name));
    self()
        .Q("UPDATE workteams SET doc=?, updated_ms=? WHERE id=?")
        .Bind(1, team.doc_json)
        .Bind(2, team.updated_ms)
        .Bind(3, old.id)
        .Step();
    self().Q("DELETE FROM workteam_groups WHERE workteam_id=?").Bind(1, old.id).Step();
    for (const auto& g : team.groups)
      self()
          .Q("INSERT INTO workteam_groups(workteam_id,group_name) VALUES(?,?) ON CONFLICT DO "
             "NOTHING")
          .Bind(1, old.id)
          .Bind(2, g)
          .Step();
    return ReadTeam("name", team.name);
  });
}
template <class S>
Status SqlPeople<S>::DeleteWorkteam(const std::string& name) {
  return self().template Txn<void>(changes::kTeams, [&]() -> Status {
    PLB_ASSIGN_OR_RETURN(Workteam t, ReadTeam("name", name));
    {
      auto q = self().Q(S::Dialect::kRunningJobOfTeam);
      q.Bind(1, t.arn);
      if (q.Step())
        return Conflict("Workteam " + t.name + " is used by the running labeling job " + q.Text(0));
    }
    self().Q("DELETE FROM workteam_groups WHERE workteam_id=?").Bind(1, t.id).Step();
    self().Q("DELETE FROM workteams WHERE id=?").Bind(1, t.id).Step();
    return {};
  });
}
template <class S>
Status SqlPeople<S>::SetUserDisabled(int64_t user_id, bool disabled) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    BumpIdentityVersion();
    self()
        .Q("UPDATE users SET disabled=? WHERE id=?")
        .Bind(1, int64_t{disabled})
        .Bind(2, user_id)
        .Step();
    if (self().Changes() == 0) return NotFound("no user with id " + std::to_string(user_id));
    if (disabled) self().Q("DELETE FROM sessions WHERE user_id=?").Bind(1, user_id).Step();
    return {};
  });
}
template <class S>
Status SqlPeople<S>::SetUserPassword(int64_t user_id, const std::string& password_hash) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    BumpIdentityVersion();
    self()
        .Q("UPDATE users SET password_hash=? WHERE id=?")
        .Bind(1, password_hash)
        .Bind(2, user_id)
        .Step();
    if (self().Changes() == 0) return NotFound("no user with id " + std::to_string(user_id));
    self().Q("DELETE FROM sessions WHERE user_id=?").Bind(1, user_id).Step();
    return {};
  });
}
template <class S>
Result<std::vector<AccessKeyInfo>> SqlPeople<S>::ListAccessKeys(std::optional<int64_t> user_id) {
  return self().template Read<std::vector<AccessKeyInfo>>(
      [&]() -> Result<std::vector<AccessKeyInfo>> {
        std::vector<AccessKeyInfo> out;
        auto q = self().Q(
            "SELECT access_key_id,user_id,is_root,revoked_ms,created_ms FROM access_keys "
            "WHERE CAST(?1 AS BIGINT) IS NULL OR user_id=CAST(?1 AS BIGINT) ORDER BY created_ms, "
            "access_key_id");
        if (user_id) q.Bind(1, *user_id);
        while (q.Step()) {
          AccessKeyInfo k;
          k.access_key_id = q.Text(0);
          k.user_id = q.Int(1);
          k.is_root = q.Int(2) != 0;
          k.revoked_ms = q.Int(3);
          k.active = k.revoked_ms == 0;
          k.created_ms = q.Int(4);
          out.push_back(std::move(k));
        }
        return out;
      });
}
template <class S>
Status SqlPeople<S>::RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    BumpIdentityVersion();
    {
      auto q = self().Q("SELECT 1 FROM access_keys WHERE access_key_id=?");
      q.Bind(1, access_key_id);
      if (!q.Step()) return NotFound("no access key " + access_key_id);
    }
    self()
        .Q("UPDATE access_keys SET revoked_ms=? WHERE access_key_id=? AND revoked_ms=0")
        .Bind(1, std::max<int64_t>(now_ms, 1))
        .Bind(2, access_key_id)
        .Step();
    return {};
  });
}
template <class S>
Status SqlPeople<S>::AppendAudit(const AuditEntry& e) {
  return self().template Txn<void>(changes::kNone, [&]() -> Status {
    self()
        .Q("INSERT INTO audit_log(time_ms,actor,action,target,source,outcome,detail) "
           "VALUES(?,?,?,?,?,?,?)")
        .Bind(1, e.time_ms)
        .Bind(2, e.actor)
        .Bind(3, e.action)
        .Bind(4, e.target)
        .Bind(5, e.source)
        .Bind(6, e.outcome)
        .Bind(7, e.detail)
        .Step();
    return {};
  });
}
template <class S>
Result<std::vector<AuditEntry>> SqlPeople<S>::ListAudit(int64_t since_ms, size_t limit) {
  return self().template Read<std::vector<AuditEntry>>([&]() -> Result<std::vector<AuditEntry>> {
    std::vector<AuditEntry> out;
    auto q = self().Q(
        "SELECT id,time_ms,actor,action,target,source,outcome,detail FROM audit_log "
        "WHERE time_ms>=? ORDER BY id DESC LIMIT ?");
    q.Bind(1, since_ms).Bind(2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    while (q.Step())
      out.push_back(AuditEntry{q.Int(0), q.Int(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                               q.Text(6), q.Text(7)});
    std::reverse(out.begin(), out.end());
    return out;
  });
}
// ---------------- invitations ----------------

template <class S>
Status SqlPeople<S>::CreateInvitation(const Invitation& inv) {
  return self().template Txn<void>(changes::kPeople, [&]() -> Status {
    {
      auto q = self().Q(S::Dialect::kUserNamed);
      q.Bind(1, inv.username);
      if (q.Step()) return AlreadyExists("user '" + inv.username + "' already exists");
    }
    {
      auto q = self().Q("SELECT 1 FROM invitations WHERE token_hash=?");
      q.Bind(1, inv.token_hash);
      if (q.Step()) return AlreadyExists("an invitation with this token already exists");
    }
    self()
        .Q("INSERT INTO invitations(token_hash,username,group_names,is_admin,invited_by,created_ms,"
           "expires_ms,used_ms) VALUES(?,?,?,?,?,?,?,?)")
        .Bind(1, inv.token_hash)
        .Bind(2, inv.username)
        .Bind(3, people_detail::JoinGroups(inv.groups))
        .Bind(4, int64_t{inv.is_admin})
        .Bind(5, inv.invited_by)
        .Bind(6, inv.created_ms)
        .Bind(7, inv.expires_ms)
        .Bind(8, inv.used_ms)
        .Step();
    return {};
  });
}
template <class S>
Result<Invitation> SqlPeople<S>::GetInvitation(const std::string& token_hash) {
  return self().template Read<Invitation>([&]() -> Result<Invitation> {
    auto q = self().Q(kInvitationSelect " WHERE token_hash=?");
    q.Bind(1, token_hash);
    if (!q.Step()) return NotFound("no such invitation");
    return people_detail::ReadInvitation(q);
  });
}
template <class S>
Result<std::vector<Invitation>> SqlPeople<S>::ListInvitations() {
  return self().template Read<std::vector<Invitation>>([&]() -> Result<std::vector<Invitation>> {
    std::vector<Invitation> out;
    auto q = self().Q(kInvitationSelect " ORDER BY created_ms, username");
    while (q.Step()) out.push_back(people_detail::ReadInvitation(q));
    return out;
  });
}
template <class S>
Result<User> SqlPeople<S>::AcceptInvitation(const std::string& token_hash, const User& user,
                                            int64_t now_ms) {
  return self().template Txn<User>(changes::kPeople, [&]() -> Result<User> {
    Invitation inv;
    {
      // The row stays locked to this transaction: a replica accepting the
      // same invitation at once waits, then finds it used.
      auto q = self().Q(S::Dialect::kInvitationForUpdate);
      q.Bind(1, token_hash);
      if (!q.Step()) return NotFound("no such invitation");
      inv = people_detail::ReadInvitation(q);
    }
    if (inv.used_ms != 0) return Conflict("the invitation was already used");
    if (now_ms >= inv.expires_ms) return Conflict("the invitation expired");
    {
      auto q = self().Q(S::Dialect::kUserNamed);
      q.Bind(1, inv.username);
      if (q.Step()) return AlreadyExists("user '" + inv.username + "' already exists");
    }
    self()
        .Q("UPDATE invitations SET used_ms=? WHERE token_hash=?")
        .Bind(1, now_ms)
        .Bind(2, token_hash)
        .Step();
    auto ins = self().Q(
        "INSERT INTO users(username,password_hash,is_admin,disabled,worker_key,sub) "
        "VALUES(?,?,?,0,?,?) RETURNING id");
    ins.Bind(1, inv.username)
        .Bind(2, user.password_hash)
        .Bind(3, int64_t{inv.is_admin})
        .Bind(4, user.worker_key)
        .Bind(5, user.sub)
        .Step();
    User out = user;
    out.id = ins.Int(0);
    out.username = inv.username;
    out.is_admin = inv.is_admin;
    out.disabled = false;
    out.groups = inv.groups;
    WriteGroups(out.id, out.groups);
    return out;
  });
}

// Seals every secret still stored in plaintext (rows copied from an
// installation made before encryption at rest).
template <class S>
Status SqlPeople<S>::SealPlaintextSecrets() {
  PLB_TRY(self().template Txn<void>(changes::kPeople, [&]() -> Status {
    std::vector<std::pair<std::string, std::string>> plain;
    {
      auto q = self().Q("SELECT access_key_id,secret FROM access_keys");
      while (q.Step())
        if (!self().sealer_->is_sealed(q.Text(1))) plain.emplace_back(q.Text(0), q.Text(1));
    }
    for (const auto& [id, secret] : plain) {
      PLB_ASSIGN_OR_RETURN(std::string sealed, self().sealer_->seal(secret, id));
      self()
          .Q("UPDATE access_keys SET secret=? WHERE access_key_id=?")
          .Bind(1, sealed)
          .Bind(2, id)
          .Step();
    }
    return {};
  }));
  return {};
}

}  // namespace plumbline::store::sql
