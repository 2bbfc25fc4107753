// The console's job creation: the wizard's steps (task types, work teams,
// keys, uploads, the live preview), Create and Clone.
#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "api/sagemaker.hpp"
#include "api/validation.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "console/detail/console_impl.hpp"
#include "console/job_stats.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "portal/assets.hpp"
#include "portal/media.hpp"
#include "portal/pages.hpp"
#include "portal/task_pages.hpp"
#include "portal/worker_api.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::console {

http::Response Console::Impl::CreateFrom(const boost::json::value& request, const std::string& fallback_region,
                                         const http::Request& req, const identity::SignedIn& who,
                                         const std::string& action) {
  const object& r = request.get_object();
  std::string name = json::GetString(r, "LabelingJobName").value_or("");
  auto audit = [&](const std::string& outcome) {
    store::AuditEntry e;
    e.actor = who.user.username;
    e.action = action;
    e.target = name;
    e.source = req.remote_address;
    e.outcome = outcome;
    identity.Audit(e);
  };
  if (auto invalid = api::ValidateRequest("CreateLabelingJob", request)) {
    audit(invalid->code);
    return JsonError(400, invalid->code, invalid->message);
  }
  std::string region = fallback_region;
  if (const auto* h = json::GetObject(r, "HumanTaskConfig"))
    if (auto team = json::GetString(*h, "WorkteamArn"); team && !RegionOfArn(*team).empty())
      region = RegionOfArn(*team);
  if (region.empty()) region = "us-east-1";
  auto arn = service.CreateJob(r, region);
  audit(arn ? "ok" : (arn.error().code == ErrorCode::kAlreadyExists ? "ResourceInUse" : "ValidationException"));
  if (!arn) return FromError(arn.error());
  object out;
  out["LabelingJobArn"] = *arn;
  out["name"] = name;
  return Ok(out);
}

http::Response Console::Impl::Create(const http::Request& req, const identity::SignedIn& who) {
  auto body = json::Parse(req.body);
  if (!body || !body->is_object())
    return JsonError(400, "InvalidRequest", "expected a CreateLabelingJob request (a JSON object)");
  return CreateFrom(*body, "", req, who, "console:CreateLabelingJob");
}

http::Response Console::Impl::Clone(const http::Request& req, const identity::SignedIn& who) {
  auto job = FindJob(req);
  if (!job) return FromError(job.error());
  auto body = json::Parse(req.body.empty() ? "{}" : req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  auto name = json::GetString(body->get_object(), "name");
  if (!name || name->empty()) return JsonError(400, "InvalidRequest", "name: the new job's name is required");
  auto request = json::Parse(job->request_json);
  if (!request || !request->is_object())
    return JsonError(409, "Conflict", "the job's stored request cannot be read");
  request->get_object()["LabelingJobName"] = *name;
  return CreateFrom(*request, RegionOfArn(job->arn), req, who, "console:CloneLabelingJob");
}

http::Response Console::Impl::TaskTypes() {
  array list;
  for (const auto& t : tasktypes::BuiltinTaskTypes()) {
    if (!tasktypes::Find(t.name)) continue;
    object o;
    o["name"] = std::string(t.name);
    o["outputType"] = std::string(t.output_type);
    o["minLabels"] = t.min_labels;
    o["maxLabels"] = t.max_labels;
    o["refLabelAttribute"] = t.ref_label_attribute;
    list.push_back(std::move(o));
  }
  object out;
  out["taskTypes"] = std::move(list);
  return Ok(out);
}

http::Response Console::Impl::Workteams() {
  auto teams = service.ListWorkteams();
  if (!teams) return FromError(teams.error());
  array list;
  for (const auto& t : *teams) {
    object o;
    o["name"] = t.name;
    o["arn"] = t.arn;
    array groups;
    for (const auto& g : t.groups) groups.emplace_back(g);
    o["groups"] = std::move(groups);
    list.push_back(std::move(o));
  }
  object out;
  out["workteams"] = std::move(list);
  return Ok(out);
}

http::Response Console::Impl::KmsKeys() {
  auto keys = store.ListKmsKeys();
  if (!keys) return FromError(keys.error());
  auto aliases = store.ListKmsAliases();
  if (!aliases) return FromError(aliases.error());
  array list;
  for (const auto& k : *keys) {
    if (!k.enabled || k.deletion_ms != 0) continue;
    object o;
    o["keyId"] = k.key_id;
    o["arn"] = k.arn;
    o["description"] = k.description;
    array names;
    for (const auto& a : *aliases)
      if (a.key_id == k.key_id) names.emplace_back(a.alias);
    o["aliases"] = std::move(names);
    list.push_back(std::move(o));
  }
  object out;
  out["keys"] = std::move(list);
  return Ok(out);
}

http::Response Console::Impl::Upload(const http::Request& req, const identity::SignedIn& who) {
  auto q = http::ParseQuery(req.query);
  std::string uri = q.count("uri") ? q["uri"] : "";
  if (uri.rfind("s3://", 0) != 0 || uri.size() <= 5 || uri.find('/', 5) == std::string::npos ||
      uri.back() == '/')
    return JsonError(400, "InvalidRequest", "uri: expected s3://BUCKET/KEY, got '" + uri + "'");
  for (size_t at = 5; at <= uri.size();) {
    size_t end = std::min(uri.find('/', at), uri.size());
    std::string_view segment(uri.data() + at, end - at);
    if (segment.empty() || segment == "." || segment == "..")
      return JsonError(400, "InvalidRequest", "uri: empty, '.' and '..' path segments are not allowed");
    at = end + 1;
  }
  auto s = objects.WriteAll(uri, req.body);
  store::AuditEntry e;
  e.actor = who.user.username;
  e.action = "console:Upload";
  e.target = uri;
  e.source = req.remote_address;
  e.outcome = s ? "ok" : "Error";
  e.detail = std::to_string(req.body.size()) + " bytes";
  identity.Audit(e);
  if (!s) return FromError(s.error());
  object out;
  out["uri"] = uri;
  out["bytes"] = static_cast<int64_t>(req.body.size());
  return Ok(out);
}

http::Response Console::Impl::RenderTemplate(const http::Request& req) {
  auto body = json::Parse(req.body);
  if (!body || !body->is_object()) return JsonError(400, "InvalidRequest", "expected a JSON object");
  const object& b = body->get_object();
  auto text = json::GetString(b, "template");
  if (!text) return JsonError(400, "InvalidRequest", "template: a string is required");
  auto problem = [](std::string_view field, std::string_view code, const std::string& message) {
    return Ok(object{{"problem", object{{"field", field}, {"code", code}, {"message", message}}}});
  };
  if (auto s = portal::ValidateTaskTemplate(*text); !s) return problem("template", "InvalidTemplate", s.error().message);
  std::vector<std::string> labels;
  if (const auto* l = b.if_contains("labels"); l && l->is_array())
    for (const auto& v : l->get_array())
      if (v.is_string()) labels.emplace_back(v.get_string());
  std::string line_text = json::GetString(b, "line").value_or("{\"source\":\"\"}");
  auto line = json::Parse(line_text);
  if (!line || !line->is_object())
    return problem("line", "InvalidLine", "not a JSON object (a manifest line is one)");
  std::string type_name = json::GetString(b, "taskType").value_or("");
  const tasktypes::TaskType* type = tasktypes::Find(type_name);
  auto input = type ? type->Preprocess(line->get_object(), labels)
                    : tasktypes::StandardTaskInput(line->get_object(), labels);
  if (!input) return problem("line", "InvalidLine", input.error().message);
  portal::GrantReadAccess grant;
  if (signer)
    grant = [this](std::string_view uri, int64_t ttl) { return signer->Sign(std::string(uri), ttl); };
  auto html = portal::RenderTaskPage(*text, *input, grant, 3600);
  if (!html) return problem("template", "InvalidTemplate", html.error().message);
  object out;
  out["html"] = std::move(*html);
  out["taskInput"] = std::move(*input);
  return Ok(out);
}

}  // namespace plumbline::console
