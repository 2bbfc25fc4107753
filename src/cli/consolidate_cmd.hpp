// `plumbline consolidate`: offline consolidation of an answers CSV.
//
//   plumbline consolidate --algorithm majority|dawid-skene|one-coin|dawid-skene-vb
//                         --input answers.csv [--output out.csv] [--precision 2]
//                         [--threads 1] [--timings]
//
// Input: header `task,worker,label`, one answer per record, ids are
// arbitrary strings (RFC 4180: a quoted field may hold commas, "" for a
// quote, and line breaks). Output: header
// `task,label,confidence`, one line per task in first-appearance order.
// --timings prints each phase's wall and CPU time (start-up, read, parse,
// consolidate with its iteration count, format, write) to stderr.
// The parsing and formatting are plain functions so that they can be tested
// without the CLI (tests/consolidation/consolidate_csv_test.cpp); the
// command itself is a thin wrapper that reads and writes files.
//
// Thread safety: the functions are reentrant.
#pragma once

#include <deque>
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
// starts with "line N:" (the line on which the record starts) for a missing
// or wrong header, a record without exactly three fields, an empty field
// (named), an unterminated quote or a character after a closing quote.
// Cost: one pass over `text`; the table copies only the distinct ids.
// With threads >= 2, inputs over 4 MiB are scanned in pieces by two threads;
// the table is the same (tests/cli/consolidate_csv_test.cpp).
Result<AnswerTable> ParseAnswersCsv(std::string_view text, int threads = 1);

// ParseAnswersCsv without copying the ids: the task and worker ids are views
// into `text` (or into `unescaped`, for quoted ids with ""), so the table is
// valid while `text` is. For the command, which keeps its input mapped to the
// end (200k task ids are not copied twice).
struct AnswerViews {
  std::vector<std::string_view> tasks;
  std::vector<std::string_view> workers;
  std::vector<std::string> labels;  // sorted by byte value, as AnswerTable::labels
  std::vector<consolidation::Answer> answers;
  std::deque<std::string> unescaped;  // elements never move: the views stay valid

  consolidation::Problem problem() const;
};
Result<AnswerViews> ParseAnswersCsvViews(std::string_view text, int threads = 1);

// Formats `result` (computed on table.problem()) as `task,label,confidence`
// lines with `precision` decimals (0..17), after the header. Tasks without
// answers cannot occur in a parsed table and are skipped.
std::string FormatLabelsCsv(const AnswerTable& table,
                            const consolidation::Consolidation& result, int precision = 2);

// Parse, consolidate with `algorithm` on `threads` EM threads (the result
// does not depend on it), format. Fails like ParseAnswersCsv.
Result<std::string> ConsolidateCsv(std::string_view input, consolidation::Algorithm algorithm,
                                   int precision = 2, int threads = 1);

// Registers the `consolidate` subcommand on `app`. On failure the command
// prints "plumbline consolidate: <message>" to stderr and throws
// CLI::RuntimeError(1), which CLI::App::exit turns into exit code 1.
void AddConsolidateCommand(CLI::App& app);

}  // namespace plumbline::cli
