#!/usr/bin/env python3
"""The S3 API of `plumbline serve` driven by AWS's own clients: both aws CLIs
(Debian's v2 and the v1 on PATH), boto3 (every Python here that has it), the
JavaScript SDK v3; SSE-KMS with a key policy; flat memory for large objects.

Usage: s3_api_e2e_test.py --binary build/plumbline --repo .
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
HERE = os.path.dirname(os.path.abspath(__file__))
CLIS = [("v2", "/usr/bin/aws"), ("v1", shutil.which("aws") or "aws")]


def rss_peak_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class S3Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = h.Server(ARGS.binary)
        s = cls.server
        s.add_user("ada", "ada-password", admin=True)
        s.add_user("alice", "alice-password", groups=["labelers"])
        s.add_user("bob", "bob-password", groups=["labelers"])
        cls.keys = {u: json.loads(s.plumbline("users", "create-access-key", "--data-dir", s.data_dir,
                                               "--username", u)) for u in ("ada", "alice", "bob")}
        cls.tmp = tempfile.mkdtemp(prefix="plb-s3-")

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
                  "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.devnull,
                  "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_PAGER": ""})
        e.pop("AWS_SESSION_TOKEN", None)
        return e

    def aws(self, cli, *args, who=None, check=True, stdin=None):
        args = list(args)
        if args[0] == "s3" and args[1] in ("cp", "sync", "rm", "mv"):
            args.insert(2, "--only-show-errors")
        p = subprocess.run([cli, "--endpoint-url", self.server.url, *args],
                           env=self.env(who), capture_output=True, timeout=120, input=stdin)
        if check and p.returncode != 0:
            raise AssertionError("%s %s failed (%d): %s" % (cli, " ".join(args), p.returncode,
                                                            p.stderr.decode()))
        return p

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_both_clis(self):
        for name, cli in CLIS:
            with self.subTest(cli=name):
                b = "cli-" + name
                self.aws(cli, "s3", "mb", "s3://" + b)
                small = self.file(name + "/small.txt", b"hello\n")
                big_data = os.urandom(20 * 1024 * 1024 + 3)
                big = self.file(name + "/big.bin", big_data)
                self.aws(cli, "s3", "cp", small, "s3://%s/dir/small.txt" % b)
                self.aws(cli, "s3", "cp", big, "s3://%s/big.bin" % b)
                # The object is the file of the embedded store.
                with open(self.server.bucket_path(b, "dir/small.txt"), "rb") as f:
                    self.assertEqual(f.read(), b"hello\n")
                out = self.aws(cli, "s3", "cp", "s3://%s/big.bin" % b, "-").stdout
                self.assertEqual(hashlib.md5(out).hexdigest(), hashlib.md5(big_data).hexdigest())
                ls = self.aws(cli, "s3", "ls", "s3://%s/" % b).stdout.decode()
                self.assertIn("PRE dir/", ls)
                self.assertIn("big.bin", ls)
                head = json.loads(self.aws(cli, "s3api", "head-object", "--bucket", b, "--key",
                                           "big.bin").stdout)
                self.assertTrue(head["ETag"].endswith('-3"'), head["ETag"])  # 8 MiB parts
                # sync, then sync again: nothing to do; rm --recursive; rb.
                tree = os.path.join(self.tmp, name, "tree")
                for rel in ("a/x", "a/y", "b/z", "top"):
                    self.file(os.path.join(name, "tree", rel), rel.encode())
                self.aws(cli, "s3", "sync", tree, "s3://%s/tree/" % b)
                again = self.aws(cli, "s3", "sync", tree, "s3://%s/tree/" % b).stdout
                self.assertEqual(again, b"")
                listed = json.loads(self.aws(cli, "s3api", "list-objects-v2", "--bucket", b,
                                             "--prefix", "tree/").stdout)
                self.assertEqual([c["Key"] for c in listed["Contents"]],
                                 ["tree/a/x", "tree/a/y", "tree/b/z", "tree/top"])
                p = self.aws(cli, "s3api", "put-object", "--bucket", b, "--key", "meta.txt",
                             "--body", small, "--content-type", "text/x-test", "--metadata",
                             "k=v")
                got = json.loads(self.aws(cli, "s3api", "get-object", "--bucket", b, "--key",
                                          "meta.txt", "--range", "bytes=1-3",
                                          os.path.join(self.tmp, "range.out")).stdout)
                self.assertEqual(got["ContentType"], "text/x-test")
                self.assertEqual(got["Metadata"], {"k": "v"})
                with open(os.path.join(self.tmp, "range.out"), "rb") as f:
                    self.assertEqual(f.read(), b"ell")
                err = self.aws(cli, "s3api", "head-object", "--bucket", b, "--key", "nope",
                               check=False)
                self.assertNotEqual(err.returncode, 0)
                self.assertIn("404", err.stderr.decode())
                err = self.aws(cli, "s3", "rb", "s3://" + b, check=False)
                self.assertIn("BucketNotEmpty", err.stderr.decode())
                self.aws(cli, "s3", "rm", "--recursive", "s3://%s/" % b)
                self.aws(cli, "s3", "rb", "s3://" + b)
                self.assertFalse(os.path.exists(self.server.bucket_path(b)))
                del p

    def test_presigned_urls(self):
        self.aws(CLIS[0][1], "s3", "mb", "s3://presign")
        self.aws(CLIS[0][1], "s3", "cp", self.file("p.txt", b"presigned\n"), "s3://presign/p.txt")
        url = self.aws(CLIS[0][1], "s3", "presign", "s3://presign/p.txt").stdout.decode().strip()
        self.assertEqual(urllib.request.urlopen(url).read(), b"presigned\n")
        short = self.aws(CLIS[0][1], "s3", "presign", "s3://presign/p.txt", "--expires-in",
                         "1").stdout.decode().strip()
        time.sleep(2.2)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(short)
        self.assertEqual(e.exception.code, 403)
        self.assertIn(b"Request has expired", e.exception.read())
        # Anonymous requests are refused like a private bucket's.
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(self.server.url + "/presign/p.txt")
        self.assertEqual(e.exception.code, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", e.exception.read())

    def test_sdks(self):
        pythons = [p for p in ("/usr/bin/python3", shutil.which("python3")) if p]
        ran = 0
        for i, py in enumerate(dict.fromkeys(pythons)):
            has = subprocess.run([py, "-c", "import boto3"], capture_output=True).returncode == 0
            if not has:
                print("note: %s has no boto3; skipped" % py)
                continue
            p = subprocess.run([py, os.path.join(HERE, "s3_boto3_check.py"), self.server.url,
                                "boto3-%d" % i], env=self.env(), capture_output=True, text=True,
                               timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(p.stdout.startswith("ok"), p.stdout)
            print("boto3 via %s: %s" % (py, p.stdout.strip()))
            ran += 1
        self.assertGreater(ran, 0)
        node = shutil.which("node")
        if node and os.path.isdir(os.path.join(ARGS.repo, "node_modules", "@aws-sdk", "client-s3")):
            p = subprocess.run([node, os.path.join(HERE, "s3_js_check.mjs"), self.server.url,
                                "js-sdk"], env=self.env(), capture_output=True, text=True,
                               timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("ok", p.stdout)

    def test_who_may_do_what(self):
        cli = CLIS[0][1]
        self.aws(cli, "s3", "mb", "s3://access")
        self.aws(cli, "s3", "cp", self.file("a.txt", b"a"), "s3://access/a.txt", who="ada")
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://access/a.txt", "-", who="bob").stdout, b"a")
        p = self.aws(cli, "s3", "cp", self.file("b.txt", b"b"), "s3://access/b.txt", who="bob",
                     check=False)
        self.assertIn("AccessDenied", p.stderr.decode())
        self.assertIn("user/bob is not authorized to perform: s3:PutObject", p.stderr.decode())

    def test_sse_kms_and_key_policy(self):
        cli = CLIS[0][1]
        key = json.loads(self.server.plumbline("kms", "create-key", "--data-dir",
                                               self.server.data_dir, "--allow", "alice"))
        self.aws(cli, "s3", "mb", "s3://secret")
        text = b"label and source text in clear\n" * 50
        self.aws(cli, "s3", "cp", self.file("s.txt", text), "s3://secret/s.txt", "--sse",
                 "aws:kms", "--sse-kms-key-id", key["Arn"], who="ada")
        with open(self.server.bucket_path("secret", "s.txt"), "rb") as f:
            stored = f.read()
        self.assertTrue(stored.startswith(b"PLBENC01"))
        self.assertNotIn(b"in clear", stored)
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://secret/s.txt", "-", who="alice").stdout, text)
        head = json.loads(self.aws(cli, "s3api", "head-object", "--bucket", "secret", "--key",
                                   "s.txt", who="alice").stdout)
        self.assertEqual(head["ServerSideEncryption"], "aws:kms")
        self.assertEqual(head["ContentLength"], len(text))
        ranged = self.aws(cli, "s3api", "get-object", "--bucket", "secret", "--key", "s.txt",
                          "--range", "bytes=6-10", os.path.join(self.tmp, "r"), who="alice")
        with open(os.path.join(self.tmp, "r"), "rb") as f:
            self.assertEqual(f.read(), text[6:11])
        del ranged
        for who in ("bob", "ada"):  # outside the key policy, admin or not
            p = self.aws(cli, "s3", "cp", "s3://secret/s.txt", "-", who=who, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("AccessDenied", p.stderr.decode())
        audit = self.server.plumbline("audit", "--data-dir", self.server.data_dir)
        self.assertIn("bob", audit)
        # The envelope itself put as a plain object (as a replica sends a job's
        # encrypted output to the installation's S3 server): kept as SSE-KMS
        # under its key, so the key policy still decides who reads the text.
        self.aws(cli, "s3", "cp", self.file("envelope", stored), "s3://secret/adopted.txt")
        head = json.loads(self.aws(cli, "s3api", "head-object", "--bucket", "secret", "--key",
                                   "adopted.txt", who="alice").stdout)
        self.assertEqual(head["ServerSideEncryption"], "aws:kms")
        self.assertEqual(head["SSEKMSKeyId"], key["Arn"])
        self.assertEqual(head["ContentLength"], len(text))
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://secret/adopted.txt", "-", who="alice").stdout,
                         text)
        p = self.aws(cli, "s3", "cp", "s3://secret/adopted.txt", "-", who="bob", check=False)
        self.assertIn("AccessDenied", p.stderr.decode())
        # Over the CLI's 8 MiB threshold: a multipart upload, each part an
        # envelope of its own while the upload is open, one envelope once it
        # completes. As on S3, completing needs kms:Decrypt on the key: the
        # admin outside the key policy cannot, the root can.
        big = os.urandom(9 * 1024 * 1024 + 5)
        src = self.file("big.bin", big)
        p = self.aws(cli, "s3", "cp", src, "s3://secret/big.bin", "--sse", "aws:kms",
                     "--sse-kms-key-id", key["Arn"], who="ada", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("AccessDenied", p.stderr.decode())
        self.aws(cli, "s3", "cp", src, "s3://secret/big.bin", "--sse", "aws:kms",
                 "--sse-kms-key-id", key["Arn"])
        with open(self.server.bucket_path("secret", "big.bin"), "rb") as f:
            stored = f.read()
        self.assertTrue(stored.startswith(b"PLBENC01"))
        self.assertEqual(stored.count(b"PLBENC01"), 1)
        for at in (0, 8 * 1024 * 1024, len(big) - 64):
            self.assertNotIn(big[at:at + 64], stored)
        head = json.loads(self.aws(cli, "s3api", "head-object", "--bucket", "secret", "--key",
                                   "big.bin", who="alice").stdout)
        self.assertEqual(head["ContentLength"], len(big))
        self.assertTrue(head["ETag"].endswith('-2"'), head["ETag"])
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://secret/big.bin", "-", who="alice").stdout, big)
        p = self.aws(cli, "s3", "cp", "s3://secret/big.bin", "-", who="bob", check=False)
        self.assertIn("AccessDenied", p.stderr.decode())
        # A server-side copy over the threshold is UploadPartCopy: ranges of
        # the source, decrypted for a caller the key allows, re-encrypted.
        self.aws(cli, "s3", "cp", "s3://secret/big.bin", "s3://secret/copy/big.bin", "--sse",
                 "aws:kms", "--sse-kms-key-id", key["Arn"])
        with open(self.server.bucket_path("secret", "copy/big.bin"), "rb") as f:
            copied = f.read()
        self.assertTrue(copied.startswith(b"PLBENC01"))
        self.assertNotIn(big[:64], copied)
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://secret/copy/big.bin", "-", who="alice").stdout, big)
        p = self.aws(cli, "s3", "cp", "s3://secret/big.bin", "s3://secret/copy/by-ada.bin", who="ada",
                     check=False)
        self.assertIn("AccessDenied", p.stderr.decode())
        # Into a plain bucket: the copy is in clear, byte for byte.
        self.aws(cli, "s3", "mb", "s3://plain-copies")
        self.aws(cli, "s3", "cp", "s3://secret/big.bin", "s3://plain-copies/big.bin")
        with open(self.server.bucket_path("plain-copies", "big.bin"), "rb") as f:
            self.assertEqual(f.read(), big)
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "s3-staging", "uploads")), [])
        # A file written outside S3 in the envelope format (how a job with a
        # KmsKeyId writes its outputs) is served the same way.
        os.makedirs(self.server.bucket_path("secret", "output/job"), exist_ok=True)
        shutil.copyfile(self.server.bucket_path("secret", "s.txt"),
                        self.server.bucket_path("secret", "output/job/output.manifest"))
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://secret/output/job/output.manifest", "-",
                                  who="alice").stdout, text)
        p = self.aws(cli, "s3", "cp", "s3://secret/output/job/output.manifest", "-", who="bob",
                     check=False)
        self.assertIn("AccessDenied", p.stderr.decode())
        # Bucket default encryption.
        self.aws(cli, "s3api", "put-bucket-encryption", "--bucket", "secret",
                 "--server-side-encryption-configuration",
                 json.dumps({"Rules": [{"ApplyServerSideEncryptionByDefault": {
                     "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]}))
        enc = json.loads(self.aws(cli, "s3api", "get-bucket-encryption", "--bucket", "secret").stdout)
        self.assertEqual(enc["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"], key["Arn"])
        self.aws(cli, "s3", "cp", self.file("d.txt", b"default\n"), "s3://secret/d.txt")
        with open(self.server.bucket_path("secret", "d.txt"), "rb") as f:
            self.assertTrue(f.read().startswith(b"PLBENC01"))
        self.assertEqual(self.aws(cli, "s3", "cp", "s3://secret/d.txt", "-", who="alice").stdout,
                         b"default\n")

    def curl(self, *args):
        """curl signing with the root key; returns (status, body)."""
        p = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4",
                            "aws:amz:%s:s3" % h.REGION, "--user", "%s:%s" % (h.ROOT_KEY, h.ROOT_SECRET),
                            *args], capture_output=True, timeout=120, check=True)
        body, _, status = p.stdout.rpartition(b"\n")
        return int(status), body

    def test_digests_refused_and_ranges_of_large_objects(self):
        # Bodies of several MiB go through the hashing thread: a declared
        # SHA-256 or Content-MD5 that does not match is refused with S3's
        # code and nothing is stored; matching ones are accepted.
        self.aws(CLIS[0][1], "s3", "mb", "s3://digests")
        data = os.urandom(9 * 1024 * 1024 + 77)
        path = self.file("digests/body.bin", data)
        url = self.server.url + "/digests/"
        wrong = hashlib.sha256(data + b"x").hexdigest()
        status, body = self.curl("-T", path, "-H", "x-amz-content-sha256: " + wrong, url + "sha")
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>XAmzContentSHA256Mismatch</Code>", body)
        self.assertFalse(os.path.exists(self.server.bucket_path("digests", "sha")))
        bad_md5 = base64.b64encode(hashlib.md5(data[1:]).digest()).decode()
        status, body = self.curl("-T", path, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                                 "-H", "Content-MD5: " + bad_md5, url + "md5")
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>BadDigest</Code>", body)
        self.assertFalse(os.path.exists(self.server.bucket_path("digests", "md5")))
        staging = os.path.join(self.server.data_dir, "s3-staging", "tmp")
        # The staged file goes when the connection drops the request, just
        # after the answer.
        deadline = time.time() + 10
        while os.path.isdir(staging) and os.listdir(staging) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(staging) if os.path.isdir(staging) else [], [])
        good_md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        status, body = self.curl("-T", path, "-H", "x-amz-content-sha256: " +
                                 hashlib.sha256(data).hexdigest(), "-H", "Content-MD5: " + good_md5,
                                 url + "ok")
        self.assertEqual(status, 200, body)
        with open(self.server.bucket_path("digests", "ok"), "rb") as f:
            self.assertEqual(f.read(), data)
        # Whole object and ranges (the plain object's file goes out with sendfile).
        headers = os.path.join(self.tmp, "digests/headers.txt")
        unsigned = ("-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD")
        status, body = self.curl(*unsigned, "-D", headers, url + "ok")
        self.assertEqual((status, hashlib.md5(body).hexdigest()), (200, hashlib.md5(data).hexdigest()))
        with open(headers, "rb") as f:
            self.assertIn(('ETag: "%s"' % hashlib.md5(data).hexdigest()).encode(), f.read())
        n = len(data)
        for spec, want in (("bytes=0-0", data[:1]), ("bytes=5000000-", data[5000000:]),
                           ("bytes=-100", data[-100:]), ("bytes=1048575-3145728", data[1048575:3145729]),
                           ("bytes=%d-%d" % (n - 10, n + 50), data[n - 10:])):
            status, body = self.curl(*unsigned, "-H", "Range: " + spec, url + "ok")
            self.assertEqual(status, 206, spec)
            self.assertEqual(body, want, spec)
        status, body = self.curl(*unsigned, "-H", "Range: bytes=%d-" % n, url + "ok")
        self.assertEqual(status, 416, body)

    def test_large_objects_in_flat_memory(self):
        cli = CLIS[1][1]  # the v1 CLI: aws-chunked with CRC32 trailers
        self.aws(cli, "s3", "mb", "s3://large")
        size = 160 * 1024 * 1024
        path = os.path.join(self.tmp, "large.bin")
        with open(path, "wb") as f:
            block = os.urandom(1024 * 1024)
            for _ in range(size // len(block)):
                f.write(block)
        before = rss_peak_kib(self.server.proc.pid)
        # One PUT of 160 MiB (no multipart), then one GET of it.
        self.aws(cli, "s3api", "put-object", "--bucket", "large", "--key", "large.bin",
                 "--body", path)
        self.assertEqual(os.path.getsize(self.server.bucket_path("large", "large.bin")), size)
        out = os.path.join(self.tmp, "large.out")
        self.aws(cli, "s3api", "get-object", "--bucket", "large", "--key", "large.bin", out)
        self.assertEqual(os.path.getsize(out), size)
        after = rss_peak_kib(self.server.proc.pid)
        print("server peak RSS: %d KiB before, %d KiB after a 160 MiB PUT and GET" % (before, after))
        self.assertLess(after - before, 48 * 1024)


class S3MultipartCrash(unittest.TestCase):
    """Parts written in place survive a SIGKILL: the parts answered before
    it are listed after the restart with their ETags, the upload goes on,
    and completing gives the object byte for byte."""

    def setUp(self):
        self.server = h.Server(ARGS.binary)
        self.tmp = tempfile.mkdtemp(prefix="plb-s3-crash-")

    def tearDown(self):
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def s3api(self, *args):
        e = dict(os.environ)
        e.update({"AWS_ACCESS_KEY_ID": h.ROOT_KEY, "AWS_SECRET_ACCESS_KEY": h.ROOT_SECRET,
                  "AWS_DEFAULT_REGION": h.REGION, "AWS_EC2_METADATA_DISABLED": "true",
                  "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                  "AWS_PAGER": ""})
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", self.server.url, "s3api", *args],
                           env=e, capture_output=True, timeout=120)
        if p.returncode != 0:
            raise AssertionError("s3api %s failed: %s" % (" ".join(args), p.stderr.decode()))
        return json.loads(p.stdout) if p.stdout.strip() else None

    def test_parts_in_place_survive_sigkill(self):
        self.s3api("create-bucket", "--bucket", "crash", "--create-bucket-configuration",
                   "LocationConstraint=" + h.REGION)
        up = self.s3api("create-multipart-upload", "--bucket", "crash", "--key", "big.bin")["UploadId"]
        parts = [os.urandom(5 * 1024 * 1024) for _ in range(2)] + [os.urandom(12345)]
        etags = {}

        def send(n):
            path = os.path.join(self.tmp, "part%d" % n)
            with open(path, "wb") as f:
                f.write(parts[n - 1])
            etags[n] = self.s3api("upload-part", "--bucket", "crash", "--key", "big.bin", "--upload-id", up,
                                  "--part-number", str(n), "--body", path)["ETag"]
        send(2)
        send(1)
        staged = os.path.join(self.server.data_dir, "s3-staging", "uploads", up)
        self.assertEqual(sorted(n for n in os.listdir(staged) if n.startswith("part-")),
                         ["part-1.at", "part-2.at"])  # in place, no file of their own
        self.server.kill9()
        self.server.restart()
        listed = self.s3api("list-parts", "--bucket", "crash", "--key", "big.bin", "--upload-id", up)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"], p["Size"]) for p in listed],
                         [(1, etags[1], len(parts[0])), (2, etags[2], len(parts[1]))])
        send(3)
        done = os.path.join(self.tmp, "done.json")
        with open(done, "w") as f:
            json.dump({"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3)]}, f)
        self.s3api("complete-multipart-upload", "--bucket", "crash", "--key", "big.bin", "--upload-id", up,
                   "--multipart-upload", "file://" + done)
        with open(self.server.bucket_path("crash", "big.bin"), "rb") as f:
            self.assertEqual(f.read(), b"".join(parts))
        md5s = b"".join(hashlib.md5(p).digest() for p in parts)
        head = self.s3api("head-object", "--bucket", "crash", "--key", "big.bin")
        self.assertEqual(head["ETag"], '"%s-3"' % hashlib.md5(md5s).hexdigest())
        self.assertFalse(os.path.exists(staged))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--repo", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
