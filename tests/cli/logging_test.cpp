// The server's log formats and request ids (src/cli/logging.hpp).
#include "cli/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <boost/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace plumbline::cli {
namespace {

std::string S(const boost::json::object& o, const char* key) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : "<missing or not a string>";
}

boost::json::object Members(std::string_view message) {
  return boost::json::parse("{" + MessageAsJsonMembers(message) + "}").as_object();
}

TEST(LoggingTest, PairsBecomeMembersWithNumbersAndQuotedValues) {
  auto o = Members(R"(msg=request request_id=ab12 method=GET path=/x status=200 op=A.B)");
  EXPECT_EQ(S(o, "msg"), "request");
  EXPECT_EQ(S(o, "request_id"), "ab12");
  EXPECT_EQ(S(o, "path"), "/x");
  EXPECT_EQ(o.at("status").as_int64(), 200);
  EXPECT_EQ(S(o, "op"), "A.B");
  o = Members(R"(msg="shutting down" signal=15 note="say \"hi\" \\ ok")");
  EXPECT_EQ(S(o, "msg"), "shutting down");
  EXPECT_EQ(o.at("signal").as_int64(), 15);
  EXPECT_EQ(S(o, "note"), "say \"hi\" \\ ok");
  // Leading zeros and long digit runs stay strings (ids, not numbers).
  o = Members("id=007 big=1234567890123456789012");
  EXPECT_EQ(S(o, "id"), "007");
  EXPECT_EQ(S(o, "big"), "1234567890123456789012");
}

TEST(LoggingTest, AMessageThatIsNotPairsIsKeptWholeAndEscaped) {
  for (std::string m : {"job seed failed: ClientError: line 2 is not \"JSON\"",
                        "tab\there and a newline\n", "key=\"unclosed", "=x", ""}) {
    auto o = Members(m);
    ASSERT_EQ(o.size(), 1u) << m;
    EXPECT_EQ(S(o, "msg"), m);
  }
}

TEST(LoggingTest, TheJsonFormatterWritesOneObjectPerLine) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("t", sink);
  logger.set_formatter(MakeLogFormatter(LogFormat::kJson));
  logger.info("msg=request request_id={} status={}", "r-1", 404);
  logger.warn("plain words");
  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto first = boost::json::parse(line).as_object();
  EXPECT_EQ(S(first, "level"), "info");
  EXPECT_EQ(S(first, "request_id"), "r-1");
  EXPECT_EQ(first.at("status").as_int64(), 404);
  std::string time(first.at("time").as_string());
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-01-02T03:04:05.678Z
  EXPECT_EQ(time.back(), 'Z');
  ASSERT_TRUE(std::getline(lines, line));
  auto second = boost::json::parse(line).as_object();
  EXPECT_EQ(S(second, "level"), "warning");
  EXPECT_EQ(S(second, "msg"), "plain words");
  EXPECT_FALSE(std::getline(lines, line));

  std::ostringstream text;
  spdlog::logger plain("p", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
  plain.set_formatter(MakeLogFormatter(LogFormat::kText));
  plain.info("msg=request status=200");
  EXPECT_NE(text.str().find(" level=info msg=request status=200\n"), std::string::npos)
      << text.str();
  EXPECT_EQ(text.str().rfind("time=", 0), 0u) << text.str();
}

TEST(LoggingTest, RequestIdsFollowTheCallersOrAreNew) {
  std::string given = "proxy-id_1.2:3";
  EXPECT_EQ(RequestIdFor(&given), given);
  std::string made = RequestIdFor(nullptr);
  EXPECT_EQ(made.size(), 16u);
  EXPECT_NE(RequestIdFor(nullptr), made);
  for (std::string bad : {std::string(""), std::string("has space"), std::string("a\"b"),
                          std::string(65, 'a'), std::string("new\nline")}) {
    std::string id = RequestIdFor(&bad);
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 16u);
  }
}

TEST(LoggingTest, NewRequestIdsAreDistinctHexAcrossThreads) {
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kEach; ++i) made[static_cast<size_t>(t)].push_back(NewRequestId());
    });
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& ids : made)
    for (const auto& id : ids) {
      ASSERT_EQ(id.size(), 16u);
      ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
      all.insert(id);
    }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  // Consecutive ids of one thread do not count up visibly.
  EXPECT_NE(made[0][0].substr(0, 8), made[0][1].substr(0, 8));
}

}  // namespace
}  // namespace plumbline::cli
