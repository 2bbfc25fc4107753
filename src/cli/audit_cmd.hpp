// The audit log from the command line (issue #6): `plumbline audit` reads it,
// and AuditCli() is how admin commands (users, kms) append to it.
#pragma once

#include <string>

#include <optional>

#include "identity/identity.hpp"

namespace CLI {
class App;
}

namespace plumbline::cli {

// Adds `plumbline audit --data-dir DIR [--since ISO] [--limit N] [--json]`.
void AddAuditCommand(CLI::App& app);

// Appends an entry for an admin command run from this machine: the actor is
// "cli:<OS user>", the source "cli". A failure to append is reported on
// stderr and does not fail the command.
void AuditCli(identity::Identity& identity, const std::string& action, const std::string& target,
              const std::string& outcome, const std::string& detail = "");

// "2025-01-02T03:04:05Z" (or with .mmm, or a bare date) to epoch ms; nullopt when malformed.
std::optional<int64_t> ParseIsoToMs(const std::string& iso);

}  // namespace plumbline::cli
