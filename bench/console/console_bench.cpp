// The admin console's JSON answers on large data: a store with --jobs jobs
// (default 10,000) and one job of --objects objects (default 1,000,000), of
// which --answered have two answers each (default 50,000). Times the calls the
// console's pages make through the console's router (no network): the job
// list's first page, a job's details, a page of the objects browser (all and
// filtered) and the job's figures. Prints one line per call.
//
//   console_bench [--jobs N] [--objects N] [--answered N] [--dir DIR]
// With --dir the store is kept there (DIR/plumbline.db, admin "boss" with
// password "boss-password").
#include <chrono>
#include <cstdio>
#include <cstring>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <string>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "console/console.hpp"
#include "console/job_stats.hpp"
#include "identity/identity.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

using namespace plumbline;
namespace fs = std::filesystem;

namespace {

double Ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

std::string Request(const std::string& name) {
  return R"({"LabelingJobName":")" + name + R"(","LabelAttributeName":"label",)"
         R"("InputConfig":{"DataSource":{"S3DataSource":{"ManifestS3Uri":"s3://b/m.manifest"}}},)"
         R"("OutputConfig":{"S3OutputPath":"s3://b/out/"},"RoleArn":"arn:aws:iam::111122223333:role/r",)"
         R"("LabelCategoryConfigS3Uri":"s3://b/c.json","HumanTaskConfig":{"WorkteamArn":"arn:aws:sagemaker:us-west-2:111122223333:workteam/private-crowd/t",)"
         R"("UiConfig":{"UiTemplateS3Uri":"s3://b/t.html"},"PreHumanTaskLambdaArn":"arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",)"
         R"("TaskTitle":"t","TaskDescription":"d","NumberOfHumanWorkersPerDataObject":2,"TaskTimeLimitInSeconds":300,)"
         R"("AnnotationConsolidationConfig":{"AnnotationConsolidationLambdaArn":"arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"}}})";
}

}  // namespace

int main(int argc, char** argv) {
  int64_t jobs = 10000, objects = 1000000, answered = 50000;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--jobs")) jobs = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--objects")) objects = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--answered")) answered = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  fs::path root = dir.empty() ? fs::temp_directory_path() / ("plb-console-bench-" + RandomHex(6)) : fs::path(dir);
  fs::create_directories(root);
  // plumbline.db: `plumbline serve --data-dir DIR` serves a store the bench
  // kept (--dir), as the console's browser test does for its first paint.
  auto store = store::OpenStore({"sqlite:" + (root / "plumbline.db").string(), false}).value();
  auto objs = storage::OpenLocal(root.string());
  SystemClock clock;
  std::string template_text(2000, 'x');

  auto start = std::chrono::steady_clock::now();
  int64_t big_id = 0;
  for (int64_t j = 0; j < jobs; ++j) {
    store::Job job;
    job.name = j == 0 ? "big" : "job-" + std::to_string(j);
    job.arn = "arn:aws:sagemaker:us-west-2:111122223333:labeling-job/" + job.name;
    job.status = store::JobStatus::kInProgress;
    job.request_json = Request(job.name);
    job.workteam_arn = "arn:aws:sagemaker:us-west-2:111122223333:workteam/private-crowd/t";
    job.created_ms = job.modified_ms = 1'700'000'000'000 + j * 1000;
    job.workers_per_object = 2;
    job.labels_json = R"(["cat","dog"])";
    job.ui_template = template_text;
    auto made = store->CreateJob(job).value();
    if (j == 0) big_id = made.id;
  }
  std::printf("setup: %lld jobs in %.0f ms\n", static_cast<long long>(jobs), Ms(start));
  start = std::chrono::steady_clock::now();
  for (int64_t at = 0; at < objects; at += 10000) {
    std::vector<store::DataObject> batch;
    for (int64_t i = at; i < std::min(objects, at + 10000); ++i) {
      store::DataObject o;
      o.index = i;
      o.line = "{\"source\":\"sentence number " + std::to_string(i) + "\"}";
      o.task_input_json = "\"source\"";
      batch.push_back(std::move(o));
    }
    if (!store->InsertObjects(big_id, batch, 1'700'000'000'000)) return 1;
  }
  // A job's window: MaxConcurrentTaskCount (1000) released objects, as the runner opens it.
  if (!store->ReleaseObjects(big_id, 1000, 1'700'000'000'000)) return 1;
  std::printf("setup: %lld objects in %.0f ms\n", static_cast<long long>(objects), Ms(start));

  labeling::LabelingService service(*store, *objs, clock, {});
  identity::Identity identity(*store, clock);
  auto a = identity.CreateUser({"boss", "boss-password", {}, true}).value();
  auto w1 = identity.CreateUser({"w1", "w1-password", {"g"}, false}).value();
  auto w2 = identity.CreateUser({"w2", "w2-password", {"g"}, false}).value();
  start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < answered; ++i) {
    for (const auto* w : {&w1, &w2}) {
      store::ClaimRequest r;
      r.job_id = big_id;
      r.user_id = w->id;
      r.now_ms = 1'700'000'000'000 + i * 100;
      r.lease_ms = 300000;
      auto t = store->Claim(r).value();
      if (!t) { std::fprintf(stderr, "no task at %lld\n", static_cast<long long>(i)); return 1; }
      std::string label = (w == &w2 && i % 7 == 0) ? "dog" : "cat";
      if (!store->Submit(t->id, w->id, "{\"c\":{\"label\":\"" + label + "\"}}", 3, r.now_ms + 50)) return 1;
    }
  }
  std::printf("setup: %lld answers in %.0f ms\n", static_cast<long long>(2 * answered), Ms(start));
  // The answered objects are consolidated, as the runner does.
  start = std::chrono::steady_clock::now();
  for (int64_t at = 0; at < answered; at += 5000) {
    std::vector<store::ObjectOutcome> outcomes;
    for (int64_t i = at; i < std::min(answered, at + 5000); ++i)
      outcomes.push_back({i, store::ObjectState::kLabeled,
                          "{\"label\":0,\"label-metadata\":{\"class-name\":\"cat\",\"confidence\":" +
                              std::string(i % 7 == 0 ? "0.5" : "0.95") + ",\"type\":\"groundtruth/text-classification\"}}",
                          ""});
    if (!store->FinishObjects(big_id, outcomes, 1'700'000'000'000 + answered * 100)) return 1;
  }
  std::printf("setup: %lld objects labeled in %.0f ms\n", static_cast<long long>(answered), Ms(start));

  console::Console console(service, *store, identity, *objs, nullptr);
  http::Router router;
  console.Register(router);
  auto signed_in = identity.SignIn("boss", "boss-password", {"bench", ""});
  std::string cookie = "plb_session=" + signed_in.signed_in->session.token;
  std::string last_body;
  auto get = [&](const std::string& target) {
    http::Request req;
    req.method = "GET";
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.headers.push_back({"Cookie", cookie});
    for (int round = 0; round < 3; ++round) {
      auto t0 = std::chrono::steady_clock::now();
      http::Response r = router.Dispatch(req);
      std::printf("%-60s %3d %8.1f ms %8zu bytes\n", target.c_str(), r.status, Ms(t0), r.body.size());
      last_body = r.body;
    }
  };
  get("/console/api/jobs");
  get("/console/api/jobs?sort=progress&offset=5000");
  get("/console/api/jobs?name=job-99");
  get("/console/api/jobs/big");
  get("/console/api/jobs/big/objects?limit=10");
  get("/console/api/jobs/big/objects?from=900000&limit=10");
  get("/console/api/jobs/big/objects?filter=disagreement&limit=10");
  get("/console/api/jobs/big/stats");
  boost::json::object figures = boost::json::parse(last_body).as_object();
  figures.erase("total");
  figures.erase("version");
  // What the figures' reads alone cost (no figures made from them).
  for (int round = 0; round < 3; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    int64_t rows = 0;
    if (!store->ForEachObjectLabel(big_id, [&](int64_t, const std::string&) { ++rows; })) return 1;
    if (!store->ForEachAnswer(big_id, [&](const store::Assignment&) { ++rows; })) return 1;
    std::printf("%-60s %3d %8.1f ms %8lld rows\n", "store reads of the figures alone", 200, Ms(t0),
                static_cast<long long>(rows));
  }
  // Reference: the figures as they were made before, from every object.
  for (int round = 0; round < 3; ++round) {
    auto t0 = std::chrono::steady_clock::now();
    std::map<int64_t, std::string> names;
    for (const auto& u : identity.ListUsers().value()) names[u.id] = u.username;
    console::JobStatsBuilder builder(2, std::move(names));
    if (!store->ForEachObject(big_id, [&](const store::DataObject& o) { builder.AddObject(o); })) return 1;
    if (!store->ForEachAnswer(big_id, [&](const store::Assignment& x) { builder.AddAnswer(x); })) return 1;
    auto out = builder.Finish();
    std::printf("%-60s %3d %8.1f ms %8zu bytes\n", "reference: figures from every object (before)", 200, Ms(t0),
                boost::json::serialize(out).size());
    if (round == 0 && out != figures) {
      std::fprintf(stderr, "the figures differ from the reference's:\n%s\n%s\n",
                   boost::json::serialize(figures).c_str(), boost::json::serialize(out).c_str());
      return 1;
    }
  }
  std::printf("the figures equal the reference's\n");
  if (dir.empty()) fs::remove_all(root);
  return 0;
}
