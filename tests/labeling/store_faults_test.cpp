// What a job does when its stores fail mid-way: the labeling service over a
// FaultInjectingStore (and an object store that fails chosen writes). An
// acknowledged answer is never lost, a failed write reaches the caller as
// kUnavailable (503 at the worker API), and a job whose output or
// bookkeeping write failed is finished by a later runner pass.
#include "store/fault_injecting_store.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <mutex>

#include "common/ids.hpp"
#include "job_request.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"

namespace plumbline::labeling {
namespace {
namespace fs = std::filesystem;
using store::FaultInjectingStore;
using store::JobStatus;

// An ObjectStore that forwards to another and fails the next write of an
// object whose URI contains a given text.
class FailingObjectStore final : public storage::ObjectStore {
 public:
  explicit FailingObjectStore(std::unique_ptr<storage::ObjectStore> inner)
      : inner_(std::move(inner)) {}
  void FailNextWriteOf(std::string uri_part) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(uri_part);
  }
  Result<std::unique_ptr<storage::Reader>> OpenRead(const std::string& uri) override {
    return inner_->OpenRead(uri);
  }
  Result<std::unique_ptr<storage::Writer>> OpenWrite(const std::string& uri) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!fail_.empty() && uri.find(fail_) != std::string::npos) {
        fail_.clear();
        return Unavailable("injected failure writing " + uri);
      }
    }
    return inner_->OpenWrite(uri);
  }

 private:
  std::unique_ptr<storage::ObjectStore> inner_;
  std::mutex mu_;
  std::string fail_;
};

class StoreFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-faults-" + RandomHex(6));
    fs::create_directories(dir_);
    auto inner = store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value();
    auto faulty = std::make_unique<FaultInjectingStore>(std::move(inner));
    faults_ = faulty.get();
    store_ = std::move(faulty);
    auto objects = std::make_unique<FailingObjectStore>(storage::OpenLocal(dir_.string()));
    objects_ = objects.get();
    object_store_ = std::move(objects);
    Options o;
    o.account_id = "111122223333";
    service_ = std::make_unique<LabelingService>(*store_, *object_store_, clock_, o);
    ASSERT_NO_FATAL_FAILURE(test_support::MakeJobInputs(
        *object_store_, *service_, "{\"source\":\"a\"}\n{\"source\":\"b\"}\n{\"source\":\"c\"}\n"));
    worker_ = store_->CreateUser(test_support::TestWorker("w")).value();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  void StartJob(const std::string& name) {
    ASSERT_TRUE(service_->CreateJob(test_support::TextJobRequest(name, "s3://b/m.manifest", 1),
                                    "us-west-2"));
    service_->RunOnce();
    ASSERT_EQ(service_->DescribeJob(name).value().status, JobStatus::kInProgress);
  }
  void Tick() {
    clock_.Advance(std::chrono::milliseconds(1001));
    service_->RunOnce();
  }
  // Claims and answers every object of the job.
  void AnswerAll(const std::string& job) {
    for (;;) {
      auto task = service_->Claim(worker_, job).value();
      if (!task) return;
      ASSERT_EQ(service_->Submit(worker_, task->task_id, Answer(), 1).value(),
                store::SubmitOutcome::kAccepted);
    }
  }
  static boost::json::value Answer() {
    return boost::json::parse(R"({"crowd-classifier":{"label":"dog"}})");
  }
  int64_t AnswersOf(const std::string& job, int64_t index) {
    int64_t id = service_->DescribeJob(job).value().id;
    return static_cast<int64_t>(
        store_->GetObjectsWithAnswers(id, {index}).value().at(0).answers.size());
  }
  std::vector<std::string> OutputLines(const std::string& job) {
    auto text = object_store_->ReadAll("s3://b/out/" + job + "/manifests/output/output.manifest");
    if (!text) return {};
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t nl; (nl = text->find('\n', start)) != std::string::npos; start = nl + 1)
      lines.push_back(text->substr(start, nl - start));
    return lines;
  }
  void ExpectCompleteOutput(const std::string& job) {
    auto j = service_->DescribeJob(job).value();
    EXPECT_EQ(j.status, JobStatus::kCompleted);
    EXPECT_TRUE(j.output_written);
    EXPECT_EQ(j.labeled, 3);
    auto lines = OutputLines(job);
    ASSERT_EQ(lines.size(), 3u);
    for (const auto& line : lines) EXPECT_NE(line.find("\"animal\""), std::string::npos) << line;
  }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'501};
  std::unique_ptr<store::Store> store_;
  FaultInjectingStore* faults_ = nullptr;
  std::unique_ptr<storage::ObjectStore> object_store_;
  FailingObjectStore* objects_ = nullptr;
  std::unique_ptr<LabelingService> service_;
  store::User worker_;
};

// (a) A submit whose commit fails answers kUnavailable, loses nothing
// already acknowledged, and succeeds when retried.
TEST_F(StoreFaultsTest, AFailedSubmitCommitIsUnavailableAndLosesNothingAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(StartJob("submits"));
  auto first = service_->Claim(worker_, "submits").value();
  ASSERT_TRUE(first);
  ASSERT_EQ(service_->Submit(worker_, first->task_id, Answer(), 1).value(),
            store::SubmitOutcome::kAccepted);
  auto second = service_->Claim(worker_, "submits").value();
  ASSERT_TRUE(second);

  faults_->FailNext("Submit");
  auto failed = service_->Submit(worker_, second->task_id, Answer(), 1);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(AnswersOf("submits", 0), 1);  // the acknowledged answer is there
  EXPECT_EQ(AnswersOf("submits", 1), 0);  // the failed one is not
  // The worker still holds the task and the retry goes through.
  EXPECT_EQ(service_->Claim(worker_, "submits").value()->task_id, second->task_id);
  EXPECT_EQ(service_->Submit(worker_, second->task_id, Answer(), 1).value(),
            store::SubmitOutcome::kAccepted);
  EXPECT_EQ(AnswersOf("submits", 1), 1);

  // A submit-and-next whose reply is lost after its commit: the answer is
  // in, and the retried submit is acknowledged without a second answer.
  auto third = service_->Claim(worker_, "submits").value();
  ASSERT_TRUE(third);
  faults_->FailNext("SubmitAndClaim", 1, FaultInjectingStore::When::kAfterWrite);
  auto lost = service_->SubmitAndClaimNext(worker_, third->task_id, Answer(), 1);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(service_->Submit(worker_, third->task_id, Answer(), 1).value(),
            store::SubmitOutcome::kAlreadySubmitted);
  EXPECT_EQ(AnswersOf("submits", 2), 1);

  Tick();
  Tick();
  ExpectCompleteOutput("submits");
}

// (b) Only the store write that records the finished output fails: the job
// is not marked Completed without its output recorded (it stays in
// progress), and the next runner pass writes the output again and finishes
// it.
TEST_F(StoreFaultsTest, AFailedOutputBookkeepingWriteLeavesTheJobResumable) {
  ASSERT_NO_FATAL_FAILURE(StartJob("bookkeeping"));
  ASSERT_NO_FATAL_FAILURE(AnswerAll("bookkeeping"));
  faults_->FailNext("MarkOutputWritten");
  Tick();
  auto job = service_->DescribeJob("bookkeeping").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_FALSE(job.output_written);
  EXPECT_EQ(faults_->injected_failures(), 1);
  Tick();
  ExpectCompleteOutput("bookkeeping");
}

// (b) The output is recorded but the status change after it fails: the job
// stays in progress and the next pass finishes it.
TEST_F(StoreFaultsTest, AFailedFinalStatusWriteLeavesTheJobResumable) {
  ASSERT_NO_FATAL_FAILURE(StartJob("status"));
  ASSERT_NO_FATAL_FAILURE(AnswerAll("status"));
  faults_->FailNext("SetJobStatus");
  Tick();
  auto job = service_->DescribeJob("status").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_TRUE(job.output_written);
  EXPECT_EQ(faults_->injected_failures(), 1);
  Tick();
  ExpectCompleteOutput("status");
}

// (b) The output manifest itself cannot be written: nothing is marked, and
// the next pass finishes the job with the whole output.
TEST_F(StoreFaultsTest, AFailedOutputFileWriteLeavesTheJobResumable) {
  ASSERT_NO_FATAL_FAILURE(StartJob("outfile"));
  ASSERT_NO_FATAL_FAILURE(AnswerAll("outfile"));
  objects_->FailNextWriteOf("manifests/output/output.manifest");
  Tick();
  auto job = service_->DescribeJob("outfile").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_FALSE(job.output_written);
  EXPECT_TRUE(OutputLines("outfile").empty());
  Tick();
  ExpectCompleteOutput("outfile");
}

// Consolidation's store write fails after its files are written: the
// objects stay ready and the next pass consolidates them once more.
TEST_F(StoreFaultsTest, AFailedConsolidationWriteIsRetriedByTheNextPass) {
  ASSERT_NO_FATAL_FAILURE(StartJob("consolidation"));
  ASSERT_NO_FATAL_FAILURE(AnswerAll("consolidation"));
  faults_->FailNext("FinishObjects");
  Tick();
  EXPECT_EQ(service_->DescribeJob("consolidation").value().labeled, 0);
  Tick();
  Tick();
  ExpectCompleteOutput("consolidation");
}

// The ingest's store write fails: the job stays Initializing, and the next
// pass reads the manifest again from the start (no object twice), with each
// object's task input.
TEST_F(StoreFaultsTest, AFailedIngestWriteIsRetriedFromTheStart) {
  ASSERT_TRUE(service_->CreateJob(test_support::TextJobRequest("ingest", "s3://b/m.manifest", 1),
                                  "us-west-2"));
  faults_->FailNext("InsertObjects");
  service_->RunOnce();
  EXPECT_EQ(service_->DescribeJob("ingest").value().status, JobStatus::kInitializing);
  service_->RunOnce();
  auto job = service_->DescribeJob("ingest").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_EQ(job.object_count, 3);
  EXPECT_TRUE(store_->ObjectsToPreprocess(job.id, 10).value().empty());
  ASSERT_NO_FATAL_FAILURE(AnswerAll("ingest"));
  Tick();
  Tick();
  ExpectCompleteOutput("ingest");
}

// A claim whose commit fails is unavailable and leases nothing.
TEST_F(StoreFaultsTest, AFailedClaimLeasesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartJob("claims"));
  faults_->FailNext("Claim");
  auto failed = service_->Claim(worker_, "claims");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  int64_t id = service_->DescribeJob("claims").value().id;
  EXPECT_EQ(store_->CountInProgress(id).value(), 0);
  EXPECT_TRUE(service_->Claim(worker_, "claims").value());
}

}  // namespace
}  // namespace plumbline::labeling
