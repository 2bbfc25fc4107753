// Liquid: Plumbline's template engine (Shopify Liquid 5 plus Ground Truth's dialect).
//
// A Template is parsed once (when a labeling job is created) and rendered many
// times (once per task). Parsing builds an immutable AST; rendering walks it
// against a Boost.JSON context without copying the context's values.
//
// Dialect (see shared spec/liquid.md):
//  - Ground Truth mode (the default RenderOptions): every `{{ }}` output is
//    HTML-escaped unless its last filter is `escape`, `escape_once` or
//    `skip_autoescape`; `capture` results are already safe; arrays and hashes
//    that reach an output are serialized as JSON (spec §2.4). Extra filters:
//    `to_json`, `skip_autoescape`, `grant_read_access` (delegated to a
//    caller-supplied callback, because the server signs URLs).
//  - Shopify mode (`RenderOptions::Shopify()`): no auto-escaping, Ruby-style
//    output of arrays and hashes. This is what the golden-liquid suite checks.
//
// Errors:
//  - Parse errors come back as ErrorCode::kInvalidArgument with a message of
//    the form "Liquid syntax error (line L, column C): ...".
//  - Render errors (`divided_by: 0`, bad filter arguments, ...) are rendered
//    inline as "Liquid error: ..." (as Ruby's Template#render does) unless
//    RenderOptions::strict_errors is set, in which case Render fails with
//    kInvalidArgument and "Liquid error (line L): ...".
//  - Exceeding a RenderLimits bound always fails the render with
//    kInvalidArgument and a message starting "Liquid limit exceeded".
//
// Thread safety: a parsed Template is immutable and may be rendered
// concurrently from any number of threads. RenderOptions callbacks must be
// safe to call from the rendering thread. Template is cheap to copy (shared).
//
// Example: see tests/liquid/liquid_gt_test.cpp.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::liquid {

namespace detail {
struct TemplateImpl;
}

// How tolerant the parser is.
enum class ErrorMode {
  kLax,     // Shopify lax: skip malformed markup where possible.
  kStrict,  // Shopify strict: malformed expressions, junk and unknown tags are errors.
};

struct ParseOptions {
  ErrorMode mode = ErrorMode::kStrict;
};

// A diagnostic with a 1-based source position.
struct Diagnostic {
  int line = 1;
  int column = 1;
  std::string message;
};

// Bounds that turn an abusive template or input into a clean error.
struct RenderLimits {
  std::size_t max_output_bytes = 5u << 20;   // total rendered bytes (incl. captures)
  std::uint64_t max_iterations = 1'000'000;  // loop iterations over the whole render
  int max_depth = 64;                        // nesting of blocks and partials
  std::chrono::milliseconds max_render_time{2000};
};

// Resolves a partial's name to its source for `include`/`render`; nullopt if
// there is no such partial. Ground Truth has no partials, so it defaults to none.
using PartialLoader = std::function<std::optional<std::string>(std::string_view name)>;
// Turns an object-store URI (e.g. "s3://bucket/key") into a URL the worker's
// browser can fetch. Called only for s3:// URIs (spec §2.3).
using GrantReadAccess = std::function<std::string(std::string_view uri)>;

struct RenderOptions {
  bool autoescape = true;          // GT §2.2
  bool json_structured = true;     // GT §2.4: arrays and hashes output as JSON
  bool strict_errors = false;      // fail the render instead of printing errors inline
  bool strict_filters = false;     // unknown filter is an error (else pass-through)
  GrantReadAccess grant_read_access;  // unset: s3:// URIs are output unchanged
  PartialLoader partials;
  RenderLimits limits;

  // Plain Shopify Liquid behaviour (no auto-escape, Ruby output of hashes).
  static RenderOptions Shopify() {
    RenderOptions o;
    o.autoescape = false;
    o.json_structured = false;
    return o;
  }
};

class Template {
 public:
  // Parses `source`. Fails with kInvalidArgument naming line and column.
  static Result<Template> Parse(std::string_view source, const ParseOptions& options = {});

  // Ground Truth policy (spec §2.5): strict first; if that fails, lax. A
  // template accepted only in lax mode parses with one warning (the strict
  // error). Fails only if the lax parse fails too.
  static Result<Template> ParseLenient(std::string_view source);

  // Renders with `context` as the whole variable scope (must be an object;
  // anything else renders as an empty scope). The context must outlive the
  // call only. Fails with kInvalidArgument on a limit breach or, with
  // strict_errors, on the first render error.
  Result<std::string> Render(const boost::json::value& context,
                             const RenderOptions& options = {}) const;

  // Same, appending to `out` (reuse its capacity across renders).
  Status RenderTo(std::string& out, const boost::json::value& context,
                  const RenderOptions& options = {}) const;

  // Non-fatal parse diagnostics (e.g. the strict error of a lax fallback).
  const std::vector<Diagnostic>& warnings() const;

 private:
  explicit Template(std::shared_ptr<const detail::TemplateImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const detail::TemplateImpl> impl_;
};

// Ground Truth's task context: {"task": {"input": task_input}} (spec §2.1).
boost::json::value MakeTaskContext(const boost::json::value& task_input);

}  // namespace plumbline::liquid
