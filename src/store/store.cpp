// What every Store implementation shares: the job status names, the
// lease-lost error and the factory that picks an implementation by URL.
#include "store/store.hpp"

#include <cctype>

#include "store/postgresql/open.hpp"
#include "store/sqlite/open.hpp"

namespace plumbline::store {

const char* JobStatusName(JobStatus s) {
  switch (s) {
    case JobStatus::kInitializing:
      return "Initializing";
    case JobStatus::kInProgress:
      return "InProgress";
    case JobStatus::kCompleted:
      return "Completed";
    case JobStatus::kFailed:
      return "Failed";
    case JobStatus::kStopping:
      return "Stopping";
    case JobStatus::kStopped:
      return "Stopped";
  }
  return "Failed";
}

std::optional<JobStatus> ParseJobStatus(std::string_view s) {
  for (JobStatus st : {JobStatus::kInitializing, JobStatus::kInProgress, JobStatus::kCompleted,
                       JobStatus::kFailed, JobStatus::kStopping, JobStatus::kStopped})
    if (s == JobStatusName(st)) return st;
  return std::nullopt;
}

namespace {
constexpr std::string_view kLeaseLost = "lease lost: ";
}  // namespace

Error LeaseLost(const LeaseFence& fence, const std::string& holder_now, int64_t epoch_now) {
  std::string now = holder_now.empty() ? std::string("no one (released)")
                                       : holder_now + " under epoch " + std::to_string(epoch_now);
  if (epoch_now == 0) now = "no one (no such lease)";
  return Conflict(std::string(kLeaseLost) + "runner lease " + fence.name + " is no longer " +
                  fence.holder + "'s under epoch " + std::to_string(fence.epoch) +
                  "; it is held by " + now + "; the write was not applied");
}

bool IsLeaseLost(const Error& e) {
  return e.code == ErrorCode::kConflict && std::string_view(e.message).starts_with(kLeaseLost);
}

namespace {
constexpr std::string_view kIdentityChanged = "identity changed: ";
}  // namespace

Error IdentityChanged(int64_t authorised, int64_t now) {
  return Unavailable(std::string(kIdentityChanged) +
                     "the write was authorised under identity version " +
                     std::to_string(authorised) + ", the store's is now " + std::to_string(now) +
                     "; the write was not applied");
}

bool IsIdentityChanged(const Error& e) {
  return e.code == ErrorCode::kUnavailable &&
         std::string_view(e.message).starts_with(kIdentityChanged);
}

Result<std::optional<std::pair<Session, User>>> Store::FindSessionUser(const std::string& token) {
  using Out = std::optional<std::pair<Session, User>>;
  PLB_ASSIGN_OR_RETURN(auto found, FindSession(token, SessionCheck::kCurrent));
  if (!found) return Out();
  return Out(std::make_pair(std::move(found->session), std::move(found->user)));
}

namespace {

// Where a store URL points: which implementation and its own locator (the
// SQLite file's path, or the libpq URI).
struct Target {
  bool postgres = false;
  std::string locator;
};

Result<Target> ParseUrl(const std::string& url) {
  // A scheme is letters, digits, '+', '-' and '.' before the first ':'
  // (RFC 3986); anything else before a ':' is part of a path.
  size_t colon = url.find(':');
  std::string scheme;
  if (colon != std::string::npos && colon > 0) {
    scheme = url.substr(0, colon);
    for (char c : scheme)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
        scheme.clear();
        break;
      }
  }
  if (scheme.empty()) {  // a plain path: SQLite
    if (url.empty()) return InvalidArgument("the store URL is empty");
    return Target{false, url};
  }
  if (scheme == "sqlite") {
    std::string path = url.substr(colon + 1);
    // sqlite:///abs/path and sqlite://relative are accepted like sqlite:PATH.
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty()) return InvalidArgument("the store URL " + url + " names no database file");
    return Target{false, path};
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    if (url.rfind(scheme + "://", 0) != 0)
      return InvalidArgument("the store URL " + scheme + ":... must be written " + scheme +
                             "://[user[:password]@]host[:port]/database");
    return Target{true, url};
  }
  return InvalidArgument("unknown store URL scheme '" + scheme +
                         "' (expected sqlite:PATH or postgresql://...)");
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  PLB_ASSIGN_OR_RETURN(Target target, ParseUrl(options.url));
  if (target.postgres) return postgresql::Open(target.locator, options);
  return sqlite::Open(target.locator, options);
}

Result<SchemaInfo> InspectSchema(const std::string& url) {
  PLB_ASSIGN_OR_RETURN(Target target, ParseUrl(url));
  if (target.postgres) return postgresql::Inspect(target.locator);
  return sqlite::Inspect(target.locator);
}

Result<std::vector<TableCopied>> CopyStore(const std::string& from_url, const std::string& to_url,
                                           const CopyProgress& progress) {
  PLB_ASSIGN_OR_RETURN(Target from, ParseUrl(from_url));
  PLB_ASSIGN_OR_RETURN(Target to, ParseUrl(to_url));
  if (from.postgres) return InvalidArgument("--from must name an SQLite store (sqlite:PATH), not " + from_url);
  if (!to.postgres) return InvalidArgument("the copy's target must be a PostgreSQL store (postgresql://...)");
  PLB_ASSIGN_OR_RETURN(SchemaInfo source, sqlite::Inspect(from.locator));
  if (source.version == 0)
    return InvalidArgument("there is no SQLite store at " + from.locator);
  if (!source.pending.empty())
    return InvalidArgument("the SQLite store " + from.locator + " is at schema version " +
                           std::to_string(source.version) + " of " + std::to_string(source.latest) +
                           ": bring it up to date first (plumbline migrate --store sqlite:" + from.locator + ")");
  return postgresql::ImportSqlite(from.locator, to.locator, progress);
}

}  // namespace plumbline::store
