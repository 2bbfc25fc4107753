// The admin console's JSON API, dispatched through http::Router (no
// network) over a real SQLite store, labeling service and identity: who may
// call it (admins only, CSRF on writes), the job list with its counters,
// sorting, filters and pages, a job's details and figures, the objects
// browser and its filters, Stop, the rendered template (View labeling tool)
// and the long poll.
#include "console/console.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "common/ids.hpp"
#include "identity/identity.hpp"
#include "job_request.hpp"
#include "kms/kms.hpp"
#include "labeling/labeling.hpp"
#include "portal/media.hpp"
#include "portal/worker_api.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

namespace plumbline::console {
namespace {
namespace fs = std::filesystem;
using boost::json::object;

class ConsoleApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-console-api-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = store::OpenStore({"sqlite:" + (dir_ / "db").string(), false}).value();
    objects_ = storage::OpenLocal(dir_.string());
    labeling::Options o;
    o.account_id = "111122223333";
    service_ = std::make_unique<labeling::LabelingService>(*store_, *objects_, clock_, o);
    identity_ = std::make_unique<identity::Identity>(*store_, clock_);
    media_ = std::make_unique<portal::MediaSigner>("media-key", *objects_, clock_);
    kms::KeyRingOptions kopts;
    kopts.root_key_hex = RandomHex(32);
    kopts.region = "us-west-2";
    kopts.account_id = identity_->options().account_id;
    ring_ = kms::KeyRing::Open(*store_, kopts, clock_).value();
    keys_ = std::make_unique<kms::KeyService>(*ring_, *identity_);
    service_->SetKeyRing(ring_.get());
    ConsoleOptions copts;
    copts.max_wait_seconds = 5;
    console_ = std::make_unique<Console>(*service_, *store_, *identity_, *objects_, media_.get(), copts);
    console_->SetKeyService(keys_.get());
    console_->Register(router_);
    // The portal's routes beside the console's, as the server has them
    // (invitations are accepted there).
    worker_api_ = std::make_unique<portal::WorkerApi>(*service_, *identity_, nullptr, portal::PortalOptions{});
    worker_api_->Register(router_);

    ASSERT_NO_FATAL_FAILURE(labeling::test_support::MakeJobInputs(
        *objects_, *service_,
        "{\"source\":\"a\"}\n{\"source\":\"b\"}\n{\"source\":\"c\"}\n{\"source\":\"<b>d</b>\"}\n"));
    ASSERT_TRUE(service_->CreateJob(
        labeling::test_support::TextJobRequest("pets", "s3://b/m.manifest", 2), "us-west-2"));
    service_->RunOnce();
    ASSERT_TRUE(identity_->CreateUser({"boss", "boss-password", {}, true}));
    ASSERT_TRUE(identity_->CreateUser({"w1", "w1-password", {"g"}, false}));
    ASSERT_TRUE(identity_->CreateUser({"w2", "w2-password", {"g"}, false}));
    admin_ = SignIn("boss", "boss-password");
    worker_ = identity_->SignIn("w1", "w1-password", {"test", ""}).signed_in->session;
  }
  void TearDown() override {
    worker_api_.reset();
    console_.reset();
    service_.reset();
    keys_.reset();
    ring_.reset();
    identity_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // Signs in through the console's login route; returns the session the
  // cookie names with the CSRF token the answer carries.
  store::Session SignIn(const std::string& user, const std::string& password) {
    http::Response r = Call("POST", "/console/api/login", nullptr,
                            "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}");
    EXPECT_EQ(r.status, 200) << r.body;
    store::Session s;
    for (const auto& h : r.headers)
      if (h.name == "Set-Cookie") {
        auto start = h.value.find('=') + 1;
        s.token = h.value.substr(start, h.value.find(';') - start);
      }
    s.csrf_token = std::string(Body(r).at("csrfToken").as_string());
    return s;
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const store::Session* who, const std::string& body = "",
                      bool with_csrf = true) {
    http::Request r;
    r.method = method;
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    r.remote_address = "127.0.0.1";
    if (who) {
      r.headers.push_back({"Cookie", std::string(portal::kSessionCookie) + "=" + who->token});
      if (with_csrf) r.headers.push_back({"X-CSRF-Token", who->csrf_token});
    }
    return router_.Dispatch(r);
  }
  http::Response Get(const std::string& target) { return Call("GET", target, &admin_); }
  // A JSON POST without a session (the invitation routes of the portal).
  http::Response PostJson(const std::string& path, const std::string& body, bool json_type = true) {
    http::Request r;
    r.method = "POST";
    r.target = r.path = path;
    r.body = body;
    r.remote_address = "10.1.2.3";
    if (json_type) r.headers.push_back({"Content-Type", "application/json"});
    return router_.Dispatch(r);
  }
  std::vector<store::AuditEntry> AuditOf(const std::string& action) {
    std::vector<store::AuditEntry> out;
    for (const auto& e : identity_->ListAudit(0, 1000).value())
      if (e.action == action) out.push_back(e);
    return out;
  }
  static object Body(const http::Response& r) { return boost::json::parse(r.body).as_object(); }

  store::User User(const std::string& name) { return identity_->GetUser(name).value(); }
  // `worker` claims the next task of "pets" and answers `label` after `seconds`.
  int64_t Answer(const std::string& worker, const std::string& label, int seconds) {
    auto task = service_->Claim(User(worker), "pets").value();
    EXPECT_TRUE(task);
    if (!task) return -1;
    clock_.Advance(std::chrono::seconds(seconds));
    boost::json::value answer = boost::json::parse("{\"animal\":{\"label\":\"" + label + "\"}}");
    EXPECT_TRUE(service_->Submit(User(worker), task->task_id, answer, seconds));
    return task->task_id;
  }

  fs::path dir_;
  FakeClock clock_{1'763'926'841'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<storage::ObjectStore> objects_;
  std::unique_ptr<labeling::LabelingService> service_;
  std::unique_ptr<identity::Identity> identity_;
  std::unique_ptr<portal::MediaSigner> media_;
  std::unique_ptr<kms::KeyRing> ring_;
  std::unique_ptr<kms::KeyService> keys_;
  std::unique_ptr<Console> console_;
  std::unique_ptr<portal::WorkerApi> worker_api_;
  http::Router router_;
  store::Session admin_, worker_;
};

TEST_F(ConsoleApiTest, WorkersAndStrangersAreRefusedEverywhere) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/console/api/jobs"},
      {"GET", "/console/api/changes?since=0&wait=0"},
      {"GET", "/console/api/jobs/pets"},
      {"GET", "/console/api/jobs/pets/stats"},
      {"GET", "/console/api/jobs/pets/objects"},
      {"GET", "/console/api/jobs/pets/output"},
      {"POST", "/console/api/jobs/pets/stop"},
      {"POST", "/console/api/jobs/pets/preview"},
      {"POST", "/console/api/logout"},
      {"GET", "/console/api/invitations"},
      {"POST", "/console/api/invitations"},
      {"GET", "/console/api/kms/keys"},
      {"POST", "/console/api/kms/keys"},
      {"GET", "/console/api/kms/keys/k"},
      {"POST", "/console/api/kms/keys/k/disable"},
      {"GET", "/console/api/no-such-route"},
  };
  for (const auto& [method, path] : routes) {
    http::Response as_worker = Call(method, path, &worker_, "{}");
    EXPECT_EQ(as_worker.status, 403) << method << " " << path;
    EXPECT_EQ(Body(as_worker).at("error"), "NotAdmin") << method << " " << path;
    http::Response anonymous = Call(method, path, nullptr, "{}");
    EXPECT_EQ(anonymous.status, 401) << method << " " << path;
  }
  // The pages: a worker gets the refusal page with 403; no session, the sign-in page.
  for (const char* page : {"/console", "/console/jobs/pets", "/console/jobs/pets/tool"}) {
    http::Response as_worker = Call("GET", page, &worker_);
    EXPECT_EQ(as_worker.status, 403) << page;
    EXPECT_NE(as_worker.body.find("admins"), std::string::npos) << page;
    http::Response anonymous = Call("GET", page, nullptr);
    EXPECT_EQ(anonymous.status, 200) << page;
    EXPECT_NE(anonymous.body.find("signin.js"), std::string::npos) << page;
    http::Response as_admin = Call("GET", page, &admin_);
    EXPECT_EQ(as_admin.status, 200) << page;
    EXPECT_NE(as_admin.body.find(admin_.csrf_token), std::string::npos) << page;
    bool has_csp = false;
    for (const auto& h : as_admin.headers)
      if (h.name == "Content-Security-Policy") has_csp = h.value.find("default-src 'self'") == 0;
    EXPECT_TRUE(has_csp) << page;
  }
  // A worker who signs in to the console is told why, and holds no session after.
  http::Response login = Call("POST", "/console/api/login", nullptr,
                              R"({"username":"w2","password":"w2-password"})");
  EXPECT_EQ(login.status, 403);
  EXPECT_EQ(Body(login).at("error"), "NotAdmin");
  for (const auto& h : login.headers) EXPECT_NE(h.name, "Set-Cookie");
  http::Response wrong = Call("POST", "/console/api/login", nullptr,
                              R"({"username":"boss","password":"nope-nope"})");
  EXPECT_EQ(wrong.status, 401);
  // Writes need the CSRF token.
  http::Response no_csrf = Call("POST", "/console/api/jobs/pets/stop", &admin_, "{}", false);
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(Body(no_csrf).at("error"), "CsrfTokenMismatch");
  store::Session forged = admin_;
  forged.csrf_token = "0000";
  EXPECT_EQ(Call("POST", "/console/api/jobs/pets/stop", &forged, "{}").status, 403);
  EXPECT_EQ(service_->DescribeJob("pets").value().status, store::JobStatus::kInProgress);
}

TEST_F(ConsoleApiTest, JobListHasCountersSortsFiltersAndPages) {
  for (const char* name : {"alpha", "beta", "gamma"}) {
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_TRUE(service_->CreateJob(
        labeling::test_support::TextJobRequest(name, "s3://b/m.manifest", 1), "us-west-2"));
  }
  service_->RunOnce();
  Answer("w1", "cat", 3);  // pets: one object has one of its two answers
  auto task = service_->Claim(User("w2"), "alpha").value();
  ASSERT_TRUE(task);

  http::Response r = Get("/console/api/jobs");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = Body(r);
  EXPECT_EQ(body.at("total"), 4);
  auto jobs = body.at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 4u);
  // Newest first by default.
  EXPECT_EQ(jobs[0].at("name"), "gamma");
  EXPECT_EQ(jobs[3].at("name"), "pets");
  auto pets = jobs[3].as_object();
  EXPECT_EQ(pets.at("status"), "InProgress");
  EXPECT_EQ(pets.at("taskType"), "TextMultiClass");
  EXPECT_EQ(pets.at("counters").at("total"), 4);
  EXPECT_EQ(pets.at("counters").at("inProgress"), 1);
  EXPECT_EQ(pets.at("counters").at("left"), 3);
  EXPECT_EQ(pets.at("counters").at("labeled"), 0);
  EXPECT_EQ(jobs[2].at("counters").at("inProgress"), 1);  // alpha: a live lease

  auto by_name = Body(Get("/console/api/jobs?sort=name&order=asc")).at("jobs").as_array();
  EXPECT_EQ(by_name[0].at("name"), "alpha");
  EXPECT_EQ(by_name[3].at("name"), "pets");
  auto filtered = Body(Get("/console/api/jobs?name=ET"));
  EXPECT_EQ(filtered.at("total"), 2);  // beta, pets
  auto paged = Body(Get("/console/api/jobs?sort=name&order=asc&offset=1&limit=2"));
  EXPECT_EQ(paged.at("total"), 4);
  ASSERT_EQ(paged.at("jobs").as_array().size(), 2u);
  EXPECT_EQ(paged.at("jobs").as_array()[0].at("name"), "beta");
  EXPECT_EQ(Body(Get("/console/api/jobs?status=Stopped")).at("total"), 0);
  EXPECT_EQ(Get("/console/api/jobs?status=Sleeping").status, 400);
  EXPECT_EQ(Get("/console/api/jobs?sort=colour").status, 400);
}

TEST_F(ConsoleApiTest, AJobsDetailsFiguresAndObjects) {
  // Object 0: both say cat. Object 1: cat and dog. Object 2: both dog.
  Answer("w1", "cat", 4);   // w1 object 0
  Answer("w2", "cat", 6);   // w2 object 0
  Answer("w1", "cat", 10);  // w1 object 1
  Answer("w2", "dog", 2);   // w2 object 1
  Answer("w1", "dog", 8);   // w1 object 2
  Answer("w2", "dog", 4);   // w2 object 2
  service_->RunOnce();      // consolidates the three objects

  auto job = Body(Get("/console/api/jobs/pets"));
  EXPECT_EQ(job.at("describe").at("LabelingJobName"), "pets");
  EXPECT_EQ(job.at("describe").at("LabelCounters").at("TotalLabeled"), 3);
  EXPECT_EQ(job.at("describe").at("HumanTaskConfig").at("NumberOfHumanWorkersPerDataObject"), 2);
  EXPECT_EQ(job.at("counters").at("labeled"), 3);
  EXPECT_EQ(job.at("counters").at("left"), 1);
  EXPECT_EQ(job.at("labels"), boost::json::parse(R"(["cat","dog"])"));
  EXPECT_EQ(Get("/console/api/jobs/nope").status, 404);

  auto stats = Body(Get("/console/api/jobs/pets/stats"));
  auto progress = stats.at("progress").as_array();
  ASSERT_GE(progress.size(), 2u);
  EXPECT_EQ(progress.back().at("answers"), 6);
  EXPECT_EQ(progress.back().at("finished"), 3);
  EXPECT_EQ(stats.at("throughput").at("answers"), 6);
  // Six answers over 30 s of submits: five intervals in half a minute.
  EXPECT_NEAR(stats.at("throughput").at("perMinute").as_double(), 10.0, 0.01);
  auto consolidated = stats.at("labels").at("consolidated").as_array();
  ASSERT_EQ(consolidated.size(), 2u);
  int64_t cats = 0, dogs = 0;
  for (const auto& l : consolidated)
    (l.at("label") == "cat" ? cats : dogs) = l.at("count").as_int64();
  EXPECT_EQ(cats + dogs, 3);
  auto answers = stats.at("labels").at("answers").as_array();
  EXPECT_EQ(answers[0].at("label"), "cat");  // 3 each: by name
  EXPECT_EQ(answers[0].at("count"), 3);
  auto workers = stats.at("workers").as_array();
  ASSERT_EQ(workers.size(), 2u);
  for (const auto& w : workers) {
    EXPECT_EQ(w.at("answers"), 3);
    EXPECT_EQ(w.at("compared"), 3);
    double median = w.at("worker") == "w1" ? 8 : 4;
    EXPECT_DOUBLE_EQ(w.at("medianSeconds").as_double(), median) << w.at("worker");
  }
  // Object 1's consolidated label is one of the two: exactly one worker
  // disagreed with it there, so the agreements add up to 5 of 6.
  EXPECT_EQ(workers[0].at("agreed").as_int64() + workers[1].at("agreed").as_int64(), 5);

  auto all = Body(Get("/console/api/jobs/pets/objects?limit=10"));
  auto list = all.at("objects").as_array();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].at("source"), "a");
  EXPECT_EQ(list[0].at("state"), "labeled");
  EXPECT_EQ(list[0].at("label"), "cat");
  EXPECT_TRUE(list[0].at("confidence").is_double());
  EXPECT_EQ(list[0].at("answers").as_array().size(), 2u);
  EXPECT_EQ(list[0].at("answers").as_array()[0].at("answer").at("animal").at("label"), "cat");
  EXPECT_EQ(list[3].at("source"), "<b>d</b>");  // data, as stored; the page escapes it
  EXPECT_EQ(list[3].at("state"), "open");
  EXPECT_TRUE(all.at("next").is_null());

  auto disagree = Body(Get("/console/api/jobs/pets/objects?filter=disagreement"));
  ASSERT_EQ(disagree.at("objects").as_array().size(), 1u);
  EXPECT_EQ(disagree.at("objects").as_array()[0].at("index"), 1);
  auto low = Body(Get("/console/api/jobs/pets/objects?filter=low-confidence&threshold=1"));
  EXPECT_EQ(low.at("objects").as_array().size(), 3u);
  auto none = Body(Get("/console/api/jobs/pets/objects?filter=low-confidence&threshold=0"));
  EXPECT_EQ(none.at("objects").as_array().size(), 0u);
  auto open = Body(Get("/console/api/jobs/pets/objects?filter=open"));
  ASSERT_EQ(open.at("objects").as_array().size(), 1u);
  auto page = Body(Get("/console/api/jobs/pets/objects?from=1&limit=2"));
  ASSERT_EQ(page.at("objects").as_array().size(), 2u);
  EXPECT_EQ(page.at("objects").as_array()[0].at("index"), 1);
  EXPECT_EQ(page.at("next"), 3);
  http::Response bad = Get("/console/api/jobs/pets/objects?filter=sideways");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("filter"), std::string::npos);
  EXPECT_EQ(Get("/console/api/jobs/pets/objects?filter=low-confidence&threshold=2").status, 400);
}

TEST_F(ConsoleApiTest, PreviewRendersTheTemplateForAnObjectOrAPastedLine) {
  http::Response first = Call("POST", "/console/api/jobs/pets/preview", &admin_, "{}");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Body(first).at("html"), "<p>a</p>");
  EXPECT_EQ(Body(first).at("taskInput").at("taskObject"), "a");
  EXPECT_EQ(Body(first).at("index"), 0);
  // Data objects are escaped by the template's autoescape.
  http::Response hostile = Call("POST", "/console/api/jobs/pets/preview", &admin_, R"({"index":3})");
  ASSERT_EQ(hostile.status, 200) << hostile.body;
  EXPECT_EQ(Body(hostile).at("html"), "<p>&lt;b&gt;d&lt;/b&gt;</p>");
  http::Response pasted = Call("POST", "/console/api/jobs/pets/preview", &admin_,
                               R"({"line":"{\"source\":\"<script>alert(1)</script>\"}"})");
  ASSERT_EQ(pasted.status, 200) << pasted.body;
  EXPECT_EQ(Body(pasted).at("html"), "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
  EXPECT_TRUE(Body(pasted).at("index").is_null());

  http::Response not_json = Call("POST", "/console/api/jobs/pets/preview", &admin_, R"({"line":"nope"})");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("line"), std::string::npos);
  http::Response no_source = Call("POST", "/console/api/jobs/pets/preview", &admin_, R"({"line":"{}"})");
  EXPECT_EQ(no_source.status, 400);
  http::Response too_far = Call("POST", "/console/api/jobs/pets/preview", &admin_, R"({"index":9})");
  EXPECT_EQ(too_far.status, 404);
  EXPECT_NE(too_far.body.find("index"), std::string::npos);
}

TEST_F(ConsoleApiTest, StopStopsTheJobOnceAndIsAudited) {
  http::Response stop = Call("POST", "/console/api/jobs/pets/stop", &admin_, "{}");
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(service_->DescribeJob("pets").value().status, store::JobStatus::kStopping);
  EXPECT_EQ(Call("POST", "/console/api/jobs/pets/stop", &admin_, "{}").status, 409);
  EXPECT_EQ(Call("POST", "/console/api/jobs/nope/stop", &admin_, "{}").status, 404);
  auto audit = identity_->ListAudit(0, 100).value();
  int stops = 0;
  for (const auto& e : audit)
    if (e.action == "console:StopLabelingJob" && e.actor == "boss" && e.target == "pets") ++stops;
  EXPECT_EQ(stops, 2);
  // The runner finishes it; the output manifest can then be downloaded.
  service_->RunOnce();
  EXPECT_EQ(service_->DescribeJob("pets").value().status, store::JobStatus::kStopped);
  http::Response out = Get("/console/api/jobs/pets/output");
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.body.find("\"source\":\"a\""), std::string::npos);
}

TEST_F(ConsoleApiTest, TheLongPollAnswersOnACommitOrWhenItsTimeIsUp) {
  int64_t version = Body(Get("/console/api/changes?since=-1")).at("version").as_int64();
  // Nothing changes: answered after the wait.
  auto start = std::chrono::steady_clock::now();
  auto quiet = Body(Get("/console/api/changes?since=" + std::to_string(version) + "&wait=1"));
  EXPECT_EQ(quiet.at("version"), version);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  // A submit meanwhile: answered with the new version well before the wait.
  auto waiting = std::async(std::launch::async, [&] {
    return Body(Get("/console/api/changes?since=" + std::to_string(version) + "&wait=5"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  start = std::chrono::steady_clock::now();
  Answer("w1", "cat", 1);
  auto moved = waiting.get();
  EXPECT_GT(moved.at("version").as_int64(), version);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));

  // Stop (the server is stopping) answers a waiting poll at once, and later ones too.
  // (The poll above answered at the claim's commit; the submit's came after.)
  int64_t now_version = Body(Get("/console/api/changes?since=-1")).at("version").as_int64();
  auto held = std::async(std::launch::async, [&] {
    return Body(Get("/console/api/changes?since=" + std::to_string(now_version) + "&wait=5"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  start = std::chrono::steady_clock::now();
  console_->Stop();
  EXPECT_EQ(held.get().at("version"), now_version);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  start = std::chrono::steady_clock::now();
  Get("/console/api/changes?since=" + std::to_string(now_version) + "&wait=5");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(ConsoleApiTest, TheLongPollFollowsTheStoresWordOfJobChangesAndNothingElse) {
  int64_t version = Body(Get("/console/api/changes?since=-1")).at("version").as_int64();
  // A change of jobs the store heard of from elsewhere (another replica's
  // commit on a shared database) answers a waiting poll at once.
  auto waiting = std::async(std::launch::async, [&] {
    return Body(Get("/console/api/changes?since=" + std::to_string(version) + "&wait=5"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = std::chrono::steady_clock::now();
  store_->Feed().Publish(store::changes::kJobs);
  auto moved = waiting.get();
  EXPECT_GT(moved.at("version").as_int64(), version);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // Runner leases, audit entries, people: nothing the job list or a job's
  // page shows; a poll waits them out.
  version = moved.at("version").as_int64();
  auto quiet = std::async(std::launch::async, [&] {
    return Body(Get("/console/api/changes?since=" + std::to_string(version) + "&wait=1"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(store_->AcquireLease("job:1", "elsewhere", 1000, 100));
  store_->Feed().Publish(store::changes::kPeople | store::changes::kKeys);
  EXPECT_EQ(quiet.get().at("version"), version);
}

TEST_F(ConsoleApiTest, CloneAndCreateGoThroughTheModelsChecksAndAreAudited) {
  http::Response clone = Call("POST", "/console/api/jobs/pets/clone", &admin_, R"({"name":"pets-again"})");
  ASSERT_EQ(clone.status, 200) << clone.body;
  EXPECT_EQ(Body(clone).at("LabelingJobArn"),
            "arn:aws:sagemaker:us-west-2:111122223333:labeling-job/pets-again");
  auto copy = service_->DescribeJob("pets-again").value();
  auto original = service_->DescribeJob("pets").value();
  EXPECT_EQ(copy.workers_per_object, 2);
  EXPECT_EQ(copy.workteam_arn, original.workteam_arn);
  // A taken name, an invalid one, none.
  http::Response taken = Call("POST", "/console/api/jobs/pets/clone", &admin_, R"({"name":"PETS"})");
  EXPECT_EQ(taken.status, 409);
  http::Response invalid = Call("POST", "/console/api/jobs/pets/clone", &admin_, R"({"name":"no spaces"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(Body(invalid).at("error"), "ValidationException");
  EXPECT_NE(invalid.body.find("abelingJobName"), std::string::npos) << invalid.body;
  EXPECT_EQ(Call("POST", "/console/api/jobs/pets/clone", &admin_, "{}").status, 400);

  // The wizard's create: a full request, checked like the API's.
  auto request = labeling::test_support::TextJobRequest("fresh", "s3://b/m.manifest", 1);
  http::Response created = Call("POST", "/console/api/jobs", &admin_, boost::json::serialize(request));
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(service_->DescribeJob("fresh").value().workers_per_object, 1);
  request["LabelingJobName"] = "fresh2";
  request.erase("RoleArn");
  http::Response missing = Call("POST", "/console/api/jobs", &admin_, boost::json::serialize(request));
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("roleArn"), std::string::npos) << missing.body;
  int audited = 0;
  for (const auto& e : identity_->ListAudit(0, 100).value())
    if (e.actor == "boss" && (e.action == "console:CloneLabelingJob" || e.action == "console:CreateLabelingJob"))
      ++audited;
  EXPECT_EQ(audited, 5);
}

TEST_F(ConsoleApiTest, WizardHelpersListUploadAndPreview) {
  auto types = Body(Get("/console/api/task-types")).at("taskTypes").as_array();
  bool text = false;
  for (const auto& t : types) text = text || t.at("name") == "TextMultiClass";
  EXPECT_TRUE(text);
  auto teams = Body(Get("/console/api/workteams")).at("workteams").as_array();
  ASSERT_EQ(teams.size(), 1u);
  EXPECT_EQ(teams[0].at("arn"), labeling::test_support::kTeamArn);
  EXPECT_TRUE(Body(Get("/console/api/kms-keys")).at("keys").as_array().empty());

  http::Response up = Call("POST", "/console/api/upload?uri=s3://b/new/list.manifest", &admin_,
                           "{\"source\":\"x\"}\n");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(objects_->ReadAll("s3://b/new/list.manifest").value(), "{\"source\":\"x\"}\n");
  for (const char* bad : {"s3://b", "s3://b/", "file:///etc/passwd", "s3://b/../../x", "s3://b//x", "s3://b/./x"}) {
    http::Response refused = Call("POST", std::string("/console/api/upload?uri=") + bad, &admin_, "x");
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_NE(refused.body.find("uri"), std::string::npos) << bad;
  }

  http::Response preview = Call("POST", "/console/api/render-template", &admin_,
                                R"({"template":"<p>{{ task.input.taskObject }}|{{ task.input.labels | join: ','}}</p>",)"
                                R"("line":"{\"source\":\"<i>x</i>\"}","labels":["cat","dog"],"taskType":"TextMultiClass"})");
  ASSERT_EQ(preview.status, 200) << preview.body;
  EXPECT_EQ(Body(preview).at("html"), "<p>&lt;i&gt;x&lt;/i&gt;|cat,dog</p>");
  http::Response broken = Call("POST", "/console/api/render-template", &admin_,
                               R"({"template":"{% if %}","line":"{\"source\":\"x\"}"})");
  ASSERT_EQ(broken.status, 200) << broken.body;
  EXPECT_EQ(Body(broken).at("problem").at("field"), "template");
  EXPECT_EQ(Body(broken).at("problem").at("code"), "InvalidTemplate");
  EXPECT_NE(broken.body.find("line 1"), std::string::npos) << broken.body;
  // A line the type cannot take is the preview's problem too, not a failed request.
  http::Response no_source = Call("POST", "/console/api/render-template", &admin_,
                                  R"({"template":"<p>x</p>","line":"{\"other\":1}","taskType":"TextMultiClass"})");
  ASSERT_EQ(no_source.status, 200) << no_source.body;
  EXPECT_EQ(Body(no_source).at("problem").at("field"), "line");
  EXPECT_NE(no_source.body.find("source"), std::string::npos) << no_source.body;
  // Not the wizard's shape at all: a 400.
  EXPECT_EQ(Call("POST", "/console/api/render-template", &admin_, R"({"line":"{}"})").status, 400);
}

TEST_F(ConsoleApiTest, PeopleAndKeysGoThroughIdentityAndAreAudited) {
  http::Response added = Call("POST", "/console/api/users", &admin_,
                              R"({"username":"carol","password":"carol-password","groups":["g"],"admin":false})");
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(Body(added).at("groups"), boost::json::parse(R"(["g"])"));
  EXPECT_EQ(Call("POST", "/console/api/users", &admin_, R"({"username":"carol","password":"carol-password"})").status, 409);
  http::Response short_password = Call("POST", "/console/api/users", &admin_, R"({"username":"dan","password":"short"})");
  EXPECT_EQ(short_password.status, 400);
  EXPECT_NE(short_password.body.find("8"), std::string::npos);
  auto users = Body(Get("/console/api/users")).at("users").as_array();
  EXPECT_EQ(users.size(), 4u);

  EXPECT_EQ(Call("POST", "/console/api/users/carol/groups", &admin_, R"({"groups":["g","h"]})").status, 200);
  EXPECT_EQ(identity_->GetUser("carol").value().groups.size(), 2u);
  EXPECT_EQ(Call("POST", "/console/api/users/carol/disable", &admin_, "{}").status, 200);
  EXPECT_TRUE(identity_->GetUser("carol").value().disabled);
  EXPECT_EQ(Call("POST", "/console/api/users/carol/enable", &admin_, "{}").status, 200);
  EXPECT_EQ(Call("POST", "/console/api/users/boss/disable", &admin_, "{}").status, 409);
  EXPECT_EQ(Call("POST", "/console/api/users/nobody/disable", &admin_, "{}").status, 404);
  EXPECT_EQ(Call("POST", "/console/api/users/carol/fly", &admin_, "{}").status, 404);
  EXPECT_EQ(Call("POST", "/console/api/users/carol/password", &admin_, R"({"password":"another-password"})").status, 200);
  EXPECT_TRUE(identity_->SignIn("carol", "another-password", {"test", ""}).status);

  http::Response key = Call("POST", "/console/api/users/boss/access-keys", &admin_, "{}");
  ASSERT_EQ(key.status, 200) << key.body;
  std::string id(Body(key).at("AccessKeyId").as_string());
  EXPECT_EQ(Body(key).at("SecretAccessKey").as_string().size(), 40u);
  auto keys = Body(Get("/console/api/access-keys")).at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_FALSE(keys[0].as_object().contains("SecretAccessKey"));
  EXPECT_EQ(keys[0].at("active"), true);
  EXPECT_EQ(Call("POST", "/console/api/access-keys/" + id + "/revoke", &admin_, "{}").status, 200);
  EXPECT_EQ(Body(Get("/console/api/access-keys")).at("keys").as_array()[0].at("active"), false);
  EXPECT_FALSE(store_->FindAccessKey(id).value());

  auto audit = Body(Get("/console/api/audit?q=carol")).at("entries").as_array();
  EXPECT_GE(audit.size(), 6u);
  EXPECT_EQ(audit[0].at("action"), "portal:login");  // newest first: the sign-in above
  EXPECT_EQ(audit[1].at("action"), "console:users:reset-password");
  auto revoked = Body(Get("/console/api/audit?q=revoke")).at("entries").as_array();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].at("target").as_string(), id);
  // A worker reaches none of it.
  EXPECT_EQ(Call("GET", "/console/api/users", &worker_).status, 403);
  EXPECT_EQ(Call("POST", "/console/api/users", &worker_, R"({"username":"x","password":"xxxxxxxxxx"})").status, 403);
}

TEST_F(ConsoleApiTest, AnInvitationIsAOneTimeLinkThatSignsTheNewWorkerIn) {
  http::Response made = Call("POST", "/console/api/invitations", &admin_,
                             R"({"username":"erin","groups":["g"],"expiresInSeconds":3600})");
  ASSERT_EQ(made.status, 200) << made.body;
  std::string token(Body(made).at("token").as_string());
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(Body(made).at("path").as_string(), "/worker/invite#" + token);
  EXPECT_EQ(Body(made).at("state"), "pending");
  EXPECT_EQ(Body(made).at("invitedBy"), "boss");
  // Refused: an existing user's name, a lifetime out of bounds, a worker, no CSRF token.
  EXPECT_EQ(Call("POST", "/console/api/invitations", &admin_, R"({"username":"w1"})").status, 409);
  EXPECT_EQ(Call("POST", "/console/api/invitations", &admin_, R"({"username":"x","expiresInSeconds":5})").status, 400);
  EXPECT_EQ(Call("POST", "/console/api/invitations", &worker_, R"({"username":"x"})").status, 403);
  EXPECT_EQ(Call("POST", "/console/api/invitations", &admin_, R"({"username":"x"})", false).status, 403);
  EXPECT_EQ(Call("GET", "/console/api/invitations", &worker_).status, 403);
  // The list and the audit log never show the token.
  http::Response list = Get("/console/api/invitations");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token), std::string::npos);
  EXPECT_EQ(Body(list).at("invitations").as_array().size(), 1u);
  auto invites = AuditOf("console:users:invite");
  ASSERT_EQ(invites.size(), 3u);  // made, refused for w1, refused for its lifetime
  EXPECT_EQ(invites[0].target, "erin");
  EXPECT_EQ(invites[0].outcome, "ok");
  EXPECT_EQ(invites[1].target, "w1");
  EXPECT_EQ(invites[1].outcome, "Refused");
  EXPECT_EQ(invites[2].outcome, "Refused");
  for (const auto& e : identity_->ListAudit(0, 1000).value()) EXPECT_EQ(e.detail.find(token), std::string::npos);

  // The portal: the link's token checks, then sets a password and signs in.
  EXPECT_EQ(PostJson("/worker/api/invitation", R"({"token":")" + token + "\"}", false).status, 415);
  http::Response check = PostJson("/worker/api/invitation", R"({"token":")" + token + "\"}");
  ASSERT_EQ(check.status, 200) << check.body;
  EXPECT_EQ(Body(check).at("username"), "erin");
  std::string forged = token;
  forged[5] = forged[5] == '0' ? '1' : '0';
  http::Response bad = PostJson("/worker/api/invitation/accept", R"({"token":")" + forged + R"(","password":"erin-password"})");
  EXPECT_EQ(bad.status, 404);
  EXPECT_NE(bad.body.find("not valid"), std::string::npos);
  EXPECT_EQ(PostJson("/worker/api/invitation/accept", R"({"token":")" + token + R"(","password":"short"})").status, 400);
  http::Response in = PostJson("/worker/api/invitation/accept", R"({"token":")" + token + R"(","password":"erin-password"})");
  ASSERT_EQ(in.status, 200) << in.body;
  bool cookie = false;
  for (const auto& h : in.headers)
    if (h.name == "Set-Cookie" && h.value.rfind(std::string(portal::kSessionCookie) + "=", 0) == 0) cookie = true;
  EXPECT_TRUE(cookie);
  EXPECT_EQ(identity_->GetUser("erin").value().groups, std::vector<std::string>{"g"});
  EXPECT_FALSE(identity_->GetUser("erin").value().is_admin);
  // Once only.
  http::Response again = PostJson("/worker/api/invitation/accept", R"({"token":")" + token + R"(","password":"other-password"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("already used"), std::string::npos);
  EXPECT_EQ(PostJson("/worker/api/invitation", R"({"token":")" + token + "\"}").status, 409);
  EXPECT_EQ(Body(Get("/console/api/invitations")).at("invitations").as_array()[0].at("state"), "accepted");
  auto accepts = AuditOf("portal:accept-invitation");
  ASSERT_EQ(accepts.size(), 4u);  // forged, short password, ok, used
  EXPECT_EQ(accepts[2].outcome, "ok");
  EXPECT_EQ(accepts[2].source, "10.1.2.3");

  // Expired links are refused with the time they expired.
  http::Response late = Call("POST", "/console/api/invitations", &admin_, R"({"username":"fred","expiresInSeconds":300})");
  ASSERT_EQ(late.status, 200);
  clock_.Advance(std::chrono::seconds(301));
  http::Response expired = PostJson("/worker/api/invitation/accept",
                                    R"({"token":")" + std::string(Body(late).at("token").as_string()) + R"(","password":"fred-password"})");
  EXPECT_EQ(expired.status, 409);
  EXPECT_NE(expired.body.find("expired on"), std::string::npos);
  EXPECT_EQ(identity_->GetUser("fred").error().code, ErrorCode::kNotFound);
}

TEST_F(ConsoleApiTest, KmsKeysAreListedCreatedAndManagedThroughTheKeyRing) {
  EXPECT_EQ(Call("GET", "/console/api/kms/keys", &worker_).status, 403);
  EXPECT_EQ(Call("POST", "/console/api/kms/keys", &worker_, "{}").status, 403);
  http::Response made = Call("POST", "/console/api/kms/keys", &admin_,
                             R"({"description":"outputs <b>of</b> pets","alias":"pets-out","allowedUsers":["boss"]})");
  ASSERT_EQ(made.status, 200) << made.body;
  std::string id(Body(made).at("keyId").as_string());
  EXPECT_EQ(Body(made).at("aliases"), boost::json::parse(R"(["alias/pets-out"])"));
  EXPECT_EQ(Body(made).at("state"), "Enabled");
  // The alias is taken now: KMS's own exception name comes back.
  http::Response taken = Call("POST", "/console/api/kms/keys", &admin_, R"({"alias":"pets-out"})");
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(Body(taken).at("error"), "AlreadyExistsException");
  EXPECT_EQ(Call("POST", "/console/api/kms/keys", &admin_, R"({"policy":"{not json"})").status, 400);

  auto keys = Body(Get("/console/api/kms/keys")).at("keys").as_array();
  bool listed = false;
  for (const auto& k : keys)
    if (k.at("keyId") == id.c_str()) listed = k.at("description") == "outputs <b>of</b> pets";
  EXPECT_TRUE(listed);
  http::Response one = Get("/console/api/kms/keys/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  std::string policy(Body(one).at("policy").as_string());
  EXPECT_NE(policy.find(":user/boss"), std::string::npos);
  EXPECT_EQ(Get("/console/api/kms/keys/alias/pets-out").status, 404);  // one path segment: the id
  EXPECT_EQ(Get("/console/api/kms/keys/00000000-0000-0000-0000-000000000000").status, 404);

  auto state = [&](const std::string& action, const std::string& body = "{}") {
    http::Response r = Call("POST", "/console/api/kms/keys/" + id + "/" + action, &admin_, body);
    EXPECT_EQ(r.status, 200) << action << ": " << r.body;
    return r.status == 200 ? std::string(Body(r).at("state").as_string()) : std::string();
  };
  EXPECT_EQ(state("disable"), "Disabled");
  EXPECT_EQ(ring_->DescribeKey(id).value().state, "Disabled");
  EXPECT_EQ(state("enable"), "Enabled");
  http::Response too_soon = Call("POST", "/console/api/kms/keys/" + id + "/schedule-deletion", &admin_, R"({"days":3})");
  EXPECT_EQ(too_soon.status, 400) << too_soon.body;
  EXPECT_EQ(state("schedule-deletion", R"({"days":7})"), "PendingDeletion");
  EXPECT_TRUE(Body(Get("/console/api/kms/keys/" + id)).at("deletionDate").is_int64());
  EXPECT_EQ(state("cancel-deletion"), "Disabled");  // as AWS does
  EXPECT_EQ(Call("POST", "/console/api/kms/keys/" + id + "/cancel-deletion", &admin_, "{}").status, 409);
  EXPECT_EQ(Call("POST", "/console/api/kms/keys/" + id + "/fly", &admin_, "{}").status, 404);
  EXPECT_EQ(Call("POST", "/console/api/kms/keys/" + id + "/disable", &admin_, "{}", false).status, 403);

  // Audited as the KMS API audits: by the admin, with the key.
  bool created = false, disabled = false;
  for (const auto& e : identity_->ListAudit(0, 1000).value()) {
    if (e.action == "kms:CreateKey" && e.actor == "boss" && e.outcome == "ok") created = true;
    if (e.action == "kms:DisableKey" && e.actor == "boss" && e.target == id) disabled = true;
  }
  EXPECT_TRUE(created);
  EXPECT_TRUE(disabled);
}

TEST_F(ConsoleApiTest, AnEncryptedOutputIsDecryptedForThoseTheKeyPolicyAllows) {
  kms::CreateKeyRequest kr;
  kr.alias = "secret-out";
  std::string key = ring_->CreateKey(kr).value().key_id;  // AWS's default policy: the account only
  auto request = labeling::test_support::TextJobRequest("secret", "s3://b/m.manifest", 1);
  request["OutputConfig"].as_object()["KmsKeyId"] = key;
  ASSERT_TRUE(service_->CreateJob(request, "us-west-2"));
  service_->RunOnce();
  ASSERT_EQ(Call("POST", "/console/api/jobs/secret/stop", &admin_, "{}").status, 200);
  service_->RunOnce();
  ASSERT_TRUE(service_->DescribeJob("secret").value().output_written);
  // What is stored is not the manifest.
  auto stored = objects_->ReadAll(labeling::OutputRoot(service_->DescribeJob("secret").value()) +
                                  "/manifests/output/output.manifest");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->find("\"source\":\"a\""), std::string::npos);

  // The default policy delegates to the account: an admin may manage the
  // key but not use its data, so the download is refused, saying why.
  http::Response refused = Get("/console/api/jobs/secret/output");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Body(refused).at("error"), "AccessDenied");
  std::string why(Body(refused).at("message").as_string());
  EXPECT_NE(why.find(key), std::string::npos);
  EXPECT_NE(why.find("user/boss"), std::string::npos);
  EXPECT_NE(why.find("kms:Decrypt"), std::string::npos);

  // A policy naming the admin lets the console decrypt it.
  std::string account = identity_->options().account_id;
  std::string policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)" +
                       account + R"(:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::)" +
                       account + R"(:user/boss"},"Action":"kms:Decrypt","Resource":"*"}]})";
  boost::json::object put;
  put["policy"] = policy;
  ASSERT_EQ(Call("POST", "/console/api/kms/keys/" + key + "/policy", &admin_, boost::json::serialize(put)).status, 200);
  http::Response out = Get("/console/api/jobs/secret/output");
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.body.find("\"source\":\"a\""), std::string::npos);
  EXPECT_NE(out.body.find("\"source\":\"<b>d</b>\""), std::string::npos);

  auto decrypts = AuditOf("kms:Decrypt");
  ASSERT_EQ(decrypts.size(), 2u);
  EXPECT_EQ(decrypts[0].outcome, "PermissionDenied");
  EXPECT_EQ(decrypts[1].outcome, "ok");
  EXPECT_EQ(decrypts[1].actor, "boss");
  auto downloads = AuditOf("console:DownloadOutput");
  ASSERT_EQ(downloads.size(), 2u);
  EXPECT_EQ(downloads[0].outcome, "PermissionDenied");
  EXPECT_EQ(downloads[1].outcome, "ok");
  EXPECT_EQ(downloads[1].target, "secret");
  // A worker gets nothing of it.
  EXPECT_EQ(Call("GET", "/console/api/jobs/secret/output", &worker_).status, 403);
}

}  // namespace
}  // namespace plumbline::console
