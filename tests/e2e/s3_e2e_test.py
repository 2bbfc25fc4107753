#!/usr/bin/env python3
"""End to end against a real S3 protocol peer: s3rver (npm) on 127.0.0.1 holds
the seed's manifest, label categories and template; `plumbline serve
--s3-endpoint` runs the seed's job from there, and its output lands there.

Usage: s3_e2e_test.py --binary build/plumbline --shared ../shared --repo .
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402
import seed_e2e_test as seed  # noqa: E402

ARGS = None
BUCKET = "seed-s3"


class S3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = None
        try:
            cls.start()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls):
        script = os.path.join(ARGS.repo, "node_modules", "s3rver", "bin", "s3rver.js")
        if not os.path.exists(script):
            raise RuntimeError("s3rver is missing; run `npm ci` in the repository root")
        cls.s3dir = tempfile.mkdtemp(prefix="plb-s3rver-")
        cls.port = h.free_port()
        cls.s3 = subprocess.Popen(["node", script, "-d", cls.s3dir, "-a", "127.0.0.1", "-p",
                                   str(cls.port), "--configure-bucket", BUCKET],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen = ""
        while "listening" not in seen:
            line = cls.s3.stdout.readline()
            if not line:
                cls.s3.kill()
                raise RuntimeError("s3rver did not start: " + seen)
            seen += line
        # Keep draining its log so that it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in cls.s3.stdout], daemon=True).start()
        cls.endpoint = "http://127.0.0.1:%d" % cls.port
        cls.s3_env = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER",
                      "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                      "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
        for name in ("dataset.manifest", "categories.json", "worker_gui.html"):
            cls.s3cli("s3", "cp", os.path.join(ARGS.shared, "seed", name), "s3://%s/%s" % (BUCKET, name))
        # The server's own credentials are for the S3 peer; API callers sign with Plumbline keys.
        cls.server = h.Server(ARGS.binary, extra_env=cls.s3_env,
                              extra_args=["--s3-endpoint", cls.endpoint])
        seed.SERVER = cls.server
        seed.BUCKET = BUCKET
        seed.ARGS = ARGS
        cls.server.add_user("alice", "alice-password", groups=["labelers"])
        _, out, _ = cls.server.cli("sagemaker", "create-workteam", "--workteam-name", "s3-team",
                                   "--description", "Team", "--member-definitions",
                                   '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
        seed.TEAM_ARN = out["WorkteamArn"]

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.cleanup()
        if getattr(cls, "s3", None) and cls.s3.poll() is None:
            cls.s3.terminate()
            cls.s3.wait(10)
        shutil.rmtree(getattr(cls, "s3dir", ""), ignore_errors=True)

    @classmethod
    def s3cli(cls, *args):
        env = dict(os.environ, **cls.s3_env, AWS_DEFAULT_REGION="us-east-1")
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", cls.endpoint, *args], env=env,
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("aws %s: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def test_seed_job_reads_from_and_writes_to_s3(self):
        rc, out, err = seed.run_seed_script("seed-on-s3")
        self.assertEqual(rc, 0, err)
        self.server.wait_status("seed-on-s3", ["InProgress"])
        worker = h.Worker(self.server)
        worker.login("alice", "alice-password")
        for _ in range(7):
            status, task, _ = worker.request("POST", "/worker/api/jobs/seed-on-s3/claim")
            self.assertEqual(status, 200)
            self.assertIn("crowd-classifier", task["html"])
            worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                           {"answer": {"crowd-classifier": {"label": "animal"}}})
        d = self.server.wait_status("seed-on-s3", ["Completed"])
        uri = d["LabelingJobOutput"]["OutputDatasetS3Uri"]
        self.assertEqual(uri, "s3://%s/output/seed-on-s3/manifests/output/output.manifest" % BUCKET)
        local = os.path.join(self.server.dir, "out.manifest")
        self.s3cli("s3", "cp", uri, local)
        with open(local) as f:
            lines = [json.loads(l) for l in f.read().splitlines()]
        self.assertEqual(len(lines), 7)
        self.assertTrue(all(l["aws-blog-demo-metadata"]["class-name"] == "animal" for l in lines))
        listing = self.s3cli("s3", "ls", "--recursive", "s3://%s/output/seed-on-s3/" % BUCKET)
        self.assertEqual(len(re.findall(r"worker-response/iteration-1/\d+/", listing)), 7)
        self.assertIn("annotation-tool/data.json", listing)
        # Nothing was written to the embedded folders instead.
        self.assertFalse(os.path.exists(self.server.bucket_path(BUCKET, "output")))


    def test_own_s3_api_names_the_s3_server(self):
        # With --s3-endpoint, the server's own S3 API refuses (501) and names
        # the S3 server, rather than serving a folder no job reads.
        for args in (("s3", "ls"), ("s3api", "put-object", "--bucket", BUCKET, "--key", "x")):
            rc, _, err = self.server.cli(*args, check=False)
            self.assertNotEqual(rc, 0, args)
            self.assertIn("NotImplemented", err)
            self.assertIn("the S3 server at " + self.endpoint, err)

    def test_kms_job_on_s3_writes_encrypted_outputs(self):
        key = json.loads(self.server.plumbline("kms", "create-key", "--data-dir", self.server.data_dir))
        rc, out, err = seed.run_seed_script("seed-on-s3-kms", kms_key=key["KeyId"])
        self.assertEqual(rc, 0, err)
        self.server.wait_status("seed-on-s3-kms", ["InProgress"])
        worker = h.Worker(self.server)
        worker.login("alice", "alice-password")
        for _ in range(7):
            _, task, _ = worker.request("POST", "/worker/api/jobs/seed-on-s3-kms/claim")
            worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                           {"answer": {"crowd-classifier": {"label": "plant"}}})
        d = self.server.wait_status("seed-on-s3-kms", ["Completed"])
        local = os.path.join(self.server.dir, "enc.manifest")
        self.s3cli("s3", "cp", d["LabelingJobOutput"]["OutputDatasetS3Uri"], local)
        with open(local, "rb") as f:
            data = f.read()
        self.assertNotIn(b"plant", data)
        self.assertNotIn(b"His nose", data)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--repo", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
