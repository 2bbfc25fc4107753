// The worker JSON API (DESIGN.md "Worker JSON API"): sign-in with a session
// cookie and CSRF token, the worker's jobs, claim, submit, release, decline.
// The portal's pages use it; so can scripts. Thread-safe.
#pragma once

#include <memory>
#include <utility>
#include <variant>

#include "common/clock.hpp"
#include "http/http.hpp"
#include "portal/sign_in_throttle.hpp"

namespace plumbline::labeling {
class LabelingService;
}
namespace plumbline::store {
class Store;
struct Session;
struct User;
}

namespace plumbline {
class WorkPool;
}

namespace plumbline::portal {

struct PortalOptions {
  int64_t session_ttl_seconds = 12 * 3600;
  bool secure_cookies = false;  // set when served over TLS
  SignInThrottle::Options throttle;  // sign-in failures -> 429 (issue #6)
};

class WorkerApi {
 public:
  WorkerApi(labeling::LabelingService& service, store::Store& store, const Clock& clock,
            PortalOptions options);
  ~WorkerApi();
  // Adds the /worker/api/... routes.
  void Register(http::Router& router);

 private:
  labeling::LabelingService& service_;
  store::Store& store_;
  const Clock& clock_;
  PortalOptions options_;
  std::unique_ptr<SignInThrottle> throttle_;
  // Runs sign-ins; last, so that it finishes them before the rest goes.
  std::unique_ptr<WorkPool> sign_ins_;
  http::Response Login(const http::Request& req);
  // The signed-in session and user of a request, or the response that
  // refuses it (no or an ended session, a wrong CSRF token on a POST, a
  // disabled account).
  std::variant<http::Response, std::pair<store::Session, store::User>> Authenticate(
      const http::Request& req) const;
  // Appends a portal:<action> entry to the audit log (failures only logged).
  void Audit(const std::string& action, const std::string& username, const http::Request& req,
             const std::string& outcome) const;
};

// Name of the session cookie.
inline constexpr const char* kSessionCookie = "plb_session";

}  // namespace plumbline::portal
