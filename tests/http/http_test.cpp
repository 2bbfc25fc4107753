// The router and the server with handlers that answer later, from another
// thread: what lets a request wait for a commit without holding an I/O thread.
#include "http/http.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>
#include <thread>

#include "support/loopback.hpp"

namespace plumbline::http {
namespace {

using namespace std::chrono_literals;

Request Make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = r.target = std::move(path);
  return r;
}

TEST(RouterTest, AnAsyncRouteMayAnswerFromAnotherThread) {
  Router router;
  router.AddAsync("POST", "/jobs/{job}/claim", [](const Request& req, Respond respond) {
    std::string job = req.Param("job");
    std::thread([respond, job] {
      std::this_thread::sleep_for(10ms);
      respond([job] { return Response::Json(200, "{\"job\":\"" + job + "\"}"); });
    }).detach();
  });
  router.Add("GET", "/healthz", [](const Request&) { return Response::Json(200, "{}"); });
  Request claim = Make("POST", "/jobs/a%20b/claim");
  Response r = router.Dispatch(claim);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"job\":\"a b\"}");

  // A blocking route answers before Dispatch returns.
  Request health = Make("GET", "/healthz");
  std::optional<Response> got;
  router.Dispatch(health, [&](std::function<Response()> make) { got = make(); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  Request wrong = Make("GET", "/jobs/a/claim");
  EXPECT_EQ(router.Dispatch(wrong).status, 405);
  Request none = Make("GET", "/nothing");
  EXPECT_EQ(router.Dispatch(none).status, 404);
}

TEST(RouterTest, ARespondDroppedUnansweredIs500AndLaterAnswersAreIgnored) {
  Router router;
  router.AddAsync("GET", "/drop", [](const Request&, Respond) {});
  router.AddAsync("GET", "/twice", [](const Request&, Respond respond) {
    respond([] { return Response::Text(201, "first"); });
    respond([] { return Response::Text(202, "second"); });
  });
  Request drop = Make("GET", "/drop");
  EXPECT_EQ(router.Dispatch(drop).status, 500);
  Request twice = Make("GET", "/twice");
  Response r = router.Dispatch(twice);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "first");
}

// One HTTP/1.1 request on a fresh connection; returns "status body".
std::string Fetch(uint16_t port, const std::string& path) {
  const std::string in = testing_support::RequestRaw(port, "GET", path);
  if (in == "connect failed") return in;
  if (in.size() < 12) return "no response";
  size_t body = in.find("\r\n\r\n");
  return in.substr(9, 3) + " " + (body == std::string::npos ? "" : in.substr(body + 4));
}

// A route whose answers the test gives by hand.
struct Parked {
  std::mutex m;
  std::condition_variable cv;
  std::vector<Respond> waiting;
  void Add(Respond r) {
    std::lock_guard<std::mutex> lock(m);
    waiting.push_back(std::move(r));
    cv.notify_all();
  }
  Respond Take() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return !waiting.empty(); });
    Respond r = std::move(waiting.front());
    waiting.erase(waiting.begin());
    return r;
  }
};

TEST(ServerTest, APendingAsyncHandlerDoesNotHoldTheOnlyIoThread) {
  Parked parked;
  Router router;
  router.AddAsync("GET", "/slow", [&](const Request&, Respond r) { parked.Add(std::move(r)); });
  router.AddAsync("GET", "/dropped", [](const Request&, Respond) {});
  router.Add("GET", "/fast", [](const Request&) { return Response::Text(200, "fast"); });
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  auto server = Server::Start(options, [&](Request& r, Respond respond) {
                  router.Dispatch(r, std::move(respond));
                }).value();
  std::thread io([&] { server->Run(); });
  uint16_t port = server->port();

  auto slow = std::async(std::launch::async, [&] { return Fetch(port, "/slow"); });
  Respond answer = parked.Take();  // the slow request is in its handler
  EXPECT_EQ(slow.wait_for(50ms), std::future_status::timeout);
  // The one I/O thread is free: other requests are served meanwhile.
  EXPECT_EQ(Fetch(port, "/fast"), "200 fast");
  EXPECT_EQ(Fetch(port, "/dropped").substr(0, 3), "500");
  // Answered from this thread; the response is made on the I/O thread.
  std::thread::id made_on;
  answer([&made_on] {
    made_on = std::this_thread::get_id();
    return Response::Text(200, "slow");
  });
  EXPECT_EQ(slow.get(), "200 slow");
  EXPECT_EQ(made_on, io.get_id());

  // The server is not destroyed while an answer is still owed to it.
  auto late = std::async(std::launch::async, [&] { return Fetch(port, "/slow"); });
  Respond owed = parked.Take();
  server->Stop();
  io.join();
  auto gone = std::async(std::launch::async, [&] { server.reset(); });
  EXPECT_EQ(gone.wait_for(100ms), std::future_status::timeout);
  owed = nullptr;  // the last copy: answered 500, nobody to send it to
  EXPECT_EQ(gone.wait_for(5s), std::future_status::ready);
  late.wait();
}

// A body sink that offers room to receive into (in pieces of an odd size),
// keeps what it got and can fail after some bytes.
class RoomSink final : public BodySink {
 public:
  explicit RoomSink(size_t fail_after) : fail_after_(fail_after) {}
  Status Write(std::string_view bytes) override {
    ++writes;
    return Take(bytes);
  }
  std::span<char> Room() override { return {room_, sizeof room_}; }
  Status Received(size_t n) override {
    ++receives;
    return Take(std::string_view(room_, n));
  }
  Status Close() override {
    closed = true;
    return {};
  }
  std::string got;
  int writes = 0, receives = 0;
  bool closed = false;

 private:
  Status Take(std::string_view bytes) {
    got.append(bytes);
    if (got.size() > fail_after_) return InvalidArgument("the sink failed");
    return {};
  }
  size_t fail_after_;
  char room_[7919];
};

// Sends `pieces` on one connection, pausing between them, then half-closes
// when asked; returns all that came back.
std::string Exchange(uint16_t port, const std::vector<std::string>& pieces, bool shut = false) {
  return testing_support::ExchangeRaw(port, pieces, shut, 20ms);
}

// A body with a Content-Length on a plain connection goes straight into the
// room its sink offers: whole, in order, the bytes that came with the head
// through Write, not a byte of the next request (which is answered on the
// same connection); a failed sink gets no more and the rest is dropped; a
// peer that leaves half-way gets no answer and the sink is not closed.
TEST(ServerTest, AStreamedBodyGoesIntoTheSinksRoomAndNoFurther) {
  std::mutex m;
  std::vector<std::shared_ptr<RoomSink>> sinks;
  ServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.stream_body = [&](const Request& head) -> std::shared_ptr<BodySink> {
    if (head.path != "/up") return nullptr;
    const std::string* fail = head.FindHeader("x-fail-after");
    auto sink = std::make_shared<RoomSink>(fail ? std::stoul(*fail) : SIZE_MAX);
    std::lock_guard<std::mutex> lock(m);
    sinks.push_back(sink);
    return sink;
  };
  auto server = Server::Start(options, [](Request& r, Respond respond) {
                  if (r.path != "/up") return respond(Ready(Response::Text(200, "next")));
                  auto* sink = static_cast<RoomSink*>(r.body_sink.get());
                  respond(Ready(Response::Text(r.body_status ? 200 : 400,
                                               std::to_string(sink->got.size()))));
                }).value();
  std::thread io([&] { server->Run(); });
  uint16_t port = server->port();

  std::string body(300000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 7919) >> 3);
  std::string head = "PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n";
  std::string next = "GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  // The head with the first bytes, a pause (the socket runs dry), the rest
  // with the next request right behind it.
  std::string out = Exchange(port, {head + "\r\n" + body.substr(0, 1000), body.substr(1000) + next});
  EXPECT_NE(out.find("HTTP/1.1 200 OK"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\n300000HTTP/1.1 200 OK"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nnext"), std::string::npos) << out;
  {
    std::lock_guard<std::mutex> lock(m);
    ASSERT_EQ(sinks.size(), 1u);
    EXPECT_TRUE(sinks[0]->got == body);
    EXPECT_EQ(sinks[0]->writes, 1);  // what came with the head
    EXPECT_GT(sinks[0]->receives, 1);
    EXPECT_TRUE(sinks[0]->closed);
  }

  // Failing after 5000 bytes: the rest is read and dropped, the handler
  // sees the failure, the connection goes on.
  out = Exchange(port, {head + "x-fail-after: 5000\r\n\r\n" + body + next});
  EXPECT_NE(out.find("HTTP/1.1 400 Bad Request"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nnext"), std::string::npos) << out;
  {
    std::lock_guard<std::mutex> lock(m);
    ASSERT_EQ(sinks.size(), 2u);
    // Past 5000 by one piece at most: a room, or what came with the head.
    EXPECT_LE(sinks[1]->got.size(), 5000u + (64u << 10));
    EXPECT_LT(sinks[1]->got.size(), body.size());
    EXPECT_FALSE(sinks[1]->closed);
  }

  // The peer leaves before the body is complete: no answer.
  out = Exchange(port, {head + "\r\n" + body.substr(0, 5000)}, true);
  EXPECT_EQ(out, "");
  {
    std::lock_guard<std::mutex> lock(m);
    ASSERT_EQ(sinks.size(), 3u);
    EXPECT_EQ(sinks[2]->got, body.substr(0, 5000));
    EXPECT_FALSE(sinks[2]->closed);
  }
  server->Stop();
  io.join();
}

}  // namespace
}  // namespace plumbline::http
