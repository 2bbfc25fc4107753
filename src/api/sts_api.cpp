#include "api/sts_api.hpp"

#include <ctime>

#include "api/aws_auth.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "crypto/hash.hpp"
#include "identity/identity.hpp"

namespace plumbline::api {
namespace {

constexpr std::string_view kNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";

std::string Element(std::string_view name, std::string_view text) {
  return "<" + std::string(name) + ">" + EscapeXml(text) + "</" + std::string(name) + ">";
}

http::Response Xml(int status, const std::string& body) {
  http::Response r = http::Response::Text(status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body,
                                          "text/xml");
  return r;
}

http::Response StsError(int status, const std::string& code, const std::string& message) {
  const std::string id = RandomUuid();
  http::Response r = Xml(status, "<ErrorResponse xmlns=\"" + std::string(kNamespace) + "\"><Error>" +
                                     Element("Type", status >= 500 ? "Receiver" : "Sender") +
                                     Element("Code", code) + Element("Message", message) +
                                     "</Error>" + Element("RequestId", id) + "</ErrorResponse>");
  r.Set("x-amzn-RequestId", id);
  return r;
}

http::Response StsOk(const std::string& action, const std::string& result) {
  const std::string id = RandomUuid();
  http::Response r = Xml(200, "<" + action + "Response xmlns=\"" + std::string(kNamespace) + "\"><" +
                                  action + "Result>" + result + "</" + action + "Result>" +
                                  "<ResponseMetadata>" + Element("RequestId", id) +
                                  "</ResponseMetadata></" + action + "Response>");
  r.Set("x-amzn-RequestId", id);
  return r;
}

// The SigV4 refusals in STS's words.
http::Response FromAuth(const crypto::AuthError& e) {
  if (e.code == "ServiceUnavailable") return StsError(503, "ServiceUnavailable", e.message);
  if (e.code == "MissingAuthenticationTokenException")
    return StsError(403, "MissingAuthenticationToken", e.message);
  if (e.code == "UnrecognizedClientException") return StsError(403, "InvalidClientTokenId", e.message);
  if (e.code == "ExpiredTokenException") return StsError(403, "ExpiredToken", e.message);
  if (e.code == "IncompleteSignatureException") return StsError(400, "IncompleteSignature", e.message);
  return StsError(403, "SignatureDoesNotMatch", e.message);
}

Result<std::string> Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || HexDigitValue(s[i + 1]) < 0 || HexDigitValue(s[i + 2]) < 0)
        return InvalidArgument("malformed percent escape in the request body");
      out.push_back(static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Iso8601(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A stable IAM-style unique id ("AIDA"/"AROA" + 17) for a name.
std::string UniqueId(std::string_view prefix, std::string_view name) {
  std::string h = crypto::Sha256Hex(name);
  std::string out(prefix);
  for (size_t i = 0; i < 17; ++i) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(h[i]))));
  return out;
}

std::string Credentials(const identity::TemporaryCredentials& t) {
  return "<Credentials>" + Element("AccessKeyId", t.access_key_id) +
         Element("SecretAccessKey", t.secret_access_key) + Element("SessionToken", t.session_token) +
         Element("Expiration", Iso8601(t.expires_ms)) + "</Credentials>";
}

// DurationSeconds in [lo, hi], default `dflt`. nullopt-free: an error message.
Result<int64_t> Duration(const std::map<std::string, std::string>& p, int64_t lo, int64_t hi,
                         int64_t dflt) {
  auto it = p.find("DurationSeconds");
  if (it == p.end()) return std::max(dflt, lo);
  const std::string& v = it->second;
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("Value '" + v + "' at 'durationSeconds' failed to satisfy constraint: "
                           "Member must be a number");
  int64_t d = std::stoll(v);
  if (d < lo)
    return InvalidArgument("1 validation error detected: Value '" + v + "' at 'durationSeconds' "
                           "failed to satisfy constraint: Member must have value greater than or "
                           "equal to " + std::to_string(lo));
  if (d > hi)
    return InvalidArgument("The requested DurationSeconds exceeds the " +
                           (hi == 3600 ? std::string("1 hour session limit for roles assumed by role chaining.")
                                       : "MaxSessionDuration set for this role."));
  return d;
}

bool ValidSessionName(const std::string& n) {
  if (n.size() < 2 || n.size() > 64) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_+=,.@-").find(c) == std::string_view::npos)
      return false;
  return true;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseFormBody(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      PLB_ASSIGN_OR_RETURN(std::string name, Decode(pair.substr(0, eq)));
      std::string value;
      if (eq != std::string_view::npos) {
        PLB_ASSIGN_OR_RETURN(value, Decode(pair.substr(eq + 1)));
      }
      if (name.empty()) return InvalidArgument("a parameter without a name in the request body");
      out.emplace(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

StsApi::StsApi(identity::Identity& identity, StsApiOptions options)
    : identity_(identity), options_(options) {}

http::Response StsApi::Handle(const http::Request& request) const {
  auto who = AuthenticateSigV4(request, identity_, options_.allowed_skew, "sts");
  if (!who) return FromAuth(who.error());
  auto params = ParseFormBody(request.method == "GET" ? std::string_view(request.query)
                                                      : std::string_view(request.body));
  if (!params) return StsError(400, "MalformedQueryString", params.error().message);
  auto& p = *params;
  const std::string action = p.count("Action") ? p["Action"] : "";
  if (p.count("Version") && p["Version"] != "2011-06-15")
    return StsError(400, "InvalidAction", "Could not find operation " + action + " for version " + p["Version"]);
  const std::string account = identity_.options().account_id;
  const bool in_session = !who->base_access_key_id.empty();

  if (action == "GetCallerIdentity") {
    std::string user_id = who->is_root ? account : UniqueId("AIDA", who->base_arn.empty() ? who->arn : who->base_arn);
    if (!who->role_arn.empty()) {
      std::string arn = who->arn;
      user_id = UniqueId("AROA", who->role_arn) + ":" + arn.substr(arn.rfind('/') + 1);
    }
    return StsOk(action, Element("Arn", who->arn) + Element("UserId", user_id) + Element("Account", account));
  }

  // Both credential-issuing actions are audited.
  auto audit = [&](const std::string& target, const Error* e) {
    store::AuditEntry a;
    a.actor = who->is_root ? "root" : (who->user ? who->user->username : who->access_key_id);
    a.action = "sts:" + action;
    a.target = target;
    a.source = request.remote_address;
    a.outcome = e ? ErrorCodeName(e->code) : "ok";
    a.detail = e ? e->message : who->arn;
    identity_.Audit(std::move(a));
  };
  // A disabled user's keys make no sessions.
  if (!who->is_root && (!who->user || who->user->disabled)) {
    Error e = PermissionDenied(identity::Identity::AccessDeniedMessage(who->arn, "sts:" + action, "*"));
    if (action == "AssumeRole" || action == "GetSessionToken") audit("", &e);
    return StsError(403, "AccessDenied", e.message);
  }

  if (action == "AssumeRole") {
    const std::string role = p.count("RoleArn") ? p["RoleArn"] : "";
    const std::string name = p.count("RoleSessionName") ? p["RoleSessionName"] : "";
    if (role.size() < 20 || role.size() > 2048)
      return StsError(400, "ValidationError", "1 validation error detected: Value '" + role +
                                                  "' at 'roleArn' failed to satisfy constraint: "
                                                  "Member must have length greater than or equal to 20");
    if (!ValidSessionName(name))
      return StsError(400, "ValidationError", "1 validation error detected: Value '" + name +
                                                  "' at 'roleSessionName' failed to satisfy constraint: "
                                                  "Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    const std::string prefix = "arn:aws:iam::" + account + ":role/";
    if (role.rfind(prefix, 0) != 0 || role.size() == prefix.size()) {
      Error e = PermissionDenied(identity::Identity::AccessDeniedMessage(who->arn, "sts:AssumeRole", role));
      audit(role, &e);
      return StsError(403, "AccessDenied", e.message);
    }
    // A narrowed session assumes only the roles its policy names.
    if (who->session_policy)
      if (auto s = who->session_policy->Check(who->arn, "sts:AssumeRole", role); !s) {
        Error e = s.error();
        audit(role, &e);
        return StsError(403, "AccessDenied", e.message);
      }
    auto d = Duration(p, options_.min_duration_seconds, in_session ? 3600 : 43200, 3600);
    if (!d) return StsError(400, "ValidationError", d.error().message);
    const std::string policy = p.count("Policy") ? p["Policy"] : "";
    if (policy.size() > 2048)
      return StsError(400, "PackedPolicyTooLarge",
                      "Policy: the session policy has " + std::to_string(policy.size()) +
                          " characters; at most 2048 are allowed");
    auto creds = identity_.IssueTemporaryCredentials(*who, role, name, *d, policy);
    if (!creds && creds.error().code == ErrorCode::kInvalidArgument)
      return StsError(400, "MalformedPolicyDocument", "Policy: " + creds.error().message);
    if (!creds) return StsError(500, "InternalFailure", creds.error().message);
    audit(role, nullptr);
    std::string result = Credentials(*creds) + "<AssumedRoleUser>" + Element("AssumedRoleId", UniqueId("AROA", role) + ":" + name) +
                         Element("Arn", creds->arn) + "</AssumedRoleUser>";
    return StsOk(action, result);
  }

  if (action == "GetSessionToken") {
    if (in_session) {
      Error e = PermissionDenied("Cannot call GetSessionToken with session credentials");
      audit("", &e);
      return StsError(403, "AccessDenied", e.message);
    }
    auto d = Duration(p, options_.min_duration_seconds, 129600, 43200);
    if (!d) return StsError(400, "ValidationError", d.error().message);
    auto creds = identity_.IssueTemporaryCredentials(*who, "", "", *d);
    if (!creds) return StsError(500, "InternalFailure", creds.error().message);
    audit("", nullptr);
    return StsOk(action, Credentials(*creds));
  }

  return StsError(400, "InvalidAction", "Could not find operation " + action + " for version 2011-06-15");
}

}  // namespace plumbline::api
