// `plumbline users ...`: people and their access keys, beside a running server.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <iostream>

#include "cli/app.hpp"
#include "cli/data_dir.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "crypto/password.hpp"

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
    if (password.size() < 8)
      throw ErrorException(InvalidArgument("the password must have at least 8 characters"));
    auto dd = OrThrow(OpenDataDir(add->data_dir));
    store::User u;
    u.username = add->username;
    u.password_hash = OrThrow(crypto::HashPassword(password));
    u.is_admin = add->admin;
    u.worker_key = RandomHex(8);
    u.sub = RandomUuid();
    u.groups = SplitGroups(add->groups);
    auto created = OrThrow(dd.store->CreateUser(u));
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
    auto user = OrThrow(dd.store->GetUserByName(key->username));
    store::AccessKey k{"AKIA" + RandomUpperAlnum(16), RandomAlnum(40), user.id, false};
    if (auto s = dd.store->PutAccessKey(k); !s) throw ErrorException(s.error());
    boost::json::object out;
    out["AccessKeyId"] = k.access_key_id;
    out["SecretAccessKey"] = k.secret;
    std::cout << json::Serialize(out) << "\n";
  });

  auto list_dir = std::make_shared<std::string>();
  CLI::App* list_cmd = users->add_subcommand("list", "List users");
  list_cmd->add_option("--data-dir", *list_dir, "The server's data dir")->required();
  list_cmd->callback([list_dir] {
    auto dd = OrThrow(OpenDataDir(*list_dir));
    for (const auto& u : OrThrow(dd.store->ListUsers())) {
      std::string groups;
      for (const auto& g : u.groups) groups += (groups.empty() ? "" : ",") + g;
      std::cout << u.username << (u.is_admin ? " admin" : " worker")
                << (u.disabled ? " disabled" : "") << " groups=" << groups << "\n";
    }
  });
}

}  // namespace plumbline::cli
