// `plumbline serve`: opens the data dir, bootstraps the root access key and
// runs the HTTP server with the SageMaker API, the worker API and the runner.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <algorithm>
#include <thread>

#include "api/aws_endpoint.hpp"
#include "api/kms_api.hpp"
#include "api/lambda_api.hpp"
#include "functions/functions.hpp"
#include "api/sts_api.hpp"
#include "api/sagemaker.hpp"
#include "cli/app.hpp"
#include "cli/data_dir.hpp"
#include "cli/demo.hpp"
#include "cli/logging.hpp"
#include "cli/operations.hpp"
#include "console/console.hpp"
#include "http/metrics.hpp"
#include "portal/assets.hpp"
#include "portal/media.hpp"
#include "portal/pages.hpp"
#include "portal/task_pages.hpp"
#include "common/ids.hpp"
#include "common/thread_name.hpp"
#include "identity/identity.hpp"
#include "kms/kms.hpp"
#include "common/json.hpp"
#include "http/http.hpp"
#include "labeling/labeling.hpp"
#include "portal/worker_api.hpp"
#include "s3/s3.hpp"
#include "storage/buckets.hpp"
#include "storage/object_store.hpp"
#include "store/store.hpp"

namespace plumbline::cli {
namespace {

struct ServeArgs {
  std::string data_dir = "./plumbline-data";
  std::string store_url;  // "" : PLUMBLINE_STORE, else the data dir's SQLite file
  std::string listen = "127.0.0.1:8080";
  // Claims and submits do not hold a thread while their commit is pending
  // (sign-ins run on a pool of their own), so few I/O threads do: on 2
  // cores with 64 concurrent workers, 2-4 threads gave 1.2-1.4x the
  // claim+submit rate of 8 and 32 (bench/labeling/load.sh, SERVE_ARGS).
  // Two per core leave room for the handlers that still block (the
  // SageMaker API, media read from S3).
  int threads = std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  int skew_seconds = 300;
  // SIGTERM: how long in-flight requests may take to finish.
  int shutdown_grace_seconds = 25;
  int64_t sts_min_duration = 900;
  bool demo = false;
  double runner_lease_seconds = 15;
  bool no_migrate = false;
  std::string log_format = "text";  // or "json": one JSON object per line  // the schema must be current already (plumbline migrate)
  std::string python = "python3";
  int python_workers = 2;
  std::string s3_endpoint;
  std::string s3_host;
  std::string tls_cert;
  std::string tls_key;
};

// "host:port"; port 0 picks a free one.
bool SplitListen(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  try {
    int p = std::stoi(s.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return true;
}

// The root access key (identity/): from the environment when set, else the
// stored one, else a new one written once to DIR/root-credentials.json
// (mode 0600).
Status BootstrapRootKey(identity::Identity& identity, const std::string& dir) {
  const char* env_id = std::getenv("PLUMBLINE_ROOT_ACCESS_KEY_ID");
  const char* env_secret = std::getenv("PLUMBLINE_ROOT_SECRET_ACCESS_KEY");
  std::optional<std::pair<std::string, std::string>> from_env;
  if (env_id && env_secret && *env_id && *env_secret) from_env.emplace(env_id, env_secret);
  PLB_ASSIGN_OR_RETURN(auto created, identity.EnsureRootKey(from_env));
  if (from_env)
    spdlog::info("msg=\"root access key from the environment\" access_key_id={}", env_id);
  if (!created) return {};
  const store::AccessKey& key = *created;
  boost::json::object creds;
  creds["AccessKeyId"] = key.access_key_id;
  creds["SecretAccessKey"] = key.secret;
  std::string path = dir + "/root-credentials.json";
  {
    std::ofstream out(path, std::ios::trunc);
    out << json::Serialize(creds) << "\n";
  }
  ::chmod(path.c_str(), 0600);
  std::cout << "Root access key (shown once; also in " << path << "):\n"
            << "  AWS_ACCESS_KEY_ID=" << key.access_key_id << "\n"
            << "  AWS_SECRET_ACCESS_KEY=" << key.secret << "\n";
  return {};
}

int Serve(const ServeArgs& args) {
  SetUpLogging(args.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  // Signals are taken by a dedicated thread; block them everywhere else.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto opened = OpenDataDir(args.data_dir, args.store_url, !args.no_migrate);
  if (!opened) throw ErrorException(opened.error());
  OpenedDataDir& dd = *opened;
  if (auto s = BootstrapRootKey(*dd.identity, args.data_dir); !s) throw ErrorException(s.error());

  // Storage: the embedded folders, or an S3-compatible server for s3:// URIs
  // (file:// and plain paths stay local).
  auto local = storage::OpenLocal(args.data_dir);
  std::unique_ptr<storage::ObjectStore> s3;
  storage::ObjectStore* objects = local.get();
  if (!args.s3_endpoint.empty()) {
    auto o = storage::S3OptionsFromEnvironment(args.s3_endpoint);
    if (!o) throw ErrorException(o.error());
    o->fallback = local.get();
    s3 = storage::OpenS3(*o);
    objects = s3.get();
  }
  const Clock& clock = SystemClock::Get();
  labeling::Options lopts;
  lopts.account_id = dd.account_id;
  lopts.runner_lease_ms = static_cast<int64_t>(args.runner_lease_seconds * 1000);
  labeling::LabelingService service(*dd.store, *objects, clock, lopts);
  kms::KeyRingOptions kopts;
  kopts.data_dir = args.data_dir;
  kopts.account_id = dd.account_id;
  auto ring = kms::KeyRing::Open(*dd.store, kopts);
  if (!ring) throw ErrorException(ring.error());
  service.SetKeyRing(ring->get());
  // Outputs of jobs with a KmsKeyId are envelopes under the key (on an S3
  // server too, sent without SSE headers: the key is this installation's,
  // which no other S3 knows). A Plumbline S3 server of the installation keeps
  // such an object as SSE-KMS under that key (storage::NoteEnvelope).
  kms::KeyService keys(**ring, *dd.identity);
  api::KmsApi kms(keys, *dd.identity, {std::chrono::seconds(args.skew_seconds)});
  api::StsApiOptions stsopts;
  stsopts.allowed_skew = std::chrono::seconds(args.skew_seconds);
  stsopts.min_duration_seconds = args.sts_min_duration;
  api::StsApi sts(*dd.identity, stsopts);
  api::ApiOptions aopts;
  aopts.account_id = dd.account_id;
  aopts.allowed_skew = std::chrono::seconds(args.skew_seconds);
  api::SageMakerApi sagemaker(service, *dd.identity, aopts);
  // Task pages: templates rendered with Liquid, media behind signed URLs.
  auto media_key = dd.store->GetSetting("media_signing_key");
  if (!media_key) throw ErrorException(media_key.error());
  if (!*media_key) {
    *media_key = RandomHex(32);
    if (auto s = dd.store->PutSetting("media_signing_key", **media_key); !s)
      throw ErrorException(s.error());
  }
  portal::MediaSigner media(**media_key, *objects, clock);
  portal::TaskPages pages(&media);
  // CreateLabelingJob checks templates with the portal's Liquid dialect.
  service.SetTemplateValidator(portal::ValidateTaskTemplate);
  portal::PortalOptions popts;
  popts.secure_cookies = !args.tls_cert.empty();  // cookies only over HTTPS then
  portal::WorkerApi worker_api(service, *dd.identity, &pages, popts);

  http::Router router;
  http::Metrics metrics;
  // Storage answers: the data dir's buckets folder, or the S3 server (any
  // answer but "unreachable" will do, NoSuchBucket included).
  auto storage_ready = [&]() -> Status {
    if (s3) {
      auto r = s3->OpenRead("s3://plumbline-readiness-probe/probe");
      if (!r && r.error().code == ErrorCode::kUnavailable) return r.error();
      return {};
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(args.data_dir + "/buckets", ec))
      return Unavailable("the data dir's buckets folder is missing");
    return {};
  };
  RegisterOperations(router, metrics, *dd.store, storage_ready);
  // Unsigned awsJson calls: each service answers with its own
  // missing-signature error, told apart by X-Amz-Target.
  router.Add("POST", "/", [&](const http::Request& r) {
    const std::string* t = r.FindHeader("X-Amz-Target");
    if (t && t->rfind("TrentService.", 0) == 0) return kms.Handle(r);
    return sagemaker.Handle(r);
  });
  worker_api.Register(router);
  media.Register(router);
  portal::RegisterAssets(router);
  portal::RegisterPages(router, *dd.identity);
  // The admin console (/console/...): admins' sessions only.
  console::ConsoleOptions copts;
  copts.secure_cookies = popts.secure_cookies;
  console::Console admin_console(service, *dd.store, *dd.identity, *objects, &media, copts);
  admin_console.SetKeyService(&keys);
  admin_console.Register(router);
  // Signed requests go to the service of their credential scope.
  api::AwsEndpoint aws(router);
  aws.AddService("sagemaker", http::Answering([&](const http::Request& r) { return sagemaker.Handle(r); }));
  aws.AddService("kms", http::Answering([&](const http::Request& r) { return kms.Handle(r); }));
  aws.AddService("sts", http::Answering([&](const http::Request& r) { return sts.Handle(r); }));
  // Custom hooks: the function registry and Lambda's API over it.
  functions::RunnerOptions fopts;
  fopts.python = args.python;
  fopts.python_workers = args.python_workers;
  functions::Runner function_runner(fopts);
  functions::Registry function_registry(*dd.store, args.data_dir + "/functions", dd.account_id,
                                        function_runner, clock);
  api::LambdaApiOptions lambda_opts;
  lambda_opts.allowed_skew = std::chrono::seconds(args.skew_seconds);
  api::LambdaApi lambda(function_registry, *dd.identity, lambda_opts);
  aws.AddService("lambda", [&](http::Request& r, http::Respond respond) {
    lambda.Handle(r, std::move(respond));
  });
  // S3 over the embedded buckets (DATA/buckets), whichever storage jobs use.
  storage::LocalBuckets buckets(args.data_dir);
  s3::S3Options s3opts;
  s3opts.virtual_host = args.s3_host;
  s3opts.account_id = dd.account_id;
  s3opts.storage_elsewhere = args.s3_endpoint;
  s3::S3Service s3_api(buckets, *dd.identity, &keys, s3opts);
  aws.AddService("s3", [&](http::Request& r, http::Respond respond) { s3_api.Handle(r, std::move(respond)); });
  // Unsigned requests for paths no page serves are anonymous S3 calls:
  // AccessDenied, as a private bucket answers.
  for (const char* method : {"GET", "HEAD", "PUT", "DELETE"})
    router.AddAsync(method, "/*", [&](http::Request& r, http::Respond respond) {
      s3_api.Handle(r, std::move(respond));
    });

  http::ServerOptions sopts;
  uint16_t port = 0;
  if (!SplitListen(args.listen, &sopts.host, &port))
    throw ErrorException(InvalidArgument("--listen must be HOST:PORT, got '" + args.listen + "'"));
  sopts.port = port;
  sopts.threads = args.threads;
  sopts.tls_cert_file = args.tls_cert;
  sopts.tls_key_file = args.tls_key;
  // S3 uploads stream to disk instead of being held in memory.
  sopts.stream_body = [&](const http::Request& head) -> std::shared_ptr<http::BodySink> {
    if (api::SignedService(head) != "s3") return nullptr;
    return s3_api.OpenBody(head);
  };
  auto server = http::Server::Start(sopts, [&](http::Request& request, http::Respond respond) {
    auto start = std::chrono::steady_clock::now();
    const std::string* target = request.FindHeader("X-Amz-Target");
    std::string op = target ? " op=" + *target : "";
    // Signed calls are labeled by service; the rest by the route they
    // matched (read when the answer comes: the router sets it).
    std::string signed_service = api::SignedService(request);
    // Every request has an id (the caller's X-Request-Id when it gives a
    // sane one), logged with it and echoed in the answer's X-Request-Id.
    std::string request_id = RequestIdFor(request.FindHeader("X-Request-Id"));
    aws.Dispatch(request, [method = request.method, path = request.path, op, start, signed_service,
                           req = &request, &metrics, request_id,
                           respond](std::function<http::Response()> make) {
      std::string route = !signed_service.empty() ? "aws:" + signed_service
                                           : (req->route.empty() ? "unmatched" : req->route);
      respond([method, path, op, start, make, route = std::move(route), &metrics, request_id] {
        http::Response resp = make();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start).count();
        metrics.RecordRequest(route, method, resp.status, static_cast<double>(us) / 1e6);
        resp.Set("X-Request-Id", request_id);
        spdlog::info("msg=request request_id={} method={} path={} status={} duration_us={}{}",
                     request_id, method, path, resp.status, us, op);
        return resp;
      });
    });
  });
  if (!server) throw ErrorException(server.error());
  // What a custom hook's run gets: temporary credentials for the job's
  // RoleArn (STS, sealed with DATA/secrets.key, valid for 15 minutes,
  // narrowed by the job's session policy: see LabelingService) and
  // the endpoint that reaches this server. AWS_ENDPOINT_URL serves boto3 from
  // 1.28 on, and older boto3 (Debian's 1.26) through the python bootstrap;
  // PLUMBLINE_ENDPOINT_URL names it too, for handlers that pass
  // endpoint_url themselves. A job's python workers start with these
  // variables and are replaced before the credentials expire. With storage
  // on an S3 server, AWS_ENDPOINT_URL_S3 (and PLUMBLINE_ENDPOINT_URL_S3)
  // send the hook's S3 calls there.
  std::string function_endpoint =
      std::string(args.tls_cert.empty() ? "http" : "https") + "://" +
      (sopts.host.find(':') != std::string::npos ? "[" + sopts.host + "]" : sopts.host) + ":" +
      std::to_string((*server)->port());
  service.SetFunctions(
      &function_registry,
      [&dd, function_endpoint, s3_endpoint = args.s3_endpoint](
          const store::Job& job, const std::string& role_arn, const std::string& session_policy)
          -> Result<labeling::LabelingService::RunVariables> {
        PLB_ASSIGN_OR_RETURN(auto access_keys, dd.store->ListAccessKeys(std::nullopt));
        auto root = std::find_if(access_keys.begin(), access_keys.end(),
                                 [](const store::AccessKeyInfo& k) { return k.is_root && k.active; });
        if (root == access_keys.end()) return NotFound("the root access key is not set up");
        PLB_ASSIGN_OR_RETURN(auto key, dd.store->FindAccessKey(root->access_key_id));
        if (!key) return NotFound("the root access key is not set up");
        PLB_ASSIGN_OR_RETURN(auto who, dd.identity->PrincipalOf(*key));
        std::string session = "plumbline-" + job.name;
        if (session.size() > 64) session.resize(64);
        PLB_ASSIGN_OR_RETURN(auto creds,
                             dd.identity->IssueTemporaryCredentials(who, role_arn, session, 900,
                                                                    session_policy));
        labeling::LabelingService::RunVariables vars;
        vars.env = {{"AWS_ACCESS_KEY_ID", creds.access_key_id},
                    {"AWS_SECRET_ACCESS_KEY", creds.secret_access_key},
                    {"AWS_SESSION_TOKEN", creds.session_token},
                    {"AWS_ENDPOINT_URL", function_endpoint},
                    {"PLUMBLINE_ENDPOINT_URL", function_endpoint}};
        // Storage on an S3 server: the hook reads its payload there (the
        // installation's S3 server accepts these session credentials).
        if (!s3_endpoint.empty()) {
          vars.env["AWS_ENDPOINT_URL_S3"] = s3_endpoint;
          vars.env["PLUMBLINE_ENDPOINT_URL_S3"] = s3_endpoint;
        }
        vars.expires_ms = creds.expires_ms;
        return vars;
      });
  DemoAccount demo;
  if (args.demo) {
    if (auto s = SetUpDemo(*dd.identity, *objects, service, demo); !s) throw ErrorException(s.error());
  }
  service.Start();

  // Run() returns once Stop() has been called; the server must outlive that
  // call, so the main thread waits for the signal thread to be done with it.
  auto stopped = std::make_shared<std::promise<void>>();
  std::future<void> stopped_done = stopped->get_future();
  std::thread signal_thread([&, stopped] {
    NameThisThread("plb-signals");
    int sig = 0;
    sigwait(&signals, &sig);
    // Graceful: no new connections, requests under way are answered.
    spdlog::info("msg=\"shutting down\" signal={} in_flight={}", sig, (*server)->InFlight());
    int left = (*server)->Drain(std::chrono::seconds(args.shutdown_grace_seconds));
    spdlog::info("msg=\"stopped accepting; in-flight requests done\" unanswered={}", left);
    (*server)->Stop();
    stopped->set_value();
  });
  signal_thread.detach();

  std::string host = sopts.host.find(':') != std::string::npos ? "[" + sopts.host + "]" : sopts.host;
  std::string base = std::string(args.tls_cert.empty() ? "http" : "https") + "://" + host + ":" +
                     std::to_string((*server)->port());
  std::cout << "listening on " << base << std::endl;
  if (args.demo) {
    std::cout << "Demo: open " << base << "/worker/ and sign in as " << demo.username << " / "
              << demo.password << " to label the job " << demo.job_name << ".\n"
              << "      Its output appears in " << args.data_dir << "/buckets/demo/output/"
              << demo.job_name << "/" << std::endl;
  }
  spdlog::info("msg=started data_dir={} account={}", args.data_dir, dd.account_id);
  (*server)->Run();
  admin_console.Stop();  // the long polls it holds are answers the server waits for
  stopped_done.wait();
  service.Shutdown();
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the Plumbline server");
  cmd->add_option("--data-dir", args->data_dir, "Folder for the database and the embedded buckets")
      ->capture_default_str();
  cmd->add_option("--store", args->store_url,
                  "The database: sqlite:PATH or postgresql://user@host:port/db (default: "
                  "$PLUMBLINE_STORE, else plumbline.db in the data dir)");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "HTTP I/O threads")->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--python", args->python,
                  "the python3 interpreter that runs python functions (default: python3 on PATH)");
  cmd->add_option("--python-workers", args->python_workers,
                  "warm worker processes per python function (default 2)");
  cmd->add_option("--sts-min-duration", args->sts_min_duration,
                  "shortest STS DurationSeconds accepted (AWS: 900; lower for tests)")
      ->check(CLI::Range(int64_t{1}, int64_t{900}));
  cmd->add_option("--shutdown-grace", args->shutdown_grace_seconds,
                  "Seconds SIGTERM waits for requests under way before the server stops")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd->add_option("--max-clock-skew", args->skew_seconds,
                  "Seconds a signed request's X-Amz-Date may differ from the server's clock")
      ->capture_default_str();
  cmd->add_option("--s3-endpoint", args->s3_endpoint,
                  "S3-compatible server for s3:// URIs (path-style; credentials from AWS_* variables)");
  cmd->add_option("--s3-host", args->s3_host,
                  "Host name for virtual-host style S3 (BUCKET.HOST); path-style always works");
  cmd->add_option("--tls-cert", args->tls_cert, "PEM certificate chain: serve HTTPS")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  cmd->add_option("--runner-lease", args->runner_lease_seconds,
                  "Seconds a server's hold on a job's runner work lasts unrenewed: with several "
                  "servers on one database, another takes a job over this long after its holder "
                  "died")
      ->capture_default_str()
      ->check(CLI::Range(0.3, 3600.0));
  cmd->add_option("--log-format", args->log_format,
                  "Log lines on stderr: text (key=value) or json (one object per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--no-migrate", args->no_migrate,
                "Do not apply pending schema migrations at start: refuse a database that is "
                "behind (apply them once with `plumbline migrate`)");
  cmd->add_flag("--demo", args->demo,
                "Set up a demo job with a demo worker (the seed example) if the data dir has none");
  cmd->callback([args] { std::exit(Serve(*args)); });
}

}  // namespace plumbline::cli
