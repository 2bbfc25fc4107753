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
  EXPECT_EQ(
      ParseLabelCategories(R"({"labels":[{"label":"a"},{"label":"b"}]})", "TextMultiClass").value(),
      (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(ParseLabelCategories(R"({"labels":[{"label":"a"},{"label":"a"}]})", "TextMultiClass")
                .error()
                .message.find("more than once"),
            std::string::npos);
  EXPECT_NE(ParseLabelCategories(R"({"labels":[{"label":"a"}]})", "TextMultiClass")
                .error()
                .message.find("at least 2"),
            std::string::npos);
  EXPECT_NE(ParseLabelCategories("nope", "TextMultiClass").error().message.find("JSON"),
            std::string::npos);
  EXPECT_NE(ParseLabelCategories(R"({"labels":[{"x":1},{"label":"b"}]})", "TextMultiClass")
                .error()
                .message.find("labels[0]"),
            std::string::npos);
}

TEST(PreprocessTest, TaskInputHasTaskObjectLabelsAndLine) {
  auto line = boost::json::parse(R"({"source-ref":"s3://b/cat.jpg","k":1})").as_object();
  auto in = Preprocess("ImageMultiClass", line, {"cat", "dog"}).value();
  EXPECT_EQ(
      json::Serialize(in),
      R"({"taskObject":"s3://b/cat.jpg","labels":["cat","dog"],"manifestLine":{"source-ref":"s3://b/cat.jpg","k":1}})");
  EXPECT_FALSE(Preprocess("TextMultiClass", boost::json::parse(R"({"x":1})").as_object(), {}));
}

// The standard input is stored as the name of the line's member that holds
// the task object; joined with the line and the labels it is the same input.
TEST(PreprocessTest, StoredFormJoinsBackToTheSameInput) {
  const std::vector<std::string> labels = {"a \"quoted\" label", "b\\c"};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"source":"Une phrase \"citée\" \u00e9","id":7})", R"("source")"},
      {" {\"source-ref\":\"s3://b/x.jpg\", \"n\": [1, 2.5]}\r", R"("source-ref")"},
      {R"({"source-ref":"s3://b/x.jpg","source":"wins"})", R"("source")"}};
  for (const auto& [text, stored] : cases) {
    auto line = boost::json::parse(text).as_object();
    EXPECT_EQ(StandardTaskInputStored(line).value(), stored);
    EXPECT_EQ(Find("TextMultiClass")->PreprocessJson(line, text, labels).value(), stored);
    EXPECT_EQ(TaskInputFromStored(stored, text, labels).value(),
              StandardTaskInput(line, labels).value())
        << text;
  }
  auto none = boost::json::parse(R"({"x":1})").as_object();
  EXPECT_EQ(StandardTaskInputStored(none).error().code, ErrorCode::kInvalidArgument);
}

// A stored object is the input as it is; anything else is an error.
TEST(PreprocessTest, StoredObjectIsTheInputAsStored) {
  EXPECT_EQ(TaskInputFromStored(R"({"taskObject":"x","extra":[1]})", R"({"source":"y"})", {"a"})
                .value(),
            boost::json::parse(R"({"taskObject":"x","extra":[1]})").as_object());
  EXPECT_EQ(TaskInputFromStored(R"("source")", R"({"other":1})", {"a"}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(TaskInputFromStored("[1]", R"({"source":"y"})", {"a"}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(TaskInputFromStored("{", R"({"source":"y"})", {"a"}));
}

const TaskType& Text() {
  const TaskType* t = Find("TextMultiClass");
  EXPECT_NE(t, nullptr);
  return *t;
}

boost::json::value ClassifierAnswer(const std::string& label) {
  boost::json::object content, inner;
  inner["label"] = label;
  content["crowd-classifier"] = inner;
  return content;
}

// One object with these answers, consolidated on its own (no history).
Result<boost::json::object> Consolidate(std::vector<std::string> labels_chosen) {
  Batch in;
  in.label_attribute_name = "category";
  in.job_name = "My-Job";
  in.labels = {"person", "animal", "plant"};
  in.now = FromEpochMs(1763926841501);
  std::vector<Answer> answers;
  for (size_t i = 0; i < labels_chosen.size(); ++i)
    answers.push_back({std::string("w").append(std::to_string(i)), ClassifierAnswer(labels_chosen[i])});
  in.objects.push_back({0, std::move(answers)});
  return std::move(Text().ConsolidateBatch(in, nullptr).front());
}

TEST(ConsolidateTest, OneAnswerHasConfidenceZeroAndGroundTruthMetadataOrder) {
  auto out = Consolidate({"animal"}).value();
  EXPECT_EQ(
      json::Serialize(out),
      R"({"category":1,"category-metadata":{"confidence":0,"job-name":"labeling-job/my-job","class-name":"animal","human-annotated":"yes","creation-date":"2025-11-23T19:40:41.501000","type":"groundtruth/text-classification"}})");
}

TEST(ConsolidateTest, TwoAgainstOneFollowsTheReferenceAlgorithm) {
  auto out = Consolidate({"plant", "person", "plant"}).value();
  EXPECT_EQ(out.at("category").as_int64(), 2);
  // Spec §7.1 worked value for K = 3, 2-vs-1: 0.91.
  EXPECT_DOUBLE_EQ(out.at("category-metadata").at("confidence").as_double(), 0.91);
}

TEST(ConsolidateTest, UnknownLabelsAreDroppedAndNothingUsableFails) {
  auto out = Consolidate({"martian", "person"}).value();
  EXPECT_EQ(out.at("category").as_int64(), 0);
  EXPECT_EQ(out.at("category-metadata").at("confidence").as_int64(), 0);
  EXPECT_FALSE(Consolidate({"martian"}));
  EXPECT_TRUE(Text().IsUsableAnswer(ClassifierAnswer("plant"), {"person", "plant"}));
  EXPECT_FALSE(Text().IsUsableAnswer(ClassifierAnswer("martian"), {"person", "plant"}));
  EXPECT_FALSE(Text().IsUsableAnswer(boost::json::parse(R"({"x":{"labels":["a"]}})"), {"a"}));
}

TEST(TextMultiClassTest, JobRulesAndLabelFileComeFromItsRow) {
  const TaskType& t = Text();
  EXPECT_EQ(t.Name(), "TextMultiClass");
  EXPECT_EQ(t.OutputType(), "groundtruth/text-classification");
  EXPECT_TRUE(t.ValidateJob({"category", false, 60}));
  auto ref = t.ValidateJob({"category-ref", false, 60});
  ASSERT_FALSE(ref);
  EXPECT_EQ(ref.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ref.error().message,
            "LabelAttributeName 'category-ref' must not end with \"-ref\" for task type "
            "TextMultiClass.");
  EXPECT_FALSE(t.ValidateJob({"category-metadata", false, 60}));
  EXPECT_NE(t.ParseLabelCategories(R"({"labels":[{"label":"a"}]})")
                .error()
                .message.find("TextMultiClass needs at least 2"),
            std::string::npos);
  EXPECT_EQ(t.ParseLabelCategories(R"({"labels":[{"label":"a"},{"label":"b"}]})").value().size(),
            2u);
}

TEST(TextMultiClassTest, OutputLineAddsTheLabelOrNamesTheFailure) {
  const TaskType& t = Text();
  auto line = boost::json::parse(R"({"source":"x","a":0,"other":1})").as_object();
  auto labeled = line;
  t.AddLabel(labeled,
             boost::json::parse(R"({"a":1,"a-metadata":{"class-name":"dog"},"z":2})").as_object(),
             "a");
  EXPECT_EQ(json::Serialize(labeled),
            R"({"source":"x","a":1,"other":1,"a-metadata":{"class-name":"dog"}})");
  auto failed = line;
  t.AddFailure(failed, "a", "MyJob", "ClientError: no source");
  EXPECT_EQ(
      json::Serialize(failed),
      R"({"source":"x","other":1,"a-metadata":{"failure-reason":"ClientError: no source","job-name":"labeling-job/myjob","human-annotated":"yes","type":"groundtruth/text-classification"}})");
}

TEST(ConsolidateBatchTest, HistoryTeachesWhichWorkersToTrust) {
  // In the job's history w1 and w2 agree on every object and w3 always
  // disagrees. On a new object w1 says person while w3 and a newcomer w4
  // say plant: a plain vote picks plant, the job-wide fit trusts w1.
  const std::vector<std::string> labels = {"person", "animal", "plant"};
  auto history = Text().NewHistory(labels);
  for (int64_t o = 0; o < 30; ++o) {
    size_t truth = static_cast<size_t>(o % 3);
    history->Add(o, "w1", ClassifierAnswer(labels[truth]));
    history->Add(o, "w2", ClassifierAnswer(labels[truth]));
    history->Add(o, "w3", ClassifierAnswer(labels[(truth + 1) % 3]));
  }
  history->Add(30, "w1", ClassifierAnswer("martian"));  // unreadable: not kept
  EXPECT_EQ(history->size(), 90u);
  Batch in;
  in.label_attribute_name = "category";
  in.job_name = "j";
  in.labels = labels;
  auto answer = [](const char* label) { return ClassifierAnswer(label); };
  in.objects.push_back(
      {100, {{"w1", answer("person")}, {"w3", answer("plant")}, {"w4", answer("plant")}}});
  in.objects.push_back({101, {{"w9", answer("martian")}}});
  auto out = Text().ConsolidateBatch(in, history.get());
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(out[0]->at("category").as_int64(), 0);
  EXPECT_GT(out[0]->at("category-metadata").at("confidence").as_double(), 0.5);
  EXPECT_FALSE(out[1]);
  // Without history the same answers go to the majority.
  in.objects.pop_back();
  EXPECT_EQ(Text().ConsolidateBatch(in, nullptr)[0]->at("category").as_int64(), 2);
  EXPECT_EQ(
      Text().ConsolidateBatch(in, Text().NewHistory(labels).get())[0]->at("category").as_int64(),
      2);
}

}  // namespace
}  // namespace plumbline::tasktypes
