#include "console/console.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "api/sagemaker.hpp"
#include "api/validation.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/thread_name.hpp"
#include "common/work_pool.hpp"
#include "console/detail/console_impl.hpp"
#include "console/job_stats.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "portal/assets.hpp"
#include "portal/media.hpp"
#include "portal/pages.hpp"
#include "portal/task_pages.hpp"
#include "portal/worker_api.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"
#include "tasktypes/tasktypes.hpp"
namespace plumbline::console {

// The portal's API conventions (portal/sign_in.hpp); the console's answers
// are never cached.
http::Response NoStore(http::Response r) {
  r.Set("Cache-Control", "no-store");
  return r;
}

http::Response JsonError(int status, const std::string& code, const std::string& message) {
  return NoStore(portal::JsonError(status, code, message));
}

http::Response FromError(const Error& e) { return NoStore(portal::FromError(e)); }

http::Response Ok(const boost::json::value& body) {
  http::Response r = http::Response::Json(200, json::Serialize(body));
  r.Set("Cache-Control", "no-store");
  return r;
}

const char* const kNotAdmin =
    "the console is for admins; this account is a worker's (workers sign in at /worker/)";

int64_t IntParam(const std::map<std::string, std::string>& q, const std::string& key,
                 int64_t fallback, int64_t lo, int64_t hi) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return fallback;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) return fallback;
    return std::clamp(v, lo, hi);
  } catch (...) {
    return fallback;
  }
}

std::vector<std::string> LabelsOf(const store::Job& job) {
  std::vector<std::string> out;
  auto v = json::Parse(job.labels_json);
  if (v && v->is_array())
    for (const auto& l : v->get_array()) {
      if (l.is_string()) out.emplace_back(l.get_string());
      else if (l.is_object()) out.emplace_back(json::GetString(l.get_object(), "label").value_or(""));
    }
  return out;
}

labeling::JobConfig ConfigOf(const std::string& request_json) {
  auto v = json::Parse(request_json);
  return labeling::JobConfig::FromRequest(v && v->is_object() ? v->get_object() : object(), "");
}

object Counters(int64_t object_count, int64_t labeled, int64_t failed, int64_t in_progress) {
  object c;
  c["total"] = object_count;
  c["labeled"] = labeled;
  c["failed"] = failed;
  int64_t open = std::max<int64_t>(0, object_count - labeled - failed);
  c["inProgress"] = std::min(open, in_progress);
  c["left"] = open - std::min(open, in_progress);
  return c;
}

std::string RegionOfArn(std::string_view arn) {
  size_t at = 0;
  for (int field = 0; field < 3; ++field) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  size_t end = arn.find(':', at);
  return end == std::string_view::npos ? "" : std::string(arn.substr(at, end - at));
}

void Fill(std::string* page, std::string_view key, std::string_view value) {
  std::string placeholder = "{{" + std::string(key) + "}}";
  std::string escaped = EscapeHtml(value);
  for (size_t at = page->find(placeholder); at != std::string::npos;
       at = page->find(placeholder, at + escaped.size()))
    page->replace(at, placeholder.size(), escaped);
}

// ---------------------------------------------------------------- Impl

void Console::Impl::Stop() {
  watch.Reset();
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  if (poller.joinable()) poller.join();
}

void Console::Impl::Poll() {
  NameThisThread("plb-console-poll");
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    cv.wait_for(lock, std::chrono::milliseconds(200));
    if (waiters.empty() && !stopping) {
      cv.wait(lock, [this] { return stopping || !waiters.empty(); });
    }
    int64_t version = Version();
    auto now = std::chrono::steady_clock::now();
    std::vector<http::Respond> due;
    std::erase_if(waiters, [&](Waiter& w) {
      if (!stopping && w.since == version && now < w.deadline) return false;
      due.push_back(std::move(w.respond));
      return true;
    });
    bool stop = stopping;
    lock.unlock();
    for (auto& r : due) {
      object o;
      o["version"] = version;
      r(http::Ready(Ok(o)));
    }
    if (stop) return;
    lock.lock();
  }
}

std::variant<http::Response, identity::SignedIn> Console::Impl::Authenticate(const http::Request& req) {
  auto found = portal::FindSession(identity, req);
  if (auto* refused = std::get_if<http::Response>(&found)) return NoStore(std::move(*refused));
  const identity::SignedIn& s = std::get<identity::SignedIn>(found);
  if (!s.user.is_admin) return JsonError(403, "NotAdmin", kNotAdmin);
  if (auto refused = portal::CheckCsrf(req, s)) return NoStore(std::move(*refused));
  return found;
}

http::Response Console::Impl::Login(const http::Request& req) {
  auto in = portal::SignInWithJsonBody(identity, req);
  if (auto* refused = std::get_if<http::Response>(&in)) return NoStore(std::move(*refused));
  const identity::SignedIn& s = std::get<identity::SignedIn>(in);
  if (!s.user.is_admin) {
    // The password was right, but the console is not this account's:
    // the session just made ends at once.
    (void)identity.SignOut(s, SourceOf(req));
    return JsonError(403, "NotAdmin", kNotAdmin);
  }
  return portal::SessionResponse(identity, s, options.secure_cookies);
}

auto Console::Impl::ResolvePage(const http::Request& req) -> std::optional<PageSession> {
  auto found = identity.FindSession(req.Cookie(portal::kSessionCookie));
  if (!found || !*found) return std::nullopt;
  return PageSession{(*found)->user.username, (*found)->session.csrf_token, (*found)->user.is_admin};
}

http::Response Console::Impl::Page(std::string_view asset, int status, const std::optional<PageSession>& session,
                                   std::string_view job_name, const std::string& nonce) {
  const portal::EmbeddedAsset* a = portal::FindAsset(asset);
  if (!a) return http::Response::Text(500, "console page missing from the build\n");
  std::string body(a->body);
  Fill(&body, "csrf", session ? session->csrf : "");
  Fill(&body, "user", session ? session->username : "");
  Fill(&body, "job", job_name);
  Fill(&body, "nonce", nonce);
  http::Response r = http::Response::Text(status, std::move(body), "text/html; charset=utf-8");
  portal::SetPageSecurityHeaders(&r, nonce);
  return r;
}

// ---------------------------------------------------------------- Console

Console::Console(labeling::LabelingService& service, store::Store& store,
                 identity::Identity& identity, storage::ObjectStore& objects,
                 const portal::MediaSigner* signer, ConsoleOptions options)
    : impl_(std::make_unique<Impl>(service, store, identity, objects, signer, options)) {}

Console::~Console() = default;

void Console::Stop() { impl_->Stop(); }

void Console::SetKeyService(kms::KeyService* keys) { impl_->key_service = keys; }

void Console::Register(http::Router& router) {
  Impl* impl = impl_.get();
  auto admin = [impl](auto fn) {
    return [impl, fn](const http::Request& req) -> http::Response {
      auto who = impl->Authenticate(req);
      if (auto* refused = std::get_if<http::Response>(&who)) return std::move(*refused);
      return fn(req, std::get<identity::SignedIn>(who));
    };
  };

  router.AddAsync("POST", "/console/api/login", [impl](const http::Request& req, http::Respond respond) {
    impl->sign_ins->Post([impl, req, respond] { respond(http::Ready(impl->Login(req))); });
  });
  router.Add("POST", "/console/api/logout",
             admin([impl](const http::Request& req, const identity::SignedIn& who) {
               if (auto s = impl->identity.SignOut(who, SourceOf(req)); !s) return FromError(s.error());
               http::Response r = Ok(object());
               r.Set("Set-Cookie", std::string(portal::kSessionCookie) +
                                       "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
               return r;
             }));
  router.Add("GET", "/console/api/jobs",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Jobs(req); }));
  router.AddAsync("GET", "/console/api/changes", [impl](http::Request& req, http::Respond respond) {
    auto who = impl->Authenticate(req);
    if (auto* refused = std::get_if<http::Response>(&who))
      return respond(http::Ready(std::move(*refused)));
    impl->Changes(req, std::move(respond));
  });
  router.Add("GET", "/console/api/jobs/{jobName}",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Job(req); }));
  router.Add("GET", "/console/api/jobs/{jobName}/stats",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Stats(req); }));
  router.Add("GET", "/console/api/jobs/{jobName}/objects",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Objects(req); }));
  router.Add("GET", "/console/api/jobs/{jobName}/output",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Output(req, who); }));
  router.Add("POST", "/console/api/jobs/{jobName}/stop",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Stop(req, who); }));
  router.Add("POST", "/console/api/jobs/{jobName}/preview",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Preview(req); }));
  router.Add("POST", "/console/api/jobs",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Create(req, who); }));
  router.Add("POST", "/console/api/jobs/{jobName}/clone",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Clone(req, who); }));
  router.Add("GET", "/console/api/task-types",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->TaskTypes(); }));
  router.Add("GET", "/console/api/workteams",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->Workteams(); }));
  router.Add("GET", "/console/api/kms-keys",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->KmsKeys(); }));
  router.Add("POST", "/console/api/upload",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Upload(req, who); }));
  router.Add("POST", "/console/api/render-template",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->RenderTemplate(req); }));
  router.Add("GET", "/console/api/users",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->Users(); }));
  router.Add("POST", "/console/api/users",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->AddUser(req, who); }));
  router.Add("POST", "/console/api/users/{username}/{action}",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->ChangeUser(req, who); }));
  router.Add("GET", "/console/api/invitations",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->Invitations(); }));
  router.Add("POST", "/console/api/invitations",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->Invite(req, who); }));
  router.Add("GET", "/console/api/kms/keys",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsList(req, who); }));
  router.Add("POST", "/console/api/kms/keys",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsCreate(req, who); }));
  router.Add("GET", "/console/api/kms/keys/{keyId}",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsKey(req, who); }));
  router.Add("POST", "/console/api/kms/keys/{keyId}/{action}",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->KmsChange(req, who); }));
  router.Add("GET", "/console/api/access-keys",
             admin([impl](const http::Request&, const identity::SignedIn&) { return impl->AccessKeys(); }));
  router.Add("POST", "/console/api/access-keys/{keyId}/revoke",
             admin([impl](const http::Request& req, const identity::SignedIn& who) { return impl->RevokeKey(req, who); }));
  router.Add("GET", "/console/api/audit",
             admin([impl](const http::Request& req, const identity::SignedIn&) { return impl->Audit(req); }));
  // Anything else under /console/api/ is refused like the routes are: a
  // worker learns nothing from a 404.
  for (const char* method : {"GET", "POST"})
    router.Add(method, "/console/api/*", admin([](const http::Request&, const identity::SignedIn&) {
                 return JsonError(404, "NotFound", "no such console route");
               }));

  // Pages ("/console" and "/console/" both land on the first).
  router.Add("GET", "/console", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/jobs.html", 200, s);
    });
  });
  router.Add("GET", "/console/people", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/people.html", 200, s);
    });
  });
  router.Add("GET", "/console/keys", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/keys.html", 200, s);
    });
  });
  router.Add("GET", "/console/new", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      // The wizard's live preview shows templates in a srcdoc iframe too.
      return impl->Page("/console/static/new.html", 200, s, {}, RandomHex(16));
    });
  });
  router.Add("GET", "/console/jobs/{jobName}", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      return impl->Page("/console/static/job.html", 200, s, req.Param("jobName"));
    });
  });
  router.Add("GET", "/console/jobs/{jobName}/tool", [impl](const http::Request& req) {
    return impl->AdminPage(req, [&](const Impl::PageSession& s) {
      // A fresh nonce lets the template's own scripts run in the srcdoc
      // iframe, as on the portal's labeling page.
      return impl->Page("/console/static/tool.html", 200, s, req.Param("jobName"), RandomHex(16));
    });
  });
}

}  // namespace plumbline::console
