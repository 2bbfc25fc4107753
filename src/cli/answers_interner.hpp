// Interning for the answers CSV reader (answers_csv.cpp): ids to dense
// indices in first-appearance order, in open-addressing tables keyed by
// string_views into the input. Private to src/cli; one includer.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace plumbline::cli::answers_csv_detail {

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

inline uint32_t Load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// Ids of up to 16 bytes (nearly all: "worker-0765", "object-000123",
// "dog") are packed into two words with overlapping loads inside
// [data, data + size) (never past the end: the views point into a mapped
// file). With the size, the two words identify the id, so the interner
// compares keys it keeps beside its names instead of reading the names back
// from the input.
struct ShortKey {
  uint64_t w0 = 0;
  uint64_t w1 = 0;
  uint64_t size = 0;
  bool operator==(const ShortKey&) const = default;
};
constexpr size_t kShortKeyMax = 16;

[[gnu::always_inline]] inline ShortKey PackShort(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  ShortKey k;
  k.size = n;
  if (n >= 8) {
    k.w0 = Load64(p);
    k.w1 = Load64(p + n - 8);
  } else if (n >= 4) {
    k.w0 = (uint64_t{Load32(p)} << 32) | Load32(p + n - 4);
  } else if (n > 0) {
    k.w0 = (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
           (uint64_t{static_cast<uint8_t>(p[n / 2])} << 8) | static_cast<uint8_t>(p[n - 1]);
  }
  return k;
}

inline uint64_t FinishHash(uint64_t h) {
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  return h ^ (h >> 32);
}

constexpr uint64_t kHashMul = 0x9E3779B97F4A7C15ull;

// The hash of a short string from its packed key (HashBytes for short ones).
inline uint64_t HashPacked(const ShortKey& k) {
  uint64_t h = (k.size + 1) * kHashMul;
  h = std::rotl((h ^ k.w0) * kHashMul, 29);
  if (k.size >= 8) h = std::rotl((h ^ k.w1) * kHashMul, 29);
  return FinishHash(h);
}

// A multiply-rotate hash: of the packed key for short strings, else over
// 8-byte words, the last one overlapping, with the size mixed in.
inline uint64_t HashBytes(std::string_view s) {
  constexpr uint64_t kMul = kHashMul;
  const size_t n = s.size();
  if (n <= kShortKeyMax) return HashPacked(PackShort(s));
  uint64_t h = (n + 1) * kMul;
  auto mix = [&](uint64_t w) { h = std::rotl((h ^ w) * kMul, 29); };
  const char* p = s.data();
  size_t i = 0;
  for (; i + 8 < n; i += 8) mix(Load64(p + i));
  mix(Load64(p + n - 8));
  return FinishHash(h);
}

// a == b, inline for the short ids that dominate (no call to memcmp).
inline bool SameBytes(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8 && n <= 16) {
    return ((Load64(p) ^ Load64(q)) | (Load64(p + n - 8) ^ Load64(q + n - 8))) == 0;
  }
  if (n >= 4 && n < 8) {
    return ((Load32(p) ^ Load32(q)) | (Load32(p + n - 4) ^ Load32(q + n - 4))) == 0;
  }
  return std::memcmp(p, q, n) == 0;
}

// The 8 bytes at p as a big-endian number: their byte order.
inline uint64_t LoadBigEndian64(const char* p) {
  const uint64_t w = Load64(p);
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(w);
  return w;
}

// a < b (byte order, as std::string_view's), inline for ids of 8 to 16
// bytes: two big-endian words instead of a call to memcmp.
inline bool LessBytes(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  if (n >= 8 && n <= 16) {
    uint64_t x = LoadBigEndian64(a.data());
    uint64_t y = LoadBigEndian64(b.data());
    if (x != y) return x < y;
    // The word ending at n overlaps the first, equal, one: its first
    // difference is the strings' first difference past byte 8.
    x = LoadBigEndian64(a.data() + n - 8);
    y = LoadBigEndian64(b.data() + n - 8);
    if (x != y) return x < y;
    return a.size() < b.size();
  }
  return a < b;
}

// Open addressing with linear probing over (hash tag, index) slots; the keys
// are views that the caller keeps alive (the input, or the unescaped copies).
class Interner {
 public:
  // Room for `expected` names before the first rehash. `packed`: keep the
  // packed keys of short names for comparisons (worth it for names looked up
  // many times; the task ids of runs are looked up about once each, and
  // compared in place). A packed table is kept at most a quarter full (a
  // lookup then rarely probes a second slot), the others at most half.
  explicit Interner(size_t expected = 32, bool packed = true)
      : packed_(packed), slots_(std::bit_ceil(std::max<size_t>(2 * expected, 64))) {
    names_.reserve(expected);
    if (packed_) keys_.reserve(expected);
  }

  // Inlined: the scan calls it twice a row.
  [[gnu::always_inline]] int32_t Get(std::string_view s) {
    if (packed_ && s.size() <= kShortKeyMax) {
      // The key is packed once, for the hash and the comparisons.
      const ShortKey key = PackShort(s);
      if (names_.size() <= kFewNames) {
        // A handful of names (the labels): comparing the keys one by one is
        // cheaper than hashing.
        for (size_t n = 0; n < keys_.size(); ++n) {
          if (keys_[n] == key) return static_cast<int32_t>(n);
        }
      }
      return Find(s, key, true, HashPacked(key));
    }
    return Get(s, HashBytes(s));
  }

  // `hash` is HashBytes(s).
  int32_t Get(std::string_view s, uint64_t hash) {
    const bool short_key = packed_ && s.size() <= kShortKeyMax;
    return Find(s, short_key ? PackShort(s) : ShortKey{0, 0, s.size()}, short_key, hash);
  }

  // Hints that Get(_, hash) comes soon: its first slot is probably not in
  // cache when there are many names.
  void Prefetch(uint64_t hash) const {
    __builtin_prefetch(&slots_[static_cast<uint32_t>(hash) & (slots_.size() - 1)]);
  }

  const std::vector<std::string_view>& names() const { return names_; }
  // The names, leaving the interner unusable.
  std::vector<std::string_view> TakeNames() { return std::move(names_); }

 private:
  static constexpr size_t kFewNames = 8;

  struct Slot {
    uint32_t tag = 0;
    int32_t index = -1;
  };

  // `key` is s packed when `short_key` (compared instead of the bytes).
  [[gnu::always_inline]] int32_t Find(std::string_view s, const ShortKey& key, bool short_key,
                                      uint64_t hash) {
    const uint32_t tag = static_cast<uint32_t>(hash);
    size_t mask = slots_.size() - 1;
    for (size_t i = tag & mask;; i = (i + 1) & mask) {
      const Slot slot = slots_[i];
      if (slot.index < 0) break;
      if (slot.tag != tag) continue;
      if (short_key ? keys_[slot.index] == key : SameBytes(names_[slot.index], s)) {
        return slot.index;
      }
    }
    const int32_t index = static_cast<int32_t>(names_.size());
    names_.push_back(s);
    if (packed_) keys_.push_back(key);
    if (names_.size() * (packed_ ? 4 : 2) > slots_.size()) Grow();
    mask = slots_.size() - 1;
    size_t i = tag & mask;
    while (slots_[i].index >= 0) i = (i + 1) & mask;
    slots_[i] = Slot{tag, index};
    return index;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    const size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.index < 0) continue;
      size_t i = slot.tag & mask;
      while (slots_[i].index >= 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  bool packed_;
  std::vector<Slot> slots_;
  std::vector<std::string_view> names_;
  std::vector<ShortKey> keys_;  // beside names_; {0, 0, size} for long names
};

// Interns the task of each run of rows (consecutive rows with one task id)
// into `tasks`; returns the task index of each run. Exports are usually
// grouped by task, so there are few runs and the table can be sized once;
// the hashes are computed ahead so that each slot is prefetched.
inline std::vector<int32_t> InternRuns(const std::vector<std::string_view>& runs, Interner& tasks) {
  std::vector<uint64_t> hashes(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) hashes[r] = HashBytes(runs[r]);
  constexpr size_t kAhead = 16;
  std::vector<int32_t> run_task(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    if (r + kAhead < runs.size()) tasks.Prefetch(hashes[r + kAhead]);
    run_task[r] = tasks.Get(runs[r], hashes[r]);
  }
  return run_task;
}

}  // namespace plumbline::cli::answers_csv_detail
