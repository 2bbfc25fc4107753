// Per-render state (private): scopes, counters, registers and limits.
// One Context per Render call; never shared between threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "liquid/detail/ast.hpp"
#include "liquid/detail/value.hpp"
#include "liquid/liquid.hpp"

namespace plumbline::liquid::detail {

using Scope = std::vector<std::pair<std::string, Value>>;

class Context {
 public:
  enum class Interrupt { kNone, kBreak, kContinue };

  // Counters shared by a render and the partials it renders.
  struct Budget {
    std::uint64_t iterations = 0;
    std::uint64_t nodes = 0;
    std::size_t bytes = 0;
    int depth = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  };

  Context(const RenderOptions& options, const json::object* globals, Budget& budget)
      : opts(options), globals_(globals), budget_(budget) {
    scopes.emplace_back();
    counters_ = std::make_shared<Scope>();
    registers_ = std::make_shared<Registers>();
  }

  // Variable lookup: local scopes (innermost first), then the render data,
  // then counters.
  Value Resolve(std::string_view name) const {
    for (auto s = scopes.rbegin(); s != scopes.rend(); ++s) {
      for (auto it = s->rbegin(); it != s->rend(); ++it) {
        if (it->first == name) return it->second;
      }
    }
    if (globals_) {
      auto it = globals_->find(name);
      if (it != globals_->end()) return Value::FromJson(it->value());
    }
    for (const auto& [k, v] : *counters_) {
      if (k == name) return v;
    }
    return Value();
  }

  static void Set(Scope& scope, std::string_view name, Value v) {
    for (auto& kv : scope) {
      if (kv.first == name) {
        kv.second = std::move(v);
        return;
      }
    }
    scope.emplace_back(std::string(name), std::move(v));
  }
  // `assign`/`capture`: the outermost local scope.
  void Assign(std::string_view name, Value v) { Set(scopes.front(), name, std::move(v)); }

  // increment (post) / decrement (pre); returns the value to output.
  std::int64_t Counter(std::string_view name, int delta) {
    for (auto& [k, v] : *counters_) {
      if (k == name) {
        std::int64_t cur = v.kind() == Kind::kInt ? v.as_int() : 0;
        if (delta > 0) {
          v = Value::Int(cur + 1);
          return cur;
        }
        v = Value::Int(cur - 1);
        return cur - 1;
      }
    }
    std::int64_t cur = 0;
    if (globals_) {
      auto it = globals_->find(name);
      if (it != globals_->end() && it->value().is_int64()) cur = it->value().get_int64();
    }
    std::int64_t shown = delta > 0 ? cur : cur - 1;
    counters_->emplace_back(std::string(name), Value::Int(delta > 0 ? cur + 1 : cur - 1));
    return shown;
  }

  // Limits.
  void AddOutput(std::size_t n) {
    budget_.bytes += n;
    if (budget_.bytes > opts.limits.max_output_bytes) {
      throw LimitError("Liquid limit exceeded: output larger than " +
                       std::to_string(opts.limits.max_output_bytes) + " bytes");
    }
  }
  void Tick() {
    if (++budget_.iterations > opts.limits.max_iterations) {
      throw LimitError("Liquid limit exceeded: more than " + std::to_string(opts.limits.max_iterations) +
                       " loop iterations");
    }
    if ((budget_.iterations & 255) == 0) CheckTime();
  }
  void CheckTime() {
    if (std::chrono::steady_clock::now() - budget_.start > opts.limits.max_render_time) {
      throw LimitError("Liquid limit exceeded: render took longer than " +
                       std::to_string(opts.limits.max_render_time.count()) + " ms");
    }
  }
  void Enter() {
    if (++budget_.depth > opts.limits.max_depth) {
      throw LimitError("Liquid limit exceeded: nesting deeper than " + std::to_string(opts.limits.max_depth));
    }
    if ((++budget_.nodes & 1023) == 0) CheckTime();
  }
  void Leave() { --budget_.depth; }

  struct Registers {
    std::map<std::string, std::int64_t, std::less<>> cycle;
    std::map<std::string, std::int64_t, std::less<>> for_offsets;
    std::string ifchanged;
    bool has_ifchanged = false;
  };

  const RenderOptions& opts;
  std::vector<Scope> scopes;
  Interrupt interrupt = Interrupt::kNone;
  std::vector<Value> for_stack;  // enclosing forloop drops (parentloop)
  std::shared_ptr<Scope> counters_;
  std::shared_ptr<Registers> registers_;
  // Partials parsed during this render, by name.
  std::shared_ptr<std::map<std::string, std::shared_ptr<TemplateImpl>, std::less<>>> partial_cache =
      std::make_shared<std::map<std::string, std::shared_ptr<TemplateImpl>, std::less<>>>();
  const json::object* globals_ = nullptr;
  // For errors: the line of the node being rendered.
  int line = 1;

  Budget& budget_;
};

// Renders a node list; handles inline errors and interrupts.
void RenderList(const NodeList& nodes, Context& ctx, std::string& out);

}  // namespace plumbline::liquid::detail
