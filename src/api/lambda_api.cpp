#include "api/lambda_api.hpp"

#include <boost/json.hpp>

#include "api/aws_auth.hpp"
#include "api/aws_json.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/work_pool.hpp"
#include "crypto/envelope.hpp"
#include "functions/functions.hpp"
#include "identity/identity.hpp"

namespace plumbline::api {
namespace {

using boost::json::object;

http::Response LambdaError(int status, const std::string& code, const std::string& message) {
  http::Response r = AwsErrorResponse({status, code, message});
  r.Set("Content-Type", "application/json");
  return r;
}

// The one mapping of Error to Lambda's error codes.
http::Response FromError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return LambdaError(400, "InvalidParameterValueException", e.message);
    case ErrorCode::kNotFound: return LambdaError(404, "ResourceNotFoundException", e.message);
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict: return LambdaError(409, "ResourceConflictException", e.message);
    case ErrorCode::kPermissionDenied: return LambdaError(403, "AccessDeniedException", e.message);
    case ErrorCode::kUnauthenticated:
      return LambdaError(403, "UnrecognizedClientException", e.message);
    case ErrorCode::kUnavailable: return LambdaError(503, "ServiceException", e.message);
    case ErrorCode::kInternal: break;
  }
  return LambdaError(500, "ServiceException", e.message);
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexDigitValue(s[i + 1]), lo = HexDigitValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

object Configuration(const store::Function& f) {
  object c;
  c["FunctionName"] = f.name;
  c["FunctionArn"] = f.arn;
  c["Runtime"] = f.runtime;
  c["Role"] = f.role;
  c["Handler"] = f.handler;
  c["CodeSize"] = f.code_size;
  c["Description"] = f.description;
  c["Timeout"] = f.timeout_s;
  c["MemorySize"] = f.memory_mb;
  // Lambda's format: "2026-12-06T02:30:00.000+0000".
  std::string iso = FormatIsoMillisZ(FromEpochMs(f.modified_ms));
  if (!iso.empty() && iso.back() == 'Z') iso.back() = '+', iso += "0000";
  c["LastModified"] = iso;
  c["CodeSha256"] = f.code_sha256;
  c["Version"] = "$LATEST";
  auto env = json::Parse(f.environment_json);
  object vars = env && env->is_object() ? env->get_object() : object();
  c["Environment"] = object{{"Variables", vars}};
  c["State"] = "Active";
  c["LastUpdateStatus"] = "Successful";
  c["PackageType"] = "Zip";
  c["Architectures"] = boost::json::array{"x86_64"};
  c["RevisionId"] = std::to_string(f.revision);
  return c;
}

// UpdateFunctionConfiguration's body: the fields it names change. Runtime,
// layers, VPC and the like are not settings here: refused by name.
Result<functions::ConfigUpdate> ConfigUpdateOf(const object& body) {
  functions::ConfigUpdate u;
  for (const auto& [k, v] : body) {
    const std::string key(k);
    if (key == "Handler" || key == "Description" || key == "Role") {
      if (!v.is_string()) return InvalidArgument(key + " must be a string");
      std::string text(v.get_string());
      if (key == "Handler") u.handler = text;
      else if (key == "Description") u.description = text;
      else u.role = text;
    } else if (key == "Timeout" || key == "MemorySize") {
      if (!v.is_int64()) return InvalidArgument(key + " must be an integer");
      (key == "Timeout" ? u.timeout_s : u.memory_mb) = v.as_int64();
    } else if (key == "Environment") {
      const auto* vars = v.is_object() ? v.get_object().if_contains("Variables") : nullptr;
      if (!v.is_object()) return InvalidArgument("Environment must be an object");
      if (vars && !vars->is_object())
        return InvalidArgument("Environment.Variables must be an object");
      u.environment_json = vars ? json::Serialize(*vars) : std::string("{}");
    } else if (key == "RevisionId") {
      // Accepted: there is one writer per function here.
    } else {
      return InvalidArgument(key + " cannot be changed here (Handler, Timeout, MemorySize, "
                                   "Environment, Description and Role can)");
    }
  }
  return u;
}

}  // namespace

struct LambdaApi::Impl {
  functions::Registry& registry;
  identity::Identity& identity;
  LambdaApiOptions options;
  WorkPool pool;

  Impl(functions::Registry& r, identity::Identity& i, LambdaApiOptions o)
      : registry(r), identity(i), options(o), pool(std::max(1, o.threads), "plb-lambda") {}

  http::Response Serve(const http::Request& request);
  http::Response Create(const object& body, const std::string& region);
  http::Response Invoke(const http::Request& request, const std::string& name);
};

LambdaApi::LambdaApi(functions::Registry& registry, identity::Identity& identity,
                     LambdaApiOptions options)
    : impl_(std::make_unique<Impl>(registry, identity, options)) {}

LambdaApi::~LambdaApi() = default;

void LambdaApi::Handle(http::Request& request, http::Respond respond) {
  impl_->pool.Post([this, request = std::move(request), respond = std::move(respond)] {
    respond(http::Ready(impl_->Serve(request)));
  });
}

http::Response LambdaApi::HandleNow(const http::Request& request) { return impl_->Serve(request); }

http::Response LambdaApi::Impl::Serve(const http::Request& request) {
  auto who = AuthenticateSigV4(request, identity, options.allowed_skew, "lambda");
  if (!who) {
    AwsError e = FromAuthError(who.error());
    return LambdaError(e.status, e.code, e.message);
  }
  // The route: /2015-03-31/functions[/NAME[/code|/invocations|/configuration]]
  const std::string prefix = "/2015-03-31/functions";
  std::string_view path = request.path;
  if (path.substr(0, prefix.size()) != prefix)
    return LambdaError(404, "UnknownOperationException",
                       "Lambda has no operation at " + request.path);
  std::string_view rest = path.substr(prefix.size());
  if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
  std::string name, sub;
  size_t slash = rest.find('/');
  name = PercentDecode(rest.substr(0, slash));
  if (slash != std::string_view::npos) sub = std::string(rest.substr(slash + 1));
  if (!sub.empty() && sub.back() == '/') sub.pop_back();

  std::string action;
  const std::string& m = request.method;
  if (name.empty() && m == "POST") action = "CreateFunction";
  else if (name.empty() && m == "GET") action = "ListFunctions";
  else if (!name.empty() && sub.empty() && m == "GET") action = "GetFunction";
  else if (!name.empty() && sub.empty() && m == "DELETE") action = "DeleteFunction";
  else if (sub == "configuration" && m == "GET") action = "GetFunctionConfiguration";
  else if (sub == "code" && m == "PUT") action = "UpdateFunctionCode";
  else if (sub == "configuration" && m == "PUT") action = "UpdateFunctionConfiguration";
  else if (sub == "invocations" && m == "POST") action = "InvokeFunction";
  else
    return LambdaError(404, "UnknownOperationException",
                       "Lambda has no operation " + m + " " + request.path);

  std::string resource = name.empty() ? "*" : name;
  auto audit = [&](const Error* e) {
    store::AuditEntry a;
    a.actor = who->is_root ? "root" : (who->user ? who->user->username : who->access_key_id);
    a.action = "lambda:" + action;
    a.target = name;
    a.source = request.remote_address;
    a.outcome = e ? ErrorCodeName(e->code) : "ok";
    a.detail = e ? e->message : "";
    identity.Audit(std::move(a));
  };
  if (auto allowed = identity::Identity::Authorize(*who, identity::Role::kAdmin,
                                                   "lambda:" + action, resource);
      !allowed) {
    Error denied = allowed.error();
    audit(&denied);
    return FromError(denied);
  }
  auto fail = [&](const Error& e) {
    if (action != "InvokeFunction" && action != "ListFunctions" && action != "GetFunction" &&
        action != "GetFunctionConfiguration")
      audit(&e);
    return FromError(e);
  };
  object body;
  if (m == "POST" || m == "PUT") {
    if (action != "InvokeFunction" && !request.body.empty()) {
      auto v = json::Parse(request.body);
      if (!v || !v->is_object())
        return LambdaError(400, "InvalidRequestContentException",
                           "the request body is not a JSON object");
      body = std::move(v->get_object());
    }
  }

  if (action == "CreateFunction") {
    http::Response r = Create(body, who->region.empty() ? "us-east-1" : who->region);
    if (r.status == 201) audit(nullptr);
    return r;
  }
  if (action == "ListFunctions") {
    auto all = registry.List();
    if (!all) return fail(all.error());
    boost::json::array list;
    for (const auto& f : *all) list.push_back(Configuration(f));
    return AwsJsonResponse(200, object{{"Functions", std::move(list)}});
  }
  if (action == "GetFunction" || action == "GetFunctionConfiguration") {
    auto f = registry.Get(name);
    if (!f) return fail(f.error());
    if (action == "GetFunctionConfiguration") return AwsJsonResponse(200, Configuration(*f));
    object code{{"RepositoryType", "Local"}, {"Location", f->code_dir}};
    return AwsJsonResponse(200, object{{"Configuration", Configuration(*f)}, {"Code", code}});
  }
  if (action == "DeleteFunction") {
    if (auto s = registry.Delete(name); !s) return fail(s.error());
    audit(nullptr);
    http::Response r;
    r.status = 204;
    return r;
  }
  if (action == "UpdateFunctionCode") {
    auto zip64 = json::GetString(body, "ZipFile");
    if (!zip64)
      return fail(InvalidArgument("ZipFile is required (S3 locations and images are not "
                                  "supported)"));
    auto zip = crypto::Base64Decode(*zip64);
    if (!zip) return fail(InvalidArgument("ZipFile is not base64: " + zip.error().message));
    auto f = registry.UpdateCode(name, *zip, std::nullopt);
    if (!f) return fail(f.error());
    audit(nullptr);
    return AwsJsonResponse(200, Configuration(*f));
  }
  if (action == "UpdateFunctionConfiguration") {
    auto update = ConfigUpdateOf(body);
    if (!update) return fail(update.error());
    auto f = registry.UpdateConfiguration(name, *update);
    if (!f) return fail(f.error());
    audit(nullptr);
    return AwsJsonResponse(200, Configuration(*f));
  }
  return Invoke(request, name);
}

http::Response LambdaApi::Impl::Create(const object& body, const std::string& region) {
  functions::FunctionSpec s;
  s.name = json::GetString(body, "FunctionName").value_or("");
  s.runtime = json::GetString(body, "Runtime").value_or("");
  s.handler = json::GetString(body, "Handler").value_or("");
  s.role = json::GetString(body, "Role").value_or("");
  s.description = json::GetString(body, "Description").value_or("");
  if (s.name.empty()) return FromError(InvalidArgument("FunctionName is required"));
  if (s.runtime.empty()) return FromError(InvalidArgument("Runtime is required"));
  if (const auto* t = body.if_contains("Timeout")) {
    if (!t->is_int64()) return FromError(InvalidArgument("Timeout must be an integer"));
    s.timeout_s = t->as_int64();
  }
  if (const auto* mem = body.if_contains("MemorySize")) {
    if (!mem->is_int64()) return FromError(InvalidArgument("MemorySize must be an integer"));
    s.memory_mb = mem->as_int64();
  }
  if (const auto* env = json::GetObject(body, "Environment")) {
    if (const auto* vars = env->if_contains("Variables")) {
      if (!vars->is_object())
        return FromError(InvalidArgument("Environment.Variables must be an object"));
      s.environment_json = json::Serialize(*vars);
    }
  }
  if (const auto* code = json::GetObject(body, "Code")) {
    if (auto zip64 = json::GetString(*code, "ZipFile")) {
      auto zip = crypto::Base64Decode(*zip64);
      if (!zip) return FromError(InvalidArgument("Code.ZipFile is not base64"));
      s.zip = std::move(*zip);
    } else if (code->contains("S3Bucket") || code->contains("ImageUri")) {
      return FromError(InvalidArgument(
          "Code: only ZipFile is supported (S3Bucket/S3Key and ImageUri are not)"));
    }
  } else if (s.runtime != "http") {
    return FromError(InvalidArgument("Code is required"));
  }
  auto f = registry.Create(s, region);
  if (!f) return FromError(f.error());
  return AwsJsonResponse(201, Configuration(*f));
}

http::Response LambdaApi::Impl::Invoke(const http::Request& request, const std::string& name) {
  const std::string* type = request.FindHeader("X-Amz-Invocation-Type");
  auto fn = registry.Get(name);
  if (!fn) return FromError(fn.error());
  if (type && *type == "DryRun") {
    http::Response r;
    r.status = 204;
    return r;
  }
  std::string event = request.body.empty() ? "{}" : request.body;
  if (!json::Parse(event))
    return LambdaError(400, "InvalidRequestContentException",
                       "Could not parse request body into json: the payload is not JSON");
  if (type && *type == "Event") {
    // Asynchronous: run it after answering.
    auto* self = this;
    pool.Post([self, name, event] { (void)self->registry.Invoke(name, event, {}); });
    http::Response r;
    r.status = 202;
    return r;
  }
  if (type && *type != "RequestResponse")
    return FromError(InvalidArgument("X-Amz-Invocation-Type must be RequestResponse, Event or "
                                     "DryRun"));
  auto inv = registry.Invoke(name, event, {});
  if (!inv) return FromError(inv.error());
  http::Response r = http::Response::Text(200, inv->payload, "application/json");
  r.Set("X-Amz-Executed-Version", "$LATEST");
  r.Set("x-amzn-RequestId", inv->request_id);
  if (!inv->ok) r.Set("X-Amz-Function-Error", "Unhandled");
  const std::string* log_type = request.FindHeader("X-Amz-Log-Type");
  if (log_type && *log_type == "Tail") {
    auto logs = registry.Logs(name, 4096);
    r.Set("X-Amz-Log-Result", crypto::Base64Encode(logs ? *logs : ""));
  }
  return r;
}

}  // namespace plumbline::api
