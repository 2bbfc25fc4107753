#!/usr/bin/env python3
"""The seed walkthrough with AWS's own clients only, as a team moving from
Ground Truth would run it, once with each aws CLI (Debian's v2 and the v1 on
PATH) and once with each kind of key:

  aws s3 mb + aws s3 cp of the seed's three files, aws kms create-key (a key
  policy naming the reader) + create-alias, or the AWS managed key
  alias/aws/s3; the seed's createCustom.sh with its placeholders filled in;
  labeling through the worker API; then aws s3 cp of the output manifest: the
  reader the key allows gets the 7 labeled lines, a user outside the key
  policy gets AccessDenied, and the file on disk holds no text in clear.

Only the workers' accounts are made with `plumbline users` (a worker portal
has no AWS equivalent).

Usage: seed_aws_clients_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
CLIS = [("v2", "/usr/bin/aws"), ("v1", shutil.which("aws") or "aws")]
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"
SEED_FILES = ("dataset.manifest", "categories.json", "worker_gui.html")


def seed_path(name):
    return os.path.join(ARGS.shared, "seed", name)


class SeedWithAwsClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = h.Server(ARGS.binary)
        s = cls.server
        s.add_user("alice", "alice-password", groups=["labelers"])
        s.add_user("bob", "bob-password", groups=["labelers"])
        cls.keys = {u: json.loads(s.plumbline("users", "create-access-key", "--data-dir",
                                               s.data_dir, "--username", u))
                    for u in ("alice", "bob")}
        cls.tmp = tempfile.mkdtemp(prefix="plb-seed-aws-")
        with open(seed_path("dataset.manifest")) as f:
            cls.sources = [json.loads(l)["source"] for l in f.read().splitlines() if l.strip()]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, who=None):
        e = dict(os.environ)
        key, secret = (h.ROOT_KEY, h.ROOT_SECRET) if who is None else (
            self.keys[who]["AccessKeyId"], self.keys[who]["SecretAccessKey"])
        e.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                  "AWS_DEFAULT_REGION": h.REGION, "AWS_REGION": h.REGION,
                  # Honoured by the v1 CLI; Debian's v2 (2.9) needs --endpoint-url too.
                  "AWS_ENDPOINT_URL": self.server.url,
                  "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
                  "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": ""})
        e.pop("AWS_SESSION_TOKEN", None)
        return e

    def aws(self, cli, *args, who=None, check=True):
        args = list(args)
        if args[0] == "s3" and args[1] in ("cp", "rm"):
            args.insert(2, "--only-show-errors")
        p = subprocess.run([cli, "--endpoint-url", self.server.url, *args], env=self.env(who),
                           capture_output=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("%s %s failed (%d): %s" % (cli, " ".join(args), p.returncode,
                                                            p.stderr.decode()))
        return p

    def aws_json(self, cli, *args, who=None):
        return json.loads(self.aws(cli, *args, who=who).stdout)

    def run_create_custom(self, cli, job, bucket, team_arn, kms_key):
        """The seed's createCustom.sh with its placeholders filled in. The
        published script lost its line-continuation backslashes, so its lines
        are joined into the one command it means."""
        with open(seed_path("createCustom.sh")) as f:
            script = f.read()
        script = (script.replace("YOUR_BUCKET_NAME", bucket)
                  .replace("YOUR_SAGEMAKER_GROUNDTRUTH_EXECUTION_ROLE_ARN", ROLE)
                  .replace("YOUR_WORKTEAM_ARN", team_arn)
                  .replace("YOUR_KMS_KEY_ID", kms_key))
        command, quoted = "", False
        for line in script.splitlines():
            line = line.rstrip()
            quoted ^= line.count("'") % 2 == 1
            command += line + ("\n" if quoted else " \\\n")
        command = command.rstrip(" \\\n")
        command = command.replace("aws sagemaker", '"$AWS" --endpoint-url "$AWS_ENDPOINT_URL" sagemaker', 1)
        env = self.env()
        env["AWS"] = cli
        p = subprocess.run(["bash", "-c", command, "createCustom.sh", job], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def label_all(self, job):
        worker = h.Worker(self.server)
        self.assertEqual(worker.login("alice", "alice-password")[0], 200)
        labels = ["person", "animal", "plant"]
        for _ in range(len(self.sources)):
            status, task, _ = worker.request("POST", "/worker/api/jobs/%s/claim" % job)
            self.assertEqual(status, 200)
            idx = self.sources.index(task["taskInput"]["taskObject"])
            answer = {"crowd-classifier": {"label": labels[idx % 3]}}
            status, res, _ = worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                            {"answer": answer})
            self.assertEqual((status, res["status"]), (200, "accepted"))
        self.server.wait_status(job, ["Completed"])

    def walkthrough(self, name, cli, managed_key):
        bucket = "seed-%s-%s" % (name, "managed" if managed_key else "own")
        job = bucket + "-job"
        self.aws(cli, "s3", "mb", "s3://" + bucket)
        for f in SEED_FILES:
            self.aws(cli, "s3", "cp", seed_path(f), "s3://%s/%s" % (bucket, f))
        listed = self.aws(cli, "s3", "ls", "s3://%s/" % bucket).stdout.decode()
        for f in SEED_FILES:
            self.assertIn(f, listed)

        team = self.aws_json(cli, "sagemaker", "create-workteam", "--workteam-name", bucket,
                             "--description", "Seed team", "--member-definitions",
                             '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
        if managed_key:
            kms_key = "alias/aws/s3"
        else:
            account = self.aws_json(cli, "sts", "get-caller-identity")["Account"]
            policy = {"Version": "2012-10-17", "Statement": [
                {"Sid": "Admin", "Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::%s:root" % account},
                 "Action": "kms:*", "Resource": "*"},
                {"Sid": "Readers", "Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::%s:user/alice" % account},
                 "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]}
            key = self.aws_json(cli, "kms", "create-key", "--description", "seed output",
                                "--policy", json.dumps(policy))["KeyMetadata"]
            self.aws(cli, "kms", "create-alias", "--alias-name", "alias/" + bucket,
                     "--target-key-id", key["KeyId"])
            aliases = self.aws_json(cli, "kms", "list-aliases")["Aliases"]
            self.assertIn(key["KeyId"], [a.get("TargetKeyId") for a in aliases
                                         if a["AliasName"] == "alias/" + bucket])
            kms_key = "alias/" + bucket

        self.run_create_custom(cli, job, bucket, team["WorkteamArn"], kms_key)
        described = self.aws_json(cli, "sagemaker", "describe-labeling-job",
                                  "--labeling-job-name", job)
        self.assertEqual(described["OutputConfig"]["KmsKeyId"], kms_key)
        self.label_all(job)

        output = "s3://%s/output/%s/manifests/output/output.manifest" % (bucket, job)
        lines = self.aws(cli, "s3", "cp", output, "-", who="alice").stdout.decode().splitlines()
        self.assertEqual(len(lines), 7)
        for line in lines:
            o = json.loads(line)
            self.assertIn(o["source"], self.sources)
            self.assertEqual(o["aws-blog-demo-metadata"]["human-annotated"], "yes")
            self.assertIn(o["aws-blog-demo-metadata"]["class-name"], ["person", "animal", "plant"])
        head = self.aws_json(cli, "s3api", "head-object", "--bucket", bucket, "--key",
                             output.split("/", 3)[3], who="alice")
        self.assertEqual(head["ServerSideEncryption"], "aws:kms")
        if not managed_key:  # the managed key is every user's, as AWS's is the account's
            p = self.aws(cli, "s3", "cp", output, "-", who="bob", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("AccessDenied", p.stderr.decode())
        with open(self.server.bucket_path(bucket, output.split("/", 3)[3]), "rb") as f:
            stored = f.read()
        self.assertTrue(stored.startswith(b"PLBENC01"))
        for text in self.sources + ["person", "animal", "plant", "aws-blog-demo"]:
            self.assertNotIn(text.encode(), stored)

    def test_cli_v2_own_key(self):
        self.walkthrough("v2", CLIS[0][1], managed_key=False)

    def test_cli_v2_managed_key(self):
        self.walkthrough("v2", CLIS[0][1], managed_key=True)

    def test_cli_v1_own_key(self):
        self.walkthrough("v1", CLIS[1][1], managed_key=False)

    def test_cli_v1_managed_key(self):
        self.walkthrough("v1", CLIS[1][1], managed_key=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
