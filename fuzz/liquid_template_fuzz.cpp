// A task template as a team uploads it: parsed (strict, then lax) and
// rendered under the default limits with a small task context.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "liquid/liquid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline;
  std::string_view source(reinterpret_cast<const char*>(data), size);
  auto parsed = liquid::Template::ParseLenient(source);
  if (!parsed) return 0;
  static const boost::json::value context = liquid::MakeTaskContext(boost::json::parse(
      R"({"taskObject":"a <b>text</b> & more","labels":["x","y"],"n":3,"list":[1,2,3],)"
      R"("manifestLine":{"source":"s","nested":{"k":[true,null,1.5]}}})"));
  liquid::RenderOptions options;
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_iterations = 100'000;
  options.limits.max_render_time = std::chrono::milliseconds(200);
  (void)parsed->Render(context, options);
  return 0;
}
