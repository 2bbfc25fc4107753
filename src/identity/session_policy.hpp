// Session policies: what narrows temporary credentials below the
// permissions of the principal that made them (AssumeRole's Policy
// parameter, and the credentials each run of a custom hook gets, scoped
// like a Lambda execution role for its job).
//
// A document is IAM's identity-policy form, the subset Plumbline evaluates:
// {"Version": "2012-10-17", "Statement": [...]} (or one statement object),
// each statement with an optional Sid, Effect "Allow" | "Deny", Action
// ("s3:GetObject", "kms:*", "s3:*Object", ...; '*' and '?' wildcards, case-
// insensitive) and Resource (ARNs with '*' and '?', case-sensitive), each a
// string or a list. Principal, NotAction, NotResource and Condition are
// refused as malformed rather than ignored: a policy must not allow more
// than it says.
//
// Evaluation: a request is allowed by a document when an Allow statement
// matches its action and resource and no Deny statement does. A session may
// carry several documents (a session made from a narrowed session keeps its
// parent's documents, so chaining never widens); each must allow. Principals
// without a session policy are not narrowed.
//
// Immutable after Parse; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::identity {

class SessionPolicy {
 public:
  enum class Decision { kAllow, kExplicitDeny, kNoAllow };

  // kInvalidArgument "MalformedPolicyDocument: ..." naming the statement and
  // field at fault. `documents` empty is kInvalidArgument too.
  static Result<std::shared_ptr<const SessionPolicy>> Parse(std::vector<std::string> documents);

  Decision Evaluate(std::string_view action, std::string_view resource) const;
  // OK, or kPermissionDenied with AWS's message for `principal_arn` ("...
  // because no session policy allows the ACTION action" / "... with an
  // explicit deny in a session policy").
  Status Check(std::string_view principal_arn, std::string_view action,
               std::string_view resource) const;
  // The documents, compact, as given (what a chained session carries on).
  const std::vector<std::string>& documents() const { return documents_; }

 private:
  struct Statement {
    bool allow = true;
    std::vector<std::string> actions;
    std::vector<std::string> resources;
  };
  std::vector<std::string> documents_;
  std::vector<std::vector<Statement>> parsed_;
};

}  // namespace plumbline::identity
