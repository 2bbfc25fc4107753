#!/usr/bin/env python3
"""End to end: the seed's job with a KmsKeyId. Outputs on disk hold no label
or source text in clear; a user the key's policy allows decrypts the output
manifest with `plumbline kms decrypt`; anyone else is refused; a flipped byte
is detected; an unknown or disabled key is refused at CreateLabelingJob.

Usage: kms_e2e_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402
import seed_e2e_test as seed  # noqa: E402

ARGS = None


class KmsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        seed.ARGS = ARGS
        seed.setUpModule()
        cls.server = seed.SERVER
        s = cls.server
        s.add_user("auditor", "auditor-password", admin=True)
        s.add_user("eve", "eve-password", admin=True)
        cls.auditor = json.loads(s.plumbline("users", "create-access-key", "--data-dir", s.data_dir,
                                             "--username", "auditor"))
        cls.eve = json.loads(s.plumbline("users", "create-access-key", "--data-dir", s.data_dir,
                                         "--username", "eve"))
        cls.key = json.loads(s.plumbline("kms", "create-key", "--data-dir", s.data_dir,
                                         "--description", "labels", "--allow", "auditor"))

    @classmethod
    def tearDownClass(cls):
        seed.tearDownModule()

    def decrypt(self, path, key, out):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                   AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"], AWS_DEFAULT_REGION=h.REGION,
                   AWS_REGION=h.REGION)
        return subprocess.run([ARGS.binary, "kms", "decrypt", path, "--endpoint-url",
                               self.server.url, "-o", out], env=env, capture_output=True,
                              text=True, timeout=60)

    def test_seed_job_with_kms_key_encrypts_every_output(self):
        s = self.server
        rc, out, err = seed.run_seed_script("seed-kms", kms_key=self.key["Arn"])
        self.assertEqual(rc, 0, err)
        _, d, _ = s.cli("sagemaker", "describe-labeling-job", "--labeling-job-name", "seed-kms")
        self.assertEqual(d["OutputConfig"]["KmsKeyId"], self.key["Arn"])
        s.wait_status("seed-kms", ["InProgress"])
        worker = h.Worker(s)
        worker.login("alice", "alice-password")
        sources = [json.loads(l)["source"] for l in seed.seed_file("dataset.manifest").splitlines()]
        for _ in range(7):
            status, task, _ = worker.request("POST", "/worker/api/jobs/seed-kms/claim")
            self.assertEqual(status, 200)
            worker.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                           {"answer": {"crowd-classifier": {"label": "plant"}}})
        s.wait_status("seed-kms", ["Completed"])

        root = s.bucket_path(seed.BUCKET, "output/seed-kms")
        files = [f for f in glob.glob(os.path.join(root, "**", "*"), recursive=True)
                 if os.path.isfile(f)]
        self.assertGreaterEqual(len(files), 7 + 2 + 2 + 1)
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            for secret in [b"plant", b"animal", b"person"] + [x[:20].encode() for x in sources]:
                self.assertNotIn(secret, data, "%s holds %r in clear" % (f, secret))

        manifest = os.path.join(root, "manifests/output/output.manifest")
        plain = os.path.join(s.dir, "plain.manifest")
        p = self.decrypt(manifest, self.auditor, plain)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(plain) as f:
            lines = [json.loads(l) for l in f.read().splitlines()]
        self.assertEqual([l["source"] for l in lines], sources)
        self.assertTrue(all(l["aws-blog-demo"] == 2 for l in lines))
        self.assertTrue(all(l["aws-blog-demo-metadata"]["class-name"] == "plant" for l in lines))

        # Root may decrypt too; a user outside the policy may not.
        root_key = {"AccessKeyId": h.ROOT_KEY, "SecretAccessKey": h.ROOT_SECRET}
        self.assertEqual(self.decrypt(manifest, root_key, plain + ".root").returncode, 0)
        p = self.decrypt(manifest, self.eve, plain + ".eve")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr + p.stdout)
        self.assertFalse(os.path.exists(plain + ".eve") and os.path.getsize(plain + ".eve") > 0)
        # The refusal and the allowed decrypts are in the audit log.
        audit = s.plumbline("audit", "--data-dir", s.data_dir, "--json")
        entries = [json.loads(l) for l in audit.splitlines() if l.strip()] if not audit.lstrip().startswith("[") else json.loads(audit)
        decrypts = [(e.get("actor"), e.get("outcome")) for e in entries if e.get("action") == "kms:Decrypt"]
        self.assertIn(("eve", "PermissionDenied"), decrypts)
        self.assertIn(("auditor", "ok"), decrypts)
        # So are the admin commands that made the key.
        self.assertIn("kms:create-key", [e.get("action") for e in entries])

        # A flipped byte anywhere in the body is detected.
        with open(manifest, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0x01
        tampered = os.path.join(s.dir, "tampered.manifest")
        with open(tampered, "wb") as f:
            f.write(data)
        p = self.decrypt(tampered, self.auditor, plain + ".tampered")
        self.assertNotEqual(p.returncode, 0)

    def test_unknown_or_disabled_key_is_refused_at_create(self):
        rc, _, err = seed.run_seed_script("seed-kms-unknown",
                                          kms_key="arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000")
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)
        key = json.loads(self.server.plumbline("kms", "create-key", "--data-dir", self.server.data_dir))
        self.server.plumbline("kms", "disable-key", "--data-dir", self.server.data_dir, "--key-id", key["KeyId"])
        rc, _, err = seed.run_seed_script("seed-kms-disabled", kms_key=key["KeyId"])
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
