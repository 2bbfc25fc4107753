#!/usr/bin/env python3
"""End to end: two `plumbline serve` replicas, A and B, on one PostgreSQL
database hear each other's changes (LISTEN/NOTIFY, Store::Feed).

- The console's long poll on A (GET /console/api/changes?since=V&wait=25, what
  the job list and a job's page wait on) answers within moments of a job
  being created, and of it being stopped, through B.
- Caches on A follow changes made through B at once: a work team that drops
  the worker's group (A's work-team cache) and a user disabled (A's session
  cache) take effect on A's very next request.

Run under scripts/with-postgres.sh, which starts a throwaway server and sets
PLUMBLINE_TEST_PG. Usage:
  scripts/with-postgres.sh tests/e2e/notify_e2e_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SCHEMA = "e2e_notify"
BUCKET = "notify"
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"
PROMPT = 1.5  # seconds: how soon after the change A must have answered


def Replica(binary, data_dir, name):
    """A server on a data dir shared with the other replica."""
    return h.Server(binary, data_dir=data_dir, name=name)


class Session(h.Worker):
    """A signed-in session (a worker's on the portal, an admin's on the console)."""

    def __init__(self, server, username, password, console=False):
        super().__init__(server)
        path = "/console/api/login" if console else "/worker/api/login"
        status, body, _ = self.request("POST", path, {"username": username, "password": password})
        if status != 200:
            raise AssertionError("%s could not sign in on %s: %s %s" % (username, server.name, status, body))
        self.csrf = body["csrfToken"]


class LongPoll:
    """GET /console/api/changes?since=V&wait=25 on a thread; records when it answered."""

    def __init__(self, admin, since):
        self.answered_at = None
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(admin, since), daemon=True)
        self.thread.start()

    def _run(self, admin, since):
        self.result = admin.request("GET", "/console/api/changes?since=%d&wait=25" % since)
        self.answered_at = time.time()

    def done(self):
        return self.answered_at is not None


class NotifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shared = tempfile.mkdtemp(prefix="plb-notify-")
        data_dir = os.path.join(cls.shared, "data")
        cls.a = Replica(ARGS.binary, data_dir, "a")  # makes the data dir and migrates
        cls.b = Replica(ARGS.binary, data_dir, "b")
        with open(os.path.join(ARGS.shared, "seed", "categories.json")) as f:
            cls.a.put(BUCKET, "categories.json", f.read())
        with open(os.path.join(ARGS.shared, "seed", "worker_gui.html")) as f:
            cls.a.put(BUCKET, "worker_gui.html", f.read())
        cls.a.put(BUCKET, "objects.manifest",
                  "".join(json.dumps({"source": "sentence %d" % i}) + "\n" for i in range(5)))
        cls.a.add_user("admin", "admin-password", admin=True)
        cls.a.add_user("alice", "alice-password", groups=["labelers"])
        cls.a.add_user("carol", "carol-password", groups=["labelers"])
        _, out, _ = cls.b.cli("sagemaker", "create-workteam", "--workteam-name", "notify-team",
                              "--description", "Notify", "--member-definitions",
                              '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
        cls.team = out["WorkteamArn"]

    @classmethod
    def tearDownClass(cls):
        for r in (cls.a, cls.b):
            r.cleanup()
        subprocess.run(["rm", "-rf", cls.shared])

    def create_job(self, replica, name):
        htc = {
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
            "TaskTimeLimitInSeconds": 3600, "NumberOfHumanWorkersPerDataObject": 1,
            "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
            "WorkteamArn": self.team, "TaskDescription": "Classify", "TaskTitle": "Classify",
            "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % BUCKET}}
        replica.cli("sagemaker", "create-labeling-job", "--labeling-job-name", name,
                    "--label-attribute-name", "label", "--role-arn", ROLE,
                    "--label-category-config-s3-uri", "s3://%s/categories.json" % BUCKET,
                    "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                        "ManifestS3Uri": "s3://%s/objects.manifest" % BUCKET}}}),
                    "--output-config", json.dumps({"S3OutputPath": "s3://%s/output/" % BUCKET}),
                    "--human-task-config", json.dumps(htc))

    def assert_wakes_a(self, admin, change):
        """Runs `change` (something done through B) while A's console long
        poll waits; A must answer within PROMPT seconds of it."""
        for _ in range(10):
            status, body, _ = admin.request("GET", "/console/api/changes?since=-1&wait=0")
            self.assertEqual(status, 200, body)
            poll = LongPoll(admin, body["version"])
            time.sleep(1.0)
            if not poll.done():
                break  # waiting: nothing else moved the version meanwhile
        self.assertFalse(poll.done(), "A's long poll never settled into waiting")
        started = time.time()
        change()
        finished = time.time()
        poll.thread.join(25)
        self.assertTrue(poll.done(), "A's long poll did not answer")
        status, body, _ = poll.result
        self.assertEqual(status, 200, body)
        self.assertGreater(poll.answered_at, started)
        lag = poll.answered_at - finished
        self.assertLess(lag, PROMPT, "A answered %.2f s after the change through B" % lag)
        return poll.answered_at - started, finished - started

    def a_job_status(self, admin, name):
        status, body, _ = admin.request("GET", "/console/api/jobs?name=%s" % name)
        self.assertEqual(status, 200, body)
        return {j["name"]: j["status"] for j in body["jobs"]}.get(name)

    def test_a_console_long_poll_on_a_answers_when_b_creates_and_stops_a_job(self):
        admin = Session(self.a, "admin", "admin-password", console=True)
        print("A's long poll answered %.3f s into B's create-labeling-job (of %.3f s)"
              % self.assert_wakes_a(admin, lambda: self.create_job(self.b, "made-on-b")))
        self.assertIsNotNone(self.a_job_status(admin, "made-on-b"))
        self.a.wait_status("made-on-b", ["InProgress"])
        print("A's long poll answered %.3f s into B's stop-labeling-job (of %.3f s)"
              % self.assert_wakes_a(admin, lambda: self.b.cli(
                  "sagemaker", "stop-labeling-job", "--labeling-job-name", "made-on-b")))
        self.assertIn(self.a_job_status(admin, "made-on-b"), ("Stopping", "Stopped"))

    def test_b_a_work_team_changed_through_b_takes_effect_on_a_at_once(self):
        self.create_job(self.b, "team-job")
        self.a.wait_status("team-job", ["InProgress"])
        alice = Session(self.a, "alice", "alice-password")
        # A reads the team (and caches its groups): alice sees the job.
        deadline = time.time() + 20
        while time.time() < deadline:
            status, body, _ = alice.request("GET", "/worker/api/jobs")
            self.assertEqual(status, 200, body)
            if "team-job" in [j["name"] for j in body["jobs"]]:
                break
            time.sleep(0.2)
        self.assertIn("team-job", [j["name"] for j in body["jobs"]])
        # Through B the team's members become another group.
        self.b.cli("sagemaker", "update-workteam", "--workteam-name", "notify-team",
                   "--member-definitions", '[{"OidcMemberDefinition":{"Groups":["others"]}}]')
        changed = time.time()
        # On A: alice is out of the team from the next moment on.
        while True:
            status, body, _ = alice.request("POST", "/worker/api/jobs/team-job/claim")
            if status == 403 or time.time() - changed > PROMPT:
                break
            time.sleep(0.05)
        self.assertEqual(status, 403, body)
        print("A refused alice's claim %.3f s after B's update-workteam returned"
              % (time.time() - changed))
        status, body, _ = alice.request("GET", "/worker/api/jobs")
        self.assertEqual(status, 200, body)
        self.assertNotIn("team-job", [j["name"] for j in body["jobs"]])

    def test_c_a_user_disabled_through_b_is_signed_out_on_a_at_once(self):
        carol = Session(self.a, "carol", "carol-password")
        status, body, _ = carol.request("GET", "/worker/api/jobs")
        self.assertEqual(status, 200, body)
        admin_b = Session(self.b, "admin", "admin-password", console=True)
        status, body, _ = admin_b.request("POST", "/console/api/users/carol/disable", {})
        self.assertEqual(status, 200, body)
        status, body, _ = carol.request("GET", "/worker/api/jobs")
        self.assertEqual(status, 401, body)


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
