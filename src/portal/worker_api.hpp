// The worker JSON API (DESIGN.md "Worker JSON API"): sign-in with a session
// cookie and CSRF token (identity/ signs in, finds sessions and audits), the
// worker's jobs, claim, submit, release, decline; invitations (POST
// /worker/api/invitation {"token"} -> {"username","expires"}, POST
// /worker/api/invitation/accept {"token","password"} -> as login), which
// need no session. Errors are
// {"error": CODE, "message": TEXT}; ErrorCodes become statuses in one
// function (400, 401, 403, 404, 409, 503, 500).
// A task handed out (claim, submit with "next") carries its page: the job's
// template rendered for the task's input (TaskPages), on the I/O thread that
// answers, after the store's commit. The portal's pages use it; so can
// scripts. Thread-safe.
#pragma once

#include <memory>
#include <utility>
#include <variant>

#include "http/http.hpp"
#include "portal/sign_in.hpp"

namespace plumbline::labeling {
class LabelingService;
}
namespace plumbline::identity {
class Identity;
struct SignedIn;
}

namespace plumbline {
class WorkPool;
}

namespace plumbline::portal {

class TaskPages;

// Session lifetime and the sign-in throttle are identity's (IdentityOptions).
struct PortalOptions {
  bool secure_cookies = false;  // set when served over TLS
};

class WorkerApi {
 public:
  // Borrows `service`, `identity` and `pages`, which must outlive the
  // WorkerApi. Without `pages` (null) tasks are answered without "html".
  WorkerApi(labeling::LabelingService& service, identity::Identity& identity,
            const TaskPages* pages, PortalOptions options);
  ~WorkerApi();
  // Adds the /worker/api/... routes.
  void Register(http::Router& router);

 private:
  labeling::LabelingService& service_;
  identity::Identity& identity_;
  const TaskPages* pages_;
  PortalOptions options_;
  // Runs sign-ins; last, so that it finishes them before the rest goes.
  std::unique_ptr<WorkPool> sign_ins_;
  http::Response Login(const http::Request& req);
  // Invitations (one-time links made in the console): check a token, and
  // accept it with a password, which signs the new user in.
  http::Response CheckInvitation(const http::Request& req);
  http::Response AcceptInvitation(const http::Request& req);
  http::Response SessionResponse(const identity::SignedIn& s);
  // The signed-in session and user of a request, or the response that
  // refuses it (no or an ended session, a wrong CSRF token on a POST, a
  // disabled account).
  std::variant<http::Response, identity::SignedIn> Authenticate(const http::Request& req) const;
};

}  // namespace plumbline::portal
