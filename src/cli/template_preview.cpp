// `plumbline template preview`: the page a worker would see for one manifest
// line, as a single HTML file that opens from the file system (the crowd
// elements are inlined, so it works offline and without a server).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/app.hpp"
#include "common/json.hpp"
#include "portal/assets.hpp"
#include "portal/task_pages.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::cli {
namespace {

struct PreviewArgs {
  std::string template_path;
  std::string object;
  std::string categories_path;
  std::string task_type = "TextMultiClass";
  std::string output;
  std::string data_dir;
};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces the crowd elements' <script src=...> with the embedded script inline.
std::string InlineCrowdElements(std::string html) {
  const portal::EmbeddedAsset* asset = portal::FindAsset(portal::kCrowdElementsPath);
  if (!asset) return html;
  std::string tag_start = "<script src=\"" + std::string(portal::kCrowdElementsUrl) + "\"></script>";
  std::string inline_script = "<script>\n" + std::string(asset->body) + "\n</script>";
  size_t pos = html.find(tag_start);
  if (pos != std::string::npos) return html.replace(pos, tag_start.size(), inline_script);
  return inline_script + "\n" + html;
}

// The page as the portal renders it (portal/task_pages), except that
// grant_read_access gives files of the data dir instead of signed links.
Result<std::string> Preview(const PreviewArgs& a) {
  PLB_ASSIGN_OR_RETURN(std::string text, ReadFile(a.template_path));
  PLB_TRY(portal::ValidateTaskTemplate(text));
  auto line = json::Parse(a.object);
  if (!line || !line->is_object())
    return InvalidArgument("--object must be one manifest line, a JSON object");
  std::vector<std::string> labels;
  if (!a.categories_path.empty()) {
    PLB_ASSIGN_OR_RETURN(std::string cats, ReadFile(a.categories_path));
    auto parsed = tasktypes::ParseLabelCategories(cats, a.task_type);
    if (!parsed) return InvalidArgument(a.categories_path + ": " + parsed.error().message);
    labels = *parsed;
  }
  PLB_ASSIGN_OR_RETURN(auto input, tasktypes::Preprocess(a.task_type, line->get_object(), labels));
  std::string data_dir = a.data_dir;
  portal::GrantReadAccess grant = [data_dir](std::string_view uri, int64_t) -> std::string {
    // Offline, an object of the embedded store is its file.
    if (data_dir.empty() || uri.substr(0, 5) != "s3://") return std::string(uri);
    auto abs = std::filesystem::absolute(std::filesystem::path(data_dir) / "buckets" / uri.substr(5));
    return "file://" + abs.string();
  };
  PLB_ASSIGN_OR_RETURN(std::string html, portal::RenderTaskPage(text, input, grant, 0));
  return InlineCrowdElements(std::move(html));
}

}  // namespace

void AddTemplatePreviewCommand(CLI::App& app) {
  CLI::App* group = app.get_subcommand("template");
  auto args = std::make_shared<PreviewArgs>();
  CLI::App* cmd = group->add_subcommand(
      "preview", "Write the page a worker would see for one manifest line (opens offline)");
  cmd->add_option("TEMPLATE", args->template_path, "The task template (HTML + Liquid)")
      ->required();
  cmd->add_option("--object", args->object, "One input manifest line (JSON)")->required();
  cmd->add_option("--categories", args->categories_path, "Label category configuration file");
  cmd->add_option("--task-type", args->task_type, "Built-in task type of the pre-processing")
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "Output file (default: TEMPLATE.preview.html)");
  cmd->add_option("--data-dir", args->data_dir, "Map s3:// URIs to this data dir's buckets");
  cmd->callback([args] {
    auto html = Preview(*args);
    if (!html) throw ErrorException(html.error());
    std::string out = args->output.empty() ? args->template_path + ".preview.html" : args->output;
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << *html;
    if (!f) throw ErrorException(Unavailable("cannot write " + out));
    std::cout << std::filesystem::absolute(out).string() << "\n";
  });
}

}  // namespace plumbline::cli
