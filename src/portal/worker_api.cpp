#include "portal/worker_api.hpp"

#include <boost/json.hpp>
#include <memory>
#include <variant>

#include "common/await.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/work_pool.hpp"
#include "identity/identity.hpp"
#include "labeling/labeling.hpp"
#include "portal/task_pages.hpp"

namespace plumbline::portal {

using boost::json::object;

namespace {

http::Response Ok(const boost::json::value& body) {
  http::Response r = http::Response::Json(200, json::Serialize(body));
  r.Set("Cache-Control", "no-store");
  return r;
}

// A claimed task as the claim (and a submit with "next") answers it, with
// its rendered page when the portal has task pages. Runs on an I/O thread.
Result<object> TaskJson(const labeling::ClaimedTask& task, const TaskPages* pages) {
  object o;
  o["taskId"] = std::to_string(task.task_id);
  o["jobName"] = task.job_name;
  o["taskInput"] = task.task_input;
  o["deadline"] = FormatIsoMillisZ(task.deadline);
  if (pages) {
    PLB_ASSIGN_OR_RETURN(std::string html, pages->Render(task));
    o["html"] = std::move(html);
  }
  return o;
}

// A worker's claim or submit, as one asynchronous request. `start(user,
// identity_version, then)` starts the labeling call. The session is the one
// the cache holds, not checked against the store's identity version first
// (a database round trip per request saved): the write checks that version
// in its own transaction. When it finds that users, groups, sessions or
// keys changed since (store::IsIdentityChanged, nothing written), or the
// call was refused as not allowed (the cached groups may predate the
// worker's joining a team), the request is authenticated again against
// the current version (CSRF token too) and, if it still stands under a
// newer version, made again, on this I/O thread (a change is rare). On an
// I/O thread the call is finished and its result made a response (errors
// as FromError).
constexpr int kIdentityRetries = 3;

template <class T, class Start, class ToResponse>
void WriteAsWorker(identity::Identity& identity, const http::Request& req,
                   const identity::SignedIn& who, Start start, ToResponse to_response,
                   http::Respond respond) {
  auto then = [&identity, &req, start, to_response, version = who.identity_version,
               respond = std::move(respond)](std::function<Result<T>()> finish) {
    // The server keeps `req` until the response is made.
    respond([&identity, &req, start, to_response, finish, version]() -> http::Response {
      Result<T> result = finish();
      int64_t used = version;
      for (int again = 0; again < kIdentityRetries && !result &&
                          (store::IsIdentityChanged(result.error()) ||
                           result.error().code == ErrorCode::kPermissionDenied);
           ++again) {
        auto now = SessionOf(identity, req);
        if (auto* refused = std::get_if<http::Response>(&now)) return std::move(*refused);
        const auto& current = std::get<identity::SignedIn>(now);
        if (current.identity_version == used) break;  // the refusal stands
        used = current.identity_version;
        result = Await<std::function<Result<T>()>>(
            [&](auto done) { start(current.user, used, std::move(done)); })();
      }
      if (!result) return FromError(result.error());
      return to_response(*result);
    });
  };
  start(who.user, who.identity_version, std::move(then));
}

}  // namespace

WorkerApi::WorkerApi(labeling::LabelingService& service, identity::Identity& identity,
                     const TaskPages* pages, PortalOptions options)
    : service_(service),
      identity_(identity),
      pages_(pages),
      options_(options),
      sign_ins_(std::make_unique<WorkPool>(2, "plb-sign-in")) {}

WorkerApi::~WorkerApi() = default;

std::variant<http::Response, identity::SignedIn> WorkerApi::Authenticate(
    const http::Request& req) const {
  return SessionOf(identity_, req);
}

http::Response WorkerApi::Login(const http::Request& req) {
  auto in = SignInWithJsonBody(identity_, req);
  if (auto* refused = std::get_if<http::Response>(&in)) return std::move(*refused);
  return SessionResponse(std::get<identity::SignedIn>(in));
}

// A new session's answer: its CSRF token, and its cookie.
http::Response WorkerApi::SessionResponse(const identity::SignedIn& s) {
  return portal::SessionResponse(identity_, s, options_.secure_cookies);
}

namespace {
// An invitation request's token, or the response refusing the request. Only
// JSON bodies are read: a form posted from another site cannot send one
// without the browser asking first, so no other site can sign a visitor in
// as the holder of its own invitation.
std::variant<http::Response, std::pair<std::string, object>> InvitationBody(const http::Request& req) {
  const std::string* type = req.FindHeader("Content-Type");
  if (!type || type->rfind("application/json", 0) != 0)
    return JsonError(415, "UnsupportedMediaType", "Content-Type: expected application/json");
  auto body = json::Parse(req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  auto token = json::GetString(body->get_object(), "token");
  if (!token || token->empty()) return JsonError(400, "InvalidRequest", "token: required");
  return std::pair<std::string, object>(*token, body->get_object());
}
}  // namespace

http::Response WorkerApi::CheckInvitation(const http::Request& req) {
  auto parsed = InvitationBody(req);
  if (auto* refused = std::get_if<http::Response>(&parsed)) return std::move(*refused);
  auto inv = identity_.CheckInvitation(std::get<1>(parsed).first);
  if (!inv) return FromError(inv.error());
  object out;
  out["username"] = inv->username;
  out["expires"] = FormatIsoMillisZ(FromEpochMs(inv->expires_ms));
  return Ok(out);
}

http::Response WorkerApi::AcceptInvitation(const http::Request& req) {
  auto parsed = InvitationBody(req);
  if (auto* refused = std::get_if<http::Response>(&parsed)) return std::move(*refused);
  const auto& [token, body] = std::get<1>(parsed);
  auto password = json::GetString(body, "password");
  if (!password) return JsonError(400, "InvalidRequest", "password: required");
  auto in = identity_.AcceptInvitation(token, *password, SourceOf(req));
  if (!in) return FromError(in.error());
  return SessionResponse(*in);
}

void WorkerApi::Register(http::Router& router) {
  // Resolves the session; for POSTs also checks the CSRF token. `authed`
  // wraps a handler that returns its response, `authed_async` one that
  // answers through an http::Respond.
  auto authed = [this](auto fn) {
    return [this, fn](const http::Request& req) -> http::Response {
      auto who = Authenticate(req);
      if (auto* refused = std::get_if<http::Response>(&who)) return std::move(*refused);
      const auto& signed_in = std::get<identity::SignedIn>(who);
      return fn(req, signed_in);
    };
  };
  // A worker write: the session from the cache, its identity version
  // checked by the write (WriteAsWorker).
  auto authed_async = [this](auto fn) {
    return [this, fn](const http::Request& req, http::Respond respond) {
      auto who = SessionOf(identity_, req, store::SessionCheck::kCheckedByTheWrite);
      if (auto* refused = std::get_if<http::Response>(&who))
        return respond(http::Ready(std::move(*refused)));
      fn(req, std::get<identity::SignedIn>(who), std::move(respond));
    };
  };
  auto task_id = [](const http::Request& req) -> std::optional<int64_t> {
    try {
      size_t used = 0;
      int64_t id = std::stoll(req.Param("taskId"), &used);
      if (used != req.Param("taskId").size()) return std::nullopt;
      return id;
    } catch (...) {
      return std::nullopt;
    }
  };

  // Sign-ins verify an Argon2id hash (64 MiB, tens of milliseconds): on
  // their own two threads, so a wave of sign-ins neither holds the I/O
  // threads nor takes memory without bound.
  router.AddAsync("POST", "/worker/api/login", [this](const http::Request& req, http::Respond respond) {
    sign_ins_->Post([this, req, respond] { respond(http::Ready(Login(req))); });
  });

  // Invitations: no session yet. Accepting hashes the new password, so it
  // runs where sign-ins do.
  router.Add("POST", "/worker/api/invitation",
             [this](const http::Request& req) { return CheckInvitation(req); });
  router.AddAsync("POST", "/worker/api/invitation/accept",
                  [this](const http::Request& req, http::Respond respond) {
                    sign_ins_->Post([this, req, respond] { respond(http::Ready(AcceptInvitation(req))); });
                  });

  router.Add("POST", "/worker/api/logout",
             authed([this](const http::Request& req, const identity::SignedIn& who) {
               if (auto s = identity_.SignOut(who, SourceOf(req)); !s) return FromError(s.error());
               http::Response r = Ok(object());
               r.Set("Set-Cookie", std::string(kSessionCookie) +
                                       "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
               return r;
             }));

  router.Add("GET", "/worker/api/jobs",
             authed([this](const http::Request&, const identity::SignedIn& who) {
               auto jobs = service_.JobsForWorker(who.user);
               if (!jobs) return FromError(jobs.error());
               boost::json::array list;
               for (const auto& j : *jobs) {
                 object o;
                 o["name"] = j.name;
                 o["title"] = j.title;
                 o["description"] = j.description;
                 boost::json::array kw;
                 for (const auto& k : j.keywords) kw.emplace_back(k);
                 o["keywords"] = std::move(kw);
                 o["tasksAvailable"] = j.tasks_available;
                 o["timeLimitSeconds"] = j.time_limit_seconds;
                 list.push_back(std::move(o));
               }
               object out;
               out["jobs"] = std::move(list);
               return Ok(out);
             }));

  // Claims and submits answer from the store's commit without holding an
  // I/O thread while it is pending.
  router.AddAsync("POST", "/worker/api/jobs/{jobName}/claim",
                  authed_async([this](const http::Request& req, const identity::SignedIn& who,
                                      http::Respond respond) {
                    WriteAsWorker<std::optional<labeling::ClaimedTask>>(
                        identity_, req, who,
                        [this, job = req.Param("jobName")](const store::User& user, int64_t version,
                                                           auto then) {
                          service_.ClaimAsync(user, job, version, std::move(then));
                        },
                        [this](const std::optional<labeling::ClaimedTask>& task) {
                          if (task) {
                            auto body = TaskJson(*task, pages_);
                            return body ? Ok(*body) : FromError(body.error());
                          }
                          http::Response none;
                          none.status = 204;
                          return none;
                        },
                        std::move(respond));
                  }));

  router.AddAsync(
      "POST", "/worker/api/tasks/{taskId}/submit",
      authed_async([this, task_id](const http::Request& req, const identity::SignedIn& who,
                                   http::Respond respond) {
        auto answer = [&respond](http::Response r) { respond(http::Ready(std::move(r))); };
        auto id = task_id(req);
        if (!id) return answer(JsonError(404, "NotFound", "no such task"));
        auto body = json::Parse(req.body);
        if (!body || !body->is_object())
          return answer(JsonError(400, "InvalidRequest", "expected a JSON object with \"answer\""));
        auto it = body->get_object().find("answer");
        if (it == body->get_object().end() || !it->value().is_object())
          return answer(JsonError(400, "InvalidRequest", "\"answer\" must be a JSON object"));
        double spent = json::GetNumber(body->get_object(), "timeSpentInSeconds").value_or(0);
        // "next": true also claims the worker's next task of the job (in the
        // same commit) and answers it as "next" (null: none).
        const auto* next = body->get_object().if_contains("next");
        bool claim_next = next && next->is_bool() && next->get_bool();
        auto given = std::make_shared<const boost::json::value>(std::move(it->value()));
        auto reply = [task = *id](store::SubmitOutcome outcome, object o) {
          o["taskId"] = std::to_string(task);
          o["status"] = outcome == store::SubmitOutcome::kAccepted ? "accepted" : "duplicate";
          return Ok(o);
        };
        if (claim_next) {
          WriteAsWorker<labeling::SubmitAndNext>(
              identity_, req, who,
              [this, task = *id, given, spent](const store::User& user, int64_t version,
                                               auto then) {
                service_.SubmitAndClaimNextAsync(user, task, *given, spent, version,
                                                 std::move(then));
              },
              [this, reply](const labeling::SubmitAndNext& both) {
                object o;
                o["next"] = nullptr;
                if (both.next) {
                  auto next_task = TaskJson(*both.next, pages_);
                  if (!next_task) return FromError(next_task.error());
                  o["next"] = std::move(*next_task);
                }
                return reply(both.outcome, std::move(o));
              },
              std::move(respond));
        } else {
          WriteAsWorker<store::SubmitOutcome>(
              identity_, req, who,
              [this, task = *id, given, spent](const store::User& user, int64_t version,
                                               auto then) {
                service_.SubmitAsync(user, task, *given, spent, version, std::move(then));
              },
              [reply](store::SubmitOutcome outcome) { return reply(outcome, object()); },
              std::move(respond));
        }
      }));

  // The media of the task the worker will likely get next (a hint: nothing
  // is claimed), for the labeling page to fetch while this one is worked on.
  router.Add("GET", "/worker/api/tasks/{taskId}/upcoming",
             authed([this, task_id](const http::Request& req, const identity::SignedIn& who) {
               auto id = task_id(req);
               if (!id) return JsonError(404, "NotFound", "no such task");
               auto upcoming = service_.UpcomingTask(who.user, *id);
               if (!upcoming) return FromError(upcoming.error());
               boost::json::array media;
               if (*upcoming && pages_) {
                 auto links = pages_->MediaOf(**upcoming);
                 if (!links) return FromError(links.error());
                 for (auto& l : *links) media.emplace_back(std::move(l));
               }
               object o;
               o["media"] = std::move(media);
               return Ok(o);
             }));

  for (const char* action : {"release", "decline"}) {
    std::string pattern = std::string("/worker/api/tasks/{taskId}/") + action;
    bool decline = std::string(action) == "decline";
    router.Add("POST", pattern,
               authed([this, task_id, decline](const http::Request& req,
                                               const identity::SignedIn& who) {
                 const store::User& user = who.user;
                 auto id = task_id(req);
                 if (!id) return JsonError(404, "NotFound", "no such task");
                 auto s = decline ? service_.Decline(user, *id) : service_.Release(user, *id);
                 if (!s) return FromError(s.error());
                 object o;
                 o["taskId"] = std::to_string(*id);
                 return Ok(o);
               }));
  }
}

}  // namespace plumbline::portal
