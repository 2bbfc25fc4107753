// A raw HTTP client for tests that talk to a server on 127.0.0.1 over a
// socket of their own (to send bytes exactly as given, in pieces, or to read
// an answer exactly as it came over the wire).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace plumbline::testing_support {

// Sends `pieces` on one new connection to 127.0.0.1:port, pausing `pause`
// after each, half-closes the connection when `shut`, and returns all that
// came back until the server closed it ("connect failed" when it could not
// connect).
inline std::string ExchangeRaw(uint16_t port, const std::vector<std::string>& pieces,
                               bool shut = false,
                               std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed";
  }
  for (const std::string& piece : pieces) {
    for (size_t at = 0; at < piece.size();) {
      const ssize_t n = ::write(fd, piece.data() + at, piece.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  if (shut) ::shutdown(fd, SHUT_WR);
  std::string in;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) in.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return in;
}

// One request with `Connection: close` on a new connection; the whole answer.
inline std::string RequestRaw(uint16_t port, const std::string& method, const std::string& target,
                              const std::string& headers = "") {
  return ExchangeRaw(port, {method + " " + target +
                            " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + headers + "\r\n"});
}

}  // namespace plumbline::testing_support
