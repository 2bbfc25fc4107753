#include "tasktypes/tasktypes.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/json.hpp"

namespace plumbline::tasktypes {
namespace {

TEST(HookArnTest, BuiltinsAreRecognisedInAnyRegion) {
  auto pre = ParseHookArn("arn:aws:lambda:ap-south-1:565803892007:function:PRE-TextMultiClass");
  EXPECT_TRUE(pre.builtin);
  EXPECT_EQ(pre.kind, HookKind::kPre);
  EXPECT_EQ(pre.task_type, "TextMultiClass");
  auto acs = ParseHookArn("arn:aws-cn:lambda:cn-north-1:000000000000:function:ACS-BoundingBox");
  EXPECT_TRUE(acs.builtin);
  EXPECT_EQ(acs.kind, HookKind::kAcs);
  EXPECT_FALSE(ParseHookArn("arn:aws:lambda:us-west-2:111122223333:function:my-hook").builtin);
  EXPECT_FALSE(ParseHookArn("arn:aws:lambda:us-west-2:1:function:PRE-NoSuchType").builtin);
}

TEST(LabelCategoriesTest, ParsesAndRejectsWithReasons) {
  EXPECT_EQ(ParseLabelCategories(R"({"labels":[{"label":"a"},{"label":"b"}]})", "TextMultiClass")
                .value(),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(ParseLabelCategories(R"({"labels":[{"label":"a"},{"label":"a"}]})", "TextMultiClass")
                .error().message.find("more than once"),
            std::string::npos);
  EXPECT_NE(ParseLabelCategories(R"({"labels":[{"label":"a"}]})", "TextMultiClass")
                .error().message.find("at least 2"),
            std::string::npos);
  EXPECT_NE(ParseLabelCategories("nope", "TextMultiClass").error().message.find("JSON"),
            std::string::npos);
  EXPECT_NE(ParseLabelCategories(R"({"labels":[{"x":1},{"label":"b"}]})", "TextMultiClass")
                .error().message.find("labels[0]"),
            std::string::npos);
}

TEST(PreprocessTest, TaskInputHasTaskObjectLabelsAndLine) {
  auto line = boost::json::parse(R"({"source-ref":"s3://b/cat.jpg","k":1})").as_object();
  auto in = Preprocess("ImageMultiClass", line, {"cat", "dog"}).value();
  EXPECT_EQ(json::Serialize(in),
            R"({"taskObject":"s3://b/cat.jpg","labels":["cat","dog"],"manifestLine":{"source-ref":"s3://b/cat.jpg","k":1}})");
  EXPECT_FALSE(Preprocess("TextMultiClass", boost::json::parse(R"({"x":1})").as_object(), {}));
}

ConsolidationInput Input(std::vector<std::string> labels_chosen) {
  ConsolidationInput in;
  in.task_type = "TextMultiClass";
  in.label_attribute_name = "category";
  in.job_name = "My-Job";
  in.labels = {"person", "animal", "plant"};
  in.now = FromEpochMs(1763926841501);
  for (size_t i = 0; i < labels_chosen.size(); ++i) {
    boost::json::object content;
    boost::json::object inner;
    inner["label"] = labels_chosen[i];
    content["crowd-classifier"] = inner;
    in.answers.push_back({"w" + std::to_string(i), content});
  }
  return in;
}

TEST(ConsolidateTest, OneAnswerHasConfidenceZeroAndGroundTruthMetadataOrder) {
  auto out = Consolidate(Input({"animal"})).value();
  EXPECT_EQ(json::Serialize(out),
            R"({"category":1,"category-metadata":{"confidence":0,"job-name":"labeling-job/my-job","class-name":"animal","human-annotated":"yes","creation-date":"2025-11-23T19:40:41.501000","type":"groundtruth/text-classification"}})");
}

TEST(ConsolidateTest, TwoAgainstOneFollowsTheReferenceAlgorithm) {
  auto out = Consolidate(Input({"plant", "person", "plant"})).value();
  EXPECT_EQ(out.at("category").as_int64(), 2);
  // Spec §7.1 worked value for K = 3, 2-vs-1: 0.91.
  EXPECT_DOUBLE_EQ(out.at("category-metadata").at("confidence").as_double(), 0.91);
}

TEST(ConsolidateTest, UnknownLabelsAreDroppedAndNothingUsableFails) {
  auto out = Consolidate(Input({"martian", "person"})).value();
  EXPECT_EQ(out.at("category").as_int64(), 0);
  EXPECT_EQ(out.at("category-metadata").at("confidence").as_int64(), 0);
  EXPECT_FALSE(Consolidate(Input({"martian"})));
}

TEST(ConsolidateBatchTest, HistoryTeachesWhichWorkersToTrust) {
  // In the job's history w1 and w2 agree on every object and w3 always
  // disagrees. On a new object w1 says person while w3 and a newcomer w4
  // say plant: a plain vote picks plant, the job-wide fit trusts w1.
  std::vector<ClassAnswer> history;
  for (int64_t o = 0; o < 30; ++o) {
    int32_t truth = static_cast<int32_t>(o % 3);
    history.push_back({o, "w1", truth});
    history.push_back({o, "w2", truth});
    history.push_back({o, "w3", (truth + 1) % 3});
  }
  BatchInput in;
  in.task_type = "TextMultiClass";
  in.label_attribute_name = "category";
  in.job_name = "j";
  in.labels = {"person", "animal", "plant"};
  in.history = &history;
  auto answer = [](const char* label) {
    boost::json::object c, inner;
    inner["label"] = label;
    c["crowd-classifier"] = inner;
    return boost::json::value(c);
  };
  in.batch.push_back({100, {{"w1", answer("person")}, {"w3", answer("plant")}, {"w4", answer("plant")}}});
  in.batch.push_back({101, {{"w9", answer("martian")}}});
  auto out = ConsolidateBatch(in);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(out[0]->at("category").as_int64(), 0);
  EXPECT_GT(out[0]->at("category-metadata").at("confidence").as_double(), 0.5);
  EXPECT_FALSE(out[1]);
  // Without history the same answers go to the majority.
  in.history = nullptr;
  in.batch.pop_back();
  EXPECT_EQ(ConsolidateBatch(in)[0]->at("category").as_int64(), 2);
}

}  // namespace
}  // namespace plumbline::tasktypes
