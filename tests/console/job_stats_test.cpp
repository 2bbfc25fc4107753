// The console's job figures from plain rows: labels read from answers and
// consolidated content, progress buckets, throughput, medians, agreement.
#include "console/job_stats.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace plumbline::console {
namespace {

store::Assignment A(int64_t user, int64_t object, int64_t at_ms, const std::string& answer,
                    double seconds = 0) {
  store::Assignment a;
  a.user_id = user;
  a.object_index = object;
  a.accepted_ms = at_ms - 5000;
  a.submitted_ms = at_ms;
  a.answer_json = answer;
  a.time_spent_s = seconds;
  a.state = store::AssignmentState::kSubmitted;
  return a;
}

store::DataObject Labeled(int64_t index, const std::string& name, double confidence) {
  store::DataObject o;
  o.index = index;
  o.state = store::ObjectState::kLabeled;
  o.label_json = R"({"x":0,"x-metadata":{"class-name":")" + name + R"(","confidence":)" +
                 std::to_string(confidence) + "}}";
  return o;
}

TEST(JobStatsTest, ReadsLabelsOfClassifiersMultiLabelAnswersAndMetadata) {
  EXPECT_EQ(AnswerLabel(boost::json::parse(R"({"c":{"label":"cat"}})")), "cat");
  EXPECT_EQ(AnswerLabel(boost::json::parse(R"({"c":{"labels":["b","a"]}})")), "a, b");
  EXPECT_FALSE(AnswerLabel(boost::json::parse(R"({"c":{"entities":[]}})")));
  EXPECT_FALSE(AnswerLabel(boost::json::parse(R"("cat")")));
  Consolidated one = ReadConsolidated(R"({"a":1,"a-metadata":{"class-name":"dog","confidence":0.61}})");
  EXPECT_EQ(one.label, "dog");
  EXPECT_DOUBLE_EQ(*one.confidence, 0.61);
  Consolidated many = ReadConsolidated(
      R"({"a":[0,2],"a-metadata":{"class-map":{"0":"x","2":"w"},"confidence-map":{"0":0.9,"2":0.4}}})");
  EXPECT_EQ(many.label, "w, x");
  EXPECT_DOUBLE_EQ(*many.confidence, 0.4);
  EXPECT_EQ(ReadConsolidated("").label, "");
  EXPECT_FALSE(ReadConsolidated("not json").confidence);
}

TEST(JobStatsTest, ProgressThroughputWorkersAndDistribution) {
  JobStatsBuilder b(2, {{1, "ann"}, {2, "bob"}});
  b.AddObject(Labeled(0, "cat", 0.9));
  b.AddObject(Labeled(1, "dog", 0.6));
  store::DataObject open;
  open.index = 2;
  b.AddObject(open);
  const int64_t t0 = 1'000'000;
  b.AddAnswer(A(1, 0, t0, R"({"c":{"label":"cat"}})", 3));
  b.AddAnswer(A(2, 0, t0 + 60'000, R"({"c":{"label":"cat"}})", 5));
  b.AddAnswer(A(1, 1, t0 + 120'000, R"({"c":{"label":"cat"}})", 7));
  b.AddAnswer(A(2, 1, t0 + 180'000, R"({"c":{"label":"dog"}})"));  // 5 s from the lease
  b.AddAnswer(A(1, 2, t0 + 240'000, R"({"free":"text"})", 1));
  auto out = b.Finish(4);

  auto progress = out.at("progress").as_array();
  ASSERT_GE(progress.size(), 2u);
  ASSERT_LE(progress.size(), 5u);
  EXPECT_EQ(progress.front().at("t"), t0);
  EXPECT_EQ(progress.front().at("answers"), 1);
  EXPECT_EQ(progress.back().at("answers"), 5);
  EXPECT_EQ(progress.back().at("finished"), 2);
  for (size_t i = 1; i < progress.size(); ++i)
    EXPECT_GE(progress[i].at("answers").as_int64(), progress[i - 1].at("answers").as_int64());
  // Four intervals in four minutes.
  EXPECT_DOUBLE_EQ(out.at("throughput").at("perMinute").as_double(), 1.0);
  EXPECT_EQ(out.at("objectsFinished"), 2);

  auto workers = out.at("workers").as_array();
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].at("worker"), "ann");
  EXPECT_EQ(workers[0].at("answers"), 3);
  EXPECT_DOUBLE_EQ(workers[0].at("medianSeconds").as_double(), 3);
  EXPECT_EQ(workers[0].at("compared"), 2);  // the free-text answer has no label
  EXPECT_EQ(workers[0].at("agreed"), 1);
  EXPECT_DOUBLE_EQ(workers[0].at("agreement").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(workers[0].at("reliability").as_double(), 0.5);
  EXPECT_EQ(workers[1].at("worker"), "bob");
  EXPECT_DOUBLE_EQ(workers[1].at("medianSeconds").as_double(), 5);
  EXPECT_EQ(workers[1].at("agreed"), 2);
  EXPECT_DOUBLE_EQ(workers[1].at("reliability").as_double(), 0.75);

  auto consolidated = out.at("labels").at("consolidated").as_array();
  ASSERT_EQ(consolidated.size(), 2u);
  EXPECT_EQ(consolidated[0].at("label"), "cat");
  auto answers = out.at("labels").at("answers").as_array();
  EXPECT_EQ(answers[0].at("label"), "cat");
  EXPECT_EQ(answers[0].at("count"), 3);
  EXPECT_EQ(out.at("labels").at("answersWithoutLabel"), 1);
}

TEST(JobStatsTest, AJobWithoutAnswersHasNoProgressYet) {
  JobStatsBuilder b(1, {});
  auto out = b.Finish();
  EXPECT_TRUE(out.at("progress").as_array().empty());
  EXPECT_EQ(out.at("throughput").at("answers"), 0);
  EXPECT_TRUE(out.at("workers").as_array().empty());
}

}  // namespace
}  // namespace plumbline::console
