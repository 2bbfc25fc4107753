// libFuzzer target: parses arbitrary bytes as a template in both error modes
// and renders it (GT mode and Shopify mode, with partials) under tight limits.
// Any crash, sanitizer report, or hang beyond the render-time limit is a bug.
// Build and run: scripts/fuzz_liquid.sh.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "liquid/liquid.hpp"

namespace {

const boost::json::value& Context() {
  static const boost::json::value ctx = boost::json::parse(R"({
    "task": {"input": {"taskObject": "s3://b/k.jpg", "labels": ["a", "b & <c>"], "n": 3, "f": 2.5,
             "nested": {"a": [1, [2, [3, null]], {"x": true}]}, "empty": [], "s": "héllo wörld"}},
    "arr": [3, 1, 2], "hash": {"k": "v", "size": 9}, "nil": null, "yes": true
  })");
  return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace plumbline::liquid;
  std::string_view src(reinterpret_cast<const char*>(data), size);
  RenderOptions gt;
  gt.limits.max_output_bytes = 1 << 20;
  gt.limits.max_iterations = 100'000;
  gt.limits.max_depth = 32;
  gt.limits.max_render_time = std::chrono::milliseconds(500);
  gt.grant_read_access = [](std::string_view uri) { return "https://signed/" + std::string(uri); };
  gt.partials = [src](std::string_view name) -> std::optional<std::string> {
    if (name == "self") return std::string(src);
    if (name == "p") return std::string("{{ x }}{% increment c %}");
    return std::nullopt;
  };
  RenderOptions shopify = RenderOptions::Shopify();
  shopify.limits = gt.limits;
  shopify.partials = gt.partials;
  shopify.strict_errors = true;
  for (ErrorMode mode : {ErrorMode::kStrict, ErrorMode::kLax}) {
    auto t = Template::Parse(src, {mode});
    if (!t) continue;
    (void)t->Render(Context(), gt);
    (void)t->Render(Context(), shopify);
  }
  return 0;
}
