// The worker portal's HTML pages: sign-in, the job list and the labeling page.
// The pages are static files from web/portal/ (embedded at build time) with a
// few values filled in per request (the CSRF token, the user and job names,
// a CSP nonce); everything else happens in the browser over the worker JSON
// API (worker_api.hpp). Every page is sent with a strict Content-Security-Policy
// and no-store caching.
//
// Routes:
//   GET /                    302 to /worker/
//   GET /worker/             the job list when the session cookie is valid,
//                            else the sign-in page
//   GET /worker/jobs/{job}   the labeling page; 302 to /worker/ without a session
//
// The labeling page shows each task's template in an <iframe sandbox="allow-scripts"
// srcdoc>. A srcdoc document inherits the page's CSP, so the page's policy carries
// a per-response nonce that the portal script adds to the template's <script>
// tags (see web/portal/task.js); the template's own scripts run, nothing else
// inline does. Thread-safe (handlers only read sessions).
#pragma once

#include "http/http.hpp"

namespace plumbline::identity {
class Identity;
}

namespace plumbline::portal {

// Adds the page routes above. `identity` (which resolves the session
// cookie) must outlive the router.
void RegisterPages(http::Router& router, identity::Identity& identity);

// The security headers of every page this server sends to a browser (the
// portal's and the admin console's): the Content-Security-Policy above (with
// `nonce` allowed for scripts when not empty), no framing, no sniffing, no
// referrer, no caching (pages carry CSRF tokens).
void SetPageSecurityHeaders(http::Response* response, const std::string& nonce);

}  // namespace plumbline::portal
