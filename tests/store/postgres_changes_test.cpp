// The PostgreSQL store hears other processes' commits (Store::Feed):
// two stores on one database stand for two replicas. Runs when
// PLUMBLINE_TEST_PG names a server (ctest's store_postgres_changes starts a
// throwaway one with scripts/with-postgres.sh); skipped otherwise.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.hpp"
#include "test_jobs.hpp"
#include "test_postgres.hpp"

namespace plumbline::store {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class PostgresChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = test_postgres::Server();
    if (server_.empty()) GTEST_SKIP() << "PLUMBLINE_TEST_PG is not set";
    const StoreOptions o = test_postgres::FreshSchema(server_, "plb_changes");
    a_ = OpenStore(o).value();
    b_ = OpenStore(o).value();
  }

  Job NewJob(const std::string& name) { return test_jobs::InProgressJob(name); }

  // Runs `write` on A while a thread waits on B for a change of `kinds`:
  // how long B's waiter took to wake from the write's start (10 s and more
  // when it did not).
  template <class Write>
  Clock::duration WakeOnB(ChangeSet kinds, Write write) {
    int64_t since = b_->Feed().Sequence(kinds);
    Clock::time_point woke{};
    std::thread waiter([&] {
      b_->Feed().WaitForChange(kinds, since, 10s);
      woke = Clock::now();
    });
    std::this_thread::sleep_for(50ms);  // the waiter waits
    auto wrote = Clock::now();
    write();
    waiter.join();
    return woke - wrote;
  }

  // Terminates the listeners' backends on the server (as an operator or a
  // failover would), from a connection of the test's own; returns how many.
  int TerminateListeners() {
    PGconn* c = PQconnectdb(server_.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c,
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = 'plumbline listener' "
                         "AND datname = current_database()");
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c);
    int n = PQntuples(r);
    PQclear(r);
    PQfinish(c);
    return n;
  }

  std::string server_;
  std::unique_ptr<Store> a_, b_;
};

TEST_F(PostgresChangesTest, AWriteThroughOneStoreWakesAWaiterOnTheOtherWithinASecond) {
  std::mutex mu;
  std::vector<ChangeSet> heard;
  ChangeWatch watch(b_->Feed(), changes::kAll, [&](ChangeSet set) {
    std::lock_guard<std::mutex> lock(mu);
    heard.push_back(set);
  });
  int64_t a_jobs = a_->Feed().Sequence(changes::kJobs);
  auto waited = WakeOnB(changes::kJobs, [&] { ASSERT_TRUE(a_->CreateJob(NewJob("from-a"))); });
  EXPECT_LT(waited, 1s);
  std::printf("B woke %.1f ms after A's write began\n",
              std::chrono::duration<double, std::milli>(waited).count());
  // B heard what A's commit touched, and A published its own commit once
  // (its listener skips its own announcements).
  std::this_thread::sleep_for(200ms);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(heard, std::vector<ChangeSet>{changes::kJobs});
  }
  EXPECT_EQ(a_->Feed().Sequence(changes::kJobs), a_jobs + 1);

  // A change of work teams and of people travel the same way.
  Workteam team;
  team.name = "team";
  team.arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team";
  team.doc_json = "{}";
  EXPECT_LT(WakeOnB(changes::kTeams, [&] { ASSERT_TRUE(a_->CreateWorkteam(team)); }), 1s);
  User u;
  u.username = "ann";
  u.password_hash = "x";
  u.worker_key = "0123456789abcdef";
  u.sub = "sub-ann";
  int64_t ann = 0;
  EXPECT_LT(WakeOnB(changes::kPeople, [&] { ann = a_->CreateUser(u).value().id; }), 1s);
  EXPECT_LT(WakeOnB(changes::kPeople, [&] { ASSERT_TRUE(a_->SetUserDisabled(ann, true)); }), 1s);
}

TEST_F(PostgresChangesTest, AWriteThatDoesNotCommitAnnouncesNothing) {
  const int64_t before = b_->Feed().Sequence(changes::kJobs);
  ASSERT_TRUE(a_->CreateJob(NewJob("taken")));
  ASSERT_GT(b_->Feed().WaitForChange(changes::kJobs, before, 5s), before);  // B heard of it
  const int64_t since = b_->Feed().Sequence(changes::kAll);
  // Refused in its transaction (the name is taken): nothing commits.
  EXPECT_EQ(a_->CreateJob(NewJob("TAKEN")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(b_->Feed().WaitForChange(changes::kAll, since, 500ms), since);
}

TEST_F(PostgresChangesTest, TheListenerSurvivesADroppedConnectionAndReportsEverythingChanged) {
  int64_t teams = b_->Feed().Sequence(changes::kTeams);
  int64_t reconnects = b_->Stats().reconnects;
  ASSERT_GE(TerminateListeners(), 2);  // A's and B's (and any other test's)
  // Listening again, B may have missed announcements: it reports every kind
  // as changed, though no one changed a team.
  EXPECT_GT(b_->Feed().WaitForChange(changes::kTeams, teams, 5s), teams);
  EXPECT_GT(b_->Stats().reconnects, reconnects);
  // And it hears A's commits again.
  EXPECT_LT(WakeOnB(changes::kJobs, [&] { ASSERT_TRUE(a_->CreateJob(NewJob("after"))); }), 1s);
  // Twice in a row.
  teams = b_->Feed().Sequence(changes::kTeams);
  ASSERT_GE(TerminateListeners(), 2);
  EXPECT_GT(b_->Feed().WaitForChange(changes::kTeams, teams, 5s), teams);
  EXPECT_LT(WakeOnB(changes::kJobs, [&] { ASSERT_TRUE(a_->CreateJob(NewJob("again"))); }), 1s);
}

}  // namespace
}  // namespace plumbline::store
