// The Beast/Asio HTTP server: one coroutine per connection, keep-alive,
// limits on header and body size. Everything protocol-specific is in the
// Handler; this file knows only HTTP.
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>

#include "common/thread_name.hpp"
#include "http/http.hpp"

namespace plumbline::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

Response ErrorResponse(int status, const char* code, const char* message) {
  return Response::Json(status,
                        std::string(R"({"error":")") + code + R"(","message":")" + message + "\"}");
}

Request ToRequest(const bhttp::request_header<>& in, const std::string& remote) {
  Request r;
  r.method = std::string(in.method_string());
  r.target = std::string(in.target());
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (const auto& f : in) r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
  r.remote_address = remote;
  return r;
}

bhttp::response<bhttp::string_body> ToBeast(Response&& resp, unsigned version, bool keep_alive,
                                            bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(resp.status), version};
  out.set(bhttp::field::server, "plumbline");
  for (auto& h : resp.headers) out.insert(h.name, h.value);
  size_t size = resp.body.size();
  if (!head) out.body() = std::move(resp.body);
  out.keep_alive(keep_alive);
  out.content_length(size);
  return out;
}

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, AsyncHandler handler)
      : options_(options), handler_(std::move(handler)), acceptor_(ioc_) {}

  // Answers still owed by asynchronous handlers refer to the I/O context:
  // wait for them (they end when their storage work does) before it goes.
  ~ServerImpl() override {
    std::unique_lock<std::mutex> lock(owed_mu_);
    owed_cv_.wait(lock, [&] { return owed_ == 0; });
  }

  // TLS, when a certificate and key are configured.
  Status SetUpTls() {
    if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) return {};
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
      return InvalidArgument("TLS needs both a certificate file and a key file");
    tls_.emplace(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) return InvalidArgument("cannot use TLS certificate " + options_.tls_cert_file + ": " + ec.message());
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return InvalidArgument("cannot use TLS key " + options_.tls_key_file + ": " + ec.message());
    return {};
  }

  Status Listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Unavailable("bad listen address '" + options_.host + "': " + ec.message());
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Unavailable("cannot listen on " + options_.host + ":" +
                         std::to_string(options_.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, Accept(), asio::detached);
    return {};
  }

  uint16_t port() const override { return port_; }

  void Run() override {
    std::vector<std::thread> threads;
    for (int i = 1; i < options_.threads; ++i)
      threads.emplace_back([this] {
        NameThisThread("plb-http");
        ioc_.run();
      });
    ioc_.run();
    for (auto& t : threads) t.join();
  }

  void Stop() override { ioc_.stop(); }

  int Drain(std::chrono::milliseconds grace) override {
    draining_.store(true);
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return in_flight_.load();
  }

  int InFlight() const override { return in_flight_.load(); }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kUseTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto executor = socket.get_executor();
      if (tls_) {
        asio::co_spawn(executor, TlsSession(beast::tcp_stream(std::move(socket))), asio::detached);
      } else {
        asio::co_spawn(executor, PlainSession(beast::tcp_stream(std::move(socket))),
                       asio::detached);
      }
    }
  }

  static std::string RemoteOf(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    return ec ? std::string() : ep.address().to_string();
  }

  asio::awaitable<void> PlainSession(beast::tcp_stream stream) {
    std::string remote = RemoteOf(stream);
    co_await Serve(stream, remote);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> TlsSession(beast::tcp_stream plain) {
    std::string remote = RemoteOf(plain);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
    if (ec) co_return;
    co_await Serve(stream, remote);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    auto [sec] = co_await stream.async_shutdown(kUseTuple);
    (void)sec;
  }

  // Reads requests and writes responses on `stream` until the peer is done.
  // The head is read first: a body goes to the sink ServerOptions::stream_body
  // names (in 256 KiB pieces), else into Request::body.
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, const std::string& remote) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::empty_body> head_parser;
      head_parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      head_parser.body_limit(boost::none);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, head_parser, kUseTuple);
      (void)n;
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::connection_reset || ec == asio::error::eof)
        break;
      if (ec) {
        co_await WriteError(stream, ec);
        break;
      }
      // From its head to its answer a request is in flight (Shutdown waits).
      in_flight_.fetch_add(1);
      struct InFlight {
        std::atomic<int>& n;
        ~InFlight() { n.fetch_sub(1); }
      } in_flight{in_flight_};
      const auto& head = head_parser.get();
      bool keep_alive = head.keep_alive();
      unsigned version = head.version();
      bool is_head = head.method() == bhttp::verb::head;
      Request request = ToRequest(head, remote);
      std::shared_ptr<BodySink> sink;
      if (options_.stream_body && !head_parser.is_done()) sink = options_.stream_body(request);
      // The header is parsed already, so the body parser would only find a
      // declared length over the limit after reading that much: refuse now.
      if (auto declared = head_parser.content_length();
          declared && *declared > (sink ? options_.max_streamed_body_bytes : options_.max_body_bytes)) {
        co_await WriteError(stream, bhttp::error::body_limit);
        break;
      }
      // A streamed body framed by its Content-Length on a plain connection
      // is received by ReceiveBody, not through Beast's parser.
      bool direct = false;
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
        direct = sink && head_parser.content_length() && !head_parser.chunked();
      // Beast reads at most the buffer's free capacity at a time (512 bytes
      // at least): without room, a large body arrives in 512-byte reads.
      if (!head_parser.is_done() && !direct) buffer.reserve(sink ? (256u << 10) : (64u << 10));
      if (head[bhttp::field::expect] == "100-continue" && !head_parser.is_done()) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
        auto [cec, cn] = co_await bhttp::async_write(stream, cont, kUseTuple);
        (void)cn;
        if (cec) break;
      }
      if (direct) {
        request.body_sink = sink;
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
          if (!co_await ReceiveBody(stream, buffer, *head_parser.content_length(), *sink,
                                    request.body_status))
            break;
        }
      } else if (sink) {
        bhttp::request_parser<bhttp::buffer_body> parser(std::move(head_parser));
        parser.body_limit(options_.max_streamed_body_bytes);
        std::vector<char> chunk(256u << 10);
        request.body_sink = sink;
        bool failed = false;
        while (!parser.is_done()) {
          parser.get().body().data = chunk.data();
          parser.get().body().size = chunk.size();
          beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
          auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
          (void)rn;
          if (rec == bhttp::error::need_buffer) rec = {};
          if (rec) {
            failed = true;
            if (rec == bhttp::error::body_limit) co_await WriteError(stream, rec);
            break;
          }
          size_t got = chunk.size() - parser.get().body().size;
          if (got > 0 && request.body_status)
            request.body_status = sink->Write(std::string_view(chunk.data(), got));
        }
        if (failed) break;
        if (request.body_status) request.body_status = sink->Close();
      } else if (!head_parser.is_done()) {
        bhttp::request_parser<bhttp::string_body> parser(std::move(head_parser));
        parser.body_limit(options_.max_body_bytes);
        auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
        (void)rn;
        if (rec) {
          co_await WriteError(stream, rec);
          break;
        }
        request.body = std::move(parser.get().body());
      }
      std::function<Response()> make = co_await Handle(request);
      Response resp;
      try {
        resp = make();
      } catch (const std::exception& e) {
        spdlog::error("handler threw on {} {}: {}", request.method, request.target, e.what());
        resp = ErrorResponse(500, "InternalError", "internal error");
      }
      if (draining_.load()) keep_alive = false;  // shutting down: the client goes elsewhere
      if (resp.body_source && !is_head) {
        if (!co_await WriteStreamed(stream, std::move(resp), version, keep_alive)) break;
        if (!keep_alive) break;
        continue;
      }
      if (resp.body_source) {  // HEAD: the size without the bytes
        resp.body.clear();
        uint64_t size = resp.body_size;
        auto out = ToBeast(std::move(resp), version, keep_alive, true);
        out.content_length(size);
        auto [wec, wn] = co_await bhttp::async_write(stream, out, kUseTuple);
        (void)wn;
        if (wec || !keep_alive) break;
        continue;
      }
      auto out = ToBeast(std::move(resp), version, keep_alive, is_head);
      auto [wec, wn] = co_await bhttp::async_write(stream, out, kUseTuple);
      (void)wn;
      if (wec || !keep_alive) break;
    }
  }

  template <class Stream>
  asio::awaitable<void> WriteError(Stream& stream, boost::system::error_code ec) {
    Response err;
    if (ec == bhttp::error::body_limit)
      err = ErrorResponse(413, "PayloadTooLarge", "request body too large");
    else if (ec == bhttp::error::header_limit)
      err = ErrorResponse(431, "HeadersTooLarge", "request header fields too large");
    else
      err = ErrorResponse(400, "BadRequest", "malformed HTTP request");
    auto out = ToBeast(std::move(err), 11, false, false);
    co_await bhttp::async_write(stream, out, kUseTuple);
  }

  // Receives a body of `length` bytes (Content-Length framing) on a plain
  // connection into `sink`: into the room the sink offers when it offers
  // some (no copy on the way), else through a buffer of this function's.
  // Each recv(2) takes what the socket holds, up to the room; only when
  // the socket is empty does the connection wait through the reactor, so a
  // fast upload costs a system call per receive and no hand-over between
  // threads. A sink that fails gets no more bytes; the rest of the body is
  // read and dropped (so the answer can be sent). Sets `status` to the
  // sink's outcome; false when the connection cannot go on (the peer left,
  // or sent nothing for 120 s).
  asio::awaitable<bool> ReceiveBody(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                    uint64_t length, BodySink& sink, Status& status) {
    // The first bytes came with the head.
    if (size_t early = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length)); early > 0) {
      status = sink.Write(std::string_view(static_cast<const char*>(buffer.data().data()), early));
      buffer.consume(early);
      length -= early;
    }
    auto& socket = stream.socket();
    IdleTimeout idle(stream.get_executor(), socket, std::chrono::seconds(120));
    std::unique_ptr<char[]> own;
    constexpr size_t kOwnBytes = 256u << 10;
    while (length > 0) {
      std::span<char> room = status ? sink.Room() : std::span<char>();
      bool in_place = !room.empty();
      if (!in_place) {
        if (!own) own = std::make_unique_for_overwrite<char[]>(kOwnBytes);
        room = {own.get(), kOwnBytes};
      }
      size_t want = static_cast<size_t>(std::min<uint64_t>(room.size(), length));
      ssize_t n = ::recv(socket.native_handle(), room.data(), want, MSG_DONTWAIT);
      if (n == 0) co_return false;  // the peer ended before the body did
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
        // Empty: wait for bytes through the reactor (which tries the read
        // again under its own lock, so bytes that came meanwhile are seen).
        auto [ec, got] = co_await socket.async_read_some(asio::buffer(room.data(), want), kUseTuple);
        if (ec) co_return false;  // the peer left, or the idle timeout cancelled the read
        n = static_cast<ssize_t>(got);
      }
      length -= static_cast<uint64_t>(n);
      idle.Progress();
      if (!status) continue;  // dropping the rest
      status = in_place ? sink.Received(static_cast<size_t>(n))
                        : sink.Write(std::string_view(room.data(), static_cast<size_t>(n)));
    }
    if (status) status = sink.Close();
    co_return true;
  }

  // Cancels a socket's operations once no byte has come for `limit`: one
  // timer for a whole body that re-arms itself each period bytes came in,
  // instead of a timer set for each read.
  class IdleTimeout {
   public:
    IdleTimeout(const asio::any_io_executor& executor, tcp::socket& socket,
                std::chrono::seconds limit)
        : state_(std::make_shared<State>(executor, socket, limit)) {
      Arm(state_);
    }
    ~IdleTimeout() {
      state_->done = true;
      state_->timer.cancel();
    }
    IdleTimeout(const IdleTimeout&) = delete;
    IdleTimeout& operator=(const IdleTimeout&) = delete;
    void Progress() { ++state_->progress; }

   private:
    // Shared with the timer's handler, which may run after the body is done
    // (then it touches nothing but this).
    struct State {
      State(const asio::any_io_executor& executor, tcp::socket& s, std::chrono::seconds l)
          : timer(executor), socket(s), limit(l) {}
      asio::steady_timer timer;
      tcp::socket& socket;
      std::chrono::seconds limit;
      uint64_t progress = 0, armed_at = 0;
      bool done = false;
    };
    static void Arm(const std::shared_ptr<State>& state) {
      state->armed_at = state->progress;
      state->timer.expires_after(state->limit);
      state->timer.async_wait([state](boost::system::error_code ec) {
        if (ec || state->done) return;
        if (state->progress != state->armed_at) return Arm(state);
        boost::system::error_code ignored;
        state->socket.cancel(ignored);
      });
    }
    std::shared_ptr<State> state_;
  };

  // Sends a response whose body comes from its BodySource: from its file
  // with sendfile(2) on a plain connection when it has one, else read 1 MiB
  // at a time. False when the connection cannot go on.
  template <class Stream>
  asio::awaitable<bool> WriteStreamed(Stream& stream, Response resp, unsigned version,
                                      bool keep_alive) {
    bhttp::response<bhttp::buffer_body> out{static_cast<bhttp::status>(resp.status), version};
    out.set(bhttp::field::server, "plumbline");
    for (auto& h : resp.headers) out.insert(h.name, h.value);
    out.keep_alive(keep_alive);
    out.content_length(resp.body_size);
    out.body().data = nullptr;
    out.body().more = true;
    bhttp::response_serializer<bhttp::buffer_body> sr{out};
    auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, kUseTuple);
    (void)hn;
    if (hec) co_return false;
    // The body is the header's Content-Length of raw bytes (no framing), so
    // a file's bytes can go to the socket without passing through here.
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      if (auto file = resp.body_source->File())
        co_return co_await SendFile(stream, *file, resp.body_size);
    }
    std::vector<char> chunk(1u << 20);
    uint64_t left = resp.body_size;
    while (left > 0) {
      auto got = resp.body_source->Read(chunk.data(), std::min<uint64_t>(chunk.size(), left));
      if (!got || *got == 0) {
        spdlog::warn("response body ended early on {} bytes left: {}", left,
                     got ? std::string("end of data") : got.error().message);
        co_return false;
      }
      left -= *got;
      out.body().data = chunk.data();
      out.body().size = *got;
      out.body().more = true;
      auto [wec, wn] = co_await bhttp::async_write(stream, sr, kUseTuple);
      (void)wn;
      if (wec && wec != bhttp::error::need_buffer) co_return false;
    }
    out.body().data = nullptr;
    out.body().more = false;
    auto [fec, fn] = co_await bhttp::async_write(stream, sr, kUseTuple);
    (void)fn;
    co_return !fec;
  }

  // Sends `size` bytes of a file from `file.offset` with sendfile(2): the
  // kernel moves them from the page cache to the socket. The socket is
  // non-blocking; when its buffer is full this waits (without holding the
  // thread) until it can take more, up to 120 s as every other write.
  asio::awaitable<bool> SendFile(beast::tcp_stream& stream, BodySource::FileRange file,
                                 uint64_t size) {
    auto& socket = stream.socket();
    boost::system::error_code ec;
    socket.native_non_blocking(true, ec);
    if (ec) co_return false;
    off_t offset = static_cast<off_t>(file.offset);
    uint64_t left = size;
    // Reads ahead of what goes out: sendfile(2) reads the pages it sends
    // when it sends them, so a file not in the page cache would come off
    // the disk one readahead window at a time, each between two waits for
    // the client. Asking for the next kAhead bytes keeps the disk busy
    // while the socket drains (posix_fadvise only starts the reads).
    constexpr uint64_t kAhead = 32u << 20, kStep = 8u << 20;
    const uint64_t end = file.offset + size;
    uint64_t advised = file.offset;
    auto read_ahead = [&] {
      const uint64_t at = static_cast<uint64_t>(offset);
      if (advised >= end || advised + kStep > at + kAhead) return;
      const uint64_t want = std::min<uint64_t>(end, at + kAhead);
      ::posix_fadvise(file.fd, static_cast<off_t>(advised), static_cast<off_t>(want - advised),
                      POSIX_FADV_WILLNEED);
      advised = want;
    };
    asio::steady_timer timer(stream.get_executor());
    // A timer that fires after its wait has ended must not touch the socket.
    auto current_wait = std::make_shared<uint64_t>(0);
    while (left > 0) {
      read_ahead();
      ssize_t n = ::sendfile(socket.native_handle(), file.fd, &offset,
                             static_cast<size_t>(std::min<uint64_t>(left, 64u << 20)));
      if (n > 0) {
        left -= static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) {
        spdlog::warn("response body ended early on {} bytes left: the file is shorter", left);
        co_return false;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;  // the peer went away
      uint64_t this_wait = ++*current_wait;
      timer.expires_after(std::chrono::seconds(120));
      timer.async_wait([&socket, current_wait, this_wait](boost::system::error_code tec) {
        boost::system::error_code ignored;
        if (!tec && *current_wait == this_wait) socket.cancel(ignored);
      });
      auto [wec] = co_await socket.async_wait(tcp::socket::wait_write, kUseTuple);
      ++*current_wait;
      timer.cancel();
      if (wec) co_return false;
    }
    co_return true;
  }

  // Where a handler's answer goes: kept when it comes before the connection
  // has to wait for it (a blocking handler, answered on this thread: no
  // hand-over at all), else passed to the waiting connection.
  struct Slot {
    std::mutex m;
    std::function<Response()> ready;
    std::function<void(std::function<Response()>)> resume;  // set while waiting
  };

  // Runs the handler and returns what makes its response; waits, without
  // holding the thread, when the handler answers later from elsewhere.
  asio::awaitable<std::function<Response()>> Handle(Request& request) {
    auto slot = std::make_shared<Slot>();
    // Owed lives with the Respond, not in this frame: a frame left waiting
    // in a stopped server must not keep the server from being destroyed.
    Respond respond = OnceRespond([slot, owed = std::make_shared<Owed>(*this)](
                                      std::function<Response()> make) {
      std::unique_lock<std::mutex> lock(slot->m);
      if (!slot->resume) {
        slot->ready = std::move(make);
        return;
      }
      auto resume = std::move(slot->resume);
      lock.unlock();
      resume(std::move(make));
    });
    try {
      handler_(request, respond);
    } catch (const std::exception& e) {
      spdlog::error("handler threw on {} {}: {}", request.method, request.target, e.what());
      respond(Ready(ErrorResponse(500, "InternalError", "internal error")));
    }
    respond = nullptr;  // a handler that kept no copy has answered (or gets a 500) by now
    std::function<Response()> ready;
    {
      std::lock_guard<std::mutex> lock(slot->m);
      ready = std::move(slot->ready);
    }
    if (ready) co_return ready;
    // Named, and awaited in a statement of its own: written as
    // `co_return co_await` with the lambda as a temporary, GCC 12's code
    // released a frame's shared state twice (AddressSanitizer, tests/http).
    auto wait = [slot](auto completion) {
      auto shared = std::make_shared<decltype(completion)>(std::move(completion));
      auto resume = [shared](std::function<Response()> make) {
        auto executor = asio::get_associated_executor(*shared);
        asio::post(executor, [shared, make = std::move(make)]() mutable {
          std::move (*shared)(std::move(make));
        });
      };
      std::unique_lock<std::mutex> lock(slot->m);
      if (slot->ready) {  // answered meanwhile
        auto make = std::move(slot->ready);
        lock.unlock();
        resume(std::move(make));
        return;
      }
      slot->resume = std::move(resume);
    };
    std::function<Response()> made =
        co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::function<Response()>)>(
            wait, asio::use_awaitable);
    co_return made;
  }

  // Counts one answer owed to a connection while it lives.
  struct Owed {
    explicit Owed(ServerImpl& s) : server(s) {
      std::lock_guard<std::mutex> lock(server.owed_mu_);
      ++server.owed_;
    }
    ~Owed() {
      std::lock_guard<std::mutex> lock(server.owed_mu_);
      if (--server.owed_ == 0) server.owed_cv_.notify_all();
    }
    ServerImpl& server;
  };

  ServerOptions options_;
  std::optional<asio::ssl::context> tls_;
  AsyncHandler handler_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
  std::mutex owed_mu_;
  std::condition_variable owed_cv_;
  int owed_ = 0;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  return Start(options, Answering(std::move(handler)));
}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, AsyncHandler handler) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  PLB_TRY(server->SetUpTls());
  PLB_TRY(server->Listen());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace plumbline::http
