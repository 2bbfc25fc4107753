// Key policies: the subset of AWS's policy language Plumbline evaluates.
//
// A document is {"Version": "2012-10-17", "Id"?, "Statement": [...]}; each
// statement has an optional Sid, Effect "Allow" | "Deny", Principal "*" or
// {"AWS": ARN | "*" | account id | [...]}, Action "kms:<Name>" (wildcards
// '*' and '?', case-insensitive) or a list of them, and Resource "*".
// Conditions, NotAction, NotPrincipal and NotResource are refused as
// malformed rather than ignored (a policy must not allow more than it says).
// The form earlier versions stored, {"Version": "plumbline-1",
// "AllowDecrypt": [usernames]}, is read as the equivalent AWS document.
//
// Evaluation: an explicit Deny that matches wins; otherwise an Allow naming
// the caller (or "*") allows; an Allow naming only the account (its root
// ARN or id) delegates to the account's own permissions, which KeyRing
// applies (root: everything; admins: managing keys but not using them).
//
// Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::kms {

struct PolicyStatement {
  std::string sid;
  bool allow = true;
  bool any_principal = false;          // "*"
  std::vector<std::string> principals; // ARNs (account ids become the root ARN)
  std::vector<std::string> actions;    // "kms:Decrypt", "kms:*", ...
};

struct KeyPolicy {
  std::vector<PolicyStatement> statements;
};

// kInvalidArgument ("MalformedPolicyDocumentException: ...") for anything
// this subset does not take. `account_id` turns account ids and legacy
// usernames into ARNs.
Result<KeyPolicy> ParseKeyPolicy(std::string_view document, const std::string& account_id);

enum class PolicyDecision { kDeny, kAllow, kAccountDelegated, kNoMatch };

// `principal_arns`: every ARN the caller acts as (its own, the user behind a
// session); `account_root_arn`: arn:aws:iam::<account>:root.
PolicyDecision Evaluate(const KeyPolicy& policy, const std::vector<std::string>& principal_arns,
                        std::string_view action, const std::string& account_root_arn);

// AWS's default key policy: the account root may do everything ("kms:*"),
// plus, when `key_users` is not empty, a statement letting those ARNs use
// the key (Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey).
std::string DefaultKeyPolicy(const std::string& account_id,
                             const std::vector<std::string>& key_users = {});
// The policy of the AWS managed key (alias/aws/s3): every principal of the
// installation may use and describe it; nobody may change it.
std::string ManagedKeyPolicy(const std::string& account_id);
// The AWS form of a stored policy (legacy documents converted); the
// document itself when it is already one.
std::string AwsFormOf(const std::string& stored, const std::string& account_id);

}  // namespace plumbline::kms
