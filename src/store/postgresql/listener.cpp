// The PostgreSQL store's change announcements: what the writer's commits
// send (pg_notify in the committing transaction) and the listener that
// hears other processes' (listener.hpp).
#include "store/postgresql/listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/ids.hpp"
#include "common/thread_name.hpp"
#include "store/postgresql/pg_store.hpp"

namespace plumbline::store::postgresql {

// ---------------- announcements ----------------

std::string ChannelName(const std::string& schema) {
  std::string channel = "plumbline_changes";
  if (schema.empty()) return channel;
  channel += "." + schema;
  if (channel.size() <= 63) return channel;
  uint64_t h = 14695981039346656037ull;  // FNV-1a: the same name in every process
  for (unsigned char c : schema) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return "plumbline_changes.#" + std::string(hex);
}

std::string AnnouncementPayload(ChangeSet set, const std::string& origin) {
  return std::to_string(set) + " " + origin;
}

bool ParseAnnouncement(const char* payload, ChangeSet* set, std::string* origin) {
  if (!payload) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(payload, &end, 10);
  if (errno != 0 || end == payload || *end != ' ' || v > changes::kAll) return false;
  *set = static_cast<ChangeSet>(v);
  *origin = end + 1;
  return !origin->empty();
}

ChangeSet PgStore::TouchedBy(const std::vector<Op*>& batch) {
  ChangeSet touched = changes::kNone;
  for (const Op* o : batch) touched |= o->kept_changes;
  return touched;
}

std::string PgStore::CommitSql(ChangeSet touched) const {
  if (touched == changes::kNone || channel_literal_.empty()) return "COMMIT";
  // The payload is digits, a space and hex digits: nothing to escape.
  return "SELECT pg_notify(" + channel_literal_ + ", '" + AnnouncementPayload(touched, origin_) +
         "'); COMMIT";
}

void PgStore::StartListener() {
  std::string channel = ChannelName(schema_);
  char* literal = PQescapeLiteral(writer_.pg, channel.c_str(), channel.size());
  if (!literal) return;  // out of memory: commits go unannounced, as without a listener
  channel_literal_ = literal;
  PQfreemem(literal);
  origin_ = RandomHex(8);
  listener_ = std::make_unique<ChangeListener>(conninfo_, display_url_, channel, origin_,
                                               changes_, reconnects_);
  // A first connection that fails is retried by the listener's thread;
  // until it listens this store hears only its own commits.
  (void)listener_->Start();
}

// ---------------- the listener ----------------

namespace {
// The listener's connection gives up on a server that stopped answering
// (a silent network) within seconds, as the health check's query would not,
// and so does a connection attempt (a store being closed waits for it).
std::string WithTimeouts(const std::string& conninfo) {
  std::string out;
  out.reserve(conninfo.size() + 128);
  out.append(conninfo);
  out.append(conninfo.find('?') == std::string::npos ? "?" : "&");
  out.append(
      "keepalives=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=3"
      "&tcp_user_timeout=15000&connect_timeout=10");
  return out;
}
}  // namespace

ChangeListener::ChangeListener(std::string conninfo, std::string display_url, std::string channel,
                               std::string origin, ChangeFeed& feed,
                               std::atomic<int64_t>& reconnects)
    : conninfo_(WithTimeouts(conninfo)),
      display_url_(std::move(display_url)),
      channel_(std::move(channel)),
      origin_(std::move(origin)),
      feed_(feed),
      reconnects_(reconnects) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

ChangeListener::~ChangeListener() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status ChangeListener::Start() {
  Status first = Connect();
  thread_ = std::thread([this] {
    NameThisThread("plb-pg-listen");
    Loop();
  });
  return first;
}

void ChangeListener::Stop() {
  stopping_.store(true);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  Close();
}

Status ChangeListener::Connect() {
  Close();
  pg_ = PQconnectdb(conninfo_.c_str());
  auto failed = [&](const std::string& what) {
    std::string m = PQerrorMessage(pg_);  // says why for a null connection too
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    Close();
    return Unavailable("change listener: " + what + " at " + display_url_ + ": " + m);
  };
  if (!pg_ || PQstatus(pg_) != CONNECTION_OK) return failed("cannot connect to PostgreSQL");
  PQsetNoticeProcessor(pg_, [](void*, const char*) {}, nullptr);
  char* ident = PQescapeIdentifier(pg_, channel_.c_str(), channel_.size());
  if (!ident) return failed("cannot quote the channel");
  std::string sql = "SET application_name = 'plumbline listener'; LISTEN " + std::string(ident);
  PQfreemem(ident);
  PGresult* res = PQexec(pg_, sql.c_str());
  bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  if (!ok) return failed("LISTEN failed");
  listening_.store(true);
  return {};
}

void ChangeListener::Close() {
  listening_.store(false);
  if (pg_) PQfinish(pg_);
  pg_ = nullptr;
}

bool ChangeListener::Sleep(std::chrono::milliseconds d) {
  pollfd wake{wake_fd_, POLLIN, 0};
  int r = ::poll(&wake, 1, static_cast<int>(d.count()));
  (void)r;
  return stopping_.load();
}

void ChangeListener::Loop() {
  constexpr std::chrono::milliseconds kFirstBackoff{100}, kMaxBackoff{2000};
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!stopping_.load()) {
    if (!pg_) {
      if (!Connect()) {
        if (Sleep(backoff)) return;
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      backoff = kFirstBackoff;
      reconnects_.fetch_add(1);
      // Listening again: what was announced while nobody listened is lost,
      // so everything may have changed.
      feed_.Publish(changes::kAll);
    }
    if (Receive()) return;
    Close();
  }
}

bool ChangeListener::Receive() {
  const int sock = PQsocket(pg_);
  if (sock < 0) return false;
  for (;;) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int r = ::poll(fds, 2, kHealthCheckMs);
    if (stopping_.load()) return true;
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) {
      // Quiet for a while: make sure the connection still answers.
      PGresult* res = PQexec(pg_, "SELECT 1");
      bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
      PQclear(res);
      if (!ok) return false;
    } else if (fds[0].revents != 0 && PQconsumeInput(pg_) == 0) {
      return false;
    }
    while (PGnotify* n = PQnotifies(pg_)) {
      ChangeSet set = changes::kNone;
      std::string origin;
      if (ParseAnnouncement(n->extra, &set, &origin) && origin != origin_) feed_.Publish(set);
      PQfreemem(n);
    }
    if (PQstatus(pg_) != CONNECTION_OK) return false;
  }
}

}  // namespace plumbline::store::postgresql
