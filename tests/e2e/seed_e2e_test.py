#!/usr/bin/env python3
"""End to end: the seed's labeling job (../shared/seed/) through the real aws
CLI and the worker JSON API against a fresh `plumbline serve`.

Usage: seed_e2e_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
TEAM_ARN = None
BUCKET = "seed-bucket"
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"


def seed_file(name):
    with open(os.path.join(ARGS.shared, "seed", name)) as f:
        return f.read()


def run_seed_script(job_name, aws="/usr/bin/aws", kms_key=""):
    """Runs the seed's createCustom.sh with only its placeholders filled in and
    the endpoint added. The published script lost its line-continuation
    backslashes, so its lines are joined into the one command it means."""
    script = seed_file("createCustom.sh")
    script = (script.replace("YOUR_BUCKET_NAME", BUCKET)
              .replace("YOUR_SAGEMAKER_GROUNDTRUTH_EXECUTION_ROLE_ARN", ROLE)
              .replace("YOUR_WORKTEAM_ARN", TEAM_ARN)
              .replace("YOUR_KMS_KEY_ID", kms_key))
    # A line ending outside a quoted string gets a continuation backslash.
    command, quoted = "", False
    for line in script.splitlines():
        line = line.rstrip()
        quoted ^= line.count("'") % 2 == 1
        command += line + ("\n" if quoted else " \\\n")
    command = command.rstrip(" \\\n")
    assert command.startswith("aws sagemaker create-labeling-job")
    command = command.replace("aws sagemaker", '"$AWS" --endpoint-url "$ENDPOINT" sagemaker', 1)
    env = dict(os.environ)
    env.update({"AWS": aws, "ENDPOINT": SERVER.url, "AWS_ACCESS_KEY_ID": h.ROOT_KEY,
                "AWS_SECRET_ACCESS_KEY": h.ROOT_SECRET, "AWS_DEFAULT_REGION": h.REGION,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": ""})
    p = subprocess.run(["bash", "-c", command, "createCustom.sh", job_name], env=env,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def setUpModule():
    global SERVER, TEAM_ARN
    SERVER = h.Server(ARGS.binary)
    for name in ("dataset.manifest", "categories.json", "worker_gui.html"):
        SERVER.put(BUCKET, name, seed_file(name))
    SERVER.add_user("alice", "alice-password", groups=["labelers"])
    SERVER.add_user("mallory", "mallory-password", groups=["others"])
    _, out, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "seed-team",
                           "--description", "Seed team", "--member-definitions",
                           '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
    TEAM_ARN = out["WorkteamArn"]


def tearDownModule():
    if SERVER:
        if os.environ.get("PLUMBLINE_E2E_KEEP"):
            print("server log:\n" + SERVER.server_log())
        SERVER.cleanup()


class ApiTest(unittest.TestCase):
    def test_healthz(self):
        with urllib.request.urlopen(SERVER.url + "/healthz") as r:
            self.assertEqual(json.load(r), {"status": "ok"})

    def test_seed_job_created_and_described(self):
        rc, out, err = run_seed_script("seed-describe")
        self.assertEqual(rc, 0, err)
        arn = json.loads(out)["LabelingJobArn"]
        self.assertRegex(arn, r"^arn:aws:sagemaker:us-west-2:\d{12}:labeling-job/seed-describe$")
        d = SERVER.wait_status("seed-describe", ["InProgress"])
        self.assertEqual(d["LabelCounters"], {"TotalLabeled": 0, "HumanLabeled": 0,
                                              "MachineLabeled": 0, "FailedNonRetryableError": 0,
                                              "Unlabeled": 7})
        self.assertEqual(d["LabelingJobArn"], arn)
        self.assertEqual(d["LabelAttributeName"], "aws-blog-demo")
        self.assertEqual(d["RoleArn"], ROLE)
        self.assertEqual(d["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"],
                         "s3://%s/dataset.manifest" % BUCKET)
        htc = d["HumanTaskConfig"]
        self.assertEqual(htc["WorkteamArn"], TEAM_ARN)
        self.assertEqual(htc["TaskTitle"], "Text classification task")
        self.assertEqual(htc["NumberOfHumanWorkersPerDataObject"], 1)
        self.assertEqual(htc["MaxConcurrentTaskCount"], 1000)
        self.assertEqual(htc["UiConfig"]["UiTemplateS3Uri"], "s3://%s/worker_gui.html" % BUCKET)
        # The CLI renders epoch-second timestamps as ISO 8601.
        self.assertRegex(d["CreationTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")
        self.assertRegex(d["JobReferenceCode"], r"^\d{12}[A-Za-z0-9]{16}$")

        _, listed, _ = SERVER.cli("sagemaker", "list-labeling-jobs")
        self.assertIn("seed-describe",
                      [j["LabelingJobName"] for j in listed["LabelingJobSummaryList"]])
        _, for_team, _ = SERVER.cli("sagemaker", "list-labeling-jobs-for-workteam",
                                    "--workteam-arn", TEAM_ARN)
        entry = [j for j in for_team["LabelingJobSummaryList"]
                 if j["LabelingJobName"] == "seed-describe"]
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry[0]["LabelCounters"]["Total"], 7)
        self.assertEqual(entry[0]["LabelCounters"]["PendingHuman"], 7)  # in progress, none labeled

    def test_list_filters_sorts_and_paginates(self):
        for name in ("page-b", "page-a", "page-c"):
            self.assertEqual(run_seed_script(name)[0], 0)
        _, out, _ = SERVER.cli("sagemaker", "list-labeling-jobs", "--name-contains", "PAGE-",
                               "--sort-by", "Name", "--sort-order", "Descending")
        self.assertEqual([j["LabelingJobName"] for j in out["LabelingJobSummaryList"]],
                         ["page-c", "page-b", "page-a"])
        # One page at a time: the server's token leads to the next page.
        _, first, _ = SERVER.cli("sagemaker", "list-labeling-jobs", "--name-contains", "page-",
                                 "--sort-by", "Name", "--max-results", "2", "--no-paginate")
        self.assertEqual([j["LabelingJobName"] for j in first["LabelingJobSummaryList"]],
                         ["page-a", "page-b"])
        _, second, _ = SERVER.cli("sagemaker", "list-labeling-jobs", "--name-contains", "page-",
                                  "--sort-by", "Name", "--max-results", "2", "--no-paginate",
                                  "--next-token", first["NextToken"])
        self.assertEqual([j["LabelingJobName"] for j in second["LabelingJobSummaryList"]], ["page-c"])
        self.assertNotIn("NextToken", second)
        # The CLI follows tokens by itself.
        _, merged, _ = SERVER.cli("sagemaker", "list-labeling-jobs", "--name-contains", "page-",
                                  "--page-size", "1")
        self.assertEqual(len(merged["LabelingJobSummaryList"]), 3)
        # A token used with other filters is refused.
        rc, _, err = SERVER.cli("sagemaker", "list-labeling-jobs", "--name-contains", "seed",
                                "--max-results", "2", "--no-paginate", "--next-token",
                                first["NextToken"], check=False)
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)
        _, none, _ = SERVER.cli("sagemaker", "list-labeling-jobs", "--status-equals", "Completed",
                                "--name-contains", "page-")
        self.assertEqual(none["LabelingJobSummaryList"], [])

    def test_duplicate_name_is_resource_in_use(self):
        self.assertEqual(run_seed_script("seed-dup")[0], 0)
        rc, _, err = run_seed_script("SEED-DUP")  # names are case-insensitive
        self.assertEqual(rc, 254)
        self.assertIn("(ResourceInUse)", err)

    def test_missing_job_is_validation_exception(self):
        rc, _, err = SERVER.cli("sagemaker", "describe-labeling-job", "--labeling-job-name",
                                "no-such-job", check=False)
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)
        self.assertIn("no-such-job", err)

    def test_wrong_secret_is_signature_error(self):
        rc, _, err = SERVER.cli("sagemaker", "list-labeling-jobs", secret="not-the-secret",
                                check=False)
        self.assertEqual(rc, 254)
        self.assertIn("(InvalidSignatureException)", err)
        rc, _, err = SERVER.cli("sagemaker", "list-labeling-jobs", key="AKIDUNKNOWN", check=False)
        self.assertIn("(UnrecognizedClientException)", err)

    def test_unsigned_call_is_refused(self):
        req = urllib.request.Request(SERVER.url + "/", data=b"{}", method="POST", headers={
            "X-Amz-Target": "SageMaker.ListLabelingJobs",
            "Content-Type": "application/x-amz-json-1.1"})
        try:
            urllib.request.urlopen(req)
            self.fail("unsigned call accepted")
        except urllib.error.HTTPError as e:
            body = json.loads(e.read())
            self.assertEqual(body["__type"], "MissingAuthenticationTokenException")
            self.assertEqual(e.headers["x-amzn-ErrorType"], "MissingAuthenticationTokenException")

    def test_validation_names_the_field(self):
        rc, _, err = SERVER.cli("sagemaker", "describe-labeling-job", "--labeling-job-name",
                                "bad_name!", check=False)
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)
        self.assertIn("labelingJobName", err)

    def test_broken_manifest_line_names_line_3(self):
        lines = seed_file("dataset.manifest").splitlines()
        lines[2] = '{"source": "unterminated'
        SERVER.put(BUCKET, "broken.manifest", "\n".join(lines) + "\n")
        _, out, _ = SERVER.cli(
            "sagemaker", "create-labeling-job", "--labeling-job-name", "broken-manifest",
            "--label-attribute-name", "category", "--label-category-config-s3-uri",
            "s3://%s/categories.json" % BUCKET, "--role-arn", ROLE, "--input-config",
            json.dumps({"DataSource": {"S3DataSource": {
                "ManifestS3Uri": "s3://%s/broken.manifest" % BUCKET}}}),
            "--output-config", json.dumps({"S3OutputPath": "s3://%s/output" % BUCKET}),
            "--human-task-config", json.dumps(human_task_config()))
        d = SERVER.wait_status("broken-manifest", ["Failed"])
        self.assertIn("line 3", d["FailureReason"])
        self.assertTrue(d["FailureReason"].startswith("ClientError: "))

    def test_template_that_does_not_parse_is_rejected(self):
        SERVER.put(BUCKET, "broken.html", "<p>ok</p>\n<p>{% if task.input %}never closed</p>\n")
        htc = human_task_config()
        htc["UiConfig"]["UiTemplateS3Uri"] = "s3://%s/broken.html" % BUCKET
        rc, _, err = SERVER.cli(
            "sagemaker", "create-labeling-job", "--labeling-job-name", "broken-template",
            "--label-attribute-name", "category", "--label-category-config-s3-uri",
            "s3://%s/categories.json" % BUCKET, "--role-arn", ROLE, "--input-config",
            json.dumps({"DataSource": {"S3DataSource": {
                "ManifestS3Uri": "s3://%s/dataset.manifest" % BUCKET}}}),
            "--output-config", json.dumps({"S3OutputPath": "s3://%s/output" % BUCKET}),
            "--human-task-config", json.dumps(htc), check=False)
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)
        self.assertRegex(err, r"line 2")

    def test_stop_moves_job_to_stopped(self):
        self.assertEqual(run_seed_script("seed-stop")[0], 0)
        SERVER.wait_status("seed-stop", ["InProgress"])
        SERVER.cli("sagemaker", "stop-labeling-job", "--labeling-job-name", "seed-stop")
        d = SERVER.wait_status("seed-stop", ["Stopped"])
        self.assertEqual(d["LabelCounters"]["Unlabeled"], 7)
        # A stopped job has no work pending for its team.
        _, for_team, _ = SERVER.cli("sagemaker", "list-labeling-jobs-for-workteam",
                                    "--workteam-arn", TEAM_ARN)
        entry = [j for j in for_team["LabelingJobSummaryList"]
                 if j["LabelingJobName"] == "seed-stop"][0]
        self.assertEqual(entry["LabelCounters"]["PendingHuman"], 0)
        self.assertEqual(entry["LabelCounters"]["Total"], 7)
        out_uri = d["LabelingJobOutput"]["OutputDatasetS3Uri"]
        self.assertEqual(out_uri, "s3://%s/output/seed-stop/manifests/output/output.manifest" % BUCKET)
        with open(SERVER.bucket_path(BUCKET, "output/seed-stop/manifests/output/output.manifest")) as f:
            self.assertEqual(f.read(), seed_file("dataset.manifest"))
        rc, _, err = SERVER.cli("sagemaker", "stop-labeling-job", "--labeling-job-name",
                                "seed-stop", check=False)
        self.assertIn("(ValidationException)", err)

    def test_other_cli_on_path_works_too(self):
        aws = subprocess.run(["bash", "-c", "command -v aws"], capture_output=True,
                             text=True).stdout.strip()
        if not aws or os.path.realpath(aws) == "/usr/bin/aws":
            self.skipTest("no second aws CLI on PATH")
        rc, out, err = run_seed_script("seed-cli-on-path", aws=aws)
        self.assertEqual(rc, 0, err)
        _, d, _ = SERVER.cli("sagemaker", "describe-labeling-job", "--labeling-job-name",
                             "seed-cli-on-path", aws=aws)
        self.assertEqual(d["LabelingJobName"], "seed-cli-on-path")
        _, teams, _ = SERVER.cli("sagemaker", "list-workteams", aws=aws)
        self.assertIn(TEAM_ARN, [t["WorkteamArn"] for t in teams["Workteams"]])


class DemoTest(unittest.TestCase):
    def test_demo_flag_sets_up_a_job_to_label(self):
        demo = h.Server(ARGS.binary, extra_args=["--demo"])
        try:
            worker = h.Worker(demo)
            self.assertEqual(worker.login("demo", "demo-password")[0], 200)
            _, jobs, _ = worker.request("GET", "/worker/api/jobs")
            self.assertEqual([(j["name"], j["tasksAvailable"]) for j in jobs["jobs"]],
                             [("demo-job", 7)])
            status, task, _ = worker.request("POST", "/worker/api/jobs/demo-job/claim")
            self.assertEqual(status, 200)
            self.assertIn("crowd-classifier", task["html"])
            # A restart on the same data dir keeps the one demo job.
            demo.stop()
            demo.log = open(os.path.join(demo.dir, "server2.log"), "w")
            demo.start("127.0.0.1:0")
            _, listed, _ = demo.cli("sagemaker", "list-labeling-jobs")
            self.assertEqual([j["LabelingJobName"] for j in listed["LabelingJobSummaryList"]],
                             ["demo-job"])
        finally:
            demo.cleanup()


class PreviewTest(unittest.TestCase):
    def test_preview_renders_seed_template_for_offline_use(self):
        out = os.path.join(SERVER.dir, "preview.html")
        printed = SERVER.plumbline(
            "template", "preview", os.path.join(ARGS.shared, "seed", "worker_gui.html"),
            "--object", json.dumps({"source": "A <b>bold</b> claim & more"}),
            "--categories", os.path.join(ARGS.shared, "seed", "categories.json"), "-o", out)
        self.assertEqual(printed.strip(), os.path.abspath(out))
        with open(out) as f:
            html = f.read()
        self.assertNotIn("https://assets.crowd.aws", html)
        self.assertIn("customElements.define", html)  # the elements are inlined
        self.assertIn("<strong>A &lt;b&gt;bold&lt;/b&gt; claim &amp; more</strong>", html)
        self.assertIn('categories="[&quot;person&quot;,&quot;animal&quot;,&quot;plant&quot;]"', html)


def human_task_config():
    return {
        "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                                          "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
        "TaskTimeLimitInSeconds": 3600, "NumberOfHumanWorkersPerDataObject": 1,
        "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
        "WorkteamArn": TEAM_ARN, "TaskDescription": "Classify", "TaskTitle": "Classify",
        "UiConfig": {"UiTemplateS3Uri": "s3://%s/worker_gui.html" % BUCKET}}


class LabelingTest(unittest.TestCase):
    def test_labeling_all_seven_objects_completes_the_job(self):
        job = "seed-label-all"
        self.assertEqual(run_seed_script(job)[0], 0)
        SERVER.wait_status(job, ["InProgress"])
        worker = h.Worker(SERVER)
        self.assertEqual(worker.login("alice", "wrong")[0], 401)
        status, body, headers = worker.login("alice", "alice-password")
        self.assertEqual(status, 200)
        cookie = headers["Set-Cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)

        status, jobs, _ = worker.request("GET", "/worker/api/jobs")
        mine = [j for j in jobs["jobs"] if j["name"] == job]
        self.assertEqual(mine[0]["tasksAvailable"], 7)
        self.assertEqual(mine[0]["title"], "Text classification task")

        # A stranger to the team may neither list nor claim.
        stranger = h.Worker(SERVER)
        stranger.login("mallory", "mallory-password")
        self.assertNotIn(job, [j["name"] for j in stranger.request("GET", "/worker/api/jobs")[1]["jobs"]])
        self.assertEqual(stranger.request("POST", "/worker/api/jobs/%s/claim" % job)[0], 403)
        # A POST without the CSRF token is refused.
        self.assertEqual(worker.request("POST", "/worker/api/jobs/%s/claim" % job, csrf=False)[0], 403)

        labels = ["person", "animal", "plant", "animal", "plant", "person", "person"]
        manifest = [json.loads(l) for l in seed_file("dataset.manifest").splitlines()]
        seen = set()
        handed_next = None  # the task the last submit with "next" claimed
        for i in range(7):
            status, task, _ = worker.request("POST", "/worker/api/jobs/%s/claim" % job)
            self.assertEqual(status, 200)
            if handed_next is not None:
                # The worker holds the task the submit claimed: the claim gives it back.
                self.assertEqual(task["taskId"], handed_next["taskId"])
                self.assertEqual(task["taskInput"], handed_next["taskInput"])
            ti = task["taskInput"]
            self.assertEqual(ti["labels"], ["person", "animal", "plant"])
            idx = [m["source"] for m in manifest].index(ti["taskObject"])
            self.assertEqual(ti["manifestLine"], manifest[idx])
            self.assertNotIn(idx, seen)
            # The claim carries the seed's template rendered for this task.
            self.assertIn('categories="[&quot;person&quot;,&quot;animal&quot;,&quot;plant&quot;]"',
                          task["html"])
            self.assertIn("<strong>%s</strong>" % ti["taskObject"].replace("'", "&#39;"), task["html"])
            self.assertNotIn("{{", task["html"])
            seen.add(idx)
            if i == 0:
                # Someone else's task: 409.
                self.assertEqual(stranger.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                                  {"answer": {"x": 1}})[0], 409)
            answer = {"crowd-classifier": {"label": labels[idx]}}
            status, res, _ = worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                            {"answer": answer})
            self.assertEqual((status, res["status"]), (200, "accepted"))
            # A retried submit is acknowledged again, not counted twice; with
            # "next" it also claims the worker's next task in the same request.
            status, res, _ = worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                            {"answer": answer, "next": True})
            self.assertEqual((status, res["status"]), (200, "duplicate"))
            handed_next = res["next"]
            if i < 6:
                self.assertNotEqual(handed_next["taskId"], task["taskId"])
                self.assertNotIn("{{", handed_next["html"])
            else:
                self.assertIsNone(handed_next)  # nothing left for this worker
        status, _, _ = worker.request("POST", "/worker/api/jobs/%s/claim" % job)
        self.assertEqual(status, 204)

        d = SERVER.wait_status(job, ["Completed"])
        self.assertEqual(d["LabelCounters"]["HumanLabeled"], 7)
        self.assertEqual(d["LabelCounters"]["Unlabeled"], 0)
        root = SERVER.bucket_path(BUCKET, "output/%s" % job)
        with open(os.path.join(root, "manifests/output/output.manifest")) as f:
            out_lines = f.read().splitlines()
        self.assertEqual(len(out_lines), 7)
        for idx, line in enumerate(out_lines):
            # Compact JSON, the input's keys first.
            self.assertNotIn(": ", line.replace('": "', ""))
            o = json.loads(line)
            self.assertEqual(list(o.keys()), ["source", "aws-blog-demo", "aws-blog-demo-metadata"])
            self.assertEqual(o["source"], manifest[idx]["source"])
            self.assertEqual(o["aws-blog-demo"], ["person", "animal", "plant"].index(labels[idx]))
            meta = o["aws-blog-demo-metadata"]
            self.assertEqual(list(meta.keys()), ["confidence", "job-name", "class-name",
                                                 "human-annotated", "creation-date", "type"])
            self.assertEqual(meta["confidence"], 0)  # one worker: Ground Truth reports 0
            self.assertEqual(meta["job-name"], "labeling-job/" + job)
            self.assertEqual(meta["class-name"], labels[idx])
            self.assertEqual(meta["human-annotated"], "yes")
            self.assertRegex(meta["creation-date"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
            self.assertEqual(meta["type"], "groundtruth/text-classification")
        # One worker-response file per object with Ground Truth's fields.
        for idx in range(7):
            files = glob.glob(os.path.join(root, "annotations/worker-response/iteration-1/%d/*.json" % idx))
            self.assertEqual(len(files), 1, files)
            self.assertRegex(os.path.basename(files[0]), r"^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.json$")
            with open(files[0]) as f:
                wr = json.load(f)
            self.assertEqual(len(wr["answers"]), 1)
            a = wr["answers"][0]
            self.assertEqual(sorted(a.keys()), ["acceptanceTime", "answerContent", "submissionTime",
                                                "timeSpentInSeconds", "workerId", "workerMetadata"])
            self.assertEqual(a["answerContent"], {"crowd-classifier": {"label": labels[idx]}})
            self.assertRegex(a["workerId"], r"^private\.us-west-2\.[0-9a-f]{16}$")
            self.assertRegex(a["acceptanceTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn("sub", a["workerMetadata"]["identityData"])
        requests = glob.glob(os.path.join(root, "annotations/consolidated-annotation/consolidation-request/iteration-1/*.json"))
        responses = glob.glob(os.path.join(root, "annotations/consolidated-annotation/consolidation-response/iteration-1/*.json"))
        self.assertTrue(requests and responses)
        ids = set()
        for path in requests:
            with open(path) as f:
                for item in json.load(f):
                    ids.add(item["datasetObjectId"])
                    self.assertIn("content", item["dataObject"])
                    content = json.loads(item["annotations"][0]["annotationData"]["content"])
                    self.assertIn("crowd-classifier", content)
        self.assertEqual(ids, {str(i) for i in range(7)})
        with open(os.path.join(root, "annotation-tool/data.json")) as f:
            self.assertEqual(json.load(f), json.loads(seed_file("categories.json")))
        self.assertEqual(d["LabelingJobOutput"]["OutputDatasetS3Uri"],
                         "s3://%s/output/%s/manifests/output/output.manifest" % (BUCKET, job))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
