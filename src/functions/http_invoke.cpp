// A small HTTP/1.0 client for Lambda's Invoke API (no TLS: endpoints are
// local emulators or proxies; HTTP/1.0 keeps the answer unchunked).
#include "common/text.hpp"
#include "functions/detail/http_invoke.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace plumbline::functions::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

int MsLeft(SteadyClock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
                .count();
  return ms <= 0 ? 0 : static_cast<int>(ms);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0)
    return InvalidArgument("the function URL must start with http:// (got '" + url + "')");
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  HttpUrl u;
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (u.path.empty() || u.path == "/") u.path = "/2015-03-31/functions/function/invocations";
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
  }
  if (!u.host.empty() && u.host.front() == '[' && u.host.back() == ']')
    u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty()) return InvalidArgument("the function URL has no host: " + url);
  if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("the function URL has a bad port: " + url);
  return u;
}

Result<HttpAnswer> HttpInvoke(const std::string& url, const std::string& event,
                              const std::string& request_id,
                              const std::map<std::string, std::string>& env,
                              std::chrono::milliseconds timeout) {
  (void)env;  // an endpoint runs in its own environment
  PLB_ASSIGN_OR_RETURN(HttpUrl u, ParseHttpUrl(url));
  auto deadline = SteadyClock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &found); rc != 0)
    return Unavailable("cannot resolve " + u.host + ": " + ::gai_strerror(rc));
  Fd sock;
  std::string last_error = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, MsLeft(deadline)) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      } else {
        errno = ETIMEDOUT;
      }
    }
    if (rc == 0) {
      sock.fd = fd;
      break;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (sock.fd < 0) return Unavailable("cannot connect to " + url + ": " + last_error);

  std::string request = "POST " + u.path + " HTTP/1.0\r\nHost: " + u.host + ":" + u.port +
                        "\r\nContent-Type: application/json\r\nX-Amz-Invocation-Type: "
                        "RequestResponse\r\nX-Amz-Request-Id: " +
                        request_id + "\r\nContent-Length: " + std::to_string(event.size()) +
                        "\r\n\r\n" + event;
  size_t off = 0;
  while (off < request.size()) {
    pollfd p{sock.fd, POLLOUT, 0};
    int rc = ::poll(&p, 1, MsLeft(deadline));
    if (rc == 0) return Unavailable("the request timed out while sending");
    if (rc < 0 && errno == EINTR) continue;
    ssize_t n = ::send(sock.fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Unavailable(std::string("sending failed: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  std::string answer;
  for (;;) {
    pollfd p{sock.fd, POLLIN, 0};
    int rc = ::poll(&p, 1, MsLeft(deadline));
    if (rc == 0) return Unavailable("the invocation timed out");
    if (rc < 0 && errno == EINTR) continue;
    char buf[65536];
    ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Unavailable(std::string("reading the answer failed: ") + std::strerror(errno));
    }
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > (64u << 20)) return Unavailable("the answer is larger than 64 MiB");
  }
  size_t head_end = answer.find("\r\n\r\n");
  if (head_end == std::string::npos || answer.rfind("HTTP/", 0) != 0)
    return Unavailable("the endpoint's answer is not HTTP");
  HttpAnswer out;
  size_t sp = answer.find(' ');
  out.status = std::atoi(answer.c_str() + sp + 1);
  size_t line = answer.find("\r\n") + 2;
  while (line < head_end) {
    size_t end = answer.find("\r\n", line);
    std::string h = answer.substr(line, end - line);
    size_t colon = h.find(':');
    if (colon != std::string::npos && AsciiLower(h.substr(0, colon)) == "x-amz-function-error") {
      size_t v = h.find_first_not_of(' ', colon + 1);
      out.function_error = v == std::string::npos ? "Unhandled" : h.substr(v);
    }
    line = end + 2;
  }
  out.body = answer.substr(head_end + 4);
  return out;
}

}  // namespace plumbline::functions::detail
