#include "labeling/output_writer.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace plumbline::labeling
