#include "portal/pages.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "common/ids.hpp"
#include "common/text.hpp"
#include "portal/assets.hpp"
#include "portal/worker_api.hpp"
#include "identity/identity.hpp"

namespace plumbline::portal {

namespace {

// What a page needs to know about the signed-in worker.
struct PageSession {
  std::string username;
  std::string csrf_token;
};

// The worker behind the request's session cookie, or nullopt when there is no
// valid session (absent, unknown, expired, disabled user, or the store failed:
// the sign-in page is the safe answer to all of them).
std::optional<PageSession> ResolveSession(const http::Request& req, identity::Identity& identity) {
  auto found = identity.FindSession(req.Cookie(kSessionCookie));
  if (!found || !*found) return std::nullopt;
  return PageSession{(*found)->user.username, (*found)->session.csrf_token};
}

// Replaces every "{{key}}" of the page with the HTML-escaped value.
void Fill(std::string* page, std::string_view key, std::string_view value) {
  std::string placeholder = "{{" + std::string(key) + "}}";
  std::string escaped = EscapeHtml(value);
  for (size_t at = page->find(placeholder); at != std::string::npos;
       at = page->find(placeholder, at + escaped.size()))
    page->replace(at, placeholder.size(), escaped);
}

// The policy of every portal page. Scripts and styles come from this server
// only; the task iframe is a srcdoc document (it inherits this policy), so
// the labeling page adds a nonce for the template's own scripts. Inline style
// attributes stay allowed: templates and the crowd elements use them.
std::string ContentSecurityPolicy(const std::string& nonce) {
  std::string script_src = "script-src 'self'";
  if (!nonce.empty()) script_src += " 'nonce-" + nonce + "'";
  return "default-src 'self'; " + script_src +
         "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
         "media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
         "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
         "frame-ancestors 'none'";
}

http::Response Page(std::string_view asset, const std::optional<PageSession>& session,
                    std::string_view job_name = {}, const std::string& nonce = {}) {
  const EmbeddedAsset* a = FindAsset(asset);
  if (!a) return http::Response::Text(500, "portal page missing from the build\n");
  std::string body(a->body);
  Fill(&body, "csrf", session ? session->csrf_token : "");
  Fill(&body, "user", session ? session->username : "");
  Fill(&body, "job", job_name);
  Fill(&body, "nonce", nonce);
  http::Response r = http::Response::Text(200, std::move(body), "text/html; charset=utf-8");
  SetPageSecurityHeaders(&r, nonce);
  return r;
}

http::Response Redirect(std::string location) {
  http::Response r;
  r.status = 302;
  r.Set("Location", std::move(location));
  r.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace

void SetPageSecurityHeaders(http::Response* r, const std::string& nonce) {
  r->Set("Content-Security-Policy", ContentSecurityPolicy(nonce));
  r->Set("X-Frame-Options", "DENY");
  r->Set("X-Content-Type-Options", "nosniff");
  r->Set("Referrer-Policy", "no-referrer");
  // Pages carry the CSRF token: never cache them.
  r->Set("Cache-Control", "no-store");
}

void RegisterPages(http::Router& router, identity::Identity& identity) {
  router.Add("GET", "/", [](const http::Request&) { return Redirect("/worker/"); });

  // "/worker" and "/worker/" both land here (the router ignores a trailing slash).
  router.Add("GET", "/worker", [&identity](const http::Request& req) {
    auto session = ResolveSession(req, identity);
    return Page(session ? "/static/jobs.html" : "/static/signin.html", session);
  });

  // An invitation's one-time link: /worker/invite#TOKEN. The token stays in
  // the fragment (never sent in a request line, a log or a Referer); the
  // page posts it to /worker/api/invitation.
  router.Add("GET", "/worker/invite", [](const http::Request&) {
    return Page("/static/invite.html", std::nullopt);
  });

  router.Add("GET", "/worker/jobs/{jobName}", [&identity](const http::Request& req) {
    auto session = ResolveSession(req, identity);
    if (!session) return Redirect("/worker/");
    // A fresh nonce per response: it lets the task template's scripts run in
    // the srcdoc iframe, which inherits this page's policy.
    return Page("/static/task.html", session, req.Param("jobName"), RandomHex(16));
  });
}

}  // namespace plumbline::portal
