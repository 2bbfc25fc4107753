// The PostgreSQL store's writer sends a batch's consecutive claims and
// submits as one statement (plb_write_batch). These tests make such a batch
// for certain: the writer is held on a claim that waits for an advisory lock
// the test holds, the writes queue behind it, and once the lock is let go
// they run together in the next transaction. Runs when PLUMBLINE_TEST_PG
// names a server (ctest's store_postgres_batch starts a throwaway one with
// scripts/with-postgres.sh); skipped otherwise.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/postgresql/pg_store.hpp"
#include "store/store.hpp"
#include "test_jobs.hpp"
#include "test_postgres.hpp"

namespace plumbline::store {
namespace {
using namespace std::chrono_literals;

constexpr int64_t kBlocker = 999;  // the user whose claim holds the writer

class PostgresBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = test_postgres::Server();
    if (server_.empty()) GTEST_SKIP() << "PLUMBLINE_TEST_PG is not set";
    const StoreOptions o = test_postgres::FreshSchema(server_, "plb_batch");
    schema_ = o.url.substr(o.url.rfind("schema=") + 7);
    store_ = OpenStore(o).value();
  }
  void TearDown() override {
    if (lock_conn_) PQfinish(lock_conn_);
  }

  int64_t MakeJob(const std::string& name, int objects, int64_t workers_per_object) {
    return test_jobs::MakeReleasedJob(*store_, name, objects, workers_per_object);
  }
  ClaimRequest Req(int64_t job, int64_t user) {
    ClaimRequest r;
    r.job_id = job;
    r.user_id = user;
    r.now_ms = 2000;
    r.lease_ms = 60000;
    return r;
  }

  // Holds the writer: takes the advisory lock of (job, kBlocker) on a
  // connection of the test's own, sends that user's claim, and waits until
  // the writer's transaction waits for the lock. Writes sent before Unblock
  // queue behind it and make one batch.
  void Block(int64_t job) {
    ASSERT_NO_FATAL_FAILURE(Connect());
    Exec("SELECT pg_advisory_lock(" + std::to_string(job) + ", " + std::to_string(kBlocker) + ")");
    store_->ClaimAsync(Req(job, kBlocker), 0, [this](Result<std::optional<Assignment>> r) {
      std::lock_guard<std::mutex> lock(mu_);
      blocker_claimed_ = r && r->has_value();
      ++done_;
      cv_.notify_all();
    });
    for (int i = 0; i < 500; ++i) {
      if (Exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") != "0")
        return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << "the writer never waited for the advisory lock";
  }
  // Lets the writer go; then waits for `writes` results (the blocker's
  // claim and what was queued behind it).
  void UnblockAndWait(int writes) {
    Exec("SELECT pg_advisory_unlock_all()");
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return done_ == writes; }))
        << done_ << " of " << writes << " writes reported";
    EXPECT_TRUE(blocker_claimed_);
  }
  // The test's own connection (lock_conn_), for what it reads or locks
  // beside the store.
  void Connect() {
    lock_conn_ = PQconnectdb(server_.c_str());
    ASSERT_EQ(PQstatus(lock_conn_), CONNECTION_OK) << PQerrorMessage(lock_conn_);
  }
  // Each object's pick state in the test's schema, "idx:pick" in order.
  std::string Picks(int64_t job) {
    return Exec("SELECT string_agg(idx || ':' || pick, ' ' ORDER BY idx) FROM " + schema_ +
                ".objects WHERE job_id = " + std::to_string(job));
  }
  void Command(const std::string& sql) {
    PGresult* r = PQexec(lock_conn_, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(lock_conn_);
    PQclear(r);
  }
  std::string Exec(const std::string& sql) {
    PGresult* r = PQexec(lock_conn_, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(lock_conn_);
    std::string v = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return v;
  }

  // A claim queued now; its result lands in claims_[key].
  void Claim(const ClaimRequest& r, int key, int64_t identity_version = 0) {
    store_->ClaimAsync(r, identity_version, [this, key](Result<std::optional<Assignment>> res) {
      std::lock_guard<std::mutex> lock(mu_);
      claims_.emplace(key, std::move(res));
      ++done_;
      cv_.notify_all();
    });
  }

  std::string server_;
  std::string schema_;
  std::unique_ptr<Store> store_;
  PGconn* lock_conn_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
  bool blocker_claimed_ = false;
  std::map<int, Result<std::optional<Assignment>>> claims_;
};

TEST_F(PostgresBatchTest, AFailingClaimFailsAloneAndTheOthersOfItsBatchCommit) {
  const int64_t job = MakeJob("one-fails", 10, 1);
  Block(job);
  const StoreStats before = store_->Stats();
  for (int user = 1; user <= 6; ++user) {
    ClaimRequest r = Req(job, user);
    // The lease's deadline (now + lease) overflows a BIGINT: the statement
    // that takes this lease fails.
    if (user == 3) r.lease_ms = std::numeric_limits<int64_t>::max();
    Claim(r, user);
  }
  UnblockAndWait(7);
  std::set<int64_t> objects;
  for (int user = 1; user <= 6; ++user) {
    const auto& r = claims_.at(user);
    if (user == 3) {
      ASSERT_FALSE(r) << "the overflowing claim succeeded";
      EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
      EXPECT_NE(r.error().message.find("out of range"), std::string::npos) << r.error().message;
      continue;
    }
    ASSERT_TRUE(r) << user << ": " << r.error().message;
    ASSERT_TRUE(r->has_value()) << user;
    EXPECT_EQ((*r)->user_id, user);
    objects.insert((*r)->object_index);
  }
  EXPECT_EQ(objects.size(), 5u) << "an object was handed out twice";
  // The blocker's transaction, then one for the six writes.
  const StoreStats after = store_->Stats();
  EXPECT_EQ(after.commits - before.commits, 2);
  EXPECT_EQ(after.writes - before.writes, 7);
  // Nothing of the failed claim stayed: six leases in all, and user 3
  // claims normally afterwards.
  int64_t leases = 0;
  for (int i = 0; i < 10; ++i) leases += store_->GetObject(job, i).value().leases;
  EXPECT_EQ(leases, 6);
  auto again = store_->Claim(Req(job, 3));
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ(objects.count((*again)->object_index), 0u);
}

// The writer reads the identity version in the batch's pipeline. Claims
// authorised under an older one (users 2 and 5) fail with IdentityChanged,
// and since they had run, the transaction is rolled back: the others run
// again in the next one and get their tasks; nothing of the refused ones
// stays.
TEST_F(PostgresBatchTest, WritesUnderAnOlderIdentityVersionFailAndTheRestOfTheirBatchCommits) {
  const int64_t job = MakeJob("identity", 10, 1);
  const int64_t before_change = store_->IdentityVersion().value();
  User u;
  u.username = "someone";
  u.password_hash = "h";
  const User made = store_->CreateUser(u).value();
  ASSERT_TRUE(store_->SetUserGroups(made.id, {"g"}));
  const int64_t now = store_->IdentityVersion().value();
  ASSERT_GT(now, before_change);
  Block(job);
  const StoreStats before = store_->Stats();
  for (int user = 1; user <= 6; ++user)
    Claim(Req(job, user), user, user == 2 || user == 5 ? before_change : now);
  UnblockAndWait(7);
  std::set<int64_t> objects;
  for (int user = 1; user <= 6; ++user) {
    const auto& r = claims_.at(user);
    if (user == 2 || user == 5) {
      ASSERT_FALSE(r) << user << " was handed a task under an older identity version";
      EXPECT_TRUE(IsIdentityChanged(r.error())) << r.error().message;
      continue;
    }
    ASSERT_TRUE(r) << user << ": " << r.error().message;
    ASSERT_TRUE(r->has_value()) << user;
    objects.insert((*r)->object_index);
  }
  EXPECT_EQ(objects.size(), 4u) << "an object was handed out twice";
  const StoreStats after = store_->Stats();
  EXPECT_EQ(after.identity_refused - before.identity_refused, 2);
  EXPECT_EQ(after.writes - before.writes, 5);  // the blocker's and four claims
  int64_t leases = 0;
  for (int i = 0; i < 10; ++i) leases += store_->GetObject(job, i).value().leases;
  EXPECT_EQ(leases, 5);
}

TEST_F(PostgresBatchTest, ABatchOfClaimsFillsStartedObjectsFirstAndNoneOverN) {
  // N = 2. The blocker starts object 0. Then, in one batch, users 1-5:
  // user 1 takes object 0's second place, users 2 and 3 share object 1,
  // users 4 and 5 object 2 (objects in progress first, as one at a time);
  // user 1 claiming again in the same batch gets back the task it holds.
  const int64_t job = MakeJob("in-order", 3, 2);
  Block(job);
  for (int user = 1; user <= 5; ++user) Claim(Req(job, user), user);
  Claim(Req(job, 1), 11);
  UnblockAndWait(7);
  std::map<int, int64_t> got;
  for (const auto& [key, r] : claims_) {
    ASSERT_TRUE(r) << key << ": " << r.error().message;
    ASSERT_TRUE(r->has_value()) << key;
    got[key] = (*r)->object_index;
  }
  EXPECT_EQ(got, (std::map<int, int64_t>{{1, 0}, {2, 1}, {3, 1}, {4, 2}, {5, 2}, {11, 0}}));
  EXPECT_EQ(claims_.at(11)->value().id, claims_.at(1)->value().id);
  // Every place is taken: a sixth worker gets nothing.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(store_->GetObject(job, i).value().leases, 2) << i;
  auto none = store_->Claim(Req(job, 6));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());
}

// A batch's claims take started objects from a pool it locks as they need
// them, a load as many as it has claims left. A claim that none of the
// pool's objects can serve loads the started objects past it before it
// takes a fresh one. N = 3: users 1 and 2
// answer objects 0-7 (each stays started, a place free), user 2 starts
// object 8; user 1's claim, alone in its batch, finds the pool all
// answered by them and gets object 8, not the fresh object 9.
TEST_F(PostgresBatchTest, AClaimNoneOfThePoolCanServeTakesAStartedObjectPastIt) {
  const int64_t job = MakeJob("past-the-pool", 12, 3);
  for (int64_t user : {1, 2}) {
    for (int64_t i = 0; i < 8; ++i) {
      auto c = store_->Claim(Req(job, user));
      ASSERT_TRUE(c && c->has_value()) << user << " " << i;
      ASSERT_EQ((*c)->object_index, i) << "user " << user;
      ASSERT_TRUE(store_->Submit((*c)->id, user, "{}", 1.0, 3000));
    }
  }
  auto started = store_->Claim(Req(job, 2));
  ASSERT_TRUE(started && started->has_value());
  ASSERT_EQ((*started)->object_index, 8);
  auto past = store_->Claim(Req(job, 1));
  ASSERT_TRUE(past && past->has_value());
  EXPECT_EQ((*past)->object_index, 8) << "a started object comes before a fresh one";
  EXPECT_EQ(store_->GetObject(job, 8).value().leases, 2);
  EXPECT_EQ(store_->GetObject(job, 9).value().leases, 0);
}

// A batch runs its claims and submits before its other operations, so that
// the statement locking the objects its submits update begins the
// transaction (two replicas' batches otherwise could wait for each other).
// N = 1, one object, held by user 1. Behind the blocker: user 1 handing the
// task back (not a claim or submit), then user 2's claim. The claim runs
// first and finds the object's one place held; run in the order they came,
// it would have taken the place the hand-back freed.
TEST_F(PostgresBatchTest, ABatchRunsItsClaimsAndSubmitsBeforeItsOtherOperations) {
  const int64_t job = MakeJob("claims-first", 1, 1);
  auto held = store_->Claim(Req(job, 1));
  ASSERT_TRUE(held && held->has_value());
  Block(MakeJob("blocker", 1, 1));
  Status handed_back;
  std::thread hand_back([&] {
    handed_back = store_->EndLease((*held)->id, 1, AssignmentState::kReleased, 2500);
  });
  std::this_thread::sleep_for(300ms);  // the hand-back is queued
  Claim(Req(job, 2), 2);
  UnblockAndWait(2);
  hand_back.join();
  ASSERT_TRUE(handed_back) << handed_back.error().message;
  ASSERT_TRUE(claims_.at(2)) << claims_.at(2).error().message;
  EXPECT_FALSE(claims_.at(2)->has_value()) << "the claim ran after the hand-back";
  // After the batch the freed place is there to take.
  auto after = store_->Claim(Req(job, 3));
  ASSERT_TRUE(after && after->has_value());
  EXPECT_EQ((*after)->object_index, 0);
}

TEST_F(PostgresBatchTest, SubmitsRefusalsAndClaimsShareOneStatement) {
  // N = 1, four objects. Users 1 and 2 hold objects 0 and 1, the blocker
  // takes object 2. Then in one batch: user 1 submits and claims the next
  // (object 3), user 3 submits user 2's task (refused: not theirs), user 2
  // submits it (a quote and a backslash in the answer), user 4 claims
  // (nothing left), user 2 submits again (already submitted), user 5 claims
  // (nothing).
  const int64_t job = MakeJob("mixed", 4, 1);
  const int64_t t1 = store_->Claim(Req(job, 1)).value()->id;
  const int64_t t2 = store_->Claim(Req(job, 2)).value()->id;
  Block(job);
  std::map<std::string, Result<SubmitOutcome>> submits;
  std::optional<Result<Store::SubmittedAndClaimed>> next;
  auto submit = [&](const std::string& key, int64_t task, int64_t user, std::string answer) {
    store_->SubmitAsync(task, user, std::move(answer), 1.5, 3000, 0,
                        [this, &submits, key](Result<SubmitOutcome> r) {
                          std::lock_guard<std::mutex> lock(mu_);
                          submits.emplace(key, std::move(r));
                          ++done_;
                          cv_.notify_all();
                        });
  };
  ClaimRequest after1 = Req(job, 1);
  after1.now_ms = 3000;
  store_->SubmitAndClaimAsync(t1, 1, "{\"a\":1}", 2.0, 3000, after1, 0,
                              [this, &next](Result<Store::SubmittedAndClaimed> r) {
                                std::lock_guard<std::mutex> lock(mu_);
                                next.emplace(std::move(r));
                                ++done_;
                                cv_.notify_all();
                              });
  submit("not theirs", t2, 3, "{}");
  submit("theirs", t2, 2, "{\"q\":\"a \\\"quote\\\" and a \\\\ backslash\"}");
  Claim(Req(job, 4), 4);
  submit("again", t2, 2, "{}");
  Claim(Req(job, 5), 5);
  UnblockAndWait(7);

  ASSERT_TRUE(next.has_value());
  ASSERT_TRUE(*next) << next->error().message;
  EXPECT_EQ((*next)->first, SubmitOutcome::kAccepted);
  ASSERT_TRUE((*next)->second.has_value());
  EXPECT_EQ((*next)->second->object_index, 3);
  EXPECT_EQ(submits.at("not theirs").error().code, ErrorCode::kConflict);
  ASSERT_TRUE(submits.at("theirs")) << submits.at("theirs").error().message;
  EXPECT_EQ(*submits.at("theirs"), SubmitOutcome::kAccepted);
  ASSERT_TRUE(submits.at("again"));
  EXPECT_EQ(*submits.at("again"), SubmitOutcome::kAlreadySubmitted);
  ASSERT_TRUE(claims_.at(4)) << claims_.at(4).error().message;
  EXPECT_FALSE(claims_.at(4)->has_value()) << "object " << (*claims_.at(4))->object_index;
  ASSERT_TRUE(claims_.at(5));
  EXPECT_FALSE(claims_.at(5)->has_value());
  // The answers as sent, once each.
  EXPECT_EQ(store_->GetAssignment(t2).value().answer_json,
            "{\"q\":\"a \\\"quote\\\" and a \\\\ backslash\"}");
  EXPECT_EQ(store_->GetAssignment(t1).value().answer_json, "{\"a\":1}");
  EXPECT_EQ(store_->GetObject(job, 1).value().answers, 1);
}

// A batch's submits run as one statement (migration 11): an object's
// counters move once by all of its accepted submits, one object is released
// for each object that left the window, a worker's second submit of a task
// finds it submitted and another worker's is refused, and a claim of the
// same batch finds what the submits released.
TEST_F(PostgresBatchTest, ABatchsSubmitsMoveEachObjectOnceAndReleaseOnePerObjectDone) {
  // N = 2, six objects, three released.
  const int64_t job = test_jobs::MakeReleasedJob(*store_, "set-submits", 6, 2, 3);
  std::map<int64_t, int64_t> task;  // by user
  for (int64_t user : {1, 2, 3, 4}) {
    auto c = store_->Claim(Req(job, user));
    ASSERT_TRUE(c && c->has_value());
    task[user] = (*c)->id;
  }
  Block(MakeJob("blocker", 1, 1));
  ASSERT_EQ(Picks(job), "0:3 1:3 2:1 3:0 4:0 5:0");
  std::map<std::string, Result<SubmitOutcome>> submits;
  auto submit = [&](const std::string& key, int64_t t, int64_t user) {
    store_->SubmitAsync(t, user, "{\"by\":" + std::to_string(user) + "}", 1.0, 3000, 0,
                        [this, &submits, key](Result<SubmitOutcome> r) {
                          std::lock_guard<std::mutex> lock(mu_);
                          submits.emplace(key, std::move(r));
                          ++done_;
                          cv_.notify_all();
                        });
  };
  submit("1", task[1], 1);
  submit("3", task[3], 3);
  submit("1 again", task[1], 1);
  submit("2", task[2], 2);
  submit("4 by 5", task[4], 5);
  submit("4", task[4], 4);
  ClaimRequest later = Req(job, 6);
  later.now_ms = 3000;
  Claim(later, 6);
  UnblockAndWait(1 + 7);

  for (const char* key : {"1", "2", "3", "4"}) {
    ASSERT_TRUE(submits.at(key)) << key << ": " << submits.at(key).error().message;
    EXPECT_EQ(*submits.at(key), SubmitOutcome::kAccepted) << key;
  }
  ASSERT_TRUE(submits.at("1 again"));
  EXPECT_EQ(*submits.at("1 again"), SubmitOutcome::kAlreadySubmitted);
  EXPECT_EQ(submits.at("4 by 5").error().code, ErrorCode::kConflict);
  for (int64_t idx : {0, 1}) {
    const DataObject o = store_->GetObject(job, idx).value();
    EXPECT_EQ(o.answers, 2) << "object " << idx;
    EXPECT_EQ(o.leases, 0) << "object " << idx;
  }
  EXPECT_EQ(store_->GetAssignment(task[4]).value().answer_json, "{\"by\":4}");
  ASSERT_TRUE(claims_.at(6) && claims_.at(6)->has_value());
  EXPECT_EQ((*claims_.at(6))->object_index, 2);
  // Objects 0 and 1 answered in full, object 2 started, 3 and 4 released.
  EXPECT_EQ(Picks(job), "0:4 1:4 2:2 3:1 4:1 5:0");
}

// A batch's claims insert their leases together at its end, unless a
// worker claims twice in one job in the batch: then each claim inserts its
// own, so that the second finds the first's lease and hands back the same
// task. Here worker 1 claims twice and worker 2 once (N = 2): worker 1 has
// one task, and worker 2 shares its object.
TEST_F(PostgresBatchTest, AWorkersSecondClaimInOneBatchGetsTheSameTask) {
  const int64_t job = MakeJob("twice", 3, 2);
  Block(MakeJob("blocker", 1, 1));
  Claim(Req(job, 1), 1);
  Claim(Req(job, 1), 2);
  Claim(Req(job, 2), 3);
  UnblockAndWait(1 + 3);
  for (int key : {1, 2, 3})
    ASSERT_TRUE(claims_.at(key) && claims_.at(key)->has_value()) << key;
  EXPECT_EQ((*claims_.at(1))->id, (*claims_.at(2))->id);
  EXPECT_EQ((*claims_.at(3))->object_index, (*claims_.at(1))->object_index);
  EXPECT_NE((*claims_.at(3))->id, (*claims_.at(1))->id);
  EXPECT_EQ(store_->GetObject(job, (*claims_.at(1))->object_index).value().leases, 2);
  // And the batched leases are real rows: a submit of each is accepted.
  ASSERT_TRUE(store_->Submit((*claims_.at(1))->id, 1, "{}", 1.0, 3000));
  auto second = store_->Submit((*claims_.at(3))->id, 2, "{}", 1.0, 3000);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, SubmitOutcome::kAccepted);
}

// Leases inserted together at the end of a batch take their ids in claim
// order, and each is a row its worker can submit.
TEST_F(PostgresBatchTest, ABatchsClaimsInsertTheirLeasesTogether) {
  const int64_t job = MakeJob("together", 4, 1);
  Block(MakeJob("blocker", 1, 1));
  for (int64_t user = 1; user <= 4; ++user) Claim(Req(job, user), static_cast<int>(user));
  UnblockAndWait(1 + 4);
  int64_t last_id = 0;
  for (int64_t user = 1; user <= 4; ++user) {
    const auto& c = claims_.at(static_cast<int>(user));
    ASSERT_TRUE(c && c->has_value()) << user;
    EXPECT_EQ((*c)->object_index, user - 1);
    EXPECT_GT((*c)->id, last_id);
    last_id = (*c)->id;
    const Assignment held = store_->GetAssignment((*c)->id).value();
    EXPECT_EQ(held.user_id, user);
    EXPECT_EQ(held.object_index, user - 1);
    auto done = store_->Submit((*c)->id, user, "{}", 1.0, 3000);
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, SubmitOutcome::kAccepted);
  }
}

// The writer hands each committed batch to a thread of its own that tells
// the callers, and goes on with the next batch. Closing the store still
// tells every caller whose write was queued, in the order of the batches.
TEST_F(PostgresBatchTest, ClosingTheStoreTellsEveryQueuedCaller) {
  const int64_t job = MakeJob("closing", 200, 1);
  std::vector<int> heard;
  auto claim = [&](int user) {
    store_->ClaimAsync(Req(job, user), 0, [this, &heard, user](Result<std::optional<Assignment>> r) {
      // A slow caller: results wait to be told while the store closes.
      std::this_thread::sleep_for(3ms);
      std::lock_guard<std::mutex> lock(mu_);
      if (r && r->has_value()) heard.push_back(user);
      cv_.notify_all();
    });
  };
  for (int user = 1; user <= 50; ++user) claim(user);
  {
    // The first batch is being told; the next ones queue behind it.
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return !heard.empty(); }));
  }
  for (int user = 51; user <= 100; ++user) claim(user);
  store_.reset();
  ASSERT_EQ(heard.size(), 100u);
  for (size_t k = 1; k < heard.size(); ++k) EXPECT_LT(heard[k - 1], heard[k]);
}

// A batch's first statement locks the objects its submits update, in one
// order. When another transaction holds one of them and then waits for one
// the batch has locked, PostgreSQL breaks the deadlock by failing the batch's
// lock statement: nothing of the batch has run yet, so the writer rolls the
// transaction back and runs the whole batch again, and every write of it
// succeeds once the other transaction is gone.
TEST_F(PostgresBatchTest, ABatchWhoseObjectLockDeadlocksRunsAgainWhole) {
  const int64_t job = MakeJob("lock-deadlock", 3, 1);  // the blocker takes object 2
  const int64_t t0 = store_->Claim(Req(job, 1)).value()->id;
  const int64_t t1 = store_->Claim(Req(job, 2)).value()->id;
  Block(job);
  // Another transaction holds object 1. Its own deadlock check waits 30 s,
  // the writer's 1 s (the server's default): the writer's side is the one
  // PostgreSQL fails.
  PGconn* other = PQconnectdb(server_.c_str());
  ASSERT_EQ(PQstatus(other), CONNECTION_OK) << PQerrorMessage(other);
  auto run = [](PGconn* c, const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    const ExecStatusType status = PQresultStatus(r);
    const std::string error = PQerrorMessage(c);
    PQclear(r);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? std::string() : error;
  };
  const std::string object = "SELECT 1 FROM " + schema_ + ".objects WHERE job_id = " +
                             std::to_string(job) + " AND idx = ";
  ASSERT_EQ(run(other, "BEGIN"), "");
  ASSERT_EQ(run(other, "SET LOCAL deadlock_timeout = '30s'"), "");
  ASSERT_EQ(run(other, object + "1 FOR UPDATE"), "");

  std::map<int64_t, Result<SubmitOutcome>> submits;
  for (const auto& [task, user] : {std::pair{t0, int64_t{1}}, std::pair{t1, int64_t{2}}}) {
    store_->SubmitAsync(task, user, "{\"ok\":true}", 1.0, 3000, 0,
                        [this, &submits, task](Result<SubmitOutcome> r) {
                          std::lock_guard<std::mutex> lock(mu_);
                          submits.emplace(task, std::move(r));
                          ++done_;
                          cv_.notify_all();
                        });
  }
  Exec("SELECT pg_advisory_unlock_all()");
  // The batch has locked object 0 and waits for object 1.
  bool waiting = false;
  for (int i = 0; i < 500 && !waiting; ++i) {
    waiting = Exec("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted") != "0";
    if (!waiting) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(waiting) << "the batch never waited for object 1";
  // Now the other transaction wants object 0: a deadlock. It gets the lock
  // once the batch has rolled back, then lets both objects go.
  EXPECT_EQ(run(other, object + "0 FOR UPDATE"), "") << "the other transaction was failed instead";
  ASSERT_EQ(run(other, "ROLLBACK"), "");
  PQfinish(other);

  std::unique_lock<std::mutex> lock(mu_);
  ASSERT_TRUE(cv_.wait_for(lock, 20s, [&] { return done_ == 3; })) << done_ << " of 3 writes";
  EXPECT_TRUE(blocker_claimed_);
  for (int64_t task : {t0, t1}) {
    ASSERT_TRUE(submits.at(task)) << submits.at(task).error().message;
    EXPECT_EQ(*submits.at(task), SubmitOutcome::kAccepted);
  }
  lock.unlock();
  for (int i = 0; i < 2; ++i) EXPECT_EQ(store_->GetObject(job, i).value().answers, 1) << i;
}

// Migration 9: `pick` says where an object stands, and the indexes that
// find an object to hand out name only it. A claim or a submit that leaves
// it as it was changes no indexed column: PostgreSQL updates the row in
// place (HOT). N = 3, a window of one object: the release, the first and
// third claims, the third answer and the release it brings change `pick`;
// the second claim and the first two answers do not.
TEST_F(PostgresBatchTest, OnlyAnObjectsChangesOfPickTouchItsIndexes) {
  const int64_t job = test_jobs::MakeReleasedJob(*store_, "pick", 2, 3, /*window=*/1);
  ASSERT_NO_FATAL_FAILURE(Connect());
  EXPECT_EQ(Picks(job), "0:1 1:0");  // released and untouched, not released
  std::vector<int64_t> tasks;
  for (int64_t user = 1; user <= 3; ++user) {
    auto c = store_->Claim(Req(job, user));
    ASSERT_TRUE(c && c->has_value()) << user;
    EXPECT_EQ((*c)->object_index, 0);
    tasks.push_back((*c)->id);
    // Open, then taken.
    EXPECT_EQ(Picks(job), user < 3 ? "0:2 1:0" : "0:3 1:0") << "after claim " << user;
  }
  for (int64_t user = 1; user <= 3; ++user) {
    auto r = store_->Submit(tasks[user - 1], user, "{}", 1.0, 3000);
    ASSERT_TRUE(r) << r.error().message;
    // Taken, then full; the full object releases the next.
    EXPECT_EQ(Picks(job), user < 3 ? "0:3 1:0" : "0:4 1:1") << "after answer " << user;
  }
  // A session sends its statistics when it ends (an idle one only every
  // ten seconds): closing the store ends the writer's.
  store_.reset();
  const std::string stats = "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables "
                            "WHERE schemaname = '" + schema_ + "' AND relname = 'objects'";
  std::string seen;
  for (int i = 0; i < 100; ++i) {
    Exec("SELECT pg_stat_clear_snapshot()");
    seen = Exec(stats);
    if (seen == "8 3") break;
    std::this_thread::sleep_for(100ms);
  }
  // Eight updates (the release, three claims, three answers, the next
  // release), three of them HOT.
  EXPECT_EQ(seen, "8 3");
}

// The runner reads a batch of objects with their answers. On tables
// autovacuum has not analysed yet (a new job's), the planner once chose to
// read every answer of the job for each object; the statement now looks up
// each object's answers by index, whatever plan the server caches.
TEST_F(PostgresBatchTest, TheConsolidationReadLooksUpEachObjectsAnswers) {
  const int64_t job = MakeJob("answers", 40, 2);
  for (int round = 0; round < 40; ++round) {
    for (int64_t user = 1; user <= 2; ++user) {
      auto c = store_->Claim(Req(job, user));
      ASSERT_TRUE(c && c->has_value());
      ASSERT_TRUE(store_->Submit((*c)->id, user, "{}", 1.0, 3000));
    }
  }
  auto read = store_->GetObjectsWithAnswers(job, {0, 1, 2, 39});
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 4u);
  for (const auto& oa : *read) EXPECT_EQ(oa.answers.size(), 2u) << oa.object.index;

  ASSERT_NO_FATAL_FAILURE(Connect());
  int params = 0;
  const std::string sql = postgresql::ToDollarPlaceholders(postgresql::kObjectsWithAnswersSql, &params);
  ASSERT_EQ(params, 2);
  auto plan = [&](const std::string& explain) {
    PGresult* r = PQexec(lock_conn_, explain.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(lock_conn_);
    std::string text;
    for (int i = 0; i < PQntuples(r); ++i) text += std::string(PQgetvalue(r, i, 0)) + "\n";
    PQclear(r);
    return text;
  };
  Exec("SELECT set_config('search_path', '" + schema_ + "', false)");
  PQclear(PQexec(lock_conn_, ("PREPARE answers(bigint, bigint[]) AS " + sql).c_str()));
  const std::string args = "(" + std::to_string(job) + ", '{0,1,2,3,4,5,6,7,8,9}')";
  for (const char* mode : {"force_custom_plan", "force_generic_plan"}) {
    Exec(std::string("SELECT set_config('plan_cache_mode', '") + mode + "', false)");
    const std::string p = plan("EXPLAIN EXECUTE answers" + args);
    EXPECT_NE(p.find("assignments_answers"), std::string::npos) << mode << "\n" << p;
    EXPECT_NE(p.find("(idx = o.idx)"), std::string::npos) << mode << "\n" << p;
    EXPECT_EQ(p.find("Join Filter"), std::string::npos) << mode << "\n" << p;
  }
}

// A replica that does not hold a job's runner lease asks for it on every
// pass. Its answer, another holder's lease is live, comes from a plain
// read: the upsert that takes a lease locks the row even when it leaves it
// alone, and that lock, held until the asking replica's batch committed,
// made a deadlock with the holder finishing objects (its fence reads the
// row FOR SHARE while it holds objects that batch waits for).
TEST_F(PostgresBatchTest, AskingForAnotherHoldersLiveLeaseTakesNoLock) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  ASSERT_EQ(store_->AcquireLease("job-7", "replica-a", 1000, 60000).value(), 1);
  Command("BEGIN");
  EXPECT_EQ(Exec("SELECT holder FROM " + schema_ + ".runner_leases WHERE name = 'job-7' FOR SHARE"),
            "replica-a");
  auto asked = std::async(std::launch::async,
                          [&] { return store_->AcquireLease("job-7", "replica-b", 2000, 60000); });
  const bool answered = asked.wait_for(5s) == std::future_status::ready;
  Command("ROLLBACK");
  ASSERT_TRUE(answered) << "the request waited for the holder's transaction";
  EXPECT_EQ(asked.get().value(), 0);
  // Once the lease has expired the other replica takes it (a new epoch).
  EXPECT_EQ(store_->AcquireLease("job-7", "replica-b", 61001, 60000).value(), 2);
  EXPECT_EQ(store_->AcquireLease("job-7", "replica-a", 62000, 60000).value(), 0);
}

// Migration 10: `pick` is set by each write rather than computed by the
// table, so every write that changes an object's state or counters must
// set it. Through inserts (a failed object among them), the release,
// claims, a decline, an answer, lease expiry, the release an object
// leaving the window brings, and consolidation's finish, every row's pick
// stays what plb_pick makes of its columns.
TEST_F(PostgresBatchTest, EveryWriteLeavesEachObjectsPickAsItsColumnsSay) {
  ASSERT_NO_FATAL_FAILURE(Connect());
  const int64_t job = store_->CreateJob(test_jobs::InProgressJob("pick-set", 2)).value().id;
  std::vector<DataObject> objs(4);
  for (int i = 0; i < 4; ++i) {
    objs[i].index = i;
    objs[i].line = "{}";
  }
  objs[3].state = ObjectState::kFailed;
  objs[3].failure_reason = "ClientError: unreadable";
  ASSERT_TRUE(store_->InsertObjects(job, objs, 1000));
  const std::string out_of_step = "SELECT count(*) FROM " + schema_ + ".objects WHERE job_id = " +
                                  std::to_string(job) + " AND pick <> " + schema_ +
                                  ".plb_pick(state, needed, answers, leases, declines, released_ms)";
  auto in_step = [&](const char* after) {
    EXPECT_EQ(Exec(out_of_step), "0") << "after " << after << ": " << Picks(job);
  };
  in_step("the insert");
  EXPECT_EQ(Picks(job), "0:0 1:0 2:0 3:9");
  ASSERT_TRUE(store_->ReleaseObjects(job, 1, 1000));
  in_step("the release");
  auto a = store_->Claim(Req(job, 1));
  auto b = store_->Claim(Req(job, 2));
  ASSERT_TRUE(a && a->has_value() && b && b->has_value());
  in_step("two claims");
  EXPECT_EQ(Picks(job), "0:3 1:0 2:0 3:9");
  ASSERT_TRUE(store_->EndLease((*b)->id, 2, AssignmentState::kDeclined, 2500));
  in_step("a decline");
  ASSERT_TRUE(store_->Submit((*a)->id, 1, "{}", 1.0, 3000));
  in_step("an answer");
  EXPECT_EQ(Picks(job), "0:4 1:1 2:0 3:9");  // answered and declined: its places are taken
  auto c = store_->Claim(Req(job, 3));
  ASSERT_TRUE(c && c->has_value());
  EXPECT_EQ((*c)->object_index, 1);
  ASSERT_TRUE(store_->ExpireLeases(2000 + 60000 + 1));
  in_step("lease expiry");
  EXPECT_EQ(Picks(job), "0:4 1:1 2:0 3:9");
  auto done = store_->FinishObjects(job, {{0, ObjectState::kLabeled, "{}", ""}}, 4000);
  ASSERT_TRUE(done);
  in_step("consolidation's finish");
  EXPECT_EQ(Picks(job), "0:9 1:1 2:0 3:9");
}

// A database at migration 8 with a job under way: migration 9 computes
// `pick` for the rows already there, migration 10 keeps those values as
// the writes' own, and the claims and submits after 12 go on where the
// ones before left off (the started object's free place first). At 8 the
// objects go in by hand: this build's insert sets `pick`, which 8 lacks.
TEST_F(PostgresBatchTest, MigrationsNineToTwelveCarryAJobUnderWayOver) {
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(Connect());
  StoreOptions at8 = test_postgres::FreshSchema(server_, "plb_pick9");
  at8.schema_version = 8;
  schema_ = at8.url.substr(at8.url.rfind("schema=") + 7);
  auto old = OpenStore(at8);
  ASSERT_TRUE(old) << old.error().message;
  const int64_t job = (*old)->CreateJob(test_jobs::InProgressJob("carried", 2)).value().id;
  Command("INSERT INTO " + schema_ + ".objects(job_id, idx, state, line, needed) SELECT " +
          std::to_string(job) + ", i, 0, '{}', 2 FROM generate_series(0, 2) i");
  ASSERT_TRUE((*old)->ReleaseObjects(job, 2, 1000));
  auto first = (*old)->Claim(Req(job, 1));
  ASSERT_TRUE(first && first->has_value());
  ASSERT_EQ((*first)->object_index, 0);
  old->reset();

  StoreOptions latest = at8;
  latest.schema_version = 0;
  auto opened = OpenStore(latest);
  ASSERT_TRUE(opened) << opened.error().message;
  store_ = std::move(*opened);
  EXPECT_EQ(Exec("SELECT max(version) FROM " + schema_ + ".schema_version"), "12");
  EXPECT_EQ(Picks(job), "0:2 1:1 2:0");  // started with a place free, released, not released
  auto second = store_->Claim(Req(job, 2));
  ASSERT_TRUE(second && second->has_value());
  EXPECT_EQ((*second)->object_index, 0) << "the started object's free place comes first";
  ASSERT_TRUE(store_->Submit((*first)->id, 1, "{}", 1.0, 3000));
  ASSERT_TRUE(store_->Submit((*second)->id, 2, "{}", 1.0, 3000));
  EXPECT_EQ(Picks(job), "0:4 1:1 2:1");  // answered in full (to consolidate), and the next released
}

}  // namespace
}  // namespace plumbline::store
