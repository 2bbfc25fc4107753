// The PostgreSQL store's change listener: one connection per store that
// LISTENs on the store's channel and publishes, on the store's ChangeFeed,
// what other processes sharing the database announce with their commits
// (the writer's pg_notify, see PgStore::CommitSql). Private to store/.
//
// An announcement's payload is "<change set in decimal> <origin>"; the
// store's own (its origin) are skipped, since its writer publishes its
// commits itself. A connection that breaks (the server restarted, the
// backend was terminated, a quiet connection that fails its health check)
// is reopened with backoff, LISTEN issued again, and then every kind is
// published as changed: announcements made while nobody listened are lost.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "common/result.hpp"
#include "store/changes.hpp"

namespace plumbline::store::postgresql {

// The channel of a store whose tables are in `schema` ("" : the default
// search path): stores of one installation share it, installations in other
// schemas of the same database do not. At most 63 bytes (PostgreSQL's
// identifier length): a longer schema name is replaced by its hash.
std::string ChannelName(const std::string& schema);

// The payload of an announcement, and its reading (false when it is not one
// of ours).
std::string AnnouncementPayload(ChangeSet set, const std::string& origin);
bool ParseAnnouncement(const char* payload, ChangeSet* set, std::string* origin);

class ChangeListener {
 public:
  // `conninfo` as the store's connections use it; `reconnects` counts the
  // connections reopened after one broke.
  ChangeListener(std::string conninfo, std::string display_url, std::string channel,
                 std::string origin, ChangeFeed& feed, std::atomic<int64_t>& reconnects);
  ~ChangeListener();
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  // Connects and LISTENs (so that announcements committed after it returns
  // are heard), then starts the thread that receives them. A first
  // connection that fails is retried by the thread; the error is returned
  // for the log.
  Status Start();
  // Stops the thread and closes the connection (the destructor does it too).
  void Stop();
  // Whether a connection is listening now.
  bool Listening() const { return listening_.load(); }

 private:
  Status Connect();
  void Close();
  void Loop();
  // Receives announcements until the connection breaks (false) or the
  // listener stops (true).
  bool Receive();
  // Waits up to `d` unless stopping; true when stopping.
  bool Sleep(std::chrono::milliseconds d);

  static constexpr int kHealthCheckMs = 5000;  // a quiet connection is checked this often
  std::string conninfo_, display_url_, channel_, origin_;
  ChangeFeed& feed_;
  std::atomic<int64_t>& reconnects_;
  PGconn* pg_ = nullptr;
  int wake_fd_ = -1;  // an eventfd Stop writes to
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace plumbline::store::postgresql
