// PlumblineShapes: custom templates drawing with crowd-polygon, crowd-line,
// crowd-polyline and crowd-keypoint, consolidated by Plumbline's own
// ACS-PlumblineShapes: its ARNs, job rules, pre-processing, the answer
// schema and the output line (the label in the elements' own form, the
// metadata with a confidence per shape).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/json.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {
namespace {

const TaskType& Shapes() {
  const TaskType* t = Find("PlumblineShapes");
  EXPECT_NE(t, nullptr);
  return *t;
}

Batch MakeBatch(std::vector<std::string> labels, const char* attr = "outline") {
  Batch in;
  in.label_attribute_name = attr;
  in.job_name = "Trace-Dogs";
  in.labels = std::move(labels);
  in.now = FromEpochMs(1763926841501);
  return in;
}

// A crowd-polygon answer under the element name "poly".
boost::json::value PolygonAnswer(const std::string& polygons, int w = 640, int h = 480) {
  return boost::json::parse(R"({"poly":{"inputImageProperties":{"height":)" + std::to_string(h) +
                            R"(,"width":)" + std::to_string(w) + R"(},"polygons":)" + polygons + "}}");
}

// A square polygon of `label` at (x, y) with side s.
std::string Square(const char* label, double x, double y, double s) {
  auto n = [](double v) { return json::Serialize(boost::json::value(v)); };
  return std::string(R"({"label":")") + label + R"(","vertices":[{"x":)" + n(x) + R"(,"y":)" + n(y) +
         R"(},{"x":)" + n(x + s) + R"(,"y":)" + n(y) + R"(},{"x":)" + n(x + s) + R"(,"y":)" +
         n(y + s) + R"(},{"x":)" + n(x) + R"(,"y":)" + n(y + s) + "}]}";
}

TEST(ShapeTypesTest, PreAndAcsArnsInEveryRegionAndAnyAccountNameTheType) {
  for (const char* region : {"us-east-1", "eu-west-1", "ap-southeast-2"}) {
    for (HookKind kind : {HookKind::kPre, HookKind::kAcs}) {
      const HookRef ref = ParseHookArn(BuiltinHookArn(kind, "PlumblineShapes", region));
      EXPECT_TRUE(ref.builtin);
      EXPECT_EQ(Find(ref.task_type), &Shapes());
    }
  }
  // Not an AWS function: any account names it, as it names Ground Truth's.
  const HookRef own = ParseHookArn("arn:aws:lambda:us-west-2:123456789012:function:ACS-PlumblineShapes:3");
  EXPECT_TRUE(own.builtin);
  EXPECT_EQ(own.kind, HookKind::kAcs);
  EXPECT_EQ(own.task_type, "PlumblineShapes");
  EXPECT_EQ(Shapes().OutputType(), "groundtruth/custom");
}

TEST(ShapeTypesTest, JobAndLabelFileRulesAreACustomJobs) {
  EXPECT_TRUE(Shapes().ValidateJob({"outline", false, 60}));
  auto refused = Shapes().ValidateJob({"outline-ref", false, 60});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("must not end with \"-ref\""), std::string::npos);
  // Keypoint parts are many: no upper limit on labels.
  std::string many = R"({"labels":[)";
  for (int i = 0; i < 60; ++i) many += (i ? "," : "") + std::string("{\"label\":\"part") + std::to_string(i) + "\"}";
  many += "]}";
  EXPECT_EQ(Shapes().ParseLabelCategories(many).value().size(), 60u);
  EXPECT_FALSE(Shapes().ParseLabelCategories(R"({"labels":[]})"));
}

TEST(ShapeTypesTest, PreprocessingNeedsTheImageAsSourceRef) {
  const auto line = boost::json::parse(R"({"source-ref":"s3://b/dog.jpg"})").as_object();
  auto in = Shapes().Preprocess(line, {"dog"});
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(json::Serialize(*in),
            R"({"taskObject":"s3://b/dog.jpg","labels":["dog"],"manifestLine":{"source-ref":"s3://b/dog.jpg"}})");
  EXPECT_EQ(Shapes().PreprocessJson(line, json::Serialize(line), {"dog"}).value(), "\"source-ref\"");
  auto text = Shapes().Preprocess(boost::json::parse(R"({"source":"a dog"})").as_object(), {"dog"});
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "PlumblineShapes needs the image as a \"source-ref\" URI");
}

TEST(ShapeTypesTest, AnswerSchema) {
  const TaskType& t = Shapes();
  const std::vector<std::string> labels{"dog", "cat"};
  EXPECT_TRUE(t.IsUsableAnswer(PolygonAnswer("[" + Square("dog", 0, 0, 10) + "]"), labels));
  EXPECT_TRUE(t.IsUsableAnswer(PolygonAnswer("[]"), labels));  // nothing to draw
  // A shape of an unknown label or with too few vertices is left out.
  EXPECT_TRUE(t.IsUsableAnswer(PolygonAnswer("[" + Square("cow", 0, 0, 10) + "]"), labels));
  EXPECT_TRUE(t.IsUsableAnswer(PolygonAnswer(R"([{"label":"dog","vertices":[{"x":1,"y":1}]}])"), labels));
  // Not shapes at all: the answer is dropped.
  EXPECT_FALSE(t.IsUsableAnswer(PolygonAnswer(R"([{"label":"dog","vertices":[{"x":"1","y":1}]}])"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(PolygonAnswer(R"([{"vertices":[]}])"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"k":{"keypoints":[{"label":"dog","x":1}]}})"), labels));
  EXPECT_TRUE(t.IsUsableAnswer(boost::json::parse(R"({"k":{"keypoints":[{"label":"dog","x":1,"y":2}]}})"), labels));
  EXPECT_TRUE(t.IsUsableAnswer(boost::json::parse(R"({"l":{"lines":[]},"note":"blurry"})"), labels));
  EXPECT_TRUE(t.IsUsableAnswer(boost::json::parse(R"({"p":{"polylines":[]}})"), labels));
  // No shape element: a box or a classifier answer is not this type's.
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"b":{"boundingBoxes":[]}})"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"c":{"label":"dog"}})"), labels));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse("[]"), labels));
}

TEST(ShapeTypesTest, ConsolidatedPolygonsInTheElementsFormWithConfidences) {
  Batch in = MakeBatch({"dog", "cat"});
  // Three workers trace the dog alike; the third also draws a cat nobody
  // else saw, which lacks the weight to be kept.
  in.objects.push_back({0, {
      {"w1", PolygonAnswer("[" + Square("dog", 100, 100, 200) + "]")},
      {"w2", PolygonAnswer("[" + Square("dog", 102, 100, 200) + "]")},
      {"w3", PolygonAnswer("[" + Square("dog", 101, 101, 200) + "," + Square("cat", 400, 300, 50) + "]")}}});
  in.objects.push_back({1, {{"w1", PolygonAnswer("[]", 800, 600)}, {"w2", PolygonAnswer("[]", 800, 600)}}});
  in.objects.push_back({2, {{"w1", boost::json::parse(R"({"a":{"label":"x"}})")}}});
  auto out = Shapes().ConsolidateBatch(in, nullptr);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0]) << out[0].error().message;
  const auto& label = out[0]->at("outline").as_object();
  ASSERT_EQ(label.size(), 1u);
  const auto& poly = label.at("poly").as_object();
  EXPECT_EQ(json::Serialize(poly.at("inputImageProperties")), R"({"height":480,"width":640})");
  const auto& polygons = poly.at("polygons").as_array();
  ASSERT_EQ(polygons.size(), 1u);
  // The medoid of the three: the middle one, (101, 101).
  EXPECT_EQ(json::Serialize(polygons[0]), R"({"label":"dog","vertices":[{"x":101,"y":101},{"x":301,"y":101},{"x":301,"y":301},{"x":101,"y":301}]})");
  const auto& metadata = out[0]->at("outline-metadata").as_object();
  std::vector<std::string> keys;
  for (const auto& kv : metadata) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"job-name", "class-map", "human-annotated", "objects",
                                            "creation-date", "type"}));
  EXPECT_EQ(metadata.at("job-name"), "labeling-job/trace-dogs");
  EXPECT_EQ(json::Serialize(metadata.at("class-map")), R"({"0":"dog"})");
  EXPECT_EQ(metadata.at("creation-date"), "2025-11-23T19:40:41.501000");
  EXPECT_EQ(metadata.at("type"), "groundtruth/custom");
  const auto& confidences = metadata.at("objects").at("poly").as_array();
  ASSERT_EQ(confidences.size(), 1u);
  // All three answered and agree closely: the label's whole weight times a
  // mean IoU with the medoid near 1, rounded to two decimals.
  EXPECT_EQ(json::Serialize(metadata.at("objects")), R"({"poly":[{"confidence":1.0}]})");
  // Nothing drawn by anyone: empty lists, the image size of the answers.
  EXPECT_EQ(json::Serialize(*out[1]).substr(0, 85),
            R"({"outline":{"poly":{"inputImageProperties":{"height":600,"width":800},"polygons":[]}})");
  EXPECT_EQ(json::Serialize(out[1]->at("outline-metadata").at("objects")), R"({"poly":[]})");
  ASSERT_FALSE(out[2]);
  EXPECT_NE(out[2].error().message.find("no answer has a list of valid shapes"), std::string::npos);
  // The output line: the input line with the label and its metadata appended.
  boost::json::object line = boost::json::parse(R"({"source-ref":"s3://b/dog.jpg"})").as_object();
  Shapes().AddLabel(line, *out[0], "outline");
  EXPECT_TRUE(json::Serialize(line).starts_with(R"({"source-ref":"s3://b/dog.jpg","outline":{"poly":)"));
  EXPECT_TRUE(line.contains("outline-metadata"));
}

TEST(ShapeTypesTest, KeypointsAndLinesOfOneTemplateAreConsolidatedApart) {
  Batch in = MakeBatch({"nose", "tail"}, "pose");
  auto answer = [](double nose_x, double line_x) {
    return boost::json::parse(
        R"({"points":{"inputImageProperties":{"height":1000,"width":1000},"keypoints":[{"label":"nose","x":)" +
        std::to_string(nose_x) + R"(,"y":200},{"label":"tail","x":700,"y":650}]},)"
        R"("spine":{"inputImageProperties":{"height":1000,"width":1000},"lines":[{"label":"tail","vertices":[{"x":)" +
        std::to_string(line_x) + R"(,"y":500},{"x":)" + std::to_string(line_x + 300) + R"(,"y":500}]}]},"comment":"ok"})");
  };
  // The nose: 100, 104, 106 -> the weighted median 104. The line's second
  // worker drew it backwards: direction does not matter, ends are averaged.
  in.objects.push_back({5, {{"w1", answer(100, 200)}, {"w2", answer(104, 206)}, {"w3", answer(106, 203)}}});
  auto out = Shapes().ConsolidateBatch(in, nullptr);
  ASSERT_TRUE(out[0]) << out[0].error().message;
  const auto& label = out[0]->at("pose").as_object();
  ASSERT_EQ(label.size(), 2u);
  EXPECT_EQ(json::Serialize(label.at("points").at("keypoints")),
            R"([{"label":"nose","x":104,"y":200},{"label":"tail","x":700,"y":650}])");
  const auto& lines = label.at("spine").at("lines").as_array();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("label"), "tail");
  const auto& v = lines[0].at("vertices").as_array();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NEAR(v[0].at("x").to_number<double>(), 203, 0.5);
  EXPECT_NEAR(v[1].at("x").to_number<double>(), 503, 0.5);
  const auto& objects = out[0]->at("pose-metadata").at("objects").as_object();
  EXPECT_EQ(objects.at("points").as_array().size(), 2u);
  EXPECT_EQ(objects.at("spine").as_array().size(), 1u);
  EXPECT_EQ(json::Serialize(out[0]->at("pose-metadata").at("class-map")), R"({"0":"nose","1":"tail"})");
}

TEST(ShapeTypesTest, OneAnswerHasZeroConfidenceAndTheHistoryWeighsWorkers) {
  Batch one = MakeBatch({"dog"});
  one.objects.push_back({3, {{"w1", PolygonAnswer("[" + Square("dog", 0, 0, 50) + "]")}}});
  auto single = Shapes().ConsolidateBatch(one, nullptr);
  ASSERT_TRUE(single[0]);
  EXPECT_EQ(json::Serialize(single[0]->at("outline-metadata").at("objects")), R"({"poly":[{"confidence":0}]})");

  // Lines of two careful workers and one who is always far off: with no
  // history the three weigh alike and the merged ends are plain means;
  // after a history of w3's misses, w3 weighs less and the ends move
  // towards w1 and w2.
  const TaskType& t = Shapes();
  auto line = [](double x) {
    return boost::json::parse(R"({"l":{"inputImageProperties":{"height":1000,"width":1000},"lines":[{"label":"dog","vertices":[{"x":)" +
                              std::to_string(x) + R"(,"y":100},{"x":)" + std::to_string(x + 300) + R"(,"y":100}]}]}})");
  };
  auto history = t.NewHistory({"dog"});
  for (int o = 0; o < 20; ++o) {
    history->Add(100 + o, "w1", line(200));
    history->Add(100 + o, "w2", line(200));
    history->Add(100 + o, "w3", line(600));
  }
  EXPECT_EQ(history->size(), 60u);
  Batch b = MakeBatch({"dog"});
  b.objects.push_back({1, {{"w1", line(200)}, {"w2", line(200)}, {"w3", line(230)}}});
  auto x_of = [&](const JobHistory* h) {
    auto r = t.ConsolidateBatch(b, h);
    return r[0]->at("outline").at("l").at("lines").at(0).at("vertices").at(0).at("x").to_number<double>();
  };
  EXPECT_DOUBLE_EQ(x_of(nullptr), 210);
  EXPECT_LT(x_of(history.get()), 209);
}

}  // namespace
}  // namespace plumbline::tasktypes
