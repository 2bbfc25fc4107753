// BoundingBox, AdjustmentBoundingBox and VerificationBoundingBox: hook ARNs
// in every region, job and label-file rules, pre-processing, the answer
// schema and the consolidated output lines (spec §6.4.7.3, .4, .7).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/json.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {
namespace {

const TaskType& Type(const char* name) {
  const TaskType* t = Find(name);
  EXPECT_NE(t, nullptr) << name;
  return *t;
}

constexpr const char* kBoxTypes[] = {"BoundingBox", "AdjustmentBoundingBox", "VerificationBoundingBox"};

TEST(BoxTypesTest, PreAndAcsArnsInEveryRegionNameTheType) {
  for (const char* region : {"us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1",
                             "eu-west-2", "eu-central-1", "ap-northeast-1", "ap-northeast-2",
                             "ap-south-1", "ap-southeast-1", "ap-southeast-2"}) {
    for (const char* name : kBoxTypes) {
      for (HookKind kind : {HookKind::kPre, HookKind::kAcs}) {
        const std::string arn = BuiltinHookArn(kind, name, region);
        const HookRef ref = ParseHookArn(arn);
        EXPECT_TRUE(ref.builtin && ref.ground_truth_account) << arn;
        EXPECT_EQ(ref.task_type, name);
        EXPECT_EQ(Find(ref.task_type), &Type(name));
        EXPECT_EQ(Find(ParseHookArn(arn + ":$LATEST").task_type), &Type(name));
      }
    }
  }
  EXPECT_EQ(Type("BoundingBox").OutputType(), "groundtruth/object-detection");
  EXPECT_EQ(Type("AdjustmentBoundingBox").OutputType(), "groundtruth/object-detection");
  EXPECT_EQ(Type("VerificationBoundingBox").OutputType(), "groundtruth/label-verification");
}

TEST(BoxTypesTest, JobAndLabelFileRules) {
  std::string many = R"({"labels":[)";
  for (int i = 0; i < 51; ++i) many += (i ? "," : "") + std::string("{\"label\":\"l") + std::to_string(i) + "\"}";
  many += "]}";
  for (const char* name : {"BoundingBox", "AdjustmentBoundingBox"}) {
    EXPECT_EQ(Type(name).ParseLabelCategories(R"({"labels":[{"label":"car"}]})").value(),
              std::vector<std::string>{"car"});
    EXPECT_NE(Type(name).ParseLabelCategories(many).error().message.find("at most 50"), std::string::npos);
  }
  EXPECT_EQ(Type("VerificationBoundingBox").ParseLabelCategories(many).value().size(), 51u);
  for (const char* name : kBoxTypes) {
    EXPECT_TRUE(Type(name).ValidateJob({"bbox", false, 60})) << name;
    auto refused = Type(name).ValidateJob({"bbox-ref", false, 60});
    ASSERT_FALSE(refused) << name;
    EXPECT_NE(refused.error().message.find("must not end with \"-ref\""), std::string::npos);
  }
}

TEST(BoxTypesTest, PreprocessingNeedsTheImageAsSourceRef) {
  const auto line = boost::json::parse(R"({"source-ref":"s3://b/cat.jpg","bbox":{"annotations":[]}})").as_object();
  auto in = Type("BoundingBox").Preprocess(line, {"cat", "dog"});
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(json::Serialize(*in),
            R"({"taskObject":"s3://b/cat.jpg","labels":["cat","dog"],"manifestLine":{"source-ref":"s3://b/cat.jpg","bbox":{"annotations":[]}}})");
  EXPECT_EQ(Type("AdjustmentBoundingBox").PreprocessJson(line, json::Serialize(line), {"cat"}).value(), "\"source-ref\"");
  auto text = Type("BoundingBox").Preprocess(boost::json::parse(R"({"source":"a cat"})").as_object(), {"cat"});
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "BoundingBox needs the image as a \"source-ref\" URI");
}

boost::json::value BoxAnswer(const char* boxes, int w = 800, int h = 533, const char* extra = "") {
  return boost::json::parse(std::string(R"({"annotatedResult":{"boundingBoxes":)") + boxes +
                            R"(,"inputImageProperties":{"height":)" + std::to_string(h) +
                            R"(,"width":)" + std::to_string(w) + "}" + extra + "}}");
}

TEST(BoxTypesTest, AnswerSchema) {
  const TaskType& t = Type("BoundingBox");
  const std::vector<std::string> labels{"cat", "dog"};
  EXPECT_TRUE(t.IsUsableAnswer(BoxAnswer(R"([{"height":10,"label":"cat","left":1,"top":2,"width":5}])"), labels));
  EXPECT_TRUE(t.IsUsableAnswer(BoxAnswer("[]"), labels));  // nothing to box
  // A box of an unknown label is left out; the answer stays usable.
  EXPECT_TRUE(t.IsUsableAnswer(BoxAnswer(R"([{"height":10,"label":"cow","left":1,"top":2,"width":5}])"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(BoxAnswer(R"([{"height":"10","label":"cat","left":1,"top":2,"width":5}])"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(BoxAnswer(R"([{"label":"cat","left":1,"top":2,"width":5}])"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"x":{"label":"cat"}})"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse("[]"), labels));
}

Batch MakeBatch(std::vector<std::string> labels, const char* attr = "bbox") {
  Batch in;
  in.label_attribute_name = attr;
  in.job_name = "Find-Dogs";
  in.labels = std::move(labels);
  in.now = FromEpochMs(1763926841501);
  return in;
}

TEST(BoxTypesTest, ConsolidatedLineHasGroundTruthsShape) {
  Batch in = MakeBatch({"dog", "cat", "bone"});
  in.objects.push_back({0, {
      {"w1", BoxAnswer(R"([{"height":128,"label":"dog","left":111,"top":134,"width":61},{"height":30,"label":"bone","left":161,"top":250,"width":30}])", 500, 400)},
      {"w2", BoxAnswer(R"([{"height":128,"label":"dog","left":112,"top":134,"width":61},{"height":30,"label":"bone","left":161,"top":250,"width":30}])", 500, 400)},
      {"w3", BoxAnswer(R"([{"height":128,"label":"cat","left":111,"top":134,"width":62}])", 500, 400)}}});
  in.objects.push_back({1, {{"w1", BoxAnswer("[]", 640, 480)}, {"w2", BoxAnswer("[]", 640, 480)}}});
  in.objects.push_back({2, {{"w1", boost::json::parse(R"({"a":{"label":"x"}})")}}});
  auto out = Type("BoundingBox").ConsolidateBatch(in, nullptr);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0]) << out[0].error().message;
  const std::string line = json::Serialize(*out[0]);
  // Edges are means weighted by the workers' reliability: w3, who labels the
  // dog a cat and misses the bone, weighs less than w1 and w2, so the dog's
  // left edge (111, 112, 111) is 111.37, not the plain mean 111.33, and the
  // bone that only w1 and w2 saw has more than 2/3 of the weight.
  EXPECT_EQ(line,
      R"({"bbox":{"image_size":[{"width":500,"height":400,"depth":3}],"annotations":[{"class_id":0,"left":111.37,"top":134,"width":61.26,"height":128},{"class_id":2,"left":161,"top":250,"width":30,"height":30}]},)"
      R"("bbox-metadata":{"job-name":"labeling-job/find-dogs","class-map":{"0":"dog","2":"bone"},"human-annotated":"yes","objects":[{"confidence":0.73},{"confidence":0.74}],)"
      R"("creation-date":"2025-11-23T19:40:41.501000","type":"groundtruth/object-detection"}})");
  EXPECT_EQ(json::Serialize(*out[1]).substr(0, 95),
            R"({"bbox":{"image_size":[{"width":640,"height":480,"depth":3}],"annotations":[]},"bbox-metadata":)");
  EXPECT_EQ(json::Serialize(out[1]->at("bbox-metadata").at("objects")), "[]");
  EXPECT_EQ(json::Serialize(out[1]->at("bbox-metadata").at("class-map")), "{}");
  ASSERT_FALSE(out[2]);
  EXPECT_EQ(out[2].error().message, "no answer has a valid \"boundingBoxes\" list");
}

TEST(BoxTypesTest, OneAnswerHasZeroConfidenceAndTheHistoryWeighsWorkers) {
  Batch in = MakeBatch({"dog"});
  in.objects.push_back({7, {{"w1", BoxAnswer(R"([{"height":10,"label":"dog","left":0,"top":0,"width":10}])")}}});
  auto out = Type("BoundingBox").ConsolidateBatch(in, nullptr);
  EXPECT_EQ(json::Serialize(out[0]->at("bbox-metadata").at("objects")), R"([{"confidence":0}])");
  // A history where w3 always disagrees pulls the merged box towards w1, w2.
  const TaskType& t = Type("BoundingBox");
  auto history = t.NewHistory({"dog"});
  for (int o = 0; o < 20; ++o) {
    history->Add(100 + o, "w1", BoxAnswer(R"([{"height":40,"label":"dog","left":0,"top":0,"width":40}])"));
    history->Add(100 + o, "w2", BoxAnswer(R"([{"height":40,"label":"dog","left":0,"top":0,"width":40}])"));
    history->Add(100 + o, "w3", BoxAnswer(R"([{"height":40,"label":"dog","left":9,"top":9,"width":40},{"height":9,"label":"dog","left":300,"top":300,"width":9}])"));
  }
  EXPECT_EQ(history->size(), 60u);
  Batch b = MakeBatch({"dog"});
  b.objects.push_back({1, {{"w1", BoxAnswer(R"([{"height":40,"label":"dog","left":0,"top":0,"width":40}])")},
                           {"w2", BoxAnswer(R"([{"height":40,"label":"dog","left":3,"top":0,"width":40}])")},
                           {"w3", BoxAnswer(R"([{"height":40,"label":"dog","left":9,"top":0,"width":40}])")}}});
  const double with = t.ConsolidateBatch(b, history.get())[0]->at("bbox").at("annotations").at(0).at("left").to_number<double>();
  const double without = t.ConsolidateBatch(b, nullptr)[0]->at("bbox").at("annotations").at(0).at("left").to_number<double>();
  EXPECT_DOUBLE_EQ(without, 4);
  EXPECT_LT(with, without);
}

TEST(BoxTypesTest, AdjustmentStatusFollowsTheWorkersChanges) {
  const TaskType& t = Type("AdjustmentBoundingBox");
  Batch in = MakeBatch({"dog"}, "adjusted");
  const char* box = R"([{"height":10,"label":"dog","left":0,"top":0,"width":10}])";
  in.objects.push_back({0, {{"w1", BoxAnswer(box, 800, 533, R"(,"initialValueModified":false)")},
                            {"w2", BoxAnswer(box, 800, 533, R"(,"initialValueModified":false)")}}});
  in.objects.push_back({1, {{"w1", BoxAnswer(box, 800, 533, R"(,"initialValueModified":false)")},
                            {"w2", BoxAnswer(box, 800, 533, R"(,"initialValueModified":true)")}}});
  auto out = t.ConsolidateBatch(in, nullptr);
  EXPECT_EQ(out[0]->at("adjusted-metadata").at("adjustment-status"), "unadjusted");
  EXPECT_EQ(out[1]->at("adjusted-metadata").at("adjustment-status"), "adjusted");
  EXPECT_EQ(out[1]->at("adjusted-metadata").at("type"), "groundtruth/object-detection");
  EXPECT_FALSE(Type("BoundingBox").ConsolidateBatch(in, nullptr)[0]->at("adjusted-metadata").as_object().contains("adjustment-status"));
}

TEST(BoxTypesTest, VerificationVerdictWithWorkerFeedback) {
  const TaskType& t = Type("VerificationBoundingBox");
  Batch in = MakeBatch({"good", "bad"}, "verify-bbox");
  in.objects.push_back({0, {{"w1", boost::json::parse(R"({"v":{"label":"bad","workerComment":"The box on the bird is too wide."}})")},
                            {"w2", boost::json::parse(R"({"v":{"label":"bad"}})")},
                            {"w3", boost::json::parse(R"({"v":{"label":"good"},"comment":""})")}}});
  auto out = t.ConsolidateBatch(in, nullptr);
  ASSERT_TRUE(out[0]);
  const std::string line = json::Serialize(*out[0]);
  EXPECT_TRUE(line.starts_with(R"({"verify-bbox":"1","verify-bbox-metadata":{"class-name":"bad","confidence":)")) << line;
  EXPECT_TRUE(line.ends_with(R"(,"type":"groundtruth/label-verification","job-name":"labeling-job/find-dogs","human-annotated":"yes","creation-date":"2025-11-23T19:40:41.501000","worker-feedback":[{"comment":"The box on the bird is too wide."}]}})")) << line;
  Batch quiet = MakeBatch({"good", "bad"}, "verify-bbox");
  quiet.objects.push_back({0, {{"w1", boost::json::parse(R"({"v":{"label":"good"}})")}}});
  EXPECT_FALSE(t.ConsolidateBatch(quiet, nullptr)[0]->at("verify-bbox-metadata").as_object().contains("worker-feedback"));
}

}  // namespace
}  // namespace plumbline::tasktypes
