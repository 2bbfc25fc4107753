// The JSON API conventions and the sign-in protocol that the worker API
// (portal/worker_api.cpp) and the admin console (console/) share: one error
// body, one mapping of an Error to a status, one way to sign in with a JSON
// body and to find a request's session.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "common/result.hpp"
#include "http/http.hpp"
#include "identity/identity.hpp"

namespace plumbline::portal {

// Name of the session cookie.
inline constexpr const char* kSessionCookie = "plb_session";

// {"error": code, "message": message} with `status`.
http::Response JsonError(int status, const std::string& code, const std::string& message);

// The one place where an Error becomes an API status.
http::Response FromError(const Error& e);

// Who made a request, for the audit log and sign-in throttling.
identity::RequestSource SourceOf(const http::Request& req);

// Signs in with the request's JSON body {"username", "password"}: the new
// session, or the refusal (400 for a malformed body, 401 for wrong
// credentials, 429 with Retry-After while throttled, else the store's error).
std::variant<http::Response, identity::SignedIn> SignInWithJsonBody(identity::Identity& identity,
                                                                     const http::Request& req);

// The answer to a sign-in: the session's CSRF token and username, and its
// cookie (Secure with `secure_cookies`).
http::Response SessionResponse(identity::Identity& identity, const identity::SignedIn& s,
                               bool secure_cookies);

// The session of the request's session cookie, or the refusal (no or an
// ended session, a disabled account, the store down). `check`: see
// identity::Identity::FindSession.
std::variant<http::Response, identity::SignedIn> FindSession(
    identity::Identity& identity, const http::Request& req,
    store::SessionCheck check = store::SessionCheck::kCurrent);
// The refusal of a POST without the session's CSRF token in X-CSRF-Token.
std::optional<http::Response> CheckCsrf(const http::Request& req, const identity::SignedIn& s);
// Both: the session, its CSRF header checked on a POST, or the refusal.
std::variant<http::Response, identity::SignedIn> SessionOf(
    identity::Identity& identity, const http::Request& req,
    store::SessionCheck check = store::SessionCheck::kCurrent);

}  // namespace plumbline::portal
