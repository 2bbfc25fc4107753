#!/usr/bin/env python3
"""End to end: Plumbline's KMS and STS through real clients. The aws CLI
(Debian's /usr/bin/aws), boto3 under Debian's python and under the PATH's
python when it is another one with boto3 (kms_sts_client.py), and the AWS SDK
for JavaScript v3 (js/kms_sts_client.mjs, beside the repository's
node_modules). Each client runs against one server started with
--sts-min-duration 1 so that sessions can expire within the test.

Usage: kms_sts_clients_test.py --binary build/plumbline --repo .
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))


def pythons_with_boto3():
    """Debian's python (python3-boto3) and the PATH's python3 when it is
    another interpreter that has boto3."""
    found = []
    for exe in ["/usr/bin/python3", shutil.which("python3")]:
        if not exe or not os.path.exists(exe):
            continue
        real = os.path.realpath(subprocess.run([exe, "-c", "import sys; print(sys.executable)"],
                                               capture_output=True, text=True).stdout.strip() or exe)
        if real in [r for _, r in found]:
            continue
        if subprocess.run([exe, "-c", "import boto3"], capture_output=True).returncode == 0:
            found.append((exe, real))
    return [exe for exe, _ in found]


class KmsStsClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = h.Server(ARGS.binary, extra_args=["--sts-min-duration", "1"])
        s = cls.server
        s.add_user("keyuser", "keyuser-password")
        s.add_user("outsider", "outsider-password")
        cls.user = json.loads(s.plumbline("users", "create-access-key", "--data-dir", s.data_dir,
                                          "--username", "keyuser"))
        cls.outsider = json.loads(s.plumbline("users", "create-access-key", "--data-dir",
                                              s.data_dir, "--username", "outsider"))
        _, ident, _ = s.cli("sts", "get-caller-identity")
        cls.account = ident["Account"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def aws(self, *args, key=h.ROOT_KEY, secret=h.ROOT_SECRET, token=None, check=True):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                    "AWS_DEFAULT_REGION": h.REGION, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                    "AWS_PAGER": ""})
        env.pop("AWS_SESSION_TOKEN", None)
        if token:
            env["AWS_SESSION_TOKEN"] = token
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", self.server.url, *args], env=env,
                           capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else None), p.stderr

    def test_aws_cli(self):
        _, ident, _ = self.aws("sts", "get-caller-identity")
        self.assertEqual(ident["Arn"], "arn:aws:iam::%s:root" % self.account)
        _, user, _ = self.aws("sts", "get-caller-identity", key=self.user["AccessKeyId"],
                              secret=self.user["SecretAccessKey"])
        self.assertEqual(user["Arn"], "arn:aws:iam::%s:user/keyuser" % self.account)
        _, key, _ = self.aws("kms", "create-key", "--description", "cli key")
        kid = key["KeyMetadata"]["KeyId"]
        self.aws("kms", "create-alias", "--alias-name", "alias/cli-key", "--target-key-id", kid)
        _, enc, _ = self.aws("kms", "encrypt", "--key-id", "alias/cli-key", "--plaintext",
                             base64.b64encode(b"from the cli").decode(),
                             "--encryption-context", "job=cli")
        _, dec, _ = self.aws("kms", "decrypt", "--ciphertext-blob", enc["CiphertextBlob"],
                             "--encryption-context", "job=cli")
        self.assertEqual(base64.b64decode(dec["Plaintext"]), b"from the cli")
        self.assertEqual(dec["KeyId"], key["KeyMetadata"]["Arn"])
        rc, _, err = self.aws("kms", "decrypt", "--ciphertext-blob", enc["CiphertextBlob"],
                              check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidCiphertextException", err)
        # The outsider is not in the key's policy.
        rc, _, err = self.aws("kms", "decrypt", "--ciphertext-blob", enc["CiphertextBlob"],
                              "--encryption-context", "job=cli", key=self.outsider["AccessKeyId"],
                              secret=self.outsider["SecretAccessKey"], check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("AccessDeniedException", err)
        self.assertIn("user/outsider", err)
        # Session credentials from AssumeRole sign later requests.
        role = "arn:aws:iam::%s:role/cli-role" % self.account
        _, assumed, _ = self.aws("sts", "assume-role", "--role-arn", role, "--role-session-name",
                                 "cli", "--duration-seconds", "900")
        c = assumed["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        _, who, _ = self.aws("sts", "get-caller-identity", key=c["AccessKeyId"],
                             secret=c["SecretAccessKey"], token=c["SessionToken"])
        self.assertEqual(who["Arn"], "arn:aws:sts::%s:assumed-role/cli-role/cli" % self.account)
        # Without its token the temporary key means nothing.
        rc, _, err = self.aws("sts", "get-caller-identity", key=c["AccessKeyId"],
                              secret=c["SecretAccessKey"], check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidClientTokenId", err)
        _, aliases, _ = self.aws("kms", "list-aliases", "--key-id", kid)
        self.assertEqual([a["AliasName"] for a in aliases["Aliases"]], ["alias/cli-key"])

    def test_boto3(self):
        pythons = pythons_with_boto3()
        self.assertTrue(pythons, "no python with boto3 (Debian's python3-boto3)")
        for py in pythons:
            with self.subTest(python=py):
                p = subprocess.run(
                    [py, os.path.join(HERE, "kms_sts_client.py"), self.server.url, h.ROOT_KEY,
                     h.ROOT_SECRET, self.user["AccessKeyId"], self.user["SecretAccessKey"],
                     self.outsider["AccessKeyId"], self.outsider["SecretAccessKey"], self.account],
                    capture_output=True, text=True, timeout=180)
                self.assertEqual(p.returncode, 0, p.stderr + "\n" + self.server.server_log()[-3000:])
                out = json.loads(p.stdout)
                self.check_boto3(out)

    def check_boto3(self, out):
        acct = self.account
        expected = {
            "created_state": "Enabled",
            "alias_exists": "AlreadyExistsException",
            "decrypt": "hello kms",
            "decrypt_wrong_context": "InvalidCiphertextException",
            "data_key_len": 32,
            "data_key_roundtrip": True,
            "no_plaintext": True,
            "reencrypt_key": True,
            "incorrect_key": "IncorrectKeyException",
            "reencrypted": "hello kms",
            "list_keys_ids": True,
            "tags": [{"TagKey": "team", "TagValue": "labels"}],
            "tags_after_untag": [],
            "disabled_encrypt": "DisabledException",
            "not_found": "NotFoundException",
            "bad_alias": "InvalidAliasNameException",
            "malformed_policy": "MalformedPolicyDocumentException",
            "user_decrypt": "hello kms",
            "outsider_decrypt": "AccessDeniedException",
            "user_denied": "AccessDeniedException",
            "managed_roundtrip": "managed",
            "managed_manager": "AWS",
            "managed_disable": "AccessDeniedException",
            "pending": "PendingDeletion",
            "pending_use": "KMSInvalidStateException",
            "cancelled_state": "Disabled",
            "caller": "arn:aws:iam::%s:user/keyuser" % acct,
            "assumed": "arn:aws:sts::%s:assumed-role/labeling-lambda/lambda" % acct,
            "asia": True,
            "assumed_caller": "arn:aws:sts::%s:assumed-role/labeling-lambda/boto3" % acct,
            "session_encrypt": "ok",
            "foreign_role": "AccessDenied",
            "too_long": "ValidationError",
            "bad_token": "InvalidClientTokenId",
            "expired": "ExpiredToken",
            "expired_kms": "ExpiredTokenException",
            "session_token_caller": "arn:aws:iam::%s:root" % acct,
        }
        for k, v in expected.items():
            self.assertEqual(out.get(k), v, "%s (boto3 %s): %s" % (k, out.get("boto3"), out))
        self.assertGreaterEqual(out["list_keys_pages"], 2)
        self.assertEqual(len(out["aliases"]), 1)
        self.assertTrue(out["aliases"][0].startswith("alias/boto3-"))
        self.assertIn("user/outsider", out["outsider_message"])

    def test_javascript_sdk(self):
        node = shutil.which("node")
        script = os.path.join(HERE, "js", "kms_sts_client.mjs")
        modules = os.path.join(ARGS.repo, "node_modules", "@aws-sdk", "client-kms")
        if not node or not os.path.isdir(modules):
            self.skipTest("node or the repository's node_modules (npm ci) is missing")
        p = subprocess.run([node, script, self.server.url, h.ROOT_KEY, h.ROOT_SECRET, self.account],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        acct = self.account
        self.assertEqual(out["decrypt"], "from js", out)
        self.assertEqual(out["dataKeyLen"], 32)
        self.assertEqual(len(out["aliases"]), 1)
        self.assertTrue(out["aliases"][0].startswith("alias/js-"))
        self.assertEqual(out["managed"], "AWS")
        self.assertEqual(out["notFound"], "NotFoundException")
        self.assertEqual(out["caller"], "arn:aws:iam::%s:root" % acct)
        self.assertEqual(out["assumed"], "arn:aws:sts::%s:assumed-role/js-role/js" % acct)
        self.assertEqual(out["sessionCaller"], out["assumed"])
        self.assertEqual(out["sessionDecrypt"], "from js")
        self.assertEqual(out["beforeExpiry"], "ok")
        self.assertEqual(out["afterExpiry"], "ExpiredTokenException")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--repo", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)
