#!/usr/bin/env python3
"""End to end: what operators use. /healthz and /readyz answer; /metrics is
Prometheus text whose counters move as workers claim and submit (claims,
submits, answers committed, commit batches, requests by route with latency
histograms, jobs by status); SIGTERM stops accepting connections but answers
a request already under way before the process exits 0.

The store is the default SQLite one, or PostgreSQL when PLUMBLINE_STORE is
set (scripts/with-postgres.sh gives PLUMBLINE_TEST_PG; --postgres uses it).

Usage: operations_e2e_test.py --binary build/plumbline --shared ../shared [--postgres]
"""

import argparse
import json
import os
import re
import signal
import socket
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
BUCKET = "ops-bucket"
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"


def seed_file(name):
    with open(os.path.join(ARGS.shared, "seed", name)) as f:
        return f.read()


def get(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def scrape(server):
    status, headers, text = get(server, "/metrics")
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers["Content-Type"]
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        # Label values are quoted and may hold braces ("/jobs/{jobName}/claim").
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$', line)
        assert m, "not a sample line: %r" % line
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples, text


def value(samples, key):
    return samples.get(key, 0.0)


class OperationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = h.Server(ARGS.binary)
        for name in ("dataset.manifest", "categories.json", "worker_gui.html"):
            cls.server.put(BUCKET, name, seed_file(name))
        cls.server.add_user("alice", "alice-password", groups=["labelers"])
        _, out, _ = cls.server.cli("sagemaker", "create-workteam", "--workteam-name", "ops-team",
                                   "--description", "Ops", "--member-definitions",
                                   '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
        cls.team = out["WorkteamArn"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def create_job(self, name):
        htc = {
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
            "TaskTimeLimitInSeconds": 3600, "NumberOfHumanWorkersPerDataObject": 1,
            "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
            "WorkteamArn": self.team, "TaskDescription": "Classify", "TaskTitle": "Classify",
            "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % BUCKET}}
        self.server.cli(
            "sagemaker", "create-labeling-job", "--labeling-job-name", name,
            "--label-attribute-name", "label", "--role-arn", ROLE,
            "--label-category-config-s3-uri", "s3://%s/categories.json" % BUCKET,
            "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                "ManifestS3Uri": "s3://%s/dataset.manifest" % BUCKET}}}),
            "--output-config", json.dumps({"S3OutputPath": "s3://%s/output/" % BUCKET}),
            "--human-task-config", json.dumps(htc))
        self.server.wait_status(name, ["InProgress"])

    def test_1_health_and_readiness(self):
        status, _, body = get(self.server, "/healthz")
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        status, _, body = get(self.server, "/readyz")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"store": "ok", "storage": "ok", "status": "ready"})

    def test_2_metrics_move_as_work_is_done(self):
        self.create_job("ops-job")
        before, text = scrape(self.server)
        self.assertIn("# TYPE plumbline_http_request_duration_seconds histogram", text)
        self.assertIn("# TYPE plumbline_store_commit_batch_size histogram", text)
        self.assertEqual(value(before, 'plumbline_jobs{status="InProgress"}'), 1)
        self.assertGreaterEqual(value(before, 'plumbline_store_connections{state="open"}'), 1)

        worker = h.Worker(self.server)
        self.assertEqual(worker.login("alice", "alice-password")[0], 200)
        for _ in range(3):
            status, task, _ = worker.request("POST", "/worker/api/jobs/ops-job/claim")
            self.assertEqual(status, 200)
            status, res, _ = worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                            {"answer": {"crowd-classifier": {"label": "person"}}})
            self.assertEqual((status, res["status"]), (200, "accepted"))
        # A retried submit is counted as repeated, not as a new answer.
        status, res, _ = worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                        {"answer": {"crowd-classifier": {"label": "person"}}})
        self.assertEqual(res["status"], "duplicate")

        after, text = scrape(self.server)
        delta = lambda k: value(after, k) - value(before, k)  # noqa: E731
        self.assertEqual(delta('plumbline_claims_total{outcome="task"}'), 3)
        self.assertEqual(delta('plumbline_submits_total{outcome="accepted"}'), 3)
        self.assertEqual(delta('plumbline_submits_total{outcome="repeated"}'), 1)
        self.assertEqual(delta("plumbline_answers_committed_total"), 3)
        self.assertGreaterEqual(delta('plumbline_store_commits_total{result="ok"}'), 6)
        self.assertGreaterEqual(delta("plumbline_store_commit_batch_size_count"), 6)
        self.assertEqual(value(after, 'plumbline_store_commit_batch_size_bucket{le="+Inf"}'),
                         value(after, "plumbline_store_commit_batch_size_count"))
        claim = 'route="/worker/api/jobs/{jobName}/claim"'
        claims = [k for k in after if k.startswith("plumbline_http_requests_total{") and claim in k]
        self.assertTrue(claims, text)
        self.assertEqual(sum(delta(k) for k in claims if 'status="200"' in k), 3)
        count = 'plumbline_http_request_duration_seconds_count{%s}' % claim
        self.assertEqual(delta(count), 3)
        inf = 'plumbline_http_request_duration_seconds_bucket{%s,le="+Inf"}' % claim
        self.assertEqual(value(after, inf), value(after, count))
        self.assertGreater(value(after, 'plumbline_http_request_duration_seconds_sum{%s}' % claim), 0)
        # Signed API calls are counted by service.
        self.assertTrue(any('route="aws:sagemaker"' in k for k in after), text)

    def test_3_sigterm_answers_the_request_under_way_then_exits(self):
        host, port = self.server.url[len("http://"):].rsplit(":", 1)
        body = b"x" * 200000
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(b"PUT /some-bucket/some-key HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n"
                  % (host.encode(), len(body)) + body[:1000])
        time.sleep(0.3)  # the server has read the head: the request is under way
        self.server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # No new connections once it is draining.
        with self.assertRaises(OSError):
            socket.create_connection((host, int(port)), timeout=2).recv(1)
        self.assertIsNone(self.server.proc.poll())  # still finishing the upload
        s.sendall(body[1000:])
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        s.close()
        self.assertRegex(reply.decode(errors="replace"), r"^HTTP/1.1 403 ")  # anonymous PUT
        self.assertIn(b"Connection: close", reply)
        self.assertEqual(self.server.proc.wait(15), 0)
        self.assertIn("in-flight requests done", self.server.server_log())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--postgres", action="store_true",
                        help="use the server PLUMBLINE_TEST_PG names (scripts/with-postgres.sh)")
    ARGS, rest = parser.parse_known_args()
    if ARGS.postgres:
        if not os.environ.get("PLUMBLINE_TEST_PG"):
            sys.exit("--postgres needs PLUMBLINE_TEST_PG: run under scripts/with-postgres.sh")
        os.environ["PLUMBLINE_STORE"] = os.environ["PLUMBLINE_TEST_PG"] + "?schema=e2e_ops"
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
