// Differential test against Ruby's Shopify liquid (Debian ruby-liquid): renders
// every template in shared/data/templates with a synthetic task input, both
// with Plumbline (lax parse, Shopify mode) and with tests/liquid/ruby_render.rb,
// and compares the outputs byte for byte. Also renders a set of extra probe
// templates that exercise filters and tags on the same inputs.
//
// The match rate is printed; the test asserts the floor measured when it was
// written (kMinMatchRate) so that regressions show up. Skipped when `ruby`
// or the liquid gem is missing (install: apt-get install -y ruby ruby-liquid).
#include "liquid/liquid.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace plumbline::liquid {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Measured with ruby-liquid 5.4.0 / ruby 3.1.7: 2080/2080 renders identical
// (160 corpus templates + 12 probes each). The floor leaves room for
// deliberate differences added later; each must be explained in the report.
constexpr double kMinMatchRate = 0.98;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sets obj[path...] = leaf, creating objects on the way (never overwriting).
void SetPath(json::object& obj, const std::vector<std::string>& path, std::size_t i, const json::value& leaf) {
  if (i + 1 == path.size()) {
    if (!obj.contains(path[i])) obj[path[i]] = leaf;
    return;
  }
  json::value& next = obj[path[i]];
  if (!next.is_object()) next = json::object();
  SetPath(next.as_object(), path, i + 1, leaf);
}

std::vector<std::string> SplitDots(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

json::value LeafFor(const std::string& name) {
  if (name == "labels") return json::parse(R"(["cat", "dog & <bird>", "it's"])");
  if (name == "highlightParts" || name == "importantFormKeys") return json::parse(R"(["lazy dog", "Name"])");
  if (name == "blocks" || name == "responses")
    return json::parse(R"([{"Id": "1", "Text": "a \"b\""}, {"Id": "2", "Score": 0.5}])");
  if (name.find("image") != std::string::npos || name == "taskObject" || name.find("audio") != std::string::npos)
    return json::value("s3://bucket/path/" + name + ".jpg");
  return json::value("sample " + name + " & <b>'x'</b>");
}

// A synthetic task input with every `task.input.*` path the template reads.
json::value SynthesizeContext(const std::string& src) {
  json::object input;
  std::map<std::string, std::string> loop_vars;  // var -> collection path
  static const std::regex kFor(R"(\{%-?\s*for\s+([\w-]+)\s+in\s+task\.input\.([\w.-]+))");
  for (std::sregex_iterator it(src.begin(), src.end(), kFor), end; it != end; ++it) {
    loop_vars[(*it)[1]] = (*it)[2];
  }
  static const std::regex kPath(R"(task\.input\.([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))");
  std::set<std::string> loop_paths;
  for (const auto& [var, path] : loop_vars) loop_paths.insert(path);
  for (std::sregex_iterator it(src.begin(), src.end(), kPath), end; it != end; ++it) {
    std::string p = (*it)[1];
    if (loop_paths.count(p)) continue;
    auto parts = SplitDots(p);
    SetPath(input, parts, 0, LeafFor(parts.back()));
  }
  for (const auto& [var, path] : loop_vars) {
    json::object item;
    std::regex member("\\b" + var + R"(\.([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))");
    for (std::sregex_iterator it(src.begin(), src.end(), member), end; it != end; ++it) {
      auto parts = SplitDots((*it)[1]);
      SetPath(item, parts, 0, LeafFor(parts.back()));
    }
    json::array arr;
    for (int i = 0; i < 3; ++i) {
      json::object copy = item;
      copy["n"] = i;
      arr.push_back(copy);
    }
    auto parts = SplitDots(path);
    SetPath(input, parts, 0, arr);
  }
  json::object task;
  task["input"] = input;
  json::object root;
  root["task"] = task;
  return root;
}

// Extra probes rendered on every context: filters and tags beyond the corpus.
const char* kProbes[] = {
    "{{ task.input | size }}|{% for kv in task.input %}{{ kv[0] | upcase }}={{ kv[1] | size }};{% endfor %}",
    "{% for kv in task.input %}{{ kv[1] | truncate: 12 }}|{{ kv[1] | escape }}|{{ kv[1] | url_encode }}{% endfor %}",
    "{% for kv in task.input %}{{ kv[1] | split: ' ' | reverse | join: '-' }}/{{ kv[1] | strip_html }}"
    "/{{ kv[1] | truncatewords: 2 }}/{{ kv[1] | replace: 'a', 'A' }}/{{ kv[1] | slice: 2, 5 }}{% endfor %}",
    "{% for kv in task.input %}{{ kv[1] | escape_once }}{{ kv[1] | newline_to_br }}{{ kv[1] | capitalize }}"
    "{{ kv[1] | remove: 's' }}{{ kv[1] | size | plus: 1.5 | times: 3 | divided_by: 2 | round: 2 }}{% endfor %}",
    "{% assign keys = task.input | map: 'x' %}{{ keys | size }}{% capture c %}{% cycle 'a', 'b' %}{% endcapture %}"
    "{{ c }}{% increment n %}{% increment n %}{% decrement n %}",
    "{% for kv in task.input %}{% if kv[1] == blank %}B{% elsif kv[1] contains 'a' %}A{% else %}-{% endif %}"
    "{% unless forloop.last %},{% endunless %}{% endfor %}{% case task.input.taskObject %}{% when nil %}N"
    "{% else %}S{% endcase %}",
    "{% for i in (1..5) reversed limit: 3 %}{{ i }}{{ forloop.rindex }}{% endfor %}{% tablerow kv in task.input cols: 2 %}"
    "{{ tablerowloop.col }}{% endtablerow %}",
    "{% for kv in task.input %}{{ kv[1] | to_json }}{{ kv[1] | default: 'd' }}{{ kv[1] | first }}{{ kv[1] | last }}"
    "{{ kv[1] | sort | join: ',' }}{{ kv[1] | base64_encode }}{% endfor %}",
    "{{ 7 | modulo: 3 }} {{ -7 | divided_by: 2 }} {{ 3.14159 | round: 3 }} {{ 1e3 }} {{ 0.1 | plus: 0.2 }} "
    "{{ 10 | minus: 0.5 }} {{ 4 | at_most: 2.5 }} {{ '3.5' | ceil }} {{ -2.5 | floor }} {{ 5 | abs }}",
    "{{ 'a,b,,c,,' | split: ',' | size }} {{ '  x  y ' | split: ' ' | join: '|' }} {{ 'abc' | split: '' | join: '.' }}",
    "{% liquid\nassign x = task.input | size\nif x > 1\necho 'many'\nelse\necho 'few'\nendif\n%}",
    "{%- for kv in task.input -%}\n  {{- kv[0] -}}\n{%- endfor -%} {% raw %}{{ x }}{% endraw %}{% comment %}c{% endcomment %}",
};

TEST(LiquidRubyDiff, TemplatesCorpus) {
  if (std::system("ruby -e 'require \"liquid\"' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "ruby with the liquid gem is not installed (apt-get install -y ruby ruby-liquid)";
  }
  fs::path root = fs::path(PLUMBLINE_SHARED_DIR) / "data" / "templates";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".html") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  struct Job {
    std::string name, source;
    json::value context;
  };
  std::vector<Job> jobs;
  for (const auto& f : files) {
    std::string src = ReadFile(f);
    json::value ctx = SynthesizeContext(src);
    jobs.push_back({fs::relative(f, root).string(), src, ctx});
    int i = 0;
    for (const char* probe : kProbes) {
      jobs.push_back({fs::relative(f, root).string() + " probe " + std::to_string(i++), probe, ctx});
    }
  }

  json::array job_json;
  for (const auto& j : jobs) job_json.push_back(json::object{{"template", j.source}, {"context", j.context}});
  fs::path dir = fs::temp_directory_path() / ("plumbline_ruby_diff_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "jobs.json", std::ios::binary);
    out << json::serialize(job_json);
  }
  std::string cmd = "ruby '" + std::string(PLUMBLINE_SOURCE_DIR) + "/tests/liquid/ruby_render.rb' '" +
                    (dir / "jobs.json").string() + "' '" + (dir / "out.json").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  json::value ruby = json::parse(ReadFile(dir / "out.json"));
  fs::remove_all(dir);
  const auto& results = ruby.as_array();
  ASSERT_EQ(results.size(), jobs.size());

  int match = 0, templates_match = 0, templates = 0;
  std::vector<std::string> mismatches;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& r = results[i].as_object();
    bool is_template = jobs[i].name.find(" probe ") == std::string::npos;
    templates += is_template;
    std::string ours;
    bool ok = false;
    auto t = Template::Parse(jobs[i].source, {ErrorMode::kLax});
    if (t) {
      auto out = t->Render(jobs[i].context, RenderOptions::Shopify());
      if (out) {
        ours = *out;
        ok = true;
      }
    }
    bool same = r.at("ok").as_bool() ? (ok && ours == std::string(r.at("output").as_string())) : !ok;
    if (same) {
      ++match;
      templates_match += is_template;
      continue;
    }
    std::string theirs = r.at("ok").as_bool() ? std::string(r.at("output").as_string())
                                              : "error: " + std::string(r.at("error").as_string());
    std::size_t k = 0;
    while (k < ours.size() && k < theirs.size() && ours[k] == theirs[k]) ++k;
    std::size_t from = k > 40 ? k - 40 : 0;
    mismatches.push_back(jobs[i].name + "\n    ours:  " + json::serialize(json::value(ours.substr(from, 120))) +
                         "\n    ruby:  " + json::serialize(json::value(theirs.substr(from, 120))));
  }
  double rate = static_cast<double>(match) / static_cast<double>(jobs.size());
  std::cout << "ruby-liquid differential: " << match << "/" << jobs.size() << " renders identical ("
            << rate * 100 << "%); corpus templates alone: " << templates_match << "/" << templates << "\n";
  for (const auto& m : mismatches) std::cout << "  mismatch: " << m << "\n";
  EXPECT_GE(rate, kMinMatchRate);
}

}  // namespace
}  // namespace plumbline::liquid
