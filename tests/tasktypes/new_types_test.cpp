// ImageMultiClass, TextMultiClassMultiLabel, ImageMultiClassMultiLabel and
// NamedEntityRecognition: hook ARNs, label files, pre-processing, answers,
// consolidated output lines (spec §6.4.7), the hosted NER worker UI.
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

constexpr const char* kNewTypes[] = {"ImageMultiClass", "TextMultiClassMultiLabel",
                                     "ImageMultiClassMultiLabel", "NamedEntityRecognition"};

TEST(NewTypesTest, PreAndAcsArnsInEveryRegionNameTheType) {
  for (const char* region : {"us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1",
                             "eu-west-2", "eu-central-1", "ap-northeast-1", "ap-northeast-2",
                             "ap-south-1", "ap-southeast-1", "ap-southeast-2"}) {
    for (const char* name : kNewTypes) {
      for (HookKind kind : {HookKind::kPre, HookKind::kAcs}) {
        std::string arn = BuiltinHookArn(kind, name, region);
        HookRef ref = ParseHookArn(arn);
        EXPECT_TRUE(ref.builtin) << arn;
        EXPECT_TRUE(ref.ground_truth_account) << arn;
        EXPECT_EQ(ref.kind, kind);
        EXPECT_EQ(ref.task_type, name);
        EXPECT_EQ(Find(ref.task_type), &Type(name));
      }
    }
  }
  EXPECT_EQ(BuiltinHookArn(HookKind::kAcs, "NamedEntityRecognition", "eu-central-1"),
            "arn:aws:lambda:eu-central-1:203001061592:function:ACS-NamedEntityRecognition");
}

TEST(NewTypesTest, LabelCategoryRulesPerType) {
  std::string one = R"({"labels":[{"label":"a"}]})";
  std::string many = R"({"labels":[)";
  for (int i = 0; i < 51; ++i) many += (i ? "," : "") + std::string("{\"label\":\"l") + std::to_string(i) + "\"}";
  many += "]}";
  EXPECT_NE(Type("ImageMultiClass").ParseLabelCategories(one).error().message.find("at least 2"),
            std::string::npos);
  EXPECT_EQ(Type("ImageMultiClass").ParseLabelCategories(many).value().size(), 51u);
  for (const char* multi : {"TextMultiClassMultiLabel", "ImageMultiClassMultiLabel"}) {
    EXPECT_FALSE(Type(multi).ParseLabelCategories(one)) << multi;
    EXPECT_NE(Type(multi).ParseLabelCategories(many).error().message.find("at most 50"),
              std::string::npos);
  }
  EXPECT_EQ(Type("NamedEntityRecognition").ParseLabelCategories(one).value(),
            std::vector<std::string>{"a"});
  for (const char* name : kNewTypes) {
    EXPECT_TRUE(Type(name).ValidateJob({"label", false, 60})) << name;
    EXPECT_FALSE(Type(name).ValidateJob({"label-ref", false, 60})) << name;
  }
  auto objects = LabelCategoryObjects(
      R"({"labels":[{"label":"person","shortDisplayName":"per"},{"label":"place"}]})").value();
  EXPECT_EQ(json::Serialize(objects), R"([{"label":"person","shortDisplayName":"per"},{"label":"place"}])");
  EXPECT_FALSE(LabelCategoryObjects(R"({"labels":["a"]})"));
}

TEST(NewTypesTest, PreprocessGivesTheStandardInputNerNeedsText) {
  // What is stored is the standard input's stored form; a claim joins it
  // with the line and the job's labels into the standard input.
  const char* image_text = R"({"source-ref":"s3://b/cat.jpg","id":3})";
  auto image = boost::json::parse(image_text).as_object();
  for (const char* name : {"ImageMultiClass", "ImageMultiClassMultiLabel", "TextMultiClassMultiLabel"}) {
    auto stored = Type(name).PreprocessJson(image, image_text, {"a", "b"}).value();
    EXPECT_EQ(stored, R"("source-ref")") << name;
    EXPECT_EQ(boost::json::serialize(TaskInputFromStored(stored, image_text, {"a", "b"}).value()),
              R"({"taskObject":"s3://b/cat.jpg","labels":["a","b"],"manifestLine":{"source-ref":"s3://b/cat.jpg","id":3}})")
        << name;
  }
  const TaskType& ner = Type("NamedEntityRecognition");
  const char* text_line = R"({"source":"Ada met Bob"})";
  auto text = boost::json::parse(text_line).as_object();
  auto stored = ner.PreprocessJson(text, text_line, {"person"}).value();
  EXPECT_EQ(boost::json::serialize(TaskInputFromStored(stored, text_line, {"person"}).value()),
            R"({"taskObject":"Ada met Bob","labels":["person"],"manifestLine":{"source":"Ada met Bob"}})");
  EXPECT_EQ(ner.Preprocess(text, {"person"}).value().at("taskObject").as_string(), "Ada met Bob");
  EXPECT_FALSE(ner.PreprocessJson(image, "{}", {"person"}));
  EXPECT_FALSE(ner.Preprocess(boost::json::parse(R"({"source":7})").as_object(), {"person"}));
}

boost::json::value Labels(std::initializer_list<const char*> ls) {
  boost::json::array a;
  for (const char* l : ls) a.emplace_back(l);
  return boost::json::object{{"crowd-classifier-multi-select", boost::json::object{{"labels", a}}}};
}

Batch MakeBatch(std::vector<std::string> labels) {
  Batch in;
  in.label_attribute_name = "tags";
  in.job_name = "Multi-Job";
  in.labels = std::move(labels);
  in.now = FromEpochMs(1763926841501);
  return in;
}

TEST(MultiLabelTypeTest, AnswersAreLabelLists) {
  const TaskType& t = Type("TextMultiClassMultiLabel");
  EXPECT_TRUE(t.IsUsableAnswer(Labels({"joy"}), {"joy", "fear"}));
  EXPECT_TRUE(t.IsUsableAnswer(Labels({}), {"joy", "fear"}));              // nothing applies
  EXPECT_TRUE(t.IsUsableAnswer(Labels({"None of these"}), {"joy", "fear"}));  // exclusion choice
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"c":{"label":"joy"}})"), {"joy", "fear"}));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"c":{"labels":[1]}})"), {"joy", "fear"}));
}

TEST(MultiLabelTypeTest, OneAnswerHasZeroConfidencesInGroundTruthShape) {
  Batch in = MakeBatch({"anger", "optimism", "x", "y", "z", "joy"});
  in.objects.push_back({0, {{"w1", Labels({"optimism", "joy"})}}});
  auto out = Type("TextMultiClassMultiLabel").ConsolidateBatch(in, nullptr);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(
      json::Serialize(*out[0]),
      R"({"tags":[1,5],"tags-metadata":{"job-name":"labeling-job/multi-job","class-map":{"1":"optimism","5":"joy"},"human-annotated":"yes","creation-date":"2025-11-23T19:40:41.501000","confidence-map":{"1":0.0,"5":0.0},"type":"groundtruth/text-classification-multilabel"}})");
}

TEST(MultiLabelTypeTest, EveryChosenLabelListedByConfidenceAndEmptyAllowed) {
  Batch in = MakeBatch({"cat", "dog", "bird"});
  in.objects.push_back({0, {{"w1", Labels({"cat", "dog"})}, {"w2", Labels({"dog"})}, {"w3", Labels({"dog"})}}});
  in.objects.push_back({1, {{"w1", Labels({})}, {"w2", Labels({})}}});
  in.objects.push_back({2, {{"w1", boost::json::parse(R"({"c":{"label":"cat"}})")}}});
  auto out = Type("ImageMultiClassMultiLabel").ConsolidateBatch(in, nullptr);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(json::Serialize(out[0]->at("tags")), "[1,0]");  // dog (3 votes) before cat (1)
  const auto& meta = out[0]->at("tags-metadata").as_object();
  EXPECT_GT(meta.at("confidence-map").at("1").as_double(), 0.9);
  EXPECT_LT(meta.at("confidence-map").at("0").as_double(), 0.5);
  EXPECT_EQ(meta.at("type").as_string(), "groundtruth/image-classification-multilabel");
  ASSERT_TRUE(out[1]);
  EXPECT_TRUE(json::Serialize(*out[1]).starts_with(
      R"({"tags":[],"tags-metadata":{"job-name":"labeling-job/multi-job","class-map":{},"human-annotated")"));
  EXPECT_TRUE(out[1]->at("tags-metadata").at("confidence-map").as_object().empty());
  EXPECT_FALSE(out[2]);
}

TEST(MultiLabelTypeTest, HistoryWeighsWorkers) {
  const std::vector<std::string> labels = {"a", "b"};
  const TaskType& t = Type("TextMultiClassMultiLabel");
  auto history = t.NewHistory(labels);
  // w3 ticks the opposite of w1 and w2 on every object.
  for (int64_t o = 0; o < 40; ++o) {
    const bool a = o % 2 == 0;
    history->Add(o, "w1", Labels({a ? "a" : "b"}));
    history->Add(o, "w2", Labels({a ? "a" : "b"}));
    history->Add(o, "w3", Labels({a ? "b" : "a"}));
  }
  EXPECT_EQ(history->size(), 120u);
  Batch in = MakeBatch(labels);
  in.objects.push_back({100, {{"w1", Labels({"a"})}, {"w3", Labels({"b"})}, {"w4", Labels({"b"})}}});
  auto with = t.ConsolidateBatch(in, history.get());
  auto without = t.ConsolidateBatch(in, nullptr);
  EXPECT_EQ(json::Serialize(with[0]->at("tags")), "[0,1]");
  EXPECT_EQ(json::Serialize(without[0]->at("tags")), "[1,0]");
}

TEST(ImageMultiClassTest, SameConsolidationAsTextWithItsOwnType) {
  Batch in = MakeBatch({"cat", "dog"});
  auto label = [](const char* l) {
    return boost::json::value{{"crowd-image-classifier", boost::json::object{{"label", l}}}};
  };
  in.objects.push_back({0, {{"w1", label("dog")}, {"w2", label("dog")}, {"w3", label("cat")}}});
  auto out = Type("ImageMultiClass").ConsolidateBatch(in, nullptr);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(
      json::Serialize(*out[0]),
      R"({"tags":1,"tags-metadata":{"confidence":0.84,"job-name":"labeling-job/multi-job","class-name":"dog","human-annotated":"yes","creation-date":"2025-11-23T19:40:41.501000","type":"groundtruth/image-classification"}})");
  EXPECT_TRUE(Type("ImageMultiClass").IsUsableAnswer(label("cat"), {"cat", "dog"}));
}

boost::json::value Entities(std::vector<std::tuple<const char*, int, int>> es) {
  boost::json::array a;
  for (auto [l, s, e] : es)
    a.emplace_back(boost::json::object{{"endOffset", e}, {"label", l}, {"startOffset", s}});
  return boost::json::object{{"crowd-entity-annotation", boost::json::object{{"entities", a}}}};
}

TEST(NerTypeTest, AnswersAreEntityListsWithKnownLabels) {
  const TaskType& t = Type("NamedEntityRecognition");
  const std::vector<std::string> labels = {"person", "place"};
  EXPECT_TRUE(t.IsUsableAnswer(Entities({{"person", 0, 3}}), labels));
  EXPECT_TRUE(t.IsUsableAnswer(Entities({}), labels));
  EXPECT_FALSE(t.IsUsableAnswer(Entities({{"martian", 0, 3}}), labels));
  EXPECT_FALSE(t.IsUsableAnswer(Entities({{"person", 3, 3}}), labels));
  EXPECT_FALSE(t.IsUsableAnswer(Entities({{"person", -1, 3}}), labels));
  EXPECT_FALSE(t.IsUsableAnswer(boost::json::parse(R"({"x":{"labels":["person"]}})"), labels));
}

TEST(NerTypeTest, OutputLineHasTheSpecShape) {
  Batch in = MakeBatch({"Date", "Thing"});
  in.label_attribute_name = "ner";
  in.label_objects = boost::json::parse(
      R"([{"label":"Date","shortDisplayName":"dt"},{"label":"Thing","shortDisplayName":"tng"}])").as_array();
  in.objects.push_back({0, {{"w1", Entities({{"Thing", 22, 53}, {"Date", 75, 88}})}}});
  in.objects.push_back({1, {{"w1", Entities({{"Thing", 0, 10}, {"Date", 20, 24}})},
                            {"w2", Entities({{"Thing", 0, 10}, {"Date", 20, 25}})},
                            {"w3", Entities({{"Date", 0, 10}})}}});
  auto out = Type("NamedEntityRecognition").ConsolidateBatch(in, nullptr);
  ASSERT_TRUE(out[0]);
  EXPECT_EQ(
      json::Serialize(*out[0]),
      R"({"ner":{"annotations":{"labels":[{"label":"Date","shortDisplayName":"dt"},{"label":"Thing","shortDisplayName":"tng"}],"entities":[{"label":"Thing","startOffset":22,"endOffset":53},{"label":"Date","startOffset":75,"endOffset":88}]}},"ner-metadata":{"job-name":"labeling-job/multi-job","type":"groundtruth/text-span","creation-date":"2025-11-23T19:40:41.501000","human-annotated":"yes","entities":[{"confidence":0},{"confidence":0}]}})");
  ASSERT_TRUE(out[1]);
  const auto& ents = out[1]->at("ner").at("annotations").at("entities").as_array();
  ASSERT_EQ(ents.size(), 2u);  // the second Date span has 2 of 3 workers
  EXPECT_EQ(json::Serialize(ents[0]), R"({"label":"Thing","startOffset":0,"endOffset":10})");
  EXPECT_EQ(json::Serialize(ents[1]), R"({"label":"Date","startOffset":20,"endOffset":24})");
  const auto& conf = out[1]->at("ner-metadata").at("entities").as_array();
  // Unweighted these would be 2/3 (2 of 3 votes for Thing, identical spans)
  // and 2/3 * 0.9 = 0.6 (Jaccard 1 and 0.8 with [20, 24)); w3, who disagreed
  // with both groups, weighs less, which raises both.
  const double thing = conf[0].at("confidence").as_double();
  const double date = conf[1].at("confidence").as_double();
  EXPECT_GT(thing, 0.67);
  EXPECT_LT(thing, 1.0);
  EXPECT_GT(date, 0.6);
  EXPECT_LT(date, thing);
}

TEST(NerTypeTest, WithoutLabelObjectsTheLabelsAreRepeatedAndBadAnswersFail) {
  Batch in = MakeBatch({"person"});
  in.objects.push_back({0, {{"w1", Entities({{"martian", 0, 1}})}}});
  in.objects.push_back({1, {{"w1", Entities({})}}});
  auto out = Type("NamedEntityRecognition").ConsolidateBatch(in, nullptr);
  EXPECT_FALSE(out[0]);
  ASSERT_TRUE(out[1]);
  EXPECT_EQ(json::Serialize(out[1]->at("tags")),
            R"({"annotations":{"labels":[{"label":"person"}],"entities":[]}})");
}

TEST(HostedUiTest, NerTemplateCarriesLabelsAndInstructionsAsInertText) {
  const std::string arn = "arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/NamedEntityRecognition";
  EXPECT_EQ(HostedUiName(arn), "NamedEntityRecognition");
  EXPECT_EQ(HostedUiName("arn:aws:s3:::bucket/human-task-ui/x"), "");
  auto t = HostedUiTemplate(arn, "NamedEntityRecognition",
                            R"({"labels":[{"label":"per\"son {{x}}","shortDisplayName":"per"}],
                                "instructions":{"shortInstruction":"<p>Tag {% people %}</p>","fullInstruction":"<ol><li>All</li></ol>"}})")
                .value();
  EXPECT_NE(t.find("<crowd-entity-annotation name=\"crowd-entity-annotation\""), std::string::npos);
  EXPECT_NE(t.find("text=\"{{ task.input.taskObject }}\""), std::string::npos);
  EXPECT_NE(t.find("labels=\"[&#123;&quot;label&quot;:&quot;per\\&quot;son &#123;&#123;x&#125;&#125;&quot;,&quot;shortDisplayName&quot;:&quot;per&quot;&#125;]\""),
            std::string::npos) << t;
  EXPECT_NE(t.find("<short-instructions><p>Tag &#123;% people %&#125;</p></short-instructions>"), std::string::npos);
  EXPECT_NE(t.find("<full-instructions header=\"Instructions\"><ol><li>All</li></ol></full-instructions>"), std::string::npos);
  // The template's only Liquid is the text.
  EXPECT_EQ(t.find("{{"), t.find("{{ task.input.taskObject }}"));
  EXPECT_EQ(t.find("{%"), std::string::npos);
  EXPECT_FALSE(HostedUiTemplate(arn, "TextMultiClass", R"({"labels":[{"label":"a"}]})"));
  EXPECT_FALSE(HostedUiTemplate("arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/VideoObjectTracking",
                                "NamedEntityRecognition", R"({"labels":[{"label":"a"}]})"));
}

}  // namespace
}  // namespace plumbline::tasktypes
