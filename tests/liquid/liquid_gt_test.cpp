// Ground Truth dialect (spec/liquid.md §2), parse errors, and render limits.
#include "liquid/liquid.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace plumbline::liquid {
namespace {

namespace json = boost::json;

std::string Render(std::string_view tmpl, const json::value& ctx = json::object(), RenderOptions opts = {}) {
  auto t = Template::ParseLenient(tmpl);
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
  if (!t) return "<parse error>";
  auto r = t->Render(ctx, opts);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : "<render error>";
}

json::value Task(std::string_view input_json) { return MakeTaskContext(json::parse(input_json)); }

// --- auto-escaping (§2.2) -------------------------------------------------------

TEST(LiquidGt, AutoescapesOutputLikeTheAwsExample) {
  EXPECT_EQ(Render(R"({{ "Have you read 'James & the Giant Peach'?" }})"),
            "Have you read &#39;James &amp; the Giant Peach&#39;?");
}

TEST(LiquidGt, LiteralTextIsNeverEscaped) { EXPECT_EQ(Render("<b>\"x\" & 'y'</b>"), "<b>\"x\" & 'y'</b>"); }

TEST(LiquidGt, EscapeFilterIsNotEscapedTwice) {
  EXPECT_EQ(Render(R"({{ "<a & b>" | escape }})"), "&lt;a &amp; b&gt;");
  EXPECT_EQ(Render(R"({{ "<a>" | h }})"), "&lt;a&gt;");
}

TEST(LiquidGt, FilterAfterEscapeClearsTheSafeFlag) {
  EXPECT_EQ(Render(R"({{ "a&b" | escape | upcase }})"), "A&amp;AMP;B");
}

TEST(LiquidGt, EscapeOnceKeepsEntities) {
  EXPECT_EQ(Render(R"({{ "&amp; &lt; < &#39; &#x27;" | escape_once }})"), "&amp; &lt; &lt; &#39; &amp;#x27;");
}

TEST(LiquidGt, SkipAutoescapeOutputsRawHtml) {
  EXPECT_EQ(Render(R"({{ task.input.html | skip_autoescape }})", Task(R"({"html":"<b>x</b>"})")), "<b>x</b>");
}

TEST(LiquidGt, ToJsonIsAutoescaped) {
  auto ctx = Task(R"({"labels":["cat","dog's"]})");
  EXPECT_EQ(Render("{{ task.input.labels | to_json }}", ctx), "[&quot;cat&quot;,&quot;dog&#39;s&quot;]");
  EXPECT_EQ(Render("{{ task.input.labels | to_json | escape }}", ctx), "[&quot;cat&quot;,&quot;dog&#39;s&quot;]");
}

TEST(LiquidGt, ToJsonFormatsValues) {
  auto ctx = Task(R"({"o":{"b":1,"a":[2.0,null,true,"x\"y"]},"f":2.5})");
  RenderOptions raw;
  raw.autoescape = false;
  EXPECT_EQ(Render("{{ task.input.o | to_json }}", ctx, raw), R"({"b":1,"a":[2.0,null,true,"x\"y"]})");
  EXPECT_EQ(Render("{{ task.input.f | to_json }}|{{ nothing | to_json }}|{{ (1..3) | to_json }}", ctx, raw),
            "2.5|null|[1,2,3]");
  EXPECT_EQ(Render("{{ task.input.s | to_json }}", Task(R"({"s":"é\n\u0001"})"), raw), R"("é\n\u0001")");
}

TEST(LiquidGt, CaptureIsSafeAndAssignIsRaw) {
  EXPECT_EQ(Render(R"({% capture c %}{{ "<" }}&{% endcapture %}{{ c }})"), "&lt;&");
  EXPECT_EQ(Render(R"({% assign a = "<&>" %}{{ a | size }}{{ a }})"), "3&lt;&amp;&gt;");
}

TEST(LiquidGt, FiltersAndConditionsSeeRawText) {
  auto ctx = Task(R"({"x":"a&b"})");
  EXPECT_EQ(Render("{{ task.input.x | size }}", ctx), "3");
  EXPECT_EQ(Render(R"({% if task.input.x contains "&" %}yes{% endif %})", ctx), "yes");
}

TEST(LiquidGt, ArraysAndHashesOutputAsEscapedJson) {
  auto ctx = Task(R"({"blocks":[{"id":1,"t":"a"}],"keys":["k1","k2"]})");
  EXPECT_EQ(Render("{{ task.input.blocks }}", ctx), "[{&quot;id&quot;:1,&quot;t&quot;:&quot;a&quot;}]");
  EXPECT_EQ(Render("{{ task.input.keys }}", ctx), "[&quot;k1&quot;,&quot;k2&quot;]");
  EXPECT_EQ(Render("{{ task.input.keys | join: ',' }}", ctx), "k1,k2");
  EXPECT_EQ(Render("{{ task.input.keys }}", ctx, RenderOptions::Shopify()), "k1k2");
}

TEST(LiquidGt, NumbersFollowRuby) {
  EXPECT_EQ(Render("{{ 2.0 }} {{ 10 | divided_by: 4 }} {{ 1.0 | plus: 2 }} {{ 10.1 | minus: 2.2 }}"),
            "2.0 2 3.0 7.9");
}

// --- grant_read_access (§2.3) -----------------------------------------------------

TEST(LiquidGt, GrantReadAccessCallsTheSigner) {
  RenderOptions opts;
  std::vector<std::string> seen;
  opts.grant_read_access = [&seen](std::string_view uri) {
    seen.emplace_back(uri);
    return "https://plumbline.local/assets?u=" + std::string(uri.substr(5)) + "&sig=1";
  };
  auto ctx = Task(R"({"taskObject":"s3://bucket/a b.jpg","web":"https://x/y.png","none":""})");
  EXPECT_EQ(Render(R"(<img src="{{ task.input.taskObject | grant_read_access }}">)", ctx, opts),
            R"(<img src="https://plumbline.local/assets?u=bucket/a b.jpg&amp;sig=1">)");
  EXPECT_EQ(Render("{{ task.input.web | grant_read_access }}", ctx, opts), "https://x/y.png");
  EXPECT_EQ(Render("[{{ task.input.none | grant_read_access }}][{{ missing | grant_read_access }}]", ctx, opts),
            "[][]");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "s3://bucket/a b.jpg");
  // Odd spacing from the corpus.
  EXPECT_EQ(Render("{{ task.input.taskObject  | grant_read_access}}", ctx, opts),
            "https://plumbline.local/assets?u=bucket/a b.jpg&amp;sig=1");
}

TEST(LiquidGt, GrantReadAccessWithoutSignerLeavesUriUnchanged) {
  EXPECT_EQ(Render("{{ task.input.u | grant_read_access }}", Task(R"({"u":"s3://b/k"})")), "s3://b/k");
}

// --- corpus patterns (§2.6) -------------------------------------------------------

TEST(LiquidGt, CorpusPatterns) {
  auto ctx = Task(R"({
    "source-ref": "s3://b/img.png",
    "animal": "bird",
    "manifestLine": {
      "prior": {"annotations": [{"class_id": 0}, {"class_id": 1}]},
      "prior-metadata": {"class-map": {"0": "cat", "1": "dog"}},
      "internal-color-map": {"0": {"class-name": "BACKGROUND"}, "1": {"class-name": "cat"}}
    },
    "translationPairs": [{"s": "a"}, {"s": "b"}]
  })");
  EXPECT_EQ(Render("{{ task.input.source-ref }}", ctx), "s3://b/img.png");
  EXPECT_EQ(Render("labels=\"[ '{{ task.input.animal }}' ]\"", ctx), "labels=\"[ 'bird' ]\"");
  EXPECT_EQ(Render("{% for box in task.input.manifestLine.prior.annotations %}"
                   "{% capture class_id %}{{ box.class_id }}{% endcapture %}"
                   "{% assign label = task.input.manifestLine.prior-metadata.class-map[class_id] %}"
                   "{{ label }},{% endfor %}",
                   ctx),
            "cat,dog,");
  EXPECT_EQ(Render("{% for box in task.input.manifestLine.internal-color-map %}"
                   "{% if box[1]['class-name'] != 'BACKGROUND' %}{{ box[0] }}={{ box[1]['class-name'] }}"
                   "{% endif %}{% endfor %}",
                   ctx),
            "1=cat");
  EXPECT_EQ(Render("{% for p in task.input.translationPairs %}<i name=\"p{{ forloop.index }}\">{{ p.s }}</i>"
                   "{% endfor %}",
                   ctx),
            "<i name=\"p1\">a</i><i name=\"p2\">b</i>");
}

// --- errors -------------------------------------------------------------------

TEST(LiquidGt, StrictParseErrorsNameLineAndColumn) {
  auto t = Template::Parse("line one\n  {% nosuchtag %}\n");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(t.error().message.find("line 2, column 3"), std::string::npos) << t.error().message;

  auto u = Template::Parse("{% if x %}\nabc\n");
  ASSERT_FALSE(u.has_value());
  EXPECT_NE(u.error().message.find("never closed"), std::string::npos) << u.error().message;

  auto v = Template::Parse("ok\n{{ a | upcase junk }}");
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("line 2, column 15"), std::string::npos) << v.error().message;

  auto w = Template::Parse("{{ x ");
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message.find("line 1, column 1"), std::string::npos) << w.error().message;
}

TEST(LiquidGt, LenientParseFallsBackToLaxWithAWarning) {
  auto t = Template::ParseLenient("a\n{{ x | upcase junk }}");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->warnings().size(), 1u);
  EXPECT_EQ(t->warnings()[0].line, 2);
  EXPECT_EQ(*t->Render(json::parse(R"({"x":"b"})")), "a\nB");
  EXPECT_FALSE(Template::ParseLenient("{% for %}").has_value());
  auto clean = Template::ParseLenient("{{ x }}");
  ASSERT_TRUE(clean.has_value());
  EXPECT_TRUE(clean->warnings().empty());
}

TEST(LiquidGt, RenderErrorsAreInlineUnlessStrict) {
  EXPECT_EQ(Render("a{{ 1 | divided_by: 0 }}b"), "aLiquid error: divided by 0b");
  auto t = Template::Parse("a{{ 1 | divided_by: 0 }}b");
  RenderOptions strict;
  strict.strict_errors = true;
  auto r = t->Render(json::object(), strict);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("divided by 0"), std::string::npos);
}

TEST(LiquidGt, UnknownFiltersPassThroughUnlessStrictFilters) {
  EXPECT_EQ(Render("{{ 'x' | no_such_filter }}"), "x");
  RenderOptions o;
  o.strict_filters = true;
  EXPECT_EQ(Render("{{ 'x' | no_such_filter }}", json::object(), o), "Liquid error: undefined filter no_such_filter");
}

TEST(LiquidGt, UndefinedVariablesRenderNothing) { EXPECT_EQ(Render("[{{ a.b.c }}]"), "[]"); }

// --- limits -------------------------------------------------------------------

Status RenderStatus(std::string_view tmpl, const RenderOptions& opts, const json::value& ctx = json::object()) {
  auto t = Template::Parse(tmpl);
  if (!t) return t.error();
  std::string out;
  return t->RenderTo(out, ctx, opts);
}

TEST(LiquidLimits, OutputBytes) {
  RenderOptions o;
  o.limits.max_output_bytes = 1000;
  auto s = RenderStatus("{% for i in (1..1000) %}0123456789{% endfor %}", o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("Liquid limit exceeded: output"), std::string::npos) << s.error().message;
  // Captures count too.
  s = RenderStatus("{% for i in (1..1000) %}{% capture c %}{{ c }}0123456789{% endcapture %}{% endfor %}", o);
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(RenderStatus("{% for i in (1..10) %}0123456789{% endfor %}", o).has_value());
}

TEST(LiquidLimits, LoopIterations) {
  RenderOptions o;
  o.limits.max_iterations = 10'000;
  auto s = RenderStatus("{% for i in (1..1000) %}{% for j in (1..1000) %}{% endfor %}{% endfor %}", o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("loop iterations"), std::string::npos) << s.error().message;
}

TEST(LiquidLimits, HugeRangesDoNotAllocate) {
  RenderOptions o;
  o.limits.max_iterations = 1000;
  auto s = RenderStatus("{% for i in (1..9000000000000) %}{% endfor %}", o);
  ASSERT_FALSE(s.has_value());
}

TEST(LiquidLimits, NestingDepth) {
  std::string deep;
  for (int i = 0; i < 30; ++i) deep += "{% if true %}";
  deep += "x";
  for (int i = 0; i < 30; ++i) deep += "{% endif %}";
  RenderOptions o;
  o.limits.max_depth = 10;
  auto s = RenderStatus(deep, o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("nesting"), std::string::npos) << s.error().message;
  o.limits.max_depth = 64;
  EXPECT_TRUE(RenderStatus(deep, o).has_value());
}

TEST(LiquidLimits, ParserRejectsAbsurdNestingWithoutCrashing) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{% if true %}";
  auto t = Template::Parse(deep);
  ASSERT_FALSE(t.has_value());
  std::string brackets = "{{ " + std::string(5000, '[') + " }}";
  EXPECT_FALSE(Template::Parse(brackets).has_value());
}

TEST(LiquidLimits, RecursivePartials) {
  RenderOptions o;
  o.partials = [](std::string_view) -> std::optional<std::string> { return "{% include 'self' %}"; };
  auto s = RenderStatus("{% include 'self' %}", o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("nesting"), std::string::npos);
}

TEST(LiquidLimits, RenderTime) {
  RenderOptions o;
  o.limits.max_iterations = UINT64_MAX;
  o.limits.max_output_bytes = SIZE_MAX;
  o.limits.max_render_time = std::chrono::milliseconds(20);
  auto s = RenderStatus(
      "{% for i in (1..100000000) %}{% assign x = i | plus: 1 | append: 'abc' | upcase %}{% endfor %}", o);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("render took longer"), std::string::npos) << s.error().message;
}

// --- corpus smoke test (spec §6) -------------------------------------------------

TEST(LiquidGt, EveryCorpusTemplateParsesStrictlyAndRenders) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(PLUMBLINE_SHARED_DIR) / "data" / "templates";
  auto ctx = Task(R"({"taskObject": "s3://b/k.jpg", "labels": ["a", "b"], "source": "x & y",
                      "translationPairs": [{"originalText": "a"}], "selectedAiServiceResponse": {"blocks": []}})");
  RenderOptions opts;
  opts.grant_read_access = [](std::string_view uri) { return "https://signed/" + std::string(uri.substr(5)); };
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".html") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto t = Template::Parse(ss.str());
    ASSERT_TRUE(t.has_value()) << e.path() << ": " << t.error().message;
    auto r = t->Render(ctx, opts);
    ASSERT_TRUE(r.has_value()) << e.path();
    EXPECT_EQ(r->find("Liquid error"), std::string::npos) << e.path();
    ++n;
  }
  EXPECT_EQ(n, 160);
}

// --- concurrency --------------------------------------------------------------

TEST(LiquidGt, ParsedTemplateRendersConcurrently) {
  auto t = Template::Parse(
      "{% for x in task.input.items %}{% cycle 'a','b' %}{{ forloop.index }}{{ x | upcase }}"
      "{% increment n %}{% endfor %}");
  ASSERT_TRUE(t.has_value());
  auto ctx = Task(R"({"items":["p","q","r"]})");
  std::string want = *t->Render(ctx);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 500; ++k) {
        if (*t->Render(ctx) != want) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(want, "a1P0b2Q1a3R2");
}

}  // namespace
}  // namespace plumbline::liquid
