#!/usr/bin/env python3
"""Crash test of the scale-out: three `plumbline serve` replicas on one
PostgreSQL database with their storage on s3rver (an S3 protocol peer), 48
simulated workers spread over the replicas, N = 3 workers per object. While
they work, one replica (the job's runner at first) is SIGKILLed three times
and started again, and PostgreSQL itself is stopped and started again once
(same port, same data directory). Workers retry through all of it: a refused
connection or a 503 sends the same request again.

Then: every acknowledged (200) answer is in the job's worker-response files
on S3 and in the database, no worker answered an object twice, no object
has more than N answers, the job completes, and its output manifest was
written once (one PUT of it reached s3rver, one replica logged writing it).

Run under scripts/with-postgres.sh, which starts a throwaway server and sets
PLUMBLINE_TEST_PG (and PLUMBLINE_TEST_PG_DATA, its data directory). Usage:
  scripts/with-postgres.sh tests/e2e/replicas_crash_test.py --binary build/plumbline --repo .
"""

import argparse
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SCHEMA = "e2e_replicas_crash"
BUCKET = "replicas-crash"
JOB = "replicas-crash-job"
N = 3
OBJECTS = 64
WORKERS = 48
KILLS = 3
LEASE_SECONDS = 3
THINK_SECONDS = 1.5  # a worker's time on a task: the job's work lasts through the faults
LABELS = ["red", "green", "blue"]
S3_ENV = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER",
          "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
          "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
OUTPUT_KEY = "out/%s/manifests/output/output.manifest" % JOB


psql = h.psql


class Postgres:
    """The server scripts/with-postgres.sh started, stopped by its PID and
    started again on the same port and data directory, with the command line
    it was started with (the server keeps it in postmaster.opts)."""

    def __init__(self):
        self.data = os.environ["PLUMBLINE_TEST_PG_DATA"]
        with open(os.path.join(self.data, "postmaster.opts")) as f:
            self.command = shlex.split(f.read())
        self.bin = os.path.dirname(self.command[0])
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.url = os.environ["PLUMBLINE_TEST_PG"]

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except FileNotFoundError:
            return None

    def stop(self):
        pid = self.pid()
        os.kill(pid, signal.SIGINT)  # "fast" shutdown: clients are cut off
        deadline = time.time() + 30
        while self.pid() is not None and time.time() < deadline:
            time.sleep(0.05)
        if self.pid() is not None:
            raise AssertionError("PostgreSQL did not stop")

    def start(self):
        log = open(os.environ.get("PLUMBLINE_TEST_PG_LOG", os.devnull), "a")
        subprocess.Popen(self.as_pg + self.command, stdout=log, stderr=log,
                         start_new_session=True)
        log.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            if subprocess.run([os.path.join(self.bin, "pg_isready"), "-q", "-d", self.url]
                              ).returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError("PostgreSQL did not come back")


class S3rver:
    """s3rver on a free port, its log (a line per object stored) kept in a file."""

    def __init__(self, repo):
        script = os.path.join(repo, "node_modules", "s3rver", "bin", "s3rver.js")
        if not os.path.exists(script):
            raise RuntimeError("s3rver is missing; run `npm ci` in the repository root")
        self.dir = tempfile.mkdtemp(prefix="plb-s3rver-")
        self.log_path = os.path.join(self.dir, "s3rver.log")
        self.log = open(self.log_path, "w")
        self.endpoint = "http://127.0.0.1:%d" % h.free_port()
        port = self.endpoint.rsplit(":", 1)[1]
        self.proc = subprocess.Popen(["node", script, "-d", os.path.join(self.dir, "data"),
                                      "-a", "127.0.0.1", "-p", port,
                                      "--configure-bucket", BUCKET],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while "listening" not in self.read_log():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("s3rver did not start: " + self.read_log())
            time.sleep(0.05)

    def read_log(self):
        with open(self.log_path) as f:
            return re.sub(r"\x1b\[[0-9;]*m", "", f.read())  # without its colours

    def puts_of(self, key):
        """How many times an object was stored under `key` (s3rver logs each)."""
        return len(re.findall(r'Stored object "%s" in bucket "%s"' % (re.escape(key),
                                                                      re.escape(BUCKET)),
                              self.read_log()))

    def cli(self, *args):
        env = dict(os.environ, **S3_ENV, AWS_DEFAULT_REGION="us-east-1")
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", self.endpoint, *args], env=env,
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("aws %s: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Replica(h.Server):
    """A server on a data dir (its keys) shared with the other replicas, its
    store the shared PostgreSQL database, its storage s3rver."""

    def __init__(self, binary, data_dir, name, s3_endpoint):
        super().__init__(binary, extra_env=S3_ENV,
                         extra_args=["--runner-lease", str(LEASE_SECONDS), "--s3-endpoint", s3_endpoint],
                         data_dir=data_dir, name=name)

    def count(self, pattern):
        return len(re.findall(pattern, self.server_log()))


class SimulatedWorker(threading.Thread):
    """Claims and submits through one replica until the job has nothing left
    for it. A refused connection (its replica is down) or a 503 (the
    database is) sends the same request again; a retried submit of a task
    already committed is acknowledged without a second answer."""

    def __init__(self, replica, name, acked, stop, chains):
        super().__init__(daemon=True)
        self.replica, self.name, self.acked, self.stop = replica, name, acked, stop
        self.chains = chains
        self.errors = []
        self.retries = 0

    def call(self, method, path, body=None):
        while not self.stop.is_set():
            try:
                status, data, _ = self.session.request(method, path, body)
            except (urllib.error.URLError, ConnectionError, OSError):
                status, data = None, None
            if status == 401:
                self.login()
                continue
            if status in (None, 503):
                self.retries += 1
                time.sleep(0.05)
                continue
            return status, data
        return None, None

    def login(self):
        while not self.stop.is_set():
            try:
                self.session = h.Worker(self.replica)
                if self.session.login(self.name, self.name + "-password")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            self.retries += 1
            time.sleep(0.05)

    def run(self):
        self.login()
        empty_polls = 0
        while not self.stop.is_set():
            status, task = self.call("POST", "/worker/api/jobs/%s/claim" % JOB)
            if status == 204:
                empty_polls += 1
                if empty_polls > 40:
                    return
                time.sleep(0.05)
                continue
            if status != 200:
                if status is not None:
                    self.errors.append("claim answered %s: %s" % (status, task))
                continue
            empty_polls = 0
            while task is not None and not self.stop.is_set():
                time.sleep(THINK_SECONDS)
                obj = task["taskInput"]["taskObject"]
                label = LABELS[(hash((self.name, obj)) & 0xff) % 3]
                answer = {"crowd-classifier": {"label": label}, "who": self.name}
                body = {"answer": answer, "next": True} if self.chains else {"answer": answer}
                status, res = self.call("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                        body)
                done = task
                task = None
                if status == 200:
                    self.acked.append((obj, self.name, label, done["taskId"]))
                    if self.chains:
                        task = res.get("next")
                elif status is not None:
                    self.errors.append("submit answered %s: %s" % (status, res))


class ReplicasCrashTest(unittest.TestCase):
    def test_replica_kills_and_a_database_restart_lose_no_acknowledged_answer(self):
        self.s3 = S3rver(ARGS.repo)
        self.shared = tempfile.mkdtemp(prefix="plb-replicas-crash-")
        self.replicas = []
        try:
            self.run_scenario()
        except Exception:
            for r in self.replicas:
                print("---- replica %s (tail of its log)\n%s" % (r.name, r.server_log()[-3000:]))
            raise
        finally:
            for r in self.replicas:
                r.cleanup()
            self.s3.cleanup()
            shutil.rmtree(self.shared, ignore_errors=True)

    def holder_pid(self, job_id):
        holder = psql("SELECT holder FROM %s.runner_leases WHERE name='job:%d' AND expires_ms > 0"
                      % (SCHEMA, job_id))
        m = re.search(r"-(\d+)-[0-9a-f]+$", holder)
        return int(m.group(1)) if m else None

    def wait_status(self, job_id, status, timeout):
        """Waits for the job's status, read from the database (cheaper than
        a DescribeLabelingJob through the aws CLI every time)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            now = psql("SELECT status FROM %s.jobs WHERE id=%d" % (SCHEMA, job_id))
            if now == status:
                return
            time.sleep(0.1)
        raise AssertionError("the job is %s, not %s, after %d s" % (now, status, timeout))

    def run_scenario(self):
        started = time.time()
        pg = Postgres()
        s3 = self.s3
        work = os.path.join(self.shared, "inputs")
        os.makedirs(work)
        inputs = {
            "m.manifest": "".join(json.dumps({"source": "object %d" % i}) + "\n"
                                  for i in range(OBJECTS)),
            "c.json": json.dumps({"document-version": "2018-11-28",
                                  "labels": [{"label": l} for l in LABELS]}),
            "t.html": "<p>{{ task.input.taskObject }}</p>",
        }
        for name, text in inputs.items():
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        data_dir = os.path.join(self.shared, "data")
        names = ["w%02d" % i for i in range(WORKERS)]
        with ThreadPoolExecutor(8) as pool:
            upload = pool.submit(s3.cli, "s3", "cp", "--recursive", work, "s3://%s/in/" % BUCKET)
            # The first replica makes the data dir's keys and migrates the
            # schema; the others start beside it while the workers are added.
            self.replicas.append(Replica(ARGS.binary, data_dir, "a", s3.endpoint))
            first = self.replicas[0]
            others = [pool.submit(Replica, ARGS.binary, data_dir, n, s3.endpoint)
                      for n in ("b", "c")]
            list(pool.map(lambda n: first.add_user(n, n + "-password", groups=["crowd"]), names))
            self.replicas += [r.result() for r in others]
            upload.result()
        print("replicas, workers and inputs ready after %.1f s" % (time.time() - started))
        _, team, _ = first.cli("sagemaker", "create-workteam", "--workteam-name", "crash-team",
                               "--description", "d", "--member-definitions",
                               '[{"OidcMemberDefinition":{"Groups":["crowd"]}}]')
        first.cli("sagemaker", "create-labeling-job", "--labeling-job-name", JOB,
                  "--label-attribute-name", "color", "--label-category-config-s3-uri",
                  "s3://%s/in/c.json" % BUCKET, "--role-arn", "arn:aws:iam::123456789012:role/r",
                  "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                      "ManifestS3Uri": "s3://%s/in/m.manifest" % BUCKET}}}),
                  "--output-config", json.dumps({"S3OutputPath": "s3://%s/out" % BUCKET}),
                  "--human-task-config", json.dumps({
                      "WorkteamArn": team["WorkteamArn"],
                      "UiConfig": {"UiTemplateS3Uri": "s3://%s/in/t.html" % BUCKET},
                      "PreHumanTaskLambdaArn":
                          "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
                      "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                          "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
                      "TaskTitle": "t", "TaskDescription": "d", "TaskTimeLimitInSeconds": 300,
                      "NumberOfHumanWorkersPerDataObject": N}))
        job_id = int(psql("SELECT id FROM %s.jobs WHERE name='%s'" % (SCHEMA, JOB)))
        self.wait_status(job_id, "InProgress", 30)
        # The replica killed is the one running the job at first.
        holder_pid = self.holder_pid(job_id)
        victim = next(r for r in self.replicas if r.proc.pid == holder_pid)
        print("setup took %.1f s; the job's runner is replica %s" % (time.time() - started,
                                                                     victim.name))

        acked, stop = [], threading.Event()
        workers = [SimulatedWorker(self.replicas[i % 3], n, acked, stop, chains=i % 2 == 0)
                   for i, n in enumerate(names)]
        for w in workers:
            w.start()
        total = OBJECTS * N
        # The faults, at these shares of the answers acknowledged: kill,
        # kill, PostgreSQL's restart, kill.
        events = [(0.10, "kill"), (0.30, "kill"), (0.50, "postgres"), (0.70, "kill")]
        rng = random.Random(19)
        faults_started = time.time()
        for share, what in events:
            target = int(total * share) + rng.randint(0, 5)
            deadline = time.time() + 30
            while len(acked) < target and time.time() < deadline:
                time.sleep(0.01)
            self.assertGreaterEqual(len(acked), target, "the workers stalled before " + what)
            if what == "kill":
                victim.kill9()
                time.sleep(0.3)
                victim.restart()
            else:
                pg.stop()
                time.sleep(1.0)
                pg.start()
            print("%s at %d answers acknowledged (%.1f s)" % (what, len(acked),
                                                               time.time() - faults_started))
        for w in workers:
            w.join(max(1, 60 - (time.time() - faults_started)))
        stop.set()
        print("the workers are done after %.1f s" % (time.time() - faults_started))
        for w in workers:
            self.assertFalse(w.is_alive(), "%s is still working" % w.name)
            self.assertEqual(w.errors, [], w.name)
        self.wait_status(job_id, "Completed", 60)
        _, d, _ = self.replicas[2].cli("sagemaker", "describe-labeling-job",
                                       "--labeling-job-name", JOB)
        self.assertEqual(d["LabelCounters"]["HumanLabeled"], OBJECTS)
        print("%d answers acknowledged in %.1f s, %d retries by the workers" % (
            len(acked), time.time() - faults_started, sum(w.retries for w in workers)))

        # No worker got two tasks of one object; every acknowledged answer is
        # one of the object's at most N answers in the database.
        tasks = {}
        for obj, name, label, task_id in acked:
            tasks.setdefault((obj, name), set()).add(task_id)
        for key, ids in tasks.items():
            self.assertEqual(len(ids), 1, "%s answered %s in two tasks: %s" % (key[1], key[0], ids))
        rows = psql("SELECT a.idx, u.username, a.answer FROM %s.assignments a JOIN %s.users u "
                    "ON u.id = a.user_id WHERE a.job_id = %d AND a.state = 1"
                    % (SCHEMA, SCHEMA, job_id)).splitlines()
        stored = {}
        for row in rows:
            idx, who, answer = row.split("|", 2)
            stored.setdefault(int(idx), []).append((who, json.loads(answer)))
        for idx, answers in stored.items():
            who = [w for w, _ in answers]
            self.assertEqual(len(who), len(set(who)), "object %d: a worker twice: %s" % (idx, who))
            self.assertLessEqual(len(who), N, "object %d" % idx)
        # Each object's counters say what its tasks say: the leases,
        # answers and declines the writes counted (a batch's claims count
        # theirs together) are its live, answered and declined tasks.
        self.assertEqual(psql(
            "SELECT count(*) FROM %s.objects o, LATERAL (SELECT "
            "count(*) FILTER (WHERE a.state = 0) AS live, "
            "count(*) FILTER (WHERE a.state = 1) AS answered, "
            "count(*) FILTER (WHERE a.state = 3) AS declined FROM %s.assignments a "
            "WHERE a.job_id = o.job_id AND a.idx = o.idx) t WHERE o.job_id = %d AND "
            "(o.leases, o.answers, o.declines) IS DISTINCT FROM (t.live, t.answered, t.declined)"
            % (SCHEMA, SCHEMA, job_id)), "0")
        line_of = {"object %d" % i: i for i in range(OBJECTS)}
        for obj, name, label, _ in set(acked):
            self.assertIn(name, [w for w, _ in stored.get(line_of[obj], [])],
                          "acknowledged answer of %s on %s not stored" % (name, obj))

        # The output on S3: each object's last worker-response file holds
        # every acknowledged answer of it; the output manifest every object.
        local = os.path.join(self.shared, "out")
        s3.cli("s3", "cp", "--recursive", "s3://%s/out/%s/" % (BUCKET, JOB), local)
        answers_by_object = {}
        for i in range(OBJECTS):
            folder = os.path.join(local, "annotations/worker-response/iteration-1/%d" % i)
            files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
            self.assertTrue(files, "object %d has no worker-response file" % i)
            with open(os.path.join(folder, files[-1])) as f:
                answers = json.load(f)["answers"]
            who = [a["answerContent"]["who"] for a in answers]
            self.assertEqual(len(who), len(set(who)), "object %d: a worker twice: %s" % (i, who))
            self.assertLessEqual(len(who), N)
            answers_by_object[i] = {(a["answerContent"]["who"],
                                     a["answerContent"]["crowd-classifier"]["label"])
                                    for a in answers}
        for obj, name, label, _ in acked:
            self.assertIn((name, label), answers_by_object[line_of[obj]],
                          "acknowledged answer of %s on %s is not in the output" % (name, obj))
        with open(os.path.join(local, "manifests/output/output.manifest")) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        self.assertEqual(sorted(l["source"] for l in lines), sorted(line_of))
        self.assertTrue(all("color" in l for l in lines))

        # The output manifest was written once: one PUT of it reached S3,
        # and one replica (of all the processes that ran) logged writing it.
        self.assertEqual(s3.puts_of(OUTPUT_KEY), 1)
        written = [r.count(r'msg="output written" job=%s ' % JOB) for r in self.replicas]
        self.assertEqual(sum(written), 1, written)
        lost_lines = [line for r in self.replicas for line in r.server_log().splitlines()
                      if 'msg="runner lease lost" job_id=%d ' % job_id in line]
        lost = len(lost_lines)
        for line in lost_lines:
            print(line[:300])
        takes = sum(r.count(r'msg="runner lease taken" job_id=%d ' % job_id)
                    for r in self.replicas)
        print("the job's lease was taken %d times, found lost %d times; %.1f s in all" % (
            takes, lost, time.time() - started))


if __name__ == "__main__":
    if not os.environ.get("PLUMBLINE_TEST_PG") or not os.environ.get("PLUMBLINE_TEST_PG_DATA"):
        print("PLUMBLINE_TEST_PG(_DATA) is not set: run under scripts/with-postgres.sh",
              file=sys.stderr)
        sys.exit(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--repo", required=True)
    ARGS, rest = parser.parse_known_args()
    os.environ["PLUMBLINE_STORE"] = os.environ["PLUMBLINE_TEST_PG"] + "?schema=" + SCHEMA
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
