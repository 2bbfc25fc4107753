#include "cli/task_pages.hpp"

#include <map>
#include <mutex>

#include "liquid/liquid.hpp"
#include "portal/media.hpp"

namespace plumbline::cli {

Status ValidateTaskTemplate(const std::string& text) {
  auto t = liquid::Template::ParseLenient(text);
  if (!t) return t.error();
  return {};
}

struct TaskPages::Impl {
  const portal::MediaSigner* signer;
  std::mutex mu;
  // job id -> (template text, parsed template)
  std::map<int64_t, std::pair<std::string, std::shared_ptr<const liquid::Template>>> cache;

  Result<std::shared_ptr<const liquid::Template>> Get(const store::Job& job) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(job.id);
    if (it != cache.end() && it->second.first == job.ui_template) return it->second.second;
    PLB_ASSIGN_OR_RETURN(auto parsed, liquid::Template::ParseLenient(job.ui_template));
    auto shared = std::make_shared<const liquid::Template>(std::move(parsed));
    cache[job.id] = {job.ui_template, shared};
    return shared;
  }
};

TaskPages::TaskPages(const portal::MediaSigner* signer) : impl_(std::make_shared<Impl>()) {
  impl_->signer = signer;
}
TaskPages::~TaskPages() = default;

labeling::TemplateRenderer TaskPages::Renderer() {
  auto impl = impl_;
  return [impl](const store::Job& job, const boost::json::object& task_input,
                int64_t lease_seconds) -> Result<std::string> {
    PLB_ASSIGN_OR_RETURN(auto tmpl, impl->Get(job));
    liquid::RenderOptions options;  // Ground Truth's dialect: autoescape on
    if (impl->signer) {
      // Valid for the lease plus a margin, so media never expires mid-task.
      int64_t ttl = lease_seconds + 300;
      options.grant_read_access = [impl, ttl](std::string_view uri) {
        return impl->signer->Sign(std::string(uri), ttl);
      };
    }
    return tmpl->Render(liquid::MakeTaskContext(task_input), options);
  };
}

}  // namespace plumbline::cli
