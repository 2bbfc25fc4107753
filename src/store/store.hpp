// Store: the single source of truth for jobs, data objects, assignments,
// answers, people, work teams and access keys.
//
// Every method is one transaction: it either happens entirely or not at all,
// and when a write returns success the change is durable (it survives a
// crash of the process or the machine). Reads see every write that returned
// before they began. Concurrent writes may share one commit (group commit);
// each still succeeds or fails alone.
//
// Implementations are chosen by URL in OpenStore (below): `sqlite:PATH`
// or `postgresql://...`. Every implementation runs the same contract
// suite: tests/store/store_contract_test.cpp and
// tests/store/access_control_contract_test.cpp. FaultInjectingStore
// (store/fault_injecting_store.hpp) wraps any Store for tests of failures.
//
// Thread safety: a Store may be called from several threads at once. Its
// results are plain values the caller owns (store/types.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/await.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/changes.hpp"
#include "store/types.hpp"

namespace plumbline::store {

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // --- settings (key/value; e.g. the account id) ---
  virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  virtual Status PutSetting(const std::string& key, const std::string& value) = 0;

  // --- people ---
  // kAlreadyExists when the username is taken (case-insensitive).
  virtual Result<User> CreateUser(const User& user) = 0;
  virtual Result<User> GetUserByName(const std::string& username) = 0;  // kNotFound
  virtual Result<User> GetUser(int64_t id) = 0;                         // kNotFound
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Status SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) = 0;
  virtual Status PutAccessKey(const AccessKey& key) = 0;
  virtual Result<std::optional<AccessKey>> FindAccessKey(const std::string& access_key_id) = 0;
  virtual Status PutSession(const Session& s) = 0;
  // The session and its user (with groups) in one read, with the identity
  // version they were read under; nullopt for an unknown token. Expiry is
  // the caller's to check. Implementations may cache the answer; with
  // SessionCheck::kCurrent a lookup never returns what a committed change
  // (in this process or another one sharing the database) has replaced.
  virtual Result<std::optional<SessionUser>> FindSession(const std::string& token,
                                                         SessionCheck check) = 0;
  // FindSession(token, kCurrent) without the version.
  Result<std::optional<std::pair<Session, User>>> FindSessionUser(const std::string& token);
  virtual Status DeleteSession(const std::string& token) = 0;
  // A number that grows in the same transaction as every change of users,
  // their groups, passwords and disabled flags, sessions ending, and access
  // keys, made by any process sharing the database. A cache of any of these
  // is valid while the number it was filled under has not changed. (A new
  // session or user need not bump it: nothing cached can be stale for them.)
  virtual Result<int64_t> IdentityVersion() = 0;

  // --- work teams ---
  virtual Result<Workteam> CreateWorkteam(const Workteam& team) = 0;        // kAlreadyExists
  virtual Result<Workteam> GetWorkteamByName(const std::string& name) = 0;  // kNotFound
  virtual Result<Workteam> GetWorkteamByArn(const std::string& arn) = 0;    // kNotFound
  virtual Result<std::vector<Workteam>> ListWorkteams() = 0;

  // --- jobs ---
  // The runner's writes (job status, inputs and output record, objects,
  // task inputs, outcomes, releases) take an optional LeaseFence (above):
  // with one, the write happens only when the fence holds, checked in the
  // write's own transaction; else nothing changes and the error is
  // LeaseLost. Without one (an API caller's StopLabelingJob, tests) the
  // write is unconditional.
  // kAlreadyExists when the name is taken (case-insensitive).
  virtual Result<Job> CreateJob(const Job& job) = 0;
  virtual Result<Job> GetJobByName(const std::string& name) = 0;  // kNotFound
  virtual Result<Job> GetJob(int64_t id) = 0;                     // kNotFound
  virtual Result<std::vector<Job>> ListJobs(const JobFilter& filter) = 0;
  // The jobs the filter matches, in the query's order, from its offset, at
  // most its limit, with their total, in one read: sorted and cut by the
  // database (indexes of each order), without reading any job's labels or
  // template. An offset at or past the total gives no jobs.
  // kInvalidArgument for a negative offset or limit.
  virtual Result<JobPage> ListJobPage(const JobPageQuery& query) = 0;
  // Sets status (and failure reason when Failed) and the modified time.
  virtual Status SetJobStatus(int64_t job_id, JobStatus status, const std::string& failure_reason,
                              int64_t now_ms, const LeaseFence* fence = nullptr) = 0;
  virtual Status MarkOutputWritten(int64_t job_id, int64_t now_ms,
                                   const LeaseFence* fence = nullptr) = 0;
  virtual Status SetJobInputs(int64_t job_id, const std::string& labels_json,
                              const std::string& ui_template,
                              const LeaseFence* fence = nullptr) = 0;

  // --- data objects ---
  // Removes every object of the job (a restarted ingest starts clean).
  virtual Status DeleteObjects(int64_t job_id, const LeaseFence* fence = nullptr) = 0;
  // Appends objects in one transaction and adds them to the job's counters
  // (kFailed ones as failed; kSkipped ones, lines an earlier job labeled
  // under this job's name, to none). An object's task_input_json is stored
  // when not empty (else the object awaits pre-processing). kNotFound for an
  // unknown job.
  virtual Status InsertObjects(int64_t job_id, const std::vector<DataObject>& objects,
                               int64_t now_ms, const LeaseFence* fence = nullptr) = 0;
  virtual Result<DataObject> GetObject(int64_t job_id, int64_t index) = 0;
  // Calls fn for each object in index order, streaming (bounded memory).
  virtual Status ForEachObject(int64_t job_id,
                               const std::function<void(const DataObject&)>& fn) = 0;
  // Objects still available whose answers reached the job's
  // workers_per_object (awaiting consolidation), in index order.
  virtual Result<std::vector<int64_t>> ObjectsReadyToConsolidate(int64_t job_id, size_t limit) = 0;
  // Records each object's final label (state Labeled) or failure (state
  // Failed), or that it needs no label (state Skipped: the job's
  // object_count drops by one), and updates the job's counters, in one
  // transaction; one Status
  // per outcome (kConflict when the object is no longer available,
  // kNotFound for an unknown one).
  virtual Result<std::vector<Status>> FinishObjects(int64_t job_id,
                                                    const std::vector<ObjectOutcome>& outcomes,
                                                    int64_t now_ms,
                                                    const LeaseFence* fence = nullptr) = 0;
  // Stores the task input (JSON) of each object, by index, in one
  // transaction; a later call for the same index replaces it. kNotFound
  // (and nothing stored) when an index does not exist.
  virtual Status SetTaskInputs(int64_t job_id,
                               const std::vector<std::pair<int64_t, std::string>>& inputs,
                               const LeaseFence* fence = nullptr) = 0;
  // Available objects without a task input, in index order, at most
  // `limit`: what pre-processing works on next.
  virtual Result<std::vector<DataObject>> ObjectsToPreprocess(int64_t job_id, size_t limit) = 0;
  // Number of objects of the job still available (not labeled, not failed).
  virtual Result<int64_t> CountAvailable(int64_t job_id) = 0;
  // Available objects that have answers or live leases (work under way).
  virtual Result<int64_t> CountInProgress(int64_t job_id) = 0;
  // Available objects released before `released_before_ms` (their
  // availability lifetime has run out) without live leases, with their
  // answer counts, oldest release first: what the runner settles.
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> ExpiredObjects(
      int64_t job_id, int64_t released_before_ms, size_t limit) = 0;
  // Releases the next `count` objects of the job to workers (in manifest
  // order): the job's window of MaxConcurrentTaskCount objects opens when the
  // job starts. Afterwards the store keeps the window's size itself: every
  // object that leaves it (all its places answered or declined, or finished
  // otherwise) releases the next one in the same transaction.
  virtual Status ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms,
                                const LeaseFence* fence = nullptr) = 0;

  // --- assignments ---
  // Claim, Submit and SubmitAndClaim report through a callback, so that a
  // caller need not hold a thread while the commit is pending (the worker
  // API under load); the blocking forms below wait for it. `done` is called
  // exactly once, when the transaction has committed or failed, possibly on
  // a thread of the store's (one that runs the commits): it must return
  // quickly and must not call the store.
  //
  // `identity_version` (> 0) is the identity version the caller's
  // authorisation was read under (SessionUser::identity_version): the write
  // happens only when IdentityVersion() is still that number in the
  // write's own transaction; else it changes nothing and fails with
  // IdentityChanged. So a worker whose session was answered from a cache
  // (SessionCheck::kCheckedByTheWrite) writes nothing that a change
  // committed before the write (a revoked session, a disabled user, new
  // groups) forbids, without a read of the version per request. 0: not
  // checked (the blocking forms).
  template <class T>
  using Done = std::function<void(Result<T>)>;

  // Picks an object for the worker and leases it, or returns nullopt when
  // none is available to this worker or the job is not InProgress. A worker
  // who already holds a live lease in the job gets that assignment back
  // unchanged. Never gives an object to a worker who holds, submitted or
  // declined it; never exceeds the job's workers_per_object answers + live
  // leases + declines per object; prefers objects in progress, then starts
  // the first released object (see ReleaseObjects) unless start_new_objects
  // is false or the job's labeled count reached stop_at_labeled; never hands
  // out an object past its availability lifetime, nor one without a task
  // input when require_task_input is set. The assignment carries the
  // object's manifest line and task input (empty when it has none).
  virtual void ClaimAsync(const ClaimRequest& request, int64_t identity_version,
                          Done<std::optional<Assignment>> done) = 0;
  Result<std::optional<Assignment>> Claim(const ClaimRequest& request) {
    return Await<Result<std::optional<Assignment>>>(
        [&](auto done) { ClaimAsync(request, 0, std::move(done)); });
  }
  virtual Result<Assignment> GetAssignment(int64_t id) = 0;  // kNotFound
  // Stores the answer of a leased assignment. kConflict when the lease
  // expired, the assignment is not this user's or its job is no longer in
  // progress; kAlreadySubmitted when the same user already submitted it
  // (idempotent retry, also after the job ended). kNotFound for an unknown
  // assignment. time_spent_s <= 0: the time since the lease began.
  virtual void SubmitAsync(int64_t assignment_id, int64_t user_id, std::string answer_json,
                           double time_spent_s, int64_t now_ms, int64_t identity_version,
                           Done<SubmitOutcome> done) = 0;
  Result<SubmitOutcome> Submit(int64_t assignment_id, int64_t user_id, std::string answer_json,
                               double time_spent_s, int64_t now_ms) {
    return Await<Result<SubmitOutcome>>([&](auto done) {
      SubmitAsync(assignment_id, user_id, std::move(answer_json), time_spent_s, now_ms, 0,
                  std::move(done));
    });
  }
  // Submit, then Claim(next) in the same transaction: one commit for a
  // worker who submits and moves on to their next task. When the submit
  // fails nothing is claimed; a repeated submit (kAlreadySubmitted) still
  // claims.
  using SubmittedAndClaimed = std::pair<SubmitOutcome, std::optional<Assignment>>;
  virtual void SubmitAndClaimAsync(int64_t assignment_id, int64_t user_id, std::string answer_json,
                                   double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                                   int64_t identity_version, Done<SubmittedAndClaimed> done) = 0;
  Result<SubmittedAndClaimed> SubmitAndClaim(int64_t assignment_id, int64_t user_id,
                                             std::string answer_json, double time_spent_s,
                                             int64_t now_ms, const ClaimRequest& next) {
    return Await<Result<SubmittedAndClaimed>>([&](auto done) {
      SubmitAndClaimAsync(assignment_id, user_id, std::move(answer_json), time_spent_s, now_ms,
                          next, 0, std::move(done));
    });
  }
  // Ends a live lease as Released or Declined. kConflict as for Submit.
  virtual Status EndLease(int64_t assignment_id, int64_t user_id, AssignmentState new_state,
                          int64_t now_ms) = 0;
  // Expires leases whose deadline passed; returns how many.
  virtual Result<int64_t> ExpireLeases(int64_t now_ms) = 0;
  // Objects with their submitted answers (oldest submit first), in one
  // read; kNotFound when an index does not exist.
  virtual Result<std::vector<ObjectAnswers>> GetObjectsWithAnswers(
      int64_t job_id, const std::vector<int64_t>& indexes) = 0;
  // Calls fn for every submitted answer of the job's labeled objects
  // (consolidation's history), streaming in pages.
  virtual Status ForEachLabeledAnswer(int64_t job_id,
                                      const std::function<void(const Assignment&)>& fn) = 0;
  // Calls fn for every submitted answer of the job, whatever its object's
  // state (labeled, failed or still open), in the order the answers were
  // stored (by assignment id), streaming in pages: what the console's
  // progress, throughput and per-worker figures are made from. A job
  // without answers (or an unknown job id) calls fn never.
  virtual Status ForEachAnswer(int64_t job_id,
                               const std::function<void(const Assignment&)>& fn) = 0;
  // Calls fn with the index and consolidated label (label_json) of every
  // labeled object of the job, in index order, streaming, without reading
  // the other objects or any object's line or task input: what the
  // console's label distribution and agreement figures need of a job of a
  // million objects. An unknown job id calls fn never.
  virtual Status ForEachObjectLabel(
      int64_t job_id,
      const std::function<void(int64_t index, const std::string& label_json)>& fn) = 0;
  // Objects of the job that this user could still claim (approximate count for listings).
  virtual Result<int64_t> CountClaimable(int64_t job_id, int64_t user_id) = 0;

  // --- KMS keys --- (used by kms/; a row goes only when its deletion
  // window has passed: DeleteKmsKey)
  // kAlreadyExists when the key id or the alias is taken. A non-empty
  // `key.alias` becomes the key's first alias (KmsAlias) in the same
  // transaction. KmsKey::alias, when read, is the key's first alias by name.
  virtual Status CreateKmsKey(const KmsKey& key) = 0;
  // By key id (the UUID) or by alias ("alias/name"); kNotFound otherwise.
  virtual Result<KmsKey> GetKmsKey(const std::string& key_id) = 0;
  virtual Result<KmsKey> GetKmsKeyByAlias(const std::string& alias) = 0;
  // Every key, oldest first.
  virtual Result<std::vector<KmsKey>> ListKmsKeys() = 0;
  // Enables or disables a key; kNotFound for an unknown key id.
  virtual Status SetKmsKeyEnabled(const std::string& key_id, bool enabled, int64_t now_ms) = 0;
  // Reads the key, lets `change` edit it and writes back description,
  // policy_json, enabled, deletion_ms, tags_json and modified_ms, all in one
  // transaction (concurrent updates do not lose each other's changes). An
  // error from `change` aborts without writing and is returned. `change`
  // runs inside the write transaction and must not call the store. kNotFound.
  virtual Status UpdateKmsKey(const std::string& key_id,
                              const std::function<Status(KmsKey&)>& change) = 0;
  // Deletes the key and its aliases for good. kNotFound.
  virtual Status DeleteKmsKey(const std::string& key_id) = 0;
  // A new alias of an existing key. kAlreadyExists when the alias is taken,
  // kNotFound when the key is not there.
  virtual Status CreateKmsAlias(const KmsAlias& alias) = 0;
  // Points an existing alias at another existing key. kNotFound for either.
  virtual Status UpdateKmsAlias(const std::string& alias, const std::string& key_id,
                                int64_t now_ms) = 0;
  // kNotFound for an unknown alias.
  virtual Status DeleteKmsAlias(const std::string& alias) = 0;
  // Every alias, by name.
  virtual Result<std::vector<KmsAlias>> ListKmsAliases() = 0;

  // --- workforce and access control (issue #6) ---
  // Replaces a team's document, groups and updated time (matched by name,
  // case-insensitive). kNotFound for an unknown team.
  virtual Result<Workteam> UpdateWorkteam(const Workteam& team) = 0;
  // Deletes a team. kNotFound for an unknown team; kConflict when a job that
  // is not finished (Initializing, InProgress, Stopping) uses it.
  virtual Status DeleteWorkteam(const std::string& name) = 0;
  // Disables or enables a user; disabling also ends every session of the
  // user in the same transaction. kNotFound for an unknown user.
  virtual Status SetUserDisabled(int64_t user_id, bool disabled) = 0;
  // Replaces the password hash and ends the user's sessions. kNotFound.
  virtual Status SetUserPassword(int64_t user_id, const std::string& password_hash) = 0;
  // Every access key (without secrets), oldest first; only the user's when
  // user_id is set.
  virtual Result<std::vector<AccessKeyInfo>> ListAccessKeys(std::optional<int64_t> user_id) = 0;
  // Marks a key revoked; FindAccessKey no longer returns it. kNotFound for an
  // unknown key; revoking a revoked key succeeds.
  virtual Status RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) = 0;
  // Appends one audit entry (its id and time_ms as given; id is assigned).
  virtual Status AppendAudit(const AuditEntry& entry) = 0;
  // Audit entries at or after since_ms, oldest first, at most `limit` (the
  // newest `limit` when there are more).
  virtual Result<std::vector<AuditEntry>> ListAudit(int64_t since_ms, size_t limit) = 0;
  // Stores an invitation. kAlreadyExists when a user already has its
  // username (case-insensitive) or its token hash is taken.
  virtual Status CreateInvitation(const Invitation& invitation) = 0;
  // By token hash; kNotFound.
  virtual Result<Invitation> GetInvitation(const std::string& token_hash) = 0;
  // Every invitation, used or not, oldest first (by username when made in
  // the same millisecond).
  virtual Result<std::vector<Invitation>> ListInvitations() = 0;
  // Creates `user` with the invitation's username, groups and role, and
  // marks the invitation used at now_ms, in one transaction: an invitation
  // makes one user at most. kNotFound for an unknown hash; kConflict when it
  // was used already (the message says "already used") or now_ms is at or
  // past its expiry ("expired"); kAlreadyExists when a user has taken the
  // username since it was made.
  virtual Result<User> AcceptInvitation(const std::string& token_hash, const User& user,
                                        int64_t now_ms) = 0;
  // --- end of workforce and access control ---

  // --- functions (custom hooks) ---
  // kAlreadyExists when the name is taken.
  virtual Status CreateFunction(const Function& fn) = 0;
  // By name or by ARN; kNotFound otherwise.
  virtual Result<Function> GetFunction(const std::string& name_or_arn) = 0;
  // Every function, by name.
  virtual Result<std::vector<Function>> ListFunctions() = 0;
  // Replaces every field but name, arn and created_ms of the function named
  // `fn.name`, and sets its revision to the stored one plus one (returned
  // with the rest). kNotFound for an unknown function.
  virtual Result<Function> UpdateFunction(const Function& fn) = 0;
  // kNotFound for an unknown function.
  virtual Status DeleteFunction(const std::string& name) = 0;

  // --- runner leases ---
  // A named lease (the runner takes one per job, "job:<id>") held by one
  // holder at a time, so that of several processes sharing the database
  // exactly one works on what it names, and another takes over once the
  // holder stops renewing it. In one transaction: takes the lease for
  // `holder` until now_ms + ttl_ms when it is free, released, expired (its
  // expiry at or before now_ms) or already this holder's (a renewal).
  // Returns the lease's epoch, a number that grows every time the lease
  // passes to another holder (a renewal keeps it), so a holder that sees a
  // new epoch knows someone else held it in between; 0 when another
  // holder's lease is live. kInvalidArgument for an empty name or holder,
  // or ttl_ms <= 0.
  virtual Result<int64_t> AcquireLease(const std::string& name, const std::string& holder,
                                       int64_t now_ms, int64_t ttl_ms) = 0;
  // Ends the lease when `holder` holds it, so another may take it at once;
  // a lease another holds, or none, is left as it is.
  virtual Status ReleaseLease(const std::string& name, const std::string& holder) = 0;

  // Counters of the write path since the store was opened; never fails.
  virtual StoreStats Stats() = 0;

  // --- changes ---
  // The committed changes this store knows of, by kind (store/changes.hpp):
  // every write that commits publishes what it touched, after its commit
  // and before its caller hears of it. A store shared by several processes
  // also publishes what the others commit, as soon as it hears of it
  // (PostgreSQL: within moments, and everything at once after it may have
  // missed some); one that cannot hear of them (SQLite) publishes its own
  // commits only. Caches drop what a change may have made stale; live views
  // wait on a kind's sequence.
  virtual ChangeFeed& Feed() = 0;
};

struct StoreOptions {
  // Which store and where: `sqlite:PATH` (a database file, created with the
  // schema when new; a PATH without a scheme means the same), or
  // `postgresql://...` / `postgres://...` (a libpq connection URI; an extra
  // `schema=NAME` parameter keeps the tables in that schema).
  std::string url;
  // Whether a write is durable when it returns (see the header comment).
  // False trades that for speed: only for tests and throwaway data.
  bool durable = true;
  // When set, access-key secrets are stored sealed; rows still in plaintext
  // are sealed at open (transparent migration). Without it secrets are kept
  // as given (tests of other subsystems).
  std::optional<SecretSealer> secret_sealer;
  // Tests of migrations: stop at this schema version (0: the latest).
  int schema_version = 0;
  // Whether opening applies pending schema migrations. False: the database
  // must already be at this program's schema (kUnavailable naming the
  // versions pending and `plumbline migrate` otherwise), and opening
  // changes no schema (an SQLite file is not created).
  bool migrate = true;
};

// A database's schema as this program sees it, read without changing
// anything (what `plumbline migrate --dry-run` shows).
struct SchemaInfo {
  int64_t version = 0;  // the database's (0: no schema yet, or no database)
  int64_t latest = 0;   // this program's
  struct Migration {
    int64_t version = 0;
    std::string summary;  // what it brings, one line
  };
  std::vector<Migration> pending;  // version + 1 .. latest, in order
};
// kInvalidArgument for a URL OpenStore refuses; kUnavailable when the
// database cannot be reached, or its schema is newer than this program's.
Result<SchemaInfo> InspectSchema(const std::string& url);

// Copies every row of an SQLite store into a PostgreSQL store (`plumbline
// migrate --from`): both are first brought to their latest schema, which
// hold the same tables and columns; the target must hold no jobs, people,
// keys or functions yet. One transaction: a copy that fails leaves the
// target as it was. `progress` is told each table's rows as they go (every
// 100,000 rows and at the table's end). Returns each table with its rows.
struct TableCopied {
  std::string table;
  int64_t rows = 0;
};
using CopyProgress = std::function<void(const std::string& table, int64_t rows, bool done)>;
Result<std::vector<TableCopied>> CopyStore(const std::string& from_url, const std::string& to_url,
                                           const CopyProgress& progress);

// Opens (creating and migrating as needed) the store the URL names.
// kInvalidArgument for a URL whose scheme is unknown or not built in (the
// message names it); kUnavailable when the database cannot be opened or is
// newer than this program. The caller owns the store; destroying it waits
// for pending writes.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace plumbline::store
