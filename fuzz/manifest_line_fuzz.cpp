// One line of an input manifest as the runner reads it: parsed as JSON, then
// pre-processed by the task type into the stored task input.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "tasktypes/tasktypes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumbline;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return 0;
  static const std::vector<std::string> labels = {"positive", "negative", "neutral"};
  for (std::string_view name : {"TextMultiClass"}) {
    const tasktypes::TaskType* type = tasktypes::Find(name);
    if (!type) continue;
    auto input = type->PreprocessJson(v.get_object(), line, labels);
    if (input) {
      // What the runner stores must be JSON again.
      boost::json::parse(*input, ec);
      if (ec) __builtin_trap();
    }
  }
  return 0;
}
