// Subcommands of the `plumbline` binary. Each Add* registers one command
// group on the CLI11 app; the command runs when the app's callback fires.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace plumbline::cli {

void AddServeCommand(CLI::App& app);
void AddUsersCommands(CLI::App& app);
void AddFunctionsCommands(CLI::App& app);
// Adds `preview` to the `template` group (call after AddTemplateCommands).
void AddTemplatePreviewCommand(CLI::App& app);

// Opens DIR's store (creating DIR and the database when new), for commands
// that work beside a running server.
struct DataDir {
  std::string path;
  std::string DatabasePath() const { return path + "/plumbline.db"; }
};

}  // namespace plumbline::cli
