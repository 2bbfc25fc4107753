#include "kms/policy.hpp"

#include <boost/json.hpp>
#include <cctype>

#include "common/json.hpp"
#include "common/text.hpp"
#include "common/wildcard.hpp"

namespace plumbline::kms {
namespace {

Error Malformed(const std::string& why) {
  return InvalidArgument("MalformedPolicyDocumentException: " + why);
}

std::string RootArn(const std::string& account) { return "arn:aws:iam::" + account + ":root"; }

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// A string or a non-empty array of strings.
Result<std::vector<std::string>> Strings(const boost::json::value& v, const char* what) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
  } else if (v.is_array() && !v.get_array().empty()) {
    for (const auto& e : v.get_array()) {
      if (!e.is_string()) return Malformed(std::string(what) + " must hold strings");
      out.emplace_back(e.get_string());
    }
  } else {
    return Malformed(std::string(what) + " must be a string or a list of strings");
  }
  return out;
}

Result<PolicyStatement> ParseStatement(const boost::json::value& v, const std::string& account) {
  if (!v.is_object()) return Malformed("a statement must be an object");
  const auto& o = v.get_object();
  PolicyStatement s;
  for (const auto& [k, val] : o) {
    if (k == "Sid") {
      if (!val.is_string()) return Malformed("Sid must be a string");
      s.sid = std::string(val.get_string());
    } else if (k == "Effect") {
      if (val == "Allow") s.allow = true;
      else if (val == "Deny") s.allow = false;
      else return Malformed("Effect must be Allow or Deny");
    } else if (k == "Principal") {
      if (val.is_string() && val.get_string() == "*") {
        s.any_principal = true;
        continue;
      }
      if (!val.is_object() || val.get_object().size() != 1 || !val.get_object().contains("AWS"))
        return Malformed("Principal must be \"*\" or {\"AWS\": ...}");
      PLB_ASSIGN_OR_RETURN(auto arns, Strings(val.get_object().at("AWS"), "Principal.AWS"));
      for (auto& a : arns) {
        if (a == "*") s.any_principal = true;
        else if (IsAccountId(a)) s.principals.push_back(RootArn(a));
        else if (a.rfind("arn:aws:iam::", 0) == 0 || a.rfind("arn:aws:sts::", 0) == 0)
          s.principals.push_back(std::move(a));
        else return Malformed("Policy contains a statement with one or more invalid principals.");
      }
    } else if (k == "Action") {
      PLB_ASSIGN_OR_RETURN(s.actions, Strings(val, "Action"));
      for (const auto& a : s.actions)
        if (a != "*" && !(a.size() > 4 && EqualsIgnoreCase(a.substr(0, 4), "kms:")))
          return Malformed("Action " + a + " is not a kms: action");
    } else if (k == "Resource") {
      PLB_ASSIGN_OR_RETURN(auto r, Strings(val, "Resource"));
      for (const auto& x : r)
        if (x != "*") return Malformed("Resource must be \"*\" in a key policy");
    } else {
      // Condition, NotAction, NotPrincipal, NotResource: not evaluated here, so
      // refused rather than silently ignored.
      return Malformed(std::string(k) + " is not supported by this installation's key policies");
    }
  }
  if (!o.contains("Effect") || !o.contains("Principal") || !o.contains("Action") ||
      !o.contains("Resource"))
    return Malformed("a statement needs Effect, Principal, Action and Resource");
  (void)account;
  return s;
}

bool PrincipalMatches(const PolicyStatement& s, const std::vector<std::string>& arns) {
  if (s.any_principal) return true;
  for (const auto& p : s.principals)
    for (const auto& a : arns)
      if (EqualsIgnoreCase(p, a)) return true;
  return false;
}

bool ActionMatches(const PolicyStatement& s, std::string_view action) {
  for (const auto& a : s.actions)
    if (WildcardMatch(a, action, /*fold_case=*/true)) return true;
  return false;
}

std::string Serialize(const boost::json::object& o) { return boost::json::serialize(o); }

}  // namespace

Result<KeyPolicy> ParseKeyPolicy(std::string_view document, const std::string& account_id) {
  if (document.size() > 32768) return Malformed("the policy is longer than 32768 characters");
  auto parsed = json::Parse(document);
  if (!parsed || !parsed->is_object()) return Malformed("the policy is not a JSON object");
  const auto& o = parsed->get_object();
  KeyPolicy policy;
  if (const auto* v = o.if_contains("Version"); v && *v == "plumbline-1") {
    // The earlier form: the account root may do everything, the named users decrypt.
    PolicyStatement root;
    root.principals.push_back(RootArn(account_id));
    root.actions.push_back("kms:*");
    policy.statements.push_back(std::move(root));
    PolicyStatement users;
    users.actions.push_back("kms:Decrypt");
    if (const auto* a = o.if_contains("AllowDecrypt"); a && a->is_array())
      for (const auto& u : a->get_array())
        if (u.is_string())
          users.principals.push_back("arn:aws:iam::" + account_id + ":user/" +
                                     std::string(u.get_string()));
    if (!users.principals.empty()) policy.statements.push_back(std::move(users));
    return policy;
  }
  for (const auto& [k, v] : o) {
    if (k == "Version") {
      if (v != "2012-10-17" && v != "2008-10-17") return Malformed("unknown policy Version");
    } else if (k == "Id") {
      if (!v.is_string()) return Malformed("Id must be a string");
    } else if (k != "Statement") {
      return Malformed("unknown policy element " + std::string(k));
    }
  }
  const auto* st = o.if_contains("Statement");
  if (!st) return Malformed("the policy has no Statement");
  if (st->is_object()) {
    PLB_ASSIGN_OR_RETURN(auto s, ParseStatement(*st, account_id));
    policy.statements.push_back(std::move(s));
  } else if (st->is_array() && !st->get_array().empty()) {
    for (const auto& e : st->get_array()) {
      PLB_ASSIGN_OR_RETURN(auto s, ParseStatement(e, account_id));
      policy.statements.push_back(std::move(s));
    }
  } else {
    return Malformed("Statement must be an object or a non-empty list");
  }
  return policy;
}

PolicyDecision Evaluate(const KeyPolicy& policy, const std::vector<std::string>& principal_arns,
                        std::string_view action, const std::string& account_root_arn) {
  bool allowed = false, delegated = false;
  const std::vector<std::string> root{account_root_arn};
  for (const auto& s : policy.statements) {
    if (!ActionMatches(s, action)) continue;
    bool direct = PrincipalMatches(s, principal_arns);
    if (!s.allow) {
      // A Deny naming the account covers everyone in it.
      if (direct || PrincipalMatches(s, root)) return PolicyDecision::kDeny;
      continue;
    }
    if (direct) allowed = true;
    else if (PrincipalMatches(s, root)) delegated = true;
  }
  if (allowed) return PolicyDecision::kAllow;
  return delegated ? PolicyDecision::kAccountDelegated : PolicyDecision::kNoMatch;
}

std::string DefaultKeyPolicy(const std::string& account_id,
                             const std::vector<std::string>& key_users) {
  boost::json::array statements;
  statements.push_back(boost::json::object{{"Sid", "Enable IAM User Permissions"},
                                           {"Effect", "Allow"},
                                           {"Principal", {{"AWS", RootArn(account_id)}}},
                                           {"Action", "kms:*"},
                                           {"Resource", "*"}});
  if (!key_users.empty()) {
    boost::json::array users;
    for (const auto& u : key_users) users.emplace_back(u);
    statements.push_back(boost::json::object{
        {"Sid", "Allow use of the key"},
        {"Effect", "Allow"},
        {"Principal", {{"AWS", users}}},
        {"Action", boost::json::array{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                                      "kms:GenerateDataKey*", "kms:DescribeKey"}},
        {"Resource", "*"}});
  }
  return Serialize(
      {{"Version", "2012-10-17"}, {"Id", "key-default-1"}, {"Statement", std::move(statements)}});
}

std::string ManagedKeyPolicy(const std::string& account_id) {
  (void)account_id;
  boost::json::array statements;
  statements.push_back(boost::json::object{
      {"Sid", "Allow access through S3 for all principals in the account that are authorized to use S3"},
      {"Effect", "Allow"},
      {"Principal", {{"AWS", "*"}}},
      {"Action", boost::json::array{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*",
                                    "kms:GenerateDataKey*", "kms:DescribeKey"}},
      {"Resource", "*"}});
  statements.push_back(boost::json::object{{"Sid", "Allow direct access to key metadata to the account"},
                                           {"Effect", "Allow"},
                                           {"Principal", {{"AWS", "*"}}},
                                           {"Action", boost::json::array{"kms:Describe*", "kms:Get*", "kms:List*"}},
                                           {"Resource", "*"}});
  return Serialize(
      {{"Version", "2012-10-17"}, {"Id", "auto-s3-2"}, {"Statement", std::move(statements)}});
}

std::string AwsFormOf(const std::string& stored, const std::string& account_id) {
  auto parsed = json::Parse(stored);
  if (!parsed || !parsed->is_object()) return stored;
  const auto* v = parsed->get_object().if_contains("Version");
  if (!v || *v != "plumbline-1") return stored;
  std::vector<std::string> users;
  if (const auto* a = parsed->get_object().if_contains("AllowDecrypt"); a && a->is_array())
    for (const auto& u : a->get_array())
      if (u.is_string()) users.push_back("arn:aws:iam::" + account_id + ":user/" + std::string(u.get_string()));
  // The legacy form let the named users decrypt only.
  boost::json::array statements;
  statements.push_back(boost::json::object{{"Sid", "Enable IAM User Permissions"},
                                           {"Effect", "Allow"},
                                           {"Principal", {{"AWS", RootArn(account_id)}}},
                                           {"Action", "kms:*"},
                                           {"Resource", "*"}});
  if (!users.empty()) {
    boost::json::array u;
    for (auto& x : users) u.emplace_back(x);
    statements.push_back(boost::json::object{{"Sid", "Allow decrypt"},
                                             {"Effect", "Allow"},
                                             {"Principal", {{"AWS", u}}},
                                             {"Action", "kms:Decrypt"},
                                             {"Resource", "*"}});
  }
  return Serialize(
      {{"Version", "2012-10-17"}, {"Id", "key-default-1"}, {"Statement", std::move(statements)}});
}

}  // namespace plumbline::kms
