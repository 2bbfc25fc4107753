#!/usr/bin/env python3
"""End to end: what a custom function's run may reach, and the limits it
runs under.

- A consolidation function of an encrypted job (OutputConfig.KmsKeyId)
  reads its request file with the run's credentials (S3 decrypts it under
  the key's policy) and probes, with boto3, everything else: its job's
  input and output path are allowed; other buckets, another job's output,
  other keys, SageMaker, Lambda, KMS administration and other roles are
  refused (AccessDenied), also after assuming the job's role.
- A consolidation function written as much Lambda code is, with its boto3
  client made once at import (`s3 = boto3.client("s3")`, no endpoint_url,
  no credentials passed), reads its job's request file and input: a job's
  warm workers start with the job's credentials and the endpoint in their
  environment (also with Debian's boto3 1.26, which predates
  AWS_ENDPOINT_URL). Two jobs share the function but not its workers, and
  each job's client is refused the other job's bucket.
- MemorySize: a handler that allocates beyond it fails that invocation with
  an error naming the function, and its worker is replaced.
- DeleteFunction (API or `plumbline functions delete` beside the server)
  stops the function's warm workers.
- UpdateFunctionConfiguration (Timeout, MemorySize, Environment, Handler)
  takes effect on the next invocation.

Usage: functions_scope_e2e_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
TMP = None
ACCOUNT = None
WORKER = None
TEAM_ARN = None
IN_BUCKET = "scope-in"
OUT_BUCKET = "scope-out"
OTHER_BUCKET = "scope-other"
DENIED = ("AccessDenied", "AccessDeniedException")


def package(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    fd, path = tempfile.mkstemp(suffix=".zip", dir=TMP)
    os.write(fd, buf.getvalue())
    os.close(fd)
    return path


def create(name, files, handler, timeout=5, memory=128, env=None, check=True):
    args = ["lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", handler, "--role", "arn:aws:iam::%s:role/FunctionRole" % ACCOUNT,
            "--timeout", str(timeout), "--memory-size", str(memory),
            "--zip-file", "fileb://" + package(files)]
    if env:
        args += ["--environment", json.dumps({"Variables": env})]
    return SERVER.cli(*args, check=check)


def invoke(name, payload):
    out = os.path.join(TMP, "answer.json")
    if os.path.exists(out):
        os.remove(out)
    _, meta, _ = SERVER.cli("lambda", "invoke", "--function-name", name,
                            "--cli-binary-format", "raw-in-base64-out",
                            "--payload", json.dumps(payload), out)
    with open(out) as f:
        return meta, json.loads(f.read())


def alive(pid):
    """True while the process exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pid, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and alive(pid):
        time.sleep(0.1)
    return not alive(pid)


# The consolidation function: reads its request as Ground Truth's do, then
# tries what a job's function must not be able to do. Every probe's outcome
# (ok or the error code) goes into the consolidated label, so the test reads
# them from the output manifest.
PROBING_ACS = """
import datetime
import json
import os
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError


def outcome(call):
    try:
        call()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


def probes(endpoint, event, own, creds=None):
    kw = {"endpoint_url": endpoint}
    if creds:
        kw.update(aws_access_key_id=creds["AccessKeyId"],
                  aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"])
    s3 = boto3.client("s3", **kw)
    kms = boto3.client("kms", **kw)
    out = urlparse(event["outputConfig"])
    req = urlparse(event["payload"]["s3Uri"])
    return {
        "read_request": outcome(lambda: s3.get_object(Bucket=req.netloc, Key=req.path.lstrip("/"))),
        "read_manifest": outcome(lambda: s3.get_object(Bucket="scope-in", Key="dataset.manifest")),
        "write_own_output": outcome(lambda: s3.put_object(Bucket=out.netloc, Key=own + "/probe.txt", Body=b"x")),
        "read_other_bucket": outcome(lambda: s3.get_object(Bucket="scope-other", Key="secret.txt")),
        "write_other_bucket": outcome(lambda: s3.put_object(Bucket="scope-other", Key="x", Body=b"x")),
        "read_other_job": outcome(lambda: s3.get_object(Bucket=out.netloc, Key="out/other-job/secret.txt")),
        "write_other_job": outcome(lambda: s3.put_object(Bucket=out.netloc, Key="out/other-job/x", Body=b"x")),
        "list_buckets": outcome(lambda: s3.list_buckets()),
        "create_bucket": outcome(lambda: s3.create_bucket(Bucket="made-by-a-function")),
        "describe_job_key": outcome(lambda: kms.describe_key(KeyId=event["kmsKeyId"])),
        "describe_other_key": outcome(lambda: kms.describe_key(KeyId=os.environ["OTHER_KEY"])),
        "create_key": outcome(lambda: kms.create_key()),
        "sagemaker": outcome(lambda: boto3.client("sagemaker", **kw).list_labeling_jobs()),
        "lambda": outcome(lambda: boto3.client("lambda", **kw).list_functions()),
    }


def lambda_handler(event, context):
    endpoint = os.environ["PLUMBLINE_ENDPOINT_URL"]
    s3 = boto3.client("s3", endpoint_url=endpoint)
    req = urlparse(event["payload"]["s3Uri"])
    body = s3.get_object(Bucket=req.netloc, Key=req.path.lstrip("/"))["Body"].read()
    own = urlparse(event["outputConfig"]).path.lstrip("/").rsplit("/annotations", 1)[0]
    result = {"run": probes(endpoint, event, own)}
    sts = boto3.client("sts", endpoint_url=endpoint)
    account = sts.get_caller_identity()["Account"]
    creds = sts.assume_role(RoleArn=event["roleArn"], RoleSessionName="acs")["Credentials"]
    left = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    result["chained_expires_in"] = left.total_seconds()
    result["chained"] = probes(endpoint, event, own, creds)
    result["assume_other_role"] = outcome(lambda: sts.assume_role(
        RoleArn="arn:aws:iam::%s:role/Administrator" % account, RoleSessionName="other"))
    answers = []
    for item in json.loads(body):
        label = json.loads(item["annotations"][0]["annotationData"]["content"])
        answers.append({"datasetObjectId": item["datasetObjectId"],
                        "consolidatedAnnotation": {"content": {event["labelAttributeName"]: {
                            "label": label["crowd-classifier"]["label"], "probes": result}}}})
    return answers
"""

# A consolidation function whose S3 client is made at import, with nothing
# but the process environment to go on. Each label records what the
# client could read (its own job's input, the other job's) and the worker.
MODULE_LEVEL_ACS = """
import json
import os
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ClientError

s3 = boto3.client("s3")
STARTED_WITH = os.environ.get("AWS_ACCESS_KEY_ID", "")


def read(bucket, key):
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as e:
        return e.response["Error"]["Code"]


def lambda_handler(event, context):
    req = urlparse(event["payload"]["s3Uri"])
    items = json.loads(s3.get_object(Bucket=req.netloc, Key=req.path.lstrip("/"))["Body"].read())
    reads = {}
    for bucket in os.environ["JOB_BUCKETS"].split(","):
        got = read(bucket, "dataset.manifest")
        reads[bucket] = "%d lines" % len(got.splitlines()) if isinstance(got, bytes) else got
    answers = []
    for item in items:
        label = json.loads(item["annotations"][0]["annotationData"]["content"])
        answers.append({"datasetObjectId": item["datasetObjectId"],
                        "consolidatedAnnotation": {"content": {event["labelAttributeName"]: {
                            "label": label["crowd-classifier"]["label"], "reads": reads,
                            "pid": os.getpid(), "started_with": STARTED_WITH}}}})
    return answers
"""

# Reports its process, settings and context; allocates event["mb"] MiB.
REPORTER = """
import os

def report(event, context, which):
    data = bytearray(event.get("mb", 0) * 1024 * 1024)
    return {"handler": which, "pid": os.getpid(), "allocated_mb": len(data) >> 20,
            "memory": int(context.memory_limit_in_mb),
            "remaining": context.get_remaining_time_in_millis(),
            "mode": os.environ.get("MODE")}

def first(event, context):
    return report(event, context, "first")

def second(event, context):
    return report(event, context, "second")
"""


def setUpModule():
    global SERVER, TMP, ACCOUNT, WORKER, TEAM_ARN
    extra = ["--python", "/usr/bin/python3"] if os.path.exists("/usr/bin/python3") else []
    SERVER = h.Server(ARGS.binary, extra_args=extra)
    TMP = tempfile.mkdtemp(prefix="plb-fn-scope-")
    for name in ("dataset.manifest", "categories.json", "worker_gui.html"):
        with open(os.path.join(ARGS.shared, "seed", name)) as f:
            SERVER.put(IN_BUCKET, name, f.read())
    SERVER.put(OTHER_BUCKET, "secret.txt", "not for functions")
    SERVER.put(OUT_BUCKET, "out/other-job/secret.txt", "another job's output")
    _, me, _ = SERVER.cli("sts", "get-caller-identity")
    ACCOUNT = me["Account"]
    SERVER.add_user("scoper", "scoper-password-1", groups=["scope-labelers"])
    WORKER = h.Worker(SERVER)
    assert WORKER.login("scoper", "scoper-password-1")[0] == 200
    _, out, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "scope-team",
                           "--description", "team", "--member-definitions",
                           '[{"OidcMemberDefinition":{"Groups":["scope-labelers"]}}]')
    TEAM_ARN = out["WorkteamArn"]


def tearDownModule():
    SERVER.cleanup()


class ScopedCredentialsTest(unittest.TestCase):
    def test_encrypted_job_function_reaches_its_job_and_nothing_else(self):
        _, key, _ = SERVER.cli("kms", "create-key", "--description", "job outputs")
        _, other, _ = SERVER.cli("kms", "create-key", "--description", "another team's key")
        key_arn = key["KeyMetadata"]["Arn"]
        create("probing-acs", {"acs.py": PROBING_ACS}, "acs.lambda_handler", timeout=60,
               memory=256, env={"OTHER_KEY": other["KeyMetadata"]["KeyId"]})
        _, conf, _ = SERVER.cli("lambda", "get-function", "--function-name", "probing-acs")
        job = "scoped-job"
        role = "arn:aws:iam::%s:role/GroundTruthExecutionRole" % ACCOUNT
        htc = {"WorkteamArn": TEAM_ARN,
               "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % IN_BUCKET},
               "PreHumanTaskLambdaArn":
                   "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
               "TaskTitle": job, "TaskDescription": "classify", "NumberOfHumanWorkersPerDataObject": 1,
               "TaskTimeLimitInSeconds": 300,
               "AnnotationConsolidationConfig": {
                   "AnnotationConsolidationLambdaArn": conf["Configuration"]["FunctionArn"]}}
        SERVER.cli("sagemaker", "create-labeling-job", "--labeling-job-name", job,
                   "--label-attribute-name", "topic",
                   "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                       "ManifestS3Uri": "s3://%s/dataset.manifest" % IN_BUCKET}}}),
                   "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % OUT_BUCKET,
                                                  "KmsKeyId": key["KeyMetadata"]["KeyId"]}),
                   "--role-arn", role,
                   "--label-category-config-s3-uri", "s3://%s/categories.json" % IN_BUCKET,
                   "--human-task-config", json.dumps(htc))
        SERVER.wait_status(job, ["InProgress"])
        labeled = 0
        deadline = time.time() + 60
        while time.time() < deadline:
            status, task, _ = WORKER.request("POST", "/worker/api/jobs/%s/claim" % job)
            if status == 204:
                break
            self.assertEqual(status, 200, task)
            status, _, _ = WORKER.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                          {"answer": {"crowd-classifier": {"label": "animal"}}})
            self.assertEqual(status, 200)
            labeled += 1
        self.assertEqual(labeled, 7)
        d = SERVER.wait_status(job, ["Completed", "Failed"], timeout=90)
        self.assertEqual(d["LabelCounters"]["FailedNonRetryableError"], 0,
                         SERVER.plumbline("functions", "logs", "--data-dir", SERVER.data_dir,
                                          "--name", "probing-acs"))
        # The output is encrypted under the job's key: root reads it through S3.
        manifest = os.path.join(TMP, "output.manifest")
        _, meta, _ = SERVER.cli("s3api", "get-object", "--bucket", OUT_BUCKET, "--key",
                                "out/%s/manifests/output/output.manifest" % job, manifest)
        self.assertEqual(meta["ServerSideEncryption"], "aws:kms")
        self.assertEqual(meta["SSEKMSKeyId"], key_arn)
        with open(manifest) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        self.assertEqual(len(lines), 7)
        for line in lines:
            self.assertEqual(line["topic"]["label"], "animal")
            result = line["topic"]["probes"]
            for creds in ("run", "chained"):
                p = result[creds]
                for allowed in ("read_request", "read_manifest", "write_own_output",
                                "describe_job_key"):
                    self.assertEqual(p[allowed], "ok", (creds, allowed, p))
                for refused in ("read_other_bucket", "write_other_bucket", "read_other_job",
                                "write_other_job", "list_buckets", "create_bucket",
                                "describe_other_key", "create_key", "sagemaker", "lambda"):
                    self.assertIn(p[refused], DENIED, (creds, refused, p))
            self.assertIn(result["assume_other_role"], DENIED)
            # The run's credentials last 15 minutes; a session made from them
            # ends with them.
            self.assertLessEqual(result["chained_expires_in"], 900)
            self.assertGreater(result["chained_expires_in"], 0)
        # Nothing was written where it was refused.
        self.assertFalse(os.path.exists(SERVER.bucket_path(OTHER_BUCKET, "x")))
        self.assertFalse(os.path.exists(SERVER.bucket_path(OUT_BUCKET, "out/other-job/x")))
        self.assertTrue(os.path.exists(SERVER.bucket_path(OUT_BUCKET, "out/%s/probe.txt" % job)))
        self.assertFalse(os.path.exists(SERVER.bucket_path("made-by-a-function")))

    def test_assume_role_policy_narrows_and_is_checked(self):
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::%s/*" % OTHER_BUCKET}]}
        _, out, _ = SERVER.cli("sts", "assume-role", "--role-arn",
                               "arn:aws:iam::%s:role/Reader" % ACCOUNT, "--role-session-name",
                               "reader", "--policy", json.dumps(policy))
        c = out["Credentials"]
        env = dict(os.environ, AWS_ACCESS_KEY_ID=c["AccessKeyId"],
                   AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"], AWS_SESSION_TOKEN=c["SessionToken"],
                   AWS_DEFAULT_REGION=h.REGION, AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
        import subprocess

        def aws(*args):
            return subprocess.run(["/usr/bin/aws", "--endpoint-url", SERVER.url, *args], env=env,
                                  capture_output=True, text=True, timeout=60)
        p = aws("s3api", "get-object", "--bucket", OTHER_BUCKET, "--key", "secret.txt",
                os.path.join(TMP, "secret.txt"))
        self.assertEqual(p.returncode, 0, p.stderr)
        p = aws("s3api", "get-object", "--bucket", IN_BUCKET, "--key", "dataset.manifest",
                os.path.join(TMP, "m"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr)
        self.assertIn("because no session policy allows the s3:GetObject action", p.stderr)
        p = aws("sagemaker", "list-labeling-jobs")
        self.assertIn("AccessDenied", p.stderr)
        rc, _, err = SERVER.cli("sts", "assume-role", "--role-arn",
                                "arn:aws:iam::%s:role/Reader" % ACCOUNT, "--role-session-name",
                                "bad", "--policy", '{"Statement": [{"Effect": "Allow"}]}',
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("MalformedPolicyDocument", err)
        self.assertIn("Statement[0].Action", err)


def label_all(job, label="animal"):
    """Claims and submits every task of the job as the one worker."""
    labeled = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        status, task, _ = WORKER.request("POST", "/worker/api/jobs/%s/claim" % job)
        if status == 204:
            break
        assert status == 200, task
        status, _, _ = WORKER.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                      {"answer": {"crowd-classifier": {"label": label}}})
        assert status == 200
        labeled += 1
    return labeled


class ModuleLevelClientTest(unittest.TestCase):
    def test_workers_start_with_their_jobs_credentials(self):
        buckets = ["modlevel-a", "modlevel-b"]
        for bucket in buckets:
            for name in ("dataset.manifest", "categories.json", "worker_gui.html"):
                with open(os.path.join(ARGS.shared, "seed", name)) as f:
                    SERVER.put(bucket, name, f.read())
        create("module-level-acs", {"acs.py": MODULE_LEVEL_ACS}, "acs.lambda_handler",
               timeout=60, memory=256, env={"JOB_BUCKETS": ",".join(buckets)})
        _, conf, _ = SERVER.cli("lambda", "get-function", "--function-name", "module-level-acs")
        role = "arn:aws:iam::%s:role/GroundTruthExecutionRole" % ACCOUNT
        lines = {}
        for bucket in buckets:
            job = bucket + "-job"
            htc = {"WorkteamArn": TEAM_ARN,
                   "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % bucket},
                   "PreHumanTaskLambdaArn":
                       "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
                   "TaskTitle": job, "TaskDescription": "classify",
                   "NumberOfHumanWorkersPerDataObject": 1, "TaskTimeLimitInSeconds": 300,
                   "AnnotationConsolidationConfig": {
                       "AnnotationConsolidationLambdaArn": conf["Configuration"]["FunctionArn"]}}
            SERVER.cli("sagemaker", "create-labeling-job", "--labeling-job-name", job,
                       "--label-attribute-name", "topic",
                       "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                           "ManifestS3Uri": "s3://%s/dataset.manifest" % bucket}}}),
                       "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % bucket}),
                       "--role-arn", role,
                       "--label-category-config-s3-uri", "s3://%s/categories.json" % bucket,
                       "--human-task-config", json.dumps(htc))
            SERVER.wait_status(job, ["InProgress"])
            self.assertEqual(label_all(job), 7)
            d = SERVER.wait_status(job, ["Completed", "Failed"], timeout=90)
            self.assertEqual(d["LabelCounters"]["FailedNonRetryableError"], 0,
                             SERVER.plumbline("functions", "logs", "--data-dir", SERVER.data_dir,
                                              "--name", "module-level-acs"))
            with open(SERVER.bucket_path(bucket, "out/%s/manifests/output/output.manifest" % job)) as f:
                lines[bucket] = [json.loads(l)["topic"] for l in f if l.strip()]
            self.assertEqual(len(lines[bucket]), 7)
        a, b = (lines[bucket] for bucket in buckets)
        for own, other, labels in ((buckets[0], buckets[1], a), (buckets[1], buckets[0], b)):
            for label in labels:
                self.assertEqual(label["label"], "animal")
                # The client made at import reads its own job's input...
                self.assertEqual(label["reads"][own], "7 lines", label)
                # ...and is refused the other job's bucket.
                self.assertIn(label["reads"][other], DENIED, label)
                self.assertTrue(label["started_with"].startswith("ASIA"), label)
        # Each job's runs went to workers of its own, started with its own
        # credentials.
        self.assertFalse({l["pid"] for l in a} & {l["pid"] for l in b})
        self.assertFalse({l["started_with"] for l in a} & {l["started_with"] for l in b})

    def test_a_custom_job_in_a_bucket_s3_cannot_have_is_refused(self):
        create("refused-acs", {"acs.py": MODULE_LEVEL_ACS}, "acs.lambda_handler")
        _, conf, _ = SERVER.cli("lambda", "get-function", "--function-name", "refused-acs")
        SERVER.put("b", "dataset.manifest", '{"source": "x"}\n')
        htc = {"WorkteamArn": TEAM_ARN,
               "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % IN_BUCKET},
               "PreHumanTaskLambdaArn":
                   "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
               "TaskTitle": "t", "TaskDescription": "d", "NumberOfHumanWorkersPerDataObject": 1,
               "TaskTimeLimitInSeconds": 300,
               "AnnotationConsolidationConfig": {
                   "AnnotationConsolidationLambdaArn": conf["Configuration"]["FunctionArn"]}}
        rc, _, err = SERVER.cli("sagemaker", "create-labeling-job", "--labeling-job-name",
                                "short-bucket", "--label-attribute-name", "topic",
                                "--input-config", json.dumps({"DataSource": {"S3DataSource": {
                                    "ManifestS3Uri": "s3://b/dataset.manifest"}}}),
                                "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % OUT_BUCKET}),
                                "--role-arn", "arn:aws:iam::%s:role/R" % ACCOUNT,
                                "--label-category-config-s3-uri",
                                "s3://%s/categories.json" % IN_BUCKET,
                                "--human-task-config", json.dumps(htc), check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ManifestS3Uri", err)
        self.assertIn("'b'", err)
        self.assertIn("not a valid S3 bucket name", err)


class LimitsAndLifecycleTest(unittest.TestCase):
    def test_memory_size_bounds_a_handler_and_its_worker_is_replaced(self):
        create("memory-hog", {"r.py": REPORTER}, "r.first", memory=128)
        _, before = invoke("memory-hog", {"mb": 16})
        self.assertEqual(before["allocated_mb"], 16)
        self.assertTrue(alive(before["pid"]))
        meta, err = invoke("memory-hog", {"mb": 400})
        self.assertEqual(meta["FunctionError"], "Unhandled")
        self.assertEqual(err["errorType"], "Runtime.OutOfMemory")
        self.assertIn("memory-hog", err["errorMessage"])
        self.assertIn("128 MB", err["errorMessage"])
        self.assertTrue(wait_gone(before["pid"], 5), "the worker that ran out was not replaced")
        _, after = invoke("memory-hog", {"mb": 16})
        self.assertNotEqual(after["pid"], before["pid"])
        self.assertEqual(after["allocated_mb"], 16)
        logs = SERVER.plumbline("functions", "logs", "--data-dir", SERVER.data_dir,
                                "--name", "memory-hog")
        self.assertIn("MemoryError", logs)

    def test_delete_stops_warm_workers(self):
        create("short-lived", {"r.py": REPORTER}, "r.first")
        _, first = invoke("short-lived", {})
        self.assertTrue(alive(first["pid"]))
        SERVER.cli("lambda", "delete-function", "--function-name", "short-lived")
        self.assertTrue(wait_gone(first["pid"], 5), "a deleted function's worker lingers")
        # Deleted by the CLI beside the server: the server notices.
        create("cli-deleted", {"r.py": REPORTER}, "r.first")
        _, second = invoke("cli-deleted", {})
        self.assertTrue(alive(second["pid"]))
        SERVER.plumbline("functions", "delete", "--data-dir", SERVER.data_dir,
                         "--name", "cli-deleted")
        self.assertTrue(wait_gone(second["pid"], 15), "a function deleted by the CLI lingers")

    def test_update_configuration_takes_effect_on_the_next_invocation(self):
        create("configurable", {"r.py": REPORTER}, "r.first", timeout=3, memory=128,
               env={"MODE": "before"})
        _, one = invoke("configurable", {})
        self.assertEqual((one["handler"], one["memory"], one["mode"]), ("first", 128, "before"))
        self.assertLessEqual(one["remaining"], 3000)
        _, conf, _ = SERVER.cli("lambda", "update-function-configuration", "--function-name",
                                "configurable", "--timeout", "20", "--memory-size", "512",
                                "--handler", "r.second",
                                "--environment", json.dumps({"Variables": {"MODE": "after"}}))
        self.assertEqual((conf["Timeout"], conf["MemorySize"], conf["Handler"]),
                         (20, 512, "r.second"))
        self.assertEqual(conf["Environment"]["Variables"], {"MODE": "after"})
        _, got, _ = SERVER.cli("lambda", "get-function-configuration", "--function-name",
                               "configurable")
        self.assertEqual(got["Timeout"], 20)
        _, two = invoke("configurable", {"mb": 300})  # beyond the old 128 MB, within 512
        self.assertEqual((two["handler"], two["memory"], two["mode"]), ("second", 512, "after"))
        self.assertEqual(two["allocated_mb"], 300)
        self.assertGreater(two["remaining"], 15000)
        self.assertNotEqual(two["pid"], one["pid"])
        self.assertTrue(wait_gone(one["pid"], 5))
        rc, _, err = SERVER.cli("lambda", "update-function-configuration", "--function-name",
                                "configurable", "--timeout", "901", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidParameterValueException", err)
        self.assertIn("Timeout", err)
        rc, _, err = SERVER.cli("lambda", "update-function-configuration", "--function-name",
                                "configurable", "--handler", "nodot", check=False)
        self.assertIn("Handler", err)
        _, got, _ = SERVER.cli("lambda", "get-function-configuration", "--function-name",
                               "configurable")
        self.assertEqual((got["Timeout"], got["Handler"]), (20, "r.second"))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--shared", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
