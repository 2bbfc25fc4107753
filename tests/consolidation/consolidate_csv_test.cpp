// The CSV side of `plumbline consolidate` (src/cli/consolidate_cmd.hpp).
#include "cli/consolidate_cmd.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace plumbline::cli {
namespace {

using consolidation::Algorithm;

std::string ErrorOf(std::string_view text) {
  Result<AnswerTable> r = ParseAnswersCsv(text);
  return r ? std::string("(no error)") : r.error().message;
}

TEST(ParseAnswersCsvTest, MapsStringsToDenseIds) {
  const Result<AnswerTable> r = ParseAnswersCsv(
      "task,worker,label\n"
      "t2,alice,yes\n"
      "t1,bob,no\n"
      "t2,bob,yes\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tasks, (std::vector<std::string>{"t2", "t1"}));
  EXPECT_EQ(r->workers, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(r->labels, (std::vector<std::string>{"no", "yes"}));  // sorted
  ASSERT_EQ(r->answers.size(), 3u);
  EXPECT_EQ(r->answers[0].task, 0);
  EXPECT_EQ(r->answers[0].worker, 0);
  EXPECT_EQ(r->answers[0].label, 1);
  EXPECT_EQ(r->answers[1].task, 1);
  EXPECT_EQ(r->answers[1].label, 0);
  const consolidation::Problem p = r->problem();
  EXPECT_EQ(p.num_tasks, 2);
  EXPECT_EQ(p.num_workers, 2);
  EXPECT_EQ(p.num_classes, 2);
  EXPECT_EQ(consolidation::Validate(p), std::nullopt);
}

TEST(ParseAnswersCsvTest, BomCrlfBlankLinesAndQuotes) {
  const Result<AnswerTable> r = ParseAnswersCsv(
      "\xEF\xBB\xBFtask,worker,label\r\n"
      "\r\n"
      "\"a,b\",w1,\"say \"\"hi\"\"\"\r\n"
      "http://x.cc/?q=1,w2,G");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tasks, (std::vector<std::string>{"a,b", "http://x.cc/?q=1"}));
  EXPECT_EQ(r->labels, (std::vector<std::string>{"G", "say \"hi\""}));
}

TEST(ParseAnswersCsvTest, HeaderOnlyIsEmpty) {
  const Result<AnswerTable> r = ParseAnswersCsv("task,worker,label\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->answers.empty());
  Result<std::string> out = ConsolidateCsv("task,worker,label\n", Algorithm::kDawidSkene);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "task,label,confidence\n");
}

TEST(ParseAnswersCsvTest, ErrorsNameTheLine) {
  EXPECT_EQ(ErrorOf(""), "line 1: missing the header 'task,worker,label'");
  EXPECT_EQ(ErrorOf("task,label\n"), "line 1: expected the header 'task,worker,label', got 'task,label'");
  EXPECT_EQ(ErrorOf("task,worker,label\nt,w,l\nt,w\n"),
            "line 3: expected 3 fields (task,worker,label), got 2");
  EXPECT_EQ(ErrorOf("task,worker,label\nt,w,l,extra\n"),
            "line 2: expected 3 fields (task,worker,label), got 4");
  EXPECT_EQ(ErrorOf("task,worker,label\n\nt,,l\n"), "line 3: empty worker");
  EXPECT_EQ(ErrorOf("task,worker,label\nt,w,\n"), "line 2: empty label");
  EXPECT_EQ(ErrorOf("task,worker,label\n\"t,w,l\n"), "line 2: unterminated quote");
  EXPECT_EQ(ErrorOf("task,worker,label\n\"t\"x,w,l\n"),
            "line 2: unexpected character after a quoted field");
  const Result<AnswerTable> r = ParseAnswersCsv("task,worker\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(ConsolidateCsvTest, MajorityEndToEnd) {
  const Result<std::string> out = ConsolidateCsv(
      "task,worker,label\n"
      "img1,w1,cat\n"
      "img1,w2,cat\n"
      "img1,w3,dog\n"
      "\"img,2\",w1,dog\n",
      Algorithm::kMajorityVote, 3);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out,
            "task,label,confidence\n"
            "img1,cat,0.667\n"
            "\"img,2\",dog,1.000\n");
}

TEST(ConsolidateCsvTest, DawidSkeneEndToEnd) {
  std::string csv = "task,worker,label\n";
  for (int t = 0; t < 20; ++t) {
    const char* truth = t % 2 ? "b" : "a";
    const char* other = t % 2 ? "a" : "b";
    csv += "t" + std::to_string(t) + ",good1," + truth + "\n";
    csv += "t" + std::to_string(t) + ",good2," + truth + "\n";
    csv += "t" + std::to_string(t) + ",bad," + other + "\n";
  }
  const Result<std::string> out = ConsolidateCsv(csv, Algorithm::kDawidSkene);
  ASSERT_TRUE(out);
  std::istringstream lines(*out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "task,label,confidence");
  std::getline(lines, line);
  EXPECT_EQ(line, "t0,a,1.00");
  std::getline(lines, line);
  EXPECT_EQ(line, "t1,b,1.00");
}

TEST(ConsolidateCommandTest, RunsThroughCli11) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("plumbline_consolidate_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);
  const fs::path input = dir / "answers.csv";
  const fs::path output = dir / "out.csv";
  std::ofstream(input) << "task,worker,label\nx,w1,1\nx,w2,1\nx,w3,0\n";
  CLI::App app("plumbline");
  AddConsolidateCommand(app);
  const std::string in = input.string();
  const std::string out = output.string();
  // CLI11 takes the argument vector in reverse order.
  std::vector<std::string> args = {"4", "--precision", out, "--output", in, "--input",
                                   "majority", "--algorithm", "consolidate"};
  app.parse(args);
  std::ifstream result(output);
  std::stringstream text;
  text << result.rdbuf();
  EXPECT_EQ(text.str(), "task,label,confidence\nx,1,0.6667\n");

  CLI::App bad_app("plumbline");
  AddConsolidateCommand(bad_app);
  std::ofstream(input) << "task,worker,label\nx,w1\n";
  std::vector<std::string> bad_args = {in, "--input", "consolidate"};
  EXPECT_THROW(bad_app.parse(bad_args), CLI::RuntimeError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace plumbline::cli
