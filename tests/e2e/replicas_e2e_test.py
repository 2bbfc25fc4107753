#!/usr/bin/env python3
"""End to end: three `plumbline serve` replicas on one PostgreSQL database
(and one data dir, standing in for shared storage). A job is created on one
replica and labeled by two workers whose requests go round the three; the
job's runner work (ingest, consolidation, output) is done by the replica
holding the job's lease (runner_leases), and no other. Midway the lease
holder is killed with SIGKILL; another replica takes the lease over once it
expires, the workers go on through the survivors, the job completes, and
its output manifest has every object exactly once, with its label.

Run under scripts/with-postgres.sh, which starts a throwaway server and sets
PLUMBLINE_TEST_PG. Usage:
  scripts/with-postgres.sh tests/e2e/replicas_e2e_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SCHEMA = "e2e_replicas"
BUCKET = "replicas"
JOB = "replicated-job"
OBJECTS = 30
LEASE_SECONDS = 5  # long enough that a loaded machine does not miss a renewal
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"


psql = h.psql


class Replica(h.Server):
    """A server on a data dir shared with the other replicas."""

    def __init__(self, binary, data_dir, name):
        super().__init__(binary, extra_args=["--runner-lease", str(LEASE_SECONDS)],
                         data_dir=data_dir, name=name)

    def lease_takes(self, job_id):
        return len(re.findall(r'msg="runner lease taken" job_id=%d ' % job_id, self.server_log()))


class ReplicasTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shared = tempfile.mkdtemp(prefix="plb-replicas-")
        data_dir = os.path.join(cls.shared, "data")
        # The first replica makes the data dir's keys and migrates the
        # schema; the others start beside it.
        cls.replicas = [Replica(ARGS.binary, data_dir, "a")]
        cls.replicas += [Replica(ARGS.binary, data_dir, n) for n in ("b", "c")]
        first = cls.replicas[0]
        with open(os.path.join(ARGS.shared, "seed", "categories.json")) as f:
            first.put(BUCKET, "categories.json", f.read())
        with open(os.path.join(ARGS.shared, "seed", "worker_gui.html")) as f:
            first.put(BUCKET, "worker_gui.html", f.read())
        first.put(BUCKET, "objects.manifest",
                  "".join(json.dumps({"source": "sentence %d" % i}) + "\n" for i in range(OBJECTS)))
        first.add_user("alice", "alice-password", groups=["labelers"])
        first.add_user("bob", "bob-password", groups=["labelers"])
        _, out, _ = first.cli("sagemaker", "create-workteam", "--workteam-name", "replica-team",
                              "--description", "Replicas", "--member-definitions",
                              '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
        cls.team = out["WorkteamArn"]

    @classmethod
    def tearDownClass(cls):
        for r in cls.replicas:
            r.cleanup()
        subprocess.run(["rm", "-rf", cls.shared])

    def holder_pid(self, job_id):
        holder = psql("SELECT holder FROM %s.runner_leases WHERE name='job:%d' AND expires_ms > 0"
                      % (SCHEMA, job_id))
        m = re.search(r"-(\d+)-[0-9a-f]+$", holder)
        return int(m.group(1)) if m else None

    def label(self, workers, replicas, count):
        """Each worker claims and submits `count` tasks, their requests going
        round `replicas`. Returns the number of answers accepted."""
        accepted = 0
        turn = 0
        for _ in range(count):
            for name, sessions in workers.items():
                live = [r for r in replicas if r.proc.poll() is None]
                replica = live[turn % len(live)]
                turn += 1
                w = sessions[replica.name]
                status, task, _ = w.request("POST", "/worker/api/jobs/%s/claim" % JOB)
                if status == 204 or (status == 200 and not task):
                    continue  # nothing left for this worker now
                self.assertEqual(status, 200, task)
                status, res, _ = w.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                           {"answer": {"crowd-classifier": {"label": "animal"}}})
                self.assertEqual(status, 200, res)
                if res["status"] == "accepted":
                    accepted += 1
        return accepted

    def test_one_replica_runs_the_job_and_another_takes_over_when_it_dies(self):
        a = self.replicas[0]
        htc = {
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
            "TaskTimeLimitInSeconds": 3600, "NumberOfHumanWorkersPerDataObject": 2,
            "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
            "WorkteamArn": self.team, "TaskDescription": "Classify", "TaskTitle": "Classify",
            "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % BUCKET}}
        a.cli("sagemaker", "create-labeling-job", "--labeling-job-name", JOB,
              "--label-attribute-name", "label", "--role-arn", ROLE,
              "--label-category-config-s3-uri", "s3://%s/categories.json" % BUCKET,
              "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                  "ManifestS3Uri": "s3://%s/objects.manifest" % BUCKET}}}),
              "--output-config", json.dumps({"S3OutputPath": "s3://%s/output/" % BUCKET}),
              "--human-task-config", json.dumps(htc))
        self.replicas[2].wait_status(JOB, ["InProgress"])
        job_id = int(psql("SELECT id FROM %s.jobs WHERE name='%s'" % (SCHEMA, JOB)))

        # Exactly one replica took the job's lease, and holds it.
        takers = [r for r in self.replicas if r.lease_takes(job_id) > 0]
        self.assertEqual(len(takers), 1, [(r.name, r.lease_takes(job_id)) for r in self.replicas])
        holder = takers[0]
        self.assertEqual(self.holder_pid(job_id), holder.proc.pid)
        self.assertEqual(psql("SELECT object_count FROM %s.jobs WHERE id=%d" % (SCHEMA, job_id)),
                         str(OBJECTS))

        workers = {}
        for name in ("alice", "bob"):
            workers[name] = {}
            for r in self.replicas:
                w = h.Worker(r)
                self.assertEqual(w.login(name, name + "-password")[0], 200)
                workers[name][r.name] = w
        accepted = self.label(workers, self.replicas, OBJECTS // 2)
        self.assertEqual(accepted, OBJECTS)  # half the objects' answers
        # The holder consolidates what is in (a pass every 0.5 s at most).
        deadline = time.time() + 20
        while time.time() < deadline:
            labeled = int(psql("SELECT labeled FROM %s.jobs WHERE id=%d" % (SCHEMA, job_id)))
            if labeled > 0:
                break
            time.sleep(0.2)
        self.assertGreater(labeled, 0)

        # The holder dies mid-job; a survivor takes the lease once it expires.
        holder.kill9()
        survivors = [r for r in self.replicas if r is not holder]
        deadline = time.time() + 10 * LEASE_SECONDS
        new_pid = None
        while time.time() < deadline:
            new_pid = self.holder_pid(job_id)
            if new_pid in [r.proc.pid for r in survivors]:
                break
            time.sleep(0.2)
        self.assertIn(new_pid, [r.proc.pid for r in survivors])

        accepted += self.label(workers, survivors, OBJECTS)
        self.assertEqual(accepted, 2 * OBJECTS)  # every object answered by both, once each
        d = survivors[0].wait_status(JOB, ["Completed"], timeout=60)
        self.assertEqual(d["LabelCounters"]["HumanLabeled"], OBJECTS)
        # One survivor took the job over, once.
        self.assertEqual(sorted(r.lease_takes(job_id) for r in survivors), [0, 1])

        # The output manifest: every object exactly once, labeled.
        path = holder.bucket_path(BUCKET, "output/%s/manifests/output/output.manifest" % JOB)
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        sources = [line["source"] for line in lines]
        self.assertEqual(sorted(sources), sorted("sentence %d" % i for i in range(OBJECTS)))
        self.assertEqual(len(set(sources)), OBJECTS)
        for line in lines:
            self.assertEqual(line["label-metadata"]["class-name"], "animal", line)
        self.assertEqual(psql("SELECT count(*) FROM %s.assignments WHERE job_id=%d AND state=1"
                              % (SCHEMA, job_id)), str(2 * OBJECTS))
        # The lease of the finished job was handed back.
        deadline = time.time() + 10
        while time.time() < deadline and self.holder_pid(job_id) is not None:
            time.sleep(0.2)
        self.assertIsNone(self.holder_pid(job_id))


if __name__ == "__main__":
    if not os.environ.get("PLUMBLINE_TEST_PG"):
        print("PLUMBLINE_TEST_PG is not set: run under scripts/with-postgres.sh", file=sys.stderr)
        sys.exit(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    ARGS, rest = parser.parse_known_args()
    os.environ["PLUMBLINE_STORE"] = os.environ["PLUMBLINE_TEST_PG"] + "?schema=" + SCHEMA
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
