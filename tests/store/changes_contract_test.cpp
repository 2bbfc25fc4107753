// The Store contract for Store::Feed: what each committed write
// publishes, and what waiters and watchers see of it, run against every
// implementation (see contract_targets.hpp). Hearing of other processes'
// commits is particular to stores that can (postgres_changes_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "contract_targets.hpp"
#include "store/store.hpp"
#include "test_jobs.hpp"

namespace plumbline::store {
namespace {
using contract::ContractTest;
using namespace std::chrono_literals;

class ChangesTest : public ContractTest {
 protected:
  // Records every publication of the store's feed.
  void SetUp() override {
    ContractTest::SetUp();
    if (!store_) return;
    watch_ = ChangeWatch(store_->Feed(), changes::kAll, [this](ChangeSet set) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(set);
    });
  }
  void TearDown() override {
    watch_.Reset();
    ContractTest::TearDown();
  }
  // The publications since the last call.
  std::vector<ChangeSet> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(seen_, {});
  }
  Job NewJob(const std::string& name) { return test_jobs::InProgressJob(name); }

  std::mutex mu_;
  std::vector<ChangeSet> seen_;
  ChangeWatch watch_;
};

TEST_P(ChangesTest, EachCommitPublishesWhatItTouchedBeforeItsCallerHearsOfIt) {
  ChangeFeed& feed = store_->Feed();
  int64_t jobs = feed.Sequence(changes::kJobs);
  int64_t job = store_->CreateJob(NewJob("watched")).value().id;
  // Published by the time the write returns.
  EXPECT_EQ(feed.Sequence(changes::kJobs), jobs + 1);
  EXPECT_EQ(Seen(), std::vector<ChangeSet>{changes::kJobs});

  DataObject o;
  o.line = "{\"source\":\"a\"}";
  ASSERT_TRUE(store_->InsertObjects(job, {o}, 1000));
  ASSERT_TRUE(store_->ReleaseObjects(job, 1, 1000));
  EXPECT_EQ(Seen(), (std::vector<ChangeSet>{changes::kWork, changes::kWork}));
  ASSERT_TRUE(store_->SetJobStatus(job, JobStatus::kStopping, "", 2000));
  EXPECT_EQ(Seen(), std::vector<ChangeSet>{changes::kJobs});

  Workteam team;
  team.name = "team";
  team.arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team";
  team.doc_json = "{}";
  team.groups = {"a"};
  ASSERT_TRUE(store_->CreateWorkteam(team));
  team.groups = {"b"};
  ASSERT_TRUE(store_->UpdateWorkteam(team));
  EXPECT_EQ(Seen(), (std::vector<ChangeSet>{changes::kTeams, changes::kTeams}));

  User u;
  u.username = "ann";
  u.password_hash = "x";
  u.worker_key = "0123456789abcdef";
  u.sub = "sub-ann";
  int64_t ann = store_->CreateUser(u).value().id;
  ASSERT_TRUE(store_->SetUserDisabled(ann, true));
  EXPECT_EQ(Seen(), (std::vector<ChangeSet>{changes::kPeople, changes::kPeople}));

  // Writes nothing watches (runner leases, the audit log) and reads publish nothing.
  ASSERT_TRUE(store_->AcquireLease("job:1", "me", 1000, 100));
  AuditEntry e;
  e.time_ms = 1000;
  e.actor = "root";
  e.action = "test";
  e.outcome = "ok";
  ASSERT_TRUE(store_->AppendAudit(e));
  ASSERT_TRUE(store_->GetJob(job));
  ASSERT_TRUE(store_->ListWorkteams());
  ASSERT_TRUE(store_->ListJobPage(JobPageQuery{}));
  EXPECT_EQ(Seen(), std::vector<ChangeSet>{});
}

TEST_P(ChangesTest, WritesThatFailOrFindNothingToChangePublishNothing) {
  int64_t job = store_->CreateJob(NewJob("only")).value().id;
  Seen();
  int64_t before = store_->Feed().Sequence(changes::kAll);
  // Refused: the name is taken.
  EXPECT_EQ(store_->CreateJob(NewJob("ONLY")).error().code, ErrorCode::kAlreadyExists);
  // A claim in a job without objects hands nothing out; no lease has expired.
  ClaimRequest r;
  r.job_id = job;
  r.user_id = 7;
  r.now_ms = 2000;
  r.lease_ms = 1000;
  EXPECT_FALSE(store_->Claim(r).value().has_value());
  EXPECT_EQ(store_->ExpireLeases(3000).value(), 0);
  EXPECT_EQ(Seen(), std::vector<ChangeSet>{});
  EXPECT_EQ(store_->Feed().Sequence(changes::kAll), before);
}

TEST_P(ChangesTest, AWaiterWakesOnAChangeOfItsKindsOnly) {
  ChangeFeed& feed = store_->Feed();
  int64_t since = feed.Sequence(changes::kJobs | changes::kWork);
  int64_t woke_with = since;
  std::chrono::steady_clock::duration waited{};
  std::thread waiter([&] {
    auto start = std::chrono::steady_clock::now();
    woke_with = feed.WaitForChange(changes::kJobs | changes::kWork, since, 10s);
    waited = std::chrono::steady_clock::now() - start;
  });
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(store_->CreateJob(NewJob("wakes")));
  waiter.join();
  EXPECT_GT(woke_with, since);
  EXPECT_LT(waited, 5s);

  // A change of another kind leaves a waiter waiting until its time is up.
  int64_t teams = feed.Sequence(changes::kTeams);
  ASSERT_TRUE(store_->CreateJob(NewJob("not-a-team")));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(feed.WaitForChange(changes::kTeams, teams, 200ms), teams);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
}

INSTANTIATE_TEST_SUITE_P(, ChangesTest, ::testing::ValuesIn(contract::ContractTargets()),
                         contract::TargetName);

}  // namespace
}  // namespace plumbline::store
