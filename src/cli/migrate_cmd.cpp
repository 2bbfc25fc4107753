#include "cli/migrate_cmd.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli/data_dir.hpp"
#include "store/store.hpp"

namespace plumbline::cli {
namespace {

std::string Plural(size_t n, const char* one) {
  return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}

Result<int> CopyInto(const MigrateOptions& options, const std::string& url, std::ostream& out) {
  if (options.dry_run || options.check) return InvalidArgument("--from cannot be given with --dry-run or --check");
  int64_t total = 0;
  PLB_ASSIGN_OR_RETURN(auto tables,
                       store::CopyStore(options.from_url, url,
                                        [&out](const std::string& table, int64_t rows, bool done) {
                                          if (!done) out << "  " << table << ": " << rows << " rows...\n" << std::flush;
                                        }));
  for (const auto& t : tables) {
    out << "  " << t.table << ": " << Plural(static_cast<size_t>(t.rows), "row") << "\n";
    total += t.rows;
  }
  out << "copied " << Plural(static_cast<size_t>(total), "row") << " in "
      << Plural(tables.size(), "table") << " from " << options.from_url << "\n";
  return 0;
}

}  // namespace

Result<int> RunMigrate(const MigrateOptions& options, std::ostream& out) {
  if (options.dry_run && options.check)
    return InvalidArgument("--dry-run and --check cannot be given together");
  const std::string url = StoreUrlFor(options.data_dir, options.store_url);
  if (!options.from_url.empty()) return CopyInto(options, url, out);
  PLB_ASSIGN_OR_RETURN(store::SchemaInfo info, store::InspectSchema(url));
  if (info.pending.empty()) {
    out << "schema version " << info.version << " of " << info.latest << ": up to date\n";
    return 0;
  }
  out << "schema version " << info.version << " of " << info.latest << "; "
      << Plural(info.pending.size(), "migration") << " pending:\n";
  for (const auto& m : info.pending) out << "  " << m.version << "  " << m.summary << "\n";
  if (options.check) return 1;
  if (options.dry_run) {
    out << "dry run: nothing applied\n";
    return 0;
  }
  // The data dir's own SQLite file needs its folder.
  if (url == StoreUrlFor(options.data_dir, "") && url.rfind("sqlite:", 0) == 0) {
    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) return Unavailable("cannot create data dir " + options.data_dir + ": " + ec.message());
  }
  store::StoreOptions sopts;
  sopts.url = url;
  PLB_ASSIGN_OR_RETURN(auto opened, store::OpenStore(sopts));
  opened.reset();  // waits for pending writes (there are none)
  PLB_ASSIGN_OR_RETURN(store::SchemaInfo after, store::InspectSchema(url));
  out << "applied " << Plural(static_cast<size_t>(after.version - info.version), "migration")
      << "; schema version " << after.version << " of " << after.latest << "\n";
  return after.pending.empty() ? 0 : 1;
}

void AddMigrateCommand(CLI::App& app) {
  auto o = std::make_shared<MigrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "migrate", "Apply the store's pending schema migrations (or list them: --dry-run, --check)");
  cmd->add_option("--data-dir", o->data_dir, "Folder of the installation (for its SQLite file)")
      ->capture_default_str();
  cmd->add_option("--store", o->store_url,
                  "The database: sqlite:PATH or postgresql://user@host:port/db (default: "
                  "$PLUMBLINE_STORE, else plumbline.db in the data dir)");
  auto* dry = cmd->add_flag("--dry-run", o->dry_run, "List the pending migrations; change nothing");
  auto* check = cmd->add_flag("--check", o->check, "List the pending migrations; exit 1 when there are any")
                    ->excludes(dry);
  cmd->add_option("--from", o->from_url,
                  "Copy this SQLite store (sqlite:PATH) into the --store PostgreSQL database, which "
                  "must be empty")
      ->excludes(dry)
      ->excludes(check);
  cmd->callback([o] {
    auto r = RunMigrate(*o, std::cout);
    if (!r) {
      std::cerr << "plumbline migrate: " << r.error().message << "\n";
      throw CLI::RuntimeError(1);
    }
    if (*r != 0) throw CLI::RuntimeError(*r);
  });
}

}  // namespace plumbline::cli
