// `plumbline serve --demo`: a labeling job ready to work on in a new data
// dir — the seed example (three categories, seven sentences) as a job on a
// demo work team with a demo worker, so a newcomer labels a minute after
// cloning. Idempotent: a data dir that already has the demo job is left alone.
#pragma once

#include <string>

#include "common/result.hpp"
#include "identity/identity.hpp"
#include "labeling/labeling.hpp"
#include "storage/object_store.hpp"

namespace plumbline::cli {

struct DemoAccount {
  std::string username = "demo";
  std::string password = "demo-password";
  std::string job_name = "demo-job";
};

Status SetUpDemo(identity::Identity& identity, storage::ObjectStore& objects,
                 labeling::LabelingService& service, const DemoAccount& account);

}  // namespace plumbline::cli
