// `plumbline consolidate`: CSV in, consolidation::Consolidate, CSV out.
// The whole input is read into memory: the answers of one job (even
// AdultContent2's 92k rows, 3.5 MB) are small next to what EM allocates.
#include "cli/consolidate_cmd.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>

namespace plumbline::cli {
namespace {

// Splits one CSV line (no line break inside) into fields, RFC 4180 style:
// a field may be quoted, and "" inside quotes is a literal quote.
Result<std::vector<std::string>> SplitCsvLine(std::string_view line, size_t line_number) {
  std::vector<std::string> fields;
  std::string field;
  size_t pos = 0;
  while (true) {
    field.clear();
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < line.size()) {
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            field += '"';
            pos += 2;
            continue;
          }
          closed = true;
          ++pos;
          break;
        }
        field += line[pos++];
      }
      if (!closed) return InvalidArgument(fmt::format("line {}: unterminated quote", line_number));
      if (pos < line.size() && line[pos] != ',') {
        return InvalidArgument(
            fmt::format("line {}: unexpected character after a quoted field", line_number));
      }
    } else {
      const size_t comma = line.find(',', pos);
      const size_t end = comma == std::string_view::npos ? line.size() : comma;
      field.assign(line.substr(pos, end - pos));
      pos = end;
    }
    fields.push_back(field);
    if (pos >= line.size()) break;
    ++pos;  // the comma
  }
  return fields;
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// Interns strings to dense indexes in first-appearance order.
class Interner {
 public:
  int32_t Get(const std::string& s, std::vector<std::string>& names) {
    auto [it, inserted] = ids_.try_emplace(s, static_cast<int32_t>(names.size()));
    if (inserted) names.push_back(s);
    return it->second;
  }

 private:
  std::unordered_map<std::string, int32_t> ids_;
};

Result<std::string> ReadFile(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(fmt::format("cannot open input file '{}'", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Unavailable(fmt::format("cannot read input file '{}'", path));
  return buffer.str();
}

}  // namespace

consolidation::Problem AnswerTable::problem() const {
  return consolidation::Problem{static_cast<int32_t>(tasks.size()),
                                static_cast<int32_t>(workers.size()),
                                static_cast<int32_t>(std::max<size_t>(labels.size(), 1)),
                                answers};
}

Result<AnswerTable> ParseAnswersCsv(std::string_view text) {
  // Spreadsheet exports often start with a UTF-8 byte order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  AnswerTable table;
  Interner task_ids;
  Interner worker_ids;
  // Labels get their final (sorted) indexes after the scan.
  std::map<std::string, int32_t> label_ids;
  std::vector<std::string> raw_labels;
  Interner raw_label_ids;

  size_t line_number = 0;
  bool header_seen = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    PLB_ASSIGN_OR_RETURN(std::vector<std::string> fields, SplitCsvLine(line, line_number));
    if (!header_seen) {
      if (fields != std::vector<std::string>{"task", "worker", "label"}) {
        return InvalidArgument(fmt::format(
            "line {}: expected the header 'task,worker,label', got '{}'", line_number, line));
      }
      header_seen = true;
      continue;
    }
    if (fields.size() != 3) {
      return InvalidArgument(fmt::format(
          "line {}: expected 3 fields (task,worker,label), got {}", line_number, fields.size()));
    }
    static constexpr const char* kNames[] = {"task", "worker", "label"};
    for (int f = 0; f < 3; ++f) {
      if (fields[f].empty()) {
        return InvalidArgument(fmt::format("line {}: empty {}", line_number, kNames[f]));
      }
    }
    consolidation::Answer answer;
    answer.task = task_ids.Get(fields[0], table.tasks);
    answer.worker = worker_ids.Get(fields[1], table.workers);
    answer.label = raw_label_ids.Get(fields[2], raw_labels);
    table.answers.push_back(answer);
  }
  if (!header_seen) {
    return InvalidArgument("line 1: missing the header 'task,worker,label'");
  }
  // Remap first-appearance label indexes to sorted ones, so that the lowest
  // index tie-break picks the same class whatever the row order.
  for (const std::string& l : raw_labels) label_ids.emplace(l, 0);
  int32_t next = 0;
  for (auto& [name, id] : label_ids) {
    id = next++;
    table.labels.push_back(name);
  }
  std::vector<int32_t> remap(raw_labels.size());
  for (size_t i = 0; i < raw_labels.size(); ++i) remap[i] = label_ids[raw_labels[i]];
  for (consolidation::Answer& a : table.answers) a.label = remap[a.label];
  return table;
}

std::string FormatLabelsCsv(const AnswerTable& table, const consolidation::Consolidation& result,
                            int precision) {
  precision = std::clamp(precision, 0, 17);
  std::string out = "task,label,confidence\n";
  for (size_t i = 0; i < table.tasks.size() && i < result.tasks.size(); ++i) {
    const consolidation::TaskLabel& label = result.tasks[i];
    if (label.label < 0) continue;  // no answers: cannot come from a parsed table
    out += CsvField(table.tasks[i]);
    out += ',';
    out += CsvField(table.labels[label.label]);
    out += fmt::format(",{:.{}f}\n", label.confidence, precision);
  }
  return out;
}

Result<std::string> ConsolidateCsv(std::string_view input, consolidation::Algorithm algorithm,
                                   int precision) {
  PLB_ASSIGN_OR_RETURN(AnswerTable table, ParseAnswersCsv(input));
  consolidation::Options options;
  options.algorithm = algorithm;
  const consolidation::Consolidation result = consolidation::Consolidate(table.problem(), options);
  return FormatLabelsCsv(table, result, precision);
}

void AddConsolidateCommand(CLI::App& app) {
  struct Flags {
    std::string algorithm = "dawid-skene";
    std::string input;
    std::string output;
    int precision = 2;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "consolidate", "Consolidate worker answers (CSV task,worker,label) into one label per task");
  cmd->add_option("--algorithm", flags->algorithm, "majority, dawid-skene, one-coin (spec 7.1) "
                  "or dawid-skene-vb")
      ->check(CLI::IsMember({"majority", "dawid-skene", "one-coin", "dawid-skene-vb"}))
      ->capture_default_str();
  cmd->add_option("--input", flags->input, "Answers CSV with header task,worker,label ('-' = stdin)")
      ->required();
  cmd->add_option("--output", flags->output, "Output CSV task,label,confidence (default: stdout)");
  cmd->add_option("--precision", flags->precision, "Decimals of the confidence")
      ->check(CLI::Range(0, 17))
      ->capture_default_str();
  // CLI11 runs the callback after parsing; errors are printed here and
  // reported as CLI::RuntimeError so that App::exit only sets the exit code.
  cmd->callback([flags] {
    auto fail = [](const std::string& message) {
      std::cerr << "plumbline consolidate: " << message << "\n";
      throw CLI::RuntimeError(1);
    };
    const std::optional<consolidation::Algorithm> algorithm =
        consolidation::ParseAlgorithm(flags->algorithm);
    if (!algorithm) fail("unknown algorithm '" + flags->algorithm + "'");
    Result<std::string> input = ReadFile(flags->input);
    if (!input) fail(input.error().message);
    Result<std::string> output = ConsolidateCsv(*input, *algorithm, flags->precision);
    if (!output) fail(flags->input + ": " + output.error().message);
    if (flags->output.empty()) {
      std::cout << *output;
      std::cout.flush();
      if (!std::cout) fail("cannot write to stdout");
      return;
    }
    std::ofstream out(flags->output, std::ios::binary | std::ios::trunc);
    out << *output;
    out.close();
    if (!out) fail("cannot write output file '" + flags->output + "'");
  });
}

}  // namespace plumbline::cli
