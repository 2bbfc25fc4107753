// The files a job writes under its output path (Ground Truth's layout, spec
// §6.3, §6.4):
//  * the output manifests: every input line in order, with "<attr>" and
//    "<attr>-metadata" added for labeled objects and a metadata object
//    naming the failure for failed ones (streamed from the store; each file
//    appears atomically);
//  * per consolidation batch: one worker-response file per object and the
//    consolidation request and response files (ConsolidationFiles), which
//    the runner writes together.
// Private to labeling/.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "store/store.hpp"

namespace plumbline::storage {
class ObjectStore;
}

namespace plumbline::labeling {

// manifests/output/output.manifest and manifests/intermediate/1/output.manifest.
Status WriteOutputManifests(const store::Job& job, store::Store& store,
                            storage::ObjectStore& objects);
// manifests/intermediate/1/output.manifest only.
Status WriteIntermediateManifest(const store::Job& job, store::Store& store,
                                 storage::ObjectStore& objects);
// One output line for an object of a job of `task_type` (the type's
// AddLabel / AddFailure; a type this build does not run gets the defaults).
std::string OutputLine(const store::DataObject& object, const std::string& label_attribute_name,
                       const std::string& job_name, const std::string& task_type);

// One worker's answer as the batch files show it.
struct WorkerAnswer {
  const store::Assignment* assignment = nullptr;  // times, raw answer
  std::string worker_id;                          // "private.<region>.<hex>"
  std::string sub;                                // the worker's identity subject
  boost::json::value content;                     // the parsed answer (null when unparsable)
};

// The files of one consolidation batch, built object by object.
class ConsolidationFiles {
 public:
  // `root`: the job's output root; `stamp`: the batch's file stamp.
  ConsolidationFiles(std::string root, std::string stamp);
  // An object sent to consolidation: its worker-response file
  // (annotations/worker-response/iteration-1/<index>/<stamp>.json) and its
  // entry in the consolidation request.
  void AddObject(const store::DataObject& object, const std::vector<WorkerAnswer>& answers);
  // A consolidated object's entry in the consolidation response.
  void AddResult(int64_t index, const boost::json::object& content);
  // The consolidation request file as it stands: (uri, content).
  std::pair<std::string, std::string> Request() const;
  // Every file as (uri, content): the worker responses, then the
  // consolidation request and response when an object was added.
  std::vector<std::pair<std::string, std::string>> Take();

 private:
  std::string root_;
  std::string stamp_;
  size_t objects_ = 0;
  std::vector<std::pair<std::string, std::string>> files_;
  boost::json::array request_;
  boost::json::array response_;
};

}  // namespace plumbline::labeling
