// The values the Store (store.hpp) reads and writes: jobs, data objects,
// assignments, people, teams, keys, functions, the queries and statistics,
// and the errors a write can end with (a lost lease, a changed identity).
// Plain values the caller owns; no implementation words.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace plumbline::store {

enum class JobStatus { kInitializing, kInProgress, kCompleted, kFailed, kStopping, kStopped };
const char* JobStatusName(JobStatus s);
std::optional<JobStatus> ParseJobStatus(std::string_view s);
inline bool IsTerminal(JobStatus s) {
  return s == JobStatus::kCompleted || s == JobStatus::kFailed || s == JobStatus::kStopped;
}

struct Job {
  int64_t id = 0;
  std::string name;  // original case; unique case-insensitively
  std::string arn;
  JobStatus status = JobStatus::kInitializing;
  std::string failure_reason;
  std::string request_json;  // the CreateLabelingJob request with defaults filled
  std::string workteam_arn;
  std::string job_reference_code;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  // Counters kept in the same transactions that change object states.
  int64_t object_count = 0;     // objects read from the manifest
  int64_t labeled = 0;          // final label written (human)
  int64_t failed = 0;           // ended without a label
  bool output_written = false;  // the final output manifest exists
  // Read from storage when the job starts, so later edits of the files do not
  // change a running job.
  std::string labels_json;  // JSON array of the label category file's label objects (or names)
  std::string ui_template;  // the worker task template (Liquid + HTML)
  // NumberOfHumanWorkersPerDataObject: answers each object needs (set at
  // creation; the scheduler and consolidation read it from here).
  int64_t workers_per_object = 1;
};

// Data object states. kSkipped: a custom pre-annotation function said the
// object needs no human (isHumanAnnotationRequired false); it leaves the
// job's total (object_count) and counts neither labeled nor failed.
enum class ObjectState { kAvailable = 0, kLabeled = 1, kFailed = 2, kSkipped = 3 };

struct DataObject {
  int64_t job_id = 0;
  int64_t index = 0;  // 0-based position among the manifest's non-blank lines
  ObjectState state = ObjectState::kAvailable;
  std::string line;        // the manifest line, verbatim
  std::string label_json;  // consolidated content {"<attr>":..., "<attr>-metadata":...}
  std::string failure_reason;
  int64_t answers = 0;
  int64_t leases = 0;  // live leases
  // The object's stored task input, pre-processing's output as the task
  // type writes it (JSON text, kept as given); empty until the object is
  // pre-processed (see SetTaskInputs).
  std::string task_input_json;
};

// How an object ends (FinishObjects).
struct ObjectOutcome {
  int64_t index = 0;
  ObjectState state = ObjectState::kLabeled;
  std::string label_json;
  std::string failure_reason;
};

enum class AssignmentState {
  kLeased = 0,
  kSubmitted = 1,
  kReleased = 2,
  kDeclined = 3,
  kExpired = 4
};

struct Assignment {
  int64_t id = 0;  // the task id workers see
  int64_t job_id = 0;
  int64_t object_index = 0;
  int64_t user_id = 0;
  AssignmentState state = AssignmentState::kLeased;
  int64_t accepted_ms = 0;
  int64_t deadline_ms = 0;
  int64_t submitted_ms = 0;
  std::string answer_json;
  double time_spent_s = 0;
  std::string object_line;      // the object's manifest line; filled by Claim only
  std::string task_input_json;  // the object's stored task input; filled by Claim only
};

struct ObjectAnswers {
  DataObject object;
  std::vector<Assignment> answers;
};

struct User {
  int64_t id = 0;
  std::string username;
  std::string password_hash;
  bool is_admin = false;
  bool disabled = false;
  std::string worker_key;  // 16 hex characters: the stable part of the worker id
  std::string sub;         // stable UUID (workerMetadata.identityData.sub)
  std::vector<std::string> groups;
};

struct AccessKey {
  std::string access_key_id;
  std::string secret;
  int64_t user_id = 0;  // 0 for the root key
  bool is_root = false;
};

struct Session {
  std::string token;
  int64_t user_id = 0;
  std::string csrf_token;
  int64_t expires_ms = 0;
};

struct Workteam {
  int64_t id = 0;
  std::string name;
  std::string arn;
  std::string doc_json;  // the Workteam shape as DescribeWorkteam returns it
  std::vector<std::string> groups;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct JobFilter {
  std::optional<int64_t> created_after_ms, created_before_ms;
  std::optional<int64_t> modified_after_ms, modified_before_ms;
  std::optional<std::string> name_contains;  // case-insensitive
  std::optional<JobStatus> status;
  std::optional<std::string> workteam_arn;
  // Only jobs that have not ended (Initializing, InProgress, Stopping): what
  // the runner and the worker job list look at, read without the others.
  bool unfinished_only = false;
};

// One job as a list of jobs shows it: the job's row without its labels and
// template, read a page at a time (ListJobPage).
struct JobSummary {
  int64_t id = 0;
  std::string name;
  std::string arn;
  JobStatus status = JobStatus::kInitializing;
  std::string failure_reason;
  // The stored CreateLabelingJob request (what a list reads its task type
  // and title from); read for the page's jobs only.
  std::string request_json;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  int64_t object_count = 0;
  int64_t labeled = 0;
  int64_t failed = 0;
  int64_t workers_per_object = 1;
};

// The orders of a page of jobs. Every key breaks ties by created_ms, then
// id, in the same direction as the key. kName compares names without ASCII
// case, kStatus compares JobStatusName bytewise, kProgress compares
// (labeled + failed) / object_count as a double (0 for a job without
// objects).
enum class JobSort { kCreated, kName, kStatus, kProgress };

struct JobPageQuery {
  JobFilter filter;
  JobSort sort = JobSort::kCreated;
  bool descending = true;
  int64_t offset = 0;  // jobs skipped, in the order
  int64_t limit = 25;  // at most this many jobs (0: only the total)
};

struct JobPage {
  std::vector<JobSummary> jobs;
  int64_t total = 0;  // jobs the filter matches, however many the page holds
};

// A claim decision made inside one transaction.
struct ClaimRequest {
  int64_t job_id = 0;
  int64_t user_id = 0;
  int64_t now_ms = 0;
  int64_t lease_ms = 0;  // TaskTimeLimitInSeconds
  // TaskAvailabilityLifetimeInSeconds: objects released longer ago than
  // this are not handed out any more.
  int64_t availability_ms = 2592000000;
  // False once a stopping condition is met: only objects already started
  // are handed out.
  bool start_new_objects = true;
  // A stopping condition checked in the claim's transaction: from this many
  // labeled objects on, no new object is started (0: none).
  int64_t stop_at_labeled = 0;
  // True once pre-processing runs ahead of the claims (in the runner): only
  // objects with a stored task input are handed out. False: any object, as
  // before task inputs were stored (the claim's caller pre-processes).
  bool require_task_input = false;
};

// Counters of the store's write path since it was opened (for tests and
// metrics). A commit is one durable transaction; `writes` counts the write
// calls that ran inside committed transactions (each kept its changes or
// rolled back alone), so writes / commits is the mean group size.
struct StoreStats {
  int64_t commits = 0;
  int64_t writes = 0;
  int64_t failed_commits = 0;  // transactions that could not commit
  // Database connections (a server store's pool; 0 where there is none):
  // open, busy in a read right now, and reopened after the server dropped one.
  int64_t pool_open = 0;
  int64_t pool_busy = 0;
  int64_t reconnects = 0;
  // Claims (ClaimAsync and the claim of SubmitAndClaimAsync) that handed out
  // a task, and that found none; submits whose answer was stored, and
  // repeated submits acknowledged again (kAlreadySubmitted).
  int64_t claims = 0;
  int64_t claims_empty = 0;
  int64_t answers_committed = 0;
  int64_t answers_repeated = 0;
  // Worker writes refused with IdentityChanged: the identity version had
  // moved since their session was read.
  int64_t identity_refused = 0;
  // Committed transactions by number of writes: batch_sizes[i] counts the
  // commits of at most kBatchSizeBounds[i] writes (not cumulative).
  static constexpr int64_t kBatchSizeBounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  std::vector<int64_t> batch_sizes;
};

// Counters every implementation keeps the same way (see StoreStats).
class StoreCounters {
 public:
  void Claimed(bool found) {
    (found ? claims_ : claims_empty_).fetch_add(1, std::memory_order_relaxed);
  }
  void Submitted(bool repeated) {
    (repeated ? answers_repeated_ : answers_committed_).fetch_add(1, std::memory_order_relaxed);
  }
  void IdentityRefused() { identity_refused_.fetch_add(1, std::memory_order_relaxed); }
  void Committed(size_t writes) {
    size_t i = 0;
    while (i + 1 < std::size(StoreStats::kBatchSizeBounds) &&
           static_cast<int64_t>(writes) > StoreStats::kBatchSizeBounds[i])
      ++i;
    batches_[i].fetch_add(1, std::memory_order_relaxed);
  }
  void Fill(StoreStats& s) const {
    s.claims = claims_.load();
    s.claims_empty = claims_empty_.load();
    s.answers_committed = answers_committed_.load();
    s.answers_repeated = answers_repeated_.load();
    s.identity_refused = identity_refused_.load();
    s.batch_sizes.clear();
    for (const auto& b : batches_) s.batch_sizes.push_back(b.load());
  }

 private:
  std::atomic<int64_t> claims_{0}, claims_empty_{0}, answers_committed_{0}, answers_repeated_{0};
  std::atomic<int64_t> identity_refused_{0};
  std::atomic<int64_t> batches_[std::size(StoreStats::kBatchSizeBounds)] = {};
};

enum class SubmitOutcome { kAccepted, kAlreadySubmitted };

// A KMS-like customer master key (see kms/kms.hpp, which owns the
// meaning of the fields; the store only keeps them).
struct KmsKey {
  std::string key_id;  // UUID, unique
  std::string arn;     // arn:aws:kms:<region>:<account>:key/<key_id>
  std::string alias;   // "" or "alias/<name>", unique when set
  std::string description;
  std::string wrapped_key;  // the master key sealed under the root secret (opaque text)
  std::string policy_json;  // the key policy (who may decrypt), JSON
  bool enabled = true;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  std::string key_manager = "CUSTOMER";  // or "AWS" (the managed key of alias/aws/s3)
  int64_t deletion_ms = 0;               // when a key pending deletion goes; 0: not pending
  std::string tags_json = "[]";          // [{"TagKey","TagValue"}...]
};

// A KMS alias ("alias/<name>") and the key it points to; a key has any number.
struct KmsAlias {
  std::string alias;
  std::string key_id;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
};

// --- workforce and access control (issue #6) ---
// An access key as `users list-access-keys` shows it: never the secret.
struct AccessKeyInfo {
  std::string access_key_id;
  int64_t user_id = 0;  // 0 for the root key
  bool is_root = false;
  bool active = true;  // false once revoked; revoked keys never authenticate
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;
};

// One line of the audit log: who did what, when, from where, with what outcome.
struct AuditEntry {
  int64_t id = 0;
  int64_t time_ms = 0;
  std::string actor;    // "root", a username, an access key id, or "cli:<os user>"
  std::string action;   // e.g. "sagemaker:CreateWorkteam", "portal:login", "users:disable"
  std::string target;   // what it acted on (a job or team name, a username), may be ""
  std::string source;   // remote address, or "cli"
  std::string outcome;  // "ok", or the error code ("AccessDenied", "InvalidCredentials", ...)
  std::string detail;   // free text, never a secret
};

// Transforms applied to access-key secrets on their way into and out of the
// store (encryption at rest; see crypto/secretbox.hpp). `seal` must be
// randomised and `open` must reject anything `seal` did not make;
// `is_sealed` tells a sealed value from a legacy plaintext one.
struct SecretSealer {
  // `context` (the access key id) is bound to the sealed value, so a sealed
  // secret copied to another row does not open there.
  std::function<Result<std::string>(const std::string& plain, const std::string& context)> seal;
  std::function<Result<std::string>(const std::string& sealed, const std::string& context)> open;
  std::function<bool(const std::string& stored)> is_sealed;
};
// An invitation to join as a user, made by an admin (the console's "invite
// with a one-time link"). The link's token itself is never stored: only its
// SHA-256 in hex, which is how the invitation is found again.
struct Invitation {
  std::string token_hash;
  std::string username;
  std::vector<std::string> groups;
  bool is_admin = false;
  std::string invited_by;  // the admin's username
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // refused from this time on
  int64_t used_ms = 0;     // 0 until accepted
};
// --- end of workforce and access control types ---

// A registered function (a custom pre-annotation or consolidation hook,
// Lambda's CreateFunction): what runs it and its settings. The code itself
// lives in files (functions/ owns them); the store keeps where.
struct Function {
  std::string name;         // unique (case-sensitive, as Lambda's)
  std::string arn;          // arn:aws:lambda:<region>:<account>:function:<name>
  std::string kind;         // "python", "executable" or "http"
  std::string runtime;      // as given at creation ("python3.11", "provided", ...)
  std::string handler;      // module.function, a command, or an invocation URL
  std::string code_dir;     // the folder holding the unpacked code ("" for http)
  std::string code_sha256;  // base64 SHA-256 of the deployed package
  int64_t code_size = 0;
  int64_t timeout_s = 3;
  int64_t memory_mb = 128;
  std::string environment_json = "{}";  // {"NAME":"value",...}
  std::string description;
  std::string role;
  int64_t revision = 1;  // grows with every change of code or settings
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
};

// The runner lease a write is made under (see Store::AcquireLease): the
// write is applied only when, in its own transaction, the lease `name` is
// still held by `holder` under `epoch`. A lease that expired but that no
// one else took still counts as held (no one else can have written), so a
// runner cut off from the database for longer than its term loses its
// writes only once another runner has taken over.
struct LeaseFence {
  std::string name;
  std::string holder;
  int64_t epoch = 0;
};
// The error of a write whose fence no longer holds: kConflict with a
// message beginning "lease lost: ", naming the lease, the fence and who
// holds it now. Such a write changed nothing; the runner drops what it
// kept of the job and stops working on it.
Error LeaseLost(const LeaseFence& fence, const std::string& holder_now, int64_t epoch_now);
bool IsLeaseLost(const Error& e);

// A portal session with its user (and groups), and the identity version
// (Store::IdentityVersion) they were read under.
struct SessionUser {
  Session session;
  User user;
  int64_t identity_version = 0;
};
// How fresh a session lookup (Store::FindSession) must be.
enum class SessionCheck {
  // Never older than a change committed before the call (in this process or
  // another one sharing the database): the current identity version is
  // read first.
  kCurrent,
  // May come from the cache without that read, so it may predate a change
  // committed since. Only for a caller that hands the answer's
  // identity_version to a worker write (ClaimAsync, SubmitAsync,
  // SubmitAndClaimAsync), which checks it in its own transaction.
  kCheckedByTheWrite,
};
// The error of a worker write authorised under an identity version that is
// no longer the store's: kUnavailable with a message beginning "identity
// changed: ". The write changed nothing; its caller looks the session up
// again (SessionCheck::kCurrent) and, if it still stands, writes again
// with the version that lookup read.
Error IdentityChanged(int64_t authorised, int64_t now);
bool IsIdentityChanged(const Error& e);

}  // namespace plumbline::store
