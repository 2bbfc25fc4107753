// `plumbline template ...`: work with Liquid worker templates offline.
//
//   plumbline template render TEMPLATE [--context FILE.json] [--no-autoescape]
//                                      [--strict] [--repeat N]
//
// `render` parses TEMPLATE once (strict, falling back to lax with a warning
// on stderr, as CreateLabelingJob does; --strict disables the fallback) and
// renders it with the JSON file as the whole Liquid context (default: {}).
// The output is printed once to stdout. With --repeat N it renders N times
// and prints the elapsed time to stderr, for quick performance checks.
// s3:// URIs passed to grant_read_access are left unchanged (no server).
//
// AddTemplateCommands registers the `template` group with its `render`
// subcommand; other subcommands (e.g. `preview`) can be added to the group
// with app.get_subcommand("template"). On failure a command prints
// "plumbline template render: <message>" to stderr and throws
// CLI::RuntimeError(1).
#pragma once

#include <string>

#include "common/result.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace plumbline::cli {

struct TemplateRenderOptions {
  std::string template_path;
  std::string context_path;  // empty: {}
  bool autoescape = true;
  bool strict = false;
  int repeat = 1;
};

// Reads, parses and renders; returns the rendered text. Timing (for
// repeat > 1) and parse warnings go to `log`. Fails with kInvalidArgument
// (bad template, bad JSON, limit) or kNotFound (missing file).
Result<std::string> RenderTemplateFile(const TemplateRenderOptions& options, std::string* log);

void AddTemplateCommands(CLI::App& app);

}  // namespace plumbline::cli
