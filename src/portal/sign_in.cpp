#include "portal/sign_in.hpp"

#include <boost/json.hpp>

#include "common/json.hpp"

namespace plumbline::portal {

http::Response JsonError(int status, const std::string& code, const std::string& message) {
  boost::json::object o;
  o["error"] = code;
  o["message"] = message;
  return http::Response::Json(status, json::Serialize(o));
}

http::Response FromError(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument: return JsonError(400, "InvalidRequest", e.message);
    case ErrorCode::kNotFound: return JsonError(404, "NotFound", e.message);
    case ErrorCode::kAlreadyExists: return JsonError(409, "Conflict", e.message);
    case ErrorCode::kConflict: return JsonError(409, "Conflict", e.message);
    case ErrorCode::kPermissionDenied: return JsonError(403, "Forbidden", e.message);
    case ErrorCode::kUnauthenticated: return JsonError(401, "Unauthenticated", e.message);
    case ErrorCode::kUnavailable: return JsonError(503, "Unavailable", "storage is unavailable");
    case ErrorCode::kInternal: break;
  }
  return JsonError(500, "InternalError", "internal error");
}

identity::RequestSource SourceOf(const http::Request& req) {
  const std::string* ua = req.FindHeader("User-Agent");
  return {req.remote_address, ua ? *ua : std::string()};
}

std::variant<http::Response, identity::SignedIn> SignInWithJsonBody(identity::Identity& identity,
                                                                     const http::Request& req) {
  auto body = json::Parse(req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  auto username = json::GetString(body->get_object(), "username");
  auto password = json::GetString(body->get_object(), "password");
  if (!username || !password)
    return JsonError(400, "InvalidRequest", "username and password are required");
  auto result = identity.SignIn(*username, *password, SourceOf(req));
  if (result.retry_after_seconds > 0) {
    http::Response r = JsonError(429, "TooManyAttempts", result.status.error().message);
    r.Set("Retry-After", std::to_string(result.retry_after_seconds));
    return r;
  }
  if (!result.status) {
    if (result.status.error().code == ErrorCode::kUnauthenticated)
      return JsonError(401, "InvalidCredentials", result.status.error().message);
    return FromError(result.status.error());
  }
  return std::move(*result.signed_in);
}

http::Response SessionResponse(identity::Identity& identity, const identity::SignedIn& s,
                               bool secure_cookies) {
  boost::json::object out;
  out["csrfToken"] = s.session.csrf_token;
  out["username"] = s.user.username;
  http::Response r = http::Response::Json(200, json::Serialize(out));
  r.Set("Cache-Control", "no-store");
  std::string cookie = std::string(kSessionCookie) + "=" + s.session.token +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                       std::to_string(identity.options().session_ttl_seconds);
  if (secure_cookies) cookie += "; Secure";
  r.Set("Set-Cookie", cookie);
  return r;
}

std::variant<http::Response, identity::SignedIn> FindSession(identity::Identity& identity,
                                                             const http::Request& req,
                                                             store::SessionCheck check) {
  std::string token = req.Cookie(kSessionCookie);
  if (token.empty()) return FromError(Unauthenticated("sign in first"));
  auto found = identity.FindSession(token, check);
  if (!found) return FromError(found.error());  // disabled: 403, store down: 503
  if (!*found) return FromError(Unauthenticated("your session has ended; sign in again"));
  return std::move(**found);
}

std::optional<http::Response> CheckCsrf(const http::Request& req, const identity::SignedIn& s) {
  if (req.method != "POST") return std::nullopt;
  const std::string* csrf = req.FindHeader("X-CSRF-Token");
  if (csrf && identity::Identity::CsrfMatches(s.session, *csrf)) return std::nullopt;
  return JsonError(403, "CsrfTokenMismatch", "missing or wrong X-CSRF-Token header");
}

std::variant<http::Response, identity::SignedIn> SessionOf(identity::Identity& identity,
                                                           const http::Request& req,
                                                           store::SessionCheck check) {
  auto found = FindSession(identity, req, check);
  if (auto* s = std::get_if<identity::SignedIn>(&found)) {
    if (auto refused = CheckCsrf(req, *s)) return std::move(*refused);
  }
  return found;
}

}  // namespace plumbline::portal
