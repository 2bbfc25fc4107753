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
import unittest
import zipfile

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


def setUpModule():
    global SERVER, TMP
    SERVER = h.Server(ARGS.binary)
    TMP = tempfile.mkdtemp(prefix="plb-fn-e2e-")


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


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
