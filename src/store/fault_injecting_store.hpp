// FaultInjectingStore: a Store that forwards every call to another Store and
// can make chosen writes fail or take longer, for tests of what the layers
// above do when the store fails mid-job (leveldb's ErrorEnv over EnvWrapper
// is the model). With no fault configured it is transparent: the Store
// contract suite runs through it (tests/store/store_contract_test.cpp).
//
// A fault hits writes, and the one read named by FailNext that the runner
// depends on (ForEachLabeledAnswer, consolidation's history); other reads are
// always forwarded. An injected failure
// is kUnavailable, as a store that cannot commit reports it, and happens
// either before the write (nothing is written) or after it (the write is
// committed but the caller hears a failure, as when a reply is lost).
// Operations are named as the Store methods, without "Async": "Claim",
// "Submit", "SubmitAndClaim", "MarkOutputWritten", "SetJobStatus", ...
//
// Thread safety: like any Store; the fault settings may change while other
// threads call the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/store.hpp"

namespace plumbline::store {

class FaultInjectingStore final : public Store {
 public:
  enum class When {
    kBeforeWrite,  // the write does not happen
    kAfterWrite,   // the write is committed, then reported as failed
  };

  // Wraps `inner`, which it owns.
  explicit FaultInjectingStore(std::unique_ptr<Store> inner);
  ~FaultInjectingStore() override;

  // The n-th write from now (1: the next one), whatever its operation, fails.
  void FailNthWrite(int n, When when = When::kBeforeWrite);
  // The next `count` writes of `operation` fail (or reads, for
  // "ForEachLabeledAnswer").
  void FailNext(const std::string& operation, int count = 1, When when = When::kBeforeWrite);
  // Every write reports this much later, as if its commit were slow. An
  // asynchronous write waits on the thread that reports it (the inner
  // store's), holding that thread as a slow commit would.
  void SetCommitDelay(std::chrono::milliseconds delay);
  // Forgets every fault and delay.
  void ClearFaults();
  // How many failures were injected so far.
  int64_t injected_failures() const;

  Store& inner() { return *inner_; }

  // --- Store, forwarded ---
  Result<std::optional<std::string>> GetSetting(const std::string& key) override;
  Status PutSetting(const std::string& key, const std::string& value) override;
  Result<User> CreateUser(const User& user) override;
  Result<User> GetUserByName(const std::string& username) override;
  Result<User> GetUser(int64_t id) override;
  Result<std::vector<User>> ListUsers() override;
  Status SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) override;
  Status PutAccessKey(const AccessKey& key) override;
  Result<std::optional<AccessKey>> FindAccessKey(const std::string& access_key_id) override;
  Status PutSession(const Session& s) override;
  Result<std::optional<SessionUser>> FindSession(const std::string& token,
                                                 SessionCheck check) override;
  Status DeleteSession(const std::string& token) override;
  Result<int64_t> IdentityVersion() override;
  Result<Workteam> CreateWorkteam(const Workteam& team) override;
  Result<Workteam> GetWorkteamByName(const std::string& name) override;
  Result<Workteam> GetWorkteamByArn(const std::string& arn) override;
  Result<std::vector<Workteam>> ListWorkteams() override;
  Result<Job> CreateJob(const Job& job) override;
  Result<Job> GetJobByName(const std::string& name) override;
  Result<Job> GetJob(int64_t id) override;
  Result<std::vector<Job>> ListJobs(const JobFilter& filter) override;
  Result<JobPage> ListJobPage(const JobPageQuery& query) override;
  Status SetJobStatus(int64_t job_id, JobStatus status, const std::string& failure_reason,
                      int64_t now_ms, const LeaseFence* fence = nullptr) override;
  Status MarkOutputWritten(int64_t job_id, int64_t now_ms,
                           const LeaseFence* fence = nullptr) override;
  Status SetJobInputs(int64_t job_id, const std::string& labels_json,
                      const std::string& ui_template, const LeaseFence* fence = nullptr) override;
  Status DeleteObjects(int64_t job_id, const LeaseFence* fence = nullptr) override;
  Status InsertObjects(int64_t job_id, const std::vector<DataObject>& objects, int64_t now_ms,
                       const LeaseFence* fence = nullptr) override;
  Result<DataObject> GetObject(int64_t job_id, int64_t index) override;
  Status ForEachObject(int64_t job_id, const std::function<void(const DataObject&)>& fn) override;
  Result<std::vector<int64_t>> ObjectsReadyToConsolidate(int64_t job_id, size_t limit) override;
  Result<std::vector<Status>> FinishObjects(int64_t job_id,
                                            const std::vector<ObjectOutcome>& outcomes,
                                            int64_t now_ms,
                                            const LeaseFence* fence = nullptr) override;
  Status SetTaskInputs(int64_t job_id, const std::vector<std::pair<int64_t, std::string>>& inputs,
                       const LeaseFence* fence = nullptr) override;
  Result<std::vector<DataObject>> ObjectsToPreprocess(int64_t job_id, size_t limit) override;
  Result<int64_t> CountAvailable(int64_t job_id) override;
  Result<int64_t> CountInProgress(int64_t job_id) override;
  Result<std::vector<std::pair<int64_t, int64_t>>> ExpiredObjects(int64_t job_id,
                                                                  int64_t released_before_ms,
                                                                  size_t limit) override;
  Status ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms,
                        const LeaseFence* fence = nullptr) override;
  void ClaimAsync(const ClaimRequest& request, int64_t identity_version,
                  Done<std::optional<Assignment>> done) override;
  Result<Assignment> GetAssignment(int64_t id) override;
  void SubmitAsync(int64_t assignment_id, int64_t user_id, std::string answer_json,
                   double time_spent_s, int64_t now_ms, int64_t identity_version,
                   Done<SubmitOutcome> done) override;
  void SubmitAndClaimAsync(int64_t assignment_id, int64_t user_id, std::string answer_json,
                           double time_spent_s, int64_t now_ms, const ClaimRequest& next,
                           int64_t identity_version, Done<SubmittedAndClaimed> done) override;
  Status EndLease(int64_t assignment_id, int64_t user_id, AssignmentState new_state,
                  int64_t now_ms) override;
  Result<int64_t> ExpireLeases(int64_t now_ms) override;
  Result<std::vector<ObjectAnswers>> GetObjectsWithAnswers(
      int64_t job_id, const std::vector<int64_t>& indexes) override;
  Status ForEachLabeledAnswer(int64_t job_id,
                              const std::function<void(const Assignment&)>& fn) override;
  Status ForEachAnswer(int64_t job_id, const std::function<void(const Assignment&)>& fn) override;
  Status ForEachObjectLabel(int64_t job_id,
                            const std::function<void(int64_t, const std::string&)>& fn) override;
  Result<int64_t> CountClaimable(int64_t job_id, int64_t user_id) override;
  Status CreateKmsKey(const KmsKey& key) override;
  Result<KmsKey> GetKmsKey(const std::string& key_id) override;
  Result<KmsKey> GetKmsKeyByAlias(const std::string& alias) override;
  Result<std::vector<KmsKey>> ListKmsKeys() override;
  Status SetKmsKeyEnabled(const std::string& key_id, bool enabled, int64_t now_ms) override;
  Status UpdateKmsKey(const std::string& key_id,
                      const std::function<Status(KmsKey&)>& change) override;
  Status DeleteKmsKey(const std::string& key_id) override;
  Status CreateKmsAlias(const KmsAlias& alias) override;
  Status UpdateKmsAlias(const std::string& alias, const std::string& key_id,
                        int64_t now_ms) override;
  Status DeleteKmsAlias(const std::string& alias) override;
  Result<std::vector<KmsAlias>> ListKmsAliases() override;
  Status CreateFunction(const Function& fn) override;
  Result<Function> GetFunction(const std::string& name_or_arn) override;
  Result<std::vector<Function>> ListFunctions() override;
  Result<Function> UpdateFunction(const Function& fn) override;
  Status DeleteFunction(const std::string& name) override;
  Result<int64_t> AcquireLease(const std::string& name, const std::string& holder, int64_t now_ms,
                               int64_t ttl_ms) override;
  Status ReleaseLease(const std::string& name, const std::string& holder) override;
  Result<Workteam> UpdateWorkteam(const Workteam& team) override;
  Status DeleteWorkteam(const std::string& name) override;
  Status SetUserDisabled(int64_t user_id, bool disabled) override;
  Status SetUserPassword(int64_t user_id, const std::string& password_hash) override;
  Result<std::vector<AccessKeyInfo>> ListAccessKeys(std::optional<int64_t> user_id) override;
  Status RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) override;
  Status AppendAudit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> ListAudit(int64_t since_ms, size_t limit) override;
  Status CreateInvitation(const Invitation& invitation) override;
  Result<Invitation> GetInvitation(const std::string& token_hash) override;
  Result<std::vector<Invitation>> ListInvitations() override;
  Result<User> AcceptInvitation(const std::string& token_hash, const User& user, int64_t now_ms) override;
  StoreStats Stats() override;
  ChangeFeed& Feed() override;

 private:
  enum class Fault { kNone, kBefore, kAfter };
  // Counts the write and decides its fate.
  Fault Decide(const char* operation);
  Error Injected(const char* operation);
  // Whether a read named by FailNext fails now (uses up that fault).
  bool ReadFails(const char* operation);
  std::chrono::milliseconds Delay();
  template <class T, class F>
  Result<T> Write(const char* operation, F&& call);
  template <class T, class Start>
  void WriteAsync(const char* operation, Start&& start, Done<T> done);

  std::unique_ptr<Store> inner_;
  mutable std::mutex mu_;
  int nth_ = 0;  // 0: no write-count fault pending
  When nth_when_ = When::kBeforeWrite;
  struct Pending {
    int count = 0;
    When when = When::kBeforeWrite;
  };
  std::map<std::string, Pending, std::less<>> by_operation_;
  std::chrono::milliseconds delay_{0};
  int64_t injected_ = 0;
};

}  // namespace plumbline::store
