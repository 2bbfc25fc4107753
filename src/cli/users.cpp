// `plumbline users ...`: people and their access keys, beside a running server
// (through identity/; every change is audited).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cli/app.hpp"
#include "cli/audit_cmd.hpp"
#include "cli/data_dir.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "identity/identity.hpp"

namespace plumbline::cli {
namespace {

std::vector<std::string> SplitGroups(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string g = s.substr(i, j - i);
    while (!g.empty() && g.front() == ' ') g.erase(0, 1);
    while (!g.empty() && g.back() == ' ') g.pop_back();
    if (!g.empty()) out.push_back(g);
    i = j + 1;
  }
  return out;
}

template <class T>
T OrThrow(Result<T> r) {
  if (!r) throw ErrorException(r.error());
  return std::move(*r);
}

}  // namespace

void AddUsersCommands(CLI::App& app) {
  CLI::App* users = app.add_subcommand("users", "Manage workers and admins");
  users->require_subcommand(1);

  struct AddArgs {
    std::string data_dir, username, password, groups;
    bool password_stdin = false, admin = false;
  };
  auto add = std::make_shared<AddArgs>();
  CLI::App* add_cmd = users->add_subcommand("add", "Add a user");
  add_cmd->add_option("--data-dir", add->data_dir, "The server's data dir")->required();
  add_cmd->add_option("--username", add->username, "Sign-in name")->required();
  add_cmd->add_flag("--password-stdin", add->password_stdin, "Read the password from stdin");
  add_cmd->add_option("--groups", add->groups, "Comma-separated groups (work teams are groups)");
  add_cmd->add_flag("--admin", add->admin, "May use the console and the API");
  add_cmd->callback([add] {
    std::string password;
    if (add->password_stdin) {
      std::getline(std::cin, password);
    } else {
      throw ErrorException(InvalidArgument("give the password on stdin with --password-stdin"));
    }
    auto dd = OrThrow(OpenDataDir(add->data_dir));
    auto created = OrThrow(dd.identity->CreateUser(
        {add->username, password, SplitGroups(add->groups), add->admin}));
    AuditCli(*dd.identity, "users:add", created.username, "ok", created.is_admin ? "admin" : "worker");
    boost::json::object out;
    out["Username"] = created.username;
    out["Admin"] = created.is_admin;
    boost::json::array g;
    for (const auto& x : created.groups) g.emplace_back(x);
    out["Groups"] = std::move(g);
    std::cout << json::Serialize(out) << "\n";
  });

  struct KeyArgs {
    std::string data_dir, username;
  };
  auto key = std::make_shared<KeyArgs>();
  CLI::App* key_cmd = users->add_subcommand("create-access-key", "Create an API access key for a user");
  key_cmd->add_option("--data-dir", key->data_dir, "The server's data dir")->required();
  key_cmd->add_option("--username", key->username, "Owner of the key")->required();
  key_cmd->callback([key] {
    auto dd = OrThrow(OpenDataDir(key->data_dir));
    auto k = OrThrow(dd.identity->CreateAccessKey(key->username));
    auto user = OrThrow(dd.identity->GetUser(key->username));
    AuditCli(*dd.identity, "users:create-access-key", user.username, "ok", k.access_key_id);
    boost::json::object out;
    out["AccessKeyId"] = k.access_key_id;
    out["SecretAccessKey"] = k.secret;
    std::cout << json::Serialize(out) << "\n";
  });

  // --- account lifecycle and keys (issue #6) ---
  struct UserArgs {
    std::string data_dir, username, groups, access_key_id;
    bool password_stdin = false;
  };
  auto add_common = [](CLI::App* c, UserArgs& a) {
    c->add_option("--data-dir", a.data_dir, "The server's data dir")->required();
    c->add_option("--username", a.username, "Sign-in name")->required();
  };
  for (bool disable : {true, false}) {
    auto a = std::make_shared<UserArgs>();
    CLI::App* c = users->add_subcommand(
        disable ? "disable" : "enable",
        disable ? "Disable a user: sign-in, sessions and access keys stop working"
                : "Enable a disabled user");
    add_common(c, *a);
    c->callback([a, disable] {
      auto dd = OrThrow(OpenDataDir(a->data_dir));
      auto user = OrThrow(dd.identity->SetDisabled(a->username, disable));
      AuditCli(*dd.identity, disable ? "users:disable" : "users:enable", user.username, "ok");
      std::cout << user.username << (disable ? " disabled" : " enabled") << "\n";
    });
  }

  {
    auto a = std::make_shared<UserArgs>();
    CLI::App* c = users->add_subcommand("reset-password", "Set a new password; ends the user's sessions");
    add_common(c, *a);
    c->add_flag("--password-stdin", a->password_stdin, "Read the password from stdin")->required();
    c->callback([a] {
      std::string password;
      std::getline(std::cin, password);
      auto dd = OrThrow(OpenDataDir(a->data_dir));
      if (auto s = dd.identity->ResetPassword(a->username, password); !s)
        throw ErrorException(s.error());
      auto user = OrThrow(dd.identity->GetUser(a->username));
      AuditCli(*dd.identity, "users:reset-password", user.username, "ok");
      std::cout << "password of " << user.username << " reset\n";
    });
  }

  // add-groups / remove-groups / set-groups
  enum class GroupOp { kAdd, kRemove, kSet };
  for (GroupOp op : {GroupOp::kAdd, GroupOp::kRemove, GroupOp::kSet}) {
    auto a = std::make_shared<UserArgs>();
    const char* name = op == GroupOp::kAdd ? "add-groups" : op == GroupOp::kRemove ? "remove-groups" : "set-groups";
    CLI::App* c = users->add_subcommand(name, "Change a user's groups (work teams are groups)");
    add_common(c, *a);
    c->add_option("--groups", a->groups, "Comma-separated groups")->required();
    c->callback([a, op, name] {
      auto dd = OrThrow(OpenDataDir(a->data_dir));
      auto change = op == GroupOp::kAdd      ? identity::GroupChange::kAdd
                    : op == GroupOp::kRemove ? identity::GroupChange::kRemove
                                             : identity::GroupChange::kSet;
      auto user = OrThrow(dd.identity->ChangeGroups(a->username, change, SplitGroups(a->groups)));
      const std::vector<std::string>& groups = user.groups;
      AuditCli(*dd.identity, std::string("users:") + name, user.username, "ok", a->groups);
      boost::json::object out;
      out["Username"] = user.username;
      boost::json::array g;
      for (const auto& x : groups) g.emplace_back(x);
      out["Groups"] = std::move(g);
      std::cout << json::Serialize(out) << "\n";
    });
  }

  {
    auto a = std::make_shared<UserArgs>();
    CLI::App* c = users->add_subcommand("list-access-keys", "List access keys (never their secrets)");
    c->add_option("--data-dir", a->data_dir, "The server's data dir")->required();
    c->add_option("--username", a->username, "Only this user's keys");
    c->callback([a] {
      auto dd = OrThrow(OpenDataDir(a->data_dir));
      std::optional<std::string> only;
      if (!a->username.empty()) only = a->username;
      boost::json::array keys;
      for (const auto& listed : OrThrow(dd.identity->ListAccessKeys(only))) {
        const store::AccessKeyInfo& k = listed.key;
        boost::json::object o;
        o["AccessKeyId"] = k.access_key_id;
        o["UserName"] = listed.username;
        o["Status"] = k.active ? "Active" : "Inactive";
        if (k.created_ms) o["CreateDate"] = FormatIsoMillisZ(TimePoint(std::chrono::milliseconds(k.created_ms)));
        keys.push_back(std::move(o));
      }
      boost::json::object out;
      out["AccessKeyMetadata"] = std::move(keys);
      std::cout << json::Serialize(out) << "\n";
    });
  }

  {
    auto a = std::make_shared<UserArgs>();
    CLI::App* c = users->add_subcommand("revoke-access-key", "Revoke an access key for good");
    c->add_option("--data-dir", a->data_dir, "The server's data dir")->required();
    c->add_option("--access-key-id", a->access_key_id, "The key to revoke")->required();
    c->callback([a] {
      auto dd = OrThrow(OpenDataDir(a->data_dir));
      if (auto s = dd.identity->RevokeAccessKey(a->access_key_id); !s)
        throw ErrorException(s.error());
      AuditCli(*dd.identity, "users:revoke-access-key", a->access_key_id, "ok");
      std::cout << a->access_key_id << " revoked\n";
    });
  }

  auto list_dir = std::make_shared<std::string>();
  CLI::App* list_cmd = users->add_subcommand("list", "List users");
  list_cmd->add_option("--data-dir", *list_dir, "The server's data dir")->required();
  list_cmd->callback([list_dir] {
    auto dd = OrThrow(OpenDataDir(*list_dir));
    for (const auto& u : OrThrow(dd.identity->ListUsers())) {
      std::string groups;
      for (const auto& g : u.groups) groups += (groups.empty() ? "" : ",") + g;
      std::cout << u.username << (u.is_admin ? " admin" : " worker")
                << (u.disabled ? " disabled" : "") << " groups=" << groups << "\n";
    }
  });
}

}  // namespace plumbline::cli
