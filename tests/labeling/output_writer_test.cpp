#include "labeling/output_writer.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace plumbline::labeling {
namespace {

TEST(OutputLineTest, LabeledObjectGetsLabelAndMetadataAppended) {
  store::DataObject o;
  o.state = store::ObjectState::kLabeled;
  o.line = R"({"source":"x","attr":"old","z":2})";
  o.label_json = R"({"attr":1,"attr-metadata":{"confidence":0.84,"class-name":"b"}})";
  EXPECT_EQ(OutputLine(o, "attr", "Job", "TextMultiClass"),
            R"({"source":"x","attr":1,"z":2,"attr-metadata":{"confidence":0.84,"class-name":"b"}})");
}

TEST(OutputLineTest, UnlabeledLineIsVerbatim) {
  store::DataObject o;
  o.line = R"({ "source" : "spaces kept" })";
  EXPECT_EQ(OutputLine(o, "attr", "Job", "TextMultiClass"), o.line);
}

TEST(OutputLineTest, FailedObjectCarriesTheReason) {
  store::DataObject o;
  o.state = store::ObjectState::kFailed;
  o.line = R"({"other":1})";
  o.failure_reason = "ClientError: no source";
  EXPECT_EQ(OutputLine(o, "a", "MyJob", "TextMultiClass"),
            R"({"other":1,"a-metadata":{"failure-reason":"ClientError: no source","job-name":"labeling-job/myjob","human-annotated":"yes","type":"groundtruth/text-classification"}})");
}

TEST(OutputLineTest, FailedObjectDropsAStaleLabelKeepingKeyOrder) {
  store::DataObject o;
  o.state = store::ObjectState::kFailed;
  o.line = R"({"a":"old","x":1,"y":2,"z":3})";
  o.failure_reason = "r";
  std::string line = OutputLine(o, "a", "J", "TextMultiClass");
  EXPECT_EQ(line.substr(0, line.find("\"a-metadata\"")), R"({"x":1,"y":2,"z":3,)");
}

TEST(ConsolidationFilesTest, OneWorkerResponsePerObjectThenRequestAndResponse) {
  ConsolidationFiles files("s3://b/out/J", "2025-11-23_19:40:41");
  store::DataObject o;
  o.index = 4;
  o.line = R"({"source":"hello"})";
  store::Assignment a;
  a.accepted_ms = 1000;
  a.submitted_ms = 3500;
  a.time_spent_s = 2.5;
  a.answer_json = R"({"c":{"label":"x"}})";
  WorkerAnswer w{&a, "private.us-west-2.00aa", "sub-1", boost::json::parse(a.answer_json)};
  files.AddObject(o, {w});
  files.AddResult(4, boost::json::parse(R"({"a":0})").as_object());
  auto out = files.Take();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].first, "s3://b/out/J/annotations/worker-response/iteration-1/4/2025-11-23_19:40:41.json");
  EXPECT_EQ(out[0].second,
            R"({"answers":[{"acceptanceTime":"1970-01-01T00:00:01.000Z","answerContent":{"c":{"label":"x"}},"submissionTime":"1970-01-01T00:00:03.500Z","timeSpentInSeconds":2.5,"workerId":"private.us-west-2.00aa","workerMetadata":{"identityData":{"identityProviderType":"Oidc","issuer":"plumbline","sub":"sub-1"}}}]})");
  EXPECT_EQ(out[1].first, "s3://b/out/J/annotations/consolidated-annotation/consolidation-request/iteration-1/2025-11-23_19:40:41.json");
  EXPECT_EQ(out[1].second,
            R"([{"datasetObjectId":"4","dataObject":{"content":"hello"},"annotations":[{"workerId":"private.us-west-2.00aa","annotationData":{"content":"{\"c\":{\"label\":\"x\"}}"}}]}])");
  EXPECT_EQ(out[2].second, R"([{"datasetObjectId":"4","consolidatedAnnotation":{"content":{"a":0}}}])");
  EXPECT_TRUE(files.Take().empty());  // nothing added since
}

}  // namespace
}  // namespace plumbline::labeling
