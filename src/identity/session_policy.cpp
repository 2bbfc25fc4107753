#include "identity/session_policy.hpp"

#include <boost/json.hpp>

#include "common/json.hpp"
#include "common/wildcard.hpp"

namespace plumbline::identity {

namespace {

Error Malformed(const std::string& why) {
  return InvalidArgument("MalformedPolicyDocument: " + why);
}

// A string or a non-empty list of strings.
Result<std::vector<std::string>> Strings(const boost::json::value& v, const std::string& at) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
  } else if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (!e.is_string()) return Malformed(at + " must hold strings only");
      out.emplace_back(e.get_string());
    }
  } else {
    return Malformed(at + " must be a string or a list of strings");
  }
  if (out.empty()) return Malformed(at + " is empty");
  for (const auto& s : out)
    if (s.empty()) return Malformed(at + " holds an empty string");
  return out;
}

}  // namespace

Result<std::shared_ptr<const SessionPolicy>> SessionPolicy::Parse(std::vector<std::string> documents) {
  if (documents.empty()) return Malformed("no policy document");
  auto policy = std::make_shared<SessionPolicy>();
  for (const auto& doc : documents) {
    auto v = json::Parse(doc);
    if (!v) return Malformed("the policy is not JSON (" + v.error().message + ")");
    if (!v->is_object()) return Malformed("the policy must be a JSON object");
    const auto& o = v->get_object();
    for (const auto& [k, val] : o)
      if (k != "Version" && k != "Statement" && k != "Id")
        return Malformed("unknown field '" + std::string(k) + "'");
    if (const auto* ver = o.if_contains("Version");
        ver && !(ver->is_string() && (ver->get_string() == "2012-10-17" || ver->get_string() == "2008-10-17")))
      return Malformed("Version must be \"2012-10-17\"");
    const auto* st = o.if_contains("Statement");
    if (!st) return Malformed("Statement is required");
    std::vector<const boost::json::value*> items;
    if (st->is_object()) {
      items.push_back(st);
    } else if (st->is_array()) {
      for (const auto& e : st->get_array()) items.push_back(&e);
    } else {
      return Malformed("Statement must be an object or a list");
    }
    std::vector<Statement> parsed;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string at = "Statement[" + std::to_string(i) + "]";
      if (!items[i]->is_object()) return Malformed(at + " must be an object");
      const auto& s = items[i]->get_object();
      for (const auto& [k, val] : s)
        if (k != "Sid" && k != "Effect" && k != "Action" && k != "Resource")
          return Malformed(at + "." + std::string(k) + " is not supported in a session policy");
      Statement out;
      auto effect = json::GetString(s, "Effect");
      if (!effect || (*effect != "Allow" && *effect != "Deny"))
        return Malformed(at + ".Effect must be \"Allow\" or \"Deny\"");
      out.allow = *effect == "Allow";
      const auto* action = s.if_contains("Action");
      if (!action) return Malformed(at + ".Action is required");
      PLB_ASSIGN_OR_RETURN(out.actions, Strings(*action, at + ".Action"));
      for (const auto& a : out.actions)
        if (a != "*" && a.find(':') == std::string::npos)
          return Malformed(at + ".Action '" + a + "' must be service:Name");
      const auto* resource = s.if_contains("Resource");
      if (!resource) return Malformed(at + ".Resource is required");
      PLB_ASSIGN_OR_RETURN(out.resources, Strings(*resource, at + ".Resource"));
      for (const auto& r : out.resources)
        if (r != "*" && r.rfind("arn:", 0) != 0)
          return Malformed(at + ".Resource '" + r + "' must be an ARN or \"*\"");
      parsed.push_back(std::move(out));
    }
    policy->documents_.push_back(json::Serialize(*v));
    policy->parsed_.push_back(std::move(parsed));
  }
  return std::shared_ptr<const SessionPolicy>(std::move(policy));
}

SessionPolicy::Decision SessionPolicy::Evaluate(std::string_view action,
                                                std::string_view resource) const {
  bool all_allow = true;
  for (const auto& doc : parsed_) {
    bool allowed = false;
    for (const auto& s : doc) {
      bool action_matches = false;
      for (const auto& a : s.actions) action_matches = action_matches || WildcardMatch(a, action, true);
      if (!action_matches) continue;
      bool resource_matches = false;
      for (const auto& r : s.resources)
        resource_matches = resource_matches || WildcardMatch(r, resource, false);
      if (!resource_matches) continue;
      if (!s.allow) return Decision::kExplicitDeny;
      allowed = true;
    }
    all_allow = all_allow && allowed;
  }
  return all_allow ? Decision::kAllow : Decision::kNoAllow;
}

Status SessionPolicy::Check(std::string_view principal_arn, std::string_view action,
                            std::string_view resource) const {
  Decision d = Evaluate(action, resource);
  if (d == Decision::kAllow) return {};
  std::string m = "User: ";
  m += principal_arn;
  m += " is not authorized to perform: ";
  m += action;
  m += " on resource: ";
  m += resource;
  if (d == Decision::kExplicitDeny) {
    m += " with an explicit deny in a session policy";
  } else {
    m += " because no session policy allows the ";
    m += action;
    m += " action";
  }
  return PermissionDenied(std::move(m));
}

}  // namespace plumbline::identity
