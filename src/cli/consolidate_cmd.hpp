// `plumbline consolidate`: offline consolidation of an answers CSV.
//
//   plumbline consolidate --algorithm majority|dawid-skene|one-coin|dawid-skene-vb
//                         --input answers.csv [--output out.csv] [--precision 2]
//
// Input: header `task,worker,label`, one answer per line, ids are arbitrary
// strings (RFC 4180 quoting allowed within a line). Output: header
// `task,label,confidence`, one line per task in first-appearance order.
// The parsing and formatting are plain functions so that they can be tested
// without the CLI (tests/consolidation/consolidate_csv_test.cpp); the
// command itself is a thin wrapper that reads and writes files.
//
// Thread safety: the functions are reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "consolidation/consolidation.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace plumbline::cli {

// An answers CSV mapped to dense ids. Owns its strings and answers.
struct AnswerTable {
  std::vector<std::string> tasks;    // task id per dense task index, first-appearance order
  std::vector<std::string> workers;  // worker id per dense worker index, first-appearance order
  // Class names per class index, sorted by byte value, so that the class
  // indexes (and the lowest-index tie-break) do not depend on the row order.
  std::vector<std::string> labels;
  std::vector<consolidation::Answer> answers;  // one per data line, input order

  // A view for consolidation::Consolidate; valid while *this is unchanged.
  consolidation::Problem problem() const;
};

// Parses an answers CSV held in memory. Accepts a UTF-8 BOM, CRLF line ends
// and blank lines (skipped). Fails with kInvalidArgument and a message that
// starts with "line N:" for a missing or wrong header, a line without
// exactly three fields, an empty field or an unterminated quote.
Result<AnswerTable> ParseAnswersCsv(std::string_view text);

// Formats `result` (computed on table.problem()) as `task,label,confidence`
// lines with `precision` decimals (0..17), after the header. Tasks without
// answers cannot occur in a parsed table and are skipped.
std::string FormatLabelsCsv(const AnswerTable& table,
                            const consolidation::Consolidation& result, int precision = 2);

// Parse, consolidate with `algorithm`, format. Fails like ParseAnswersCsv.
Result<std::string> ConsolidateCsv(std::string_view input, consolidation::Algorithm algorithm,
                                   int precision = 2);

// Registers the `consolidate` subcommand on `app`. On failure the command
// prints "plumbline consolidate: <message>" to stderr and throws
// CLI::RuntimeError(1), which CLI::App::exit turns into exit code 1.
void AddConsolidateCommand(CLI::App& app);

}  // namespace plumbline::cli
