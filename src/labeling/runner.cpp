// The runner: one pass ingests new jobs' manifests, expires leases,
// consolidates the objects whose answers are in, settles objects whose
// availability ran out and finishes jobs; a thread runs passes between
// Start() and Shutdown(). With several servers on one database, a job is
// worked on by the runner holding its lease in the store (see
// Options::runner_lease_ms).
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <map>

#include "common/json.hpp"
#include "common/thread_name.hpp"
#include "functions/functions.hpp"
#include "labeling/detail/service_impl.hpp"
#include "labeling/labeling.hpp"
#include "labeling/output_writer.hpp"
#include "storage/object_store.hpp"

namespace plumbline::labeling {

using store::Job;
using store::JobStatus;

void LabelingService::Impl::Ingest(Job job) {
  JobConfig c = JobConfig::FromJob(job);
  // Every write of the ingest is made under the job's lease: a runner that
  // lost it meanwhile changes nothing (and stops at its next write).
  const store::LeaseFence fence = FenceOf(job.id);
  auto fail = [&](const std::string& reason) {
    spdlog::warn("job {} failed: {}", job.name, reason);
    (void)Fenced(job.id, store.SetJobStatus(job.id, JobStatus::kFailed, reason.substr(0, 1024),
                                            NowMs(), &fence));
  };
  // Inputs first: labels and template, kept in the store from now on. A
  // custom workflow without a built-in side has no task type; its label
  // file is optional (the consolidation function then gets null labels).
  const tasktypes::TaskType* type = nullptr;
  if (!c.task_type.empty()) {
    type = tasktypes::Find(c.task_type);
    if (!type) return fail("ClientError: task type " + c.task_type + " is not supported");
  }
  std::string label_text;
  std::vector<std::string> labels;
  boost::json::array label_array;
  if (!c.label_category_uri.empty()) {
    auto text = objects.ReadAll(c.label_category_uri);
    if (!text)
      return fail("ClientError: cannot read the label category configuration: " +
                  text.error().message);
    label_text = std::move(*text);
    if (type) {
      auto parsed = type->ParseLabelCategories(label_text);
      if (!parsed) return fail("ClientError: " + c.label_category_uri + ": " + parsed.error().message);
      labels = std::move(*parsed);
    }
    // The labels as the file's objects: outputs such as NER's repeat them.
    auto objects_of = tasktypes::LabelCategoryObjects(label_text);
    if (!objects_of) return fail("ClientError: " + objects_of.error().message);
    label_array = std::move(*objects_of);
    if (!type)
      for (const auto& l : label_array)
        if (l.is_object())
          if (auto name = json::GetString(l.get_object(), "label")) labels.push_back(*name);
  }
  // A hosted worker UI (HumanTaskUiArn) is a template made from the label file.
  auto tmpl = c.human_task_ui_arn.empty()
                  ? objects.ReadAll(c.template_uri)
                  : tasktypes::HostedUiTemplate(c.human_task_ui_arn, c.task_type, label_text);
  if (!tmpl) return fail("ClientError: cannot read the task template: " + tmpl.error().message);
  if (auto s =
          Fenced(job.id, store.SetJobInputs(job.id, json::Serialize(label_array), *tmpl, &fence));
      !s)
    return;  // the store is unavailable (the next pass retries) or the lease is lost
  auto out = Out(job);
  if (!out) return fail("ClientError: the output KMS key cannot be used: " + out.error().message);
  if (!c.label_category_uri.empty())
    (void)(*out)->WriteAll(storage::JoinUri(OutputRoot(job), "annotation-tool/data.json"),
                           label_text);

  // The manifest, streamed: bounded memory whatever its length.
  if (auto s = Fenced(job.id, store.DeleteObjects(job.id, &fence)); !s) return;
  auto reader = objects.OpenRead(c.manifest_uri);
  if (!reader)
    return fail("ClientError: cannot read the input manifest: " + reader.error().message);
  storage::LineReader lines(std::move(*reader), 16u << 20);
  std::vector<store::DataObject> batch;
  batch.reserve(options.ingest_batch);
  // Each batch is stored while the next one is read and pre-processed: the
  // store's commit and the runner's parsing overlap instead of taking turns.
  // At most one insert is in flight, so objects still go in in index order.
  std::future<Status> storing;
  auto store_batch = [&]() -> bool {
    // The store is unavailable, or the lease is lost.
    if (storing.valid() && !Fenced(job.id, storing.get())) return false;
    storing = std::async(std::launch::async,
                         [this, id = job.id, objects = std::move(batch), now = NowMs(), fence] {
                           return store.InsertObjects(id, objects, now, &fence);
                         });
    batch = {};
    batch.reserve(options.ingest_batch);
    return true;
  };
  boost::json::parser parser;
  int64_t index = 0, carried = 0;
  const bool audit = tasktypes::AuditsEarlierLabels(c.task_type);
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
    if (audit)
      if (auto collision =
              tasktypes::AuditAttributeCollision(obj, c.label_attribute_name, c.task_type))
        return fail("ClientError: line " + std::to_string(lines.line_number()) +
                    " of the input manifest: " + *collision);
    if (tasktypes::CarriesLabel(obj, c.label_attribute_name)) {
      // Labeled by an earlier job under this name: passed through unchanged,
      // outside this job's counters (spec §5.5).
      o.state = store::ObjectState::kSkipped;
      ++carried;
    } else if (line.size() > options.max_line_chars) {
      o.state = store::ObjectState::kFailed;
      o.failure_reason = "ClientError: the manifest line is longer than " +
                         std::to_string(options.max_line_chars) + " characters";
    } else if (c.custom_pre) {
      // The custom pre-annotation function gives the task input, on the
      // function's workers (PreprocessPending), not here line by line.
    } else if (auto input = TaskInputOf(*type, labels, obj, line)) {
      // Pre-processed once, here: claims only read the stored input.
      o.task_input_json = std::move(*input);
    } else {
      o.state = store::ObjectState::kFailed;
      o.failure_reason = std::move(input.error().message);
    }
    batch.push_back(std::move(o));
    if (batch.size() >= options.ingest_batch && !store_batch()) return;
  }
  if (!batch.empty() && !store_batch()) return;
  if (storing.valid() && !Fenced(job.id, storing.get())) return;  // the next pass retries
  if (index == 0) return fail("ClientError: the input manifest has no data objects");
  // Stop may have arrived meanwhile: only move on from Initializing.
  // The first MaxConcurrentTaskCount objects go out to workers.
  if (auto s =
          Fenced(job.id, store.ReleaseObjects(job.id, c.max_concurrent_tasks, NowMs(), &fence));
      !s)
    return;
  auto now = store.GetJob(job.id);
  if (now && now->status == JobStatus::kInitializing)
    if (auto s =
            Fenced(job.id, store.SetJobStatus(job.id, JobStatus::kInProgress, "", NowMs(), &fence));
        !s)
      return;
  if (carried)
    spdlog::info("job {} read {} objects from {}; {} already labeled as {} pass through", job.name,
                 index, c.manifest_uri, carried, c.label_attribute_name);
  else
    spdlog::info("job {} read {} objects from {}", job.name, index, c.manifest_uri);
}

// Pre-processing (PRE): the template's task input for one manifest line.
// A line the type cannot label fails alone, with Ground Truth's ClientError
// reason; the job goes on.
Result<std::string> LabelingService::Impl::TaskInputOf(const tasktypes::TaskType& type,
                                                       const std::vector<std::string>& labels,
                                                       const boost::json::object& line,
                                                       std::string_view line_text) {
  if (!line.contains("source") && !line.contains("source-ref"))
    return InvalidArgument("ClientError: the manifest line has neither source nor source-ref");
  auto input = type.PreprocessJson(line, line_text, labels);
  if (!input) return InvalidArgument("ClientError: pre-processing failed: " + input.error().message);
  return input;
}

// Objects stored without a task input: those of jobs ingested before task
// inputs were stored (the migration added the column empty). Each pass
// pre-processes a bounded number of them, so that other jobs are not held
// up; claims pass over them until then. This is also where a slow custom
// pre-annotation function will run.
void LabelingService::Impl::PreprocessPending(const Job& job) {
  constexpr size_t kBatch = 1000;
  constexpr int kBatchesPerPass = 20;
  auto info = InfoOf(job);
  if (info->config.custom_pre) return PreprocessWithFunction(job, *info);
  if (!info->type) return;  // logged by consolidation; nothing this build can do
  for (int round = 0; round < kBatchesPerPass; ++round) {
    auto todo = store.ObjectsToPreprocess(job.id, kBatch);
    if (!todo || todo->empty()) return;  // a failed read is retried by the next pass
    std::vector<std::pair<int64_t, std::string>> inputs;
    std::vector<store::ObjectOutcome> failed;
    for (const auto& o : *todo) {
      auto line = json::Parse(o.line);
      Result<std::string> input =
          line && line->is_object()
              ? TaskInputOf(*info->type, info->labels, line->get_object(), o.line)
              : Result<std::string>(
                    InvalidArgument("ClientError: the manifest line is not a JSON object"));
      if (input) {
        inputs.emplace_back(o.index, std::move(*input));
      } else {
        failed.push_back(
            {o.index, store::ObjectState::kFailed, "", std::move(input.error().message)});
      }
    }
    const store::LeaseFence fence = FenceOf(job.id);
    if (!inputs.empty())
      if (auto s = Fenced(job.id, store.SetTaskInputs(job.id, inputs, &fence)); !s) return;
    if (!failed.empty())
      if (auto s = store.FinishObjects(job.id, failed, NowMs(), &fence); !s)
        return (void)Fenced(job.id, s.error());
    spdlog::info("job {}: pre-processed {} objects ({} failed)", job.name, todo->size(),
                 failed.size());
    if (todo->size() < kBatch) return;
  }
}

// Consolidation's history: every answer of the job's labeled objects, read
// once per job (and again after a restart). A load that fails is not kept:
// consolidating without the history would weigh the workers differently, so
// the batch waits for the next pass, which loads again.
Result<tasktypes::JobHistory*> LabelingService::Impl::HistoryOf(const Job& job,
                                                                const JobInfo& info) {
  auto it = history.find(job.id);
  if (it != history.end()) return it->second.get();
  auto h = info.type->NewHistory(info.labels);
  std::map<int64_t, std::string> worker_ids;
  Status users = {};
  PLB_TRY(store.ForEachLabeledAnswer(job.id, [&](const store::Assignment& a) {
    auto content = json::Parse(a.answer_json);
    if (!content) return;
    auto w = worker_ids.find(a.user_id);
    if (w == worker_ids.end()) {
      auto user = store.GetUser(a.user_id);
      if (!user && user.error().code != ErrorCode::kNotFound) {
        if (users) users = user.error();
        return;
      }
      std::string id = user ? LabelingService::WorkerId(*user, info.config.region) : "unknown";
      w = worker_ids.emplace(a.user_id, std::move(id)).first;
    }
    h->Add(a.object_index, w->second, *content);
  }));
  PLB_TRY(users);
  return history.emplace(job.id, std::move(h)).first->second.get();
}

// Consolidates objects whose answers are all in. Returns false when the
// pass must wait (one batch per second per job).
// `only`: consolidate these objects (whatever their answer count) instead
// of those whose N answers are in.
bool LabelingService::Impl::ConsolidateReady(const Job& job, const std::vector<int64_t>* only) {
  // A lease found lost earlier in the pass (a refused write): no batch
  // files are written for a job another runner has.
  if (!Holds(job.id)) return true;
  auto info = InfoOf(job);
  const JobConfig& c = info->config;
  TimePoint now = clock.Now();
  int64_t second = ToEpochMs(now) / 1000;
  auto ready =
      only ? Result<std::vector<int64_t>>(*only) : store.ObjectsReadyToConsolidate(job.id, 1000);
  if (!ready || ready->empty()) return true;
  const bool custom = c.custom_acs;
  if (!info->type && !custom) {
    spdlog::error("job {}: task type {} is not run by this build", job.name, c.task_type);
    return true;
  }
  auto it = last_batch_second.find(job.id);
  if (it != last_batch_second.end() && it->second == second) return false;
  // Consolidation's history: only the built-in algorithms learn from it.
  Result<tasktypes::JobHistory*> job_history = static_cast<tasktypes::JobHistory*>(nullptr);
  if (!custom) job_history = HistoryOf(job, *info);
  if (!job_history) {
    spdlog::error("job {}: loading the consolidation history failed: {}", job.name,
                  job_history.error().message);
    return true;  // retried on the next pass
  }
  last_batch_second[job.id] = second;

  auto out_store = Out(job);
  if (!out_store) {
    spdlog::error("job {}: {}", job.name, out_store.error().message);
    return true;
  }
  storage::ObjectStore& out = **out_store;
  struct Done {
    int64_t index;
    bool ok;
    std::string label_json;
    std::string reason;
    int64_t batch_pos = -1;  // its place in the ACS batch; -1: not consolidated
  };
  std::vector<Done> done;
  tasktypes::Batch batch;
  batch.label_attribute_name = c.label_attribute_name;
  batch.job_name = job.name;
  batch.labels = info->labels;
  batch.label_objects = info->label_objects;
  batch.now = now;
  batch.output_root = storage::JoinUri(c.output_path, job.name);
  std::vector<std::pair<std::string, std::string>> type_files;  // e.g. consolidated masks
  batch.files = &type_files;
  // Every file of the batch, written together (one sync for the batch).
  ConsolidationFiles files(batch.output_root, FormatFileStamp(now));
  std::map<int64_t, Result<store::User>> users;  // each worker looked up once per batch
  auto objects_read = store.GetObjectsWithAnswers(job.id, *ready);
  if (!objects_read) return true;  // retried on the next pass
  for (const auto& [obj, answers] : *objects_read) {
    if (answers.empty()) {
      // Every place was declined: nothing to consolidate (not sent to the ACS).
      done.push_back(
          {obj.index, false, "", "ClientError: every worker offered the object declined it"});
      continue;
    }
    std::vector<WorkerAnswer> worker_answers;
    std::vector<tasktypes::Answer> acs_answers;
    for (const auto& a : answers) {
      auto known = users.find(a.user_id);
      if (known == users.end()) known = users.emplace(a.user_id, store.GetUser(a.user_id)).first;
      const auto& user = known->second;
      WorkerAnswer w;
      w.assignment = &a;
      w.worker_id = user ? LabelingService::WorkerId(*user, c.region) : "unknown";
      w.sub = user ? user->sub : "";
      auto content = json::Parse(a.answer_json);
      w.content = content ? *content : boost::json::value();
      acs_answers.push_back({w.worker_id, w.content});
      worker_answers.push_back(std::move(w));
    }
    files.AddObject(obj, worker_answers);
    batch.objects.push_back({obj.index, std::move(acs_answers)});
  }
  std::vector<Result<boost::json::object>> results;
  if (custom) {
    // Ground Truth's contract: the request file is written first, the
    // function reads it from the event's payload.s3Uri.
    auto request = files.Request();
    if (!batch.objects.empty()) {
      if (auto s = out.WriteAll(request.first, request.second); !s) {
        spdlog::error("job {}: {}", job.name, s.error().message);
        return true;  // retried on the next pass
      }
      results = ConsolidateWithFunction(job, *info, batch, request.first);
    }
  } else {
    results = info->type->ConsolidateBatch(batch, *job_history);
  }
  for (size_t i = 0; i < results.size(); ++i) {
    int64_t idx = batch.objects[i].first;
    if (results[i]) {
      files.AddResult(idx, *results[i]);
      done.push_back({idx, true, json::Serialize(*results[i]), "", static_cast<int64_t>(i)});
    } else {
      done.push_back(
          {idx, false, "", "ClientError: " + results[i].error().message, static_cast<int64_t>(i)});
    }
  }
  auto batch_files = files.Take();
  for (auto& f : type_files) batch_files.push_back(std::move(f));
  if (auto s = out.WriteAllBatch(std::move(batch_files)); !s) {
    spdlog::error("job {}: {}", job.name, s.error().message);
    return true;  // retried on the next pass
  }
  std::vector<store::ObjectOutcome> outcomes;
  outcomes.reserve(done.size());
  for (auto& d : done)
    outcomes.push_back({d.index, d.ok ? store::ObjectState::kLabeled : store::ObjectState::kFailed,
                        std::move(d.label_json), std::move(d.reason)});
  const store::LeaseFence fence = FenceOf(job.id);
  auto finished = store.FinishObjects(job.id, outcomes, ToEpochMs(now), &fence);
  if (!finished) {
    // The store is unavailable (the next pass retries) or the lease is lost
    // (another runner consolidates these objects; its files win).
    (void)Fenced(job.id, finished.error());
    return true;
  }
  // The objects now labeled join the history the next batches learn from.
  for (size_t i = 0; i < done.size() && !custom; ++i) {
    const auto& d = done[i];
    if (!(*finished)[i] || !d.ok || d.batch_pos < 0) continue;
    for (const auto& a : batch.objects[static_cast<size_t>(d.batch_pos)].second)
      (*job_history)->Add(d.index, a.worker_id, a.content);
  }
  return true;
}

void LabelingService::Impl::Finish(const Job& job, JobStatus final_status) {
  // The output is written once: not again when an earlier holder of the
  // lease wrote and recorded it but lost the lease before ending the job,
  // and not by a runner that cannot show, just now, that it holds the
  // lease under the epoch `job` was read under (renewed in the store: the
  // whole term is left for the writing). A new epoch means another runner
  // held the job meanwhile: the next pass reads it again.
  if (!job.output_written) {
    const int64_t epoch = FenceOf(job.id).epoch;
    if (!TakeJobLease(job.id, /*renew_now=*/true) || FenceOf(job.id).epoch != epoch) return;
    const store::LeaseFence fence = FenceOf(job.id);
    auto out = Out(job);
    if (!out) {
      (void)Fenced(job.id, store.SetJobStatus(job.id, JobStatus::kFailed,
                                              "ClientError: the output KMS key cannot be used: " +
                                                  out.error().message,
                                              NowMs(), &fence));
      return;
    }
    auto s = WriteOutputManifests(job, store, **out);
    if (!s) {
      spdlog::error("job {}: writing the output failed: {}", job.name, s.error().message);
      return;  // retried on the next pass
    }
    // The job ends only once its output is recorded as written: a job
    // marked Completed without output_written would never be finished
    // again. The record is fenced: of two runners that both wrote, only
    // the lease's holder records it.
    if (auto marked = Fenced(job.id, store.MarkOutputWritten(job.id, NowMs(), &fence)); !marked) {
      spdlog::error("job {}: recording the written output failed: {}", job.name,
                    marked.error().message);
      return;  // retried on the next pass (by this runner or the lease's new holder)
    }
    spdlog::info("msg=\"output written\" job={} job_id={} holder={} epoch={}", job.name, job.id,
                 fence.holder, fence.epoch);
  }
  const store::LeaseFence fence = FenceOf(job.id);
  if (!Fenced(job.id, store.SetJobStatus(job.id, final_status, "", NowMs(), &fence))) return;
  spdlog::info("job {} is {}", job.name, store::JobStatusName(final_status));
}

// ------------------------------------------------------------ runner leases

namespace {
std::string LeaseName(int64_t job_id) { return "job:" + std::to_string(job_id); }
}  // namespace

store::LeaseFence LabelingService::Impl::FenceOf(int64_t job_id) {
  std::lock_guard<std::mutex> lock(lease_mu);
  auto it = held_leases.find(job_id);
  // Epoch 0, which no lease has: a write under it is refused.
  return {LeaseName(job_id), options.runner_id, it == held_leases.end() ? 0 : it->second.epoch};
}

Status LabelingService::Impl::Fenced(int64_t job_id, Status s) {
  if (s || !store::IsLeaseLost(s.error())) return s;
  spdlog::warn("msg=\"runner lease lost\" job_id={} holder={} reason=\"{}\"", job_id,
               options.runner_id, s.error().message);
  {
    std::lock_guard<std::mutex> lock(lease_mu);
    held_leases.erase(job_id);
  }
  // What this runner kept of the job is stale now: another runner works on it.
  history.erase(job_id);
  last_intermediate.erase(job_id);
  last_batch_second.erase(job_id);
  return s;
}

bool LabelingService::Impl::Holds(int64_t job_id) {
  std::lock_guard<std::mutex> lock(lease_mu);
  return held_leases.count(job_id) > 0;
}

bool LabelingService::Impl::TakeJobLease(int64_t job_id, bool renew_now) {
  const int64_t now = NowMs();
  if (!renew_now) {
    std::lock_guard<std::mutex> lock(lease_mu);
    auto it = held_leases.find(job_id);
    // Renewed in the last third of its term: still ours, no store write.
    if (it != held_leases.end() && now - it->second.renewed_ms < options.runner_lease_ms / 3)
      return true;
  }
  auto epoch = store.AcquireLease(LeaseName(job_id), options.runner_id, now,
                                  options.runner_lease_ms);
  std::lock_guard<std::mutex> lock(lease_mu);
  auto it = held_leases.find(job_id);
  if (!epoch || *epoch == 0) {  // another runner's, or the store cannot tell: not ours now
    if (it != held_leases.end()) {
      spdlog::warn("msg=\"runner lease lost\" job_id={} holder={}", job_id, options.runner_id);
      held_leases.erase(it);
    }
    return false;
  }
  if (it == held_leases.end() || it->second.epoch != *epoch) {
    // Another runner may have worked on the job since this one last did:
    // what this one kept of it is rebuilt from the store.
    history.erase(job_id);
    last_intermediate.erase(job_id);
    spdlog::info("msg=\"runner lease taken\" job_id={} holder={} epoch={}", job_id,
                 options.runner_id, *epoch);
  }
  held_leases[job_id] = {*epoch, now};
  return true;
}

void LabelingService::Impl::ReturnLeases(const std::set<int64_t>* unfinished) {
  std::lock_guard<std::mutex> renewing(renew_mu);
  std::vector<int64_t> ended;
  {
    std::lock_guard<std::mutex> lock(lease_mu);
    for (auto it = held_leases.begin(); it != held_leases.end();) {
      if (unfinished && unfinished->count(it->first)) {
        ++it;
        continue;
      }
      ended.push_back(it->first);
      it = held_leases.erase(it);
    }
  }
  for (int64_t job_id : ended) (void)store.ReleaseLease(LeaseName(job_id), options.runner_id);
}

void LabelingService::Impl::KeepLeases() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(1, options.runner_lease_ms / 3));
  std::unique_lock<std::mutex> lock(mu);
  while (!stop) {
    cv.wait_for(lock, period, [&] { return stop; });
    if (stop) break;
    lock.unlock();
    std::map<int64_t, HeldLease> held;
    {
      std::lock_guard<std::mutex> l(lease_mu);
      held = held_leases;
    }
    for (const auto& [job_id, lease] : held) {
      std::lock_guard<std::mutex> renewing(renew_mu);
      {
        std::lock_guard<std::mutex> l(lease_mu);
        if (!held_leases.count(job_id)) continue;  // returned meanwhile
      }
      const int64_t now = NowMs();
      auto epoch = store.AcquireLease(LeaseName(job_id), options.runner_id, now,
                                      options.runner_lease_ms);
      if (!epoch) continue;  // the store is unavailable: the runner's next take decides
      std::lock_guard<std::mutex> l(lease_mu);
      auto it = held_leases.find(job_id);
      if (it == held_leases.end()) continue;  // returned meanwhile
      if (*epoch == lease.epoch) {
        it->second.renewed_ms = now;
      } else {
        spdlog::warn("msg=\"runner lease lost\" job_id={} holder={}", job_id, options.runner_id);
        held_leases.erase(it);
      }
    }
    lock.lock();
  }
}

void LabelingService::Impl::Pass() {
  (void)store.ExpireLeases(NowMs());
  // Warm workers of functions deleted or changed elsewhere (the CLI beside
  // the server) are stopped within a few seconds.
  if (functions && NowMs() - last_function_sweep_ms >= 5000) {
    last_function_sweep_ms = NowMs();
    (void)functions->SweepWarmWorkers();
  }
  store::JobFilter unfinished;
  unfinished.unfinished_only = true;
  auto jobs = store.ListJobs(unfinished);
  if (!jobs) return;
  std::set<int64_t> unfinished_ids;
  for (const Job& listed : *jobs) unfinished_ids.insert(listed.id);
  // The leases of jobs that ended go back; of several servers sharing the
  // database, the one holding a job's lease works on it.
  ReturnLeases(&unfinished_ids);
  for (const Job& listed : *jobs) {
    // Shutdown does not wait for the rest of a pass: with thousands of jobs
    // to finish, a pass takes minutes, and a stopped runner's next pass (in
    // this process or another) goes on where this one left off.
    if (Stopping()) return;
    if (!TakeJobLease(listed.id)) continue;
    if (listed.status == JobStatus::kInitializing) {
      Ingest(listed);
      continue;
    }
    if (listed.status == JobStatus::kInProgress) PreprocessPending(listed);
    ConsolidateReady(listed);
    // A write refused under the job's lease: another runner has the job.
    if (!Holds(listed.id)) continue;
    auto job = store.GetJob(listed.id);
    if (!job) continue;
    if (job->status == JobStatus::kStopping) {
      Finish(*job, JobStatus::kStopped);
      continue;
    }
    auto info = InfoOf(*job);
    const JobConfig& c = info->config;
    if (SettleExpired(*job, c)) {
      if (!Holds(listed.id)) continue;
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
bool LabelingService::Impl::SettleExpired(const Job& job, const JobConfig& c) {
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
  if (!unanswered.empty()) {
    const store::LeaseFence fence = FenceOf(job.id);
    auto finished = store.FinishObjects(job.id, unanswered, NowMs(), &fence);
    if (!finished) {  // the store is unavailable, or the lease is lost
      (void)Fenced(job.id, finished.error());
      return true;
    }
  }
  if (!with_answers.empty()) ConsolidateReady(job, &with_answers);
  return true;
}

// The intermediate manifest is rewritten every 10 s, or less often when
// writing it takes long (a large job): at most 5% of the runner's time.
void LabelingService::Impl::MaybeWriteIntermediate(const Job& job) {
  int64_t now = NowMs();
  auto& [last, took] = last_intermediate[job.id];
  if (job.labeled + job.failed == 0 || now - last < std::max<int64_t>(10000, 20 * took)) return;
  auto start = std::chrono::steady_clock::now();
  if (auto out = Out(job)) (void)WriteIntermediateManifest(job, store, **out);
  took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
             .count();
  last = now;
}

bool LabelingService::Impl::Stopping() {
  std::lock_guard<std::mutex> lock(mu);
  return stop;
}

void LabelingService::Impl::Loop() {
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

void LabelingService::Start() {
  impl_->thread = std::thread([this] {
    NameThisThread("plb-runner");
    impl_->Loop();
  });
  impl_->lease_keeper = std::thread([this] {
    NameThisThread("plb-leases");
    impl_->KeepLeases();
  });
}

void LabelingService::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->lease_keeper.joinable()) impl_->lease_keeper.join();
  // The jobs' leases go back, so another server's runner goes on at once.
  impl_->ReturnLeases(nullptr);
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

}  // namespace plumbline::labeling
