// Task pages: a job's task template (Liquid + HTML, Ground Truth's dialect)
// rendered for one task's input, as the worker API answers a claim. Each
// job's template is parsed once and kept; `grant_read_access` turns s3://
// URIs into signed /worker/media links (MediaSigner) valid for the lease
// plus a margin. The portal owns this: labeling/ hands out task inputs and
// knows nothing of Liquid.
//
// Thread-safe: Render may be called from any thread (the I/O threads).
// Examples: tests/portal/task_pages_test.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace plumbline::labeling {
struct ClaimedTask;
}

namespace plumbline::portal {

class MediaSigner;

// What `grant_read_access` makes of a URI for a page whose task lasts
// `lease_seconds`.
using GrantReadAccess = std::function<std::string(std::string_view uri, int64_t lease_seconds)>;

// Checks a template the way CreateLabelingJob does (strict, then lax):
// kInvalidArgument naming line and column. Fits labeling::TemplateValidator.
Status ValidateTaskTemplate(const std::string& text);

// Renders a template once, without caching (`plumbline template preview`):
// the page for `task_input` as `task.input`. kInvalidArgument when the
// template does not parse or fails to render. `grant` may be empty (URIs
// are then left as they are).
Result<std::string> RenderTaskPage(std::string_view template_text,
                                   const boost::json::object& task_input,
                                   const GrantReadAccess& grant, int64_t lease_seconds);

class TaskPages {
 public:
  // `signer` (may be null: URIs left as they are) must outlive this object.
  explicit TaskPages(const MediaSigner* signer);
  ~TaskPages();
  TaskPages(const TaskPages&) = delete;
  TaskPages& operator=(const TaskPages&) = delete;

  // The page of a claimed task: its job's template (parsed on first use and
  // kept per job) rendered with the task's input. Errors as RenderTaskPage;
  // kInternal for a task without a template.
  Result<std::string> Render(const labeling::ClaimedTask& task) const;
  // The signed media links the task's page holds (each `grant_read_access`
  // of its render, once, in order), for the portal to fetch ahead of
  // showing it. Empty without a signer. Errors as Render.
  Result<std::vector<std::string>> MediaOf(const labeling::ClaimedTask& task) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::portal
