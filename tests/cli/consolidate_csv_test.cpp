// The CSV side of `plumbline consolidate` (src/cli/consolidate_cmd.hpp).
#include "cli/consolidate_cmd.hpp"
#include "cli/answers_interner.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <sstream>

namespace plumbline::cli {
namespace {

using consolidation::Algorithm;

std::string ErrorOf(std::string_view text) {
  Result<AnswerTable> r = ParseAnswersCsv(text);
  return r ? std::string("(no error)") : r.error().message;
}

// The scan's inline order of ids (runs in increasing order skip the task
// hash table) is std::string_view's, bytes above 0x7f included: random ids
// of 0 to 20 bytes that share prefixes of every length.
TEST(AnswersInternerTest, LessBytesOrdersAsStringViewDoes) {
  std::mt19937_64 rng(3);
  const std::string alphabet = std::string("ab-0") + '\x7f' + '\x80' + '\xff';
  std::vector<std::string> ids;
  for (int i = 0; i < 3000; ++i) {
    std::string id(rng() % 21, 'a');
    for (char& c : id) c = alphabet[rng() % alphabet.size()];
    ids.push_back(id);
    if (!id.empty()) {  // a near twin: one byte changed, or one more byte
      std::string twin = id;
      twin[rng() % twin.size()] = alphabet[rng() % alphabet.size()];
      ids.push_back(twin);
      ids.push_back(id + alphabet[rng() % alphabet.size()]);
    }
  }
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    for (size_t j : {i + 1, (i * 7919) % ids.size()}) {
      const std::string_view a = ids[i], b = ids[j];
      ASSERT_EQ(answers_csv_detail::LessBytes(a, b), a < b) << i << " " << j;
      ASSERT_EQ(answers_csv_detail::LessBytes(b, a), b < a) << i << " " << j;
    }
  }
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

TEST(ParseAnswersCsvTest, QuotedFieldsMaySpanLines) {
  // RFC 4180: line breaks (LF or CRLF) inside quotes are data, and the
  // lines they take still count for the messages.
  const Result<AnswerTable> r = ParseAnswersCsv(
      "task,worker,label\r\n"
      "\"multi\r\nline\",w1,\"a\nb\"\r\n"
      "t2,w2,x\r\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tasks, (std::vector<std::string>{"multi\r\nline", "t2"}));
  EXPECT_EQ(r->labels, (std::vector<std::string>{"a\nb", "x"}));
  EXPECT_EQ(ErrorOf("task,worker,label\n\"a\nb\",w,l\nt,w\n"),
            "line 4: expected 3 fields (task,worker,label), got 2");
  EXPECT_EQ(ErrorOf("task,worker,label\nt,w,l\n\"open,w,l\nmore\n"), "line 3: unterminated quote");
}

TEST(ParseAnswersCsvTest, EdgesOfLinesAndFields) {
  // No final line break; a CR that is not before LF is data; quoted empty
  // fields are empty; a task that comes back later keeps its index.
  const Result<AnswerTable> r = ParseAnswersCsv(
      "\"task\",worker,\"label\"\n"
      "a,w\r1,l\n"
      "b,w2,l\n"
      "a,w2,m");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tasks, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->workers, (std::vector<std::string>{"w\r1", "w2"}));
  ASSERT_EQ(r->answers.size(), 3u);
  EXPECT_EQ(r->answers[2].task, 0);
  EXPECT_EQ(r->answers[2].label, 1);
  EXPECT_EQ(ErrorOf("task,worker,label\n\"\",w,l\n"), "line 2: empty task");
  EXPECT_EQ(ErrorOf("task,worker,label\nt,w,\"l\"\"\r\n"), "line 2: unterminated quote");
}

TEST(ParseAnswersCsvTest, HeaderErrorsNameTheirLine) {
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF\r\n\ntask,worker\r\n"),
            "line 3: expected the header 'task,worker,label', got 'task,worker'");
  EXPECT_EQ(ErrorOf("\n\r\n"), "line 1: missing the header 'task,worker,label'");
  EXPECT_EQ(ErrorOf("task,worker,label,x\n"),
            "line 1: expected the header 'task,worker,label', got 'task,worker,label,x'");
}

// Many rows, several runs per task and ids of every length up to 40 bytes:
// the interning (hash, inline comparison, growth) against std::map.
TEST(ParseAnswersCsvTest, InternsManyIdsInFirstAppearanceOrder) {
  std::mt19937 rng(7);
  std::string csv = "task,worker,label\n";
  std::vector<std::string> expected_tasks;
  std::map<std::string, int32_t> seen;
  std::vector<int32_t> expected_task_of_row;
  for (int row = 0; row < 20000; ++row) {
    const int id = static_cast<int>(rng() % 5000);
    std::string task = "t";
    task.append(static_cast<size_t>(id % 40), 'x');
    task += std::to_string(id);
    auto [it, inserted] = seen.emplace(task, static_cast<int32_t>(expected_tasks.size()));
    if (inserted) expected_tasks.push_back(task);
    expected_task_of_row.push_back(it->second);
    csv += task + ",w" + std::to_string(rng() % 300) + ",c" + std::to_string(rng() % 3) + "\n";
  }
  const Result<AnswerTable> r = ParseAnswersCsv(csv);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tasks, expected_tasks);
  ASSERT_EQ(r->answers.size(), expected_task_of_row.size());
  for (size_t i = 0; i < expected_task_of_row.size(); ++i) {
    ASSERT_EQ(r->answers[i].task, expected_task_of_row[i]) << "row " << i;
  }
  EXPECT_EQ(r->workers.size(), 300u);
  EXPECT_EQ(r->labels, (std::vector<std::string>{"c0", "c1", "c2"}));
}

// The confidences are printed exactly as fmt's "{:.Nf}" printed them
// before, including values at and next to rounding ties.
// Over 4 MiB, two threads scan pieces of the input at once (two large ones,
// then small ones to whichever is free); the table must be the one a single
// scan makes (ids in first-appearance order, answers in input
// order), and anything but plain records (a quoted field, an error) falls
// back to the single scan with its line numbers.
TEST(ParseAnswersCsvTest, TwoThreadsScanTheSameTable) {
  std::string csv = "task,worker,label\n";
  uint64_t state = 99;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  for (int line = 0; line < 160000; ++line) {
    // Tasks mostly in runs, some coming back later; new workers and labels
    // appear in every piece, two labels only in the last one.
    const int task = next() % 50 == 0 ? static_cast<int>(next() % 40000) : line / 4;
    csv += "task-" + std::to_string(task) + ",worker-" + std::to_string(next() % (line / 100 + 2)) +
           ",label" + std::to_string(next() % (line < 80000 ? 3 : line < 157000 ? 6 : 8)) + "\r\n";
    if (line % 1000 == 0) csv += "\n";  // blank lines are skipped
  }
  ASSERT_GT(csv.size(), size_t{4} << 20);
  auto same = [](const AnswerTable& x, const AnswerTable& y) {
    EXPECT_EQ(x.tasks, y.tasks);
    EXPECT_EQ(x.workers, y.workers);
    EXPECT_EQ(x.labels, y.labels);
    ASSERT_EQ(x.answers.size(), y.answers.size());
    for (size_t n = 0; n < x.answers.size(); ++n) {
      ASSERT_EQ(x.answers[n].task, y.answers[n].task) << n;
      ASSERT_EQ(x.answers[n].worker, y.answers[n].worker) << n;
      ASSERT_EQ(x.answers[n].label, y.answers[n].label) << n;
    }
  };
  const Result<AnswerTable> one = ParseAnswersCsv(csv, 1);
  const Result<AnswerTable> two = ParseAnswersCsv(csv, 2);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->answers.size(), 160000u);
  same(*one, *two);

  // Sorted by task, seven rows a task: the cuts between pieces fall inside
  // a task's rows, whose two parts are one task as in one scan.
  std::string sorted = "task,worker,label\n";
  for (int line = 0; line < 210000; ++line) {
    sorted += "object-" + std::to_string(100000 + line / 7) + ",w" + std::to_string(next() % 500) +
              ",c" + std::to_string(next() % 4) + "\n";
  }
  ASSERT_GT(sorted.size(), size_t{4} << 20);
  const Result<AnswerTable> s1 = ParseAnswersCsv(sorted, 1);
  const Result<AnswerTable> s2 = ParseAnswersCsv(sorted, 2);
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(s2->tasks.size(), 210000u / 7);
  same(*s1, *s2);

  // A quoted field with a line break in the second half.
  std::string quoted = csv;
  quoted.insert(quoted.rfind('\n', quoted.size() - 100) + 1, "\"task,\nquoted\",w,label1\n");
  const Result<AnswerTable> q1 = ParseAnswersCsv(quoted, 1);
  const Result<AnswerTable> q2 = ParseAnswersCsv(quoted, 2);
  ASSERT_TRUE(q1 && q2) << (q1 ? "" : q1.error().message);
  same(*q1, *q2);
  EXPECT_NE(std::find(q2->tasks.begin(), q2->tasks.end(), "task,\nquoted"), q2->tasks.end());

  // An error in the second half names the same line either way.
  std::string broken = csv + "t,w\n";
  const Result<AnswerTable> e1 = ParseAnswersCsv(broken, 1);
  const Result<AnswerTable> e2 = ParseAnswersCsv(broken, 2);
  ASSERT_FALSE(e1);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e1.error().message, e2.error().message);
  EXPECT_NE(e1.error().message.find("expected 3 fields"), std::string::npos);
}

// The two-thread scan reads plain records by their delimiter bits and hands
// anything else back to the full scanner. Over inputs with the edges of plain
// records (lone CRs inside fields, CRLF and LF blank lines, ids past 16
// bytes, UTF-8, spaces, a last line without its end) and with a quote
// somewhere, both give the one-thread table.
TEST(ParseAnswersCsvTest, FastAndFullScansAgreeOnEdges) {
  const std::vector<std::string> lines = {
      "t1,w1,a\n",          "t1,w\r2,b\n",  "\r\n",
      "\n",                 "t2,w3,a\r\n",  "t-\xc3\xa9t\xc3\xa9,w 4, b\n",
      "a-task-id-longer-than-sixteen-bytes,a-worker-id-longer-than-sixteen,label-longer-than-16\n",
      "t3,w1,a\r\r\n",     "t\r,w1,a\n",   "t4,w\x01,a\n"};
  for (const char* tail : {"", "t9,w9,z", "t9,w9,z\r", "t9,w9,z\n\r\n", "t9,\"w9\",z\n"}) {
    std::string csv = "task,worker,label\n";
    uint64_t state = 7;
    while (csv.size() < (size_t{9} << 19)) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      csv += lines[(state >> 33) % lines.size()];
    }
    csv += tail;
    const Result<AnswerTable> one = ParseAnswersCsv(csv, 1);
    const Result<AnswerTable> two = ParseAnswersCsv(csv, 2);
    ASSERT_TRUE(one) << one.error().message;
    ASSERT_TRUE(two) << two.error().message;
    EXPECT_EQ(one->tasks, two->tasks) << tail;
    EXPECT_EQ(one->workers, two->workers) << tail;
    EXPECT_EQ(one->labels, two->labels) << tail;
    ASSERT_EQ(one->answers.size(), two->answers.size()) << tail;
    for (size_t n = 0; n < one->answers.size(); ++n) {
      ASSERT_EQ(one->answers[n].task, two->answers[n].task) << n;
      ASSERT_EQ(one->answers[n].worker, two->answers[n].worker) << n;
      ASSERT_EQ(one->answers[n].label, two->answers[n].label) << n;
    }
    // The lone CRs stay in their fields; CRLF ends a line.
    EXPECT_NE(std::find(two->workers.begin(), two->workers.end(), "w\r2"), two->workers.end());
    EXPECT_NE(std::find(two->tasks.begin(), two->tasks.end(), "t\r"), two->tasks.end());
    EXPECT_NE(std::find(two->labels.begin(), two->labels.end(), "a\r"), two->labels.end());
  }
  // Not plain, so the full scanner names the fault, as with one thread.
  for (const char* bad : {"t,w\n", "t,w,l,x\n", "t,,l\n", ",w,l\n", "t,w,\r\n"}) {
    std::string csv = "task,worker,label\n";
    while (csv.size() < (size_t{9} << 19)) csv += "t1,w1,a\n";
    csv += bad;
    const Result<AnswerTable> one = ParseAnswersCsv(csv, 1);
    const Result<AnswerTable> two = ParseAnswersCsv(csv, 2);
    ASSERT_FALSE(one) << bad;
    ASSERT_FALSE(two) << bad;
    EXPECT_EQ(one.error().message, two.error().message) << bad;
  }
}

TEST(FormatLabelsCsvTest, ConfidencesMatchFmtFixed) {
  std::vector<double> values = {0.0, 1.0, 0.5, 0.125, 0.375, 0.005, 0.015, 0.025, 0.995,
                                0.9995, 2.0 / 3.0, 1.0 / 3.0, 0.045, 1e-300, 0.9999999999};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int i = 0; i < 20000; ++i) values.push_back(uniform(rng));
  for (int i = 0; i <= 2000; ++i) {
    values.push_back(i / 2000.0);
    values.push_back(std::nextafter(i / 2000.0, 0.0));
    values.push_back(std::nextafter(i / 2000.0, 1.0));
  }
  AnswerTable table;
  table.labels = {"x"};
  consolidation::Consolidation result;
  for (size_t i = 0; i < values.size(); ++i) {
    table.tasks.push_back("t" + std::to_string(i));
    result.tasks.push_back({0, values[i], 1});
  }
  for (int precision : {0, 1, 2, 3, 4, 6, 9, 12, 17}) {
    std::string expected = "task,label,confidence\n";
    for (size_t i = 0; i < values.size(); ++i) {
      expected += fmt::format("t{},x,{:.{}f}\n", i, values[i], precision);
    }
    ASSERT_EQ(FormatLabelsCsv(table, result, precision), expected) << "precision " << precision;
  }
}

// A task id or label is quoted when it holds ',', '"', CR or LF, wherever
// the byte is (the check reads eight bytes at a time), and not otherwise.
TEST(FormatLabelsCsvTest, FieldsAreQuotedWhereTheyMustBe) {
  auto field = [](const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string quoted = "\"";
    for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  AnswerTable table;
  table.labels = {"plain", "with,comma", "q\"uote", "longer-label-with-a-line\nbreak"};
  consolidation::Consolidation result;
  std::string expected = "task,label,confidence\n";
  int n = 0;
  auto add = [&](const std::string& task) {
    const int label = n % 4;
    table.tasks.push_back(task);
    result.tasks.push_back({label, 0.5, 1});
    expected += field(task) + "," + field(table.labels[label]) + ",0.50\n";
    ++n;
  };
  for (size_t size = 1; size <= 20; ++size) add(std::string(size, 'a') + std::to_string(size));
  for (char special : {',', '"', '\r', '\n'}) {
    for (size_t at = 0; at < 20; ++at) {
      std::string task(20, 'b');
      task[at] = special;
      add(task);
    }
  }
  EXPECT_EQ(FormatLabelsCsv(table, result, 2), expected);
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

// The command uses every processor by default once a job is large enough to
// be split (over 2 x 131072 answers); the labels and confidences must be
// those of one thread, to the last printed digit.
TEST(ConsolidateCsvTest, ThreadCountDoesNotChangeTheOutput) {
  std::string csv = "task,worker,label\n";
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(state >> 33);
  };
  for (int t = 0; t < 70000; ++t) {
    const uint32_t truth = next() % 3;
    for (int n = 0; n < 4; ++n) {
      const uint32_t worker = next() % 200;
      const uint32_t label = worker % 4 == 0 ? next() % 3 : (next() % 10 < 8 ? truth : next() % 3);
      csv.append("t").append(std::to_string(t)).append(",w").append(std::to_string(worker));
      csv.append(",c").append(std::to_string(label)).append("\n");
    }
  }
  for (Algorithm a : {Algorithm::kDawidSkene, Algorithm::kOneCoin, Algorithm::kDawidSkeneVb}) {
    const Result<std::string> one = ConsolidateCsv(csv, a, 17, 1);
    ASSERT_TRUE(one);
    for (int threads : {2, 4}) {
      const Result<std::string> many = ConsolidateCsv(csv, a, 17, threads);
      ASSERT_TRUE(many);
      EXPECT_TRUE(*one == *many) << consolidation::AlgorithmName(a) << " threads=" << threads;
    }
  }
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

// The command end to end on a job large enough for every two-thread path
// (the scan in halves over 4 MiB, the EM's chunks, the output formatted in
// halves over 50,000 tasks): one and two threads write the same bytes, and
// --timings reports the phases on stderr without changing the output.
TEST(ConsolidateCommandTest, OneAndTwoThreadsWriteTheSameFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("plumbline_consolidate_threads_" +
                        std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);
  const fs::path input = dir / "answers.csv";
  {
    std::ofstream out(input);
    out << "task,worker,label\n";
    std::mt19937_64 rng(29);
    const char* kLabels[] = {"dog", "cat", "bird", "fish"};
    for (int t = 0; t < 120000; ++t) {
      const int truth = static_cast<int>(rng() % 4);
      const int answers = 3 + static_cast<int>(rng() % 3);
      for (int n = 0; n < answers; ++n) {
        const int worker = static_cast<int>(rng() % 500);
        const int label = rng() % 10 < 7 ? truth : static_cast<int>(rng() % 4);
        out << fmt::format("object-{:06d},worker-{:04d},{}\n", t, worker, kLabels[label]);
      }
    }
  }
  ASSERT_GT(fs::file_size(input), size_t{8} << 20);
  auto run = [&](int threads, bool timings) {
    const fs::path output = dir / ("out" + std::to_string(threads) + ".csv");
    CLI::App app("plumbline");
    AddConsolidateCommand(app);
    std::vector<std::string> args = {std::to_string(threads), "--threads", output.string(),
                                     "--output", input.string(), "--input", "consolidate"};
    if (timings) args.insert(args.begin(), "--timings");
    app.parse(args);
    std::ifstream result(output);
    std::stringstream text;
    text << result.rdbuf();
    return text.str();
  };
  const std::string one = run(1, false);
  ::testing::internal::CaptureStderr();
  const std::string two = run(2, true);
  const std::string timings = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 120001);
  EXPECT_TRUE(one == two) << "the one- and two-thread outputs differ";
  for (const char* phase : {"timings: start-up cpu ", "timings: read ", "timings: parse ",
                            "timings: consolidate ", "timings: format ", "timings: write ",
                            "threads 2,"}) {
    EXPECT_NE(timings.find(phase), std::string::npos) << phase << " missing from:\n" << timings;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace plumbline::cli
