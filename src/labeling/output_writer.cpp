#include "labeling/output_writer.hpp"

#include "common/json.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"

namespace plumbline::labeling {

std::string OutputLine(const store::DataObject& o, const std::string& attr,
                       const std::string& job_name, const std::string& task_type) {
  if (o.state == store::ObjectState::kAvailable) return o.line;  // unlabeled: unchanged
  auto line = json::Parse(o.line);
  if (!line || !line->is_object()) return o.line;
  auto& obj = line->as_object();
  if (o.state == store::ObjectState::kLabeled) {
    auto content = json::Parse(o.label_json);
    if (content && content->is_object()) {
      const auto& c = content->get_object();
      // Keys already present keep their position; new ones are appended.
      if (auto it = c.find(attr); it != c.end()) obj[attr] = it->value();
      if (auto it = c.find(attr + "-metadata"); it != c.end()) obj[attr + "-metadata"] = it->value();
    }
  } else {
    boost::json::object meta;
    meta["failure-reason"] = o.failure_reason;
    meta["job-name"] = tasktypes::MetadataJobName(job_name);
    meta["human-annotated"] = "yes";
    meta["type"] = tasktypes::OutputType(task_type);
    // No label for a failed object (boost's erase would reorder the keys).
    boost::json::object kept;
    for (const auto& kv : obj)
      if (kv.key() != attr) kept.emplace(kv.key(), kv.value());
    kept[attr + "-metadata"] = std::move(meta);
    obj = std::move(kept);
  }
  return json::Serialize(*line);
}

namespace {
Status WriteManifest(const store::Job& job, store::Store& store, storage::ObjectStore& objects,
                     const std::string& uri) {
  JobConfig c = JobConfig::FromJob(job);
  PLB_ASSIGN_OR_RETURN(auto writer, objects.OpenWrite(uri));
  Status status;
  std::string buf;
  PLB_TRY(store.ForEachObject(job.id, [&](const store::DataObject& o) {
    if (!status) return;
    buf += OutputLine(o, c.label_attribute_name, job.name, c.task_type);
    buf += '\n';
    if (buf.size() > (1u << 20)) {
      status = writer->Append(buf);
      buf.clear();
    }
  }));
  PLB_TRY(status);
  PLB_TRY(writer->Append(buf));
  return writer->Commit();
}
}  // namespace

Status WriteIntermediateManifest(const store::Job& job, store::Store& store,
                                 storage::ObjectStore& objects) {
  return WriteManifest(job, store, objects,
                       storage::JoinUri(OutputRoot(job), "manifests/intermediate/1/output.manifest"));
}

Status WriteOutputManifests(const store::Job& job, store::Store& store,
                            storage::ObjectStore& objects) {
  PLB_TRY(WriteIntermediateManifest(job, store, objects));
  return WriteManifest(job, store, objects,
                       storage::JoinUri(OutputRoot(job), "manifests/output/output.manifest"));
}

}  // namespace plumbline::labeling
