#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <atomic>
#include <set>

#include "common/ids.hpp"

namespace plumbline::store {
namespace {
namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb-store-" + RandomHex(6));
    fs::create_directories(dir_);
    store_ = OpenSqlite({(dir_ / "db.sqlite").string(), false}).value();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  // `window`: how many objects are released at the start (MaxConcurrentTaskCount); all by default.
  int64_t MakeJob(const std::string& name, int objects, int64_t workers_per_object = 1,
                  int window = -1) {
    Job j;
    j.name = name;
    j.arn = "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/" + name;
    j.request_json = "{}";
    j.workteam_arn = "arn:team";
    j.job_reference_code = "x";
    j.created_ms = j.modified_ms = 1000;
    j.workers_per_object = workers_per_object;
    j.status = JobStatus::kInProgress;
    int64_t id = store_->CreateJob(j).value().id;
    std::vector<DataObject> objs;
    for (int i = 0; i < objects; ++i) {
      DataObject o;
      o.index = i;
      o.line = "{\"source\":\"" + std::to_string(i) + "\"}";
      objs.push_back(o);
    }
    EXPECT_TRUE(store_->InsertObjects(id, objs, 1000));
    EXPECT_TRUE(store_->ReleaseObjects(id, window < 0 ? objects : window, 1000));
    return id;
  }
  ClaimRequest Req(int64_t job, int64_t user, int64_t now) {
    ClaimRequest r;
    r.job_id = job;
    r.user_id = user;
    r.now_ms = now;
    r.lease_ms = 1000;
    return r;
  }
  fs::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, JobNamesAreUniqueCaseInsensitively) {
  MakeJob("Example-job", 0);
  Job dup;
  dup.name = "example-JOB";
  auto r = store_->CreateJob(dup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->GetJobByName("EXAMPLE-JOB").value().name, "Example-job");
  EXPECT_EQ(store_->GetJobByName("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, ListJobsCanLeaveOutEndedJobs) {
  int64_t done = MakeJob("done", 0);
  int64_t running = MakeJob("running", 0);
  ASSERT_TRUE(store_->SetJobStatus(done, JobStatus::kCompleted, "", 2000));
  JobFilter f;
  f.unfinished_only = true;
  auto jobs = store_->ListJobs(f).value();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, running);
  EXPECT_EQ(store_->ListJobs({}).value().size(), 2u);
}

TEST_F(StoreTest, CountersFollowObjectStates) {
  int64_t job = MakeJob("j", 3);
  EXPECT_EQ(store_->GetJob(job).value().object_count, 3);
  auto finished = store_->FinishObjects(job, {{0, ObjectState::kLabeled, "{}", ""},
                                               {1, ObjectState::kFailed, "", "bad"}}, 2000).value();
  ASSERT_TRUE(finished[0]);
  ASSERT_TRUE(finished[1]);
  EXPECT_EQ(store_->FinishObjects(job, {{1, ObjectState::kLabeled, "{}", ""}}, 2000).value()[0]
                .error().code,
            ErrorCode::kConflict);
  Job j = store_->GetJob(job).value();
  EXPECT_EQ(j.labeled, 1);
  EXPECT_EQ(j.failed, 1);
  EXPECT_EQ(store_->CountAvailable(job).value(), 1);
}

TEST_F(StoreTest, ClaimNeverGivesAnObjectTwiceToOneWorkerNorBeyondN) {
  int64_t job = MakeJob("j", 2, 2);
  // N = 2. A worker holding a task gets the same task back.
  auto a = store_->Claim(Req(job, 1, 100)).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_index, 0);
  EXPECT_EQ(store_->Claim(Req(job, 1, 150)).value()->id, a->id);
  ASSERT_TRUE(store_->Submit(a->id, 1, "{}", 1, 160));
  auto b = store_->Claim(Req(job, 1, 200)).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 1);  // never object 0 again
  ASSERT_TRUE(store_->Submit(b->id, 1, "{}", 1, 210));
  EXPECT_FALSE(store_->Claim(Req(job, 1, 220)).value());
  // Worker 2 takes object 0's second slot first (in-progress objects first), then object 1.
  auto c = store_->Claim(Req(job, 2, 230)).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 0);
  ASSERT_TRUE(store_->Submit(c->id, 2, "{}", 1, 240));
  auto d = store_->Claim(Req(job, 2, 250)).value();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->object_index, 1);
  // Object 0 has 2 answers, object 1 one answer and one live lease: nothing for worker 3.
  EXPECT_FALSE(store_->Claim(Req(job, 3, 260)).value());
}

TEST_F(StoreTest, SubmitIsIdempotentAndLateSubmitConflicts) {
  int64_t job = MakeJob("j", 2);
  auto a = store_->Claim(Req(job, 1, 100)).value();
  EXPECT_EQ(store_->Submit(a->id, 1, "{\"x\":1}", 1.5, 200).value(), SubmitOutcome::kAccepted);
  EXPECT_EQ(store_->Submit(a->id, 1, "{\"x\":1}", 1.5, 300).value(),
            SubmitOutcome::kAlreadySubmitted);
  EXPECT_EQ(store_->GetObject(job, 0).value().answers, 1);
  EXPECT_EQ(store_->Submit(a->id, 2, "{}", 0, 300).error().code, ErrorCode::kConflict);

  auto b = store_->Claim(Req(job, 1, 100)).value();
  ASSERT_TRUE(b);
  // The lease was 1000 ms: a submit at 1101 is too late and the object returns to the pool.
  EXPECT_EQ(store_->Submit(b->id, 1, "{}", 0, 1101).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->ExpireLeases(1101).value(), 1);
  EXPECT_EQ(store_->GetObject(job, 1).value().leases, 0);
  EXPECT_EQ(store_->ObjectsReadyToConsolidate(job, 10).value(), std::vector<int64_t>{0});
}

TEST_F(StoreTest, SubmitAndClaimSubmitsThenClaimsInOneCommit) {
  // N = 2 over two objects: worker 1 answers object 0 and gets object 1
  // (never object 0 again); worker 2 then gets object 0.
  int64_t job = MakeJob("j", 2, 2);
  auto a = store_->Claim(Req(job, 1, 100)).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_index, 0);
  auto both = store_->SubmitAndClaim(a->id, 1, "{\"x\":1}", 0, 200, Req(job, 1, 200)).value();
  EXPECT_EQ(both.first, SubmitOutcome::kAccepted);
  ASSERT_TRUE(both.second);
  EXPECT_EQ(both.second->object_index, 1);
  EXPECT_FALSE(both.second->object_line.empty());
  EXPECT_EQ(store_->GetObject(job, 0).value().answers, 1);
  EXPECT_EQ(store_->GetObject(job, 1).value().leases, 1);

  // A repeated submit still claims: the worker gets the task they hold.
  auto again = store_->SubmitAndClaim(a->id, 1, "{\"x\":1}", 0, 300, Req(job, 1, 300)).value();
  EXPECT_EQ(again.first, SubmitOutcome::kAlreadySubmitted);
  ASSERT_TRUE(again.second);
  EXPECT_EQ(again.second->id, both.second->id);
  EXPECT_EQ(store_->GetObject(job, 0).value().answers, 1);

  // A failed submit claims nothing and changes nothing.
  auto refused = store_->SubmitAndClaim(both.second->id, 2, "{}", 0, 300, Req(job, 2, 300));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->GetObject(job, 0).value().leases, 0);
  EXPECT_EQ(store_->GetObject(job, 1).value().leases, 1);
  auto b = store_->Claim(Req(job, 2, 300)).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 0);  // in progress, and worker 2 has not seen it

  // Worker 1's last answer: nothing left for them (each object once).
  auto last = store_->SubmitAndClaim(both.second->id, 1, "{}", 0, 400, Req(job, 1, 400)).value();
  EXPECT_EQ(last.first, SubmitOutcome::kAccepted);
  EXPECT_FALSE(last.second);
  EXPECT_EQ(store_->GetObject(job, 1).value().answers, 1);
}

TEST_F(StoreTest, AsyncWritesAnswerOnceEachAfterTheirCommit) {
  // 16 workers claim at once without waiting (N = 3 over 10 objects), then
  // submit, submit again, and one submits a task that is not theirs.
  int64_t job = MakeJob("async", 10, 3);
  std::mutex m;
  std::condition_variable cv;
  int answered = 0;
  auto wait_for = [&](int n) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return answered == n; });
  };
  std::map<int64_t, Assignment> claimed;  // by worker
  for (int64_t w = 1; w <= 16; ++w) {
    store_->ClaimAsync(Req(job, w, 100), [&, w](Result<std::optional<Assignment>> a) {
      std::lock_guard<std::mutex> lock(m);
      if (a && *a) claimed[w] = **a;
      ++answered;
      cv.notify_all();
    });
  }
  ASSERT_TRUE(wait_for(16));
  ASSERT_EQ(claimed.size(), 16u);
  int64_t leases = 0;
  for (int i = 0; i < 10; ++i) {
    auto o = store_->GetObject(job, i).value();
    EXPECT_LE(o.leases, 3);
    leases += o.leases;
  }
  EXPECT_EQ(leases, 16);  // committed before the callbacks ran

  std::vector<Result<SubmitOutcome>> outcomes;
  auto record = [&](Result<SubmitOutcome> r) {
    std::lock_guard<std::mutex> lock(m);
    outcomes.push_back(std::move(r));
    ++answered;
    cv.notify_all();
  };
  answered = 0;
  for (const auto& [w, a] : claimed) store_->SubmitAsync(a.id, w, "{\"x\":1}", 1, 200, record);
  ASSERT_TRUE(wait_for(16));
  for (const auto& [w, a] : claimed) store_->SubmitAsync(a.id, w, "{\"x\":1}", 1, 300, record);
  store_->SubmitAsync(claimed.at(1).id, 2, "{}", 1, 300, record);
  ASSERT_TRUE(wait_for(33));
  int accepted = 0, duplicates = 0, refused = 0;
  for (const auto& r : outcomes) {
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kConflict);
      ++refused;
    } else if (*r == SubmitOutcome::kAccepted) {
      ++accepted;
    } else {
      ++duplicates;
    }
  }
  EXPECT_EQ(accepted, 16);
  EXPECT_EQ(duplicates, 16);
  EXPECT_EQ(refused, 1);
  int64_t answers = 0;
  for (int i = 0; i < 10; ++i) answers += store_->GetObject(job, i).value().answers;
  EXPECT_EQ(answers, 16);

  // Submit and claim: the worker's next task comes with the outcome.
  std::optional<Result<std::pair<SubmitOutcome, std::optional<Assignment>>>> both;
  auto next = store_->Claim(Req(job, 1, 400)).value();
  ASSERT_TRUE(next);
  answered = 0;
  store_->SubmitAndClaimAsync(next->id, 1, "{}", 1, 500, Req(job, 1, 500), [&](auto r) {
    std::lock_guard<std::mutex> lock(m);
    both.emplace(std::move(r));
    ++answered;
    cv.notify_all();
  });
  ASSERT_TRUE(wait_for(1));
  ASSERT_TRUE(*both);
  EXPECT_EQ((*both)->first, SubmitOutcome::kAccepted);
  ASSERT_TRUE((*both)->second);
  EXPECT_NE((*both)->second->object_index, next->object_index);
}

TEST_F(StoreTest, ExpiredLeaseReturnsTaskAndDeclineIsPermanent) {
  int64_t job = MakeJob("j", 1);
  auto a = store_->Claim(Req(job, 1, 0)).value();
  ASSERT_TRUE(a);
  EXPECT_FALSE(store_->Claim(Req(job, 2, 500)).value());  // held by worker 1
  EXPECT_EQ(store_->ExpireLeases(1001).value(), 1);
  auto b = store_->Claim(Req(job, 2, 1001)).value();
  ASSERT_TRUE(b);
  ASSERT_TRUE(store_->EndLease(b->id, 2, AssignmentState::kDeclined, 1002));
  EXPECT_FALSE(store_->Claim(Req(job, 2, 1003)).value());  // declined: never again
  // N = 1 and its one place declined: offered to nobody else, ready to settle.
  EXPECT_FALSE(store_->Claim(Req(job, 3, 1003)).value());
  EXPECT_EQ(store_->ObjectsReadyToConsolidate(job, 10).value(), std::vector<int64_t>{0});

  int64_t other = MakeJob("k", 1);
  auto c = store_->Claim(Req(other, 3, 1003)).value();
  ASSERT_TRUE(c);
  ASSERT_TRUE(store_->EndLease(c->id, 3, AssignmentState::kReleased, 1004));
  EXPECT_TRUE(store_->Claim(Req(other, 3, 1005)).value());  // released: may take it again
}

TEST_F(StoreTest, TheWindowOfReleasedObjectsCapsNewObjects) {
  // MaxConcurrentTaskCount = 1, N = 2: object 1 is released only once
  // object 0 has its two answers.
  int64_t job = MakeJob("j", 3, 2, 1);
  auto a = store_->Claim(Req(job, 1, 0)).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_index, 0);
  ASSERT_TRUE(store_->Submit(a->id, 1, "{}", 1, 10));
  EXPECT_FALSE(store_->Claim(Req(job, 1, 20)).value());  // object 1 is not released yet
  auto b = store_->Claim(Req(job, 2, 30)).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 0);
  EXPECT_FALSE(store_->Claim(Req(job, 3, 40)).value());  // object 0 is taken twice, 1 not out
  ASSERT_TRUE(store_->Submit(b->id, 2, "{}", 1, 50));
  auto c = store_->Claim(Req(job, 3, 60)).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 1);
}

TEST_F(StoreTest, ObjectsWithAllAnswersInLeaveTheWindow) {
  // N = 1 and one released object at a time: once object 0's answer is in
  // (it now waits for consolidation only), object 1 may start.
  int64_t job = MakeJob("j2", 2, 1, 1);
  auto a = store_->Claim(Req(job, 1, 0)).value();
  ASSERT_TRUE(a);
  EXPECT_FALSE(store_->Claim(Req(job, 2, 5)).value());
  ASSERT_TRUE(store_->Submit(a->id, 1, "{}", 1, 10));
  auto b = store_->Claim(Req(job, 2, 20)).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 1);
}

TEST_F(StoreTest, AStoppingConditionStartsNoNewObject) {
  int64_t job = MakeJob("j", 3, 2);
  auto a = store_->Claim(Req(job, 1, 0)).value();
  ASSERT_TRUE(a);
  ClaimRequest r = Req(job, 2, 10);
  r.start_new_objects = false;
  auto b = store_->Claim(r).value();  // object 0 is started: still handed out
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 0);
  r.user_id = 3;
  EXPECT_FALSE(store_->Claim(r).value());
}

TEST_F(StoreTest, TheClaimReadsTheJobsStatusAndLabeledCountInItsTransaction) {
  // N = 1 over 3 objects; no new object once 1 is labeled.
  int64_t job = MakeJob("j", 3, 1);
  ClaimRequest r = Req(job, 1, 0);
  r.stop_at_labeled = 1;
  auto a = store_->Claim(r).value();
  ASSERT_TRUE(a);
  ASSERT_TRUE(store_->Submit(a->id, 1, "{}", 1, 10));
  ASSERT_TRUE(store_->FinishObjects(job, {{a->object_index, ObjectState::kLabeled, "{}", ""}}, 20)
                  .value()
                  .at(0));
  r.user_id = 2;
  r.now_ms = 30;
  EXPECT_FALSE(store_->Claim(r).value());  // the condition is met: nothing new starts
  r.stop_at_labeled = 2;
  auto b = store_->Claim(r).value();
  ASSERT_TRUE(b);
  // A job that is no longer in progress hands nothing out, whatever the caller read before.
  ASSERT_TRUE(store_->SetJobStatus(job, JobStatus::kStopping, "", 40));
  r.user_id = 3;
  r.now_ms = 50;
  EXPECT_FALSE(store_->Claim(r).value());
  EXPECT_FALSE(store_->Claim(Req(job, 2, 50)).value());  // not even a held task back
}

TEST_F(StoreTest, DeclinesUseUpPlacesAndAllDeclinedObjectsAwaitSettling) {
  // N = 2: two declines and object 0 is offered to nobody else; it is ready
  // to settle (with no answers: the runner fails it) and releases object 1.
  int64_t job = MakeJob("j", 2, 2, 1);
  for (int64_t w : {1, 2}) {
    auto a = store_->Claim(Req(job, w, 0)).value();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->object_index, 0);
    ASSERT_TRUE(store_->EndLease(a->id, w, AssignmentState::kDeclined, 1));
  }
  EXPECT_EQ(store_->ObjectsReadyToConsolidate(job, 10).value(), std::vector<int64_t>{0});
  auto c = store_->Claim(Req(job, 3, 2)).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 1);
}

TEST_F(StoreTest, ObjectsPastTheirAvailabilityAreNotHandedOutAndAwaitSettling) {
  int64_t job = MakeJob("j", 3, 2, 2);  // objects 0 and 1 released at t=1000
  ClaimRequest r = Req(job, 1, 1500);
  r.availability_ms = 1000;
  auto a = store_->Claim(r).value();
  ASSERT_TRUE(a);
  ASSERT_TRUE(store_->Submit(a->id, 1, "{}", 1, 1600));
  r.user_id = 2;
  r.now_ms = 2001;  // released at 1000, lifetime 1000 ms: over
  EXPECT_FALSE(store_->Claim(r).value());
  auto expired = store_->ExpiredObjects(job, 2001 - 1000, 10).value();
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(expired[0], (std::pair<int64_t, int64_t>{0, 1}));  // one answer: consolidate
  EXPECT_EQ(expired[1], (std::pair<int64_t, int64_t>{1, 0}));  // none: fails
  // Finishing object 1 before it was full releases object 2, whose lifetime starts now.
  ASSERT_TRUE(store_->FinishObjects(job, {{1, ObjectState::kFailed, "", "expired"}}, 2001).value()[0]);
  r.now_ms = 2002;
  auto b = store_->Claim(r).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 2);
}

TEST_F(StoreTest, UsersGroupsKeysSessionsAndTeams) {
  User u;
  u.username = "Alice";
  u.password_hash = "h";
  u.worker_key = "0123456789abcdef";
  u.sub = "s";
  u.groups = {"labelers", "a"};
  int64_t id = store_->CreateUser(u).value().id;
  EXPECT_EQ(store_->CreateUser(u).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->GetUserByName("alice").value().groups,
            (std::vector<std::string>{"a", "labelers"}));
  ASSERT_TRUE(store_->PutAccessKey({"AKIA1", "secret", id, false}));
  EXPECT_EQ(store_->FindAccessKey("AKIA1").value()->secret, "secret");
  EXPECT_FALSE(store_->FindAccessKey("nope").value());
  ASSERT_TRUE(store_->PutSession({"tok", id, "csrf", 99}));
  EXPECT_EQ(store_->FindSessionUser("tok").value()->first.csrf_token, "csrf");
  ASSERT_TRUE(store_->DeleteSession("tok"));
  EXPECT_FALSE(store_->FindSessionUser("tok").value());
  Workteam t;
  t.name = "team";
  t.arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team";
  t.doc_json = "{}";
  t.groups = {"labelers"};
  ASSERT_TRUE(store_->CreateWorkteam(t));
  EXPECT_EQ(store_->CreateWorkteam(t).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->GetWorkteamByArn(t.arn).value().groups, std::vector<std::string>{"labelers"});
}

TEST_F(StoreTest, ConcurrentWritersShareCommitsAndFailAlone) {
  // 32 threads create users; every fourth name is taken twice. With group
  // commit the failing duplicates share transactions with successful writes
  // and must roll back alone.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, dup{0};
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        User u;
        u.username = "u" + std::to_string(t % 4 == 3 ? t - 1 : t) + "-" + std::to_string(i);
        u.password_hash = "h";
        u.worker_key = "k";
        u.sub = "s";
        u.groups = {"g" + std::to_string(t)};
        auto r = store_->CreateUser(u);
        if (r) ++ok;
        else if (r.error().code == ErrorCode::kAlreadyExists) ++dup;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + dup, 640);
  EXPECT_EQ(dup, 160);
  auto users = store_->ListUsers().value();
  EXPECT_EQ(users.size(), 480u);
  for (const auto& u : users) EXPECT_EQ(u.groups.size(), 1u) << u.username;
}

TEST_F(StoreTest, ConcurrentClaimsNeverExceedN) {
  int64_t job = MakeJob("race", 10, 3);
  std::vector<std::thread> threads;
  std::atomic<int> claimed{0};
  for (int w = 1; w <= 16; ++w) {
    threads.emplace_back([&, w] {
      for (;;) {
        auto a = store_->Claim(Req(job, w, 100)).value();
        if (!a) break;
        ++claimed;
        ASSERT_EQ(store_->Submit(a->id, w, "{}", 1, 200).value(), SubmitOutcome::kAccepted);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(claimed, 30);
  for (int i = 0; i < 10; ++i) {
    auto answers = store_->GetObjectsWithAnswers(job, {i}).value().at(0).answers;
    ASSERT_EQ(answers.size(), 3u);
    std::set<int64_t> workers;
    for (const auto& a : answers) workers.insert(a.user_id);
    EXPECT_EQ(workers.size(), 3u);
  }
}

TEST_F(StoreTest, ReopenKeepsDataAndSchemaVersion) {
  int64_t job = MakeJob("persist", 2);
  store_.reset();
  store_ = OpenSqlite({(dir_ / "db.sqlite").string(), true}).value();
  EXPECT_EQ(store_->GetJob(job).value().object_count, 2);
  int count = 0;
  ASSERT_TRUE(store_->ForEachObject(job, [&](const DataObject&) { ++count; }));
  EXPECT_EQ(count, 2);
}

// A job running when a version-3 database is migrated keeps its answers,
// leases and declines: each object learns the answers it needs and its
// declines, and the started objects plus the next MaxConcurrentTaskCount are
// released at the job's creation time.
TEST_F(StoreTest, MigrationFourCarriesARunningJobOver) {
  fs::path db = dir_ / "old.sqlite";
  ASSERT_TRUE(OpenSqlite({db.string(), false, std::nullopt, 3}));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  const char* setup = R"sql(
    INSERT INTO jobs(id,name,arn,status,request,workteam_arn,job_reference_code,created_ms,
                     modified_ms,object_count)
      VALUES(1,'old','arn:old','InProgress',
             '{"HumanTaskConfig":{"NumberOfHumanWorkersPerDataObject":2,"MaxConcurrentTaskCount":2}}',
             'arn:team','x',5000,5000,5);
    INSERT INTO objects(job_id,idx,state,line,answers,leases) VALUES
      (1,0,0,'{"source":"0"}',1,1),(1,1,0,'{"source":"1"}',0,0),(1,2,0,'{"source":"2"}',0,0),
      (1,3,0,'{"source":"3"}',0,0),(1,4,0,'{"source":"4"}',0,0),(1,5,0,'{"source":"5"}',0,0);
    INSERT INTO assignments(job_id,idx,user_id,state,accepted_ms,deadline_ms,submitted_ms,answer)
      VALUES(1,0,7,1,5000,9000,5100,'{}'),(1,0,8,0,5200,999999999,0,''),
            (1,1,9,3,5300,9000,0,'');
  )sql";
  ASSERT_EQ(sqlite3_exec(raw, setup, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
  sqlite3_close(raw);

  auto migrated = OpenSqlite({db.string(), false}).value();
  EXPECT_EQ(migrated->GetJob(1).value().workers_per_object, 2);
  // Released at 5000: objects 0 and 1 (started) and 2, 3 (the next two).
  // Object 0 still has a live lease, so it is not among the settleable ones.
  auto expired = migrated->ExpiredObjects(1, 5001, 10).value();
  EXPECT_EQ(expired, (std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {2, 0}, {3, 0}}));
  ClaimRequest r;
  r.job_id = 1;
  r.now_ms = 6000;
  r.lease_ms = 1000;
  r.user_id = 9;  // declined object 1
  auto a = migrated->Claim(r).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_index, 2);  // 0 has one answer + one lease = N; 1 was declined by 9
  r.user_id = 10;
  auto b = migrated->Claim(r).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 1);  // one decline, one place left; started objects first
  r.user_id = 11;
  auto c = migrated->Claim(r).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 2);  // 1 is full now; 2 has one lease and a place left
  r.user_id = 12;
  auto d = migrated->Claim(r).value();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->object_index, 3);  // the last released object; 4 and 5 are not released
  r.user_id = 13;
  EXPECT_EQ(migrated->Claim(r).value()->object_index, 3);
  r.user_id = 14;
  EXPECT_FALSE(migrated->Claim(r).value());
}

}  // namespace
}  // namespace plumbline::store
