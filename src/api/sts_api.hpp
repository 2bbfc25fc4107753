// AWS STS as Plumbline speaks it: the query protocol (a form-encoded POST of
// Action=...&Version=2011-06-15&..., or the same as a GET query), every call
// signed with SigV4 (service "sts"), answers in STS's XML and errors as
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
//
// Operations:
//  * GetCallerIdentity -> Arn, UserId, Account of the signing principal.
//  * AssumeRole {RoleArn, RoleSessionName, DurationSeconds?, Policy?} ->
//    temporary credentials (ASIA... key, secret, session token, expiration)
//    and the AssumedRoleUser. Any role ARN of this installation's account may
//    be assumed by any of its principals; the session carries the caller's
//    own permissions (identity/ issues and verifies it), narrowed by Policy
//    (a session policy, identity/session_policy.hpp; at most 2048
//    characters) and by the caller's own session policy, if any. A narrowed
//    session may assume only the roles its policy allows sts:AssumeRole on,
//    and no session outlives the session that made it. 900-43200 seconds
//    (default 3600; at most 3600 when the caller already uses a session, as
//    AWS limits role chaining). The root key may assume roles here (AWS
//    refuses its root user): it is often a small installation's only key.
//  * GetSessionToken {DurationSeconds?} -> temporary credentials of the
//    caller itself (900-129600 seconds, default 43200); refused for
//    callers that already use a session, as AWS does.
// Errors: ValidationError, AccessDenied, InvalidAction, and the SigV4 ones
// (MissingAuthenticationToken, InvalidClientTokenId, SignatureDoesNotMatch,
// IncompleteSignature, ExpiredToken).
//
// Thread-safe: Handle() may run concurrently. See tests/api/sts_api_test.cpp.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "http/http.hpp"

namespace plumbline::identity {
class Identity;
}

namespace plumbline::api {

struct StsApiOptions {
  std::chrono::seconds allowed_skew{300};
  // The shortest DurationSeconds accepted (AWS: 900). Lower values are for
  // tests and demos that need credentials to expire quickly.
  int64_t min_duration_seconds = 900;
};

// Parses an application/x-www-form-urlencoded body (or a query string):
// '+' is a space, %XX a byte; a name given twice keeps its first value.
// kInvalidArgument for a malformed percent escape or an empty name.
Result<std::map<std::string, std::string>> ParseFormBody(std::string_view body);

class StsApi {
 public:
  // Borrows `identity`, which must outlive the StsApi.
  StsApi(identity::Identity& identity, StsApiOptions options = {});
  http::Response Handle(const http::Request& request) const;

 private:
  identity::Identity& identity_;
  StsApiOptions options_;
};

}  // namespace plumbline::api
