// Plain HTTP request/response values, a small router and the server that
// feeds them. This header is the only one other subsystems include: it pulls
// in no Beast or Asio, so handlers (api/, portal/) compile in a second.
//
// Threading: the Server calls the Handler from its I/O threads, possibly
// concurrently for different connections; handlers must be thread-safe.
// Request and Response are plain values. A handler either returns its
// Response (Handler) or answers later from any thread (AsyncHandler).
#pragma once

#include <cstdint>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::http {

struct Header {
  std::string name;
  std::string value;
};

// Large bodies that never sit in memory whole (S3 objects). A BodySink takes
// a request body as it arrives, a BodySource produces a response body as it
// is sent; both are used by one I/O thread at a time and may block on the
// local disk (handlers already do).
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The body's next bytes, in order. After an error the server reads and
  // drops the rest of the body and no longer calls Write; the handler then
  // finds the error in Request::body_status.
  virtual Status Write(std::string_view bytes) = 0;
  // After the last byte (not called after a Write error).
  virtual Status Close() { return {}; }
  // Memory the server may receive the body's next bytes straight into, so
  // that they are not copied on their way (a plain connection does, TLS
  // does not); empty when the sink has none to offer, and the server calls
  // Write. Asked again before each receive.
  virtual std::span<char> Room() { return {}; }
  // The first `n` bytes of the last Room() hold the body's next bytes:
  // stands for Write of them, with the same outcome.
  virtual Status Received(size_t n) {
    (void)n;
    return Internal("this body sink offers no room to receive into");
  }
};

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Up to n bytes into buf; 0 only at the end (after Response::body_size
  // bytes). An error ends the connection: the status line has been sent.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // A body that is bytes of an open file as they lie on disk: the file and
  // where the body starts in it (Response::body_size bytes from there). A
  // plain-HTTP connection then sends it with sendfile(2), without copying it
  // through the process, and never calls Read; TLS connections call Read.
  // The descriptor stays the source's (open while the source lives).
  struct FileRange {
    int fd = -1;
    uint64_t offset = 0;
  };
  virtual std::optional<FileRange> File() { return std::nullopt; }
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, "/path?query"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // target after '?', without it
  std::vector<Header> headers;  // arrival order, names as sent
  std::string body;
  std::string remote_address;
  // Path parameters captured by the Router ("{name}" segments), decoded.
  std::map<std::string, std::string> params;
  // The pattern of the route the Router matched ("/worker/api/tasks/{id}/submit"),
  // "" when none did: a label of bounded cardinality for metrics.
  std::string route;
  // Set when ServerOptions::stream_body chose a sink for this request: the
  // body went there (Request::body stays empty), with this outcome
  // (kInvalidArgument when the client sent fewer bytes than it announced is
  // never seen: the connection is closed instead).
  std::shared_ptr<BodySink> body_sink;
  Status body_status;

  // First header with this name (case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
  // Value of a cookie from the Cookie header, or "" when absent.
  std::string Cookie(std::string_view name) const;
  const std::string& Param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // When set, the body is streamed from here instead (Content-Length:
  // body_size; `body` is ignored). HEAD responses announce body_size and
  // read nothing.
  std::shared_ptr<BodySource> body_source;
  uint64_t body_size = 0;

  // Replaces any header of that name.
  void Set(std::string_view name, std::string value);
  static Response Text(int status, std::string body, std::string content_type = "text/plain");
  static Response Json(int status, std::string body);
};

using Handler = std::function<Response(const Request&)>;

// How an asynchronous handler answers: call it once, from any thread, with
// a function that makes the response. The server runs that function on one
// of its I/O threads, so a handler whose work ends on another thread (a
// storage commit) hands what is left back to the server. A Respond dropped
// without being called answers 500; calls after the first are ignored.
using Respond = std::function<void(std::function<Response()>)>;
// A handler that does not hold the I/O thread while it waits: it returns
// as soon as it has started its work, and answers through the Respond. The
// request is the handler's to fill in (the router sets its path
// parameters); the server keeps it until the response has been made.
using AsyncHandler = std::function<void(Request&, Respond)>;
// What makes a response that is already known, for a Respond.
std::function<Response()> Ready(Response response);
// A Handler as an AsyncHandler that answers before it returns.
AsyncHandler Answering(Handler handler);
// A Respond that passes the first answer to `deliver`, ignores later ones,
// and delivers a 500 when its last copy is dropped unanswered.
Respond OnceRespond(Respond deliver);

// Routes by method and path pattern. Patterns are literal segments and
// "{name}" segments that capture one path segment ("/worker/api/jobs/{job}/claim").
// A pattern ending in "/*" matches any rest of the path. Not thread-safe to
// modify; safe to Dispatch concurrently once built.
class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);
  void AddAsync(std::string method, std::string pattern, AsyncHandler handler);
  // Calls the first matching route; 404 when no pattern matches the path,
  // 405 when it matches with another method. The request must live until
  // `respond` is called.
  void Dispatch(Request& request, Respond respond) const;
  // The same, waiting for the answer (tests and tools).
  Response Dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    bool prefix = false;
    std::string pattern;
    AsyncHandler handler;
  };
  std::vector<Route> routes_;
};

// Looks at a request's head before its body is read and returns where the
// body should stream to, or nullptr to read it into Request::body (up to
// max_body_bytes). Runs on an I/O thread; must be thread-safe.
using BodySinkFactory = std::function<std::shared_ptr<BodySink>(const Request& head)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;        // 0 picks a free port; see Server::port()
  int threads = 4;             // I/O threads; handlers may block on storage
  size_t max_body_bytes = 64u << 20;   // larger bodies get 413
  size_t max_header_bytes = 16u << 10; // larger header blocks get 431
  BodySinkFactory stream_body;         // optional, see BodySinkFactory
  uint64_t max_streamed_body_bytes = 5ull << 30;  // larger streamed bodies get 413
  // HTTPS when both are set: a PEM certificate chain and its private key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// An HTTP/1.1 server with keep-alive. Start() binds and listens before it
// returns, so the port is known and connections queue until Run().
class Server {
 public:
  virtual ~Server() = default;
  // Fails with kUnavailable when the address cannot be bound, kInvalidArgument
  // when the TLS certificate or key cannot be used.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, AsyncHandler handler);
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler);
  virtual uint16_t port() const = 0;
  // Serves on the calling thread plus options.threads-1 more; returns after Stop().
  virtual void Run() = 0;
  // Safe from any thread or a signal-handling thread.
  virtual void Stop() = 0;
  // The first half of a graceful stop: accepts no new connection, answers
  // every request already begun (each with Connection: close, so that
  // clients go elsewhere) and waits up to `grace` for them; Stop() then
  // ends the server. Returns the number of requests still unanswered when
  // the grace ran out. Safe from any thread except the server's own.
  virtual int Drain(std::chrono::milliseconds grace) = 0;
  // Requests begun (head read) and not yet answered.
  virtual int InFlight() const = 0;
};

// Percent-decodes a URL component ('+' stays '+'). Returns false on bad escapes.
bool PercentDecode(std::string_view in, std::string* out);
// Parses "a=1&b=2" into decoded pairs (later duplicates win).
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace plumbline::http
