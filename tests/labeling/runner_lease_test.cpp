// Runner leases: two LabelingServices on one database (two servers) with a
// fake clock. Only the one holding a job's lease works on it; another takes
// the job over once the lease expires, or at once when the holder shuts down.
// The runner's writes carry the lease: a runner that lost it is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>

#include "common/ids.hpp"
#include "job_request.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"
#include "store/fault_injecting_store.hpp"
#include "store/store.hpp"

namespace plumbline::labeling {
namespace {
namespace fs = std::filesystem;
using store::JobStatus;

constexpr int64_t kLeaseMs = 15000;

class RunnerLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-runner-lease-" + RandomHex(6));
    fs::create_directories(dir_);
    auto faulty = std::make_unique<store::FaultInjectingStore>(
        store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value());
    faults_ = faulty.get();
    store_ = std::move(faulty);
    objects_ = storage::OpenLocal(dir_.string());
    a_ = Service("replica-a");
    b_ = Service("replica-b");
    ASSERT_NO_FATAL_FAILURE(test_support::MakeJobInputs(
        *objects_, *a_,
        "{\"source\":\"a\"}\n{\"source\":\"b\"}\n{\"source\":\"c\"}\n{\"source\":\"d\"}\n"));
    worker_ = store_->CreateUser(test_support::TestWorker("w")).value();
    ASSERT_TRUE(a_->CreateJob(test_support::TextJobRequest("shared", "s3://b/m.manifest", 1),
                              "us-west-2"));
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<LabelingService> Service(const std::string& id) { return Service(id, clock_); }
  std::unique_ptr<LabelingService> Service(const std::string& id, Clock& clock) {
    Options o;
    o.account_id = "111122223333";
    o.runner_id = id;
    o.runner_lease_ms = kLeaseMs;
    return std::make_unique<LabelingService>(*store_, *objects_, clock, o);
  }
  // Claims and answers `n` tasks through `s`.
  void Label(LabelingService& s, int n) {
    for (int i = 0; i < n; ++i) {
      auto task = s.Claim(worker_, "shared").value();
      ASSERT_TRUE(task);
      ASSERT_TRUE(s.Submit(worker_, task->task_id, boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
    }
  }
  void Pass(LabelingService& s, int64_t advance_ms = 1001) {
    clock_.Advance(std::chrono::milliseconds(advance_ms));
    s.RunOnce();
  }
  store::Job Job() { return a_->DescribeJob("shared").value(); }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'501};
  std::unique_ptr<store::Store> store_;
  store::FaultInjectingStore* faults_ = nullptr;  // store_, transparent unless told
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<LabelingService> a_, b_;
  store::User worker_;
};

TEST_F(RunnerLeaseTest, OnlyTheHolderWorksOnAJobAndAnotherTakesOverOnceItExpires) {
  b_->RunOnce();  // b takes the job's lease and reads its manifest
  // b renews its lease only once a third of its term has passed: the term
  // it took now is the one that runs out.
  const int64_t expiry = ToEpochMs(clock_.Now()) + kLeaseMs;
  EXPECT_EQ(Job().status, JobStatus::kInProgress);
  EXPECT_EQ(Job().object_count, 4);
  // Workers go through either server; the runner work is b's.
  ASSERT_NO_FATAL_FAILURE(Label(*a_, 2));
  Pass(*a_);
  EXPECT_EQ(Job().labeled, 0) << "a consolidated a job whose lease b holds";
  Pass(*b_);
  EXPECT_EQ(Job().labeled, 2);

  // b stops renewing (it died); until its lease runs out nobody consolidates.
  ASSERT_NO_FATAL_FAILURE(Label(*a_, 2));
  Pass(*a_);
  EXPECT_EQ(Job().labeled, 2);
  Pass(*a_, expiry - 1 - ToEpochMs(clock_.Now()));
  EXPECT_EQ(Job().labeled, 2);
  // At its expiry, a takes the job over and finishes it.
  Pass(*a_, 1);
  EXPECT_EQ(Job().labeled, 4);
  EXPECT_EQ(Job().status, JobStatus::kCompleted);
  auto out = objects_->ReadAll("s3://b/out/shared/manifests/output/output.manifest");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(std::count(out->begin(), out->end(), '\n'), 4);

  // b coming back finds nothing to do; a hands the ended job's lease back.
  Pass(*b_);
  EXPECT_EQ(Job().labeled, 4);
  Pass(*a_);
  EXPECT_GT(store_->AcquireLease("job:" + std::to_string(Job().id), "someone-else",
                                 ToEpochMs(clock_.Now()), 1000)
                .value(),
            0);
}

TEST_F(RunnerLeaseTest, AServerThatShutsDownHandsItsLeasesBackAtOnce) {
  b_->RunOnce();
  EXPECT_EQ(Job().status, JobStatus::kInProgress);
  ASSERT_NO_FATAL_FAILURE(Label(*a_, 4));
  Pass(*a_);
  EXPECT_EQ(Job().labeled, 0);
  b_->Shutdown();
  Pass(*a_);  // a second later, well within b's lease had it kept it
  EXPECT_EQ(Job().labeled, 4);
  EXPECT_EQ(Job().status, JobStatus::kCompleted);
}

TEST_F(RunnerLeaseTest, TheIngestOfANewJobIsOneServersWork) {
  a_->RunOnce();
  EXPECT_EQ(Job().status, JobStatus::kInProgress);
  const int64_t count = Job().object_count;
  // b's pass neither reads the manifest again nor touches the objects.
  Pass(*b_);
  EXPECT_EQ(Job().object_count, count);
  EXPECT_EQ(store_->AcquireLease("job:" + std::to_string(Job().id), "replica-b",
                                 ToEpochMs(clock_.Now()), kLeaseMs)
                .value(),
            0);
}

// A server cut off (here: frozen, its clock standing still) for longer than
// its lease comes back believing it still holds the job: it renewed the
// lease a second ago by its own clock. Meanwhile another server took the
// job over. The late server's consolidation write is refused by the store,
// it drops the job, and the output is written once, by the new holder.
TEST_F(RunnerLeaseTest, ALateWriteOfARunnerWhoseLeaseWasTakenOverIsRefused) {
  FakeClock frozen{ToEpochMs(clock_.Now())};
  auto late = Service("replica-late", frozen);
  late->RunOnce();  // takes the job's lease and reads its manifest
  EXPECT_EQ(Job().status, JobStatus::kInProgress);
  const std::string lease = "job:" + std::to_string(Job().id);
  // Every object is answered; the late server has not consolidated yet.
  ASSERT_NO_FATAL_FAILURE(Label(*a_, 4));
  // Its lease runs out; b takes the job over (without a pass of its own
  // yet: it holds the lease, as a server would between two passes).
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  const int64_t taken =
      store_->AcquireLease(lease, "replica-b", ToEpochMs(clock_.Now()), kLeaseMs).value();
  ASSERT_GT(taken, 0);
  // The late server's next pass, one second later by its clock: its lease
  // looks fresh to it, so it consolidates, and the store refuses the write.
  frozen.Advance(std::chrono::milliseconds(1001));
  late->RunOnce();
  EXPECT_EQ(Job().labeled, 0) << "a runner whose lease was taken over stored labels";
  EXPECT_EQ(Job().status, JobStatus::kInProgress);
  EXPECT_FALSE(Job().output_written);
  const std::string output = "s3://b/out/shared/manifests/output/output.manifest";
  EXPECT_FALSE(objects_->ReadAll(output)) << "the late runner wrote the output";
  // It dropped the job: its next pass does not touch it again, and the
  // lease is still b's under the epoch b took.
  frozen.Advance(std::chrono::milliseconds(1001));
  late->RunOnce();
  EXPECT_EQ(Job().labeled, 0);
  EXPECT_EQ(store_->AcquireLease(lease, "replica-b", ToEpochMs(clock_.Now()), kLeaseMs).value(),
            taken);
  // b, the holder, consolidates everything and writes the output once.
  Pass(*b_);
  EXPECT_EQ(Job().labeled, 4);
  EXPECT_EQ(Job().status, JobStatus::kCompleted);
  EXPECT_TRUE(Job().output_written);
  auto out = objects_->ReadAll(output);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(std::count(out->begin(), out->end(), '\n'), 4);
}

// A runner that wrote the output and recorded it, then lost the lease before
// ending the job, leaves the new holder the job's status to set, not the
// output to write again.
TEST_F(RunnerLeaseTest, OutputRecordedByAnEarlierHolderIsNotWrittenAgain) {
  a_->RunOnce();
  ASSERT_NO_FATAL_FAILURE(Label(*a_, 4));
  // a consolidates, writes the output and records it; ending the job fails
  // (a vanishes at that point).
  faults_->FailNext("SetJobStatus");
  Pass(*a_);
  EXPECT_EQ(Job().labeled, 4);
  EXPECT_TRUE(Job().output_written);
  EXPECT_EQ(Job().status, JobStatus::kInProgress);
  const std::string output = "s3://b/out/shared/manifests/output/output.manifest";
  ASSERT_TRUE(objects_->WriteAll(output, "as a wrote it\n"));
  // b takes the job over once a's lease ran out, and only ends it.
  Pass(*b_, kLeaseMs + 1);
  EXPECT_EQ(Job().status, JobStatus::kCompleted);
  EXPECT_EQ(objects_->ReadAll(output).value(), "as a wrote it\n")
      << "the output was written a second time";
}

}  // namespace
}  // namespace plumbline::labeling
