#!/usr/bin/env python3
"""Crash test: SIGKILL the server several times while simulated workers claim
and submit (N = 3 workers per object; half of them submit with "next", which
claims their next task in the same commit), then check that nothing acknowledged
was lost: every answer that got a 200 is in the job's output, no object has a
worker twice or more than N answers, and the job completes.

Usage: crash_test.py --binary build/plumbline
"""

import argparse
import glob
import json
import os
import random
import sys
import threading
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
N = 3
OBJECTS = 40
WORKERS = 12
KILLS = 3
LABELS = ["red", "green", "blue"]


class SimulatedWorker(threading.Thread):
    """Claims and submits until the job has nothing left; survives restarts
    by signing in again and retrying the submit of the task it holds."""

    def __init__(self, server, name, job, acked, stop, chains):
        super().__init__(daemon=True)
        self.server, self.name, self.job, self.acked, self.stop = server, name, job, acked, stop
        self.chains = chains
        self.errors = []

    def call(self, method, path, body=None):
        while not self.stop.is_set():
            try:
                status, data, _ = self.session.request(method, path, body)
                if status == 401:  # the session table survives, but be robust
                    self.login()
                    continue
                return status, data
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)  # server down: retry the same request
                self.login()
        return None, None

    def login(self):
        while not self.stop.is_set():
            try:
                self.session = h.Worker(self.server)
                if self.session.login(self.name, self.name + "-password")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)

    def run(self):
        self.login()
        empty_polls = 0
        while not self.stop.is_set():
            status, task = self.call("POST", "/worker/api/jobs/%s/claim" % self.job)
            if status == 204:
                empty_polls += 1
                if empty_polls > 40:
                    return
                time.sleep(0.05)
                continue
            if status != 200:
                if status is not None:
                    self.errors.append("claim answered %s" % status)
                continue
            empty_polls = 0
            while task is not None and not self.stop.is_set():
                obj = task["taskInput"]["taskObject"]
                label = LABELS[(hash((self.name, obj)) & 0xff) % 3]
                answer = {"crowd-classifier": {"label": label}, "who": self.name}
                # Half the workers move on as the portal does: the submit
                # claims their next task in the same commit.
                body = {"answer": answer, "next": True} if self.chains else {"answer": answer}
                status, res = self.call("POST", "/worker/api/tasks/%s/submit" % task["taskId"], body)
                task = None
                if status == 200:
                    self.acked.append((obj, self.name, label))
                    if self.chains:
                        task = res["next"]
                elif status is not None:
                    self.errors.append("submit answered %s: %s" % (status, res))


class CrashTest(unittest.TestCase):
    def test_sigkill_loses_no_acknowledged_answer(self):
        server = h.Server(ARGS.binary)
        try:
            self.run_scenario(server)
        except Exception:
            print(server.server_log()[-5000:])
            raise
        finally:
            server.cleanup()

    def run_scenario(self, server):
        bucket = "crash"
        server.put(bucket, "m.manifest",
                   "".join(json.dumps({"source": "object %d" % i}) + "\n" for i in range(OBJECTS)))
        server.put(bucket, "c.json", json.dumps({"document-version": "2018-11-28",
                                                 "labels": [{"label": l} for l in LABELS]}))
        server.put(bucket, "t.html", "<p>{{ task.input.taskObject }}</p>")
        names = ["w%02d" % i for i in range(WORKERS)]
        for name in names:
            server.add_user(name, name + "-password", groups=["crowd"])
        _, team, _ = server.cli("sagemaker", "create-workteam", "--workteam-name", "crash-team",
                                "--description", "d", "--member-definitions",
                                '[{"OidcMemberDefinition":{"Groups":["crowd"]}}]')
        job = "crash-job"
        server.cli("sagemaker", "create-labeling-job", "--labeling-job-name", job,
                   "--label-attribute-name", "color", "--label-category-config-s3-uri",
                   "s3://%s/c.json" % bucket, "--role-arn", "arn:aws:iam::123456789012:role/r",
                   "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                       "ManifestS3Uri": "s3://%s/m.manifest" % bucket}}}),
                   "--output-config", json.dumps({"S3OutputPath": "s3://%s/out" % bucket}),
                   "--human-task-config", json.dumps({
                       "WorkteamArn": team["WorkteamArn"],
                       "UiConfig": {"UiTemplateS3Uri": "s3://%s/t.html" % bucket},
                       "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
                       "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                           "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
                       "TaskTitle": "t", "TaskDescription": "d", "TaskTimeLimitInSeconds": 300,
                       "NumberOfHumanWorkersPerDataObject": N}))
        server.wait_status(job, ["InProgress"])

        acked, stop = [], threading.Event()
        workers = [SimulatedWorker(server, n, job, acked, stop, chains=i % 2 == 0)
                   for i, n in enumerate(names)]
        for w in workers:
            w.start()
        rng = random.Random(7)
        for _ in range(KILLS):
            target = len(acked) + rng.randint(10, 25)
            deadline = time.time() + 30
            while len(acked) < target and time.time() < deadline:
                time.sleep(0.01)
            server.kill9()
            time.sleep(0.2)
            server.restart()
        for w in workers:
            w.join(120)
        stop.set()
        for w in workers:
            self.assertEqual(w.errors, [], w.name)
        d = server.wait_status(job, ["Completed"], timeout=60)
        self.assertEqual(d["LabelCounters"]["HumanLabeled"], OBJECTS)

        # Every acknowledged answer is in the output; no worker twice; at most N.
        root = server.bucket_path(bucket, "out/%s" % job)
        line_of = {"object %d" % i: i for i in range(OBJECTS)}
        answers_by_object = {}
        for i in range(OBJECTS):
            files = sorted(glob.glob(os.path.join(
                root, "annotations/worker-response/iteration-1/%d/*.json" % i)))
            self.assertTrue(files, "object %d has no worker-response file" % i)
            with open(files[-1]) as f:
                answers = json.load(f)["answers"]
            who = [a["answerContent"]["who"] for a in answers]
            self.assertEqual(len(who), len(set(who)), "object %d: a worker twice: %s" % (i, who))
            self.assertLessEqual(len(who), N)
            answers_by_object[i] = {(a["answerContent"]["who"], a["answerContent"]["crowd-classifier"]["label"])
                                    for a in answers}
        for obj, name, label in acked:
            self.assertIn((name, label), answers_by_object[line_of[obj]],
                          "acknowledged answer of %s on %s lost" % (name, obj))
        with open(os.path.join(root, "manifests/output/output.manifest")) as f:
            lines = [json.loads(l) for l in f]
        self.assertEqual(len(lines), OBJECTS)
        self.assertTrue(all("color" in l for l in lines))
        # Three answers per object: a job-wide Dawid-Skene confidence, not 0.
        for l in lines:
            self.assertTrue(0 < l["color-metadata"]["confidence"] <= 1, l)
        print("acknowledged answers: %d, kills: %d" % (len(acked), KILLS))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
