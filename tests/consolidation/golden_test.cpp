// Data-driven cases: tests/consolidation/cases/<name>/{input.json, expected.json}.
//
// input.json:
//   {"algorithm": "majority|dawid-skene|one-coin|dawid-skene-vb",
//    "num_classes": K,
//    "answers": [[task, worker, label], ...],        // job mode, or
//    "object": [label, ...],                          // ConsolidateObject mode
//    "num_tasks": T, "num_workers": W,                // optional, default max id + 1
//    "tie_break": "lowest|seeded", "seed": S, "max_iterations": N}  // optional
// expected.json:
//   {"tasks": [{"label": l, "confidence": c, "confidence_2dp": r, "num_answers": n}, ...],
//    "class_priors": [...], "worker_accuracy": [...], "converged": b}
// Only the keys present in expected.json are compared, so a hand-written
// case may check just the labels. Numbers match within 1e-6.
// PLUMBLINE_UPDATE_GOLDEN=1 rewrites every expected.json from the current
// code (review the diff like code), except hand-written ones, which carry
// "hand_written": "<where the values come from>" and are never rewritten.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "consolidation/consolidation.hpp"

namespace plumbline::consolidation {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path CasesDir() { return fs::path(PLUMBLINE_SOURCE_DIR) / "tests/consolidation/cases"; }

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double Round6(double x) { return std::round(x * 1e6) / 1e6; }

json::array Rounded(const std::vector<double>& values) {
  json::array out;
  for (double v : values) out.emplace_back(Round6(v));
  return out;
}

json::object TaskJson(const TaskLabel& t) {
  return json::object{{"label", t.label},
                      {"confidence", Round6(t.confidence)},
                      {"confidence_2dp", RoundConfidence(t.confidence)},
                      {"num_answers", t.num_answers}};
}

// Runs one case and returns its result in the expected.json shape.
json::object RunCase(const json::object& input) {
  const Algorithm algorithm =
      ParseAlgorithm(json::value_to<std::string>(input.at("algorithm"))).value();
  const int32_t k = static_cast<int32_t>(input.at("num_classes").to_number<int64_t>());
  if (const json::value* object = input.if_contains("object")) {
    std::vector<int32_t> labels;
    for (const json::value& l : object->as_array()) labels.push_back(l.to_number<int32_t>());
    return json::object{{"tasks", json::array{TaskJson(ConsolidateObject(labels, k, algorithm))}}};
  }
  std::vector<Answer> answers;
  int32_t tasks = 0;
  int32_t workers = 0;
  for (const json::value& a : input.at("answers").as_array()) {
    const json::array& row = a.as_array();
    answers.push_back(
        {row.at(0).to_number<int32_t>(), row.at(1).to_number<int32_t>(), row.at(2).to_number<int32_t>()});
    tasks = std::max(tasks, answers.back().task + 1);
    workers = std::max(workers, answers.back().worker + 1);
  }
  if (const json::value* v = input.if_contains("num_tasks")) tasks = v->to_number<int32_t>();
  if (const json::value* v = input.if_contains("num_workers")) workers = v->to_number<int32_t>();
  Options options;
  options.algorithm = algorithm;
  if (const json::value* v = input.if_contains("tie_break")) {
    options.tie_break = v->as_string() == "seeded" ? TieBreak::kSeededRandom : TieBreak::kLowestIndex;
  }
  if (const json::value* v = input.if_contains("seed")) options.seed = v->to_number<uint64_t>();
  if (const json::value* v = input.if_contains("max_iterations")) {
    options.max_iterations = v->to_number<int>();
  }
  const Consolidation r = Consolidate({tasks, workers, k, answers}, options);
  json::array task_array;
  for (const TaskLabel& t : r.tasks) task_array.push_back(TaskJson(t));
  return json::object{{"tasks", task_array},
                      {"class_priors", Rounded(r.class_priors)},
                      {"worker_accuracy", Rounded(r.worker_accuracy)},
                      {"converged", r.converged}};
}

// Compares `expected` (a subset) with `actual`; records failures at `where`.
void ExpectMatches(const json::value& expected, const json::value& actual, const std::string& where) {
  if (expected.is_number()) {
    ASSERT_TRUE(actual.is_number()) << where;
    EXPECT_NEAR(expected.to_number<double>(), actual.to_number<double>(), 1e-6) << where;
  } else if (expected.is_object()) {
    ASSERT_TRUE(actual.is_object()) << where;
    for (const auto& [key, value] : expected.as_object()) {
      const json::value* got = actual.as_object().if_contains(key);
      ASSERT_NE(got, nullptr) << where << "." << key;
      ExpectMatches(value, *got, where + "." + std::string(key));
    }
  } else if (expected.is_array()) {
    ASSERT_TRUE(actual.is_array()) << where;
    ASSERT_EQ(expected.as_array().size(), actual.as_array().size()) << where;
    for (size_t i = 0; i < expected.as_array().size(); ++i) {
      ExpectMatches(expected.as_array()[i], actual.as_array()[i], where + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(expected, actual) << where;
  }
}

// Plain decimals (Boost.JSON would print 0.5 as 5E-1).
std::string Serialize(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.6f", v.get_double());
      std::string text = buffer;
      while (text.back() == '0') text.pop_back();
      if (text.back() == '.') text.pop_back();
      return text == "-0" ? "0" : text;
    }
    case json::kind::array: {
      std::string out = "[";
      for (const json::value& item : v.get_array()) out += (out.size() > 1 ? ", " : "") + Serialize(item);
      return out + "]";
    }
    case json::kind::object: {
      std::string out = "{";
      for (const auto& [key, item] : v.get_object()) {
        out += (out.size() > 1 ? ", " : "") + json::serialize(json::value(key)) + ": " + Serialize(item);
      }
      return out + "}";
    }
    default:
      return json::serialize(v);
  }
}

// Pretty enough for review: one task per line.
std::string Format(const json::object& result) {
  std::string out = "{\n";
  bool first_key = true;
  for (const auto& [key, value] : result) {
    if (!first_key) out += ",\n";
    first_key = false;
    out += "  " + json::serialize(json::value(key)) + ": ";
    if (key == "tasks") {
      out += "[\n";
      const json::array& tasks = value.as_array();
      for (size_t i = 0; i < tasks.size(); ++i) {
        out += "    " + Serialize(tasks[i]) + (i + 1 < tasks.size() ? ",\n" : "\n");
      }
      out += "  ]";
    } else {
      out += Serialize(value);
    }
  }
  return out + "\n}\n";
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(CasesDir())) {
    if (entry.is_directory() && fs::exists(entry.path() / "input.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GoldenTest : public testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpected) {
  const fs::path dir = CasesDir() / GetParam();
  const json::object input = json::parse(ReadText(dir / "input.json")).as_object();
  const json::object actual = RunCase(input);
  const bool hand_written =
      fs::exists(dir / "expected.json") &&
      json::parse(ReadText(dir / "expected.json")).as_object().contains("hand_written");
  const char* update = std::getenv("PLUMBLINE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1" && !hand_written) {
    std::ofstream(dir / "expected.json", std::ios::binary | std::ios::trunc) << Format(actual);
    GTEST_SKIP() << "rewrote " << GetParam() << "/expected.json";
  }
  ASSERT_TRUE(fs::exists(dir / "expected.json")) << "run with PLUMBLINE_UPDATE_GOLDEN=1";
  json::value expected = json::parse(ReadText(dir / "expected.json"));
  expected.as_object().erase("hand_written");
  ExpectMatches(expected, actual, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(GoldenTest, HasCases) { EXPECT_GE(CaseNames().size(), 8u); }

}  // namespace
}  // namespace plumbline::consolidation
