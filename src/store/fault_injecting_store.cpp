#include "store/fault_injecting_store.hpp"

#include <thread>
#include <utility>

namespace plumbline::store {

FaultInjectingStore::FaultInjectingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
FaultInjectingStore::~FaultInjectingStore() = default;

void FaultInjectingStore::FailNthWrite(int n, When when) {
  std::lock_guard<std::mutex> lock(mu_);
  nth_ = n;
  nth_when_ = when;
}
void FaultInjectingStore::FailNext(const std::string& operation, int count, When when) {
  std::lock_guard<std::mutex> lock(mu_);
  by_operation_[operation] = Pending{count, when};
}
void FaultInjectingStore::SetCommitDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_ = delay;
}
void FaultInjectingStore::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  nth_ = 0;
  by_operation_.clear();
  delay_ = std::chrono::milliseconds(0);
}
int64_t FaultInjectingStore::injected_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

FaultInjectingStore::Fault FaultInjectingStore::Decide(const char* operation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto fault = [&](When w) {
    ++injected_;
    return w == When::kBeforeWrite ? Fault::kBefore : Fault::kAfter;
  };
  if (nth_ > 0 && --nth_ == 0) return fault(nth_when_);
  if (auto it = by_operation_.find(operation); it != by_operation_.end() && it->second.count > 0) {
    When w = it->second.when;
    if (--it->second.count == 0) by_operation_.erase(it);
    return fault(w);
  }
  return Fault::kNone;
}

bool FaultInjectingStore::ReadFails(const char* operation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_operation_.find(operation);
  if (it == by_operation_.end() || it->second.count <= 0) return false;
  if (--it->second.count == 0) by_operation_.erase(it);
  ++injected_;
  return true;
}

Error FaultInjectingStore::Injected(const char* operation) {
  return Unavailable(std::string("injected failure of ") + operation);
}

std::chrono::milliseconds FaultInjectingStore::Delay() {
  std::lock_guard<std::mutex> lock(mu_);
  return delay_;
}

template <class T, class F>
Result<T> FaultInjectingStore::Write(const char* operation, F&& call) {
  Fault fault = Decide(operation);
  if (fault == Fault::kBefore) return Injected(operation);
  Result<T> r = call();
  if (auto d = Delay(); d.count() > 0) std::this_thread::sleep_for(d);
  if (fault == Fault::kAfter) return Injected(operation);
  return r;
}

template <class T, class Start>
void FaultInjectingStore::WriteAsync(const char* operation, Start&& start, Done<T> done) {
  Fault fault = Decide(operation);
  if (fault == Fault::kBefore) {
    done(Injected(operation));
    return;
  }
  std::forward<Start>(start)(Done<T>(
      [fault, delay = Delay(), error = Injected(operation), done = std::move(done)](Result<T> r) {
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        if (fault == Fault::kAfter) r = error;
        done(std::move(r));
      }));
}

void FaultInjectingStore::ClaimAsync(const ClaimRequest& request, int64_t identity_version,
                                     Done<std::optional<Assignment>> done) {
  WriteAsync<std::optional<Assignment>>(
      "Claim", [&](auto d) { inner_->ClaimAsync(request, identity_version, std::move(d)); },
      std::move(done));
}
void FaultInjectingStore::SubmitAsync(int64_t assignment_id, int64_t user_id,
                                      std::string answer_json, double time_spent_s, int64_t now_ms,
                                      int64_t identity_version, Done<SubmitOutcome> done) {
  WriteAsync<SubmitOutcome>(
      "Submit",
      [&](auto d) {
        inner_->SubmitAsync(assignment_id, user_id, std::move(answer_json), time_spent_s, now_ms,
                            identity_version, std::move(d));
      },
      std::move(done));
}
void FaultInjectingStore::SubmitAndClaimAsync(int64_t assignment_id, int64_t user_id,
                                              std::string answer_json, double time_spent_s,
                                              int64_t now_ms, const ClaimRequest& next,
                                              int64_t identity_version,
                                              Done<SubmittedAndClaimed> done) {
  WriteAsync<SubmittedAndClaimed>(
      "SubmitAndClaim",
      [&](auto d) {
        inner_->SubmitAndClaimAsync(assignment_id, user_id, std::move(answer_json), time_spent_s,
                                    now_ms, next, identity_version, std::move(d));
      },
      std::move(done));
}

// ---- everything else: reads forwarded as they are, writes through Write ----
Result<std::optional<std::string>> FaultInjectingStore::GetSetting(const std::string& key) {
  return inner_->GetSetting(key);
}
Status FaultInjectingStore::PutSetting(const std::string& key, const std::string& value) {
  return Write<void>("PutSetting", [&] { return inner_->PutSetting(key, value); });
}
Result<User> FaultInjectingStore::CreateUser(const User& user) {
  return Write<User>("CreateUser", [&] { return inner_->CreateUser(user); });
}
Result<User> FaultInjectingStore::GetUserByName(const std::string& username) {
  return inner_->GetUserByName(username);
}
Result<User> FaultInjectingStore::GetUser(int64_t id) { return inner_->GetUser(id); }
Result<std::vector<User>> FaultInjectingStore::ListUsers() { return inner_->ListUsers(); }
Status FaultInjectingStore::SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) {
  return Write<void>("SetUserGroups", [&] { return inner_->SetUserGroups(user_id, groups); });
}
Status FaultInjectingStore::PutAccessKey(const AccessKey& key) {
  return Write<void>("PutAccessKey", [&] { return inner_->PutAccessKey(key); });
}
Result<std::optional<AccessKey>> FaultInjectingStore::FindAccessKey(
    const std::string& access_key_id) {
  return inner_->FindAccessKey(access_key_id);
}
Status FaultInjectingStore::PutSession(const Session& s) {
  return Write<void>("PutSession", [&] { return inner_->PutSession(s); });
}
Result<std::optional<SessionUser>> FaultInjectingStore::FindSession(const std::string& token,
                                                                    SessionCheck check) {
  return inner_->FindSession(token, check);
}
Status FaultInjectingStore::DeleteSession(const std::string& token) {
  return Write<void>("DeleteSession", [&] { return inner_->DeleteSession(token); });
}
Result<int64_t> FaultInjectingStore::IdentityVersion() { return inner_->IdentityVersion(); }
Result<Workteam> FaultInjectingStore::CreateWorkteam(const Workteam& team) {
  return Write<Workteam>("CreateWorkteam", [&] { return inner_->CreateWorkteam(team); });
}
Result<Workteam> FaultInjectingStore::GetWorkteamByName(const std::string& name) {
  return inner_->GetWorkteamByName(name);
}
Result<Workteam> FaultInjectingStore::GetWorkteamByArn(const std::string& arn) {
  return inner_->GetWorkteamByArn(arn);
}
Result<std::vector<Workteam>> FaultInjectingStore::ListWorkteams() {
  return inner_->ListWorkteams();
}
Result<Job> FaultInjectingStore::CreateJob(const Job& job) {
  return Write<Job>("CreateJob", [&] { return inner_->CreateJob(job); });
}
Result<Job> FaultInjectingStore::GetJobByName(const std::string& name) {
  return inner_->GetJobByName(name);
}
Result<Job> FaultInjectingStore::GetJob(int64_t id) { return inner_->GetJob(id); }
Result<std::vector<Job>> FaultInjectingStore::ListJobs(const JobFilter& filter) {
  return inner_->ListJobs(filter);
}
Result<JobPage> FaultInjectingStore::ListJobPage(const JobPageQuery& query) {
  return inner_->ListJobPage(query);
}
Status FaultInjectingStore::SetJobStatus(int64_t job_id, JobStatus status,
                                         const std::string& failure_reason, int64_t now_ms,
                                         const LeaseFence* fence) {
  return Write<void>("SetJobStatus", [&] {
    return inner_->SetJobStatus(job_id, status, failure_reason, now_ms, fence);
  });
}
Status FaultInjectingStore::MarkOutputWritten(int64_t job_id, int64_t now_ms,
                                              const LeaseFence* fence) {
  return Write<void>("MarkOutputWritten",
                     [&] { return inner_->MarkOutputWritten(job_id, now_ms, fence); });
}
Status FaultInjectingStore::SetJobInputs(int64_t job_id, const std::string& labels_json,
                                         const std::string& ui_template, const LeaseFence* fence) {
  return Write<void>("SetJobInputs",
                     [&] { return inner_->SetJobInputs(job_id, labels_json, ui_template, fence); });
}
Status FaultInjectingStore::DeleteObjects(int64_t job_id, const LeaseFence* fence) {
  return Write<void>("DeleteObjects", [&] { return inner_->DeleteObjects(job_id, fence); });
}
Status FaultInjectingStore::InsertObjects(int64_t job_id, const std::vector<DataObject>& objects,
                                          int64_t now_ms, const LeaseFence* fence) {
  return Write<void>("InsertObjects",
                     [&] { return inner_->InsertObjects(job_id, objects, now_ms, fence); });
}
Result<DataObject> FaultInjectingStore::GetObject(int64_t job_id, int64_t index) {
  return inner_->GetObject(job_id, index);
}
Status FaultInjectingStore::ForEachObject(int64_t job_id,
                                          const std::function<void(const DataObject&)>& fn) {
  return inner_->ForEachObject(job_id, fn);
}
Result<std::vector<int64_t>> FaultInjectingStore::ObjectsReadyToConsolidate(int64_t job_id,
                                                                            size_t limit) {
  return inner_->ObjectsReadyToConsolidate(job_id, limit);
}
Result<std::vector<Status>> FaultInjectingStore::FinishObjects(
    int64_t job_id, const std::vector<ObjectOutcome>& outcomes, int64_t now_ms,
    const LeaseFence* fence) {
  return Write<std::vector<Status>>(
      "FinishObjects", [&] { return inner_->FinishObjects(job_id, outcomes, now_ms, fence); });
}
Status FaultInjectingStore::SetTaskInputs(
    int64_t job_id, const std::vector<std::pair<int64_t, std::string>>& inputs,
    const LeaseFence* fence) {
  return Write<void>("SetTaskInputs", [&] { return inner_->SetTaskInputs(job_id, inputs, fence); });
}
Result<std::vector<DataObject>> FaultInjectingStore::ObjectsToPreprocess(int64_t job_id,
                                                                         size_t limit) {
  return inner_->ObjectsToPreprocess(job_id, limit);
}
Result<int64_t> FaultInjectingStore::CountAvailable(int64_t job_id) {
  return inner_->CountAvailable(job_id);
}
Result<int64_t> FaultInjectingStore::CountInProgress(int64_t job_id) {
  return inner_->CountInProgress(job_id);
}
Result<std::vector<std::pair<int64_t, int64_t>>> FaultInjectingStore::ExpiredObjects(
    int64_t job_id, int64_t released_before_ms, size_t limit) {
  return inner_->ExpiredObjects(job_id, released_before_ms, limit);
}
Status FaultInjectingStore::ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms,
                                           const LeaseFence* fence) {
  return Write<void>("ReleaseObjects",
                     [&] { return inner_->ReleaseObjects(job_id, count, now_ms, fence); });
}
Result<Assignment> FaultInjectingStore::GetAssignment(int64_t id) {
  return inner_->GetAssignment(id);
}
Status FaultInjectingStore::EndLease(int64_t assignment_id, int64_t user_id,
                                     AssignmentState new_state, int64_t now_ms) {
  return Write<void>("EndLease",
                     [&] { return inner_->EndLease(assignment_id, user_id, new_state, now_ms); });
}
Result<int64_t> FaultInjectingStore::ExpireLeases(int64_t now_ms) {
  return Write<int64_t>("ExpireLeases", [&] { return inner_->ExpireLeases(now_ms); });
}
Result<std::vector<ObjectAnswers>> FaultInjectingStore::GetObjectsWithAnswers(
    int64_t job_id, const std::vector<int64_t>& indexes) {
  return inner_->GetObjectsWithAnswers(job_id, indexes);
}
Status FaultInjectingStore::ForEachLabeledAnswer(int64_t job_id,
                                                 const std::function<void(const Assignment&)>& fn) {
  if (ReadFails("ForEachLabeledAnswer")) return Injected("ForEachLabeledAnswer");
  return inner_->ForEachLabeledAnswer(job_id, fn);
}
Status FaultInjectingStore::ForEachAnswer(int64_t job_id,
                                          const std::function<void(const Assignment&)>& fn) {
  if (ReadFails("ForEachAnswer")) return Injected("ForEachAnswer");
  return inner_->ForEachAnswer(job_id, fn);
}
Status FaultInjectingStore::ForEachObjectLabel(
    int64_t job_id, const std::function<void(int64_t, const std::string&)>& fn) {
  if (ReadFails("ForEachObjectLabel")) return Injected("ForEachObjectLabel");
  return inner_->ForEachObjectLabel(job_id, fn);
}
Result<int64_t> FaultInjectingStore::CountClaimable(int64_t job_id, int64_t user_id) {
  return inner_->CountClaimable(job_id, user_id);
}
Status FaultInjectingStore::CreateKmsKey(const KmsKey& key) {
  return Write<void>("CreateKmsKey", [&] { return inner_->CreateKmsKey(key); });
}
Result<KmsKey> FaultInjectingStore::GetKmsKey(const std::string& key_id) {
  return inner_->GetKmsKey(key_id);
}
Result<KmsKey> FaultInjectingStore::GetKmsKeyByAlias(const std::string& alias) {
  return inner_->GetKmsKeyByAlias(alias);
}
Result<std::vector<KmsKey>> FaultInjectingStore::ListKmsKeys() { return inner_->ListKmsKeys(); }
Status FaultInjectingStore::SetKmsKeyEnabled(const std::string& key_id, bool enabled,
                                             int64_t now_ms) {
  return Write<void>("SetKmsKeyEnabled",
                     [&] { return inner_->SetKmsKeyEnabled(key_id, enabled, now_ms); });
}
Status FaultInjectingStore::UpdateKmsKey(const std::string& key_id,
                                         const std::function<Status(KmsKey&)>& change) {
  return Write<void>("UpdateKmsKey", [&] { return inner_->UpdateKmsKey(key_id, change); });
}
Status FaultInjectingStore::DeleteKmsKey(const std::string& key_id) {
  return Write<void>("DeleteKmsKey", [&] { return inner_->DeleteKmsKey(key_id); });
}
Status FaultInjectingStore::CreateKmsAlias(const KmsAlias& alias) {
  return Write<void>("CreateKmsAlias", [&] { return inner_->CreateKmsAlias(alias); });
}
Status FaultInjectingStore::UpdateKmsAlias(const std::string& alias, const std::string& key_id,
                                           int64_t now_ms) {
  return Write<void>("UpdateKmsAlias",
                     [&] { return inner_->UpdateKmsAlias(alias, key_id, now_ms); });
}
Status FaultInjectingStore::DeleteKmsAlias(const std::string& alias) {
  return Write<void>("DeleteKmsAlias", [&] { return inner_->DeleteKmsAlias(alias); });
}
Result<std::vector<KmsAlias>> FaultInjectingStore::ListKmsAliases() {
  return inner_->ListKmsAliases();
}
Status FaultInjectingStore::CreateFunction(const Function& fn) {
  return Write<void>("CreateFunction", [&] { return inner_->CreateFunction(fn); });
}
Result<Function> FaultInjectingStore::GetFunction(const std::string& name_or_arn) {
  return inner_->GetFunction(name_or_arn);
}
Result<std::vector<Function>> FaultInjectingStore::ListFunctions() {
  return inner_->ListFunctions();
}
Result<Function> FaultInjectingStore::UpdateFunction(const Function& fn) {
  return Write<Function>("UpdateFunction", [&] { return inner_->UpdateFunction(fn); });
}
Status FaultInjectingStore::DeleteFunction(const std::string& name) {
  return Write<void>("DeleteFunction", [&] { return inner_->DeleteFunction(name); });
}
Result<Workteam> FaultInjectingStore::UpdateWorkteam(const Workteam& team) {
  return Write<Workteam>("UpdateWorkteam", [&] { return inner_->UpdateWorkteam(team); });
}
Status FaultInjectingStore::DeleteWorkteam(const std::string& name) {
  return Write<void>("DeleteWorkteam", [&] { return inner_->DeleteWorkteam(name); });
}
Status FaultInjectingStore::SetUserDisabled(int64_t user_id, bool disabled) {
  return Write<void>("SetUserDisabled", [&] { return inner_->SetUserDisabled(user_id, disabled); });
}
Status FaultInjectingStore::SetUserPassword(int64_t user_id, const std::string& password_hash) {
  return Write<void>("SetUserPassword",
                     [&] { return inner_->SetUserPassword(user_id, password_hash); });
}
Result<std::vector<AccessKeyInfo>> FaultInjectingStore::ListAccessKeys(
    std::optional<int64_t> user_id) {
  return inner_->ListAccessKeys(user_id);
}
Status FaultInjectingStore::RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) {
  return Write<void>("RevokeAccessKey",
                     [&] { return inner_->RevokeAccessKey(access_key_id, now_ms); });
}
Status FaultInjectingStore::AppendAudit(const AuditEntry& entry) {
  return Write<void>("AppendAudit", [&] { return inner_->AppendAudit(entry); });
}
Result<std::vector<AuditEntry>> FaultInjectingStore::ListAudit(int64_t since_ms, size_t limit) {
  return inner_->ListAudit(since_ms, limit);
}
Result<int64_t> FaultInjectingStore::AcquireLease(const std::string& name,
                                                  const std::string& holder, int64_t now_ms,
                                                  int64_t ttl_ms) {
  return Write<int64_t>("AcquireLease",
                        [&] { return inner_->AcquireLease(name, holder, now_ms, ttl_ms); });
}
Status FaultInjectingStore::ReleaseLease(const std::string& name, const std::string& holder) {
  return Write<void>("ReleaseLease", [&] { return inner_->ReleaseLease(name, holder); });
}

Status FaultInjectingStore::CreateInvitation(const Invitation& invitation) {
  return Write<void>("CreateInvitation", [&] { return inner_->CreateInvitation(invitation); });
}
Result<Invitation> FaultInjectingStore::GetInvitation(const std::string& token_hash) {
  return inner_->GetInvitation(token_hash);
}
Result<std::vector<Invitation>> FaultInjectingStore::ListInvitations() {
  return inner_->ListInvitations();
}
Result<User> FaultInjectingStore::AcceptInvitation(const std::string& token_hash, const User& user,
                                                   int64_t now_ms) {
  return Write<User>("AcceptInvitation",
                     [&] { return inner_->AcceptInvitation(token_hash, user, now_ms); });
}
StoreStats FaultInjectingStore::Stats() { return inner_->Stats(); }
ChangeFeed& FaultInjectingStore::Feed() { return inner_->Feed(); }

}  // namespace plumbline::store
