// `plumbline migrate`: the store's schema migrations, listed, checked or
// applied apart from `serve`.
//
//   plumbline migrate [--data-dir DIR] [--store URL] [--dry-run | --check]
//
// Prints the database's schema version beside this program's and the
// migrations pending (version and what each brings), then applies them, each
// in its own transaction (on PostgreSQL under the advisory lock replicas
// take at start, so it is safe while they start). --dry-run only lists them
// and changes nothing (not even creating an SQLite file); --check lists them
// and exits 1 when any is pending, 0 when the database is current. A server
// started with `plumbline serve --no-migrate` refuses a database that is
// behind, so an operator applies migrations once, before rolling replicas.
// The store is chosen as for serve: --store, else $PLUMBLINE_STORE, else
// DIR/plumbline.db.
//
//   plumbline migrate --from sqlite:DIR/plumbline.db --store postgresql://...
//
// moves an installation onto PostgreSQL: it migrates the PostgreSQL database,
// then copies every row of the SQLite store (which must be at its latest
// schema) into it in one transaction, printing each table's rows as it goes.
// The target must hold no rows yet. Stop the server first (rows written
// during the copy are not in it); the data dir's other files (the key files
// that seal stored secrets, the buckets) stay where they are and the
// replicas must be given them.
#pragma once

#include <ostream>
#include <string>

#include "common/result.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace plumbline::cli {

struct MigrateOptions {
  std::string data_dir = "./plumbline-data";
  std::string store_url;  // "" : $PLUMBLINE_STORE, else the data dir's SQLite file
  bool dry_run = false;
  bool check = false;
  std::string from_url;  // copy this SQLite store into the --store (PostgreSQL)
};

// Runs the command, writing its report to `out`; returns the exit status
// (1 only for --check with migrations pending). With from_url: kConflict when
// the target already holds rows. kInvalidArgument for a
// store URL OpenStore refuses or --dry-run with --check; kUnavailable when
// the database cannot be reached, a migration fails, or the schema is newer
// than this program's.
Result<int> RunMigrate(const MigrateOptions& options, std::ostream& out);

void AddMigrateCommand(CLI::App& app);

}  // namespace plumbline::cli
