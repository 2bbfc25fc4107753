// The plumbline binary: the composition root that wires configuration to
// implementations. See `plumbline --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/app.hpp"
#include "common/result.hpp"
#include "cli/template_cmd.hpp"
#if __has_include("cli/consolidate_cmd.hpp")
#include "cli/consolidate_cmd.hpp"
#define PLB_HAVE_CONSOLIDATE_CMD 1
#endif

int main(int argc, char** argv) {
  CLI::App app{"Plumbline: self-hosted data labeling with Ground Truth's API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "plumbline 0.1.0");
  plumbline::cli::AddServeCommand(app);
  plumbline::cli::AddUsersCommands(app);
  plumbline::cli::AddTemplateCommands(app);
#ifdef PLB_HAVE_CONSOLIDATE_CMD
  plumbline::cli::AddConsolidateCommand(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const plumbline::ErrorException& e) {
    std::cerr << "plumbline: " << e.error().message << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "plumbline: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
