#include "labeling/labeling.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "storage/object_store.hpp"
#include "store/fault_injecting_store.hpp"
#include "job_request.hpp"

namespace plumbline::labeling {
namespace {
namespace fs = std::filesystem;
using store::JobStatus;

using test_support::kTeamArn;

class LabelingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-labeling-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value();
    objects_ = storage::OpenLocal(dir_.string());
    Options o;
    o.account_id = "111122223333";
    o.ingest_batch = 3;  // several batches even for small manifests
    service_ = std::make_unique<LabelingService>(*store_, *objects_, clock_, o);
    ASSERT_NO_FATAL_FAILURE(test_support::MakeJobInputs(
        *objects_, *service_,
        "{\"source\":\"a\"}\n\n{\"source\":\"b\",\"k\":1}\r\n{\"source-ref\":\"s3://b/x.jpg\"}\n"));
    worker_ = store_->CreateUser(test_support::TestWorker("w")).value();
    outsider_ = store_->CreateUser(test_support::TestWorker("outsider", {"h"})).value();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  boost::json::object Request(const std::string& name, const std::string& manifest = "s3://b/m.manifest",
                              int workers = 1) {
    return test_support::TextJobRequest(name, manifest, workers);
  }
  // Advances a second so each consolidation batch gets its own file stamp.
  void Tick() {
    clock_.Advance(std::chrono::milliseconds(1001));
    service_->RunOnce();
  }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'501};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<LabelingService> service_;
  store::User worker_, outsider_;
};

TEST_F(LabelingTest, CreateReadsManifestAndGoesInProgress) {
  auto arn = service_->CreateJob(Request("Job-One"), "us-west-2");
  ASSERT_TRUE(arn) << arn.error().message;
  EXPECT_EQ(*arn, "arn:aws:sagemaker:us-west-2:111122223333:labeling-job/job-one");
  EXPECT_EQ(service_->DescribeJob("job-one").value().status, JobStatus::kInitializing);
  service_->RunOnce();
  auto job = service_->DescribeJob("JOB-ONE").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_EQ(job.object_count, 3);  // the blank line is skipped
  auto request = json::Parse(job.request_json).value().as_object();
  EXPECT_EQ(request["HumanTaskConfig"].as_object()["MaxConcurrentTaskCount"].as_int64(), 1000);
  EXPECT_EQ(request["OutputConfig"].as_object()["KmsKeyId"].as_string(), "");
  EXPECT_TRUE(objects_->ReadAll("s3://b/out/Job-One/annotation-tool/data.json"));
}

TEST_F(LabelingTest, DuplicateNameAndBadHooksAreRejected) {
  ASSERT_TRUE(service_->CreateJob(Request("dup"), "us-west-2"));
  EXPECT_EQ(service_->CreateJob(Request("DUP"), "us-west-2").error().code, ErrorCode::kAlreadyExists);
  auto r = Request("custom");
  r["HumanTaskConfig"].as_object()["PreHumanTaskLambdaArn"] =
      "arn:aws:lambda:us-west-2:111122223333:function:my-pre";
  EXPECT_EQ(service_->CreateJob(r, "us-west-2").error().code, ErrorCode::kInvalidArgument);
  auto t = Request("no-team");
  t["HumanTaskConfig"].as_object()["WorkteamArn"] =
      "arn:aws:sagemaker:us-west-2:111122223333:workteam/private-crowd/none";
  auto e = service_->CreateJob(t, "us-west-2");
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message.find("does not exist"), std::string::npos);
}

TEST_F(LabelingTest, BrokenLineFailsTheJobNamingTheLine) {
  ASSERT_TRUE(objects_->WriteAll("s3://b/bad.manifest", "{\"source\":\"a\"}\n\n{\"source\": nope}\n"));
  ASSERT_TRUE(service_->CreateJob(Request("bad", "s3://b/bad.manifest"), "us-west-2"));
  service_->RunOnce();
  auto job = service_->DescribeJob("bad").value();
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_NE(job.failure_reason.find("line 3"), std::string::npos) << job.failure_reason;
}

TEST_F(LabelingTest, MissingManifestFailsTheJob) {
  ASSERT_TRUE(service_->CreateJob(Request("gone", "s3://b/none.manifest"), "us-west-2"));
  service_->RunOnce();
  auto job = service_->DescribeJob("gone").value();
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_NE(job.failure_reason.find("s3://b/none.manifest"), std::string::npos);
}

TEST_F(LabelingTest, LabelingEveryObjectCompletesWithOutput) {
  ASSERT_TRUE(service_->CreateJob(Request("full"), "us-west-2"));
  service_->RunOnce();
  EXPECT_EQ(service_->JobsForWorker(worker_).value().size(), 1u);
  EXPECT_TRUE(service_->JobsForWorker(outsider_).value().empty());
  EXPECT_EQ(service_->Claim(outsider_, "full").error().code, ErrorCode::kPermissionDenied);
  for (int i = 0; i < 3; ++i) {
    auto task = service_->Claim(worker_, "full").value();
    ASSERT_TRUE(task);
    EXPECT_EQ(task->task_input.at("labels").as_array().size(), 2u);
    boost::json::value answer = boost::json::parse(R"({"crowd-classifier":{"label":"dog"}})");
    EXPECT_EQ(service_->Submit(worker_, task->task_id, answer, 2.5).value(),
              store::SubmitOutcome::kAccepted);
    Tick();
  }
  EXPECT_FALSE(service_->Claim(worker_, "full").value());
  auto job = service_->DescribeJob("full").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.labeled, 3);
  auto manifest = objects_->ReadAll("s3://b/out/full/manifests/output/output.manifest").value();
  EXPECT_EQ(manifest.substr(0, manifest.find('\n')),
            R"({"source":"a","animal":1,"animal-metadata":{"confidence":0,"job-name":"labeling-job/full","class-name":"dog","human-annotated":"yes","creation-date":"2025-11-23T19:40:42.502000","type":"groundtruth/text-classification"}})");
}

TEST_F(LabelingTest, SubmitAndNextFindsTheTasksJobWhicheverReplicaHandedItOut) {
  // Another replica on the same store: it did not hand out this service's
  // tasks, nor this service its.
  Options o;
  o.account_id = "111122223333";
  LabelingService other(*store_, *objects_, clock_, o);
  ASSERT_TRUE(service_->CreateJob(Request("chain"), "us-west-2"));
  service_->RunOnce();
  const store::User peer = store_->CreateUser(test_support::TestWorker("peer")).value();
  boost::json::value answer = boost::json::parse(R"({"crowd-classifier":{"label":"dog"}})");
  auto first = service_->Claim(worker_, "chain").value();
  ASSERT_TRUE(first);
  // Someone else's task is refused, and claims them nothing.
  auto theirs = service_->SubmitAndClaimNext(peer, first->task_id, answer, 1);
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(store_->GetAssignment(first->task_id + 1));
  // Submitted through the other replica.
  auto a = other.SubmitAndClaimNext(worker_, first->task_id, answer, 1).value();
  EXPECT_EQ(a.outcome, store::SubmitOutcome::kAccepted);
  ASSERT_TRUE(a.next);
  EXPECT_EQ(a.next->job_name, "chain");
  // Its next submitted here; this one's next submitted here again.
  auto b = service_->SubmitAndClaimNext(worker_, a.next->task_id, answer, 1).value();
  EXPECT_EQ(b.outcome, store::SubmitOutcome::kAccepted);
  ASSERT_TRUE(b.next);
  auto c = service_->SubmitAndClaimNext(worker_, b.next->task_id, answer, 1).value();
  EXPECT_EQ(c.outcome, store::SubmitOutcome::kAccepted);
  EXPECT_FALSE(c.next);
  // A repeat is acknowledged without a second answer, here or there.
  EXPECT_EQ(service_->SubmitAndClaimNext(worker_, b.next->task_id, answer, 1).value().outcome,
            store::SubmitOutcome::kAlreadySubmitted);
  EXPECT_EQ(other.SubmitAndClaimNext(worker_, first->task_id, answer, 1).value().outcome,
            store::SubmitOutcome::kAlreadySubmitted);
  EXPECT_EQ(service_->SubmitAndClaimNext(worker_, 999999, answer, 1).error().code,
            ErrorCode::kNotFound);
}

TEST_F(LabelingTest, ATeamChangedOutsideThisServiceIsNotServedFromItsCache) {
  ASSERT_TRUE(service_->CreateJob(Request("shared"), "us-west-2"));
  service_->RunOnce();
  ASSERT_EQ(service_->JobsForWorker(worker_).value().size(), 1u);  // the team's groups cached
  // Another replica sharing the store changes the team (not through this
  // service): the store's word of it drops the cache.
  store::Workteam team =
      store_->GetWorkteamByArn(service_->DescribeJob("shared").value().workteam_arn).value();
  team.groups = {"elsewhere"};
  ASSERT_TRUE(store_->UpdateWorkteam(team));
  EXPECT_TRUE(service_->JobsForWorker(worker_).value().empty());
  EXPECT_EQ(service_->Claim(worker_, "shared").error().code, ErrorCode::kPermissionDenied);
}

TEST_F(LabelingTest, ExpiredLeaseRefusesLateSubmitAndReturnsTheTask) {
  ASSERT_TRUE(service_->CreateJob(Request("lease"), "us-west-2"));
  service_->RunOnce();
  auto task = service_->Claim(worker_, "lease").value();
  ASSERT_TRUE(task);
  clock_.Advance(std::chrono::seconds(61));
  auto late = service_->Submit(worker_, task->task_id, boost::json::parse("{}"), 0);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kConflict);
  auto again = service_->Claim(worker_, "lease").value();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->task_input.at("taskObject"), task->task_input.at("taskObject"));
}

TEST_F(LabelingTest, StopWritesOutputSoFarAndEndsStopped) {
  ASSERT_TRUE(service_->CreateJob(Request("stop"), "us-west-2"));
  service_->RunOnce();
  auto task = service_->Claim(worker_, "stop").value();
  ASSERT_TRUE(service_->Submit(worker_, task->task_id,
                               boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
  ASSERT_TRUE(service_->StopJob("stop"));
  EXPECT_EQ(service_->DescribeJob("stop").value().status, JobStatus::kStopping);
  Tick();
  auto job = service_->DescribeJob("stop").value();
  EXPECT_EQ(job.status, JobStatus::kStopped);
  EXPECT_EQ(job.labeled, 1);
  EXPECT_TRUE(job.output_written);
  EXPECT_EQ(service_->StopJob("stop").error().code, ErrorCode::kConflict);
  auto manifest = objects_->ReadAll("s3://b/out/stop/manifests/output/output.manifest").value();
  EXPECT_NE(manifest.find("\"class-name\":\"cat\""), std::string::npos);
  EXPECT_NE(manifest.find("{\"source\":\"b\",\"k\":1}\n"), std::string::npos);  // unlabeled: verbatim
}

TEST_F(LabelingTest, ObjectWithoutSourceFailsAloneAndRestartResumes) {
  ASSERT_TRUE(objects_->WriteAll("s3://b/mixed.manifest", "{\"source\":\"a\"}\n{\"other\":1}\n"));
  ASSERT_TRUE(service_->CreateJob(Request("mixed", "s3://b/mixed.manifest"), "us-west-2"));
  service_->RunOnce();
  auto job = service_->DescribeJob("mixed").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_EQ(job.failed, 1);
  // A new service over the same store (a restart) carries on where it was.
  service_ = std::make_unique<LabelingService>(*store_, *objects_, clock_, Options{"111122223333"});
  auto task = service_->Claim(worker_, "mixed").value();
  ASSERT_TRUE(task);
  ASSERT_TRUE(service_->Submit(worker_, task->task_id,
                               boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
  Tick();
  job = service_->DescribeJob("mixed").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  auto manifest = objects_->ReadAll("s3://b/out/mixed/manifests/output/output.manifest").value();
  EXPECT_NE(manifest.find("\"failure-reason\""), std::string::npos);
}

TEST_F(LabelingTest, MaxHumanLabeledObjectCountStopsReleasingObjects) {
  auto r = test_support::StoppingAt(Request("capped"), "MaxHumanLabeledObjectCount", 1);
  ASSERT_TRUE(service_->CreateJob(r, "us-west-2"));
  service_->RunOnce();
  auto task = service_->Claim(worker_, "capped").value();
  ASSERT_TRUE(task);
  ASSERT_TRUE(service_->Submit(worker_, task->task_id,
                               boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
  Tick();
  auto job = service_->DescribeJob("capped").value();
  EXPECT_EQ(job.status, JobStatus::kStopped);
  EXPECT_EQ(job.labeled, 1);
  EXPECT_TRUE(job.output_written);
  EXPECT_FALSE(service_->Claim(worker_, "capped").value());
}

TEST_F(LabelingTest, StoppingConditionLetsStartedObjectsFinish) {
  // N = 2, stop after 50% (2 of 3 objects). Two workers start objects 0 and 1
  // before the condition is met; they finish, and nothing new is started.
  auto r = test_support::StoppingAt(Request("half", "s3://b/m.manifest", 2),
                                    "MaxPercentageOfInputDatasetLabeled", 50);
  ASSERT_TRUE(service_->CreateJob(r, "us-west-2"));
  service_->RunOnce();
  store::User second = worker_;
  second.username = "w2";
  second.worker_key = "ffeeddccbbaa9988";
  second = store_->CreateUser(second).value();
  auto answer = boost::json::parse(R"({"c":{"label":"dog"}})");
  for (int round = 0; round < 2; ++round) {
    for (auto* w : {&worker_, &second}) {
      auto t = service_->Claim(*w, "half").value();
      ASSERT_TRUE(t) << "round " << round;
      ASSERT_TRUE(service_->Submit(*w, t->task_id, answer, 1));
    }
    Tick();
  }
  auto job = service_->DescribeJob("half").value();
  EXPECT_EQ(job.labeled, 2);
  EXPECT_EQ(job.status, JobStatus::kStopped);
}

TEST_F(LabelingTest, AvailabilityLifetimeSettlesWhatIsLeft) {
  auto r = Request("lifetime", "s3://b/m.manifest", 2);
  r["HumanTaskConfig"].as_object()["TaskAvailabilityLifetimeInSeconds"] = 60;
  ASSERT_TRUE(service_->CreateJob(r, "us-west-2"));
  service_->RunOnce();
  // Object 0 gets one of its two answers; nobody touches the others.
  auto t = service_->Claim(worker_, "lifetime").value();
  ASSERT_TRUE(t);
  ASSERT_TRUE(service_->Submit(worker_, t->task_id,
                               boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
  Tick();
  EXPECT_EQ(service_->DescribeJob("lifetime").value().status, JobStatus::kInProgress);
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_FALSE(service_->Claim(worker_, "lifetime").value());  // no task after the lifetime
  Tick();
  Tick();
  auto job = service_->DescribeJob("lifetime").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.labeled, 1);
  EXPECT_EQ(job.failed, 2);
  auto manifest = objects_->ReadAll("s3://b/out/lifetime/manifests/output/output.manifest").value();
  EXPECT_NE(manifest.find("TaskAvailabilityLifetimeInSeconds ran out"), std::string::npos);
  EXPECT_NE(manifest.find("\"class-name\":\"cat\""), std::string::npos);
}

TEST_F(LabelingTest, QualifiedBuiltinArnsRunTheirTaskType) {
  // A version or alias after the function name, in any region: the same
  // built-in as the API's validation sees (one table in tasktypes).
  auto r = Request("qualified");
  auto& h = r["HumanTaskConfig"].as_object();
  h["PreHumanTaskLambdaArn"] =
      "arn:aws:lambda:ap-south-1:565803892007:function:PRE-TextMultiClass:7";
  h["AnnotationConsolidationConfig"].as_object()["AnnotationConsolidationLambdaArn"] =
      "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass:$LATEST";
  ASSERT_TRUE(service_->CreateJob(r, "us-west-2"));
  service_->RunOnce();
  EXPECT_EQ(service_->DescribeJob("qualified").value().status, JobStatus::kInProgress);
  auto task = service_->Claim(worker_, "qualified").value();
  ASSERT_TRUE(task);
  EXPECT_EQ(task->task_input.at("taskObject"), "a");
}

TEST_F(LabelingTest, RefusalsReturnedToTheCallerCarryNoClientErrorPrefix) {
  // "ClientError:" belongs to a job's FailureReason only (Ground Truth's
  // form); what CreateLabelingJob refuses is a ValidationException message.
  auto algo = Request("algo");
  algo["LabelingJobAlgorithmsConfig"] = boost::json::parse(
      R"({"LabelingJobAlgorithmSpecificationArn":"arn:aws:sagemaker:us-west-2:027400017018:labeling-job-algorithm-specification/text-classification"})");
  auto e = service_->CreateJob(algo, "us-west-2");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.error().message,
            "automated data labeling (LabelingJobAlgorithmsConfig) is not supported");
  auto box = Request("box");
  auto& h = box["HumanTaskConfig"].as_object();
  h["PreHumanTaskLambdaArn"] = "arn:aws:lambda:us-west-2:081040173940:function:PRE-VideoMultiClass";
  h["AnnotationConsolidationConfig"].as_object()["AnnotationConsolidationLambdaArn"] =
      "arn:aws:lambda:us-west-2:081040173940:function:ACS-VideoMultiClass";
  auto ref = Request("ref");
  ref["LabelAttributeName"] = "animal-ref";
  for (auto* request : {&box, &ref}) {
    auto refused = service_->CreateJob(*request, "us-west-2");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(refused.error().message.find("ClientError"), std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(service_->CreateJob(box, "us-west-2").error().message,
            "task type VideoMultiClass is not supported yet");
  EXPECT_EQ(service_->CreateJob(ref, "us-west-2").error().message,
            "LabelAttributeName 'animal-ref' must not end with \"-ref\" for task type "
            "TextMultiClass.");
}

TEST_F(LabelingTest, AHistoryThatFailedToLoadIsLoadedAgainNotKeptEmpty) {
  // A second connection to the same database, through the fault wrapper.
  store::FaultInjectingStore faulty(
      store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value());
  Options o;
  o.account_id = "111122223333";
  LabelingService service(faulty, *objects_, clock_, o);
  auto answer = boost::json::parse(R"({"crowd-classifier":{"label":"dog"}})");
  auto label_next = [&] {
    auto task = service.Claim(worker_, "hist").value();
    ASSERT_TRUE(task);
    ASSERT_TRUE(service.Submit(worker_, task->task_id, answer, 1));
  };
  ASSERT_TRUE(service.CreateJob(Request("hist"), "us-west-2"));
  service.RunOnce();
  ASSERT_NO_FATAL_FAILURE(label_next());

  faulty.FailNext("ForEachLabeledAnswer");
  clock_.Advance(std::chrono::milliseconds(1001));
  service.RunOnce();
  // Without its history the batch waits: nothing is consolidated.
  EXPECT_EQ(faulty.injected_failures(), 1);
  EXPECT_EQ(service.DescribeJob("hist").value().labeled, 0);

  clock_.Advance(std::chrono::milliseconds(1001));
  service.RunOnce();  // the next pass reads the history again
  EXPECT_EQ(service.DescribeJob("hist").value().labeled, 1);

  ASSERT_NO_FATAL_FAILURE(label_next());
  // Loaded once, then kept: a read now would meet this fault.
  faulty.FailNext("ForEachLabeledAnswer");
  clock_.Advance(std::chrono::milliseconds(1001));
  service.RunOnce();
  EXPECT_EQ(faulty.injected_failures(), 1);
  EXPECT_EQ(service.DescribeJob("hist").value().labeled, 2);
  service.Shutdown();
}

// Chaining under the same LabelAttributeName (spec §5.5) continues the
// earlier job: lines already labeled under the name pass through unchanged
// and stay out of the counters; a line the earlier job failed (metadata
// only) is labeled again; a new name labels every line.
TEST_F(LabelingTest, ChainedJobUnderTheSameAttributeLabelsOnlyWhatIsLeft) {
  const std::string carried =
      R"({"source":"a","animal":0,"animal-metadata":{"class-name":"cat","job-name":"labeling-job/first"}})";
  ASSERT_TRUE(objects_->WriteAll(
      "s3://b/chained.manifest",
      carried + "\n" +
          R"({"source":"b","animal-metadata":{"failure-reason":"ClientError: r","job-name":"labeling-job/first"}})" +
          "\n{\"source\":\"c\"}\n"));
  ASSERT_TRUE(service_->CreateJob(Request("chained", "s3://b/chained.manifest"), "us-west-2"));
  service_->RunOnce();
  auto job = service_->DescribeJob("chained").value();
  EXPECT_EQ(job.status, JobStatus::kInProgress);
  EXPECT_EQ(job.object_count, 2);
  std::vector<std::string> shown;
  for (;;) {
    auto task = service_->Claim(worker_, "chained").value();
    if (!task) break;
    shown.push_back(std::string(task->task_input.at("taskObject").as_string()));
    boost::json::value answer = boost::json::parse(R"({"crowd-classifier":{"label":"dog"}})");
    ASSERT_EQ(service_->Submit(worker_, task->task_id, answer, 2.5).value(),
              store::SubmitOutcome::kAccepted);
    Tick();
  }
  EXPECT_EQ(shown, (std::vector<std::string>{"b", "c"}));
  job = service_->DescribeJob("chained").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.labeled, 2);
  EXPECT_EQ(job.failed, 0);
  auto manifest = objects_->ReadAll("s3://b/out/chained/manifests/output/output.manifest").value();
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = manifest.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(manifest.substr(at, nl - at));
  ASSERT_EQ(lines.size(), 3u) << manifest;
  EXPECT_EQ(lines[0], carried);  // verbatim
  for (int i : {1, 2}) {
    auto line = boost::json::parse(lines[i]).as_object();
    EXPECT_EQ(line.at("animal"), 1) << lines[i];
    EXPECT_EQ(line.at("animal-metadata").at("class-name"), "dog") << lines[i];
    EXPECT_FALSE(line.at("animal-metadata").as_object().contains("failure-reason")) << lines[i];
    EXPECT_EQ(line.at("animal-metadata").at("job-name"), "labeling-job/chained") << lines[i];
  }

  // Every line already labeled: nothing to do, the job completes at once
  // with its input as output.
  ASSERT_TRUE(objects_->WriteAll("s3://b/done.manifest", carried + "\n"));
  ASSERT_TRUE(service_->CreateJob(Request("nothing-left", "s3://b/done.manifest"), "us-west-2"));
  service_->RunOnce();
  Tick();
  job = service_->DescribeJob("nothing-left").value();
  EXPECT_EQ(job.status, JobStatus::kCompleted);
  EXPECT_EQ(job.object_count, 0);
  EXPECT_EQ(objects_->ReadAll("s3://b/out/nothing-left/manifests/output/output.manifest").value(),
            carried + "\n");

  // A new name labels every line again, the earlier labels kept.
  auto renamed = Request("chained-new", "s3://b/chained.manifest");
  renamed["LabelAttributeName"] = "animal-2";
  ASSERT_TRUE(service_->CreateJob(renamed, "us-west-2"));
  service_->RunOnce();
  EXPECT_EQ(service_->DescribeJob("chained-new").value().object_count, 3);
}

// An audit of earlier labels (adjustment, verification) must name its own
// attribute: refused at creation when the first lines show the reuse, and the
// job fails when a later line does.
TEST_F(LabelingTest, AnAuditJobReusingTheAuditedAttributeIsRefused) {
  auto audit = [&](const std::string& name, const std::string& manifest) {
    auto r = Request(name, manifest);
    auto& h = r["HumanTaskConfig"].as_object();
    h["PreHumanTaskLambdaArn"] =
        "arn:aws:lambda:us-west-2:081040173940:function:PRE-VerificationBoundingBox";
    h["AnnotationConsolidationConfig"].as_object()["AnnotationConsolidationLambdaArn"] =
        "arn:aws:lambda:us-west-2:081040173940:function:ACS-VerificationBoundingBox";
    return r;
  };
  ASSERT_TRUE(objects_->WriteAll(
      "s3://b/boxes.manifest",
      R"({"source-ref":"s3://b/x.jpg","animal":{"annotations":[]},"animal-metadata":{}})" "\n"));
  auto refused = service_->CreateJob(audit("verify", "s3://b/boxes.manifest"), "us-west-2");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("line 1 of the input manifest: LabelAttributeName 'animal' "
                                         "is already a key of the line"),
            std::string::npos)
      << refused.error().message;

  std::string late;
  for (int i = 0; i < 101; ++i) late += "{\"source-ref\":\"s3://b/x.jpg\"}\n";
  late += R"({"source-ref":"s3://b/y.jpg","animal-metadata":{"failure-reason":"r"}})" "\n";
  ASSERT_TRUE(objects_->WriteAll("s3://b/late.manifest", late));
  ASSERT_TRUE(service_->CreateJob(audit("late", "s3://b/late.manifest"), "us-west-2"));
  service_->RunOnce();
  auto job = service_->DescribeJob("late").value();
  EXPECT_EQ(job.status, JobStatus::kFailed);
  EXPECT_NE(job.failure_reason.find("line 102 of the input manifest: LabelAttributeName 'animal' "
                                    "is already a key of the line (\"animal-metadata\")"),
            std::string::npos)
      << job.failure_reason;
}

}  // namespace
}  // namespace plumbline::labeling
