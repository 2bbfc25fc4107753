// What the labeling tests start from: the CreateLabelingJob request (a
// TextMultiClass job over s3://b (categories.json, t.html) for the team
// kTeamArn, label attribute "animal", 60 s task time limit) and the inputs
// and work team it names.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"

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

// The request with one StoppingConditions entry.
inline boost::json::object StoppingAt(boost::json::object request, const char* condition,
                                      int64_t value) {
  boost::json::object stop;
  stop[condition] = value;
  request["StoppingConditions"] = std::move(stop);
  return request;
}

// Writes the job inputs under s3://b (categories.json with the labels cat
// and dog, the template t.html, the manifest m.manifest with `manifest`)
// and creates the work team "team" (kTeamArn) of user group "g". Call it
// inside ASSERT_NO_FATAL_FAILURE.
inline void MakeJobInputs(storage::ObjectStore& objects, LabelingService& service,
                          const std::string& manifest) {
  ASSERT_TRUE(objects.WriteAll("s3://b/categories.json",
                               R"({"document-version":"2018-11-28","labels":[{"label":"cat"},{"label":"dog"}]})"));
  ASSERT_TRUE(objects.WriteAll("s3://b/t.html", "<p>{{ task.input.taskObject }}</p>"));
  ASSERT_TRUE(objects.WriteAll("s3://b/m.manifest", manifest));
  boost::json::object team;
  team["WorkteamName"] = "team";
  team["Description"] = "d";
  team["MemberDefinitions"] = boost::json::parse(R"([{"OidcMemberDefinition":{"Groups":["g"]}}])");
  ASSERT_TRUE(service.CreateWorkteam(team, "us-west-2"));
}

// A worker for the tests' stores: username `name`, in user group "g" (the
// team of MakeJobInputs) unless other groups are given.
inline store::User TestWorker(const std::string& name, std::vector<std::string> groups = {"g"}) {
  store::User u;
  u.username = name;
  u.password_hash = "x";
  u.worker_key = "00112233aabbccdd";
  u.sub = "sub";
  u.groups = std::move(groups);
  return u;
}

}  // namespace plumbline::labeling::test_support
