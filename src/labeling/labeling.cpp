// LabelingService's construction and the caches every part of it reads: the
// job outputs' stores, the parsed settings per job, the work teams' groups
// and the claim path's jobs. The operations themselves are in jobs.cpp,
// worker_calls.cpp and runner.cpp.
#include "labeling/labeling.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <cstring>

#include "kms/kms.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "labeling/detail/service_impl.hpp"
#include "storage/object_store.hpp"

namespace plumbline::labeling {

using store::Job;
using store::JobStatus;

std::string OutputRoot(const Job& job) {
  JobConfig c = JobConfig::FromJob(job);
  return storage::JoinUri(c.output_path, job.name);
}

std::string LabelingService::WorkerId(const store::User& user, const std::string& region) {
  return "private." + region + "." + user.worker_key;
}

LabelingService::LabelingService(store::Store& store, storage::ObjectStore& objects,
                                 const Clock& clock, Options options)
    : impl_(new Impl{store, objects, clock, std::move(options)}) {
  if (impl_->options.runner_id.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "host");
    impl_->options.runner_id =
        std::string(host) + "-" + std::to_string(::getpid()) + "-" + RandomHex(4);
  }
  if (impl_->options.runner_lease_ms <= 0) impl_->options.runner_lease_ms = 15000;
  Impl* impl = impl_.get();
  impl_->watch = store::ChangeWatch(store.Feed(), store::changes::kTeams | store::changes::kJobs,
                                    [impl](store::ChangeSet changed) { impl->Forget(changed); });
}

LabelingService::~LabelingService() { Shutdown(); }

void LabelingService::SetTemplateValidator(TemplateValidator v) { impl_->validator = std::move(v); }
void LabelingService::SetKeyRing(kms::KeyRing* ring) { impl_->ring = ring; }

void LabelingService::SetFunctions(functions::Registry* registry, RunEnvironment environment) {
  impl_->functions = registry;
  impl_->run_environment = std::move(environment);
}

// ------------------------------------------------------------ job outputs
Result<storage::ObjectStore*> LabelingService::Impl::Out(const Job& job) {
  std::string key = InfoOf(job)->config.kms_key_id;
  if (key.empty() || !ring) return &objects;
  auto it = encrypting.find(job.id);
  if (it != encrypting.end()) return it->second.get();
  PLB_ASSIGN_OR_RETURN(auto out, kms::EncryptingStore(objects, *ring, key));
  return encrypting.emplace(job.id, std::move(out)).first->second.get();
}

Status LabelingService::Impl::CheckOutputKey(const std::string& kms_key_id) {
  if (kms_key_id.empty() || !ring) return {};
  return ring->CheckKeyUsable(kms_key_id);
}

// ---------------------------------------------------- parsed job settings
std::shared_ptr<const LabelingService::Impl::JobInfo> LabelingService::Impl::InfoOf(
    const Job& job) {
  auto make = [&] {
    JobConfig config = JobConfig::FromJob(job);
    const tasktypes::TaskType* type = tasktypes::Find(config.task_type);
    boost::json::array label_objects;
    auto labels = LabelsOf(job, &label_objects);
    return std::make_shared<const JobInfo>(
        JobInfo{std::move(config), std::move(labels), std::move(label_objects), type});
  };
  if (job.status == JobStatus::kInitializing) return make();
  std::lock_guard<std::mutex> lock(info_mu);
  auto it = job_info.find(job.id);
  if (it == job_info.end()) it = job_info.emplace(job.id, make()).first;
  return it->second;
}

std::vector<std::string> LabelingService::Impl::LabelsOf(const Job& job,
                                                        boost::json::array* objects) {
  std::vector<std::string> out;
  auto v = json::Parse(job.labels_json);
  if (v && v->is_array())
    for (const auto& l : v->get_array()) {
      if (l.is_string()) {
        out.emplace_back(l.get_string());
        if (objects) objects->emplace_back(boost::json::object{{"label", l}});
      } else if (l.is_object()) {
        out.emplace_back(json::GetString(l.get_object(), "label").value_or(""));
        if (objects) objects->push_back(l);
      }
    }
  return out;
}

// ------------------------------------------------------------- work teams
Result<std::vector<std::string>> LabelingService::Impl::TeamGroups(const std::string& arn) {
  std::string key = AsciiLower(arn);
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(team_mu);
    if (auto it = team_groups.find(key); it != team_groups.end()) return it->second;
    generation = team_generation;
  }
  PLB_ASSIGN_OR_RETURN(store::Workteam team, store.GetWorkteamByArn(arn));
  std::lock_guard<std::mutex> lock(team_mu);
  if (generation == team_generation) team_groups[key] = team.groups;
  return team.groups;
}

void LabelingService::Impl::ForgetTeams() {
  std::lock_guard<std::mutex> lock(team_mu);
  ++team_generation;
  team_groups.clear();
}

// ------------------------------------------- other processes' changes
// Runs on the store's publishing thread with its feed locked: only takes
// the caches' own locks, which no one holds while calling the store.
void LabelingService::Impl::Forget(store::ChangeSet changed) {
  if (changed & store::changes::kTeams) ForgetTeams();
  if (changed & store::changes::kJobs) {
    std::lock_guard<std::mutex> lock(claim_jobs_mu);
    claim_jobs_by_name.clear();
    claim_jobs_by_id.clear();
  }
}

// ------------------------------------------------ the claim path's jobs
namespace {
template <class Key, class Read>
Result<std::shared_ptr<const Job>> CachedClaimJob(
    std::mutex& mu, std::map<Key, std::shared_ptr<const Job>>& cache, const Key& key, Read read) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  PLB_ASSIGN_OR_RETURN(Job job, read());
  auto shared = std::make_shared<const Job>(std::move(job));
  if (shared->status == JobStatus::kInProgress) {
    std::lock_guard<std::mutex> lock(mu);
    cache[key] = shared;
  }
  return shared;
}
}  // namespace

Result<std::shared_ptr<const Job>> LabelingService::Impl::ClaimJobNamed(const std::string& name) {
  return CachedClaimJob(claim_jobs_mu, claim_jobs_by_name, name,
                        [&] { return store.GetJobByName(name); });
}

Result<std::shared_ptr<const Job>> LabelingService::Impl::ClaimJobWithId(int64_t id) {
  return CachedClaimJob(claim_jobs_mu, claim_jobs_by_id, id, [&] { return store.GetJob(id); });
}

}  // namespace plumbline::labeling
