// The CreateLabelingJob request the labeling tests start from: a
// TextMultiClass job over s3://b (categories.json, t.html) for the team
// kTeamArn, label attribute "animal", 60 s task time limit.
#pragma once

#include <boost/json.hpp>
#include <string>

namespace plumbline::labeling::test_support {

inline const char* const kTeamArn =
    "arn:aws:sagemaker:us-west-2:111122223333:workteam/private-crowd/team";

inline boost::json::object TextJobRequest(const std::string& name, const std::string& manifest,
                                          int workers_per_object) {
  auto v = boost::json::parse(R"({
    "LabelingJobName": "NAME", "LabelAttributeName": "animal",
    "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "MANIFEST"}}},
    "OutputConfig": {"S3OutputPath": "s3://b/out/"},
    "RoleArn": "arn:aws:iam::111122223333:role/r",
    "LabelCategoryConfigS3Uri": "s3://b/categories.json",
    "HumanTaskConfig": {"WorkteamArn": "TEAM", "UiConfig": {"UiTemplateS3Uri": "s3://b/t.html"},
      "PreHumanTaskLambdaArn": "arn:aws:lambda:eu-west-1:568282634449:function:PRE-TextMultiClass",
      "TaskTitle": "t", "TaskDescription": "d", "NumberOfHumanWorkersPerDataObject": 1,
      "TaskTimeLimitInSeconds": 60,
      "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass"}}})");
  auto& o = v.as_object();
  o["LabelingJobName"] = name;
  o["InputConfig"].as_object()["DataSource"].as_object()["S3DataSource"].as_object()["ManifestS3Uri"] =
      manifest;
  auto& h = o["HumanTaskConfig"].as_object();
  h["WorkteamArn"] = kTeamArn;
  h["NumberOfHumanWorkersPerDataObject"] = workers_per_object;
  return o;
}

}  // namespace plumbline::labeling::test_support
