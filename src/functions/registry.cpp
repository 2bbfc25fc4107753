// The function registry: store rows, code folders and logs.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "crypto/envelope.hpp"
#include "crypto/hash.hpp"
#include "functions/detail/http_invoke.hpp"
#include "functions/functions.hpp"

namespace plumbline::functions {
namespace fs = std::filesystem;

namespace {

std::string KindOf(const std::string& runtime) {
  if (runtime.rfind("python3", 0) == 0) return "python";
  if (runtime.rfind("provided", 0) == 0 || runtime == "executable") return "executable";
  if (runtime == "http") return "http";
  return "";
}

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// The package's SHA-256 (base64, as Lambda reports CodeSha256): of the zip,
// or of a folder's files in path order.
std::string FolderDigest(const std::string& dir, int64_t* size) {
  std::vector<fs::path> files;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    all += fs::relative(f, dir).string() + '\0' + content;
  }
  *size = static_cast<int64_t>(all.size());
  return crypto::Base64Encode(crypto::Sha256(all));
}

// The settings Create and UpdateConfiguration check; normalizes the
// environment to compact JSON.
Status CheckSettings(store::Function& fn) {
  if (fn.kind == "python" &&
      !std::regex_match(fn.handler, std::regex(R"([A-Za-z0-9_/.\-]+\.[A-Za-z_][A-Za-z0-9_]*)")))
    return InvalidArgument("Handler: '" + fn.handler + "' must be module.function");
  if (fn.kind != "python" && fn.handler.empty())
    return InvalidArgument("Handler: a program or URL is required");
  if (fn.timeout_s < 1 || fn.timeout_s > 900)
    return InvalidArgument("Timeout: " + std::to_string(fn.timeout_s) +
                           " must be 1 to 900 seconds");
  if (fn.memory_mb < 128 || fn.memory_mb > 10240)
    return InvalidArgument("MemorySize: " + std::to_string(fn.memory_mb) +
                           " must be 128 to 10240 MB");
  auto env = json::Parse(fn.environment_json.empty() ? "{}" : fn.environment_json);
  if (!env || !env->is_object())
    return InvalidArgument("Environment.Variables must be an object of strings");
  for (const auto& [k, v] : env->get_object())
    if (!v.is_string())
      return InvalidArgument("Environment.Variables." + std::string(k) + " must be a string");
  fn.environment_json = json::Serialize(*env);
  return {};
}

}  // namespace

Result<std::string> FunctionNameOf(std::string_view s) {
  std::string v(s);
  if (v.rfind("arn:", 0) == 0) {
    // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t c = v.find(':', start);
      parts.push_back(v.substr(start, c == std::string::npos ? std::string::npos : c - start));
      if (c == std::string::npos) break;
      start = c + 1;
    }
    if (parts.size() < 7 || parts[2] != "lambda" || parts[5] != "function" ||
        !ValidName(parts[6]))
      return InvalidArgument("'" + v + "' is not a Lambda function ARN");
    return parts[6];
  }
  // NAME or NAME:QUALIFIER (a version or alias: there is one version here).
  std::string name = v.substr(0, v.find(':'));
  if (!ValidName(name))
    return InvalidArgument("'" + v +
                           "' is not a function name (1-64 letters, digits, '-' or '_')");
  return name;
}

Registry::Registry(store::Store& store, std::string functions_dir, std::string account_id,
                   Runner& runner, const Clock& clock)
    : store_(store),
      dir_(std::move(functions_dir)),
      account_(std::move(account_id)),
      runner_(runner),
      clock_(clock) {}

std::string Registry::LogPath(const std::string& name) const { return dir_ + "/" + name + "/log"; }

Result<store::Function> Registry::Install(store::Function fn,
                                          const std::optional<std::string>& zip,
                                          const std::optional<std::string>& folder) {
  if (fn.kind == "http") {
    if (zip || folder)
      return InvalidArgument("an http function has no code: its Handler is its URL");
    PLB_TRY(detail::ParseHttpUrl(fn.handler));
    fn.code_dir.clear();
    fn.code_sha256 = crypto::Base64Encode(crypto::Sha256(fn.handler));
    fn.code_size = 0;
    return fn;
  }
  if (!zip && !folder)
    return InvalidArgument("Code: a zip file (ZipFile) or a folder is required for runtime " +
                           fn.runtime);
  std::error_code ec;
  fs::create_directories(dir_ + "/" + fn.name, ec);
  if (ec) return Internal("cannot create the function's folder: " + ec.message());
  std::string code = dir_ + "/" + fn.name + "/code-" + RandomHex(12);
  fs::create_directories(code, ec);
  if (ec) return Internal("cannot create the function's folder: " + ec.message());
  auto cleanup = [&](Error e) -> Result<store::Function> {
    fs::remove_all(code, ec);
    return e;
  };
  if (zip) {
    if (auto s = Unzip(*zip, code); !s) return cleanup(InvalidArgument("ZipFile: " + s.error().message));
    fn.code_sha256 = crypto::Base64Encode(crypto::Sha256(*zip));
    fn.code_size = static_cast<int64_t>(zip->size());
  } else {
    if (!fs::is_directory(*folder, ec))
      return cleanup(InvalidArgument("the code folder " + *folder + " does not exist"));
    fs::copy(*folder, code, fs::copy_options::recursive | fs::copy_options::overwrite_existing,
             ec);
    if (ec) return cleanup(Internal("cannot copy " + *folder + ": " + ec.message()));
    fn.code_sha256 = FolderDigest(code, &fn.code_size);
  }
  fn.code_dir = fs::absolute(code).string();
  if (fn.kind == "executable") {
    std::string program =
        !fn.handler.empty() && fn.handler[0] == '/' ? fn.handler : code + "/" + fn.handler;
    if (::access(program.c_str(), X_OK) != 0)
      return cleanup(InvalidArgument("Handler: " + fn.handler +
                                     " is not an executable file in the package"));
  }
  return fn;
}

Result<store::Function> Registry::Create(const FunctionSpec& spec, const std::string& region) {
  if (!ValidName(spec.name))
    return InvalidArgument("FunctionName: '" + spec.name +
                           "' must be 1-64 letters, digits, '-' or '_'");
  store::Function fn;
  fn.name = spec.name;
  fn.runtime = spec.runtime;
  fn.kind = KindOf(spec.runtime);
  if (fn.kind.empty())
    return InvalidArgument("Runtime: '" + spec.runtime +
                           "' is not supported (python3.x, provided / executable, or http)");
  fn.handler = spec.handler;
  if (fn.handler.empty() && fn.kind == "executable") fn.handler = "bootstrap";
  fn.timeout_s = spec.timeout_s;
  fn.memory_mb = spec.memory_mb;
  fn.environment_json = spec.environment_json;
  PLB_TRY(CheckSettings(fn));
  fn.description = spec.description;
  fn.role = spec.role;
  fn.arn = "arn:aws:lambda:" + region + ":" + account_ + ":function:" + fn.name;
  fn.created_ms = fn.modified_ms = ToEpochMs(clock_.Now());
  if (auto existing = store_.GetFunction(fn.name); existing)
    return AlreadyExists("Function already exist: " + fn.name);
  PLB_ASSIGN_OR_RETURN(fn, Install(std::move(fn), spec.zip, spec.folder));
  if (auto s = store_.CreateFunction(fn); !s) {
    std::error_code ec;
    if (!fn.code_dir.empty()) fs::remove_all(fn.code_dir, ec);
    return s.error();
  }
  return fn;
}

Result<store::Function> Registry::UpdateCode(const std::string& name_or_arn,
                                             const std::optional<std::string>& zip,
                                             const std::optional<std::string>& folder) {
  PLB_ASSIGN_OR_RETURN(store::Function old, Get(name_or_arn));
  store::Function fn = old;
  fn.modified_ms = ToEpochMs(clock_.Now());
  PLB_ASSIGN_OR_RETURN(fn, Install(std::move(fn), zip, folder));
  auto updated = store_.UpdateFunction(fn);
  std::error_code ec;
  if (!updated) {
    if (!fn.code_dir.empty() && fn.code_dir != old.code_dir) fs::remove_all(fn.code_dir, ec);
    return updated.error();
  }
  runner_.Forget(fn.name);
  if (!old.code_dir.empty() && old.code_dir != fn.code_dir) fs::remove_all(old.code_dir, ec);
  return updated;
}

Result<store::Function> Registry::UpdateConfiguration(const std::string& name_or_arn,
                                                      const ConfigUpdate& update) {
  PLB_ASSIGN_OR_RETURN(store::Function fn, Get(name_or_arn));
  if (update.handler) fn.handler = *update.handler;
  if (update.timeout_s) fn.timeout_s = *update.timeout_s;
  if (update.memory_mb) fn.memory_mb = *update.memory_mb;
  if (update.environment_json) fn.environment_json = *update.environment_json;
  if (update.description) fn.description = *update.description;
  if (update.role) fn.role = *update.role;
  PLB_TRY(CheckSettings(fn));
  if (update.handler && fn.kind == "http") PLB_TRY(detail::ParseHttpUrl(fn.handler));
  if (update.handler && fn.kind == "executable") {
    std::string program =
        fn.handler[0] == '/' ? fn.handler : fn.code_dir + "/" + fn.handler;
    if (::access(program.c_str(), X_OK) != 0)
      return InvalidArgument("Handler: " + fn.handler +
                             " is not an executable file in the package");
  }
  fn.modified_ms = ToEpochMs(clock_.Now());
  PLB_ASSIGN_OR_RETURN(store::Function updated, store_.UpdateFunction(fn));
  // Warm workers run the old handler, limits and environment.
  runner_.Forget(updated.name);
  return updated;
}

Result<store::Function> Registry::Get(const std::string& name_or_arn) {
  PLB_ASSIGN_OR_RETURN(std::string name, FunctionNameOf(name_or_arn));
  auto fn = store_.GetFunction(name);
  if (!fn && fn.error().code == ErrorCode::kNotFound)
    return NotFound("Function not found: " + name_or_arn);
  return fn;
}

Result<std::vector<store::Function>> Registry::List() { return store_.ListFunctions(); }

Status Registry::Delete(const std::string& name_or_arn) {
  PLB_ASSIGN_OR_RETURN(store::Function fn, Get(name_or_arn));
  PLB_TRY(store_.DeleteFunction(fn.name));
  runner_.Forget(fn.name);
  std::error_code ec;
  fs::remove_all(dir_ + "/" + fn.name, ec);
  return {};
}

Result<std::vector<Invocation>> Registry::InvokeBatch(const std::string& name_or_arn,
                                                      const std::vector<std::string>& events,
                                                      const RunContext& context) {
  PLB_ASSIGN_OR_RETURN(store::Function fn, Get(name_or_arn));
  std::error_code ec;
  fs::create_directories(dir_ + "/" + fn.name, ec);
  return runner_.InvokeBatch(fn, events, context, LogPath(fn.name));
}

Result<Invocation> Registry::Invoke(const std::string& name_or_arn, const std::string& event,
                                    const RunContext& context) {
  PLB_ASSIGN_OR_RETURN(auto all, InvokeBatch(name_or_arn, {event}, context));
  return std::move(all[0]);
}

Result<std::string> Registry::Logs(const std::string& name_or_arn, size_t max_bytes) {
  PLB_ASSIGN_OR_RETURN(store::Function fn, Get(name_or_arn));
  std::ifstream in(LogPath(fn.name), std::ios::binary);
  if (!in) return std::string();
  in.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(in.tellg());
  size_t from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

Status Registry::SweepWarmWorkers() {
  PLB_ASSIGN_OR_RETURN(auto all, store_.ListFunctions());
  runner_.Retain(all);
  runner_.Trim();
  return {};
}

}  // namespace plumbline::functions
