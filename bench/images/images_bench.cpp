// Times image consolidation on the data images_bench.py generates:
//   images_bench boxes DIR [IMAGES]
//                            consolidation::ConsolidateBoxes over DIR/boxes.txt
//                            (the first IMAGES images, default all; the
//                            service's settings: two rounds of worker
//                            reliabilities); writes DIR/boxes_cpp.txt
//   images_bench masks DIR   consolidation::VoteMasks over DIR/mask_<m>.u8
//                            (DIR/masks.txt: width height classes workers);
//                            writes DIR/labels_cpp.u8 and the confidence; then
//                            the SemanticSegmentation type's whole
//                            consolidation of the same masks sent as workers'
//                            base64 PNGs: decode, vote, encode the voted PNG
// Best of PLUMBLINE_BENCH_REPEATS runs (default 3); loading is not timed.
// Prints "cpp <what> ... seconds=... cpu_seconds=..." lines.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "consolidation/consolidation.hpp"
#include "tasktypes/detail/png.hpp"
#include "tasktypes/tasktypes.hpp"

namespace {

using namespace plumbline;

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

int Repeats() {
  const char* env = std::getenv("PLUMBLINE_BENCH_REPEATS");
  return env ? std::max(1, std::atoi(env)) : 3;
}

// Best wall and CPU seconds of `repeats` runs of f.
std::pair<double, double> Time(int repeats, const std::function<void()>& f) {
  double wall = 1e30, cpu = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double c = CpuSeconds();
    f();
    cpu = std::min(cpu, CpuSeconds() - c);
    wall = std::min(wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return {wall, cpu};
}

int Boxes(const std::string& dir, int limit) {
  using namespace consolidation;
  FILE* in = std::fopen((dir + "/boxes.txt").c_str(), "r");
  if (!in) {
    std::fprintf(stderr, "cannot read %s/boxes.txt\n", dir.c_str());
    return 1;
  }
  int images = 0, workers = 0;
  if (std::fscanf(in, "%d %d", &images, &workers) != 2) return 1;
  if (limit > 0) images = std::min(images, limit);
  std::vector<BoxImage> data(static_cast<size_t>(images));
  for (int i = 0; i < images; ++i) data[static_cast<size_t>(i)].seed = static_cast<uint64_t>(i);
  int image = 0, worker = 0, n = 0;
  size_t boxes = 0;
  while (std::fscanf(in, "%d %d %d", &image, &worker, &n) == 3) {
    BoxAnswer a{worker, {}};
    for (int i = 0; i < n; ++i) {
      Box b;
      if (std::fscanf(in, "%lf %lf %lf %lf %d", &b.left, &b.top, &b.width, &b.height, &b.label) != 5) return 1;
      a.boxes.push_back(b);
    }
    if (image >= images) continue;
    boxes += a.boxes.size();
    data[static_cast<size_t>(image)].answers.push_back(std::move(a));
  }
  std::fclose(in);
  BoxResult result;
  const auto [wall, cpu] = Time(Repeats(), [&] { result = ConsolidateBoxes(data, workers); });
  FILE* out = std::fopen((dir + "/boxes_cpp.txt").c_str(), "w");
  for (const auto& im : result.images) {
    for (size_t i = 0; i < im.size(); ++i)
      std::fprintf(out, "%s%.17g %.17g %.17g %.17g %d %.17g", i ? " " : "", im[i].box.left, im[i].box.top,
                   im[i].box.width, im[i].box.height, im[i].box.label, im[i].confidence);
    std::fprintf(out, "\n");
  }
  std::fclose(out);
  std::printf("cpp boxes images=%d boxes=%zu seconds=%.4f cpu_seconds=%.4f\n", images, boxes, wall, cpu);
  return 0;
}

std::string Base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += a[(v >> (6 * k)) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

int Masks(const std::string& dir) {
  using namespace consolidation;
  int w = 0, h = 0, k = 0, n = 0;
  {
    std::ifstream meta(dir + "/masks.txt");
    if (!(meta >> w >> h >> k >> n)) {
      std::fprintf(stderr, "cannot read %s/masks.txt\n", dir.c_str());
      return 1;
    }
  }
  const size_t pixels = static_cast<size_t>(w) * static_cast<size_t>(h);
  std::vector<std::vector<uint8_t>> masks;
  for (int m = 0; m < n; ++m) {
    std::ifstream f(dir + "/mask_" + std::to_string(m) + ".u8", std::ios::binary);
    std::vector<uint8_t> mask(pixels);
    if (!f.read(reinterpret_cast<char*>(mask.data()), static_cast<std::streamsize>(pixels))) return 1;
    masks.push_back(std::move(mask));
  }
  MaskVote vote;
  vote.width = w;
  vote.height = h;
  vote.num_classes = k;
  for (const auto& m : masks) vote.masks.push_back(m.data());
  MaskResult result;
  const int repeats = Repeats();
  const auto [wall, cpu] = Time(repeats, [&] { result = VoteMasks(vote); });
  std::ofstream(dir + "/labels_cpp.u8", std::ios::binary)
      .write(reinterpret_cast<const char*>(result.labels.data()), static_cast<std::streamsize>(pixels));
  std::printf("cpp masks width=%d height=%d workers=%d confidence=%.17g seconds=%.4f cpu_seconds=%.4f\n", w, h, n,
              result.confidence, wall, cpu);

  // The service's path: each worker's mask as its indexed PNG in base64,
  // decoded, voted and the voted mask encoded, by the task type.
  static const char* kColours[] = {"#ffffff", "#2ca02c", "#d62728", "#1f77b4", "#ff7f0e", "#9467bd"};
  std::vector<std::array<uint8_t, 3>> palette;
  std::vector<std::string> labels;
  for (int c = 0; c < k; ++c) {
    palette.push_back(tasktypes::detail::ParseHexColor(kColours[c % 6]).value());
    if (c > 0) labels.push_back("class" + std::to_string(c));
  }
  std::vector<boost::json::value> answers;
  size_t png_bytes = 0;
  for (const auto& m : masks) {
    auto png = tasktypes::detail::EncodeIndexedPng(w, h, m, palette).value();
    png_bytes += png.size();
    boost::json::object mappings;
    for (int c = 1; c < k; ++c) mappings[labels[static_cast<size_t>(c - 1)]] = boost::json::object{{"color", kColours[c % 6]}};
    boost::json::object o;
    o["inputImageProperties"] = boost::json::object{{"height", h}, {"width", w}};
    o["labelMappings"] = std::move(mappings);
    o["labeledImage"] = boost::json::object{{"pngImageData", Base64(png)}};
    answers.push_back(boost::json::object{{"crowd-semantic-segmentation", std::move(o)}});
  }
  const tasktypes::TaskType* type = tasktypes::Find("SemanticSegmentation");
  tasktypes::Batch batch;
  batch.label_attribute_name = "mask-ref";
  batch.job_name = "bench";
  batch.labels = labels;
  batch.output_root = "s3://bench/out/bench";
  std::vector<std::pair<std::string, std::string>> files;
  batch.files = &files;
  std::vector<tasktypes::Answer> object;
  for (size_t m = 0; m < answers.size(); ++m) object.push_back({"w" + std::to_string(m), answers[m]});
  batch.objects.push_back({0, object});
  const auto [type_wall, type_cpu] = Time(repeats, [&] {
    files.clear();
    auto out = type->ConsolidateBatch(batch, nullptr);
    if (!out[0]) std::fprintf(stderr, "consolidation failed: %s\n", out[0].error().message.c_str()), std::exit(1);
  });
  // Its parts alone: decoding the workers' PNGs, encoding the voted one.
  std::vector<std::string> pngs;
  for (const auto& m : masks) pngs.push_back(tasktypes::detail::EncodeIndexedPng(w, h, m, palette).value());
  std::map<uint32_t, uint8_t> classes;
  for (int c = 1; c < k; ++c)
    classes[(uint32_t{palette[static_cast<size_t>(c)][0]} << 16) | (uint32_t{palette[static_cast<size_t>(c)][1]} << 8) |
            palette[static_cast<size_t>(c)][2]] = static_cast<uint8_t>(c);
  const auto [decode_wall, decode_cpu] = Time(repeats, [&] {
    for (const auto& p : pngs)
      if (tasktypes::detail::DecodePngClasses(p, classes).value().classes.size() != pixels) std::exit(1);
  });
  std::string voted;
  const auto [encode_wall, encode_cpu] =
      Time(repeats, [&] { voted = tasktypes::detail::EncodeIndexedPng(w, h, result.labels, palette).value(); });
  std::printf(
      "cpp segmentation-type seconds=%.4f cpu_seconds=%.4f decode_seconds=%.4f decode_cpu_seconds=%.4f "
      "encode_seconds=%.4f encode_cpu_seconds=%.4f worker_png_bytes=%zu voted_png_bytes=%zu\n",
      type_wall, type_cpu, decode_wall, decode_cpu, encode_wall, encode_cpu, png_bytes / masks.size(), voted.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc >= 3 ? argv[1] : "";
  if (!((what == "boxes" && argc <= 4) || (what == "masks" && argc == 3))) {
    std::fprintf(stderr, "usage: %s boxes DIR [IMAGES] | masks DIR\n", argv[0]);
    return 2;
  }
  return what == "boxes" ? Boxes(argv[2], argc == 4 ? std::atoi(argv[3]) : 0) : Masks(argv[2]);
}
