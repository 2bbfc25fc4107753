#include "labeling/labeling.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/await.hpp"
#include "common/ids.hpp"
#include "common/thread_name.hpp"
#include "kms/kms.hpp"
#include "common/json.hpp"
#include "labeling/job_config.hpp"
#include "labeling/output_writer.hpp"
#include "storage/object_store.hpp"
#include "tasktypes/tasktypes.hpp"

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

struct LabelingService::Impl {
  store::Store& store;
  storage::ObjectStore& objects;
  const Clock& clock;
  Options options;
  TemplateRenderer renderer;
  TemplateValidator validator;
  kms::KeyRing* ring = nullptr;
  LabelingService::OutputStoreFactory output_store_factory;
  // Per job with a KmsKeyId: the store every output file is written through
  // (encrypting), over the job's destination store.
  struct JobOutput {
    std::unique_ptr<storage::ObjectStore> destination;  // null: `objects`
    std::unique_ptr<storage::ObjectStore> encrypting;
  };
  std::map<int64_t, JobOutput> encrypting;

  // Where a job's outputs are written: encrypting when the job names a key.
  Result<storage::ObjectStore*> Out(const Job& job) {
    std::string key = InfoOf(job)->config.kms_key_id;
    if (key.empty() || !ring) return &objects;
    auto it = encrypting.find(job.id);
    if (it != encrypting.end()) return it->second.encrypting.get();
    JobOutput out;
    if (output_store_factory) out.destination = output_store_factory(key);
    storage::ObjectStore& base = out.destination ? *out.destination : objects;
    PLB_ASSIGN_OR_RETURN(out.encrypting, kms::EncryptingStore(base, *ring, key));
    return encrypting.emplace(job.id, std::move(out)).first->second.encrypting.get();
  }

  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  bool wake = false;
  std::thread thread;
  // Second of the last consolidation batch per job: file names carry the
  // second, so batches of one job are at least a second apart.
  std::map<int64_t, int64_t> last_batch_second;
  // Per job: when the intermediate manifest was last written and how long that took (ms).
  std::map<int64_t, std::pair<int64_t, int64_t>> last_intermediate;
  // Per job: the answers of objects consolidated so far, reduced to classes
  // (consolidation's history). Loaded from the store on first use, so a
  // restart rebuilds it; only the runner thread touches it.
  std::map<int64_t, std::vector<tasktypes::ClassAnswer>> history;

  std::vector<tasktypes::ClassAnswer>& HistoryOf(const Job& job, const std::vector<std::string>& labels,
                                                  const std::string& region) {
    auto it = history.find(job.id);
    if (it != history.end()) return it->second;
    std::vector<tasktypes::ClassAnswer> h;
    std::map<int64_t, std::string> worker_ids;
    (void)store.ForEachLabeledAnswer(job.id, [&](const store::Assignment& a) {
      auto content = json::Parse(a.answer_json);
      if (!content) return;
      auto k = tasktypes::AnswerClass(*content, labels);
      if (!k) return;
      auto w = worker_ids.find(a.user_id);
      if (w == worker_ids.end()) {
        auto user = store.GetUser(a.user_id);
        w = worker_ids.emplace(a.user_id, user ? LabelingService::WorkerId(*user, region) : "unknown").first;
      }
      h.push_back({a.object_index, w->second, *k});
    });
    return history.emplace(job.id, std::move(h)).first->second;
  }

  int64_t NowMs() const { return ToEpochMs(clock.Now()); }

  // Parsed settings per job, for the request paths: the stored request never
  // changes and the labels are fixed once the job is in progress.
  struct JobInfo {
    JobConfig config;
    std::vector<std::string> labels;
  };
  std::mutex info_mu;
  std::map<int64_t, std::shared_ptr<const JobInfo>> job_info;
  std::shared_ptr<const JobInfo> InfoOf(const Job& job) {
    auto make = [&] {
      return std::make_shared<const JobInfo>(JobInfo{JobConfig::FromJob(job), LabelsOf(job)});
    };
    if (job.status == JobStatus::kInitializing) return make();
    std::lock_guard<std::mutex> lock(info_mu);
    auto it = job_info.find(job.id);
    if (it == job_info.end()) it = job_info.emplace(job.id, make()).first;
    return it->second;
  }

  // Work team groups by lower-case ARN. Teams change only through this
  // service: Update/DeleteWorkteam drop the cache, and a lookup that read
  // the store before such a change does not put what it read back.
  std::mutex team_mu;
  std::map<std::string, std::vector<std::string>> team_groups;
  uint64_t team_generation = 0;
  Result<std::vector<std::string>> TeamGroups(const std::string& arn) {
    std::string key = arn;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
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
  void ForgetTeams() {
    std::lock_guard<std::mutex> lock(team_mu);
    ++team_generation;
    team_groups.clear();
  }

  // The claim path (defined with the worker calls below).
  Result<std::shared_ptr<const Job>> ClaimableJob(const store::User& worker,
                                                  std::shared_ptr<const Job> job);

  // Jobs as the claim path reads them, kept once seen in progress: what a
  // claim uses from them (name, settings, template, object count) no
  // longer changes then, and the claim's transaction reads the status and
  // counters that do.
  std::mutex claim_jobs_mu;
  std::map<std::string, std::shared_ptr<const Job>> claim_jobs_by_name;
  std::map<int64_t, std::shared_ptr<const Job>> claim_jobs_by_id;
  template <class Key, class Read>
  Result<std::shared_ptr<const Job>> ClaimJob(std::map<Key, std::shared_ptr<const Job>>& cache,
                                              const Key& key, Read read) {
    {
      std::lock_guard<std::mutex> lock(claim_jobs_mu);
      if (auto it = cache.find(key); it != cache.end()) return it->second;
    }
    PLB_ASSIGN_OR_RETURN(Job job, read());
    auto shared = std::make_shared<const Job>(std::move(job));
    if (shared->status == JobStatus::kInProgress) {
      std::lock_guard<std::mutex> lock(claim_jobs_mu);
      cache[key] = shared;
    }
    return shared;
  }
  Result<std::shared_ptr<const Job>> ClaimJobNamed(const std::string& name) {
    return ClaimJob(claim_jobs_by_name, name, [&] { return store.GetJobByName(name); });
  }
  Result<std::shared_ptr<const Job>> ClaimJobWithId(int64_t id) {
    return ClaimJob(claim_jobs_by_id, id, [&] { return store.GetJob(id); });
  }
  Result<ClaimedTask> TaskOf(const Job& job, const JobInfo& info,
                             const store::Assignment& assignment);

  // ---------------------------------------------------------------- runner
  void Ingest(Job job) {
    JobConfig c = JobConfig::FromJob(job);
    auto fail = [&](const std::string& reason) {
      spdlog::warn("job {} failed: {}", job.name, reason);
      (void)store.SetJobStatus(job.id, JobStatus::kFailed, reason.substr(0, 1024), NowMs());
    };
    // Inputs first: labels and template, kept in the store from now on.
    auto label_text = objects.ReadAll(c.label_category_uri);
    if (!label_text)
      return fail("ClientError: cannot read the label category configuration: " +
                  label_text.error().message);
    auto labels = tasktypes::ParseLabelCategories(*label_text, c.task_type);
    if (!labels) return fail("ClientError: " + c.label_category_uri + ": " + labels.error().message);
    auto tmpl = objects.ReadAll(c.template_uri);
    if (!tmpl) return fail("ClientError: cannot read the task template: " + tmpl.error().message);
    boost::json::array label_array;
    for (const auto& l : *labels) label_array.emplace_back(l);
    if (auto s = store.SetJobInputs(job.id, json::Serialize(label_array), *tmpl); !s)
      return;  // the store is unavailable; the next pass retries
    auto out = Out(job);
    if (!out) return fail("ClientError: the output KMS key cannot be used: " + out.error().message);
    (void)(*out)->WriteAll(storage::JoinUri(OutputRoot(job), "annotation-tool/data.json"),
                           *label_text);

    // The manifest, streamed: bounded memory whatever its length.
    if (auto s = store.DeleteObjects(job.id); !s) return;
    auto reader = objects.OpenRead(c.manifest_uri);
    if (!reader) return fail("ClientError: cannot read the input manifest: " + reader.error().message);
    storage::LineReader lines(std::move(*reader), 16u << 20);
    std::vector<store::DataObject> batch;
    batch.reserve(options.ingest_batch);
    boost::json::parser parser;
    int64_t index = 0;
    std::string_view line;
    for (;;) {
      auto more = lines.Next(&line);
      if (!more) return fail("ClientError: input manifest: " + more.error().message);
      if (!*more) break;
      size_t first = line.find_first_not_of(" \t");
      if (first == std::string_view::npos) continue;  // blank lines are skipped
      store::DataObject o;
      o.index = index++;
      o.line = std::string(line);
      boost::system::error_code ec;
      parser.reset();
      parser.write(line, ec);
      if (ec)
        return fail("ClientError: line " + std::to_string(lines.line_number()) +
                    " of the input manifest is not valid JSON (" + ec.message() + ")");
      boost::json::value v = parser.release();
      if (!v.is_object())
        return fail("ClientError: line " + std::to_string(lines.line_number()) +
                    " of the input manifest is not a JSON object");
      const auto& obj = v.get_object();
      if (line.size() > options.max_line_chars) {
        o.state = store::ObjectState::kFailed;
        o.failure_reason = "ClientError: the manifest line is longer than " +
                           std::to_string(options.max_line_chars) + " characters";
      } else if (!obj.contains("source") && !obj.contains("source-ref")) {
        o.state = store::ObjectState::kFailed;
        o.failure_reason = "ClientError: the manifest line has neither source nor source-ref";
      }
      batch.push_back(std::move(o));
      if (batch.size() >= options.ingest_batch) {
        if (auto s = store.InsertObjects(job.id, batch, NowMs()); !s) return;
        batch.clear();
      }
    }
    if (!batch.empty())
      if (auto s = store.InsertObjects(job.id, batch, NowMs()); !s) return;
    if (index == 0) return fail("ClientError: the input manifest has no data objects");
    // Stop may have arrived meanwhile: only move on from Initializing.
    // The first MaxConcurrentTaskCount objects go out to workers.
    if (auto s = store.ReleaseObjects(job.id, c.max_concurrent_tasks, NowMs()); !s) return;
    auto now = store.GetJob(job.id);
    if (now && now->status == JobStatus::kInitializing)
      (void)store.SetJobStatus(job.id, JobStatus::kInProgress, "", NowMs());
    spdlog::info("job {} read {} objects from {}", job.name, index, c.manifest_uri);
  }

  // Consolidates objects whose answers are all in. Returns false when the
  // pass must wait (one batch per second per job).
  // `only`: consolidate these objects (whatever their answer count) instead
  // of those whose N answers are in.
  bool ConsolidateReady(const Job& job, const std::vector<int64_t>* only = nullptr) {
    auto info = InfoOf(job);
    const JobConfig& c = info->config;
    TimePoint now = clock.Now();
    int64_t second = ToEpochMs(now) / 1000;
    auto ready = only ? Result<std::vector<int64_t>>(*only)
                      : store.ObjectsReadyToConsolidate(job.id, 1000);
    if (!ready || ready->empty()) return true;
    auto it = last_batch_second.find(job.id);
    if (it != last_batch_second.end() && it->second == second) return false;
    last_batch_second[job.id] = second;

    const std::vector<std::string>& labels = info->labels;
    std::string root = storage::JoinUri(c.output_path, job.name);
    auto out_store = Out(job);
    if (!out_store) {
      spdlog::error("job {}: {}", job.name, out_store.error().message);
      return true;
    }
    storage::ObjectStore& out = **out_store;
    std::string stamp = FormatFileStamp(now);
    std::string region = c.region;
    boost::json::array request_payload, response_payload;
    struct Done {
      int64_t index;
      bool ok;
      std::string label_json;
      std::string reason;
      int64_t batch_pos = -1;  // its place in the ACS batch; -1: not consolidated
    };
    std::vector<Done> done;
    tasktypes::BatchInput batch;
    // Every file of the batch, written together (one sync for the batch).
    std::vector<std::pair<std::string, std::string>> files;
    files.reserve(ready->size() + 2);
    std::map<int64_t, Result<store::User>> users;  // each worker looked up once per batch
    auto objects_read = store.GetObjectsWithAnswers(job.id, *ready);
    if (!objects_read) return true;  // retried on the next pass
    for (const auto& [obj, object_answers] : *objects_read) {
      int64_t idx = obj.index;
      const auto* answers = &object_answers;
      if (answers->empty()) {
        // Every place was declined: nothing to consolidate (not sent to the ACS).
        done.push_back({idx, false, "", "ClientError: every worker offered the object declined it"});
        continue;
      }
      auto line = json::Parse(obj.line);
      boost::json::object data_object;
      if (line && line->is_object()) {
        const auto& lo = line->get_object();
        if (auto s = lo.find("source"); s != lo.end()) data_object["content"] = s->value();
        else if (auto r = lo.find("source-ref"); r != lo.end()) data_object["s3Uri"] = r->value();
      }
      boost::json::array worker_answers, annotations;
      std::vector<tasktypes::Answer> acs_answers;
      for (const auto& a : *answers) {
        auto known = users.find(a.user_id);
        if (known == users.end()) known = users.emplace(a.user_id, store.GetUser(a.user_id)).first;
        const auto& user = known->second;
        std::string worker_id = user ? LabelingService::WorkerId(*user, region) : "unknown";
        auto content = json::Parse(a.answer_json);
        boost::json::value content_value = content ? *content : boost::json::value();
        boost::json::object wa;
        wa["acceptanceTime"] = FormatIsoMillisZ(FromEpochMs(a.accepted_ms));
        wa["answerContent"] = content_value;
        wa["submissionTime"] = FormatIsoMillisZ(FromEpochMs(a.submitted_ms));
        wa["timeSpentInSeconds"] = a.time_spent_s;
        wa["workerId"] = worker_id;
        boost::json::object identity;
        identity["identityProviderType"] = "Oidc";
        identity["issuer"] = "plumbline";
        identity["sub"] = user ? user->sub : "";
        boost::json::object meta;
        meta["identityData"] = std::move(identity);
        wa["workerMetadata"] = std::move(meta);
        worker_answers.push_back(std::move(wa));
        boost::json::object ann;
        ann["workerId"] = worker_id;
        boost::json::object ad;
        ad["content"] = a.answer_json;
        ann["annotationData"] = std::move(ad);
        annotations.push_back(std::move(ann));
        acs_answers.push_back({worker_id, content_value});
      }
      boost::json::object wr;
      wr["answers"] = std::move(worker_answers);
      std::string wr_uri = storage::JoinUri(
          root, "annotations/worker-response/iteration-1/" + std::to_string(idx) + "/" + stamp +
                    ".json");
      files.emplace_back(std::move(wr_uri), json::Serialize(wr));
      boost::json::object req;
      req["datasetObjectId"] = std::to_string(idx);
      req["dataObject"] = std::move(data_object);
      req["annotations"] = std::move(annotations);
      request_payload.push_back(std::move(req));

      batch.batch.push_back({idx, std::move(acs_answers)});
    }
    auto& job_history = HistoryOf(job, labels, region);
    batch.task_type = c.task_type;
    batch.label_attribute_name = c.label_attribute_name;
    batch.job_name = job.name;
    batch.labels = labels;
    batch.now = now;
    batch.history = &job_history;
    auto results = tasktypes::ConsolidateBatch(batch);
    for (size_t i = 0; i < results.size(); ++i) {
      int64_t idx = batch.batch[i].first;
      if (results[i]) {
        boost::json::object resp;
        resp["datasetObjectId"] = std::to_string(idx);
        boost::json::object ca;
        ca["content"] = *results[i];
        resp["consolidatedAnnotation"] = std::move(ca);
        response_payload.push_back(std::move(resp));
        done.push_back({idx, true, json::Serialize(*results[i]), "", static_cast<int64_t>(i)});
      } else {
        done.push_back({idx, false, "", "ClientError: " + results[i].error().message,
                        static_cast<int64_t>(i)});
      }
    }
    std::string base = storage::JoinUri(root, "annotations/consolidated-annotation/");
    if (!batch.batch.empty()) {
      files.emplace_back(base + "consolidation-request/iteration-1/" + stamp + ".json",
                         json::Serialize(request_payload));
      files.emplace_back(base + "consolidation-response/iteration-1/" + stamp + ".json",
                         json::Serialize(response_payload));
    }
    if (auto s = out.WriteAllBatch(files); !s) {
      spdlog::error("job {}: {}", job.name, s.error().message);
      return true;  // retried on the next pass
    }
    std::vector<store::ObjectOutcome> outcomes;
    outcomes.reserve(done.size());
    for (auto& d : done)
      outcomes.push_back({d.index, d.ok ? store::ObjectState::kLabeled : store::ObjectState::kFailed,
                          std::move(d.label_json), std::move(d.reason)});
    auto finished = store.FinishObjects(job.id, outcomes, ToEpochMs(now));
    if (!finished) return true;  // the store is unavailable; the next pass retries
    for (size_t i = 0; i < done.size(); ++i) {
      const auto& d = done[i];
      if (!(*finished)[i] || !d.ok || d.batch_pos < 0) continue;
      for (const auto& a : batch.batch[static_cast<size_t>(d.batch_pos)].second)
        if (auto k = tasktypes::AnswerClass(a.content, labels))
          job_history.push_back({d.index, a.worker_id, *k});
    }
    return true;
  }

  std::vector<std::string> LabelsOf(const Job& job) {
    std::vector<std::string> out;
    auto v = json::Parse(job.labels_json);
    if (v && v->is_array())
      for (const auto& l : v->get_array())
        if (l.is_string()) out.emplace_back(l.get_string());
    return out;
  }

  void Finish(const Job& job, JobStatus final_status) {
    auto out = Out(job);
    if (!out) {
      (void)store.SetJobStatus(job.id, JobStatus::kFailed,
                               "ClientError: the output KMS key cannot be used: " + out.error().message,
                               NowMs());
      return;
    }
    auto s = WriteOutputManifests(job, store, **out);
    if (!s) {
      spdlog::error("job {}: writing the output failed: {}", job.name, s.error().message);
      return;  // retried on the next pass
    }
    (void)store.MarkOutputWritten(job.id, NowMs());
    (void)store.SetJobStatus(job.id, final_status, "", NowMs());
    spdlog::info("job {} is {}", job.name, store::JobStatusName(final_status));
  }

  void Pass() {
    (void)store.ExpireLeases(NowMs());
    store::JobFilter unfinished;
    unfinished.unfinished_only = true;
    auto jobs = store.ListJobs(unfinished);
    if (!jobs) return;
    for (const Job& listed : *jobs) {
      if (listed.status == JobStatus::kInitializing) {
        Ingest(listed);
        continue;
      }
      ConsolidateReady(listed);
      auto job = store.GetJob(listed.id);
      if (!job) continue;
      if (job->status == JobStatus::kStopping) {
        Finish(*job, JobStatus::kStopped);
        continue;
      }
      auto info = InfoOf(*job);
      const JobConfig& c = info->config;
      if (SettleExpired(*job, c)) {
        job = store.GetJob(listed.id);
        if (!job) continue;
      }
      auto open = store.CountAvailable(job->id);
      auto busy = store.CountInProgress(job->id);
      if (open && *open == 0) {
        Finish(*job, JobStatus::kCompleted);
      } else if (c.StoppingConditionMet(*job) && busy && *busy == 0) {
        // A stopping condition: no new objects were started; once the last
        // started one is done the job ends with the output so far.
        Finish(*job, JobStatus::kStopped);
      } else {
        MaybeWriteIntermediate(*job);
      }
    }
  }

  // TaskAvailabilityLifetimeInSeconds after an object's release no task of
  // it is handed out any more: objects with answers are consolidated with
  // what they have, objects without any fail. Objects still leased wait for
  // their lease to end. Returns true when it settled something.
  bool SettleExpired(const Job& job, const JobConfig& c) {
    auto idle = store.ExpiredObjects(job.id, NowMs() - c.availability_lifetime_seconds * 1000, 1000);
    if (!idle || idle->empty()) return false;
    std::vector<int64_t> with_answers;
    std::vector<store::ObjectOutcome> unanswered;
    for (const auto& [idx, answers] : *idle) {
      if (answers > 0) {
        with_answers.push_back(idx);
      } else {
        unanswered.push_back({idx, store::ObjectState::kFailed, "",
                              "ClientError: no worker answered before "
                              "TaskAvailabilityLifetimeInSeconds ran out"});
      }
    }
    if (!unanswered.empty()) (void)store.FinishObjects(job.id, unanswered, NowMs());
    if (!with_answers.empty()) ConsolidateReady(job, &with_answers);
    return true;
  }

  // The intermediate manifest is rewritten every 10 s, or less often when
  // writing it takes long (a large job): at most 5% of the runner's time.
  void MaybeWriteIntermediate(const Job& job) {
    int64_t now = NowMs();
    auto& [last, took] = last_intermediate[job.id];
    if (job.labeled + job.failed == 0 || now - last < std::max<int64_t>(10000, 20 * took)) return;
    auto start = std::chrono::steady_clock::now();
    if (auto out = Out(job)) (void)WriteIntermediateManifest(job, store, **out);
    took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
               .count();
    last = now;
  }

  void Loop() {
    // The runner yields the CPU to the threads answering workers: under load
    // a task handed out sooner matters more than a label consolidated sooner.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 5);
    std::unique_lock<std::mutex> lock(mu);
    while (!stop) {
      lock.unlock();
      try {
        Pass();
      } catch (const std::exception& e) {
        spdlog::error("runner pass failed: {}", e.what());
      }
      lock.lock();
      // At most one pass per 50 ms however often submits wake the runner:
      // under load the passes would otherwise compete with the workers'
      // requests for the store. Idle, a pass every 500 ms expires leases.
      cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return stop; });
      cv.wait_for(lock, std::chrono::milliseconds(450), [&] { return stop || wake; });
      wake = false;
    }
  }
};

LabelingService::LabelingService(store::Store& store, storage::ObjectStore& objects,
                                 const Clock& clock, Options options)
    : impl_(new Impl{store, objects, clock, std::move(options)}) {}

LabelingService::~LabelingService() { Shutdown(); }

void LabelingService::SetTemplateRenderer(TemplateRenderer r) { impl_->renderer = std::move(r); }
void LabelingService::SetTemplateValidator(TemplateValidator v) { impl_->validator = std::move(v); }
void LabelingService::SetKeyRing(kms::KeyRing* ring) { impl_->ring = ring; }
void LabelingService::SetOutputStoreFactory(OutputStoreFactory f) {
  impl_->output_store_factory = std::move(f);
}

void LabelingService::Start() {
  impl_->thread = std::thread([this] {
    NameThisThread("plb-runner");
    impl_->Loop();
  });
}

void LabelingService::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void LabelingService::RunOnce() { impl_->Pass(); }

void LabelingService::Wake() {
  // Only the first wake after a pass signals the runner: under load every
  // submit calls this, and each signal would cost the runner a wake-up.
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->wake) return;
    impl_->wake = true;
  }
  impl_->cv.notify_all();
}

// ------------------------------------------------------------------ jobs
Result<std::string> LabelingService::CreateJob(const boost::json::object& request,
                                               const std::string& region) {
  boost::json::object req = request;
  JobConfig c = JobConfig::FromRequest(req, region);
  // Hooks: built-in PRE/ACS of a task type this build implements.
  auto pre = tasktypes::ParseHookArn(c.pre_hook_arn);
  auto acs = tasktypes::ParseHookArn(c.acs_hook_arn);
  if (!pre.builtin || pre.kind != tasktypes::HookKind::kPre)
    return InvalidArgument("PreHumanTaskLambdaArn " + c.pre_hook_arn +
                           " is not a built-in PRE- function; custom hooks are not supported yet");
  if (!acs.builtin || acs.kind != tasktypes::HookKind::kAcs)
    return InvalidArgument("AnnotationConsolidationLambdaArn " + c.acs_hook_arn +
                           " is not a built-in ACS- function; custom hooks are not supported yet");
  if (pre.task_type != acs.task_type)
    return InvalidArgument("PreHumanTaskLambdaArn (" + pre.task_type +
                           ") and AnnotationConsolidationLambdaArn (" + acs.task_type +
                           ") name different task types");
  if (!tasktypes::IsSupported(pre.task_type))
    return InvalidArgument("task type " + pre.task_type + " is not supported yet");
  if (c.template_uri.empty())
    return InvalidArgument("HumanTaskConfig.UiConfig.UiTemplateS3Uri is required; "
                           "HumanTaskUiArn is not supported yet");
  if (req.contains("LabelingJobAlgorithmsConfig"))
    return InvalidArgument("ClientError: automated data labeling is not supported");
  if (c.manifest_uri.empty())
    return InvalidArgument("InputConfig.DataSource.S3DataSource.ManifestS3Uri is required; "
                           "streaming jobs are not supported yet");
  if (c.label_category_uri.empty())
    return InvalidArgument("LabelCategoryConfigS3Uri is required for " + pre.task_type);
  if (!c.kms_key_id.empty() && impl_->ring) {
    if (auto s = impl_->ring->CheckKeyUsable(c.kms_key_id); !s)
      return InvalidArgument("OutputConfig.KmsKeyId: " + s.error().message);
  }
  auto team = impl_->store.GetWorkteamByArn(c.workteam_arn);
  if (!team) {
    if (team.error().code == ErrorCode::kNotFound)
      return InvalidArgument("Workteam " + c.workteam_arn + " does not exist");
    return team.error();
  }
  // Validate the files now when they are readable; the runner fails the job
  // later when they are not.
  if (auto text = impl_->objects.ReadAll(c.label_category_uri)) {
    if (auto labels = tasktypes::ParseLabelCategories(*text, pre.task_type); !labels)
      return InvalidArgument("LabelCategoryConfigS3Uri " + c.label_category_uri + ": " +
                             labels.error().message);
  }
  if (auto tmpl = impl_->objects.ReadAll(c.template_uri); tmpl && impl_->validator) {
    if (auto s = impl_->validator(*tmpl); !s)
      return InvalidArgument("UiTemplateS3Uri " + c.template_uri + ": " + s.error().message);
  }
  // Defaults Ground Truth fills in and DescribeLabelingJob echoes.
  auto& htc = req["HumanTaskConfig"].as_object();
  if (!htc.contains("MaxConcurrentTaskCount")) htc["MaxConcurrentTaskCount"] = 1000;
  if (!htc.contains("TaskAvailabilityLifetimeInSeconds"))
    htc["TaskAvailabilityLifetimeInSeconds"] = 2592000;
  auto& out = req["OutputConfig"].as_object();
  if (!out.contains("KmsKeyId")) out["KmsKeyId"] = "";

  std::string name = c.job_name;
  std::string lower = name;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  Job job;
  job.name = name;
  job.arn = "arn:aws:sagemaker:" + region + ":" + impl_->options.account_id + ":labeling-job/" + lower;
  job.status = JobStatus::kInitializing;
  job.request_json = json::Serialize(req);
  job.workteam_arn = team->arn;
  job.job_reference_code = impl_->options.account_id + RandomAlnum(16);
  job.workers_per_object = c.workers_per_object;
  job.created_ms = job.modified_ms = impl_->NowMs();
  PLB_ASSIGN_OR_RETURN(Job created, impl_->store.CreateJob(job));
  spdlog::info("job {} created ({})", created.name, created.arn);
  Wake();
  return created.arn;
}

Result<Job> LabelingService::DescribeJob(const std::string& name) {
  return impl_->store.GetJobByName(name);
}

Result<std::vector<Job>> LabelingService::ListJobs(const store::JobFilter& filter) {
  return impl_->store.ListJobs(filter);
}

Status LabelingService::StopJob(const std::string& name) {
  PLB_ASSIGN_OR_RETURN(Job job, impl_->store.GetJobByName(name));
  if (job.status != JobStatus::kInProgress && job.status != JobStatus::kInitializing)
    return Conflict("The labeling job " + job.name + " is not in progress (status " +
                    store::JobStatusName(job.status) + ")");
  PLB_TRY(impl_->store.SetJobStatus(job.id, JobStatus::kStopping, "", impl_->NowMs()));
  Wake();
  return {};
}

// ------------------------------------------------------------ work teams
Result<store::Workteam> LabelingService::CreateWorkteam(const boost::json::object& request,
                                                        const std::string& region) {
  store::Workteam team;
  team.name = json::GetString(request, "WorkteamName").value_or("");
  team.arn = "arn:aws:sagemaker:" + region + ":" + impl_->options.account_id +
             ":workteam/private-crowd/" + team.name;
  team.created_ms = team.updated_ms = impl_->NowMs();
  boost::json::object doc;
  doc["WorkteamName"] = team.name;
  boost::json::array members;
  if (const auto* defs = json::GetArray(request, "MemberDefinitions")) {
    members = *defs;
    for (const auto& d : *defs) {
      if (!d.is_object()) continue;
      if (const auto* oidc = json::GetObject(d.get_object(), "OidcMemberDefinition")) {
        if (const auto* groups = json::GetArray(*oidc, "Groups"))
          for (const auto& g : *groups)
            if (g.is_string()) team.groups.emplace_back(g.get_string());
      }
      // Cognito member definitions map their user group to a Plumbline group.
      if (const auto* cog = json::GetObject(d.get_object(), "CognitoMemberDefinition")) {
        if (auto g = json::GetString(*cog, "UserGroup")) team.groups.push_back(*g);
      }
    }
  }
  doc["MemberDefinitions"] = std::move(members);
  doc["WorkteamArn"] = team.arn;
  doc["WorkforceArn"] =
      "arn:aws:sagemaker:" + region + ":" + impl_->options.account_id + ":workforce/default";
  doc["Description"] = json::GetString(request, "Description").value_or("");
  doc["SubDomain"] = "localhost";
  if (const auto* n = json::GetObject(request, "NotificationConfiguration"))
    doc["NotificationConfiguration"] = *n;
  team.doc_json = json::Serialize(doc);
  auto created = impl_->store.CreateWorkteam(team);
  if (!created && created.error().code == ErrorCode::kAlreadyExists)
    return AlreadyExists("Workteam " + team.name + " already exists");
  return created;
}

Result<store::Workteam> LabelingService::DescribeWorkteam(const std::string& name) {
  return impl_->store.GetWorkteamByName(name);
}
Result<std::vector<store::Workteam>> LabelingService::ListWorkteams() {
  return impl_->store.ListWorkteams();
}
Result<store::Workteam> LabelingService::WorkteamByArn(const std::string& arn) {
  return impl_->store.GetWorkteamByArn(arn);
}

// ------------------------------------------------- work team changes (#6)
Result<store::Workteam> LabelingService::UpdateWorkteam(const boost::json::object& request) {
  PLB_ASSIGN_OR_RETURN(store::Workteam team,
                       impl_->store.GetWorkteamByName(json::GetString(request, "WorkteamName").value_or("")));
  auto parsed = json::Parse(team.doc_json);
  boost::json::object doc = parsed && parsed->is_object() ? parsed->get_object() : boost::json::object();
  if (const auto* defs = json::GetArray(request, "MemberDefinitions")) {
    // Full replacement (spec §1.7): groups not listed any more leave the team.
    team.groups.clear();
    for (const auto& d : *defs) {
      if (!d.is_object()) continue;
      if (const auto* oidc = json::GetObject(d.get_object(), "OidcMemberDefinition"))
        if (const auto* groups = json::GetArray(*oidc, "Groups"))
          for (const auto& g : *groups)
            if (g.is_string()) team.groups.emplace_back(g.get_string());
      if (const auto* cog = json::GetObject(d.get_object(), "CognitoMemberDefinition"))
        if (auto g = json::GetString(*cog, "UserGroup")) team.groups.push_back(*g);
    }
    doc["MemberDefinitions"] = *defs;
  }
  if (auto d = json::GetString(request, "Description")) doc["Description"] = *d;
  if (const auto* n = json::GetObject(request, "NotificationConfiguration"))
    doc["NotificationConfiguration"] = *n;
  if (const auto* w = json::GetObject(request, "WorkerAccessConfiguration"))
    doc["WorkerAccessConfiguration"] = *w;
  team.doc_json = json::Serialize(doc);
  team.updated_ms = impl_->NowMs();
  auto updated = impl_->store.UpdateWorkteam(team);
  impl_->ForgetTeams();
  return updated;
}

Status LabelingService::DeleteWorkteam(const std::string& name) {
  auto s = impl_->store.DeleteWorkteam(name);
  impl_->ForgetTeams();
  return s;
}

// ----------------------------------------------------------------- workers
namespace {
bool InTeam(const store::User& user, const std::vector<std::string>& team_groups) {
  for (const auto& g : user.groups)
    for (const auto& t : team_groups)
      if (g == t) return true;
  return false;
}
}  // namespace

Result<std::vector<WorkerJob>> LabelingService::JobsForWorker(const store::User& worker) {
  store::JobFilter unfinished;
  unfinished.unfinished_only = true;
  PLB_ASSIGN_OR_RETURN(auto jobs, impl_->store.ListJobs(unfinished));
  std::vector<WorkerJob> out;
  std::map<std::string, bool> team_ok;
  for (const auto& job : jobs) {
    if (job.status != JobStatus::kInProgress) continue;
    auto cached = team_ok.find(job.workteam_arn);
    if (cached == team_ok.end()) {
      auto groups = impl_->TeamGroups(job.workteam_arn);
      cached = team_ok.emplace(job.workteam_arn, groups && InTeam(worker, *groups)).first;
    }
    if (!cached->second) continue;
    auto info = impl_->InfoOf(job);
    const JobConfig& c = info->config;
    WorkerJob w;
    w.name = job.name;
    w.title = c.title;
    w.description = c.description;
    w.keywords = c.keywords;
    w.time_limit_seconds = c.time_limit_seconds;
    PLB_ASSIGN_OR_RETURN(w.tasks_available,
                         impl_->store.CountClaimable(job.id, worker.id));
    out.push_back(std::move(w));
  }
  return out;
}

namespace {
// The claim that the job's settings allow now.
store::ClaimRequest ClaimRequestFor(const Job& job, const JobConfig& c, int64_t user_id,
                                    int64_t now_ms) {
  store::ClaimRequest r;
  r.job_id = job.id;
  r.user_id = user_id;
  r.now_ms = now_ms;
  r.lease_ms = c.time_limit_seconds * 1000;
  r.availability_ms = c.availability_lifetime_seconds * 1000;
  // Tasks are available for TaskAvailabilityLifetimeInSeconds; once a
  // stopping condition is met only objects already started are finished
  // (checked in the claim's transaction: `job` may be an earlier copy).
  r.stop_at_labeled = c.StopAtLabeled(job.object_count);
  return r;
}
}  // namespace

// The job a worker may claim in: kPermissionDenied outside its work team;
// null when the job is not in progress (nothing to hand out). A copy kept
// from earlier may have ended since: the claim's transaction checks again.
Result<std::shared_ptr<const Job>> LabelingService::Impl::ClaimableJob(
    const store::User& worker, std::shared_ptr<const Job> job) {
  auto groups = TeamGroups(job->workteam_arn);
  if (!groups && groups.error().code != ErrorCode::kNotFound) return groups.error();
  if (!groups || !InTeam(worker, *groups))
    return PermissionDenied("you are not a member of the work team of job " + job->name);
  if (job->status != JobStatus::kInProgress) return std::shared_ptr<const Job>();
  return job;
}

// A claimed assignment as the worker gets it: the pre-processed task input
// and, when a renderer is installed, the rendered template.
Result<ClaimedTask> LabelingService::Impl::TaskOf(const Job& job, const JobInfo& info,
                                                  const store::Assignment& assignment) {
  PLB_ASSIGN_OR_RETURN(auto line, json::Parse(assignment.object_line));
  if (!line.is_object()) return Internal("object " + std::to_string(assignment.object_index) +
                                         " of job " + job.name + " is not a JSON object");
  PLB_ASSIGN_OR_RETURN(auto input,
                       tasktypes::Preprocess(info.config.task_type, line.as_object(), info.labels));
  ClaimedTask task;
  task.task_id = assignment.id;
  task.job_name = job.name;
  task.task_input = std::move(input);
  task.deadline = FromEpochMs(assignment.deadline_ms);
  if (renderer) {
    PLB_ASSIGN_OR_RETURN(auto html, renderer(job, task.task_input, info.config.time_limit_seconds));
    task.html = std::move(html);
  }
  return task;
}

namespace {
// A call's completion that only returns a value or error already known.
template <class T>
std::function<Result<T>()> Ready(Result<T> r) {
  return [r = std::move(r)] { return r; };
}

// The blocking form of an asynchronous call: waits for `done`, then
// completes the call on this thread.
template <class T, class Start>
Result<T> Wait(Start start) {
  return Await<std::function<Result<T>()>>(std::move(start))();
}
}  // namespace

Result<std::optional<ClaimedTask>> LabelingService::Claim(const store::User& worker,
                                                          const std::string& job_name) {
  return Wait<std::optional<ClaimedTask>>(
      [&](auto done) { ClaimAsync(worker, job_name, std::move(done)); });
}

void LabelingService::ClaimAsync(const store::User& worker, const std::string& job_name,
                                 Then<std::optional<ClaimedTask>> done) {
  using Out = std::optional<ClaimedTask>;
  auto found = impl_->ClaimJobNamed(job_name);
  if (!found) return done(Ready<Out>(found.error()));
  auto job = impl_->ClaimableJob(worker, std::move(*found));
  if (!job) return done(Ready<Out>(job.error()));
  if (!*job) return done(Ready<Out>(Out()));
  std::shared_ptr<const Job> shared = std::move(*job);
  auto info = impl_->InfoOf(*shared);
  Impl* impl = impl_.get();
  impl_->store.ClaimAsync(
      ClaimRequestFor(*shared, info->config, worker.id, impl_->NowMs()),
      [impl, shared, info, done = std::move(done)](Result<std::optional<store::Assignment>> a) {
        done([impl, shared, info, a = std::move(a)]() -> Result<Out> {
          if (!a) return a.error();
          if (!*a) return Out();
          PLB_ASSIGN_OR_RETURN(ClaimedTask task, impl->TaskOf(*shared, *info, **a));
          return Out(std::move(task));
        });
      });
}

Result<store::SubmitOutcome> LabelingService::Submit(const store::User& worker, int64_t task_id,
                                                     const boost::json::value& answer,
                                                     double time_spent_s) {
  return Wait<store::SubmitOutcome>(
      [&](auto done) { SubmitAsync(worker, task_id, answer, time_spent_s, std::move(done)); });
}

void LabelingService::SubmitAsync(const store::User& worker, int64_t task_id,
                                  const boost::json::value& answer, double time_spent_s,
                                  Then<store::SubmitOutcome> done) {
  using Out = store::SubmitOutcome;
  if (!answer.is_object()) return done(Ready<Out>(InvalidArgument("answer must be a JSON object")));
  // One write transaction checks the lease, the owner and the job's status.
  impl_->store.SubmitAsync(task_id, worker.id, json::Serialize(answer), time_spent_s,
                           impl_->NowMs(), [this, done = std::move(done)](Result<Out> outcome) {
                             if (outcome) Wake();
                             done(Ready<Out>(std::move(outcome)));
                           });
}

Result<SubmitAndNext> LabelingService::SubmitAndClaimNext(const store::User& worker,
                                                          int64_t task_id,
                                                          const boost::json::value& answer,
                                                          double time_spent_s) {
  return Wait<SubmitAndNext>([&](auto done) {
    SubmitAndClaimNextAsync(worker, task_id, answer, time_spent_s, std::move(done));
  });
}

void LabelingService::SubmitAndClaimNextAsync(const store::User& worker, int64_t task_id,
                                              const boost::json::value& answer,
                                              double time_spent_s, Then<SubmitAndNext> done) {
  if (!answer.is_object())
    return done(Ready<SubmitAndNext>(InvalidArgument("answer must be a JSON object")));
  // The task's job; whether the task is this worker's, the submit decides
  // in its transaction.
  auto held = impl_->store.GetAssignment(task_id);
  if (!held) return done(Ready<SubmitAndNext>(held.error()));
  auto found = impl_->ClaimJobWithId(held->job_id);
  if (!found) return done(Ready<SubmitAndNext>(found.error()));
  auto job = impl_->ClaimableJob(worker, std::move(*found));
  if (!job || !*job) {
    // Outside the team now, or the job has ended: the submit alone says
    // what became of the answer.
    return SubmitAsync(worker, task_id, answer, time_spent_s,
                       [done = std::move(done)](std::function<Result<store::SubmitOutcome>()> finish) {
                         done([finish]() -> Result<SubmitAndNext> {
                           PLB_ASSIGN_OR_RETURN(auto outcome, finish());
                           return SubmitAndNext{outcome, std::nullopt};
                         });
                       });
  }
  std::shared_ptr<const Job> shared = std::move(*job);
  auto info = impl_->InfoOf(*shared);
  int64_t now = impl_->NowMs();
  Impl* impl = impl_.get();
  // One write transaction: the submit, then the claim of the next task.
  impl_->store.SubmitAndClaimAsync(
      task_id, worker.id, json::Serialize(answer), time_spent_s, now,
      ClaimRequestFor(*shared, info->config, worker.id, now),
      [this, impl, shared, info, done = std::move(done)](Result<store::Store::SubmittedAndClaimed> both) {
        if (both) Wake();
        done([impl, shared, info, both = std::move(both)]() -> Result<SubmitAndNext> {
          if (!both) return both.error();
          SubmitAndNext out;
          out.outcome = both->first;
          if (both->second) {
            PLB_ASSIGN_OR_RETURN(ClaimedTask task, impl->TaskOf(*shared, *info, *both->second));
            out.next = std::move(task);
          }
          return out;
        });
      });
}

Status LabelingService::Release(const store::User& worker, int64_t task_id) {
  return impl_->store.EndLease(task_id, worker.id, store::AssignmentState::kReleased,
                               impl_->NowMs());
}

Status LabelingService::Decline(const store::User& worker, int64_t task_id) {
  return impl_->store.EndLease(task_id, worker.id, store::AssignmentState::kDeclined,
                               impl_->NowMs());
}

}  // namespace plumbline::labeling
