// Custom hooks in the runner: a job's pre-annotation and consolidation
// functions (functions/), called with Ground Truth's events (spec §4) and
// their answers checked before anything is stored.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <thread>

#include "common/json.hpp"
#include "common/text.hpp"
#include "functions/functions.hpp"
#include "kms/kms.hpp"
#include "labeling/detail/service_impl.hpp"
#include "labeling/labeling.hpp"

namespace plumbline::labeling {

using store::Job;

namespace {

constexpr int kAttempts = 3;  // the first call and two retries
// Backoff before retry n (1-based): 200 ms, then 800 ms.
std::chrono::milliseconds Backoff(int retry) { return std::chrono::milliseconds(200 << (2 * (retry - 1))); }

std::string Clip(std::string s, size_t n = 400) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

// An invocation's failure, or the answer's problem, as a reason's tail.
std::string WhyFailed(const functions::Invocation& inv) {
  return inv.error_type + ": " + Clip(inv.Message());
}

// isHumanAnnotationRequired (or humanAnnotationRequired, as one AWS example
// spells it): a JSON boolean or the strings "true"/"false"; true when absent.
Result<bool> HumanRequired(const boost::json::object& answer) {
  for (const char* key : {"isHumanAnnotationRequired", "humanAnnotationRequired"}) {
    const auto* v = answer.if_contains(key);
    if (!v || v->is_null()) continue;
    if (v->is_bool()) return v->get_bool();
    if (v->is_string()) {
      std::string t = AsciiLower(v->get_string());
      if (t == "true") return true;
      if (t == "false") return false;
    }
    return InvalidArgument(std::string("the answer's ") + key +
                           " must be true or false (a boolean or the string)");
  }
  return true;
}

}  // namespace

std::string LabelingService::Impl::RunPolicyOf(const Job& job, const JobConfig& c) {
  // What a Lambda execution role for this job would allow, and no more:
  // reading the input manifest, the objects in its folder and the label
  // category file; reading and writing under the job's own output path (the
  // consolidation request files are there); using the job's output key;
  // assuming the job's role (Ground Truth's functions do). Nothing else:
  // no other bucket, no other job's output, no SageMaker, Lambda, IAM or
  // key administration.
  auto object_arn = [](const std::string& uri, bool folder) -> std::string {
    std::string bucket, key;
    if (!storage::ParseS3Uri(uri, &bucket, &key) || bucket.empty()) return "";
    if (folder) {
      size_t slash = key.rfind('/');
      key = slash == std::string::npos ? "*" : key.substr(0, slash + 1) + "*";
    }
    return "arn:aws:s3:::" + bucket + "/" + key;
  };
  boost::json::array reads, writes;
  for (const auto& arn : {object_arn(c.manifest_uri, false), object_arn(c.manifest_uri, true),
                          object_arn(c.label_category_uri, false)})
    if (!arn.empty()) reads.emplace_back(arn);
  std::string out = object_arn(storage::JoinUri(OutputRoot(job), "x"), false);
  if (!out.empty()) {
    out.back() = '*';  // ".../JOB/x" -> ".../JOB/*"
    reads.emplace_back(out);
    writes.emplace_back(out);
  }
  boost::json::array statements;
  auto allow = [&](const char* sid, boost::json::array actions, boost::json::value resources) {
    boost::json::object st;
    st["Sid"] = sid;
    st["Effect"] = "Allow";
    st["Action"] = std::move(actions);
    st["Resource"] = std::move(resources);
    statements.emplace_back(std::move(st));
  };
  if (!reads.empty()) allow("ReadJobInput", {"s3:GetObject"}, std::move(reads));
  if (!writes.empty())
    allow("WriteJobOutput",
          {"s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
          std::move(writes));
  if (!c.kms_key_id.empty()) {
    // The key's ARN (the job may name it by id, alias or ARN).
    std::string key_arn = c.kms_key_id;
    if (ring) {
      kms::Caller system;
      system.is_root = true;
      if (auto info = ring->Describe(system, c.kms_key_id)) key_arn = info->arn;
    }
    allow("UseJobKey",
          {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
           "kms:DescribeKey"},
          boost::json::array{key_arn});
  }
  if (!c.role_arn.empty()) allow("AssumeJobRole", {"sts:AssumeRole"}, boost::json::array{c.role_arn});
  if (statements.empty()) {
    // Nothing to reach: a policy that allows nothing (a session policy
    // must name something).
    allow("Nothing", {"s3:GetObject"}, boost::json::array{"arn:aws:s3:::plumbline-no-such-bucket/none"});
  }
  boost::json::object policy;
  policy["Version"] = "2012-10-17";
  policy["Statement"] = std::move(statements);
  return json::Serialize(policy);
}

functions::RunContext LabelingService::Impl::RunContextOf(const Job& job, const JobConfig& c) {
  functions::RunContext context;
  // The job's functions keep warm workers of their own, started with the
  // job's credentials: another job's runs never share them.
  context.scope = job.arn;
  if (!run_environment) return context;
  auto vars = run_environment(job, c.role_arn, RunPolicyOf(job, c));
  if (!vars) {
    spdlog::error("job {}: no credentials for its functions: {}", job.name, vars.error().message);
    return context;
  }
  context.env = std::move(vars->env);
  context.expires_ms = vars->expires_ms;
  return context;
}

void LabelingService::Impl::PreprocessWithFunction(const Job& job, const JobInfo& info) {
  constexpr size_t kBatch = 2000;
  constexpr int kBatchesPerPass = 10;
  const JobConfig& c = info.config;
  if (!functions) return;  // a server without functions cannot run this job
  functions::RunContext context;
  bool have_context = false;
  for (int round = 0; round < kBatchesPerPass; ++round) {
    auto todo = store.ObjectsToPreprocess(job.id, kBatch);
    if (!todo || todo->empty()) return;  // a failed read is retried by the next pass
    if (!have_context) {
      context = RunContextOf(job, c);
      have_context = true;
    }
    // Ground Truth's pre-annotation event per object (spec §4.1).
    std::string head = R"({"version":"2018-10-16","labelingJobArn":)";
    json::AppendQuoted(job.arn, &head);
    head += R"(,"dataObject":)";
    std::vector<size_t> pending(todo->size());
    for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
    std::vector<std::string> reasons(todo->size());
    std::vector<std::pair<int64_t, std::string>> inputs;
    std::vector<store::ObjectOutcome> finished;
    for (int attempt = 1; attempt <= kAttempts && !pending.empty(); ++attempt) {
      // Retries send each event alone: an object whose function kills its
      // worker fails by itself, not the objects that shared its message.
      context.max_chunk = attempt > 1 ? 1 : 0;
      if (attempt > 1) std::this_thread::sleep_for(Backoff(attempt - 1));
      std::vector<std::string> events;
      events.reserve(pending.size());
      for (size_t i : pending) events.push_back(head + (*todo)[i].line + "}");
      auto answers = functions->InvokeBatch(c.pre_hook_arn, events, context);
      if (!answers) {
        // The function is gone (deleted mid-job): every object fails.
        for (size_t i : pending) reasons[i] = answers.error().message;
        break;
      }
      std::vector<size_t> again;
      for (size_t k = 0; k < pending.size(); ++k) {
        size_t i = pending[k];
        const auto& inv = (*answers)[k];
        if (!inv.ok) {
          reasons[i] = WhyFailed(inv);
          again.push_back(i);
          continue;
        }
        auto v = json::Parse(inv.payload);
        const boost::json::object* answer = v && v->is_object() ? &v->get_object() : nullptr;
        const boost::json::value* input = answer ? answer->if_contains("taskInput") : nullptr;
        if (!answer || !input || !input->is_object()) {
          reasons[i] = !answer ? "the answer is not a JSON object: " + Clip(inv.payload, 200)
                               : "the answer has no taskInput object: " + Clip(inv.payload, 200);
          again.push_back(i);
          continue;
        }
        auto human = HumanRequired(*answer);
        if (!human) {
          reasons[i] = human.error().message;
          again.push_back(i);
          continue;
        }
        reasons[i].clear();
        if (*human) {
          inputs.emplace_back((*todo)[i].index, json::Serialize(*input));
        } else {
          finished.push_back({(*todo)[i].index, store::ObjectState::kSkipped, "", ""});
        }
      }
      pending = std::move(again);
    }
    for (size_t i = 0; i < reasons.size(); ++i) {
      if (reasons[i].empty()) continue;
      finished.push_back({(*todo)[i].index, store::ObjectState::kFailed, "",
                          "ClientError: pre-annotation function " + c.pre_hook_arn +
                              " failed for data object " + std::to_string((*todo)[i].index) +
                              " after " + std::to_string(kAttempts) + " attempts: " + reasons[i]});
    }
    // Under the job's lease: a runner that lost it meanwhile stores nothing.
    const store::LeaseFence fence = FenceOf(job.id);
    if (!inputs.empty())
      if (auto s = Fenced(job.id, store.SetTaskInputs(job.id, inputs, &fence)); !s) return;
    if (!finished.empty())
      if (auto s = store.FinishObjects(job.id, finished, NowMs(), &fence); !s)
        return (void)Fenced(job.id, s.error());
    spdlog::info("job {}: pre-annotation function {} processed {} objects ({} ended without a task)",
                 job.name, c.pre_hook_arn, todo->size(), finished.size());
    if (todo->size() < kBatch) return;
  }
}

std::vector<Result<boost::json::object>> LabelingService::Impl::ConsolidateWithFunction(
    const Job& job, const JobInfo& info, const tasktypes::Batch& batch,
    const std::string& request_uri) {
  const JobConfig& c = info.config;
  const std::string& attr = c.label_attribute_name;
  std::vector<Result<boost::json::object>> results(
      batch.objects.size(), InvalidArgument("not consolidated"));
  auto fail_all = [&](const std::string& why) {
    for (size_t i = 0; i < results.size(); ++i)
      results[i] = InvalidArgument("consolidation function " + c.acs_hook_arn +
                                   " failed for data object " +
                                   std::to_string(batch.objects[i].first) + ": " + why);
  };
  if (!functions) {
    fail_all("this server runs no custom functions");
    return results;
  }
  // Ground Truth's consolidation event per batch (spec §4.2).
  boost::json::object event;
  event["version"] = "2018-10-16";
  event["labelingJobArn"] = job.arn;
  if (c.label_category_uri.empty()) {
    event["labelCategories"] = nullptr;
  } else {
    boost::json::array labels;
    for (const auto& l : info.labels) labels.emplace_back(l);
    event["labelCategories"] = std::move(labels);
  }
  event["labelAttributeName"] = attr;
  event["roleArn"] = c.role_arn;
  event["payload"] = boost::json::object{{"s3Uri", request_uri}};
  event["outputConfig"] = storage::JoinUri(OutputRoot(job), "annotations");
  event["maxHumanWorkersPerDataObject"] = c.workers_per_object;
  if (!c.kms_key_id.empty()) event["kmsKeyId"] = c.kms_key_id;
  const std::string event_text = json::Serialize(event);

  std::map<std::string, size_t> position;  // datasetObjectId -> place in the batch
  for (size_t i = 0; i < batch.objects.size(); ++i)
    position[std::to_string(batch.objects[i].first)] = i;

  functions::RunContext context = RunContextOf(job, c);
  std::string why;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(Backoff(attempt - 1));
    auto inv = functions->Invoke(c.acs_hook_arn, event_text, context);
    if (!inv) {
      why = inv.error().message;
      break;  // not registered any more: retrying does not help
    }
    if (!inv->ok) {
      why = WhyFailed(*inv);
      continue;
    }
    // The answer: [{"datasetObjectId", "consolidatedAnnotation": {"content": {...}}}].
    auto v = json::Parse(inv->payload);
    if (!v || !v->is_array()) {
      why = "the answer is not a JSON array: " + Clip(inv->payload, 200);
      continue;
    }
    std::vector<std::optional<boost::json::object>> contents(batch.objects.size());
    why.clear();
    const auto& arr = v->get_array();
    for (size_t k = 0; k < arr.size() && why.empty(); ++k) {
      const std::string at = "answer[" + std::to_string(k) + "]";
      if (!arr[k].is_object()) {
        why = at + " is not an object";
        break;
      }
      const auto& o = arr[k].get_object();
      const auto* id = o.if_contains("datasetObjectId");
      std::string id_text = !id                 ? std::string()
                            : id->is_string()   ? std::string(id->get_string())
                            : id->is_int64()    ? std::to_string(id->get_int64())
                                                : std::string();
      if (id_text.empty()) {
        why = at + ".datasetObjectId is missing or not a string";
        break;
      }
      auto place = position.find(id_text);
      if (place == position.end()) {
        why = at + ".datasetObjectId '" + id_text + "' is not a data object of this batch";
        break;
      }
      const auto* ca = o.if_contains("consolidatedAnnotation");
      const auto* content = ca && ca->is_object() ? ca->get_object().if_contains("content") : nullptr;
      if (!content || !content->is_object()) {
        why = at + ".consolidatedAnnotation.content is missing or not an object";
        break;
      }
      contents[place->second] = content->get_object();
    }
    if (!why.empty()) continue;
    for (size_t i = 0; i < contents.size(); ++i) {
      const std::string object = std::to_string(batch.objects[i].first);
      if (!contents[i]) {
        results[i] = InvalidArgument("consolidation function " + c.acs_hook_arn +
                                     " returned no annotation for data object " + object);
        continue;
      }
      const auto& content = *contents[i];
      const auto* label = content.if_contains(attr);
      if (!label) {
        results[i] = InvalidArgument("consolidation function " + c.acs_hook_arn +
                                     " answered for data object " + object +
                                     " without consolidatedAnnotation.content." + attr);
        continue;
      }
      boost::json::object out;
      out[attr] = *label;
      const auto* meta = content.if_contains(attr + "-metadata");
      if (meta && meta->is_object()) {
        out[attr + "-metadata"] = *meta;
      } else {
        boost::json::object m;
        m["type"] = "groundtruth/custom";
        m["job-name"] = tasktypes::MetadataJobName(job.name);
        m["human-annotated"] = "yes";
        m["creation-date"] = FormatIsoMicros(batch.now);
        out[attr + "-metadata"] = std::move(m);
      }
      results[i] = std::move(out);
    }
    return results;
  }
  spdlog::warn("job {}: consolidation function {} failed: {}", job.name, c.acs_hook_arn, why);
  fail_all("after " + std::to_string(kAttempts) + " attempts: " + why);
  return results;
}

}  // namespace plumbline::labeling
