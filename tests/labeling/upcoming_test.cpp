// LabelingService::UpcomingTask: the hint of the task a worker will likely
// get next (whose media the labeling page fetches ahead), read without
// claiming anything.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "job_request.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

namespace plumbline::labeling {
namespace {
namespace fs = std::filesystem;

class UpcomingTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-upcoming-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value();
    objects_ = storage::OpenLocal(dir_.string());
    Options o;
    o.account_id = "111122223333";
    service_ = std::make_unique<LabelingService>(*store_, *objects_, clock_, o);
    // Objects "o0" .. "o11".
    std::string manifest;
    for (int i = 0; i < 12; ++i) manifest += "{\"source\":\"o" + std::to_string(i) + "\"}\n";
    ASSERT_NO_FATAL_FAILURE(test_support::MakeJobInputs(*objects_, *service_, manifest));
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  // A job of the test manifest with N workers per object, in progress.
  void StartJob(const std::string& name, int workers_per_object) {
    ASSERT_TRUE(service_->CreateJob(
        test_support::TextJobRequest(name, "s3://b/m.manifest", workers_per_object), "us-west-2"));
    service_->RunOnce();
    ASSERT_EQ(service_->DescribeJob(name).value().status, store::JobStatus::kInProgress);
  }
  store::User Worker(const std::string& name) {
    return store_->CreateUser(test_support::TestWorker(name)).value();
  }
  // The worker's claim; fails the test when there is none.
  ClaimedTask Claim(const store::User& w, const std::string& job) {
    auto task = service_->Claim(w, job);
    EXPECT_TRUE(task) << task.error().message;
    EXPECT_TRUE(task && *task) << w.username << " got nothing";
    return task && *task ? **task : ClaimedTask{};
  }
  static std::string ObjectOf(const ClaimedTask& t) {
    return std::string(t.task_input.at("taskObject").as_string());
  }
  // "o<i>" of the hint, "none" when there is none, the error's code name else.
  std::string Upcoming(const store::User& w, int64_t task_id) {
    auto next = service_->UpcomingTask(w, task_id);
    if (!next) return next.error().code == ErrorCode::kNotFound ? "not found" : next.error().message;
    return *next ? ObjectOf(**next) : "none";
  }
  store::ObjectAnswers Object(const std::string& job, int64_t index) {
    const int64_t id = service_->DescribeJob(job).value().id;
    return store_->GetObjectsWithAnswers(id, {index}).value().front();
  }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'501};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<LabelingService> service_;
};

TEST_F(UpcomingTaskTest, TheNextObjectAsAClaimWouldShowItWithoutClaimingIt) {
  ASSERT_NO_FATAL_FAILURE(StartJob("next", 2));
  const auto w = Worker("w"), v = Worker("v");
  const ClaimedTask held = Claim(w, "next");
  ASSERT_EQ(ObjectOf(held), "o0");
  auto next = service_->UpcomingTask(w, held.task_id);
  ASSERT_TRUE(next) << next.error().message;
  ASSERT_TRUE(*next);
  const ClaimedTask& hint = **next;
  EXPECT_EQ(hint.task_id, 0);  // nothing was claimed: no task id
  EXPECT_EQ(hint.job_name, "next");
  EXPECT_EQ(hint.job_id, held.job_id);
  EXPECT_EQ(json::Serialize(hint.task_input),
            R"({"taskObject":"o1","labels":["cat","dog"],"manifestLine":{"source":"o1"}})");
  ASSERT_TRUE(hint.task_template);
  EXPECT_EQ(*hint.task_template, "<p>{{ task.input.taskObject }}</p>");
  EXPECT_EQ(hint.deadline, held.deadline);
  EXPECT_EQ(hint.lease_seconds, 60);
  // Nothing leased: o1 is as it was, and the hint can be asked again.
  EXPECT_EQ(Object("next", 1).object.leases, 0);
  EXPECT_EQ(Upcoming(w, held.task_id), "o1");
  // Another worker's claim still goes to o0, which is in progress.
  EXPECT_EQ(ObjectOf(Claim(v, "next")), "o0");
}

TEST_F(UpcomingTaskTest, PassesOverObjectsThatAreFullOrTheWorkerAnswered) {
  ASSERT_NO_FATAL_FAILURE(StartJob("skip", 2));
  const auto u = Worker("u"), v = Worker("v"), w = Worker("w");
  const ClaimedTask u0 = Claim(u, "skip");
  const ClaimedTask v0 = Claim(v, "skip");
  ASSERT_EQ(ObjectOf(u0), "o0");
  ASSERT_EQ(ObjectOf(v0), "o0");  // o0 now has its two places leased
  const ClaimedTask w1 = Claim(w, "skip");
  ASSERT_EQ(ObjectOf(w1), "o1");
  // From o0, v looks at o1: one answer short, not v's.
  EXPECT_EQ(Upcoming(v, v0.task_id), "o1");
  ASSERT_TRUE(service_->Submit(w, w1.task_id, boost::json::parse(R"({"c":{"label":"cat"}})"), 1));
  ASSERT_TRUE(service_->Release(u, u0.task_id));
  const ClaimedTask w0 = Claim(w, "skip");
  ASSERT_EQ(ObjectOf(w0), "o0");
  // w holds o0 and answered o1 already: its next is o2. v's is still o1.
  EXPECT_EQ(Upcoming(w, w0.task_id), "o2");
  EXPECT_EQ(Upcoming(v, v0.task_id), "o1");
  // o1 filled by u's lease (1 answer + 1 lease = N): v too goes on to o2.
  ASSERT_EQ(ObjectOf(Claim(u, "skip")), "o1");
  EXPECT_EQ(Upcoming(v, v0.task_id), "o2");
}

TEST_F(UpcomingTaskTest, LooksAFewObjectsAheadAndNotPastTheEnd) {
  ASSERT_NO_FATAL_FAILURE(StartJob("ahead", 1));
  const auto w = Worker("w");
  const ClaimedTask held = Claim(w, "ahead");
  ASSERT_EQ(ObjectOf(held), "o0");
  // o1 .. o8 leased by eight other workers: the next free object, o9, is
  // beyond what the hint looks at.
  std::vector<std::pair<store::User, ClaimedTask>> others;
  for (int i = 1; i <= 8; ++i) {
    auto x = Worker("x" + std::to_string(i));
    ClaimedTask t = Claim(x, "ahead");
    ASSERT_EQ(ObjectOf(t), "o" + std::to_string(i));
    others.emplace_back(x, t);
  }
  EXPECT_EQ(Upcoming(w, held.task_id), "none");
  ASSERT_TRUE(service_->Release(others.back().first, others.back().second.task_id));
  EXPECT_EQ(Upcoming(w, held.task_id), "o8");
  // From the last object there is nothing after it.
  for (int i = 8; i <= 10; ++i)
    ASSERT_EQ(ObjectOf(Claim(Worker("t" + std::to_string(i)), "ahead")), "o" + std::to_string(i));
  const auto z = Worker("z");
  const ClaimedTask last = Claim(z, "ahead");
  ASSERT_EQ(ObjectOf(last), "o11");
  EXPECT_EQ(Upcoming(z, last.task_id), "none");
}

TEST_F(UpcomingTaskTest, NothingOnceTheJobIsStopped) {
  ASSERT_NO_FATAL_FAILURE(StartJob("halt", 1));
  const auto w = Worker("w");
  const ClaimedTask held = Claim(w, "halt");
  EXPECT_EQ(Upcoming(w, held.task_id), "o1");
  ASSERT_TRUE(service_->StopJob("halt"));
  // The worker's lease lives on, but no claim will hand out o1 now.
  EXPECT_EQ(Upcoming(w, held.task_id), "none");
  service_->RunOnce();
  ASSERT_EQ(service_->DescribeJob("halt").value().status, store::JobStatus::kStopped);
  EXPECT_EQ(Upcoming(w, held.task_id), "none");
}

TEST_F(UpcomingTaskTest, OnlyForTheWorkersOwnLiveTask) {
  ASSERT_NO_FATAL_FAILURE(StartJob("own", 1));
  const auto w = Worker("w"), v = Worker("v");
  const ClaimedTask held = Claim(w, "own");
  EXPECT_EQ(Upcoming(v, held.task_id), "not found");  // not v's
  EXPECT_EQ(Upcoming(w, held.task_id + 1000), "not found");
  ASSERT_TRUE(service_->Submit(w, held.task_id, boost::json::parse(R"({"c":{"label":"dog"}})"), 1));
  EXPECT_EQ(Upcoming(w, held.task_id), "not found");  // submitted: no longer live
  const ClaimedTask again = Claim(w, "own");
  ASSERT_TRUE(service_->Release(w, again.task_id));
  EXPECT_EQ(Upcoming(w, again.task_id), "not found");  // released
  const ClaimedTask late = Claim(w, "own");
  EXPECT_EQ(Upcoming(w, late.task_id), ObjectOf(late) == "o1" ? "o2" : "o1");
  clock_.Advance(std::chrono::seconds(61));  // past the 60 s task time limit
  service_->RunOnce();                       // the lease expires
  EXPECT_EQ(Upcoming(w, late.task_id), "not found");
}

}  // namespace
}  // namespace plumbline::labeling
