// `plumbline template render` as a function (src/cli/template_cmd.hpp).
#include "cli/template_cmd.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace plumbline::cli {
namespace {

namespace fs = std::filesystem;

class TemplateCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plb_tmpl_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(TemplateCmdTest, RendersWithContextAndAutoescape) {
  TemplateRenderOptions o;
  o.template_path = Write("t.liquid", "<p>{{ task.input.text }}</p>");
  o.context_path = Write("c.json", R"({"task":{"input":{"text":"a & b"}}})");
  std::string log;
  auto r = RenderTemplateFile(o, &log);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, "<p>a &amp; b</p>");
  o.autoescape = false;
  EXPECT_EQ(*RenderTemplateFile(o, &log), "<p>a & b</p>");
  EXPECT_TRUE(log.empty());
}

TEST_F(TemplateCmdTest, RepeatReportsTiming) {
  TemplateRenderOptions o;
  o.template_path = Write("t.liquid", "{% for i in (1..3) %}{{ i }}{% endfor %}");
  o.repeat = 10;
  std::string log;
  EXPECT_EQ(*RenderTemplateFile(o, &log), "123");
  EXPECT_NE(log.find("rendered 10 times"), std::string::npos) << log;
}

TEST_F(TemplateCmdTest, ErrorsNameTheProblem) {
  TemplateRenderOptions o;
  std::string log;
  o.template_path = (dir_ / "missing.liquid").string();
  EXPECT_EQ(RenderTemplateFile(o, &log).error().code, ErrorCode::kNotFound);
  o.template_path = Write("bad.liquid", "a\n{% if %}");
  auto r = RenderTemplateFile(o, &log);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  o.template_path = Write("ok.liquid", "x");
  o.context_path = Write("bad.json", "[1]");
  EXPECT_EQ(RenderTemplateFile(o, &log).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(TemplateCmdTest, LaxOnlyTemplatesWarnUnlessStrict) {
  TemplateRenderOptions o;
  o.template_path = Write("lax.liquid", "{{ 'x' | upcase junk }}");
  std::string log;
  EXPECT_EQ(*RenderTemplateFile(o, &log), "X");
  EXPECT_NE(log.find("warning"), std::string::npos);
  o.strict = true;
  EXPECT_FALSE(RenderTemplateFile(o, &log).has_value());
}

}  // namespace
}  // namespace plumbline::cli
