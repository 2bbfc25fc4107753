// The Store contract: jobs, data objects, claims, submits and the release
// window, run against every implementation (see contract_targets.hpp).
#include "store/store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "contract_targets.hpp"
#include "test_jobs.hpp"

namespace plumbline::store {
namespace {
using contract::ContractTest;

class StoreTest : public ContractTest {
 protected:
  // `window`: how many objects are released at the start (MaxConcurrentTaskCount); all by default.
  int64_t MakeJob(const std::string& name, int objects, int64_t workers_per_object = 1,
                  int window = -1) {
    return test_jobs::MakeReleasedJob(*store_, name, objects, workers_per_object, window);
  }
  ClaimRequest Req(int64_t job, int64_t user, int64_t now) {
    ClaimRequest r;
    r.job_id = job;
    r.user_id = user;
    r.now_ms = now;
    r.lease_ms = 1000;
    return r;
  }
};

TEST_P(StoreTest, JobNamesAreUniqueCaseInsensitively) {
  MakeJob("Example-job", 0);
  Job dup;
  dup.name = "example-JOB";
  auto r = store_->CreateJob(dup);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->GetJobByName("EXAMPLE-JOB").value().name, "Example-job");
  EXPECT_EQ(store_->GetJobByName("nope").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, ListJobsCanLeaveOutEndedJobs) {
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

// The jobs of the job-list tests: names in mixed case (folded, "GOLFA"
// sorts after "golf_b"; bytewise it would sort before), shared creation
// times, every status, and progress ties (0 of 0 and 0 of 3; 1 of 2 and 2
// of 4; 2 of 3 twice at one creation time).
class JobPageTest : public StoreTest {
 protected:
  struct Spec {
    const char* name;
    int64_t created_ms;
    JobStatus status;
    int objects, labeled, failed;
    const char* team;
  };
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const Spec specs[] = {
        {"alpha", 3000, JobStatus::kInProgress, 4, 2, 0, "arn:team"},
        {"Bravo", 1000, JobStatus::kCompleted, 2, 1, 1, "arn:team"},
        {"charlie", 2000, JobStatus::kFailed, 0, 0, 0, "arn:team"},
        {"Delta-1", 2000, JobStatus::kInProgress, 2, 1, 0, "arn:team"},
        {"delta-10", 2000, JobStatus::kStopped, 3, 0, 0, "arn:team"},
        {"echo", 5000, JobStatus::kInitializing, 0, 0, 0, "arn:team"},
        {"Foxtrot", 4000, JobStatus::kStopping, 3, 1, 1, "arn:team"},
        {"golf", 4000, JobStatus::kInProgress, 3, 2, 0, "ARN:Other"},
        {"GOLFA", 4000, JobStatus::kInProgress, 3, 2, 0, "arn:other"},
        {"golf_b", 1000, JobStatus::kCompleted, 1, 1, 0, "arn:team"},
        {"hotel", 6000, JobStatus::kInProgress, 5, 0, 5, "arn:team"},
    };
    for (const Spec& s : specs) {
      Job j;
      j.name = s.name;
      j.arn = std::string("arn:aws:sagemaker:us-east-1:123456789012:labeling-job/") + s.name;
      j.request_json = std::string(R"({"LabelingJobName":")") + s.name + R"("})";
      j.workteam_arn = s.team;
      j.job_reference_code = "x";
      j.created_ms = j.modified_ms = s.created_ms;
      j.workers_per_object = 2;
      j.status = JobStatus::kInitializing;
      int64_t id = store_->CreateJob(j).value().id;
      ASSERT_TRUE(store_->SetJobInputs(id, R"(["a","b"])", std::string(3000, 't')));
      std::vector<DataObject> objs(static_cast<size_t>(s.objects));
      for (size_t i = 0; i < objs.size(); ++i) {
        objs[i].index = static_cast<int64_t>(i);
        objs[i].line = "{}";
      }
      ASSERT_TRUE(store_->InsertObjects(id, objs, s.created_ms));
      std::vector<ObjectOutcome> outcomes;
      for (int i = 0; i < s.labeled + s.failed; ++i)
        outcomes.push_back({i, i < s.labeled ? ObjectState::kLabeled : ObjectState::kFailed, "{}",
                            i < s.labeled ? "" : "ClientError: no"});
      ASSERT_TRUE(store_->FinishObjects(id, outcomes, s.created_ms + 10));
      ASSERT_TRUE(store_->SetJobStatus(id, s.status,
                                       s.status == JobStatus::kFailed ? "ClientError: broken" : "",
                                       s.created_ms + 20));
    }
  }

  // The job list's order as the console sorted it in memory before the
  // store did: the reference every page is checked against.
  std::vector<std::string> Reference(const JobFilter& filter, JobSort sort, bool descending) {
    auto jobs = store_->ListJobs(filter).value();
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    auto progress = [](const Job& j) {
      return j.object_count ? static_cast<double>(j.labeled + j.failed) / static_cast<double>(j.object_count)
                            : 0.0;
    };
    auto less = [&](const Job& a, const Job& b) {
      if (sort == JobSort::kName) return lower(a.name) < lower(b.name);
      if (sort == JobSort::kStatus) {
        std::string sa = JobStatusName(a.status), sb = JobStatusName(b.status);
        if (sa != sb) return sa < sb;
      } else if (sort == JobSort::kProgress) {
        double pa = progress(a), pb = progress(b);
        if (pa != pb) return pa < pb;
      }
      if (a.created_ms != b.created_ms) return a.created_ms < b.created_ms;
      return a.id < b.id;
    };
    if (descending)
      std::sort(jobs.begin(), jobs.end(), [&](const Job& a, const Job& b) { return less(b, a); });
    else
      std::sort(jobs.begin(), jobs.end(), less);
    std::vector<std::string> names;
    for (const auto& j : jobs) names.push_back(j.name);
    return names;
  }

  // Every job of the query's order, read in pages of `size`; checks each
  // page's total.
  std::vector<std::string> Paged(JobPageQuery q, int64_t size, int64_t total) {
    std::vector<std::string> names;
    q.limit = size;
    for (q.offset = 0; q.offset < total + size; q.offset += size) {
      auto page = store_->ListJobPage(q);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      EXPECT_EQ(page->total, total);
      EXPECT_LE(static_cast<int64_t>(page->jobs.size()), size);
      for (const auto& j : page->jobs) names.push_back(j.name);
    }
    return names;
  }
};

TEST_P(JobPageTest, PagesFollowEachSortKeyAndOrderWithTiesByCreationThenId) {
  JobPageQuery q;
  q.limit = 100;
  q.sort = JobSort::kName;
  q.descending = false;
  auto page = store_->ListJobPage(q).value();
  std::vector<std::string> names;
  for (const auto& j : page.jobs) names.push_back(j.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "Bravo", "charlie", "Delta-1", "delta-10", "echo",
                                             "Foxtrot", "golf", "golf_b", "GOLFA", "hotel"}));
  EXPECT_EQ(page.total, 11);

  // Progress 0 (of 0 objects or of 3), 1/2 (of 2 and of 4), 2/3, 1.
  q.sort = JobSort::kProgress;
  names.clear();
  for (const auto& j : store_->ListJobPage(q).value().jobs) names.push_back(j.name);
  EXPECT_EQ(names, (std::vector<std::string>{"charlie", "delta-10", "echo", "Delta-1", "alpha", "Foxtrot",
                                             "golf", "GOLFA", "Bravo", "golf_b", "hotel"}));

  for (JobSort sort : {JobSort::kCreated, JobSort::kName, JobSort::kStatus, JobSort::kProgress})
    for (bool descending : {false, true}) {
      SCOPED_TRACE(testing::Message() << "sort " << static_cast<int>(sort) << (descending ? " desc" : " asc"));
      q.sort = sort;
      q.descending = descending;
      auto reference = Reference({}, sort, descending);
      ASSERT_EQ(reference.size(), 11u);
      EXPECT_EQ(Paged(q, 100, 11), reference);
      EXPECT_EQ(Paged(q, 4, 11), reference);
      EXPECT_EQ(Paged(q, 1, 11), reference);
    }
}

TEST_P(JobPageTest, FiltersApplyBeforeTheOrderAndTheTotal) {
  auto check = [&](const JobFilter& f, size_t expect) {
    for (JobSort sort : {JobSort::kCreated, JobSort::kName, JobSort::kStatus, JobSort::kProgress})
      for (bool descending : {false, true}) {
        JobPageQuery q;
        q.filter = f;
        q.sort = sort;
        q.descending = descending;
        auto reference = Reference(f, sort, descending);
        EXPECT_EQ(reference.size(), expect);
        EXPECT_EQ(Paged(q, 3, static_cast<int64_t>(reference.size())), reference);
      }
  };
  JobFilter f;
  f.name_contains = "DELTA";  // without case
  check(f, 2);
  f.name_contains = "f_";
  check(f, 1);
  f = {};
  f.status = JobStatus::kInProgress;
  check(f, 5);
  f.name_contains = "GOL";
  check(f, 2);
  f = {};
  f.workteam_arn = "arn:OTHER";  // without case
  check(f, 2);
  f = {};
  f.unfinished_only = true;
  check(f, 7);
  f = {};
  f.created_after_ms = 2000;
  f.created_before_ms = 5000;
  check(f, 4);
  f = {};
  f.modified_after_ms = 4020;
  check(f, 2);
  f.modified_before_ms = 4020;
  check(f, 0);
  f = {};
  f.name_contains = "no such job";
  check(f, 0);
}

TEST_P(JobPageTest, OffsetLimitAndTotalAndTheSummaryOfEachJob) {
  JobPageQuery q;
  q.sort = JobSort::kCreated;
  q.descending = true;
  q.offset = 2;
  q.limit = 3;
  auto page = store_->ListJobPage(q).value();
  EXPECT_EQ(page.total, 11);
  std::vector<std::string> names;
  for (const auto& j : page.jobs) names.push_back(j.name);
  // Created 6000, 5000, then three at 4000 (latest id first), then 3000.
  EXPECT_EQ(names, (std::vector<std::string>{"GOLFA", "golf", "Foxtrot"}));

  q.offset = 10;
  EXPECT_EQ(store_->ListJobPage(q).value().jobs.size(), 1u);
  q.offset = 11;
  page = store_->ListJobPage(q).value();
  EXPECT_TRUE(page.jobs.empty());
  EXPECT_EQ(page.total, 11);
  q.offset = 1000;
  EXPECT_TRUE(store_->ListJobPage(q).value().jobs.empty());
  q.offset = 0;
  q.limit = 0;
  page = store_->ListJobPage(q).value();
  EXPECT_TRUE(page.jobs.empty());
  EXPECT_EQ(page.total, 11);

  q.limit = -1;
  EXPECT_EQ(store_->ListJobPage(q).error().code, ErrorCode::kInvalidArgument);
  q.limit = 1;
  q.offset = -1;
  EXPECT_EQ(store_->ListJobPage(q).error().code, ErrorCode::kInvalidArgument);

  // A summary carries the job's row but its labels and template.
  q.filter.name_contains = "charlie";
  q.offset = 0;
  page = store_->ListJobPage(q).value();
  ASSERT_EQ(page.jobs.size(), 1u);
  const JobSummary& s = page.jobs[0];
  Job full = store_->GetJobByName("charlie").value();
  EXPECT_EQ(s.id, full.id);
  EXPECT_EQ(s.arn, full.arn);
  EXPECT_EQ(s.status, JobStatus::kFailed);
  EXPECT_EQ(s.failure_reason, "ClientError: broken");
  EXPECT_EQ(s.request_json, R"({"LabelingJobName":"charlie"})");
  EXPECT_EQ(s.created_ms, 2000);
  EXPECT_EQ(s.modified_ms, full.modified_ms);
  EXPECT_EQ(s.workers_per_object, 2);
  q.filter.name_contains = "Foxtrot";
  page = store_->ListJobPage(q).value();
  ASSERT_EQ(page.jobs.size(), 1u);
  EXPECT_EQ(page.jobs[0].object_count, 3);
  EXPECT_EQ(page.jobs[0].labeled, 1);
  EXPECT_EQ(page.jobs[0].failed, 1);
  EXPECT_EQ(page.jobs[0].status, JobStatus::kStopping);
}

TEST_P(JobPageTest, APageFollowsCounterAndStatusChanges) {
  JobPageQuery q;
  q.sort = JobSort::kProgress;
  q.descending = true;
  q.limit = 1;
  EXPECT_EQ(store_->ListJobPage(q).value().jobs.at(0).name, "hotel");  // 1, created last
  // echo (0 of 0) gets objects and labels all of them: 1, created 5000.
  int64_t echo = store_->GetJobByName("echo").value().id;
  std::vector<DataObject> objs(2);
  for (int64_t i = 0; i < 2; ++i) {
    objs[static_cast<size_t>(i)].index = i;
    objs[static_cast<size_t>(i)].line = "{}";
  }
  ASSERT_TRUE(store_->InsertObjects(echo, objs, 7000));
  ASSERT_TRUE(store_->FinishObjects(
      echo, {{0, ObjectState::kLabeled, "{}", ""}, {1, ObjectState::kLabeled, "{}", ""}}, 7000));
  q.limit = 2;
  auto page = store_->ListJobPage(q).value();
  ASSERT_EQ(page.jobs.size(), 2u);
  EXPECT_EQ(page.jobs[0].name, "hotel");
  EXPECT_EQ(page.jobs[1].name, "echo");
  EXPECT_EQ(page.jobs[1].labeled, 2);
  q.sort = JobSort::kStatus;
  q.descending = false;
  q.limit = 1;
  // Completed first; of the two created at 1000 the first made.
  EXPECT_EQ(store_->ListJobPage(q).value().jobs.at(0).name, "Bravo");
  ASSERT_TRUE(store_->SetJobStatus(echo, JobStatus::kCompleted, "", 8000));
  q.filter.status = JobStatus::kCompleted;
  q.limit = 10;
  std::vector<std::string> names;
  for (const auto& j : store_->ListJobPage(q).value().jobs) names.push_back(j.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Bravo", "golf_b", "echo"}));
}

TEST_P(StoreTest, CountersFollowObjectStates) {
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

TEST_P(StoreTest, ClaimNeverGivesAnObjectTwiceToOneWorkerNorBeyondN) {
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

TEST_P(StoreTest, SubmitIsIdempotentAndLateSubmitConflicts) {
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

TEST_P(StoreTest, ForEachAnswerStreamsEverySubmittedAnswerOfTheJobInOrder) {
  int64_t job = MakeJob("answers", 3, /*workers_per_object=*/2);
  int64_t other = MakeJob("other", 1);
  std::vector<Assignment> none;
  ASSERT_TRUE(store_->ForEachAnswer(job, [&](const Assignment& a) { none.push_back(a); }));
  EXPECT_TRUE(none.empty());
  // Worker 1 answers objects 0 and 1, worker 2 answers object 0 and holds
  // object 1 without answering; worker 1 releases object 2; another job's
  // answer stays out.
  auto a = store_->Claim(Req(job, 1, 100)).value();
  ASSERT_TRUE(store_->Submit(a->id, 1, "{\"v\":\"a\"}", 2.5, 200));
  auto b = store_->Claim(Req(job, 2, 210)).value();
  ASSERT_TRUE(store_->Submit(b->id, 2, "{\"v\":\"b\"}", 0, 300));
  auto c = store_->Claim(Req(job, 1, 310)).value();
  ASSERT_TRUE(store_->Submit(c->id, 1, "{\"v\":\"c\"}", 1, 400));
  ASSERT_TRUE(store_->Claim(Req(job, 2, 410)).value());
  auto d = store_->Claim(Req(job, 1, 420)).value();
  ASSERT_TRUE(d);
  ASSERT_TRUE(store_->EndLease(d->id, 1, AssignmentState::kReleased, 430));
  auto e = store_->Claim(Req(other, 1, 500)).value();
  ASSERT_TRUE(store_->Submit(e->id, 1, "{}", 1, 600));

  std::vector<Assignment> seen;
  ASSERT_TRUE(store_->ForEachAnswer(job, [&](const Assignment& x) { seen.push_back(x); }));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].answer_json, "{\"v\":\"a\"}");
  EXPECT_EQ(seen[0].user_id, 1);
  EXPECT_EQ(seen[0].object_index, a->object_index);
  EXPECT_EQ(seen[0].submitted_ms, 200);
  EXPECT_DOUBLE_EQ(seen[0].time_spent_s, 2.5);
  EXPECT_EQ(seen[1].user_id, 2);
  EXPECT_EQ(seen[1].submitted_ms, 300);
  EXPECT_EQ(seen[2].answer_json, "{\"v\":\"c\"}");
  for (const auto& x : seen) {
    EXPECT_EQ(x.job_id, job);
    EXPECT_EQ(x.state, AssignmentState::kSubmitted);
  }
  EXPECT_LT(seen[0].id, seen[1].id);
  EXPECT_LT(seen[1].id, seen[2].id);
  // Answers of labeled objects are still streamed.
  ASSERT_TRUE(store_->FinishObjects(job, {{a->object_index, ObjectState::kLabeled, "{}", ""}}, 700));
  size_t count = 0;
  ASSERT_TRUE(store_->ForEachAnswer(job, [&](const Assignment&) { ++count; }));
  EXPECT_EQ(count, 3u);
}

TEST_P(StoreTest, ForEachObjectLabelStreamsOnlyLabeledObjectsInIndexOrder) {
  int64_t job = MakeJob("labels", 6000);
  int64_t other = MakeJob("other", 3);
  std::vector<std::pair<int64_t, std::string>> seen;
  auto collect = [&](int64_t index, const std::string& label) { seen.emplace_back(index, label); };
  ASSERT_TRUE(store_->ForEachObjectLabel(job, collect));
  EXPECT_TRUE(seen.empty());
  // Labeled objects on both sides of a 4096-object page, a failed one and a
  // skipped one (neither streamed), another job's labeled object.
  std::vector<ObjectOutcome> outcomes = {{5000, ObjectState::kLabeled, "{\"l\":\"b\"}", ""},
                                         {3, ObjectState::kLabeled, "{\"l\":\"a\"}", ""},
                                         {4, ObjectState::kFailed, "", "ClientError: x"},
                                         {5, ObjectState::kSkipped, "", ""},
                                         {4096, ObjectState::kLabeled, "{\"l\":\"c\"}", ""}};
  ASSERT_TRUE(store_->FinishObjects(job, outcomes, 2000));
  ASSERT_TRUE(store_->FinishObjects(other, {{0, ObjectState::kLabeled, "{\"l\":\"x\"}", ""}}, 2000));
  ASSERT_TRUE(store_->ForEachObjectLabel(job, collect));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::pair<int64_t, std::string>{3, "{\"l\":\"a\"}"}));
  EXPECT_EQ(seen[1], (std::pair<int64_t, std::string>{4096, "{\"l\":\"c\"}"}));
  EXPECT_EQ(seen[2], (std::pair<int64_t, std::string>{5000, "{\"l\":\"b\"}"}));
  seen.clear();
  ASSERT_TRUE(store_->ForEachObjectLabel(987654, collect));
  EXPECT_TRUE(seen.empty());
}

TEST_P(StoreTest, SubmitAndClaimSubmitsThenClaimsInOneCommit) {
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

TEST_P(StoreTest, AsyncWritesAnswerOnceEachAfterTheirCommit) {
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
    store_->ClaimAsync(Req(job, w, 100), 0, [&, w](Result<std::optional<Assignment>> a) {
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
  for (const auto& [w, a] : claimed) store_->SubmitAsync(a.id, w, "{\"x\":1}", 1, 200, 0, record);
  ASSERT_TRUE(wait_for(16));
  for (const auto& [w, a] : claimed) store_->SubmitAsync(a.id, w, "{\"x\":1}", 1, 300, 0, record);
  store_->SubmitAsync(claimed.at(1).id, 2, "{}", 1, 300, 0, record);
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
  store_->SubmitAndClaimAsync(next->id, 1, "{}", 1, 500, Req(job, 1, 500), 0, [&](auto r) {
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

TEST_P(StoreTest, ExpiredLeaseReturnsTaskAndDeclineIsPermanent) {
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

TEST_P(StoreTest, TheWindowOfReleasedObjectsCapsNewObjects) {
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

TEST_P(StoreTest, ObjectsWithAllAnswersInLeaveTheWindow) {
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

TEST_P(StoreTest, AStoppingConditionStartsNoNewObject) {
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

TEST_P(StoreTest, TheClaimReadsTheJobsStatusAndLabeledCountInItsTransaction) {
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

TEST_P(StoreTest, DeclinesUseUpPlacesAndAllDeclinedObjectsAwaitSettling) {
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

TEST_P(StoreTest, ObjectsPastTheirAvailabilityAreNotHandedOutAndAwaitSettling) {
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

TEST_P(StoreTest, UsersGroupsKeysSessionsAndTeams) {
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

TEST_P(StoreTest, ConcurrentWritersShareCommitsAndFailAlone) {
  // 32 threads create users; every fourth name is taken twice. The first
  // write's report holds the thread that reports commits, as a slow commit
  // would, while the 32 threads start: their writes queue up behind it and
  // must share commits (a serial writer would use one commit per write).
  // The failing duplicates share transactions with successful writes and
  // must roll back alone.
  int64_t job = MakeJob("held", 1);
  const StoreStats before = store_->Stats();
  std::mutex m;
  std::condition_variable cv;
  bool holding = false, release = false;
  store_->ClaimAsync(Req(job, 999, 100), 0, [&](Result<std::optional<Assignment>>) {
    std::unique_lock<std::mutex> lock(m);
    holding = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return holding; }));
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, dup{0}, started{0};
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      ++started;
      for (int i = 0; i < 20; ++i) {
        User u;
        u.username = std::string("u")
                         .append(std::to_string(t % 4 == 3 ? t - 1 : t))
                         .append("-")
                         .append(std::to_string(i));
        u.password_hash = "h";
        u.worker_key = "k";
        u.sub = "s";
        u.groups = {std::string("g").append(std::to_string(t))};
        auto r = store_->CreateUser(u);
        if (r) ++ok;
        else if (r.error().code == ErrorCode::kAlreadyExists) ++dup;
      }
    });
  }
  while (started < 32) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // their first writes queue up
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + dup, 640);
  EXPECT_EQ(dup, 160);
  const StoreStats after = store_->Stats();
  // Committed writes: the held claim, the 480 creates that succeeded, and
  // the duplicates that rolled back inside a shared transaction (one that
  // ran alone rolled back its own transaction and is not counted).
  const int64_t writes = after.writes - before.writes;
  EXPECT_GE(writes, ok + 1);
  EXPECT_LE(writes, 641);
  // A serial writer commits every successful write on its own.
  EXPECT_LT(after.commits - before.commits, ok + 1) << "writes did not share commits";
  EXPECT_EQ(after.failed_commits, before.failed_commits);
  auto users = store_->ListUsers().value();
  EXPECT_EQ(users.size(), 480u);
  for (const auto& u : users) EXPECT_EQ(u.groups.size(), 1u) << u.username;
}

TEST_P(StoreTest, ABatchOfSubmitsAndClaimsKeepsEachWritesFailureItsOwn) {
  // 20 workers hold a task each (N = 1 over 40 objects). While the first
  // write's report holds the writer, they all submit at once, so their
  // writes share one batch: most submit and claim their next task, worker
  // 13 submits worker 14's task (refused), and worker 7's answer is not
  // valid UTF-8, which a database may refuse (PostgreSQL does, in the
  // middle of the batch). Every other write must keep its result, and
  // worker 7's lease must be as it was when the database refused.
  int64_t job = MakeJob("batch", 40);
  std::map<int64_t, Assignment> held;
  for (int64_t w = 1; w <= 20; ++w) held[w] = store_->Claim(Req(job, w, 100)).value().value();
  int64_t hold_job = MakeJob("hold", 1);
  const StoreStats before = store_->Stats();
  std::mutex m;
  std::condition_variable cv;
  bool holding = false, release = false;
  int answered = 0;
  store_->ClaimAsync(Req(hold_job, 999, 100), 0, [&](Result<std::optional<Assignment>>) {
    std::unique_lock<std::mutex> lock(m);
    holding = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return holding; }));
  }
  std::map<int64_t, Result<std::pair<SubmitOutcome, std::optional<Assignment>>>> both;
  std::map<int64_t, Result<SubmitOutcome>> alone;
  for (int64_t w = 1; w <= 20; ++w) {
    if (w == 7 || w == 13) {
      const std::string answer = w == 7 ? "{\"x\":\"\xff\xfe\"}" : "{}";
      store_->SubmitAsync(held[w == 13 ? 14 : w].id, w, answer, 1, 200, 0,
                          [&, w](Result<SubmitOutcome> r) {
                            std::lock_guard<std::mutex> lock(m);
                            alone.emplace(w, std::move(r));
                            ++answered;
                            cv.notify_all();
                          });
      continue;
    }
    store_->SubmitAndClaimAsync(held[w].id, w, "{\"x\":1}", 1, 200, Req(job, w, 200), 0,
                                [&, w](auto r) {
                                  std::lock_guard<std::mutex> lock(m);
                                  both.emplace(w, std::move(r));
                                  ++answered;
                                  cv.notify_all();
                                });
  }
  {
    std::unique_lock<std::mutex> lock(m);
    release = true;
    cv.notify_all();
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return answered == 20; }));
  }
  const StoreStats after = store_->Stats();
  EXPECT_EQ(after.failed_commits, before.failed_commits);
  EXPECT_EQ(after.reconnects, before.reconnects);  // the writer's connection came through
  EXPECT_LE(after.commits - before.commits, 3) << "the writes did not share commits";

  std::set<int64_t> next_objects;
  for (auto& [w, r] : both) {
    ASSERT_TRUE(r) << "worker " << w << ": " << r.error().message;
    EXPECT_EQ(r->first, SubmitOutcome::kAccepted) << "worker " << w;
    ASSERT_TRUE(r->second) << "worker " << w << " got no next task";
    EXPECT_GE(r->second->object_index, 20) << "worker " << w;
    EXPECT_EQ(r->second->user_id, w);
    EXPECT_FALSE(r->second->object_line.empty());
    next_objects.insert(r->second->object_index);
  }
  EXPECT_EQ(next_objects.size(), 18u);  // N = 1: nobody shares an object
  ASSERT_FALSE(alone.at(13));
  EXPECT_EQ(alone.at(13).error().code, ErrorCode::kConflict);
  auto own_13 = store_->GetObject(job, held[13].object_index).value();
  EXPECT_EQ(own_13.answers, 0);  // worker 13's own task is still theirs
  EXPECT_EQ(own_13.leases, 1);
  bool refused_7 = !alone.at(7);
  // A UTF-8 PostgreSQL database refuses it in the middle of the batch.
  if (GetParam().name == "Postgres") {
    EXPECT_TRUE(refused_7);
  }
  if (refused_7) {
    EXPECT_EQ(alone.at(7).error().code, ErrorCode::kUnavailable);
    auto o = store_->GetObject(job, held[7].object_index).value();
    EXPECT_EQ(o.answers, 0);
    EXPECT_EQ(o.leases, 1);
    // The lease is still worker 7's: a valid answer goes in.
    EXPECT_EQ(store_->Submit(held[7].id, 7, "{\"x\":7}", 1, 300).value(), SubmitOutcome::kAccepted);
  } else {
    EXPECT_EQ(*alone.at(7), SubmitOutcome::kAccepted);
  }
  int64_t answers = 0, leases = 0;
  for (int i = 0; i < 40; ++i) {
    auto o = store_->GetObject(job, i).value();
    EXPECT_LE(o.answers + o.leases, 1) << "object " << i;
    answers += o.answers;
    leases += o.leases;
  }
  EXPECT_EQ(answers, 19);  // 18 with their next task, and worker 7's
  EXPECT_EQ(leases, 18 + 1);  // the 18 next tasks and worker 13's own
}

TEST_P(StoreTest, ConcurrentClaimsNeverExceedN) {
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

TEST_P(StoreTest, ReopenKeepsDataAndSchemaVersion) {
  int64_t job = MakeJob("persist", 2);
  store_.reset();
  StoreOptions durable = options_;
  durable.durable = true;
  store_ = Open(durable);
  EXPECT_EQ(store_->GetJob(job).value().object_count, 2);
  int count = 0;
  ASSERT_TRUE(store_->ForEachObject(job, [&](const DataObject&) { ++count; }));
  EXPECT_EQ(count, 2);
}

TEST_P(StoreTest, TaskInputsAreStoredAndObjectsAwaitPreprocessingInOrder) {
  Job j;
  j.name = "inputs";
  j.arn = "arn:inputs";
  j.request_json = "{}";
  j.workteam_arn = "arn:team";
  j.job_reference_code = "x";
  j.status = JobStatus::kInProgress;
  int64_t job = store_->CreateJob(j).value().id;
  std::vector<DataObject> objs(5);
  for (int i = 0; i < 5; ++i) {
    objs[i].index = i;
    objs[i].line = "{\"source\":\"" + std::to_string(i) + "\"}";
  }
  objs[1].task_input_json = R"({"taskObject":"1"})";  // pre-processed at insert
  objs[4].state = ObjectState::kFailed;                // failed objects need no input
  objs[4].failure_reason = "too long";
  ASSERT_TRUE(store_->InsertObjects(job, objs, 1000));
  EXPECT_EQ(store_->GetObject(job, 1).value().task_input_json, R"({"taskObject":"1"})");
  EXPECT_EQ(store_->GetObject(job, 0).value().task_input_json, "");

  auto todo = store_->ObjectsToPreprocess(job, 10).value();
  ASSERT_EQ(todo.size(), 3u);
  EXPECT_EQ(todo[0].index, 0);
  EXPECT_EQ(todo[1].index, 2);
  EXPECT_EQ(todo[2].index, 3);
  EXPECT_EQ(todo[1].line, "{\"source\":\"2\"}");
  EXPECT_EQ(store_->ObjectsToPreprocess(job, 1).value().size(), 1u);

  ASSERT_TRUE(store_->SetTaskInputs(job, {{0, R"({"taskObject":"0"})"}, {2, "{}"}}));
  todo = store_->ObjectsToPreprocess(job, 10).value();
  ASSERT_EQ(todo.size(), 1u);
  EXPECT_EQ(todo[0].index, 3);
  // One transaction: an unknown index stores nothing.
  auto bad = store_->SetTaskInputs(job, {{3, "{}"}, {99, "{}"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->ObjectsToPreprocess(job, 10).value().size(), 1u);

  std::map<int64_t, std::string> seen;
  ASSERT_TRUE(store_->ForEachObject(job, [&](const DataObject& o) { seen[o.index] = o.task_input_json; }));
  EXPECT_EQ(seen[0], R"({"taskObject":"0"})");
  EXPECT_EQ(seen[2], "{}");
  EXPECT_EQ(seen[3], "");
  EXPECT_EQ(store_->GetObjectsWithAnswers(job, {0}).value().at(0).object.task_input_json,
            R"({"taskObject":"0"})");
  EXPECT_TRUE(store_->ObjectsToPreprocess(job + 1, 10).value().empty());  // unknown job: none

  // The text is kept as the task type wrote it, whatever JSON it is: a
  // built-in stores a short string that a claim joins with the line.
  ASSERT_TRUE(store_->SetTaskInputs(job, {{3, R"("source-ref")"}}));
  EXPECT_EQ(store_->GetObject(job, 3).value().task_input_json, R"("source-ref")");
  EXPECT_TRUE(store_->ObjectsToPreprocess(job, 10).value().empty());
}

TEST_P(StoreTest, ClaimsSkipObjectsWithoutTaskInputOnlyWhenAsked) {
  int64_t job = MakeJob("j", 3, 2);  // N = 2, nothing pre-processed
  ClaimRequest r = Req(job, 1, 100);
  r.require_task_input = true;
  EXPECT_FALSE(store_->Claim(r).value());
  // Without the flag, claims hand out objects as before (no input yet).
  auto a = store_->Claim(Req(job, 9, 100)).value();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->object_index, 0);
  EXPECT_EQ(a->task_input_json, "");
  EXPECT_EQ(a->object_line, "{\"source\":\"0\"}");

  // Object 0 is in progress but has no input: a worker who needs inputs
  // gets object 2, the first with one.
  ASSERT_TRUE(store_->SetTaskInputs(job, {{2, R"({"taskObject":"two"})"}}));
  auto b = store_->Claim(r).value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->object_index, 2);
  EXPECT_EQ(b->task_input_json, R"({"taskObject":"two"})");
  EXPECT_EQ(b->object_line, "{\"source\":\"2\"}");
  // A held task comes back with its input.
  auto held = store_->Claim(r).value();
  ASSERT_TRUE(held);
  EXPECT_EQ(held->id, b->id);
  EXPECT_EQ(held->task_input_json, R"({"taskObject":"two"})");

  // SubmitAndClaim's claim follows the same rule: after object 2, nothing
  // pre-processed is left for worker 1 until object 0 gets its input.
  auto both = store_->SubmitAndClaim(b->id, 1, "{}", 1, 200, [&] {
    ClaimRequest next = r;
    next.now_ms = 200;
    return next;
  }()).value();
  EXPECT_EQ(both.first, SubmitOutcome::kAccepted);
  EXPECT_FALSE(both.second);
  ASSERT_TRUE(store_->SetTaskInputs(job, {{0, R"({"taskObject":"zero"})"}}));
  r.now_ms = 300;
  auto c = store_->Claim(r).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 0);  // in progress first
  EXPECT_EQ(c->task_input_json, R"({"taskObject":"zero"})");
}

TEST_P(StoreTest, StatsCountCommittedWrites) {
  const StoreStats before = store_->Stats();
  ASSERT_TRUE(store_->PutSetting("k", "v"));
  EXPECT_EQ(store_->GetSetting("k").value(), std::optional<std::string>("v"));
  const StoreStats after = store_->Stats();
  EXPECT_GE(after.commits - before.commits, 1);
  EXPECT_GE(after.writes - before.writes, 1);
  EXPECT_LE(after.commits, after.writes);
}

TEST_P(StoreTest, SkippedObjectsLeaveTheJobsTotal) {
  int64_t job = MakeJob("skips", 3, 1, 1);
  auto done = store_->FinishObjects(job, {{0, ObjectState::kSkipped, "", ""}}, 2000).value();
  ASSERT_TRUE(done[0]);
  Job j = store_->GetJob(job).value();
  EXPECT_EQ(j.object_count, 2);
  EXPECT_EQ(j.labeled, 0);
  EXPECT_EQ(j.failed, 0);
  EXPECT_EQ(store_->GetObject(job, 0).value().state, ObjectState::kSkipped);
  EXPECT_EQ(store_->CountAvailable(job).value(), 2);
  // It left the window of one released object: the next one is released.
  auto c = store_->Claim(Req(job, 1, 2100)).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->object_index, 1);
}

// Lines an earlier job labeled under the same name go in skipped (spec
// §5.5): outside the job's total, never released, claimed or pre-processed.
TEST_P(StoreTest, ObjectsInsertedSkippedAreOutsideTheJob) {
  int64_t job = MakeJob("carried", 0);
  std::vector<DataObject> objs(4);
  for (int i = 0; i < 4; ++i) {
    objs[i].index = i;
    objs[i].line = "{\"source\":\"" + std::to_string(i) + "\"}";
  }
  objs[0].state = objs[2].state = ObjectState::kSkipped;
  ASSERT_TRUE(store_->InsertObjects(job, objs, 1000));
  Job j = store_->GetJob(job).value();
  EXPECT_EQ(j.object_count, 2);
  EXPECT_EQ(j.failed, 0);
  EXPECT_EQ(store_->CountAvailable(job).value(), 2);
  auto todo = store_->ObjectsToPreprocess(job, 10).value();
  ASSERT_EQ(todo.size(), 2u);
  EXPECT_EQ(todo[0].index, 1);
  EXPECT_EQ(todo[1].index, 3);
  ASSERT_TRUE(store_->SetTaskInputs(job, {{1, "{}"}, {3, "{}"}}));
  ASSERT_TRUE(store_->ReleaseObjects(job, 1, 1000));
  auto first = store_->Claim(Req(job, 1, 1100)).value();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->object_index, 1);
  ASSERT_TRUE(store_->FinishObjects(job, {{1, ObjectState::kLabeled, "{}", ""}}, 1200));
  auto second = store_->Claim(Req(job, 2, 1300)).value();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->object_index, 3);
  EXPECT_FALSE(store_->Claim(Req(job, 3, 1300)).value());
  EXPECT_EQ(store_->GetObject(job, 2).value().state, ObjectState::kSkipped);
}

TEST_P(StoreTest, FunctionsAreNamedUniquelyFoundByNameOrArnUpdatedAndDeleted) {
  Function f;
  f.name = "gt-pre";
  f.arn = "arn:aws:lambda:us-east-1:123456789012:function:gt-pre";
  f.kind = "python";
  f.runtime = "python3.11";
  f.handler = "pre.lambda_handler";
  f.code_dir = "functions/gt-pre/1";
  f.code_sha256 = "abc=";
  f.code_size = 42;
  f.timeout_s = 3;
  f.environment_json = R"({"A":"1"})";
  f.created_ms = f.modified_ms = 1000;
  ASSERT_TRUE(store_->CreateFunction(f));
  Function dup = f;
  dup.arn += "-other";
  EXPECT_EQ(store_->CreateFunction(dup).error().code, ErrorCode::kAlreadyExists);
  Function same_arn = f;  // another name, the same ARN
  same_arn.name = "gt-pre-2";
  EXPECT_EQ(store_->CreateFunction(same_arn).error().code, ErrorCode::kAlreadyExists);
  Function g = f;
  g.name = "gt-acs";
  g.arn = "arn:aws:lambda:us-east-1:123456789012:function:gt-acs";
  g.kind = "executable";
  ASSERT_TRUE(store_->CreateFunction(g));

  auto by_name = store_->GetFunction("gt-pre").value();
  EXPECT_EQ(by_name.arn, f.arn);
  EXPECT_EQ(by_name.handler, "pre.lambda_handler");
  EXPECT_EQ(by_name.environment_json, R"({"A":"1"})");
  EXPECT_EQ(by_name.revision, 1);
  EXPECT_EQ(store_->GetFunction(f.arn).value().name, "gt-pre");
  EXPECT_EQ(store_->GetFunction("GT-PRE").error().code, ErrorCode::kNotFound);
  auto all = store_->ListFunctions().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "gt-acs");  // by name
  EXPECT_EQ(all[1].name, "gt-pre");

  Function changed = f;
  changed.arn = "ignored";
  changed.created_ms = 5;
  changed.timeout_s = 30;
  changed.code_dir = "functions/gt-pre/2";
  changed.modified_ms = 2000;
  auto updated = store_->UpdateFunction(changed).value();
  EXPECT_EQ(updated.revision, 2);
  EXPECT_EQ(updated.arn, f.arn);
  auto read = store_->GetFunction("gt-pre").value();
  EXPECT_EQ(read.arn, f.arn);  // an update keeps the ARN and the creation time
  EXPECT_EQ(read.timeout_s, 30);
  EXPECT_EQ(read.code_dir, "functions/gt-pre/2");
  EXPECT_EQ(read.created_ms, 1000);
  EXPECT_EQ(read.modified_ms, 2000);
  EXPECT_EQ(read.revision, 2);
  Function missing = f;
  missing.name = "nope";
  EXPECT_EQ(store_->UpdateFunction(missing).error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(store_->DeleteFunction("gt-pre"));
  EXPECT_EQ(store_->DeleteFunction("gt-pre").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->GetFunction("gt-pre").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->ListFunctions().value().size(), 1u);
}

// Two stores on one database (two processes, or two replicas of the server)
// claim and submit at the same time: no object is handed out twice, none
// gets more answers than it needs, and every acknowledged answer is stored.
TEST_P(StoreTest, TwoStoresOnOneDatabaseNeverHandOutAnObjectTwice) {
  const int kObjects = 60;
  int64_t job = MakeJob("shared", kObjects, 2);
  std::unique_ptr<Store> other = Open(options_);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Store& s = t % 2 == 0 ? *store_ : *other;
      for (int errors = 0; errors < 100;) {
        auto claimed = s.Claim(Req(job, 100 + t, 2000));
        if (!claimed) {  // a busy database: try again, a few times
          ++errors;
          continue;
        }
        if (!*claimed) return;   // nothing left for this worker
        auto r = s.Submit((*claimed)->id, 100 + t, "{\"w\":" + std::to_string(t) + "}", 1, 2000);
        if (r && *r == SubmitOutcome::kAccepted) ++accepted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 2 * kObjects);
  std::vector<int64_t> all;
  for (int i = 0; i < kObjects; ++i) all.push_back(i);
  auto answered = store_->GetObjectsWithAnswers(job, all).value();
  for (const auto& oa : answered) {
    EXPECT_EQ(oa.object.answers, 2) << "object " << oa.object.index;
    EXPECT_EQ(oa.object.leases, 0) << "object " << oa.object.index;
    ASSERT_EQ(oa.answers.size(), 2u) << "object " << oa.object.index;
    EXPECT_NE(oa.answers[0].user_id, oa.answers[1].user_id) << "object " << oa.object.index;
  }
}

// The runner reads a batch of objects at once: each with its answers in
// the order they were submitted, in the order asked (an index asked twice
// comes twice), and a missing object fails the read.
TEST_P(StoreTest, ObjectsWithAnswersComeInTheOrderAsked) {
  int64_t job = MakeJob("batch_read", 4, 2);
  auto first = store_->Claim(Req(job, 1, 2000)).value();
  auto second = store_->Claim(Req(job, 2, 2000)).value();
  auto third = store_->Claim(Req(job, 3, 2000)).value();
  ASSERT_TRUE(first && second && third);
  ASSERT_EQ(first->object_index, 0);
  ASSERT_EQ(second->object_index, 0);
  ASSERT_EQ(third->object_index, 1);
  // Worker 2 submits first.
  ASSERT_EQ(store_->Submit(second->id, 2, R"({"w":2})", 1, 2050).value(), SubmitOutcome::kAccepted);
  ASSERT_EQ(store_->Submit(first->id, 1, R"({"w":1})", 1, 2100).value(), SubmitOutcome::kAccepted);
  ASSERT_EQ(store_->Submit(third->id, 3, R"({"w":3})", 1, 2100).value(), SubmitOutcome::kAccepted);
  auto read = store_->GetObjectsWithAnswers(job, {2, 0, 1, 0}).value();
  ASSERT_EQ(read.size(), 4u);
  std::vector<int64_t> order;
  for (const auto& oa : read) order.push_back(oa.object.index);
  EXPECT_EQ(order, (std::vector<int64_t>{2, 0, 1, 0}));
  EXPECT_TRUE(read[0].answers.empty());
  EXPECT_EQ(read[0].object.line, R"({"source":"2"})");
  for (size_t i : {size_t{1}, size_t{3}}) {
    ASSERT_EQ(read[i].answers.size(), 2u) << i;
    EXPECT_EQ(read[i].answers[0].user_id, 2) << i;
    EXPECT_EQ(read[i].answers[0].answer_json, R"({"w":2})") << i;
    EXPECT_EQ(read[i].answers[1].user_id, 1) << i;
    EXPECT_EQ(read[i].answers[1].submitted_ms, 2100) << i;
    EXPECT_EQ(read[i].object.answers, 2) << i;
  }
  ASSERT_EQ(read[2].answers.size(), 1u);
  EXPECT_EQ(read[2].answers[0].id, third->id);
  EXPECT_EQ(read[2].answers[0].object_index, 1);
  EXPECT_EQ(store_->GetObjectsWithAnswers(job, {0, 7}).error().code, ErrorCode::kNotFound);
}

// FinishObjects settles each outcome on its own (a missing object, one
// finished earlier in the same call), and the window takes in as many new
// objects as left it.
TEST_P(StoreTest, FinishObjectsRefusesBadOutcomesAloneAndRefillsTheWindow) {
  int64_t job = MakeJob("finish_batch", 6, 1, 2);
  auto done = store_->FinishObjects(job, {{1, ObjectState::kFailed, "", "gone"},
                                          {99, ObjectState::kLabeled, "{}", ""},
                                          {1, ObjectState::kLabeled, "{}", ""},
                                          {0, ObjectState::kLabeled, R"({"l":"a\"b"})", ""}},
                                   2000)
                  .value();
  ASSERT_EQ(done.size(), 4u);
  EXPECT_TRUE(done[0]);
  EXPECT_EQ(done[1].error().code, ErrorCode::kNotFound);
  EXPECT_EQ(done[2].error().code, ErrorCode::kConflict);
  EXPECT_TRUE(done[3]);
  Job j = store_->GetJob(job).value();
  EXPECT_EQ(j.labeled, 1);
  EXPECT_EQ(j.failed, 1);
  DataObject zero = store_->GetObject(job, 0).value();
  EXPECT_EQ(zero.state, ObjectState::kLabeled);
  EXPECT_EQ(zero.label_json, R"({"l":"a\"b"})");
  DataObject one = store_->GetObject(job, 1).value();
  EXPECT_EQ(one.state, ObjectState::kFailed);
  EXPECT_EQ(one.failure_reason, "gone");
  // Objects 0 and 1 left the window of two: 2 and 3 are handed out, 4 is not.
  std::vector<int64_t> claimed;
  for (int64_t user = 1; user <= 3; ++user)
    if (auto c = store_->Claim(Req(job, user, 2100)).value()) claimed.push_back(c->object_index);
  EXPECT_EQ(claimed, (std::vector<int64_t>{2, 3}));
}

TEST_P(StoreTest, ALeaseHasOneHolderUntilItExpiresOrIsReleased) {
  int64_t first = store_->AcquireLease("job:1", "replica-a", 1000, 100).value();
  EXPECT_GT(first, 0);
  // Another holder waits while the lease is live; the holder renews it.
  EXPECT_EQ(store_->AcquireLease("job:1", "replica-b", 1050, 100).value(), 0);
  EXPECT_EQ(store_->AcquireLease("job:1", "replica-a", 1050, 100).value(), first);
  EXPECT_EQ(store_->AcquireLease("job:1", "replica-b", 1149, 100).value(), 0);
  // Past its expiry (1150) another takes it, with a new epoch.
  int64_t second = store_->AcquireLease("job:1", "replica-b", 1150, 100).value();
  EXPECT_GT(second, first);
  EXPECT_EQ(store_->AcquireLease("job:1", "replica-a", 1160, 100).value(), 0);
  // Only the holder's release counts; after it the lease is free at once.
  ASSERT_TRUE(store_->ReleaseLease("job:1", "replica-a"));
  EXPECT_EQ(store_->AcquireLease("job:1", "replica-a", 1170, 100).value(), 0);
  ASSERT_TRUE(store_->ReleaseLease("job:1", "replica-b"));
  int64_t third = store_->AcquireLease("job:1", "replica-a", 1180, 100).value();
  EXPECT_GT(third, second);
  // Leases are independent by name; releasing an unknown one is no error.
  EXPECT_GT(store_->AcquireLease("job:2", "replica-b", 1180, 100).value(), 0);
  EXPECT_TRUE(store_->ReleaseLease("job:3", "replica-b"));
  // Another store on the database sees the same holder.
  std::unique_ptr<Store> other = Open(options_);
  EXPECT_EQ(other->AcquireLease("job:1", "replica-c", 1200, 100).value(), 0);
  EXPECT_EQ(other->AcquireLease("job:1", "replica-a", 1200, 100).value(), third);
  EXPECT_EQ(store_->AcquireLease("", "replica-a", 1200, 100).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->AcquireLease("job:1", "", 1200, 100).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->AcquireLease("job:1", "replica-a", 1200, 0).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(StoreTest, HoldersRacingForAFreeLeaseOnTwoStoresGetItOnce) {
  std::unique_ptr<Store> other = Open(options_);
  for (int round = 0; round < 5; ++round) {
    const std::string name = "race:" + std::to_string(round);
    std::atomic<int> won{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        Store& s = t % 2 == 0 ? *store_ : *other;
        auto epoch = s.AcquireLease(name, "holder-" + std::to_string(t), 5000, 60000);
        if (!epoch)
          ++failed;
        else if (*epoch > 0)
          ++won;
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failed.load(), 0) << name;
    EXPECT_EQ(won.load(), 1) << name;
  }
}

// The runner's writes carry its lease: a write under a fence whose epoch
// (or holder) is no longer the lease's changes nothing and says so.
TEST_P(StoreTest, FencedWritesApplyOnlyWhileTheLeaseKeepsTheirEpoch) {
  const int64_t job = MakeJob("fenced", 6);
  const std::string name = "job:" + std::to_string(job);
  const LeaseFence a{name, "replica-a", store_->AcquireLease(name, "replica-a", 1000, 100).value()};
  ASSERT_GT(a.epoch, 0);
  auto labeled = [](int64_t index) {
    return ObjectOutcome{index, ObjectState::kLabeled, R"({"label":"cat"})", ""};
  };
  // The holder's writes go through, also once its lease has expired while
  // no one else took it (nobody else can have written meanwhile).
  auto first = store_->FinishObjects(job, {labeled(0)}, 1050, &a);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE((*first)[0]);
  ASSERT_TRUE(store_->SetTaskInputs(job, {{1, R"({"a":1})"}}, &a));
  ASSERT_TRUE(store_->SetJobInputs(job, R"(["cat"])", "<p>a</p>", &a));
  ASSERT_TRUE(store_->SetJobStatus(job, JobStatus::kInProgress, "", 1060, &a));
  ASSERT_TRUE(store_->FinishObjects(job, {labeled(1)}, 1200, &a));
  EXPECT_EQ(store_->GetJob(job).value().labeled, 2);

  // Another holder takes it over: every write under the old fence is
  // refused, and nothing of it is applied.
  const LeaseFence b{name, "replica-b", store_->AcquireLease(name, "replica-b", 1300, 100).value()};
  ASSERT_GT(b.epoch, a.epoch);
  const Job before = store_->GetJob(job).value();
  auto refused = [&](const Status& s, const char* what) {
    ASSERT_FALSE(s) << what << " was applied under a lost lease";
    EXPECT_TRUE(IsLeaseLost(s.error())) << what << ": " << s.error().message;
    EXPECT_EQ(s.error().code, ErrorCode::kConflict) << what;
    EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("replica-b"), std::string::npos) << s.error().message;
  };
  auto late = store_->FinishObjects(job, {labeled(2)}, 1310, &a);
  refused(late ? Status{} : Status(late.error()), "FinishObjects");
  refused(store_->SetTaskInputs(job, {{3, R"({"late":1})"}}, &a), "SetTaskInputs");
  refused(store_->SetJobInputs(job, R"(["dog"])", "<p>late</p>", &a), "SetJobInputs");
  refused(store_->SetJobStatus(job, JobStatus::kCompleted, "", 1310, &a), "SetJobStatus");
  refused(store_->MarkOutputWritten(job, 1310, &a), "MarkOutputWritten");
  DataObject extra;
  extra.index = 6;
  extra.line = R"({"source":"late"})";
  refused(store_->InsertObjects(job, {extra}, 1310, &a), "InsertObjects");
  refused(store_->ReleaseObjects(job, 1, 1310, &a), "ReleaseObjects");
  refused(store_->DeleteObjects(job, &a), "DeleteObjects");
  const Job after = store_->GetJob(job).value();
  EXPECT_EQ(after.status, JobStatus::kInProgress);
  EXPECT_FALSE(after.output_written);
  EXPECT_EQ(after.labeled, before.labeled);
  EXPECT_EQ(after.object_count, 6);
  EXPECT_EQ(after.labels_json, R"(["cat"])");
  EXPECT_EQ(after.ui_template, "<p>a</p>");
  EXPECT_EQ(store_->GetObject(job, 2).value().state, ObjectState::kAvailable);
  EXPECT_TRUE(store_->GetObject(job, 3).value().task_input_json.empty());
  EXPECT_EQ(store_->GetObject(job, 6).error().code, ErrorCode::kNotFound);

  // The new holder's writes go through; the output is recorded once, by it.
  ASSERT_TRUE(store_->FinishObjects(job, {labeled(2)}, 1330, &b));
  ASSERT_TRUE(store_->MarkOutputWritten(job, 1330, &b));
  EXPECT_TRUE(store_->GetJob(job).value().output_written);
  EXPECT_EQ(store_->GetJob(job).value().labeled, 3);

  // The right epoch under another holder's name, a lease no one took, and
  // the holder's own fence once it handed the lease back: refused.
  const LeaseFence impostor{name, "replica-c", b.epoch};
  auto stolen = store_->SetJobStatus(job, JobStatus::kStopped, "", 1340, &impostor);
  ASSERT_FALSE(stolen);
  EXPECT_TRUE(IsLeaseLost(stolen.error())) << stolen.error().message;
  const LeaseFence unknown{"job:nosuch", "replica-b", 1};
  auto none = store_->SetJobStatus(job, JobStatus::kStopped, "", 1340, &unknown);
  ASSERT_FALSE(none);
  EXPECT_TRUE(IsLeaseLost(none.error())) << none.error().message;
  ASSERT_TRUE(store_->ReleaseLease(name, "replica-b"));
  auto released = store_->SetJobStatus(job, JobStatus::kStopped, "", 1340, &b);
  ASSERT_FALSE(released);
  EXPECT_TRUE(IsLeaseLost(released.error())) << released.error().message;
  // Taken again by the same holder, the lease has a new epoch: the fence
  // it held before is still refused.
  EXPECT_GT(store_->AcquireLease(name, "replica-b", 1350, 100).value(), b.epoch);
  EXPECT_FALSE(store_->SetJobStatus(job, JobStatus::kStopped, "", 1350, &b));
  EXPECT_EQ(store_->GetJob(job).value().status, JobStatus::kInProgress);
  // Writes without a fence (an API caller's) are not tied to any lease.
  ASSERT_TRUE(store_->SetJobStatus(job, JobStatus::kStopping, "", 1360));
  EXPECT_EQ(store_->GetJob(job).value().status, JobStatus::kStopping);
  // Other errors are not mistaken for a lost lease.
  EXPECT_FALSE(IsLeaseLost(Conflict("object 2 already finished")));
}

// A takeover and the old holder's writes, racing on two stores (two
// replicas): every write the old holder was told succeeded committed before
// the takeover, and none after it is applied. Read right after the
// takeover, the labeled count is the old holder's successes, and it stays so.
TEST_P(StoreTest, ATakeoverRacingFencedWritesLetsNoneThroughAfterIt) {
  std::unique_ptr<Store> other = Open(options_);
  for (int round = 0; round < 4; ++round) {
    const int64_t job = MakeJob("race-" + std::to_string(round), 400);
    const std::string name = "job:" + std::to_string(job);
    const LeaseFence a{name, "replica-a",
                       store_->AcquireLease(name, "replica-a", 1000, 10).value()};
    ASSERT_GT(a.epoch, 0);
    std::atomic<int> applied{0};
    std::atomic<bool> started{false};
    std::thread writer([&] {
      for (int64_t i = 0; i < 400; ++i) {
        auto r = store_->FinishObjects(job, {{i, ObjectState::kLabeled, R"({"label":"cat"})", ""}},
                                       2000, &a);
        started = true;
        if (!r) {
          EXPECT_TRUE(IsLeaseLost(r.error())) << r.error().message;
          return;
        }
        ++applied;
      }
    });
    while (!started) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(2 + 3 * round));
    ASSERT_GT(other->AcquireLease(name, "replica-b", 5000, 60000).value(), a.epoch);
    const int64_t at_takeover = other->GetJob(job).value().labeled;
    writer.join();
    EXPECT_EQ(at_takeover, applied.load()) << "round " << round;
    EXPECT_EQ(store_->GetJob(job).value().labeled, applied.load()) << "round " << round;
  }
}

TEST_P(StoreTest, MigrationsCanBeListedCheckedAndAppliedApart) {
  // A second, empty database beside the test's.
  std::filesystem::path scratch = dir_ / (dir_.filename().string() + "m");
  std::filesystem::create_directories(scratch);
  StoreOptions fresh = GetParam().fresh(scratch);
  SchemaInfo empty = InspectSchema(fresh.url).value();
  EXPECT_EQ(empty.version, 0);
  ASSERT_GE(empty.latest, 2);
  ASSERT_EQ(empty.pending.size(), static_cast<size_t>(empty.latest));
  for (size_t i = 0; i < empty.pending.size(); ++i) {
    EXPECT_EQ(empty.pending[i].version, static_cast<int64_t>(i + 1));
    EXPECT_FALSE(empty.pending[i].summary.empty());
  }
  // Looking changed nothing; a store told not to migrate refuses it.
  EXPECT_EQ(InspectSchema(fresh.url).value().version, 0);
  StoreOptions check = fresh;
  check.migrate = false;
  auto refused = GetParam().open(check);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(InspectSchema(fresh.url).value().version, 0);
  // Part of the way: the rest is pending, and still refused.
  StoreOptions partial = fresh;
  partial.schema_version = 1;
  ASSERT_TRUE(GetParam().open(partial));
  SchemaInfo at_one = InspectSchema(fresh.url).value();
  EXPECT_EQ(at_one.version, 1);
  ASSERT_EQ(at_one.pending.size(), static_cast<size_t>(empty.latest - 1));
  EXPECT_EQ(at_one.pending.front().version, 2);
  refused = GetParam().open(check);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("plumbline migrate"), std::string::npos)
      << refused.error().message;
  // Applied: nothing pending, and a store that does not migrate opens and works.
  ASSERT_TRUE(GetParam().open(fresh));
  SchemaInfo done = InspectSchema(fresh.url).value();
  EXPECT_EQ(done.version, done.latest);
  EXPECT_TRUE(done.pending.empty());
  auto checked = GetParam().open(check);
  ASSERT_TRUE(checked) << checked.error().message;
  ASSERT_TRUE((*checked)->PutSetting("k", "v"));
  EXPECT_EQ((*checked)->GetSetting("k").value().value_or(""), "v");
  EXPECT_EQ(InspectSchema("nosuch:x").error().code, ErrorCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(, StoreTest, ::testing::ValuesIn(contract::ContractTargets()),
                         contract::TargetName);
INSTANTIATE_TEST_SUITE_P(, JobPageTest, ::testing::ValuesIn(contract::ContractTargets()),
                         contract::TargetName);

}  // namespace
}  // namespace plumbline::store
