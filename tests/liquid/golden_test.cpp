// Runs the golden-liquid conformance suite (shared/data/golden-liquid) in
// Shopify mode (no auto-escape), as spec/liquid.md §6 describes. Cases listed
// in tests/liquid/golden_skips.json are deliberate differences, each with a
// reason; every other case must pass, and a listed case that passes is
// reported as stale. Set PLUMBLINE_GOLDEN_FILTER=substring to run a subset and
// PLUMBLINE_GOLDEN_VERBOSE=1 to print every failure in full.
#include "liquid/liquid.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace plumbline::liquid {
namespace {

namespace json = boost::json;

json::value LoadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

struct Outcome {
  bool pass = false;
  std::string detail;
};

Outcome RunCase(const json::object& c) {
  std::string name(c.at("name").as_string());
  std::string tmpl(c.at("template").as_string());
  bool strict = false;
  if (auto* tags = c.if_contains("tags")) {
    for (const auto& t : tags->as_array()) {
      if (t.as_string() == "strict" || t.as_string() == "strict2") strict = true;
    }
  }
  bool invalid = c.contains("invalid") && c.at("invalid").as_bool();
  json::value data = c.contains("data") ? c.at("data") : json::object();
  RenderOptions opts = RenderOptions::Shopify();
  opts.strict_errors = invalid;
  opts.strict_filters = false;
  std::map<std::string, std::string> partials;
  if (auto* ts = c.if_contains("templates")) {
    for (const auto& kv : ts->as_object()) partials[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  opts.partials = [&partials](std::string_view n) -> std::optional<std::string> {
    auto it = partials.find(std::string(n));
    if (it == partials.end()) return std::nullopt;
    return it->second;
  };
  opts.limits.max_render_time = std::chrono::milliseconds(5000);
  auto t = Template::Parse(tmpl, {strict ? ErrorMode::kStrict : ErrorMode::kLax});
  if (!t) {
    if (invalid) return {true, ""};
    return {false, "parse error: " + t.error().message};
  }
  auto r = t->Render(data, opts);
  if (invalid) {
    if (!r) return {true, ""};
    return {false, "expected an error, rendered " + json::serialize(json::value(*r))};
  }
  if (!r) return {false, "render error: " + r.error().message};
  std::vector<std::string> expected;
  if (auto* res = c.if_contains("result")) expected.emplace_back(res->as_string());
  if (auto* res = c.if_contains("results")) {
    for (const auto& x : res->as_array()) expected.emplace_back(x.as_string());
  }
  for (const auto& e : expected) {
    if (*r == e) return {true, ""};
  }
  return {false, "got " + json::serialize(json::value(*r)) + " want " +
                     json::serialize(json::value(expected.empty() ? "" : expected[0]))};
}

TEST(LiquidGolden, Suite) {
  setenv("TZ", "UTC", 1);
  json::value suite = LoadJson(std::string(PLUMBLINE_SHARED_DIR) + "/data/golden-liquid/golden_liquid.json");
  json::value skips_doc = LoadJson(std::string(PLUMBLINE_SOURCE_DIR) + "/tests/liquid/golden_skips.json");
  const auto& skips = skips_doc.at("skips").as_object();
  const char* filter = std::getenv("PLUMBLINE_GOLDEN_FILTER");
  bool verbose = std::getenv("PLUMBLINE_GOLDEN_VERBOSE") != nullptr;
  int total = 0, passed = 0, skipped = 0, unexpected = 0, stale = 0;
  for (const auto& v : suite.at("tests").as_array()) {
    const auto& c = v.as_object();
    std::string name(c.at("name").as_string());
    if (filter && name.find(filter) == std::string::npos) continue;
    ++total;
    Outcome o = RunCase(c);
    bool listed = skips.contains(name);
    if (o.pass) {
      ++passed;
      if (listed) {
        ++stale;
        ADD_FAILURE() << "listed in golden_skips.json but passes: " << name;
      }
    } else if (listed) {
      ++skipped;
      if (verbose) std::cout << "[skip] " << name << ": " << o.detail << "\n";
    } else {
      ++unexpected;
      ADD_FAILURE() << name << "\n  template: " << json::serialize(c.at("template")) << "\n  " << o.detail;
    }
  }
  double rate = total ? static_cast<double>(passed) / total : 1.0;
  std::cout << "golden-liquid: " << passed << "/" << total << " passed (" << rate * 100 << "%), " << skipped
            << " listed differences, " << unexpected << " unexpected failures, " << stale << " stale skips\n";
  if (!filter) {
    EXPECT_GE(rate, 0.98);
  }
}

}  // namespace
}  // namespace plumbline::liquid
