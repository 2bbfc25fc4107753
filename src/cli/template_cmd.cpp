#include "cli/template_cmd.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "liquid/liquid.hpp"

namespace plumbline::cli {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<std::string> RenderTemplateFile(const TemplateRenderOptions& options, std::string* log) {
  PLB_ASSIGN_OR_RETURN(std::string source, ReadWholeFile(options.template_path));
  boost::json::value context = boost::json::object();
  if (!options.context_path.empty()) {
    PLB_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(options.context_path));
    boost::system::error_code ec;
    context = boost::json::parse(text, ec);
    if (ec) return InvalidArgument(options.context_path + ": invalid JSON: " + ec.message());
    if (!context.is_object()) return InvalidArgument(options.context_path + ": the context must be a JSON object");
  }
  auto tmpl = options.strict ? liquid::Template::Parse(source) : liquid::Template::ParseLenient(source);
  if (!tmpl) return InvalidArgument(options.template_path + ": " + tmpl.error().message);
  for (const auto& w : tmpl->warnings()) {
    *log += options.template_path + ": warning: accepted only in lax mode: " + w.message + "\n";
  }
  liquid::RenderOptions render_options;
  render_options.autoescape = options.autoescape;
  render_options.json_structured = options.autoescape;
  std::string out;
  int repeat = options.repeat < 1 ? 1 : options.repeat;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeat; ++i) {
    out.clear();
    PLB_TRY(tmpl->RenderTo(out, context, render_options));
  }
  if (options.repeat > 1) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::ostringstream ss;
    ss << "rendered " << repeat << " times in " << secs * 1000 << " ms (" << secs * 1e6 / repeat
       << " us/render, " << static_cast<long long>(repeat / (secs > 0 ? secs : 1e-9)) << " renders/s)\n";
    *log += ss.str();
  }
  return out;
}

void AddTemplateCommands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("template", "Work with Liquid worker templates");
  group->require_subcommand(1);
  auto flags = std::make_shared<TemplateRenderOptions>();
  CLI::App* render = group->add_subcommand("render", "Render a Liquid template with a JSON context");
  render->add_option("TEMPLATE", flags->template_path, "Liquid template file")->required();
  render->add_option("--context", flags->context_path, "JSON object used as the whole Liquid context");
  render->add_flag("--no-autoescape", [flags](std::int64_t) { flags->autoescape = false; },
                   "Plain Shopify output: no HTML auto-escaping, Ruby-style arrays and hashes");
  render->add_flag("--strict", flags->strict, "Reject templates that only parse in lax mode");
  render->add_option("--repeat", flags->repeat, "Render N times and print the time to stderr")
      ->check(CLI::Range(1, 100'000'000));
  render->callback([flags] {
    std::string log;
    auto out = RenderTemplateFile(*flags, &log);
    std::cerr << log;
    if (!out) {
      std::cerr << "plumbline template render: " << out.error().message << "\n";
      throw CLI::RuntimeError(1);
    }
    std::cout << *out;
    std::cout.flush();
  });
}

}  // namespace plumbline::cli
