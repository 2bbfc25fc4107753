// A Store that passes every call to another one: a test derives from it and
// overrides the calls it wants to fail or observe (leveldb's EnvWrapper).
// Generated from store/store.hpp's pure virtual methods: one line each.
#pragma once

#include <utility>

#include "store/store.hpp"

namespace plumbline::labeling::test_support {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    return inner_.GetSetting(key);
  }
  Status PutSetting(const std::string& key, const std::string& value) override {
    return inner_.PutSetting(key, value);
  }
  Result<store::User> CreateUser(const store::User& user) override {
    return inner_.CreateUser(user);
  }
  Result<store::User> GetUserByName(const std::string& username) override {
    return inner_.GetUserByName(username);
  }
  Result<store::User> GetUser(int64_t id) override { return inner_.GetUser(id); }
  Result<std::vector<store::User>> ListUsers() override { return inner_.ListUsers(); }
  Status SetUserGroups(int64_t user_id, const std::vector<std::string>& groups) override {
    return inner_.SetUserGroups(user_id, groups);
  }
  Status PutAccessKey(const store::AccessKey& key) override { return inner_.PutAccessKey(key); }
  Result<std::optional<store::AccessKey>> FindAccessKey(const std::string& access_key_id) override {
    return inner_.FindAccessKey(access_key_id);
  }
  Status PutSession(const store::Session& s) override { return inner_.PutSession(s); }
  Result<std::optional<std::pair<store::Session, store::User>>> FindSessionUser(
      const std::string& token) override {
    return inner_.FindSessionUser(token);
  }
  Status DeleteSession(const std::string& token) override { return inner_.DeleteSession(token); }
  Result<store::Workteam> CreateWorkteam(const store::Workteam& team) override {
    return inner_.CreateWorkteam(team);
  }
  Result<store::Workteam> GetWorkteamByName(const std::string& name) override {
    return inner_.GetWorkteamByName(name);
  }
  Result<store::Workteam> GetWorkteamByArn(const std::string& arn) override {
    return inner_.GetWorkteamByArn(arn);
  }
  Result<std::vector<store::Workteam>> ListWorkteams() override { return inner_.ListWorkteams(); }
  Result<store::Job> CreateJob(const store::Job& job) override { return inner_.CreateJob(job); }
  Result<store::Job> GetJobByName(const std::string& name) override {
    return inner_.GetJobByName(name);
  }
  Result<store::Job> GetJob(int64_t id) override { return inner_.GetJob(id); }
  Result<std::vector<store::Job>> ListJobs(const store::JobFilter& filter) override {
    return inner_.ListJobs(filter);
  }
  Status SetJobStatus(int64_t job_id, store::JobStatus status, const std::string& failure_reason,
                      int64_t now_ms) override {
    return inner_.SetJobStatus(job_id, status, failure_reason, now_ms);
  }
  Status MarkOutputWritten(int64_t job_id, int64_t now_ms) override {
    return inner_.MarkOutputWritten(job_id, now_ms);
  }
  Status SetJobInputs(int64_t job_id, const std::string& labels_json,
                      const std::string& ui_template) override {
    return inner_.SetJobInputs(job_id, labels_json, ui_template);
  }
  Status DeleteObjects(int64_t job_id) override { return inner_.DeleteObjects(job_id); }
  Status InsertObjects(int64_t job_id, const std::vector<store::DataObject>& objects,
                       int64_t now_ms) override {
    return inner_.InsertObjects(job_id, objects, now_ms);
  }
  Result<store::DataObject> GetObject(int64_t job_id, int64_t index) override {
    return inner_.GetObject(job_id, index);
  }
  Status ForEachObject(int64_t job_id,
                       const std::function<void(const store::DataObject&)>& fn) override {
    return inner_.ForEachObject(job_id, fn);
  }
  Result<std::vector<int64_t>> ObjectsReadyToConsolidate(int64_t job_id, size_t limit) override {
    return inner_.ObjectsReadyToConsolidate(job_id, limit);
  }
  Result<std::vector<Status>> FinishObjects(int64_t job_id,
                                            const std::vector<store::ObjectOutcome>& outcomes,
                                            int64_t now_ms) override {
    return inner_.FinishObjects(job_id, outcomes, now_ms);
  }
  Result<int64_t> CountAvailable(int64_t job_id) override { return inner_.CountAvailable(job_id); }
  Result<int64_t> CountInProgress(int64_t job_id) override {
    return inner_.CountInProgress(job_id);
  }
  Result<std::vector<std::pair<int64_t, int64_t>>> ExpiredObjects(int64_t job_id,
                                                                  int64_t released_before_ms,
                                                                  size_t limit) override {
    return inner_.ExpiredObjects(job_id, released_before_ms, limit);
  }
  Status ReleaseObjects(int64_t job_id, int64_t count, int64_t now_ms) override {
    return inner_.ReleaseObjects(job_id, count, now_ms);
  }
  void ClaimAsync(const store::ClaimRequest& request,
                  Done<std::optional<store::Assignment>> done) override {
    inner_.ClaimAsync(request, std::move(done));
  }
  Result<store::Assignment> GetAssignment(int64_t id) override { return inner_.GetAssignment(id); }
  void SubmitAsync(int64_t assignment_id, int64_t user_id, std::string answer_json,
                   double time_spent_s, int64_t now_ms, Done<store::SubmitOutcome> done) override {
    inner_.SubmitAsync(assignment_id, user_id, std::move(answer_json), time_spent_s, now_ms,
                       std::move(done));
  }
  void SubmitAndClaimAsync(int64_t assignment_id, int64_t user_id, std::string answer_json,
                           double time_spent_s, int64_t now_ms, const store::ClaimRequest& next,
                           Done<SubmittedAndClaimed> done) override {
    inner_.SubmitAndClaimAsync(assignment_id, user_id, std::move(answer_json), time_spent_s, now_ms,
                               next, std::move(done));
  }
  Status EndLease(int64_t assignment_id, int64_t user_id, store::AssignmentState new_state,
                  int64_t now_ms) override {
    return inner_.EndLease(assignment_id, user_id, new_state, now_ms);
  }
  Result<int64_t> ExpireLeases(int64_t now_ms) override { return inner_.ExpireLeases(now_ms); }
  Result<std::vector<store::ObjectAnswers>> GetObjectsWithAnswers(
      int64_t job_id, const std::vector<int64_t>& indexes) override {
    return inner_.GetObjectsWithAnswers(job_id, indexes);
  }
  Status ForEachLabeledAnswer(int64_t job_id,
                              const std::function<void(const store::Assignment&)>& fn) override {
    return inner_.ForEachLabeledAnswer(job_id, fn);
  }
  Result<int64_t> CountClaimable(int64_t job_id, int64_t user_id) override {
    return inner_.CountClaimable(job_id, user_id);
  }
  Status CreateKmsKey(const store::KmsKey& key) override { return inner_.CreateKmsKey(key); }
  Result<store::KmsKey> GetKmsKey(const std::string& key_id) override {
    return inner_.GetKmsKey(key_id);
  }
  Result<store::KmsKey> GetKmsKeyByAlias(const std::string& alias) override {
    return inner_.GetKmsKeyByAlias(alias);
  }
  Result<std::vector<store::KmsKey>> ListKmsKeys() override { return inner_.ListKmsKeys(); }
  Status SetKmsKeyEnabled(const std::string& key_id, bool enabled, int64_t now_ms) override {
    return inner_.SetKmsKeyEnabled(key_id, enabled, now_ms);
  }
  Result<store::Workteam> UpdateWorkteam(const store::Workteam& team) override {
    return inner_.UpdateWorkteam(team);
  }
  Status DeleteWorkteam(const std::string& name) override { return inner_.DeleteWorkteam(name); }
  Status SetUserDisabled(int64_t user_id, bool disabled) override {
    return inner_.SetUserDisabled(user_id, disabled);
  }
  Status SetUserPassword(int64_t user_id, const std::string& password_hash) override {
    return inner_.SetUserPassword(user_id, password_hash);
  }
  Result<std::vector<store::AccessKeyInfo>> ListAccessKeys(
      std::optional<int64_t> user_id) override {
    return inner_.ListAccessKeys(user_id);
  }
  Status RevokeAccessKey(const std::string& access_key_id, int64_t now_ms) override {
    return inner_.RevokeAccessKey(access_key_id, now_ms);
  }
  Status AppendAudit(const store::AuditEntry& entry) override { return inner_.AppendAudit(entry); }
  Result<std::vector<store::AuditEntry>> ListAudit(int64_t since_ms, size_t limit) override {
    return inner_.ListAudit(since_ms, limit);
  }

 protected:
  store::Store& inner_;
};

}  // namespace plumbline::labeling::test_support
