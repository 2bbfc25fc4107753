#include <strings.h>

#include <atomic>
#include <memory>

#include "common/await.hpp"
#include "common/text.hpp"
#include "http/http.hpp"

namespace plumbline::http {
namespace {
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}
}  // namespace

const std::string* Request::FindHeader(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.name.size() == name.size() &&
        strncasecmp(h.name.data(), name.data(), name.size()) == 0)
      return &h.value;
  }
  return nullptr;
}

std::string Request::Cookie(std::string_view name) const {
  const std::string* c = FindHeader("Cookie");
  if (!c) return "";
  std::string_view s = *c;
  while (!s.empty()) {
    size_t semi = s.find(';');
    std::string_view part = s.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return "";
}

const std::string& Request::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

void Response::Set(std::string_view name, std::string value) {
  for (auto& h : headers) {
    if (h.name.size() == name.size() &&
        strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::string(name), std::move(value)});
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.Set("Content-Type", std::move(content_type));
  return r;
}

Response Response::Json(int status, std::string body) {
  return Text(status, std::move(body), "application/json");
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  AddAsync(std::move(method), std::move(pattern), Answering(std::move(handler)));
}

void Router::AddAsync(std::string method, std::string pattern, AsyncHandler handler) {
  Route r;
  r.method = std::move(method);
  r.segments = SplitPath(pattern);
  r.pattern = pattern;
  if (!r.segments.empty() && r.segments.back() == "*") {
    r.prefix = true;
    r.segments.pop_back();
  }
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

std::function<Response()> Ready(Response response) {
  // Shared, so that the function stays copyable without copying the body.
  auto shared = std::make_shared<Response>(std::move(response));
  return [shared] { return std::move(*shared); };
}

AsyncHandler Answering(Handler handler) {
  return [handler = std::move(handler)](Request& request, Respond respond) {
    respond(Ready(handler(request)));
  };
}

Respond OnceRespond(Respond deliver) {
  struct Once {
    Respond deliver;
    std::atomic<bool> given{false};
    ~Once() {
      if (!given.load())
        deliver(Ready(Response::Json(500, R"({"error":"InternalError","message":"internal error"})")));
    }
  };
  auto once = std::make_shared<Once>();
  once->deliver = std::move(deliver);
  return [once](std::function<Response()> make) {
    if (once->given.exchange(true)) return;
    // What `deliver` holds is let go once it has delivered, whoever still
    // holds a copy of the Respond.
    Respond now = std::move(once->deliver);
    now(std::move(make));
  };
}

Response Router::Dispatch(Request& request) const {
  return Await<std::function<Response()>>(
      [&](auto keep) { Dispatch(request, OnceRespond(std::move(keep))); })();
}

void Router::Dispatch(Request& request, Respond respond) const {
  std::vector<std::string> segs = SplitPath(request.path);
  bool path_matched = false;
  for (const auto& route : routes_) {
    if (route.prefix ? segs.size() < route.segments.size() : segs.size() != route.segments.size())
      continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < route.segments.size() && ok; ++i) {
      const std::string& p = route.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        std::string decoded;
        if (!PercentDecode(segs[i], &decoded)) ok = false;
        params[p.substr(1, p.size() - 2)] = std::move(decoded);
      } else if (p != segs[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    request.params = std::move(params);
    request.route = route.pattern;
    return route.handler(request, std::move(respond));
  }
  if (path_matched)
    return respond(Ready(Response::Json(405, R"({"error":"MethodNotAllowed","message":"method not allowed"})")));
  respond(Ready(Response::Json(404, R"({"error":"NotFound","message":"no such page"})")));
}

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '%') {
      out->push_back(c);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexDigitValue(in[i + 1]), lo = HexDigitValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    size_t eq = part.find('=');
    std::string k, v;
    PercentDecode(part.substr(0, eq), &k);
    if (eq != std::string_view::npos) PercentDecode(part.substr(eq + 1), &v);
    if (!k.empty()) out[k] = v;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace plumbline::http
