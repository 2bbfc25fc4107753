// The plumbline binary: the composition root that wires configuration to
// implementations. See `plumbline --help`.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/app.hpp"
#include "cli/audit_cmd.hpp"
#include "common/result.hpp"
#include "cli/template_cmd.hpp"
#include "cli/consolidate_cmd.hpp"
#include "cli/kms_cmd.hpp"
#include "cli/migrate_cmd.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Plumbline: self-hosted data labeling with Ground Truth's API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "plumbline 0.1.0");
  plumbline::cli::AddServeCommand(app);
  plumbline::cli::AddUsersCommands(app);
  plumbline::cli::AddAuditCommand(app);
  plumbline::cli::AddTemplateCommands(app);
  plumbline::cli::AddTemplatePreviewCommand(app);
  plumbline::cli::AddConsolidateCommand(app);
  plumbline::cli::AddKmsCommands(app);
  plumbline::cli::AddFunctionsCommands(app);
  plumbline::cli::AddMigrateCommand(app);
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
