// FaultInjectingStore's own behaviour: which writes it fails, when, and that
// reads pass. (Its transparency without faults is shown by running the
// contract suite through it.)
#include "store/fault_injecting_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "common/ids.hpp"

namespace plumbline::store {
namespace {
namespace fs = std::filesystem;
using When = FaultInjectingStore::When;

class FaultInjectingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-faults-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = std::make_unique<FaultInjectingStore>(
        OpenStore({"sqlite:" + (dir_ / "db.sqlite").string(), false}).value());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  int64_t MakeJob(int objects) {
    Job j;
    j.name = "j" + RandomHex(3);
    j.arn = "arn:" + j.name;
    j.request_json = "{}";
    j.workteam_arn = "arn:team";
    j.job_reference_code = "x";
    j.status = JobStatus::kInProgress;
    int64_t id = store_->CreateJob(j).value().id;
    std::vector<DataObject> objs(static_cast<size_t>(objects));
    for (int i = 0; i < objects; ++i) objs[static_cast<size_t>(i)].index = i;
    EXPECT_TRUE(store_->InsertObjects(id, objs, 0));
    EXPECT_TRUE(store_->ReleaseObjects(id, objects, 0));
    return id;
  }
  ClaimRequest Req(int64_t job, int64_t user) {
    ClaimRequest r;
    r.job_id = job;
    r.user_id = user;
    r.now_ms = 10;
    r.lease_ms = 1000;
    return r;
  }
  fs::path dir_;
  std::unique_ptr<FaultInjectingStore> store_;
};

TEST_F(FaultInjectingStoreTest, FailsTheNthWriteOnlyAndReadsDoNotCount) {
  store_->FailNthWrite(2);
  ASSERT_TRUE(store_->PutSetting("a", "1"));
  EXPECT_TRUE(store_->GetSetting("a").value());  // a read: not counted
  auto second = store_->PutSetting("b", "2");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(store_->GetSetting("b").value());  // nothing written
  ASSERT_TRUE(store_->PutSetting("c", "3"));
  EXPECT_EQ(store_->injected_failures(), 1);
}

TEST_F(FaultInjectingStoreTest, FailsTheNextWritesOfAnOperationBeforeOrAfterThem) {
  int64_t job = MakeJob(2);
  store_->FailNext("Claim");
  EXPECT_EQ(store_->Claim(Req(job, 1)).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store_->GetObject(job, 0).value().leases, 0);  // before: nothing leased
  auto a = store_->Claim(Req(job, 1)).value();
  ASSERT_TRUE(a);
  // After: the answer is committed, the caller hears a failure (a lost
  // reply); the retry is acknowledged without a second answer.
  store_->FailNext("Submit", 1, When::kAfterWrite);
  EXPECT_EQ(store_->Submit(a->id, 1, "{}", 1, 20).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store_->GetObject(job, a->object_index).value().answers, 1);
  EXPECT_EQ(store_->Submit(a->id, 1, "{}", 1, 20).value(), SubmitOutcome::kAlreadySubmitted);
  // Other operations are not affected by an operation's fault.
  store_->FailNext("MarkOutputWritten", 2);
  ASSERT_TRUE(store_->SetJobStatus(job, JobStatus::kCompleted, "", 30));
  EXPECT_FALSE(store_->MarkOutputWritten(job, 30));
  EXPECT_FALSE(store_->MarkOutputWritten(job, 30));
  EXPECT_TRUE(store_->MarkOutputWritten(job, 30));
  EXPECT_TRUE(store_->GetJob(job).value().output_written);
  EXPECT_EQ(store_->injected_failures(), 4);
}

TEST_F(FaultInjectingStoreTest, DelaysCommitsAndClears) {
  store_->SetCommitDelay(std::chrono::milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->PutSetting("a", "1"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  store_->FailNthWrite(1);
  store_->ClearFaults();
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->PutSetting("b", "2"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace plumbline::store
