#include "portal/task_pages.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "labeling/labeling.hpp"
#include "liquid/liquid.hpp"
#include "portal/media.hpp"

namespace plumbline::portal {

namespace {
// Media links stay valid for the lease plus this margin, so that media
// never expires while a worker still holds the task.
constexpr int64_t kMediaMarginSeconds = 300;

Result<std::string> RenderParsed(const liquid::Template& tmpl,
                                 const boost::json::object& task_input,
                                 const GrantReadAccess& grant, int64_t lease_seconds) {
  liquid::RenderOptions options;  // Ground Truth's dialect: autoescape on
  if (grant)
    options.grant_read_access = [&grant, lease_seconds](std::string_view uri) {
      return grant(uri, lease_seconds);
    };
  return tmpl.Render(liquid::MakeTaskContext(task_input), options);
}
}  // namespace

Status ValidateTaskTemplate(const std::string& text) {
  auto t = liquid::Template::ParseLenient(text);
  if (!t) return t.error();
  return {};
}

Result<std::string> RenderTaskPage(std::string_view template_text,
                                   const boost::json::object& task_input,
                                   const GrantReadAccess& grant, int64_t lease_seconds) {
  PLB_ASSIGN_OR_RETURN(auto tmpl, liquid::Template::ParseLenient(template_text));
  return RenderParsed(tmpl, task_input, grant, lease_seconds);
}

struct TaskPages::Impl {
  GrantReadAccess grant;
  std::mutex mu;
  // Per job: the template text it was parsed from (the claims' shared
  // string, so a hit is a pointer comparison) and the parsed template.
  struct Parsed {
    std::shared_ptr<const std::string> text;
    std::shared_ptr<const liquid::Template> tmpl;
  };
  std::map<int64_t, Parsed> cache;

  Result<std::shared_ptr<const liquid::Template>> Get(const labeling::ClaimedTask& task) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(task.job_id);
    if (it != cache.end() &&
        (it->second.text == task.task_template || *it->second.text == *task.task_template)) {
      it->second.text = task.task_template;
      return it->second.tmpl;
    }
    PLB_ASSIGN_OR_RETURN(auto parsed, liquid::Template::ParseLenient(*task.task_template));
    auto shared = std::make_shared<const liquid::Template>(std::move(parsed));
    cache[task.job_id] = {task.task_template, shared};
    return shared;
  }
};

TaskPages::TaskPages(const MediaSigner* signer) : impl_(std::make_unique<Impl>()) {
  if (signer)
    impl_->grant = [signer](std::string_view uri, int64_t lease_seconds) {
      return signer->Sign(std::string(uri), lease_seconds + kMediaMarginSeconds);
    };
}

TaskPages::~TaskPages() = default;

Result<std::string> TaskPages::Render(const labeling::ClaimedTask& task) const {
  if (!task.task_template) return Internal("task " + std::to_string(task.task_id) + " has no template");
  PLB_ASSIGN_OR_RETURN(auto tmpl, impl_->Get(task));
  return RenderParsed(*tmpl, task.task_input, impl_->grant, task.lease_seconds);
}

Result<std::vector<std::string>> TaskPages::MediaOf(const labeling::ClaimedTask& task) const {
  if (!task.task_template) return Internal("task " + std::to_string(task.task_id) + " has no template");
  std::vector<std::string> links;
  if (!impl_->grant) return links;
  PLB_ASSIGN_OR_RETURN(auto tmpl, impl_->Get(task));
  GrantReadAccess recording = [&](std::string_view uri, int64_t lease_seconds) {
    std::string link = impl_->grant(uri, lease_seconds);
    if (std::find(links.begin(), links.end(), link) == links.end()) links.push_back(link);
    return link;
  };
  PLB_TRY(RenderParsed(*tmpl, task.task_input, recording, task.lease_seconds));
  return links;
}

}  // namespace plumbline::portal
