#include "cli/demo.hpp"

#include <boost/json.hpp>

#include "portal/assets.hpp"

namespace plumbline::cli {
namespace {
constexpr const char* kBucket = "demo";
constexpr const char* kRegion = "us-east-1";
constexpr const char* kGroup = "demo-workers";
}  // namespace

Status SetUpDemo(identity::Identity& identity, storage::ObjectStore& objects,
                 labeling::LabelingService& service, const DemoAccount& account) {
  if (service.DescribeJob(account.job_name)) return {};  // already set up
  // The example's files go into the embedded store's "demo" bucket.
  for (const char* name : {"dataset.manifest", "categories.json", "worker_gui.html"}) {
    const portal::EmbeddedAsset* asset = portal::FindAsset(std::string("/demo/") + name);
    if (!asset) return Internal(std::string("the demo file ") + name + " is not built in");
    PLB_TRY(objects.WriteAll(std::string("s3://") + kBucket + "/" + name, asset->body));
  }
  if (!identity.GetUser(account.username))
    PLB_TRY(identity.CreateUser({account.username, account.password, {kGroup}, false}));
  std::string team_arn;
  if (auto team = service.DescribeWorkteam("demo-team")) {
    team_arn = team->arn;
  } else {
    boost::json::object req;
    req["WorkteamName"] = "demo-team";
    req["Description"] = "Workers of the demo job";
    req["MemberDefinitions"] = boost::json::parse(
        std::string(R"([{"OidcMemberDefinition":{"Groups":[")") + kGroup + R"("]}}])");
    PLB_ASSIGN_OR_RETURN(auto created, service.CreateWorkteam(req, kRegion));
    team_arn = created.arn;
  }
  // The seed's createCustom.sh, as a request.
  auto req = boost::json::parse(R"({
    "LabelingJobName": "", "LabelAttributeName": "aws-blog-demo",
    "LabelCategoryConfigS3Uri": "s3://demo/categories.json",
    "RoleArn": "arn:aws:iam::000000000000:role/PlumblineDemo",
    "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://demo/dataset.manifest"}}},
    "OutputConfig": {"S3OutputPath": "s3://demo/output"},
    "HumanTaskConfig": {
      "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass"},
      "TaskAvailabilityLifetimeInSeconds": 21600, "TaskTimeLimitInSeconds": 3600,
      "NumberOfHumanWorkersPerDataObject": 1,
      "PreHumanTaskLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:PRE-TextMultiClass",
      "WorkteamArn": "", "TaskDescription": "Select the label that applies",
      "MaxConcurrentTaskCount": 1000, "TaskTitle": "Text classification task",
      "UiConfig": {"UiTemplateS3Uri": "s3://demo/worker_gui.html"}}})");
  auto& o = req.as_object();
  o["LabelingJobName"] = account.job_name;
  o["HumanTaskConfig"].as_object()["WorkteamArn"] = team_arn;
  PLB_TRY(service.CreateJob(o, kRegion));
  return {};
}

}  // namespace plumbline::cli
