// `plumbline functions create|list|delete|invoke|logs`: the function
// registry of a data dir (works while the server runs; a running server
// picks up new code on its next invocation).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/app.hpp"
#include "cli/data_dir.hpp"
#include "common/json.hpp"
#include "functions/functions.hpp"

namespace plumbline::cli {
namespace {

struct FunctionArgs {
  std::string data_dir = "./plumbline-data";
  std::string name, runtime, handler, zip_file, code_dir, url, payload, payload_file, region;
  std::string python = "python3";
  int64_t timeout = 3, memory = 128;
  std::vector<std::string> env;
  size_t bytes = 65536;
};

[[noreturn]] void Fail(const Error& e) { throw ErrorException(e); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(InvalidArgument("cannot read " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

boost::json::object Describe(const store::Function& f) {
  boost::json::object o;
  o["FunctionName"] = f.name;
  o["FunctionArn"] = f.arn;
  o["Runtime"] = f.runtime;
  o["Handler"] = f.handler;
  o["Timeout"] = f.timeout_s;
  o["MemorySize"] = f.memory_mb;
  o["CodeSha256"] = f.code_sha256;
  o["CodeSize"] = f.code_size;
  o["RevisionId"] = std::to_string(f.revision);
  return o;
}

// What each command needs: the data dir's store, a runner and the registry.
struct Opened {
  OpenedDataDir dd;
  std::unique_ptr<functions::Runner> runner;
  std::unique_ptr<functions::Registry> registry;
};
Opened Open(const FunctionArgs& a) {
  Opened o;
  auto dd = OpenDataDir(a.data_dir);
  if (!dd) Fail(dd.error());
  o.dd = std::move(*dd);
  functions::RunnerOptions ro;
  ro.python = a.python;
  o.runner = std::make_unique<functions::Runner>(ro);
  o.registry = std::make_unique<functions::Registry>(*o.dd.store, a.data_dir + "/functions",
                                                     o.dd.account_id, *o.runner,
                                                     SystemClock::Get());
  return o;
}

std::string Region(const FunctionArgs& a) {
  if (!a.region.empty()) return a.region;
  for (const char* v : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (const char* r = std::getenv(v); r && *r) return r;
  return "us-east-1";
}

}  // namespace

void AddFunctionsCommands(CLI::App& app) {
  auto args = std::make_shared<FunctionArgs>();
  CLI::App* group = app.add_subcommand(
      "functions", "custom pre-annotation and consolidation functions (Lambda's contract)");
  group->require_subcommand(1);
  auto dir_opt = [&](CLI::App* c) {
    c->add_option("--data-dir", args->data_dir, "the server's data folder");
    c->add_option("--python", args->python, "the python interpreter of python functions");
  };

  CLI::App* create = group->add_subcommand("create", "register a function");
  dir_opt(create);
  create->add_option("--name", args->name, "function name")->required();
  create->add_option("--runtime", args->runtime,
                     "python3.x, provided (an executable) or http")->required();
  create->add_option("--handler", args->handler,
                     "module.function (python), the program (provided), or the URL (http)");
  create->add_option("--url", args->url, "the invocation URL (runtime http)");
  create->add_option("--zip-file", args->zip_file, "the code as a zip archive");
  create->add_option("--code-dir", args->code_dir, "the code as a folder (copied)");
  create->add_option("--timeout", args->timeout, "seconds per invocation (default 3)");
  create->add_option("--memory", args->memory, "MB (default 128)");
  create->add_option("--env", args->env, "NAME=VALUE environment variables");
  create->add_option("--region", args->region, "region of the function's ARN");
  create->callback([args] {
    Opened o = Open(*args);
    functions::FunctionSpec s;
    s.name = args->name;
    s.runtime = args->runtime;
    s.handler = args->runtime == "http" && args->handler.empty() ? args->url : args->handler;
    s.timeout_s = args->timeout;
    s.memory_mb = args->memory;
    boost::json::object env;
    for (const auto& kv : args->env) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        Fail(InvalidArgument("--env " + kv + ": expected NAME=VALUE"));
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    s.environment_json = json::Serialize(env);
    if (!args->zip_file.empty()) s.zip = ReadFile(args->zip_file);
    if (!args->code_dir.empty()) s.folder = args->code_dir;
    auto f = o.registry->Create(s, Region(*args));
    if (!f) Fail(f.error());
    std::cout << json::Serialize(Describe(*f)) << "\n";
  });

  CLI::App* update = group->add_subcommand("update-code", "replace a function's code");
  dir_opt(update);
  update->add_option("--name", args->name, "function name or ARN")->required();
  update->add_option("--zip-file", args->zip_file, "the code as a zip archive");
  update->add_option("--code-dir", args->code_dir, "the code as a folder (copied)");
  update->callback([args] {
    Opened o = Open(*args);
    std::optional<std::string> zip, folder;
    if (!args->zip_file.empty()) zip = ReadFile(args->zip_file);
    if (!args->code_dir.empty()) folder = args->code_dir;
    auto f = o.registry->UpdateCode(args->name, zip, folder);
    if (!f) Fail(f.error());
    std::cout << json::Serialize(Describe(*f)) << "\n";
  });

  CLI::App* list = group->add_subcommand("list", "list registered functions");
  dir_opt(list);
  list->callback([args] {
    Opened o = Open(*args);
    auto all = o.registry->List();
    if (!all) Fail(all.error());
    boost::json::array out;
    for (const auto& f : *all) out.push_back(Describe(f));
    std::cout << json::Serialize(boost::json::object{{"Functions", out}}) << "\n";
  });

  CLI::App* del = group->add_subcommand("delete", "delete a function and its code");
  dir_opt(del);
  del->add_option("--name", args->name, "function name or ARN")->required();
  del->callback([args] {
    Opened o = Open(*args);
    if (auto s = o.registry->Delete(args->name); !s) Fail(s.error());
  });

  CLI::App* invoke = group->add_subcommand(
      "invoke", "run a function once with an event; prints its answer (exit 1 on an error)");
  dir_opt(invoke);
  invoke->add_option("--name", args->name, "function name or ARN")->required();
  invoke->add_option("--payload", args->payload, "the event (JSON)");
  invoke->add_option("--payload-file", args->payload_file, "the event from a file");
  invoke->callback([args] {
    Opened o = Open(*args);
    std::string event = !args->payload_file.empty() ? ReadFile(args->payload_file)
                        : args->payload.empty()     ? "{}"
                                                    : args->payload;
    if (auto v = json::Parse(event); !v)
      Fail(InvalidArgument("--payload is not JSON: " + v.error().message));
    auto inv = o.registry->Invoke(args->name, event, {});
    if (!inv) Fail(inv.error());
    std::cout << inv->payload << "\n";
    if (!inv->ok) throw ErrorException(Unavailable(args->name + ": " + inv->error_type + ": " +
                                                   inv->Message()));
  });

  CLI::App* logs = group->add_subcommand("logs", "print the end of a function's log");
  dir_opt(logs);
  logs->add_option("--name", args->name, "function name or ARN")->required();
  logs->add_option("--bytes", args->bytes, "how much of the end (default 64 KiB)");
  logs->callback([args] {
    Opened o = Open(*args);
    auto text = o.registry->Logs(args->name, args->bytes);
    if (!text) Fail(text.error());
    std::cout << *text;
  });
}

}  // namespace plumbline::cli
