// Pre-processing in the runner: each object's task input is computed once
// (at ingest, or by a runner pass for objects stored without one) and kept
// with the object; a claim hands out what is stored and never pre-processes.
#include "labeling/labeling.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <filesystem>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "job_request.hpp"
#include "storage/object_store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::labeling {
namespace {
namespace fs = std::filesystem;
using store::JobStatus;
using store::ObjectState;

// The schema version before task inputs were stored (migration 6 adds them).
constexpr int kBeforeTaskInputs = 5;

class TaskInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-task-input-" + RandomHex(6));
    fs::create_directories(dir_);
    objects_ = storage::OpenLocal(dir_.string());
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  // Opens the store (at `schema_version`, 0: the latest) and a service over it.
  void Open(int schema_version = 0) {
    service_.reset();
    store_.reset();
    store::StoreOptions o;
    o.url = "sqlite:" + (dir_ / "db").string();
    o.durable = false;
    o.schema_version = schema_version;
    store_ = store::OpenStore(o).value();
    Options opts;
    opts.account_id = "111122223333";
    service_ = std::make_unique<LabelingService>(*store_, *objects_, clock_, opts);
  }
  // Opens the latest store and starts a job over `manifest`.
  void StartJob(const std::string& name, const std::string& manifest) {
    ASSERT_NO_FATAL_FAILURE(Open());
    ASSERT_NO_FATAL_FAILURE(test_support::MakeJobInputs(*objects_, *service_, manifest));
    ASSERT_TRUE(service_->CreateJob(test_support::TextJobRequest(name, "s3://b/m.manifest", 1),
                                    "us-west-2"));
    service_->RunOnce();
    ASSERT_EQ(service_->DescribeJob(name).value().status, JobStatus::kInProgress);
    ASSERT_NO_FATAL_FAILURE(MakeWorker());
  }
  void MakeWorker() {
    worker_ = store_->CreateUser(test_support::TestWorker("w")).value();
  }
  int64_t JobId(const std::string& name) { return service_->DescribeJob(name).value().id; }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'501};
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<LabelingService> service_;
  store::User worker_;
};

// Ingest stores each object's task input; a claim hands out exactly what is
// stored (here replaced behind the runner's back), not a new pre-processing.
TEST_F(TaskInputTest, TheStoredInputIsWhatTheWorkerGets) {
  ASSERT_NO_FATAL_FAILURE(StartJob("stored", "{\"source\":\"a\"}\n{\"source\":\"b\"}\n"));
  int64_t id = JobId("stored");
  auto first = store_->GetObject(id, 0).value();
  // The standard input is stored compactly (the line's member that holds
  // the task object); joined with the row it is the whole input.
  EXPECT_EQ(first.task_input_json, R"("source")");
  auto input = tasktypes::TaskInputFromStored(first.task_input_json, first.line, {"cat", "dog"})
                   .value();
  EXPECT_EQ(input.at("taskObject"), "a");
  EXPECT_EQ(input.at("labels"), boost::json::parse(R"(["cat","dog"])"));
  EXPECT_EQ(input.at("manifestLine"), boost::json::parse(R"({"source":"a"})"));
  EXPECT_TRUE(store_->ObjectsToPreprocess(id, 10).value().empty());

  ASSERT_TRUE(store_->SetTaskInputs(id, {{0, R"({"taskObject":"stored","labels":["x"]})"}}));
  auto task = service_->Claim(worker_, "stored").value();
  ASSERT_TRUE(task);
  EXPECT_EQ(task->task_input, boost::json::parse(R"({"taskObject":"stored","labels":["x"]})"));
  // The page's inputs travel with the task: the job's template and lease.
  ASSERT_TRUE(task->task_template);
  EXPECT_EQ(*task->task_template, "<p>{{ task.input.taskObject }}</p>");
  EXPECT_EQ(task->job_id, id);
  EXPECT_GT(task->lease_seconds, 0);
}

// An object whose pre-processing fails ends as failed with Ground Truth's
// ClientError reason; the other objects are labeled and the job completes.
TEST_F(TaskInputTest, APreprocessingFailureFailsOnlyThatObject) {
  ASSERT_NO_FATAL_FAILURE(
      StartJob("mixed", "{\"source\":\"a\"}\n{\"neither\":1}\n{\"source-ref\":\"s3://b/c\"}\n"));
  int64_t id = JobId("mixed");
  auto bad = store_->GetObject(id, 1).value();
  EXPECT_EQ(bad.state, ObjectState::kFailed);
  EXPECT_EQ(bad.failure_reason.rfind("ClientError: ", 0), 0u) << bad.failure_reason;
  EXPECT_TRUE(bad.task_input_json.empty());
  EXPECT_EQ(service_->DescribeJob("mixed").value().failed, 1);
  int answered = 0;
  while (auto task = service_->Claim(worker_, "mixed").value()) {
    EXPECT_EQ(task->task_input.at("manifestLine").as_object().if_contains("neither"), nullptr);
    ASSERT_TRUE(service_->Submit(worker_, task->task_id,
                                 boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
    ++answered;
  }
  EXPECT_EQ(answered, 2);
  clock_.Advance(std::chrono::milliseconds(1001));
  service_->RunOnce();
  auto job = service_->DescribeJob("mixed").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.labeled, 2);
  EXPECT_EQ(job.failed, 1);
}

// A job in progress in a database from before task inputs were stored: the
// migration leaves its objects without input, claims pass over them, and a
// runner pass pre-processes them (a line it cannot use fails alone); then
// they are handed out and the job completes.
TEST_F(TaskInputTest, AJobFromBeforeTaskInputsGetsThemFromTheRunner) {
  // The job as the previous version left it: created through the service
  // over a store at that schema, then ingested as that version's runner did
  // (its InsertObjects knew no task input; this version's writes one).
  ASSERT_NO_FATAL_FAILURE(Open(kBeforeTaskInputs));
  ASSERT_NO_FATAL_FAILURE(test_support::MakeJobInputs(*objects_, *service_, "unused\n"));
  ASSERT_TRUE(service_->CreateJob(test_support::TextJobRequest("old", "s3://b/m.manifest", 1),
                                  "us-west-2"));
  ASSERT_NO_FATAL_FAILURE(MakeWorker());
  service_.reset();
  store_.reset();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "db").c_str(), &raw), SQLITE_OK);
  // Released now (the fake clock's start), as the ingest releases them.
  const char* ingested = R"sql(
    UPDATE jobs SET status='InProgress', object_count=3, failed=0,
                    labels_json='["cat","dog"]', ui_template='<p>{{ task.input.taskObject }}</p>'
      WHERE name='old';
    INSERT INTO objects(job_id,idx,state,line,needed,released_ms)
      SELECT id, 0, 0, '{"source":"a"}', 1, 1763926841501 FROM jobs WHERE name='old';
    INSERT INTO objects(job_id,idx,state,line,needed,released_ms)
      SELECT id, 1, 0, '{"neither":1}', 1, 1763926841501 FROM jobs WHERE name='old';
    INSERT INTO objects(job_id,idx,state,line,needed,released_ms)
      SELECT id, 2, 0, '{"source":"c"}', 1, 1763926841501 FROM jobs WHERE name='old';
  )sql";
  ASSERT_EQ(sqlite3_exec(raw, ingested, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(raw);
  sqlite3_close(raw);

  ASSERT_NO_FATAL_FAILURE(Open());  // migrates: the objects have no task input
  int64_t id = JobId("old");
  EXPECT_EQ(store_->ObjectsToPreprocess(id, 10).value().size(), 3u);
  EXPECT_FALSE(service_->Claim(worker_, "old").value());  // nothing pre-processed yet

  service_->RunOnce();
  EXPECT_TRUE(store_->ObjectsToPreprocess(id, 10).value().empty());
  auto bad = store_->GetObject(id, 1).value();
  EXPECT_EQ(bad.state, ObjectState::kFailed);
  EXPECT_EQ(bad.failure_reason.rfind("ClientError: ", 0), 0u) << bad.failure_reason;
  EXPECT_EQ(service_->DescribeJob("old").value().failed, 1);

  std::vector<std::string> seen;
  while (auto task = service_->Claim(worker_, "old").value()) {
    seen.emplace_back(task->task_input.at("taskObject").as_string());
    EXPECT_EQ(task->task_input.at("labels"), boost::json::parse(R"(["cat","dog"])"));
    ASSERT_TRUE(service_->Submit(worker_, task->task_id,
                                 boost::json::parse(R"({"c":{"label":"dog"}})"), 1));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "c"}));
  clock_.Advance(std::chrono::milliseconds(1001));
  service_->RunOnce();
  auto job = service_->DescribeJob("old").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.labeled, 2);
  EXPECT_EQ(job.failed, 1);
}

}  // namespace
}  // namespace plumbline::labeling
