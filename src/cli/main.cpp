// The plumbline binary: the composition root that wires configuration to
// implementations. See `plumbline --help`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "cli/app.hpp"
#include "cli/audit_cmd.hpp"
#include "common/result.hpp"
#include "cli/template_cmd.hpp"
#include "cli/consolidate_cmd.hpp"
#include "cli/kms_cmd.hpp"
#include "cli/migrate_cmd.hpp"

namespace {

// The command groups, by the name that starts them on the command line.
struct CommandGroup {
  const char* name;
  void (*add)(CLI::App& app);
};

void AddTemplateGroup(CLI::App& app) {
  plumbline::cli::AddTemplateCommands(app);
  plumbline::cli::AddTemplatePreviewCommand(app);
}

constexpr CommandGroup kGroups[] = {
    {"serve", plumbline::cli::AddServeCommand},
    {"users", plumbline::cli::AddUsersCommands},
    {"audit", plumbline::cli::AddAuditCommand},
    {"template", AddTemplateGroup},
    {"consolidate", plumbline::cli::AddConsolidateCommand},
    {"kms", plumbline::cli::AddKmsCommands},
    {"functions", plumbline::cli::AddFunctionsCommands},
    {"migrate", plumbline::cli::AddMigrateCommand},
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Plumbline: self-hosted data labeling with Ground Truth's API"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "plumbline 0.1.0");
  // A command line that names a group registers that group alone: building
  // every group's options (hundreds of allocations) was a visible part of a
  // short command's start, `plumbline consolidate` among them. Anything else
  // (--help, --version, a mistyped name) sees them all.
  const CommandGroup* named = nullptr;
  for (const CommandGroup& group : kGroups) {
    if (argc > 1 && std::string_view(argv[1]) == group.name) named = &group;
  }
  if (named != nullptr) {
    named->add(app);
  } else {
    for (const CommandGroup& group : kGroups) group.add(app);
  }
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
