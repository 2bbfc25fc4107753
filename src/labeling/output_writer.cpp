#include "labeling/output_writer.hpp"

#include <boost/json.hpp>

#include "common/clock.hpp"
#include "common/json.hpp"
#include "labeling/job_config.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"
#include "tasktypes/tasktypes.hpp"

namespace plumbline::labeling {

std::string OutputLine(const store::DataObject& o, const std::string& attr,
                       const std::string& job_name, const std::string& task_type) {
  // Unlabeled, or needing no label (a custom pre-annotation function's
  // isHumanAnnotationRequired false): the line unchanged.
  if (o.state == store::ObjectState::kAvailable || o.state == store::ObjectState::kSkipped)
    return o.line;
  auto line = json::Parse(o.line);
  if (!line || !line->is_object()) return o.line;
  auto& obj = line->as_object();
  const tasktypes::TaskType* type = tasktypes::Find(task_type);
  if (o.state == store::ObjectState::kLabeled) {
    auto content = json::Parse(o.label_json);
    if (content && content->is_object()) {
      if (type)
        type->AddLabel(obj, content->get_object(), attr);
      else
        tasktypes::AddLabelMembers(obj, content->get_object(), attr);
    }
  } else if (type) {
    type->AddFailure(obj, attr, job_name, o.failure_reason);
  } else {
    tasktypes::AddFailureMetadata(obj, attr, job_name, o.failure_reason,
                                  tasktypes::OutputType(task_type));
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
  return WriteManifest(
      job, store, objects,
      storage::JoinUri(OutputRoot(job), "manifests/intermediate/1/output.manifest"));
}

Status WriteOutputManifests(const store::Job& job, store::Store& store,
                            storage::ObjectStore& objects) {
  PLB_TRY(WriteIntermediateManifest(job, store, objects));
  return WriteManifest(job, store, objects,
                       storage::JoinUri(OutputRoot(job), "manifests/output/output.manifest"));
}

// ------------------------------------------------ consolidation batch files
ConsolidationFiles::ConsolidationFiles(std::string root, std::string stamp)
    : root_(std::move(root)), stamp_(std::move(stamp)) {}

void ConsolidationFiles::AddObject(const store::DataObject& object,
                                   const std::vector<WorkerAnswer>& answers) {
  ++objects_;
  // The consolidation request's dataObject (spec §4.2): the text or the URI.
  boost::json::object data_object;
  if (auto line = json::Parse(object.line); line && line->is_object()) {
    const auto& lo = line->get_object();
    if (auto s = lo.find("source"); s != lo.end())
      data_object["content"] = s->value();
    else if (auto r = lo.find("source-ref"); r != lo.end())
      data_object["s3Uri"] = r->value();
  }
  boost::json::array worker_answers, annotations;
  for (const auto& w : answers) {
    const store::Assignment& a = *w.assignment;
    // The worker-response file (spec §6.4.3).
    boost::json::object wa;
    wa["acceptanceTime"] = FormatIsoMillisZ(FromEpochMs(a.accepted_ms));
    wa["answerContent"] = w.content;
    wa["submissionTime"] = FormatIsoMillisZ(FromEpochMs(a.submitted_ms));
    wa["timeSpentInSeconds"] = a.time_spent_s;
    wa["workerId"] = w.worker_id;
    boost::json::object identity;
    identity["identityProviderType"] = "Oidc";
    identity["issuer"] = "plumbline";
    identity["sub"] = w.sub;
    boost::json::object meta;
    meta["identityData"] = std::move(identity);
    wa["workerMetadata"] = std::move(meta);
    worker_answers.push_back(std::move(wa));
    // The consolidation request carries the answer as a string (spec §4.2).
    boost::json::object ann;
    ann["workerId"] = w.worker_id;
    boost::json::object ad;
    ad["content"] = a.answer_json;
    ann["annotationData"] = std::move(ad);
    annotations.push_back(std::move(ann));
  }
  boost::json::object wr;
  wr["answers"] = std::move(worker_answers);
  files_.emplace_back(
      storage::JoinUri(root_, "annotations/worker-response/iteration-1/" +
                                  std::to_string(object.index) + "/" + stamp_ + ".json"),
      json::Serialize(wr));
  boost::json::object req;
  req["datasetObjectId"] = std::to_string(object.index);
  req["dataObject"] = std::move(data_object);
  req["annotations"] = std::move(annotations);
  request_.push_back(std::move(req));
}

void ConsolidationFiles::AddResult(int64_t index, const boost::json::object& content) {
  boost::json::object resp;
  resp["datasetObjectId"] = std::to_string(index);
  boost::json::object ca;
  ca["content"] = content;
  resp["consolidatedAnnotation"] = std::move(ca);
  response_.push_back(std::move(resp));
}

std::pair<std::string, std::string> ConsolidationFiles::Request() const {
  return {storage::JoinUri(root_, "annotations/consolidated-annotation/") +
              "consolidation-request/iteration-1/" + stamp_ + ".json",
          json::Serialize(request_)};
}

std::vector<std::pair<std::string, std::string>> ConsolidationFiles::Take() {
  if (objects_ > 0) {
    std::string base = storage::JoinUri(root_, "annotations/consolidated-annotation/");
    files_.emplace_back(base + "consolidation-request/iteration-1/" + stamp_ + ".json",
                        json::Serialize(request_));
    files_.emplace_back(base + "consolidation-response/iteration-1/" + stamp_ + ".json",
                        json::Serialize(response_));
  }
  objects_ = 0;
  request_.clear();
  response_.clear();
  return std::exchange(files_, {});
}

}  // namespace plumbline::labeling
