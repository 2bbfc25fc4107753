// Pre-annotation throughput: a Python function that returns its input
// (Ground Truth's minimal pre-annotation function) on the warm workers,
// with the runner's batched dispatch and its answer checks, beside the
// built-in path (PRE-TextMultiClass's PreprocessJson) on the same lines.
// Neither side includes the store's writes.
//
// Usage: functions_bench [OBJECTS] [WORKERS]   (python: $PLUMBLINE_PYTHON or python3)
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/ids.hpp"
#include "common/json.hpp"
#include "functions/functions.hpp"
#include "store/store.hpp"
#include "tasktypes/tasktypes.hpp"

using namespace plumbline;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const size_t objects = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 50000;
  const int workers = argc > 2 ? std::atoi(argv[2]) : 2;
  fs::path dir = fs::temp_directory_path() / ("plb-fn-bench-" + RandomHex(6));
  fs::create_directories(dir / "code");
  std::ofstream(dir / "code" / "pre.py")
      << "def lambda_handler(event, context):\n"
         "    return {\"taskInput\": event[\"dataObject\"]}\n";
  auto store = store::OpenStore({"sqlite:" + (dir / "db").string(), false}).value();
  functions::RunnerOptions ro;
  if (const char* p = std::getenv("PLUMBLINE_PYTHON")) ro.python = p;
  ro.python_workers = workers;
  functions::Runner runner(ro);
  FakeClock clock;
  functions::Registry registry(*store, (dir / "functions").string(), "123456789012", runner,
                               clock);
  functions::FunctionSpec spec;
  spec.name = "pass-through";
  spec.runtime = "python3.11";
  spec.handler = "pre.lambda_handler";
  spec.folder = (dir / "code").string();
  auto fn = registry.Create(spec, "us-east-1").value();

  std::vector<std::string> lines;
  for (size_t i = 0; i < objects; ++i)
    lines.push_back("{\"source\":\"Sentence number " + std::to_string(i) +
                    " of the benchmark, about a plant or an animal.\",\"id\":" +
                    std::to_string(i) + "}");
  const std::string head =
      R"({"version":"2018-10-16","labelingJobArn":"arn:aws:sagemaker:us-east-1:123456789012:labeling-job/bench","dataObject":)";
  // Warm-up: the workers start and import the handler.
  (void)registry.InvokeBatch(fn.name, {head + lines[0] + "}"}, {}).value();

  // The custom path, as the runner runs it: batches of 2,000 events.
  auto start = Steady::now();
  size_t ok = 0;
  for (size_t first = 0; first < lines.size(); first += 2000) {
    std::vector<std::string> events;
    for (size_t i = first; i < std::min(lines.size(), first + 2000); ++i)
      events.push_back(head + lines[i] + "}");
    auto answers = registry.InvokeBatch(fn.name, events, {}).value();
    for (const auto& a : answers) {
      auto v = json::Parse(a.payload);
      if (a.ok && v && v->is_object() && v->get_object().contains("taskInput")) {
        std::string stored = json::Serialize(v->get_object().at("taskInput"));
        ok += !stored.empty();
      }
    }
  }
  double custom_s = std::chrono::duration<double>(Steady::now() - start).count();

  // The built-in path on the same lines.
  const tasktypes::TaskType* type = tasktypes::Find("TextMultiClass");
  std::vector<std::string> labels = {"person", "animal", "plant"};
  start = Steady::now();
  size_t builtin_ok = 0;
  for (const auto& line : lines) {
    auto v = json::Parse(line);
    if (v && v->is_object() && type->PreprocessJson(v->get_object(), line, labels)) ++builtin_ok;
  }
  double builtin_s = std::chrono::duration<double>(Steady::now() - start).count();

  std::cout << "objects " << objects << ", python workers " << workers << "\n"
            << "python function (warm, batched): " << ok << " ok in " << custom_s << " s = "
            << static_cast<int64_t>(objects / custom_s) << " objects/s\n"
            << "built-in PRE-TextMultiClass:     " << builtin_ok << " ok in " << builtin_s
            << " s = " << static_cast<int64_t>(objects / builtin_s) << " objects/s\n";
  fs::remove_all(dir);
  return ok == objects ? 0 : 1;
}
