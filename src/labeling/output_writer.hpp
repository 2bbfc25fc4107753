// Writes a job's output manifests (Ground Truth's layout): every input line
// in order, with "<attr>" and "<attr>-metadata" added for labeled objects and
// a metadata object naming the failure for failed ones. Streams objects from
// the store; each file appears atomically. Private to labeling/.
#pragma once

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
// One output line for an object.
std::string OutputLine(const store::DataObject& object, const std::string& label_attribute_name,
                       const std::string& job_name, const std::string& task_type);

}  // namespace plumbline::labeling
