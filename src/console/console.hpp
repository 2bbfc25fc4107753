// The admin console: its JSON API (/console/api/...) and its pages
// (/console/...), for admins only. Admins sign in with their password
// like workers do on the portal (identity/ sessions, the same cookie, a
// CSRF token on every POST); a worker's session is refused with 403 on
// every console page and route, and a worker who signs in here is signed
// out again at once and told why.
//
// Everything the pages show comes from this API, and the API shows what the
// SageMaker API and the store already hold: a job's configuration is
// DescribeLabelingJob's answer; its figures (progress over time, throughput,
// label distribution, per-worker table) are made from the labeled objects'
// labels and the answers with their timestamps (Store::ForEachObjectLabel and
// Store::ForEachAnswer, console/job_stats.hpp), never the whole job's objects;
// the objects browser reads objects with their answers a page at a time.
//
// Routes (JSON; errors {"error": CODE, "message": TEXT}):
//   POST /console/api/login {"username","password"}   -> {"csrfToken","username"} + cookie
//   POST /console/api/logout
//   GET  /console/api/jobs?name=&status=&sort=created|name|status|progress
//        &order=asc|desc&offset=&limit=              -> {"jobs","total","offset","limit","version"}
//   GET  /console/api/changes?since=N&wait=S         -> {"version"}: answers once jobs or
//        their progress changed since version N (a commit of this replica or, on a shared
//        PostgreSQL store, of another: Store::Feed), or after S seconds (at most 30): a
//        long poll. Versions are this replica's own count
//   GET  /console/api/jobs/{job}                     -> {"describe","counters","taskType",...}
//   GET  /console/api/jobs/{job}/stats               -> job_stats.hpp's figures
//   GET  /console/api/jobs/{job}/objects?from=&limit=&filter=all|low-confidence|disagreement
//        |labeled|failed|open&threshold=             -> {"objects","next","scanned"}
//   POST /console/api/jobs/{job}/stop                 (StopLabelingJob, audited)
//   POST /console/api/jobs/{job}/preview {"index": N} or {"line": "<manifest line>"}
//        -> {"html","taskInput","index"}: the job's template rendered as a worker gets it
//   GET  /console/api/jobs/{job}/output              -> the output manifest (when written;
//        an encrypted one decrypted when the job's key policy lets the admin decrypt, else
//        403 AccessDenied naming why; the key's use audited as kms:Decrypt, the download as
//        console:DownloadOutput)
//   POST /console/api/jobs {CreateLabelingJob request}  -> {"LabelingJobArn","name"}: checked
//        against the service model as the SageMaker API checks it; audited
//   POST /console/api/jobs/{job}/clone {"name"}      -> a new job with {job}'s configuration
//   GET  /console/api/task-types | workteams | kms-keys   what the wizard offers
//   POST /console/api/upload?uri=s3://BUCKET/KEY     stores the body there (audited)
//   POST /console/api/render-template {"template","line","labels","taskType"} -> {"html",
//        "taskInput"}: the wizard's live preview of a template not stored yet; a template or
//        line that does not render is {"problem": {"field","code","message"}}, still a 200
//   GET  /console/api/users; POST /console/api/users {"username","password","groups","admin"}
//   POST /console/api/users/{user}/disable | enable | password {"password"} | groups {"groups"}
//        | access-keys (-> {"AccessKeyId","SecretAccessKey"}, the secret shown this once)
//   GET  /console/api/invitations; POST /console/api/invitations {"username","groups",
//        "admin","expiresInSeconds"} -> {..., "token", "path": "/worker/invite#TOKEN"}: a
//        one-time link (the token shown this once; identity/ keeps its hash), audited
//   GET  /console/api/access-keys; POST /console/api/access-keys/{id}/revoke
//   GET  /console/api/kms/keys; POST /console/api/kms/keys {"description","alias","policy",
//        "allowedUsers"} (users who may decrypt, in AWS's default policy when no policy)
//   GET  /console/api/kms/keys/{key}                -> the key with its "policy"
//   POST /console/api/kms/keys/{key}/enable | disable | schedule-deletion {"days"} |
//        cancel-deletion | policy {"policy"}: kms::KeyRing's operations, checked against
//        the key's policy for the admin's user ARN, audited as "kms:<Operation>"
//   GET  /console/api/audit?q=TEXT&limit=N           newest first, filtered by TEXT
//   (every change of people and keys is audited as "console:users:...")
// Pages: GET /console/ (sign-in or the job list), /console/people (users, invitations,
//        access keys, audit log), /console/keys (KMS keys and their policies), /console/jobs/{job} (a job),
//        /console/jobs/{job}/tool (View labeling tool), /console/new (the create-job
//        wizard; ?from={job} starts from a job's configuration).
//
// Thread-safe. The long poll holds no I/O thread: waiting requests are
// answered from the console's own thread.
#pragma once

#include <memory>

#include "http/http.hpp"

namespace plumbline::labeling {
class LabelingService;
}
namespace plumbline::identity {
class Identity;
}
namespace plumbline::store {
class Store;
}
namespace plumbline::storage {
class ObjectStore;
}
namespace plumbline::portal {
class MediaSigner;
}
namespace plumbline::kms {
class KeyService;
}

namespace plumbline::console {

struct ConsoleOptions {
  bool secure_cookies = false;  // set when served over TLS
  // How long a long poll waits at most when it asks for more.
  int max_wait_seconds = 30;
};

class Console {
 public:
  // Borrows everything, which must outlive the Console. `store` is read for
  // the figures and the objects browser (never written: changes go through
  // `service`); `objects` gives the output manifest; `signer` (may be null)
  // signs the media links of rendered templates.
  Console(labeling::LabelingService& service, store::Store& store, identity::Identity& identity,
          storage::ObjectStore& objects, const portal::MediaSigner* signer,
          ConsoleOptions options = {});
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // The key ring the KMS pages manage and encrypted outputs are decrypted
  // with (borrowed; call before serving). Without it those routes answer 503.
  void SetKeyService(kms::KeyService* keys);
  // Adds the routes above.
  void Register(http::Router& router);
  // Answers every waiting long poll now, and later ones at once: call it
  // when the server stops, before it is destroyed (a server waits for the
  // answers it owes). The destructor does it too.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::console
