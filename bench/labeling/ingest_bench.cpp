// Benchmark: a manifest of N lines from CreateLabelingJob to InProgress.
// Prints the time, the rate and the process's peak RSS, beside a reference
// pass in the same process that only reads and JSON-parses the same file
// (the floor any ingest must pay). Usage: ingest_bench LINES [DIR]
#include <sys/resource.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/clock.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

using namespace plumbline;
namespace fs = std::filesystem;

static double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int main(int argc, char** argv) {
  long lines = argc > 1 ? std::atol(argv[1]) : 1000000;
  fs::path dir = argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path() / "plb-ingest-bench";
  fs::remove_all(dir);
  fs::create_directories(dir / "buckets" / "b");
  {
    std::ofstream m(dir / "buckets" / "b" / "m.manifest");
    for (long i = 0; i < lines; ++i)
      m << "{\"source\":\"Sentence number " << i << " of the benchmark manifest.\",\"id\":" << i << "}\n";
    std::ofstream c(dir / "buckets" / "b" / "c.json");
    c << R"({"document-version":"2018-11-28","labels":[{"label":"a"},{"label":"b"}]})";
    std::ofstream t(dir / "buckets" / "b" / "t.html");
    t << "<p>{{ task.input.taskObject }}</p>";
  }
  auto objects = storage::OpenLocal(dir.string());

  // Reference: read and parse every line, nothing else.
  auto ref_start = std::chrono::steady_clock::now();
  {
    storage::LineReader reader(objects->OpenRead("s3://b/m.manifest").value());
    boost::json::parser parser;
    std::string_view line;
    long n = 0;
    while (reader.Next(&line).value()) {
      parser.reset();
      boost::system::error_code ec;
      parser.write(line, ec);
      n += !ec;
    }
    if (n != lines) return 1;
  }
  double ref = Seconds(ref_start);

  auto store = store::OpenStore({"sqlite:" + (dir / "db").string(), true}).value();
  labeling::Options opts;
  opts.account_id = "111122223333";
  labeling::LabelingService service(*store, *objects, SystemClock::Get(), opts);
  boost::json::object team;
  team["WorkteamName"] = "t";
  team["Description"] = "d";
  team["MemberDefinitions"] = boost::json::parse(R"([{"OidcMemberDefinition":{"Groups":["g"]}}])");
  std::string team_arn = service.CreateWorkteam(team, "us-east-1").value().arn;
  auto req = boost::json::parse(R"({"LabelingJobName":"bench","LabelAttributeName":"l",
    "InputConfig":{"DataSource":{"S3DataSource":{"ManifestS3Uri":"s3://b/m.manifest"}}},
    "OutputConfig":{"S3OutputPath":"s3://b/out"},"RoleArn":"arn:aws:iam::111122223333:role/r",
    "LabelCategoryConfigS3Uri":"s3://b/c.json","HumanTaskConfig":{"WorkteamArn":"","UiConfig":{"UiTemplateS3Uri":"s3://b/t.html"},
    "PreHumanTaskLambdaArn":"arn:aws:lambda:us-east-1:432418664414:function:PRE-TextMultiClass",
    "TaskTitle":"t","TaskDescription":"d","NumberOfHumanWorkersPerDataObject":1,"TaskTimeLimitInSeconds":300,
    "AnnotationConsolidationConfig":{"AnnotationConsolidationLambdaArn":"arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass"}}})");
  req.as_object()["HumanTaskConfig"].as_object()["WorkteamArn"] = team_arn;

  auto start = std::chrono::steady_clock::now();
  if (!service.CreateJob(req.as_object(), "us-east-1")) return 1;
  service.RunOnce();
  double took = Seconds(start);
  auto job = service.DescribeJob("bench").value();
  if (job.status != store::JobStatus::kInProgress || job.object_count != lines) {
    std::fprintf(stderr, "unexpected state %s, %lld objects\n", store::JobStatusName(job.status),
                 static_cast<long long>(job.object_count));
    return 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("lines=%ld create_to_in_progress_s=%.3f lines_per_s=%.0f read_parse_only_s=%.3f "
              "ratio_to_read_parse=%.2f peak_rss_mb=%.1f\n",
              lines, took, lines / took, ref, took / ref, ru.ru_maxrss / 1024.0);
  fs::remove_all(dir);
  return 0;
}
