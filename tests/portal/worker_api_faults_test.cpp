// The worker API over a store that fails mid-job: the WorkerApi's routes,
// dispatched through http::Router (no network), over a LabelingService over
// a FaultInjectingStore. A submit whose commit fails answers 503 with the
// JSON error body, every answer acknowledged before is still stored, and
// the retried submit succeeds.
#include "portal/worker_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "common/ids.hpp"
#include "identity/identity.hpp"
#include "job_request.hpp"
#include "labeling/labeling.hpp"
#include "portal/media.hpp"
#include "portal/task_pages.hpp"
#include "storage/object_store.hpp"
#include "store/fault_injecting_store.hpp"

namespace plumbline::portal {
namespace {
namespace fs = std::filesystem;
using store::FaultInjectingStore;

class WorkerApiFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-worker-api-faults-" + RandomHex(6));
    fs::create_directories(dir_);
    auto inner = store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value();
    auto faulty = std::make_unique<FaultInjectingStore>(std::move(inner));
    faults_ = faulty.get();
    store_ = std::move(faulty);
    objects_ = storage::OpenLocal(dir_.string());
    labeling::Options o;
    o.account_id = "111122223333";
    service_ = std::make_unique<labeling::LabelingService>(*store_, *objects_, clock_, o);
    identity_ = std::make_unique<identity::Identity>(*store_, clock_);
    media_ = std::make_unique<MediaSigner>("media-key", *objects_, clock_);
    pages_ = std::make_unique<TaskPages>(media_.get());
    api_ = std::make_unique<WorkerApi>(*service_, *identity_, pages_.get(), PortalOptions{});
    api_->Register(router_);

    ASSERT_NO_FATAL_FAILURE(labeling::test_support::MakeJobInputs(
        *objects_, *service_, "{\"source\":\"a\"}\n{\"source\":\"b\"}\n{\"source\":\"c\"}\n"));
    ASSERT_TRUE(service_->CreateJob(
        labeling::test_support::TextJobRequest("faults", "s3://b/m.manifest", 1), "us-west-2"));
    service_->RunOnce();
    ASSERT_TRUE(identity_->CreateUser({"w", "w-password", {"g"}, false}));
    auto signed_in = identity_->SignIn("w", "w-password", {"test", ""});
    ASSERT_TRUE(signed_in.status);
    session_ = signed_in.signed_in->session;
  }
  void TearDown() override {
    api_.reset();
    service_.reset();
    identity_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  // A signed-in POST through the router.
  http::Response Post(const std::string& path, const std::string& body = "") {
    http::Request r;
    r.method = "POST";
    r.path = r.target = path;
    r.body = body;
    r.remote_address = "127.0.0.1";
    r.headers.push_back({"Cookie", std::string(kSessionCookie) + "=" + session_.token});
    r.headers.push_back({"X-CSRF-Token", session_.csrf_token});
    return router_.Dispatch(r);
  }
  http::Response Submit(const std::string& task_id, bool next) {
    return Post("/worker/api/tasks/" + task_id + "/submit",
                std::string(R"({"answer":{"crowd-classifier":{"label":"dog"}},"next":)") +
                    (next ? "true" : "false") + "}");
  }
  static boost::json::object Body(const http::Response& r) {
    return boost::json::parse(r.body).as_object();
  }
  // Stored answers of object `index` of the job.
  int64_t AnswersOf(int64_t index) {
    int64_t id = service_->DescribeJob("faults").value().id;
    return static_cast<int64_t>(
        store_->GetObjectsWithAnswers(id, {index}).value().at(0).answers.size());
  }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'501};
  std::unique_ptr<store::Store> store_;
  FaultInjectingStore* faults_ = nullptr;
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<labeling::LabelingService> service_;
  std::unique_ptr<identity::Identity> identity_;
  std::unique_ptr<MediaSigner> media_;
  std::unique_ptr<TaskPages> pages_;
  std::unique_ptr<WorkerApi> api_;
  http::Router router_;
  store::Session session_;
};

TEST_F(WorkerApiFaultsTest, AFailedSubmitCommitIs503LosesNothingAcknowledgedAndRetrySucceeds) {
  // The claim answers the task with its page, rendered by the portal.
  http::Response claim = Post("/worker/api/jobs/faults/claim");
  ASSERT_EQ(claim.status, 200) << claim.body;
  auto first = Body(claim);
  EXPECT_EQ(first.at("html"), "<p>a</p>");
  EXPECT_EQ(first.at("taskInput").at("taskObject"), "a");
  std::string first_id(first.at("taskId").as_string());

  // Acknowledged: the first answer, with the next task in the same commit.
  http::Response acked = Submit(first_id, true);
  ASSERT_EQ(acked.status, 200) << acked.body;
  auto next = Body(acked).at("next").as_object();
  EXPECT_EQ(next.at("html"), "<p>b</p>");
  std::string second_id(next.at("taskId").as_string());

  // The submit-and-next commit fails: 503 with the JSON error body.
  faults_->FailNext("SubmitAndClaim");
  http::Response failed = Submit(second_id, true);
  EXPECT_EQ(failed.status, 503);
  auto error = Body(failed);
  EXPECT_EQ(error.at("error"), "Unavailable");
  EXPECT_TRUE(error.at("message").is_string());
  EXPECT_EQ(AnswersOf(0), 1);  // acknowledged before: still stored
  EXPECT_EQ(AnswersOf(1), 0);

  // The retry goes through and moves on to the next task.
  http::Response retried = Submit(second_id, true);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Body(retried).at("status"), "accepted");
  auto third = Body(retried).at("next").as_object();
  EXPECT_EQ(third.at("html"), "<p>c</p>");
  std::string third_id(third.at("taskId").as_string());
  EXPECT_EQ(AnswersOf(1), 1);

  // The same for a plain submit.
  faults_->FailNext("Submit");
  http::Response plain = Submit(third_id, false);
  EXPECT_EQ(plain.status, 503);
  EXPECT_EQ(Body(plain).at("error"), "Unavailable");
  EXPECT_EQ(AnswersOf(0), 1);
  EXPECT_EQ(AnswersOf(1), 1);
  EXPECT_EQ(AnswersOf(2), 0);
  http::Response again = Submit(third_id, false);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Body(again).at("status"), "accepted");
  EXPECT_EQ(AnswersOf(2), 1);
  EXPECT_EQ(faults_->injected_failures(), 2);
}

// A claim whose commit fails is 503 too, and leases nothing: the next claim
// gets the first task.
// Claims and submits take the session from the cache and leave the
// identity version to their write. After a change to people or sessions the
// write is refused once, the request authenticated again and written again;
// a session the change ended is refused without anything written.
TEST_F(WorkerApiFaultsTest, AWriteAfterAnIdentityChangeIsAuthenticatedAgain) {
  http::Response claim = Post("/worker/api/jobs/faults/claim");
  ASSERT_EQ(claim.status, 200) << claim.body;
  std::string first_id(Body(claim).at("taskId").as_string());
  const int64_t refused_before = store_->Stats().identity_refused;

  // Another session of the worker ends: the identity version moves past the
  // one the cached session was read under.
  auto second = identity_->SignIn("w", "w-password", {"test", ""});
  ASSERT_TRUE(second.status);
  ASSERT_TRUE(identity_->SignOut(*second.signed_in, {"test", ""}));
  http::Response acked = Submit(first_id, true);
  ASSERT_EQ(acked.status, 200) << acked.body;
  EXPECT_EQ(Body(acked).at("status"), "accepted");
  std::string second_id(Body(acked).at("next").at("taskId").as_string());
  EXPECT_EQ(store_->Stats().identity_refused - refused_before, 1);
  EXPECT_EQ(AnswersOf(0), 1);

  // Written again under the new version: no refusal while nothing changes.
  http::Response plain = Submit(second_id, false);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(store_->Stats().identity_refused - refused_before, 1);
  EXPECT_EQ(AnswersOf(1), 1);

  // Disabling the worker ends their sessions: the cached one is refused by
  // the write, and the new lookup finds no session.
  http::Response third = Post("/worker/api/jobs/faults/claim");
  ASSERT_EQ(third.status, 200) << third.body;
  std::string third_id(Body(third).at("taskId").as_string());
  ASSERT_TRUE(identity_->SetDisabled("w", true));
  http::Response refused = Submit(third_id, false);
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(AnswersOf(2), 0);
  EXPECT_EQ(Post("/worker/api/jobs/faults/claim").status, 401);
  EXPECT_EQ(store_->Stats().identity_refused - refused_before, 2);
}

// The cached session's groups may be older than the worker's: a worker
// taken out of the team is refused by the claim's write and then by the
// current lookup (403); put back in, the refusal of the cached groups is
// checked against the current version and the claim made again (200).
TEST_F(WorkerApiFaultsTest, AClaimFollowsTheWorkersCurrentGroups) {
  http::Response claim = Post("/worker/api/jobs/faults/claim");
  ASSERT_EQ(claim.status, 200) << claim.body;
  std::string first_id(Body(claim).at("taskId").as_string());
  ASSERT_EQ(Submit(first_id, false).status, 200);

  ASSERT_TRUE(identity_->ChangeGroups("w", identity::GroupChange::kSet, {"other"}));
  http::Response out = Post("/worker/api/jobs/faults/claim");
  EXPECT_EQ(out.status, 403) << out.body;
  EXPECT_EQ(AnswersOf(1) +
                store_->GetObject(service_->DescribeJob("faults").value().id, 1).value().leases,
            0);

  ASSERT_TRUE(identity_->ChangeGroups("w", identity::GroupChange::kAdd, {"g"}));
  http::Response in = Post("/worker/api/jobs/faults/claim");
  EXPECT_EQ(in.status, 200) << in.body;
}

TEST_F(WorkerApiFaultsTest, AFailedClaimCommitIs503) {
  faults_->FailNext("Claim");
  http::Response failed = Post("/worker/api/jobs/faults/claim");
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(Body(failed).at("error"), "Unavailable");
  http::Response claim = Post("/worker/api/jobs/faults/claim");
  ASSERT_EQ(claim.status, 200) << claim.body;
  EXPECT_EQ(Body(claim).at("taskInput").at("taskObject"), "a");
}

}  // namespace
}  // namespace plumbline::portal
