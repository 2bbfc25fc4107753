#!/usr/bin/env python3
"""End to end: custom functions (Lambda's contract) through AWS's own CLI
(`aws lambda create-function / invoke / ...` against Plumbline's endpoint)
and through `plumbline functions ...`.

Usage: functions_e2e_test.py --binary build/plumbline
"""

import argparse
import base64
import io
import json
import os
import sys
import tempfile
import threading
import time
import unittest
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
TMP = None
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"


def package(files):
    """A zip archive of {name: source}, written to a file; returns its path."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name.endswith(".sh") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    fd, path = tempfile.mkstemp(suffix=".zip", dir=TMP)
    os.write(fd, buf.getvalue())
    os.close(fd)
    return path


def create(name, files, handler, runtime="python3.11", timeout=3, check=True, **cli):
    args = ["lambda", "create-function", "--function-name", name, "--runtime", runtime,
            "--handler", handler, "--role", ROLE, "--timeout", str(timeout),
            "--zip-file", "fileb://" + package(files)]
    return SERVER.cli(*args, check=check, **cli)


def invoke(name, payload, check=True, extra=(), **cli):
    out = os.path.join(TMP, "answer.json")
    if os.path.exists(out):
        os.remove(out)
    rc, meta, err = SERVER.cli("lambda", "invoke", "--function-name", name,
                               "--cli-binary-format", "raw-in-base64-out",
                               "--payload", json.dumps(payload), *extra, out, check=check, **cli)
    answer = None
    if os.path.exists(out):
        with open(out) as f:
            text = f.read()
        answer = json.loads(text) if text.strip() else None
    return rc, meta, answer, err


PASS_THROUGH = """
def lambda_handler(event, context):
    # Ground Truth's minimal pre-annotation function: the line is the task input.
    return {"taskInput": event["dataObject"], "isHumanAnnotationRequired": "true",
            "requestId": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis()}
"""


# Functions as Ground Truth's documentation writes them. The pre-annotation
# function gives the seed template's task.input; lines about buffaloes need
# no human (isHumanAnnotationRequired false).
GT_PRE = """
import json

def lambda_handler(event, context):
    source = event["dataObject"]["source"]
    return {
        "taskInput": {"taskObject": source, "labels": ["person", "animal", "plant"]},
        "isHumanAnnotationRequired": "false" if "buffalo" in source else "true",
    }
"""

# The consolidation function: assumes the event's role, reads the request
# from S3 with boto3, votes, and answers per datasetObjectId. Old boto3
# (1.26) ignores AWS_ENDPOINT_URL, so the endpoint is passed explicitly.
GT_ACS = """
import json
import os
from urllib.parse import urlparse

import boto3


def lambda_handler(event, context):
    endpoint = os.environ.get("PLUMBLINE_ENDPOINT_URL")
    sts = boto3.client("sts", endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=event["roleArn"],
                            RoleSessionName="consolidation")["Credentials"]
    s3 = boto3.client("s3", endpoint_url=endpoint,
                      aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    uri = urlparse(event["payload"]["s3Uri"])
    body = s3.get_object(Bucket=uri.netloc, Key=uri.path.lstrip("/"))["Body"].read()
    attr = event["labelAttributeName"]
    answers = []
    for item in json.loads(body):
        votes = [json.loads(a["annotationData"]["content"])["crowd-classifier"]["label"]
                 for a in item["annotations"]]
        best = max(sorted(set(votes)), key=votes.count)
        print("object", item["datasetObjectId"], "votes", votes)
        answers.append({
            "datasetObjectId": item["datasetObjectId"],
            "consolidatedAnnotation": {"content": {attr: {
                "label": best, "votes": len(votes),
                "categories": event["labelCategories"],
                "source": item["dataObject"].get("content")}}},
        })
    return answers
"""

BUCKET = "fn-bucket"
WORKER = None
TEAM_ARN = None
OWN_ROLE = None


def seed_file(name):
    with open(os.path.join(ARGS.shared, "seed", name)) as f:
        return f.read()


def setUpModule():
    global SERVER, TMP, WORKER, TEAM_ARN, OWN_ROLE
    extra = ["--python", "/usr/bin/python3"] if os.path.exists("/usr/bin/python3") else []
    SERVER = h.Server(ARGS.binary, extra_args=extra)
    TMP = tempfile.mkdtemp(prefix="plb-fn-e2e-")
    for name in ("dataset.manifest", "categories.json", "worker_gui.html"):
        SERVER.put(BUCKET, name, seed_file(name))
    SERVER.add_user("wanda", "wanda-password-1", groups=["fn-labelers"])
    WORKER = h.Worker(SERVER)
    assert WORKER.login("wanda", "wanda-password-1")[0] == 200
    _, out, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "fn-team",
                           "--description", "team", "--member-definitions",
                           '[{"OidcMemberDefinition":{"Groups":["fn-labelers"]}}]')
    TEAM_ARN = out["WorkteamArn"]
    _, me, _ = SERVER.cli("sts", "get-caller-identity")
    OWN_ROLE = "arn:aws:iam::%s:role/GroundTruthExecutionRole" % me["Account"]


def create_job(name, pre_arn, acs_arn, workers=1):
    htc = {"WorkteamArn": TEAM_ARN,
           "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % BUCKET},
           "PreHumanTaskLambdaArn": pre_arn,
           "TaskTitle": name, "TaskDescription": "classify " + name,
           "NumberOfHumanWorkersPerDataObject": workers, "TaskTimeLimitInSeconds": 300,
           "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": acs_arn}}
    return SERVER.cli(
        "sagemaker", "create-labeling-job", "--labeling-job-name", name,
        "--label-attribute-name", "topic",
        "--input-config", json.dumps({"DataSource": {"S3DataSource": {
            "ManifestS3Uri": "s3://%s/dataset.manifest" % BUCKET}}}),
        "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % BUCKET}),
        "--role-arn", OWN_ROLE,
        "--label-category-config-s3-uri", "s3://%s/categories.json" % BUCKET,
        "--human-task-config", json.dumps(htc), check=False)


def label_everything(job, label="animal"):
    """The worker labels every task offered; returns the task inputs seen."""
    seen = []
    deadline = time.time() + 60
    while time.time() < deadline:
        status, task, _ = WORKER.request("POST", "/worker/api/jobs/%s/claim" % job)
        if status == 204:
            _, d, _ = SERVER.cli("sagemaker", "describe-labeling-job", "--labeling-job-name", job)
            c = d["LabelCounters"]
            if d["LabelingJobStatus"] != "InProgress" or c["Unlabeled"] == 0:
                return seen
            time.sleep(0.3)  # objects still being pre-processed
            continue
        assert status == 200, (status, task)
        seen.append(task["taskInput"])
        status, _, _ = WORKER.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                      {"answer": {"crowd-classifier": {"label": label}}})
        assert status == 200
    raise AssertionError("labeling %s did not end" % job)


def output_lines(job, statuses=("Completed",)):
    d = SERVER.wait_status(job, list(statuses), timeout=60)
    with open(SERVER.bucket_path(BUCKET, "out/%s/manifests/output/output.manifest" % job)) as f:
        return d, [json.loads(line) for line in f]


def tearDownModule():
    SERVER.cleanup()


class LambdaApiTest(unittest.TestCase):
    def test_create_get_list_invoke_update_delete_with_aws_cli(self):
        _, conf, _ = create("gt-pre", {"pre.py": PASS_THROUGH}, "pre.lambda_handler", timeout=5)
        self.assertEqual(conf["FunctionName"], "gt-pre")
        self.assertTrue(conf["FunctionArn"].startswith("arn:aws:lambda:%s:" % h.REGION))
        self.assertTrue(conf["FunctionArn"].endswith(":function:gt-pre"))
        self.assertEqual(conf["Timeout"], 5)
        self.assertEqual(conf["Handler"], "pre.lambda_handler")

        rc, _, _ = create("gt-pre", {"pre.py": PASS_THROUGH}, "pre.lambda_handler", check=False)
        self.assertEqual(rc, 254)

        _, listed, _ = SERVER.cli("lambda", "list-functions")
        self.assertIn("gt-pre", [f["FunctionName"] for f in listed["Functions"]])
        _, got, _ = SERVER.cli("lambda", "get-function", "--function-name", conf["FunctionArn"])
        self.assertEqual(got["Configuration"]["CodeSha256"], conf["CodeSha256"])

        event = {"version": "2018-10-16",
                 "labelingJobArn": "arn:aws:sagemaker:us-west-2:123456789012:labeling-job/x",
                 "dataObject": {"source": "The food was delicious", "extra": 1}}
        _, meta, answer, _ = invoke("gt-pre", event)
        self.assertEqual(meta["StatusCode"], 200)
        self.assertNotIn("FunctionError", meta)
        self.assertEqual(answer["taskInput"], event["dataObject"])
        self.assertGreater(answer["remaining"], 3000)

        # New code: the warm workers of the old code are not used again.
        _, updated, _ = SERVER.cli(
            "lambda", "update-function-code", "--function-name", "gt-pre", "--zip-file",
            "fileb://" + package({"pre.py": "def lambda_handler(e, c):\n"
                                            "    raise ValueError('no taskInput for ' + e['dataObject']['source'])\n"}))
        self.assertNotEqual(updated["CodeSha256"], conf["CodeSha256"])
        _, meta, answer, _ = invoke("gt-pre", event, extra=("--log-type", "Tail"))
        self.assertEqual(meta["FunctionError"], "Unhandled")
        self.assertEqual(answer["errorType"], "ValueError")
        self.assertEqual(answer["errorMessage"], "no taskInput for The food was delicious")
        self.assertIn("ValueError", base64.b64decode(meta["LogResult"]).decode())

        SERVER.cli("lambda", "delete-function", "--function-name", "gt-pre")
        rc, _, _, err = invoke("gt-pre", event, check=False)
        self.assertEqual(rc, 254)
        self.assertIn("ResourceNotFoundException", err)

    def test_bad_input_names_the_field(self):
        rc, _, err = create("bad-runtime", {"a.py": ""}, "a.f", runtime="nodejs18.x", check=False)
        self.assertEqual(rc, 254)
        self.assertIn("InvalidParameterValueException", err)
        self.assertIn("Runtime", err)
        rc, _, err = create("bad-handler", {"a.py": ""}, "nodot", check=False)
        self.assertIn("Handler", err)
        rc, _, err = create("bad-timeout", {"a.py": ""}, "a.f", timeout=901, check=False)
        self.assertIn("Timeout", err)

    def test_only_admins_manage_or_invoke_functions(self):
        SERVER.add_user("labeler", "labeler-password-1", groups=["g"])
        key = json.loads(SERVER.plumbline("users", "create-access-key", "--data-dir",
                                          SERVER.data_dir, "--username", "labeler"))
        who = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
        rc, _, err = create("by-worker", {"a.py": PASS_THROUGH}, "a.lambda_handler",
                            check=False, **who)
        self.assertEqual(rc, 254)
        self.assertIn("AccessDeniedException", err)
        create("admins-only", {"a.py": PASS_THROUGH}, "a.lambda_handler")
        rc, _, _, err = invoke("admins-only", {"dataObject": {}}, check=False, **who)
        self.assertIn("AccessDeniedException", err)
        rc, _, _ = SERVER.cli("lambda", "list-functions", check=False, secret="wrong-secret")
        self.assertEqual(rc, 254)

    def test_executable_function_in_another_language(self):
        # A POSIX shell program: the event on stdin, the answer on stdout.
        script = ("#!/bin/sh\nread -r event\n"
                  "printf '{\"taskInput\": %s, \"isHumanAnnotationRequired\": false}' \"$event\"\n")
        create("shell-pre", {"pre.sh": script}, "pre.sh", runtime="provided.al2")
        _, meta, answer, _ = invoke("shell-pre", {"dataObject": {"source": "x"}})
        self.assertNotIn("FunctionError", meta)
        self.assertEqual(answer["taskInput"]["dataObject"], {"source": "x"})
        self.assertIs(answer["isHumanAnnotationRequired"], False)

    def test_plumbline_functions_cli(self):
        code = os.path.join(TMP, "code")
        os.makedirs(code, exist_ok=True)
        with open(os.path.join(code, "acs.py"), "w") as f:
            f.write("def handler(event, context):\n    print('consolidating', event['n'])\n"
                    "    return [{'n': event['n'] * 2}]\n")
        out = json.loads(SERVER.plumbline(
            "functions", "create", "--data-dir", SERVER.data_dir, "--name", "cli-acs",
            "--runtime", "python3.11", "--handler", "acs.handler", "--code-dir", code,
            "--timeout", "10", "--env", "MODE=test"))
        self.assertEqual(out["Timeout"], 10)
        listed = json.loads(SERVER.plumbline("functions", "list", "--data-dir", SERVER.data_dir))
        self.assertIn("cli-acs", [f["FunctionName"] for f in listed["Functions"]])
        answer = SERVER.plumbline("functions", "invoke", "--data-dir", SERVER.data_dir,
                                  "--name", "cli-acs", "--payload", '{"n": 21}')
        self.assertEqual(json.loads(answer), [{"n": 42}])
        # The server runs what the CLI registered, and its log is shared.
        _, _, answer, _ = invoke("cli-acs", {"n": 2})
        self.assertEqual(answer, [{"n": 4}])
        logs = SERVER.plumbline("functions", "logs", "--data-dir", SERVER.data_dir,
                                "--name", "cli-acs")
        self.assertIn("consolidating 21", logs)
        self.assertIn("consolidating 2", logs)
        SERVER.plumbline("functions", "delete", "--data-dir", SERVER.data_dir, "--name", "cli-acs")
        listed = json.loads(SERVER.plumbline("functions", "list", "--data-dir", SERVER.data_dir))
        self.assertNotIn("cli-acs", [f["FunctionName"] for f in listed["Functions"]])



def function_arn(name):
    _, conf, _ = SERVER.cli("lambda", "get-function", "--function-name", name)
    return conf["Configuration"]["FunctionArn"]


class CustomJobTest(unittest.TestCase):
    def test_seed_job_with_python_pre_and_consolidation_functions(self):
        create("seed-pre", {"gt_pre.py": GT_PRE}, "gt_pre.lambda_handler")
        create("seed-acs", {"gt_acs.py": GT_ACS}, "gt_acs.lambda_handler", timeout=30)
        rc, _, err = create_job("custom-seed", function_arn("seed-pre"), function_arn("seed-acs"))
        self.assertEqual(rc, 0, err)
        SERVER.wait_status("custom-seed", ["InProgress"])
        inputs = label_everything("custom-seed")
        self.assertEqual(len(inputs), 6)  # the buffalo line needed no human
        self.assertTrue(all(i["labels"] == ["person", "animal", "plant"] for i in inputs))
        d, lines = output_lines("custom-seed")
        self.assertEqual(d["LabelCounters"]["TotalLabeled"], 6)
        self.assertEqual(d["LabelCounters"]["FailedNonRetryableError"], 0)
        manifest = [json.loads(l) for l in seed_file("dataset.manifest").splitlines() if l.strip()]
        self.assertEqual(len(lines), len(manifest))
        for before, after in zip(manifest, lines):
            if "buffalo" in before["source"]:
                self.assertEqual(after, before)  # written unchanged
                continue
            self.assertEqual(after["topic"]["label"], "animal")
            self.assertEqual(after["topic"]["votes"], 1)
            self.assertEqual(after["topic"]["categories"], ["person", "animal", "plant"])
            self.assertEqual(after["topic"]["source"], before["source"])
            meta = after["topic-metadata"]
            self.assertEqual(meta["type"], "groundtruth/custom")
            self.assertEqual(meta["job-name"], "labeling-job/custom-seed")
            self.assertEqual(meta["human-annotated"], "yes")
        requests = os.listdir(SERVER.bucket_path(
            BUCKET, "out/custom-seed/annotations/consolidated-annotation/consolidation-request/iteration-1"))
        self.assertGreaterEqual(len(requests), 1)
        logs = SERVER.plumbline("functions", "logs", "--data-dir", SERVER.data_dir,
                                      "--name", "seed-acs")
        self.assertIn("votes ['animal']", logs)

    def test_executable_pre_with_built_in_consolidation(self):
        # Another language (POSIX shell and sed): the built-in task input's shape.
        script = r'''#!/bin/sh
read -r event
text=$(printf '%s' "$event" | sed 's/.*"source":"\([^"]*\)".*/\1/')
printf '{"taskInput":{"taskObject":"%s","labels":["person","animal","plant"]}}' "$text"
'''
        create("shell-seed-pre", {"pre.sh": script}, "pre.sh", runtime="provided.al2")
        acs = "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"
        rc, _, err = create_job("exec-seed", function_arn("shell-seed-pre"), acs)
        self.assertEqual(rc, 0, err)
        SERVER.wait_status("exec-seed", ["InProgress"])
        inputs = label_everything("exec-seed", label="plant")
        self.assertEqual(len(inputs), 7)
        self.assertIn("1 trillion odors", inputs[0]["taskObject"])
        d, lines = output_lines("exec-seed")
        self.assertEqual(d["LabelCounters"]["TotalLabeled"], 7)
        for line in lines:
            self.assertEqual(line["topic-metadata"]["class-name"], "plant")
            self.assertEqual(line["topic-metadata"]["type"], "groundtruth/text-classification")

    def test_http_pre_function_speaking_the_invoke_api(self):
        calls = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append(self.path)
                body = json.dumps({"taskInput": {"taskObject": event["dataObject"]["source"].upper(),
                                                 "labels": ["person", "animal", "plant"]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        httpd = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            SERVER.plumbline("functions", "create", "--data-dir", SERVER.data_dir, "--name",
                             "http-pre", "--runtime", "http", "--url",
                             "http://127.0.0.1:%d" % httpd.server_port)
            acs = "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"
            rc, _, err = create_job("http-seed", function_arn("http-pre"), acs)
            self.assertEqual(rc, 0, err)
            SERVER.wait_status("http-seed", ["InProgress"])
            inputs = label_everything("http-seed", label="person")
            self.assertEqual(len(inputs), 7)
            self.assertTrue(all(i["taskObject"] == i["taskObject"].upper() for i in inputs))
            self.assertEqual(set(calls), {"/2015-03-31/functions/function/invocations"})
            d, _ = output_lines("http-seed")
            self.assertEqual(d["LabelCounters"]["TotalLabeled"], 7)
        finally:
            httpd.shutdown()

    def test_unregistered_custom_hook_is_refused(self):
        rc, _, err = create_job("no-such-hook",
                                "arn:aws:lambda:us-west-2:123456789012:function:not-registered",
                                "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass")
        self.assertEqual(rc, 254)
        self.assertIn("not-registered", err)

    def test_faults_fail_their_objects_and_the_job_goes_on(self):
        # By line: 0 raises, 1 outlives its 1 s timeout, 2 answers garbage, 3
        # kills its worker, 4 fails once then succeeds (retried); the rest pass.
        faulty = """
import os, signal, time

def lambda_handler(event, context):
    source = event["dataObject"]["source"]
    if "odors" in source:
        raise RuntimeError("cannot pre-process " + source[:10])
    if "salt water" in source:
        time.sleep(10)
    if "buffalo" in source:
        return "this is not an answer"
    marker = "retried.marker"  # in the function's folder (its working directory)
    if source == LINES[3]:
        os.kill(os.getpid(), signal.SIGKILL)
    if source == LINES[4] and not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("transient")
    return {"taskInput": {"taskObject": source, "labels": ["person", "animal", "plant"]}}
"""
        lines = [json.loads(l)["source"] for l in seed_file("dataset.manifest").splitlines() if l.strip()]
        faulty = "LINES = %r\n" % lines + faulty
        create("faulty-pre", {"faulty.py": faulty}, "faulty.lambda_handler", timeout=1)
        acs = "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"
        pre_arn = function_arn("faulty-pre")
        rc, _, err = create_job("faulty-seed", pre_arn, acs)
        self.assertEqual(rc, 0, err)
        SERVER.wait_status("faulty-seed", ["InProgress"])
        inputs = label_everything("faulty-seed")
        self.assertEqual(sorted(i["taskObject"] for i in inputs), sorted(lines[4:]))
        d, out = output_lines("faulty-seed")
        self.assertEqual(d["LabelCounters"]["FailedNonRetryableError"], 4)
        self.assertEqual(d["LabelCounters"]["TotalLabeled"], 3)
        reasons = [out[i]["topic-metadata"]["failure-reason"] for i in range(4)]
        for i, reason in enumerate(reasons):
            self.assertIn(pre_arn, reason)
            self.assertIn("data object %d" % i, reason)
        self.assertIn("cannot pre-process", reasons[0])
        self.assertIn("Timeout", reasons[1])
        self.assertIn("not a JSON object", reasons[2])
        self.assertIn("signal 9", reasons[3])
        for i in range(4, 7):
            self.assertEqual(out[i]["topic-metadata"]["class-name"], "animal")

    def test_consolidation_function_faults_name_function_and_object(self):
        bad_acs = """
def lambda_handler(event, context):
    return [{"datasetObjectId": "999", "consolidatedAnnotation": {"content": {}}}]
"""
        create("bad-acs", {"bad.py": bad_acs}, "bad.lambda_handler")
        create("seed-pre-2", {"gt_pre.py": GT_PRE}, "gt_pre.lambda_handler")
        acs_arn = function_arn("bad-acs")
        rc, _, err = create_job("bad-acs-seed", function_arn("seed-pre-2"), acs_arn)
        self.assertEqual(rc, 0, err)
        SERVER.wait_status("bad-acs-seed", ["InProgress"])
        label_everything("bad-acs-seed")
        d, out = output_lines("bad-acs-seed")
        self.assertEqual(d["LabelCounters"]["FailedNonRetryableError"], 6)
        failed = [l for l in out if "topic-metadata" in l]
        self.assertEqual(len(failed), 6)
        for line in failed:
            reason = line["topic-metadata"]["failure-reason"]
            self.assertIn(acs_arn, reason)
            self.assertIn("answer[0].datasetObjectId '999'", reason)
            self.assertIn("data object ", reason)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--shared", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
