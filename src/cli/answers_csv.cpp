// Reading the answers CSV of `plumbline consolidate` (ParseAnswersCsv).
//
// The command is meant to cost little more than its EM (bench/consolidation
// times both against NumPy), so reading avoids per-field allocations: a
// scanner walks the input looking for commas and line ends 64 bytes at a
// time, fields are string_views into the input (only a quoted field with ""
// escapes is copied), and ids are interned in open-addressing tables keyed by
// those views. Large inputs are scanned in pieces by two threads at once.
#include "cli/consolidate_cmd.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <deque>
#include <numeric>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cli/answers_interner.hpp"

namespace plumbline::cli {
namespace {

using namespace answers_csv_detail;  // the interner (answers_interner.hpp)

constexpr std::string_view kHeader[] = {"task", "worker", "label"};

// ---------------------------------------------------------------------------
// RFC 4180 scanning. A record ends at LF or CRLF outside quotes; a quoted
// field may hold commas, line breaks and "" (a literal quote). A lone CR or a
// quote inside an unquoted field is kept as data, as the former line-based
// parser did.

// Bit i of the result is set where p[i] is ',' or '\n', for the 64 bytes
// at p (the caller guarantees they are readable).
inline uint64_t DelimiterMask64(const char* p) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, newline));
    mask |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(hit))} << (16 * i);
  }
  return mask;
#else
  // Exact zero-byte test per 8-byte word (no borrow between bytes).
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  auto zero_bytes = [](uint64_t x) { return ~(((x & kLow7) + kLow7) | x | kLow7); };
  uint64_t mask = 0;
  for (int i = 0; i < 8; ++i) {
    const uint64_t w = Load64(p + 8 * i);
    const uint64_t hits = zero_bytes(w ^ (kOnes * ',')) | zero_bytes(w ^ (kOnes * '\n'));
    // One bit per byte: gather bit 7 of each byte into the top byte.
    mask |= (((hits >> 7) * 0x0102040810204080ull) >> 56) << (8 * i);
  }
  return mask;
#endif
}

// Finds the next ',' or '\n' through a 64-byte window of delimiter bits, so
// that most fields cost a shift and a count of trailing zeros.
class DelimiterFinder {
 public:
  DelimiterFinder(const char* begin, const char* end) : end_(end) { Fill(begin); }

  // The first ',' or '\n' at or after `p`, or the end. `p` never moves back.
  const char* Next(const char* p) {
    while (true) {
      const ptrdiff_t offset = p - base_;
      if (offset < 64) {
        const uint64_t m = mask_ & (~uint64_t{0} << offset);
        if (m != 0) return base_ + std::countr_zero(m);
        if (end_ - base_ <= 64) return end_;
        p = base_ + 64;
      }
      if (p >= end_) return end_;
      Fill(p);
    }
  }

 private:
  void Fill(const char* p) {
    base_ = p;
    if (end_ - p >= 64) {
      mask_ = DelimiterMask64(p);
      return;
    }
    mask_ = 0;  // the tail: bits past the end stay clear
    for (int i = 0; p + i < end_; ++i) {
      if (p[i] == ',' || p[i] == '\n') mask_ |= uint64_t{1} << i;
    }
  }

  const char* base_ = nullptr;  // mask_ covers [base_, base_ + 64)
  uint64_t mask_ = 0;
  const char* end_;
};

enum class Scan { kOk, kUnterminatedQuote, kJunkAfterQuote };

class CsvScanner {
 public:
  explicit CsvScanner(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()), delimiters_(p_, end_) {}

  size_t line() const { return line_; }
  // Bytes after the cursor.
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // Offset of the cursor from the start of the text.
  size_t offset(std::string_view text) const { return static_cast<size_t>(p_ - text.data()); }

  // Skips blank lines (LF or CRLF alone); returns false at the end of input.
  // Afterwards line() is the line on which the next record starts.
  bool NextRecord() {
    while (p_ < end_) {
      ++line_;
      if (*p_ == '\n') {
        ++p_;
      } else if (*p_ == '\r' && end_ - p_ >= 2 && p_[1] == '\n') {
        p_ += 2;
      } else {
        return true;
      }
    }
    return false;
  }

  // Reads one field at the cursor into `field` and consumes the delimiter
  // after it. `last` is set when the field ended its record (line end or end
  // of input). Quoted fields without "" are views into the input; with ""
  // they are unescaped into storage that lives as long as the scanner.
  Scan Field(std::string_view& field, bool& last) {
    if (p_ < end_ && *p_ == '"') return QuotedField(field, last);
    const char* start = p_;
    const char* stop = delimiters_.Next(p_);
    p_ = stop;
    const char* field_end = stop;
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      last = false;
    } else {
      if (field_end > start && field_end[-1] == '\r' && p_ < end_) --field_end;  // CRLF
      if (p_ < end_) ++p_;
      last = true;
    }
    field = std::string_view(start, static_cast<size_t>(field_end - start));
    return Scan::kOk;
  }

  // The common record, three unquoted fields on one line: reads them into
  // `fields` and consumes the record, or returns false and consumes nothing
  // (then Field() reads it, and reports any error). Saves Field()'s
  // per-field branches on the 99.9% case.
  bool PlainRecord3(std::string_view fields[3]) {
    const char* start = p_;
    if (start >= end_ || *start == '"') return false;
    const char* a = delimiters_.Next(start);
    if (a >= end_ || *a != ',' || a + 1 >= end_ || a[1] == '"') return Rewind();
    const char* b = delimiters_.Next(a + 1);
    if (b >= end_ || *b != ',' || b + 1 >= end_ || b[1] == '"') return Rewind();
    const char* c = delimiters_.Next(b + 1);
    if (c < end_ && *c != '\n') return Rewind();  // a fourth field
    const char* third_end = c;
    if (c < end_ && third_end > b + 1 && third_end[-1] == '\r') --third_end;  // CRLF
    fields[0] = std::string_view(start, static_cast<size_t>(a - start));
    fields[1] = std::string_view(a + 1, static_cast<size_t>(b - a - 1));
    fields[2] = std::string_view(b + 1, static_cast<size_t>(third_end - b - 1));
    p_ = c < end_ ? c + 1 : end_;
    return true;
  }

  // The unescaped copies of quoted fields with "" (the views point there).
  std::deque<std::string>& unescaped() { return unescaped_; }

  // Consumes the rest of the current record (after a field with last ==
  // false), counting its fields; for error messages only.
  size_t CountRest() {
    size_t count = 0;
    std::string_view ignored;
    bool last = false;
    while (!last) {
      if (Field(ignored, last) != Scan::kOk) break;
      ++count;
    }
    return count;
  }

 private:
  Scan QuotedField(std::string_view& field, bool& last) {
    const char* start = ++p_;  // after the opening quote
    std::string* unescaped = nullptr;
    const char* piece = start;
    while (true) {
      const void* q = std::memchr(p_, '"', static_cast<size_t>(end_ - p_));
      if (q == nullptr) return Scan::kUnterminatedQuote;
      const char* quote = static_cast<const char*>(q);
      line_ += static_cast<size_t>(std::count(p_, quote, '\n'));
      if (quote + 1 < end_ && quote[1] == '"') {  // "" is one literal quote
        if (unescaped == nullptr) unescaped = &unescaped_.emplace_back();
        unescaped->append(piece, static_cast<size_t>(quote + 1 - piece));
        p_ = piece = quote + 2;
        continue;
      }
      if (unescaped != nullptr) {
        unescaped->append(piece, static_cast<size_t>(quote - piece));
        field = *unescaped;
      } else {
        field = std::string_view(start, static_cast<size_t>(quote - start));
      }
      p_ = quote + 1;
      break;
    }
    if (p_ == end_) {
      last = true;
    } else if (*p_ == ',') {
      ++p_;
      last = false;
    } else if (*p_ == '\n') {
      ++p_;
      last = true;
    } else if (*p_ == '\r' && end_ - p_ >= 2 && p_[1] == '\n') {
      p_ += 2;
      last = true;
    } else {
      return Scan::kJunkAfterQuote;
    }
    return Scan::kOk;
  }

  // The finder never moves back: after looking ahead, start it again at p_.
  bool Rewind() {
    delimiters_ = DelimiterFinder(p_, end_);
    return false;
  }

  const char* p_;
  const char* end_;
  DelimiterFinder delimiters_;
  size_t line_ = 0;
  std::deque<std::string> unescaped_;  // stable addresses for the views
};

Error ScanError(Scan scan, size_t line) {
  return InvalidArgument(scan == Scan::kUnterminatedQuote
                             ? "line " + std::to_string(line) + ": unterminated quote"
                             : "line " + std::to_string(line) +
                                   ": unexpected character after a quoted field");
}

// Reads the header record; `text` is its line, for the message.
Status CheckHeader(CsvScanner& scanner, std::string_view text) {
  const size_t line = scanner.line();
  std::vector<std::string_view> fields;
  bool last = false;
  while (!last) {
    std::string_view field;
    const Scan scan = scanner.Field(field, last);
    if (scan != Scan::kOk) return ScanError(scan, line);
    fields.push_back(field);
  }
  if (std::equal(fields.begin(), fields.end(), std::begin(kHeader), std::end(kHeader))) {
    return {};
  }
  return InvalidArgument("line " + std::to_string(line) +
                         ": expected the header 'task,worker,label', got '" +
                         std::string(text) + "'");
}

// The header line's text (without its line end) for the error message.
std::string_view LineAt(std::string_view text, size_t offset) {
  size_t end = text.find('\n', offset);
  if (end == std::string_view::npos) end = text.size();
  std::string_view line = text.substr(offset, end - offset);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// What a scan of the data records leaves for FinishTable. answer.task is the
// index of the answer's run of equal task ids until the runs are interned.
struct ScannedAnswers {
  std::vector<std::string_view> runs;
  // Whether each run's task id sorts after the previous one's (checked when
  // the run starts, while both ids are in cache): then the runs are distinct.
  bool increasing = true;
  Interner workers;
  Interner labels;  // first-appearance order; sorted in FinishTable
};

// Every data record after the header, with the exact errors (line numbers).
Status ScanAll(CsvScanner& scanner, AnswerViews& table, ScannedAnswers& out) {
  std::vector<std::string_view>& runs = out.runs;
  table.answers.reserve(scanner.remaining() / 24);
  static constexpr const char* kNames[] = {"task", "worker", "label"};

  while (scanner.NextRecord()) {
    const size_t line = scanner.line();
    std::string_view fields[3];
    if (!scanner.PlainRecord3(fields)) {
      size_t count = 0;
      bool last = false;
      while (!last && count < 3) {
        const Scan scan = scanner.Field(fields[count], last);
        if (scan != Scan::kOk) return ScanError(scan, line);
        ++count;
      }
      if (!last) count += scanner.CountRest();
      if (count != 3) {
        return InvalidArgument("line " + std::to_string(line) +
                               ": expected 3 fields (task,worker,label), got " +
                               std::to_string(count));
      }
    }
    for (int f = 0; f < 3; ++f) {
      if (fields[f].empty()) {
        return InvalidArgument("line " + std::to_string(line) + ": empty " + kNames[f]);
      }
    }
    consolidation::Answer answer;
    if (runs.empty() || !SameBytes(fields[0], runs.back())) {
      if (!runs.empty()) out.increasing = out.increasing && LessBytes(runs.back(), fields[0]);
      runs.push_back(fields[0]);
    }
    answer.task = static_cast<int32_t>(runs.size() - 1);
    answer.worker = out.workers.Get(fields[1]);
    answer.label = out.labels.Get(fields[2]);
    table.answers.push_back(answer);
  }
  return {};
}

// The bits of ',', '\n' and '"' in 64 bytes at p (all readable).
struct BlockMasks {
  uint64_t comma = 0;
  uint64_t newline = 0;
  uint64_t quote = 0;
};

inline BlockMasks Masks64(const char* p) {
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"');
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    auto bits = [&](__m128i c) {
      return uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)))} << (16 * i);
    };
    m.comma |= bits(comma);
    m.newline |= bits(newline);
    m.quote |= bits(quote);
  }
#else
  for (int i = 0; i < 64; ++i) {
    m.comma |= uint64_t{p[i] == ','} << i;
    m.newline |= uint64_t{p[i] == '\n'} << i;
    m.quote |= uint64_t{p[i] == '"'} << i;
  }
#endif
  return m;
}

// The same for the last n < 64 bytes (bits past them clear).
inline BlockMasks MasksTail(const char* p, size_t n) {
  BlockMasks m;
  for (size_t i = 0; i < n; ++i) {
    m.comma |= uint64_t{p[i] == ','} << i;
    m.newline |= uint64_t{p[i] == '\n'} << i;
    m.quote |= uint64_t{p[i] == '"'} << i;
  }
  return m;
}

// Only the plain records: three non-empty fields on one line and no quote
// anywhere. Returns false at the first input that is anything else (the
// caller then scans the whole input again with ScanAll, which handles it or
// names the error); for plain input the answers are exactly ScanAll's.
// Walks the delimiter bits of each 64-byte block: a record costs three
// bit scans.
bool ScanPlain(std::string_view text, std::vector<consolidation::Answer>& answers,
               ScannedAnswers& out) {
  answers.reserve(text.size() / 24);
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  std::string_view fields[3];
  int field = 0;             // index of the field being read
  const char* start = begin;  // where it starts
  auto add = [&] {
    consolidation::Answer answer;
    if (out.runs.empty() || !SameBytes(fields[0], out.runs.back())) {
      if (!out.runs.empty()) {
        out.increasing = out.increasing && LessBytes(out.runs.back(), fields[0]);
      }
      out.runs.push_back(fields[0]);
    }
    answer.task = static_cast<int32_t>(out.runs.size() - 1);
    answer.worker = out.workers.Get(fields[1]);
    answer.label = out.labels.Get(fields[2]);
    answers.push_back(answer);
  };
  for (const char* base = begin; base < end; base += 64) {
    const BlockMasks m = end - base >= 64 ? Masks64(base) : MasksTail(base, end - base);
    if (m.quote != 0) return false;
    for (uint64_t delimiters = m.comma | m.newline; delimiters != 0;
         delimiters &= delimiters - 1) {
      const int bit = std::countr_zero(delimiters);
      const char* at = base + bit;
      if (((m.newline >> bit) & 1) == 0) {  // a comma
        if (field == 2 || at == start) return false;  // a fourth field, or an empty one
        fields[field++] = std::string_view(start, static_cast<size_t>(at - start));
      } else if (field == 2) {
        const char* stop = at > start && at[-1] == '\r' ? at - 1 : at;  // CRLF
        if (stop == start) return false;
        fields[2] = std::string_view(start, static_cast<size_t>(stop - start));
        add();
        field = 0;
      } else if (field != 0 || (at != start && !(at == start + 1 && *start == '\r'))) {
        return false;  // fewer than three fields; a blank line (LF or CRLF) is skipped
      }
      start = at + 1;
    }
  }
  if (field == 2 && end > start) {  // the last record has no line end
    fields[2] = std::string_view(start, static_cast<size_t>(end - start));
    add();
    return true;
  }
  return field == 0 && start == end;
}

// Inputs below this size are scanned on one thread.
constexpr size_t kParallelScanMin = size_t{4} << 20;

// Maps the pages of `text` (a mapped file: the command maps it without
// reading it) before it is scanned: one call instead of a page fault every
// few pages. The scan's threads each do it for the piece they take, so the
// file is read in on both cores. Harmless where the pages are present (text
// read into memory) or where the kernel lacks MADV_POPULATE_READ.
void PopulateForReading(std::string_view text) {
#ifdef MADV_POPULATE_READ
  if (text.empty()) return;
  const uintptr_t page = 4096;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(text.data()) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(text.data()) + text.size();
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)text;
#endif
}

// One piece of the input for the two-thread scan: its text, and what
// ScanPlain made of it.
struct ScanPiece {
  std::string_view text;
  std::vector<consolidation::Answer> answers;
  ScannedAnswers scanned;
  bool ok = false;
};

// Cuts `body` at line ends into pieces of about these shares of it: two large
// ones that the two threads start with, then small ones that whichever thread
// is free takes next, so that a thread that runs slower (a busy core, page
// faults) holds up the other by at most a small piece.
std::vector<ScanPiece> CutPieces(std::string_view body) {
  constexpr int kShares[] = {40, 40, 5, 5, 5, 5};  // percent
  std::vector<ScanPiece> pieces;
  size_t at = 0;
  int share_sum = 0;
  for (int share : kShares) {
    share_sum += share;
    size_t cut = body.size();
    if (share_sum < 100) {
      cut = body.find('\n', std::max(at, body.size() / 100 * share_sum));
      cut = cut == std::string_view::npos ? body.size() : cut + 1;
    }
    if (cut > at) {
      pieces.emplace_back();
      pieces.back().text = body.substr(at, cut - at);
    }
    at = cut;
  }
  return pieces;
}

// Scans the pieces of `body` on two threads (this one and a new one), each
// taking the next piece as it comes free, then joins them into what one scan
// would have produced: the first piece's tables are the table's, each later
// piece's workers and labels are added to them in their first-appearance
// order and its answers renumbered. False if any piece holds a record that
// is not plain (a quoted field may span a cut; errors need the line numbers
// of one scan).
bool ScanInPieces(std::string_view body, AnswerViews& table, ScannedAnswers& out) {
  std::vector<ScanPiece> pieces = CutPieces(body);
  if (pieces.size() < 2) return false;
  // Every array is reserved here: memory first allocated on the helper
  // thread would come from another malloc arena, outside the huge page heap
  // (4 KiB page faults). The first piece scans straight into the table,
  // whose array takes every piece's answers without moving.
  table.answers.reserve(body.size() / 24 + 16);
  out.runs.reserve(body.size() / 96);
  for (size_t i = 1; i < pieces.size(); ++i) {
    pieces[i].answers.reserve(pieces[i].text.size() / 24 + 16);
    pieces[i].scanned.runs.reserve(pieces[i].text.size() / 96);
  }
  std::atomic<size_t> next{0};
  auto scan = [&] {
    for (size_t i = next.fetch_add(1); i < pieces.size(); i = next.fetch_add(1)) {
      ScanPiece& piece = pieces[i];
      PopulateForReading(piece.text);
      piece.ok = i == 0 ? ScanPlain(piece.text, table.answers, out)
                        : ScanPlain(piece.text, piece.answers, piece.scanned);
    }
  };
  std::thread helper(scan);
  scan();
  helper.join();
  for (const ScanPiece& piece : pieces) {
    if (!piece.ok) return false;
  }

  // Each later piece's runs, workers and labels in the table's numbering
  // (a handful of names: done here), then its answers renumbered into place,
  // the pieces shared out to the two threads.
  struct Renumber {
    int32_t run_base = 0;
    size_t answer_base = 0;
    std::vector<int32_t> worker_of;
    std::vector<int32_t> label_of;
  };
  std::vector<Renumber> renumber(pieces.size());
  size_t total = table.answers.size();
  for (size_t i = 1; i < pieces.size(); ++i) {
    ScannedAnswers& scanned = pieces[i].scanned;
    // A cut inside a task's rows: the piece's first run continues the
    // table's last one, as in one scan (the runs then stay distinct and in
    // order, and the tasks need no hash table).
    const bool continues = !out.runs.empty() && !scanned.runs.empty() &&
                           SameBytes(out.runs.back(), scanned.runs.front());
    out.increasing = out.increasing && scanned.increasing &&
                     (out.runs.empty() || scanned.runs.empty() || continues ||
                      LessBytes(out.runs.back(), scanned.runs.front()));
    Renumber& r = renumber[i];
    r.run_base = static_cast<int32_t>(out.runs.size()) - (continues ? 1 : 0);
    out.runs.insert(out.runs.end(), scanned.runs.begin() + (continues ? 1 : 0),
                    scanned.runs.end());
    r.worker_of.resize(scanned.workers.names().size());
    for (size_t w = 0; w < r.worker_of.size(); ++w) {
      r.worker_of[w] = out.workers.Get(scanned.workers.names()[w]);
    }
    r.label_of.resize(scanned.labels.names().size());
    for (size_t l = 0; l < r.label_of.size(); ++l) {
      r.label_of[l] = out.labels.Get(scanned.labels.names()[l]);
    }
    r.answer_base = total;
    total += pieces[i].answers.size();
  }
  table.answers.resize(total);
  auto place = [&](size_t i) {
    const Renumber& r = renumber[i];
    const std::vector<consolidation::Answer>& from = pieces[i].answers;
    consolidation::Answer* to = table.answers.data() + r.answer_base;
    for (size_t n = 0; n < from.size(); ++n) {
      const consolidation::Answer& a = from[n];
      to[n] = consolidation::Answer{a.task + r.run_base, r.worker_of[a.worker],
                                    r.label_of[a.label]};
    }
  };
  // The second piece (the largest) on a helper, the rest here.
  std::thread placer([&] { place(1); });
  for (size_t i = 2; i < pieces.size(); ++i) place(i);
  placer.join();
  return true;
}

// Interns the runs' task ids and fills the table's names; class indexes
// follow the sorted label names, so that the lowest-index tie-break picks
// the same class whatever the row order.
void FinishTable(ScannedAnswers& scanned, AnswerViews& table) {
  std::vector<std::string_view>& runs = scanned.runs;
  // Exports are often sorted by task id: runs in strictly increasing order
  // are distinct, so they are the tasks in first-appearance order as they
  // stand (a compare per run, made by the scan, instead of a hash table of
  // 200k names).
  if (scanned.increasing) {
    table.tasks = std::move(runs);
  } else {
    Interner tasks(runs.size(), /*packed=*/false);
    const std::vector<int32_t> run_task = InternRuns(runs, tasks);
    if (tasks.names().size() != runs.size()) {  // some task came back after another
      for (consolidation::Answer& a : table.answers) a.task = run_task[a.task];
    }
    table.tasks = tasks.TakeNames();
  }
  table.workers = scanned.workers.TakeNames();
  const std::vector<std::string_view> raw = scanned.labels.TakeNames();
  std::vector<int32_t> order(raw.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return raw[a] < raw[b]; });
  std::vector<int32_t> remap(raw.size());
  bool identity = true;
  for (size_t i = 0; i < order.size(); ++i) {
    table.labels.emplace_back(raw[order[i]]);
    remap[order[i]] = static_cast<int32_t>(i);
    identity = identity && order[i] == static_cast<int32_t>(i);
  }
  if (!identity) {
    for (consolidation::Answer& a : table.answers) a.label = remap[a.label];
  }
}

}  // namespace

consolidation::Problem AnswerTable::problem() const {
  return consolidation::Problem{static_cast<int32_t>(tasks.size()),
                                static_cast<int32_t>(workers.size()),
                                static_cast<int32_t>(std::max<size_t>(labels.size(), 1)),
                                answers};
}

consolidation::Problem AnswerViews::problem() const {
  return consolidation::Problem{static_cast<int32_t>(tasks.size()),
                                static_cast<int32_t>(workers.size()),
                                static_cast<int32_t>(std::max<size_t>(labels.size(), 1)),
                                answers};
}

Result<AnswerViews> ParseAnswersCsvViews(std::string_view text, int threads) {
  // Spreadsheet exports often start with a UTF-8 byte order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvScanner scanner(text);
  if (!scanner.NextRecord()) {
    return InvalidArgument("line 1: missing the header 'task,worker,label'");
  }
  PLB_TRY(CheckHeader(scanner, LineAt(text, scanner.offset(text))));

  const std::string_view body = text.substr(scanner.offset(text));
  AnswerViews table;
  ScannedAnswers scanned;
  const bool pieces = threads >= 2 && body.size() >= kParallelScanMin;
  if (!pieces) PopulateForReading(body);
  if (!pieces || !ScanInPieces(body, table, scanned)) {
    table.answers.clear();
    scanned = ScannedAnswers();
    PLB_TRY(ScanAll(scanner, table, scanned));
    table.unescaped = std::move(scanner.unescaped());
  }
  FinishTable(scanned, table);
  return table;
}

Result<AnswerTable> ParseAnswersCsv(std::string_view text, int threads) {
  PLB_ASSIGN_OR_RETURN(AnswerViews views, ParseAnswersCsvViews(text, threads));
  AnswerTable table;
  table.tasks.assign(views.tasks.begin(), views.tasks.end());
  table.workers.assign(views.workers.begin(), views.workers.end());
  table.labels = std::move(views.labels);
  table.answers = std::move(views.answers);
  return table;
}

}  // namespace plumbline::cli
