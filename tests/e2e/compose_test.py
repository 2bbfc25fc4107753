#!/usr/bin/env python3
"""deploy/compose.yaml started for real, on a Docker engine of the test's own.

The engine is `dockerd` (Debian's docker.io) with its data and socket in
folders of the test's, stopped by PID at the end. The base image the
Dockerfiles name, debian:bookworm-slim, is made here with debootstrap from
Debian's mirror and imported under that name (this machine reaches Debian's
packages, not an image registry); everything else is the repository's:
deploy/compose.yaml, deploy/Dockerfile, deploy/postgres/, .dockerignore and
the Release binary, copied into a build context as they are, with the key
files and deploy/.env made as the compose file's header says.

What it shows, with `docker-compose` (Compose 1.29, Debian's) and `aws`:
- the stack builds and comes up: PostgreSQL healthy, the S3 server healthy,
  the buckets made, the schema migrated once, three replicas ready;
- the seed's files go to the S3 server with `aws s3 cp`; workers are added
  with `plumbline users add` (and access keys) inside replicas' containers;
  a KMS key that lets alice decrypt, a work team and a labeling job whose
  output is encrypted with that key are made through replica 1; the workers
  label through all three;
- the replica holding the job's runner lease is SIGKILLed; Docker restarts
  it (restart: unless-stopped) and a replica takes the job over once the
  lease runs out;
- a rolling restart while the workers go on labeling (their requests go to
  a replica that takes them, as behind a load balancer): each replica in
  turn `docker-compose stop` (SIGTERM drains it: exit 0; a runner lease it
  held is handed back and another replica takes it within 5 s, a third of
  the lease) and `start`;
- the job completes; its output manifest, read back from the S3 server
  with `aws s3 cp` as alice, has every object once, labeled, and every
  answer accepted is stored; bob is refused (AccessDenied) and the file on
  the S3 server's disk holds no text in clear;
- a consolidation hook (Python, boto3) made through replica 1, replica 1
  stopped: a job made through replica 2 with that hook completes with the
  hook's labels (the functions' folder is a shared volume, and the hook
  reads its payload from the S3 server through AWS_ENDPOINT_URL_S3).

Exit 77 (skipped) only when no Docker engine can be started here (not root,
or dockerd refuses to run); any other failure fails.

Usage: compose_test.py --binary build/plumbline --repo . --shared ../shared --work build/compose
"""

import argparse
import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

PROJECT = "plbcompose"
BASE_IMAGE = "debian:bookworm-slim"
KEY = "AKIDCOMPOSETEST0001"
SECRET = "compose-test-secret-0123456789abcdefghij"
BUCKET = "plumbline"
JOB = "compose-job"
OBJECTS = 60
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"
RUNNER_LEASE = 15  # deploy/compose.yaml's --runner-lease


# A consolidation hook as Ground Truth's documentation writes one: it assumes
# the event's role, reads the request from S3 with boto3 (endpoints from the
# environment the server gives it) and votes.
ACS_HOOK = """
import json
from urllib.parse import urlparse

import boto3


def lambda_handler(event, context):
    creds = boto3.client("sts").assume_role(RoleArn=event["roleArn"],
                                            RoleSessionName="consolidation")["Credentials"]
    s3 = boto3.client("s3", aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    uri = urlparse(event["payload"]["s3Uri"])
    body = s3.get_object(Bucket=uri.netloc, Key=uri.path.lstrip("/"))["Body"].read()
    answers = []
    for item in json.loads(body):
        votes = [json.loads(a["annotationData"]["content"])["crowd-classifier"]["label"]
                 for a in item["annotations"]]
        answers.append({"datasetObjectId": item["datasetObjectId"],
                        "consolidatedAnnotation": {"content": {event["labelAttributeName"]: {
                            "label": max(sorted(set(votes)), key=votes.count),
                            "votes": len(votes), "by": "hook"}}}})
    return answers
"""


def log(message):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def fail(message):
    raise AssertionError(message)


def run(argv, env=None, check=True, timeout=600, stdin=None):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, input=stdin)
    if check and p.returncode != 0:
        fail("%s: exit %d\n%s\n%s" % (" ".join(argv), p.returncode, p.stdout[-4000:], p.stderr[-4000:]))
    return p


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, urllib.error.URLError):
        return None


class Engine:
    """A dockerd of the test's own: its data root in `work` (image layers
    kept between runs), its socket and run state in a short temp folder."""

    def __init__(self, work):
        self.run_dir = tempfile.mkdtemp(prefix="plb-dk-")
        self.socket = os.path.join(self.run_dir, "docker.sock")
        self.log_path = os.path.join(work, "dockerd.log")
        self.proc = None
        self.env = {**os.environ, "DOCKER_HOST": "unix://" + self.socket}
        self.env.pop("DOCKER_CONTEXT", None)
        os.makedirs(os.path.join(work, "docker"), exist_ok=True)
        self.argv = ["dockerd", "--data-root", os.path.join(work, "docker"),
                     "--exec-root", os.path.join(self.run_dir, "exec"),
                     "--pidfile", os.path.join(self.run_dir, "dockerd.pid"),
                     "-H", "unix://" + self.socket]

    def start(self):
        """True when the engine answers; False when it cannot run here."""
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(self.socket) and self.docker("version", check=False).returncode == 0:
                return True
            time.sleep(0.5)
        return False

    def docker(self, *args, check=True, timeout=600):
        return run(["docker", *args], env=self.env, check=check, timeout=timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def tail(self):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-30:])
        except OSError:
            return ""


def base_image(engine, work):
    """debian:bookworm-slim from debootstrap (minbase), the tarball kept in
    `work` for the next run."""
    if engine.docker("image", "inspect", BASE_IMAGE, check=False).returncode == 0:
        return
    tarball = os.path.join(work, "bookworm-minbase.tar")
    if not os.path.exists(tarball):
        rootfs = tempfile.mkdtemp(prefix="plb-rootfs-", dir=work)
        log("debootstrap bookworm (minbase) for %s" % BASE_IMAGE)
        run(["debootstrap", "--variant=minbase", "bookworm", rootfs, "http://deb.debian.org/debian"],
            timeout=900)
        run(["tar", "-C", rootfs, "-cf", tarball + ".part", "."])
        os.rename(tarball + ".part", tarball)
        shutil.rmtree(rootfs, ignore_errors=True)
    engine.docker("import", "--change", 'CMD ["bash"]', tarball, BASE_IMAGE)


def build_context(repo, binary, ctx):
    """The repository's deploy files and the binary, laid out as in the
    checkout; the key files and deploy/.env as the compose file's header
    says, with free host ports."""
    os.makedirs(os.path.join(ctx, "build"))
    shutil.copytree(os.path.join(repo, "deploy"), os.path.join(ctx, "deploy"),
                    ignore=shutil.ignore_patterns("secrets", ".env"))
    shutil.copy(os.path.join(repo, ".dockerignore"), ctx)
    shutil.copy(binary, os.path.join(ctx, "build", "plumbline"))
    secrets = os.path.join(ctx, "deploy", "secrets")
    os.makedirs(secrets)
    for name in ("secrets.key", "kms-root.key"):
        path = os.path.join(secrets, name)
        with open(path, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        os.chmod(path, 0o600)
        os.chown(path, 10001, 10001)  # the image's `plumbline` user
    ports = {"PLUMBLINE_PORT_1": h.free_port(), "PLUMBLINE_PORT_2": h.free_port(),
             "PLUMBLINE_PORT_3": h.free_port(), "PLUMBLINE_S3_PORT": h.free_port()}
    values = {"PLUMBLINE_DB_PASSWORD": "compose-db-" + os.urandom(6).hex(),
              "PLUMBLINE_ROOT_ACCESS_KEY_ID": KEY, "PLUMBLINE_ROOT_SECRET_ACCESS_KEY": SECRET,
              "PLUMBLINE_BUCKETS": BUCKET + " spare", **{k: str(v) for k, v in ports.items()}}
    lines = []
    with open(os.path.join(repo, "deploy", "compose.env.example")) as f:
        for line in f:
            name = line.split("=", 1)[0]
            if not line.startswith("#") and "=" in line and name not in values:
                fail("compose.env.example sets %s, which this test does not know" % name)
            lines.append(line if name not in values else "%s=%s\n" % (name, values.pop(name)))
    if values:
        fail("compose.env.example does not list %s" % sorted(values))
    with open(os.path.join(ctx, "deploy", ".env"), "w") as f:
        f.writelines(lines)
    return ports


class Stack:
    def __init__(self, engine, ctx):
        self.engine = engine
        self.ctx = ctx

    def compose(self, *args, check=True, timeout=900):
        return run(["docker-compose", "-p", PROJECT, "-f", os.path.join(self.ctx, "deploy", "compose.yaml"),
                    "--env-file", os.path.join(self.ctx, "deploy", ".env"), *args],
                   env=self.engine.env, check=check, timeout=timeout)

    def container(self, service):
        ids = self.compose("ps", "-q", service).stdout.split()
        if len(ids) != 1:
            fail("service %s has containers %s" % (service, ids))
        return ids[0]

    def inspect(self, service):
        out = self.engine.docker("inspect", self.container(service)).stdout
        return json.loads(out)[0]

    def logs(self, service, lines="40"):
        return self.compose("logs", "--no-color", "--tail", lines, service, check=False).stdout

    def psql(self, sql):
        p = self.engine.docker("exec", self.container("postgres"), "psql", "-X", "-At", "-U", "plumbline",
                               "-d", "plumbline", "-c", sql)
        return p.stdout.strip()


class Endpoint(h.Server):
    """The harness's aws CLI and worker API against a published port (no
    process of the test's own behind it)."""

    def __init__(self, port, name):  # noqa: super().__init__ would start a server
        self.url = "http://127.0.0.1:%d" % port
        self.name = name

    def cli(self, *args, **kw):
        return super().cli(*args, key=KEY, secret=SECRET, **kw)

    def aws_text(self, *args, who=None, check=True):
        """`aws` commands that print text (s3 cp), as root or as `who` (an
        access key as `plumbline users create-access-key` prints it): their
        standard output, or the whole result when not `check`ed."""
        key, secret = (who["AccessKeyId"], who["SecretAccessKey"]) if who else (KEY, SECRET)
        p = run(["/usr/bin/aws", "--endpoint-url", self.url, *args], env=h.aws_env(key, secret),
                timeout=120, check=check)
        return p.stdout if check else p


def wait_ready(endpoints, timeout):
    deadline = time.time() + timeout
    pending = list(endpoints)
    while pending and time.time() < deadline:
        pending = [e for e in pending if http_status(e.url + "/readyz") != 200]
        time.sleep(0.5)
    if pending:
        fail("not ready after %d s: %s" % (timeout, [e.name for e in pending]))


class Labeler:
    """Workers claiming and submitting through whichever replica answers, as
    behind a load balancer: a request a replica cannot take (connection
    refused or cut, 503 while it drains) goes to the next one."""

    def __init__(self, replicas, names, job=JOB):
        self.replicas = replicas
        self.job = job
        self.sessions = {name: {r.name: h.Worker(r) for r in replicas} for name in names}
        self.turn = 0
        self.accepted = 0
        self.passed_over = 0

    def request(self, name, method, path, body=None):
        for _ in range(20 * len(self.replicas)):
            replica = self.replicas[self.turn % len(self.replicas)]
            self.turn += 1
            w = self.sessions[name][replica.name]
            try:
                status = 200
                if w.csrf is None:
                    status = w.login(name, name + "-password")[0]
                if status == 200:
                    status, answer, _ = w.request(method, path, body)
            except (OSError, http.client.HTTPException):
                status = None
            if status in (None, 502, 503):
                self.passed_over += 1
                time.sleep(0.1)
                continue
            return replica, status, answer
        fail("no replica took %s %s" % (method, path))

    def one(self, name):
        """One task claimed and answered by `name`; False when none is left for them."""
        replica, status, task = self.request(name, "POST", "/worker/api/jobs/%s/claim" % self.job)
        if status == 204 or (status == 200 and not task):
            return False
        if status != 200:
            fail("%s's claim on %s: %d %s" % (name, replica.name, status, task))
        replica, status, res = self.request(name, "POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                            {"answer": {"crowd-classifier": {"label": "animal"}}})
        if status != 200 or res.get("status") != "accepted":
            fail("%s's submit on %s: %d %s" % (name, replica.name, status, res))
        self.accepted += 1
        return True

    def until(self, answers, pause=0.0, stop=None):
        """Round the workers until `answers` are accepted in all, none is left,
        or `stop` is set, sleeping `pause` between rounds while `stop` is not."""
        left = set(self.sessions)
        while left and self.accepted < answers and not (stop and stop.is_set()):
            for name in sorted(left):
                if not self.one(name):
                    left.discard(name)
            if pause and not (stop and stop.is_set()):
                time.sleep(pause)


def create_job(endpoint, name, manifest, attribute, role, htc, **output):
    """CreateLabelingJob through `endpoint` over the bucket's in/ files,
    the output under out/ (`output`: more OutputConfig fields)."""
    endpoint.cli("sagemaker", "create-labeling-job", "--labeling-job-name", name,
                 "--label-attribute-name", attribute, "--role-arn", role,
                 "--label-category-config-s3-uri", "s3://%s/in/categories.json" % BUCKET,
                 "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                     "ManifestS3Uri": "s3://%s/in/%s" % (BUCKET, manifest)}}}),
                 "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % BUCKET, **output}),
                 "--human-task-config", json.dumps(htc))


def runner_of(stack, servers, required=True):
    """The server holding the job's live runner lease and the holder's name
    (the container's host name, its short id, then the pid). The S3 server
    is a server of the installation too, and may hold it."""
    holder = stack.psql("SELECT holder FROM runner_leases WHERE name LIKE 'job:%' AND expires_ms > 0")
    if not holder and not required:
        return None, ""
    hosts = {stack.inspect(r.name)["Config"]["Hostname"]: r for r in servers}
    server = next((r for host, r in hosts.items() if holder.startswith(host + "-")), None)
    if server is None:
        fail("the runner lease's holder %r is none of the servers %s" % (holder, sorted(hosts)))
    return server, holder


def exercise(stack, ports, shared):
    replicas = [Endpoint(ports["PLUMBLINE_PORT_%d" % i], "replica-%d" % i) for i in (1, 2, 3)]
    s3 = Endpoint(ports["PLUMBLINE_S3_PORT"], "s3")
    wait_ready(replicas + [s3], 180)
    for service in ("postgres", "s3", "replica-1", "replica-2", "replica-3"):
        health = stack.inspect(service)["State"].get("Health", {}).get("Status")
        deadline = time.time() + 60
        while health != "healthy" and time.time() < deadline:
            time.sleep(1)
            health = stack.inspect(service)["State"].get("Health", {}).get("Status")
        if health != "healthy":
            fail("%s is %s:\n%s" % (service, health, stack.logs(service)))
    for service in ("migrate", "buckets"):
        code = stack.inspect(service)["State"]["ExitCode"]
        if code != 0:
            fail("%s exited %d:\n%s" % (service, code, stack.logs(service)))
    if "schema version 12 of 12" not in stack.logs("migrate"):
        fail("migrate did not say the schema is current:\n" + stack.logs("migrate"))
    log("stack up: PostgreSQL and the S3 server healthy, migrated, buckets made, 3 replicas ready")

    # The seed's files on the S3 server, through its published port.
    work = tempfile.mkdtemp(prefix="plb-compose-in-")
    with open(os.path.join(work, "objects.manifest"), "w") as f:
        f.writelines(json.dumps({"source": "sentence %d" % i}) + "\n" for i in range(OBJECTS))
    for name in ("categories.json", "worker_gui.html"):
        shutil.copy(os.path.join(shared, "seed", name), work)
    s3.aws_text("s3", "cp", "--recursive", work, "s3://%s/in/" % BUCKET)
    shutil.rmtree(work)
    _, listing, _ = s3.cli("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "in/")
    keys = sorted(o["Key"] for o in listing["Contents"])
    if keys != ["in/categories.json", "in/objects.manifest", "in/worker_gui.html"]:
        fail("the S3 server lists %s" % keys)
    _, buckets, _ = s3.cli("s3api", "list-buckets")
    if sorted(b["Name"] for b in buckets["Buckets"]) != sorted([BUCKET, "spare"]):
        fail("the S3 server's buckets: %s" % buckets)

    # Workers, added the way an operator would: the CLI in a replica's container.
    for name in ("alice", "bob"):
        run(["docker", "exec", "-i", stack.container("replica-2"), "plumbline", "users", "add",
             "--data-dir", "/var/lib/plumbline", "--username", name, "--password-stdin",
             "--groups", "labelers"], env=stack.engine.env, stdin=name + "-password\n")
    keys = {}
    for name in ("alice", "bob"):
        p = run(["docker", "exec", stack.container("replica-3"), "plumbline", "users", "create-access-key",
                 "--data-dir", "/var/lib/plumbline", "--username", name], env=stack.engine.env)
        keys[name] = json.loads(p.stdout)
    one, two, three = replicas
    # The output's key, made through replica 1: alice may decrypt, bob may not.
    _, who, _ = one.cli("sts", "get-caller-identity")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % who["Account"]},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Readers", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::%s:user/alice" % who["Account"]},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]}
    _, key, _ = one.cli("kms", "create-key", "--description", "compose output", "--policy", json.dumps(policy))
    kms_key = key["KeyMetadata"]["Arn"]
    _, team, _ = one.cli("sagemaker", "create-workteam", "--workteam-name", "compose-team",
                         "--description", "Compose", "--member-definitions",
                         '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
    htc = {"AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
           "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
           "TaskTimeLimitInSeconds": 3600, "NumberOfHumanWorkersPerDataObject": 2,
           "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
           "WorkteamArn": team["WorkteamArn"], "TaskDescription": "Classify", "TaskTitle": "Classify",
           "UiConfig": {"UiTemplateS3Uri": "s3://%s/in/worker_gui.html" % BUCKET}}
    create_job(one, JOB, "objects.manifest", "label", ROLE, htc, KmsKeyId=kms_key)
    three.wait_status(JOB, ["InProgress"], timeout=60)
    log("job created through replica 1, in progress on replica 3")

    labeler = Labeler(replicas, ("alice", "bob"))
    labeler.until(OBJECTS)  # half of the answers
    if labeler.accepted != OBJECTS or labeler.passed_over:
        fail("the first half: %d answers accepted, %d requests passed over"
             % (labeler.accepted, labeler.passed_over))

    # The replica holding the job's runner lease is SIGKILLed; Docker restarts it.
    servers = replicas + [s3]
    victim, killed = runner_of(stack, servers)
    state = stack.inspect(victim.name)["State"]
    restarts = stack.inspect(victim.name)["RestartCount"]
    log("SIGKILL to %s (host pid %d), the job's runner" % (victim.name, state["Pid"]))
    os.kill(state["Pid"], signal.SIGKILL)
    deadline = time.time() + 60
    while time.time() < deadline and stack.inspect(victim.name)["RestartCount"] == restarts:
        time.sleep(0.5)
    if stack.inspect(victim.name)["RestartCount"] != restarts + 1:
        fail("Docker did not restart %s:\n%s" % (victim.name, stack.logs(victim.name)))
    wait_ready([victim], 60)
    # The killed holder's lease runs out (15 s unrenewed), then a replica
    # (perhaps the restarted one: a new holder name) takes the job over.
    deadline = time.time() + 4 * RUNNER_LEASE
    taker, holder = None, killed
    while time.time() < deadline and holder in ("", killed):
        taker, holder = runner_of(stack, servers, required=False)
        time.sleep(0.5)
    if holder in ("", killed):
        fail("no replica took the job's runner lease over from the killed %s" % killed)
    log("Docker restarted %s; %s took the job's runner lease over" % (victim.name, taker.name))

    # A rolling restart while the workers go on: each replica in turn stopped
    # (SIGTERM: exit 0, its runner lease handed back, so another replica
    # takes the job at once rather than when the lease expires) and started.
    stop = threading.Event()
    failure = []

    def work():
        try:
            # The last answers wait for the restarts' end: the job (and its
            # runner lease) lasts until then.
            labeler.until(2 * OBJECTS - 10, pause=0.5, stop=stop)
            stop.wait()
            labeler.until(2 * OBJECTS)
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            failure.append(e)
    thread = threading.Thread(target=work)
    thread.start()
    before = labeler.accepted
    handovers = 0
    try:
        for r in replicas:
            runner, _ = runner_of(stack, servers)
            started = time.time()
            stack.compose("stop", r.name)
            took = time.time() - started
            state = stack.inspect(r.name)["State"]
            if state["Running"] or state["ExitCode"] != 0 or took > 35:
                fail("%s stopped with %s in %.1f s:\n%s" % (r.name, state, took, stack.logs(r.name)))
            note = ""
            if runner is r:
                deadline = time.time() + 5  # the lease lasts 15 s unrenewed
                taker = None
                while time.time() < deadline and taker in (None, r):
                    taker = runner_of(stack, servers, required=False)[0]
                    time.sleep(0.2)
                if taker in (None, r):
                    fail("%s held the runner lease and stopped; no other replica took it within 5 s" % r.name)
                note = "; %s took the job's runner lease" % taker.name
                handovers += 1
            stack.compose("start", r.name)
            wait_ready([r], 60)
            log("rolling restart: %s stopped (exit 0 in %.1f s%s), started, ready; %d answers so far"
                % (r.name, took, note, labeler.accepted))
        during = labeler.accepted - before
    finally:
        stop.set()
        thread.join(180)
    if failure:
        raise failure[0]
    if labeler.accepted != 2 * OBJECTS:
        fail("%d answers accepted in all, not %d" % (labeler.accepted, 2 * OBJECTS))
    if during == 0:
        fail("no answer was accepted during the rolling restart")
    log("%d answers accepted during the rolling restart; %d requests a replica could not take went to"
        " another" % (during, labeler.passed_over))
    d = one.wait_status(JOB, ["Completed"], timeout=4 * RUNNER_LEASE + 60)
    if d["LabelCounters"]["HumanLabeled"] != OBJECTS:
        fail("labeled: %s" % d["LabelCounters"])
    # The runner lease was taken at the start, after the kill and after each
    # stop of its holder, and at no other time.
    takes = {r.name: stack.logs(r.name, lines="all").count('"msg":"runner lease taken"') for r in servers}
    if sum(takes.values()) != 2 + handovers:
        fail("runner leases taken: %s; expected the first, one after the kill and %d handed over"
             % (takes, handovers))
    log("job completed; runner leases taken per replica %s" % takes)

    # The output manifest, read back from the S3 server by alice, whom the
    # key's policy lets decrypt; bob is refused; on the S3 server's disk the
    # object holds no label or source text in clear.
    key = "out/%s/manifests/output/output.manifest" % JOB
    text = s3.aws_text("s3", "cp", "s3://%s/%s" % (BUCKET, key), "-", who=keys["alice"])
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    refused = s3.aws_text("s3", "cp", "s3://%s/%s" % (BUCKET, key), "-", who=keys["bob"], check=False)
    if refused.returncode == 0 or "AccessDenied" not in refused.stderr:
        fail("bob read the output: %d %s" % (refused.returncode, refused.stderr))
    stored = subprocess.run(["docker", "exec", stack.container("s3"), "cat", "/var/lib/plumbline/buckets/%s/%s"
                             % (BUCKET, key)], env=stack.engine.env, capture_output=True, timeout=60).stdout
    if not stored.startswith(b"PLBENC01") or b"sentence" in stored or b"animal" in stored:
        fail("the output on the S3 server's disk is not an envelope: %r" % stored[:64])
    sources = sorted(line["source"] for line in lines)
    if sources != sorted("sentence %d" % i for i in range(OBJECTS)):
        fail("the output's objects: %s" % sources)
    for line in lines:
        if line["label-metadata"]["class-name"] != "animal":
            fail("unlabeled line %s" % line)
    answers = stack.psql("SELECT count(*) FROM assignments a JOIN jobs j ON j.id = a.job_id "
                         "WHERE j.name = '%s' AND a.state = 1" % JOB)
    if answers != str(2 * OBJECTS):
        fail("%s answers stored, not %d" % (answers, 2 * OBJECTS))
    log("output manifest read by alice: %d objects, each once, labeled (bob refused; an envelope on the"
        " S3 server's disk); %s answers stored" % (len(lines), answers))

    # A custom consolidation hook made through replica 1, which then stops:
    # another server runs it (the functions' folder is a shared volume) and
    # the hook reads its payload from the S3 server.
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("acs.py", ACS_HOOK)
    archive = os.path.join(tempfile.mkdtemp(prefix="plb-compose-fn-"), "acs.zip")
    with open(archive, "wb") as f:
        f.write(zipped.getvalue())
    _, fn, _ = one.cli("lambda", "create-function", "--function-name", "compose-acs", "--runtime",
                       "python3.11", "--handler", "acs.lambda_handler", "--role", ROLE, "--timeout", "30",
                       "--zip-file", "fileb://" + archive)
    shutil.rmtree(os.path.dirname(archive))
    stack.compose("stop", "replica-1")
    small = tempfile.mkdtemp(prefix="plb-compose-small-")
    with open(os.path.join(small, "small.manifest"), "w") as f:
        f.writelines(json.dumps({"source": "short %d" % i}) + "\n" for i in range(6))
    s3.aws_text("s3", "cp", os.path.join(small, "small.manifest"), "s3://%s/in/small.manifest" % BUCKET)
    shutil.rmtree(small)
    hooks = dict(htc, NumberOfHumanWorkersPerDataObject=1,
                 AnnotationConsolidationConfig={"AnnotationConsolidationLambdaArn": fn["FunctionArn"]})
    own_role = "arn:aws:iam::%s:role/GroundTruthExecutionRole" % who["Account"]  # the hook assumes it
    create_job(two, "compose-hooks", "small.manifest", "topic", own_role, hooks)
    three.wait_status("compose-hooks", ["InProgress"], timeout=60)
    Labeler([two, three], ("alice",), job="compose-hooks").until(6)
    d = two.wait_status("compose-hooks", ["Completed"], timeout=120)
    if d["LabelCounters"]["HumanLabeled"] != 6 or d["LabelCounters"].get("FailedNonRetryableError"):
        fail("the hook's job: %s" % d["LabelCounters"])
    text = s3.aws_text("s3", "cp", "s3://%s/out/compose-hooks/manifests/output/output.manifest" % BUCKET, "-")
    out = [json.loads(line) for line in text.splitlines() if line.strip()]
    if len(out) != 6 or any(line["topic"].get("by") != "hook" for line in out):
        fail("the hook's output: %s" % out)
    stack.compose("start", "replica-1")
    wait_ready([one], 60)
    log("a consolidation hook made through replica 1 ran with replica 1 stopped; 6 objects labeled by it")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--shared", required=True)
    p.add_argument("--work", required=True, help="the engine's data and the base image's tarball, kept")
    p.add_argument("--keep", action="store_true", help="leave the stack and the engine running (debugging)")
    a = p.parse_args()
    if os.geteuid() != 0:
        print("SKIP: starting a Docker engine needs root")
        return 77
    for tool in ("dockerd", "docker", "docker-compose", "debootstrap"):
        if shutil.which(tool) is None:
            fail("%s is missing: scripts/install-deps.sh --test installs it" % tool)
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    engine = Engine(work)
    ctx = tempfile.mkdtemp(prefix="plb-compose-ctx-")
    stack = None
    try:
        if not engine.start():
            print("SKIP: dockerd does not run here:\n" + engine.tail())
            return 77
        log("engine up")
        base_image(engine, work)
        ports = build_context(a.repo, os.path.abspath(a.binary), ctx)
        stack = Stack(engine, ctx)
        stack.compose("down", "-v", "--remove-orphans", check=False)  # a run killed midway
        started = time.time()
        stack.compose("build")
        log("images built in %.0f s" % (time.time() - started))
        stack.compose("up", "-d")
        exercise(stack, ports, a.shared)
    except Exception as e:  # noqa: BLE001 (any failure: the services' logs with it)
        print("FAIL: %s: %s" % (type(e).__name__, e))
        if stack:
            for service in ("postgres", "s3", "migrate", "buckets", "replica-1", "replica-2", "replica-3"):
                print("--- %s\n%s" % (service, stack.logs(service)))
        return 1
    finally:
        if a.keep:
            print("kept: DOCKER_HOST=%s, the compose file in %s" % (engine.env["DOCKER_HOST"], ctx))
        else:
            if stack:
                stack.compose("down", "-v", "--remove-orphans", check=False)
            engine.stop()
            shutil.rmtree(ctx, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
