// The AWS-hosted worker UIs this build ships (spec §3.3): a job that names
// one with UiConfig.HumanTaskUiArn gets a task template made here from its
// label category file, which the portal renders like a template of the
// job's own. Only NamedEntityRecognition so far.
#include <boost/json.hpp>

#include "common/json.hpp"
#include "common/text.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::tasktypes {

namespace {

constexpr std::string_view kHostedUiPrefix = ":human-task-ui/";

// Text placed in the template verbatim: HTML-escaped where asked, and with
// braces as character references, so that Liquid never reads it as a tag
// or an output (the label file is data, not template).
std::string Inert(std::string_view s, bool escape_html) {
  std::string text = escape_html ? EscapeHtml(s) : std::string(s);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '{') out += "&#123;";
    else if (c == '}') out += "&#125;";
    else out.push_back(c);
  }
  return out;
}

Result<std::string> EntityAnnotationTemplate(std::string_view label_category_text) {
  auto parsed = json::Parse(label_category_text);
  if (!parsed || !parsed->is_object())
    return InvalidArgument("label category file must be a JSON object");
  const auto& file = parsed->get_object();
  PLB_ASSIGN_OR_RETURN(boost::json::array objects, LabelCategoryObjects(label_category_text));
  // The element's labels: label, and the display names when given.
  boost::json::array labels;
  for (const auto& l : objects) {
    boost::json::object label;
    for (std::string_view key : {"label", "shortDisplayName", "fullDisplayName", "longDisplayName"})
      if (auto v = json::GetString(l.get_object(), key)) label[key] = *v;
    labels.emplace_back(std::move(label));
  }
  std::string short_instruction = "<p>Highlight the text of each entity, then choose its label.</p>";
  std::string full_instruction;
  if (const auto* instructions = json::GetObject(file, "instructions")) {
    if (auto s = json::GetString(*instructions, "shortInstruction")) short_instruction = *s;
    if (auto f = json::GetString(*instructions, "fullInstruction")) full_instruction = *f;
  }
  std::string t;
  t += "<script src=\"https://assets.crowd.aws/crowd-html-elements.js\"></script>\n";
  t += "<crowd-entity-annotation name=\"crowd-entity-annotation\"\n";
  t += "    header=\"Highlight and label the named entities in the text\"\n";
  t += "    labels=\"" + Inert(json::Serialize(labels), true) + "\"\n";
  t += "    text=\"{{ task.input.taskObject }}\">\n";
  if (!full_instruction.empty())
    t += "  <full-instructions header=\"Instructions\">" + Inert(full_instruction, false) +
         "</full-instructions>\n";
  t += "  <short-instructions>" + Inert(short_instruction, false) + "</short-instructions>\n";
  t += "</crowd-entity-annotation>\n";
  return t;
}

}  // namespace

std::string HostedUiName(std::string_view arn) {
  if (!arn.starts_with("arn:aws")) return "";
  const size_t at = arn.find(kHostedUiPrefix);
  if (at == std::string_view::npos || arn.substr(0, at).find(":sagemaker:") == std::string_view::npos)
    return "";
  return std::string(arn.substr(at + kHostedUiPrefix.size()));
}

Result<std::string> HostedUiTemplate(std::string_view human_task_ui_arn,
                                     std::string_view task_type,
                                     std::string_view label_category_text) {
  const std::string name = HostedUiName(human_task_ui_arn);
  if (name.empty())
    return InvalidArgument("HumanTaskUiArn " + std::string(human_task_ui_arn) +
                           " is not an ARN of a hosted worker UI");
  if (name != "NamedEntityRecognition")
    return InvalidArgument("the hosted worker UI " + name +
                           " is not supported; give UiConfig.UiTemplateS3Uri instead");
  if (task_type != "NamedEntityRecognition")
    return InvalidArgument("the hosted worker UI NamedEntityRecognition cannot be used with task type " +
                           std::string(task_type));
  return EntityAnnotationTemplate(label_category_text);
}

}  // namespace plumbline::tasktypes
