// Encryption overhead on an output manifest: writes a manifest of N lines
// (default 1,000,000 lines shaped like a text-classification output) through
// the local store plainly and through EncryptingStore, then reads both back
// (the encrypted one through DecryptingReader), and prints time and size.
//
//   envelope_bench [--lines N] [--dir DIR]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "common/ids.hpp"
#include "kms/kms.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

using namespace plumbline;
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string Line(size_t i) {
  return "{\"source\":\"The quick brown fox number " + std::to_string(i) +
         " jumps over the lazy dog\",\"label\":1,\"label-metadata\":{\"class-name\":\"animal\","
         "\"confidence\":0.84,\"type\":\"groundtruth/text-classification\",\"job-name\":"
         "\"labeling-job/seed-job\",\"human-annotated\":\"yes\",\"creation-date\":"
         "\"2026-11-24T00:00:00.000000\"}}\n";
}

double Write(storage::ObjectStore& store, const std::string& uri, size_t lines) {
  auto start = std::chrono::steady_clock::now();
  auto w = store.OpenWrite(uri).value();
  std::string batch;
  for (size_t i = 0; i < lines; ++i) {
    batch += Line(i);
    if (batch.size() > (1u << 20)) {
      w->Append(batch).value();
      batch.clear();
    }
  }
  w->Append(batch).value();
  w->Commit().value();
  return Seconds(start);
}

double ReadLines(std::unique_ptr<storage::Reader> reader, size_t expect) {
  auto start = std::chrono::steady_clock::now();
  storage::LineReader lines(std::move(reader));
  std::string_view line;
  size_t n = 0;
  while (lines.Next(&line).value()) ++n;
  if (n != expect) std::fprintf(stderr, "read %zu lines, expected %zu\n", n, expect);
  return Seconds(start);
}

}  // namespace

int main(int argc, char** argv) {
  size_t lines = 1000000;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--lines")) lines = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
  }
  bool own_dir = dir.empty();
  if (own_dir) dir = (fs::temp_directory_path() / ("plb-envelope-bench-" + RandomHex(4))).string();
  fs::create_directories(dir);
  auto db = store::OpenStore({"sqlite:" + dir + "/plumbline.db", false}).value();
  kms::KeyRingOptions ko;
  ko.data_dir = dir;
  auto ring = kms::KeyRing::Open(*db, ko).value();
  auto key = ring->CreateKey({"bench", "", {}}).value();
  auto local = storage::OpenLocal(dir);
  auto enc = kms::EncryptingStore(*local, *ring, key.key_id).value();

  const std::string plain_uri = "s3://bench/plain/output.manifest";
  const std::string enc_uri = "s3://bench/enc/output.manifest";
  double w_plain = Write(*local, plain_uri, lines);
  double w_enc = Write(*enc, enc_uri, lines);
  double r_plain = ReadLines(local->OpenRead(plain_uri).value(), lines);
  double r_enc = ReadLines(
      kms::DecryptingReader(local->OpenRead(enc_uri).value(), *ring, {true, ""}).value(), lines);
  auto plain_size = fs::file_size(dir + "/buckets/bench/plain/output.manifest");
  auto enc_size = fs::file_size(dir + "/buckets/bench/enc/output.manifest");

  std::printf("lines            %zu\n", lines);
  std::printf("size plain       %ju bytes\n", static_cast<uintmax_t>(plain_size));
  std::printf("size encrypted   %ju bytes (+%ju, +%.3f%%)\n", static_cast<uintmax_t>(enc_size),
              static_cast<uintmax_t>(enc_size - plain_size),
              100.0 * static_cast<double>(enc_size - plain_size) / static_cast<double>(plain_size));
  std::printf("write plain      %.3f s\n", w_plain);
  std::printf("write encrypted  %.3f s (+%.3f s)\n", w_enc, w_enc - w_plain);
  std::printf("read plain       %.3f s\n", r_plain);
  std::printf("read decrypted   %.3f s (+%.3f s)\n", r_enc, r_enc - r_plain);
  if (own_dir) fs::remove_all(dir);
  return 0;
}
