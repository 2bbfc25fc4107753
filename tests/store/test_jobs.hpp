// Jobs and objects for the store tests: a job in progress with the fields a
// store requires, and such a job with its objects inserted and released.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace plumbline::store::test_jobs {

// A job in progress named `name`, created and modified at 1000 ms.
inline Job InProgressJob(const std::string& name, int64_t workers_per_object = 1) {
  Job j;
  j.name = name;
  j.arn = "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/" + name;
  j.request_json = "{}";
  j.workteam_arn = "arn:team";
  j.job_reference_code = "x";
  j.created_ms = j.modified_ms = 1000;
  j.workers_per_object = workers_per_object;
  j.status = JobStatus::kInProgress;
  return j;
}

// Creates InProgressJob(name) with `objects` objects (line {"source":"<i>"})
// and releases the first `window` of them (all when negative); its id.
inline int64_t MakeReleasedJob(Store& store, const std::string& name, int objects,
                               int64_t workers_per_object = 1, int window = -1) {
  const int64_t id = store.CreateJob(InProgressJob(name, workers_per_object)).value().id;
  std::vector<DataObject> objs;
  for (int i = 0; i < objects; ++i) {
    DataObject o;
    o.index = i;
    o.line = "{\"source\":\"" + std::to_string(i) + "\"}";
    objs.push_back(o);
  }
  EXPECT_TRUE(store.InsertObjects(id, objs, 1000));
  EXPECT_TRUE(store.ReleaseObjects(id, window < 0 ? objects : window, 1000));
  return id;
}

}  // namespace plumbline::store::test_jobs
