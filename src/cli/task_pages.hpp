// Glue between labeling/ and liquid/: parses each job's template once (cached
// per job) and renders it for a task with Ground Truth's dialect, signing
// s3:// URIs for grant_read_access. Installed into the LabelingService by
// `plumbline serve`. Thread-safe.
#pragma once

#include <memory>

#include "labeling/labeling.hpp"

namespace plumbline::portal {
class MediaSigner;
}

namespace plumbline::cli {

// Checks a template the way CreateLabelingJob does (strict, then lax).
Status ValidateTaskTemplate(const std::string& text);

class TaskPages {
 public:
  explicit TaskPages(const portal::MediaSigner* signer);
  ~TaskPages();
  labeling::TemplateRenderer Renderer();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace plumbline::cli
