#!/usr/bin/env python3
"""HTTPS: `plumbline serve --tls-cert --tls-key` serves the API, the worker API
and the pages over TLS; the session cookie gets the Secure flag; the aws CLI
works against it with the certificate as its CA bundle.

Usage: tls_e2e_test.py --binary build/plumbline
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="plb-tls-")
        cls.cert = os.path.join(cls.dir, "cert.pem")
        cls.key = os.path.join(cls.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        cls.key, "-out", cls.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                       capture_output=True)
        env = dict(os.environ, PLUMBLINE_ROOT_ACCESS_KEY_ID=h.ROOT_KEY,
                   PLUMBLINE_ROOT_SECRET_ACCESS_KEY=h.ROOT_SECRET)
        data = os.path.join(cls.dir, "data")
        subprocess.run([ARGS.binary, "users", "add", "--data-dir", data, "--username", "alice",
                        "--password-stdin"], input="alice-password\n", text=True, check=True,
                       capture_output=True)
        cls.log = open(os.path.join(cls.dir, "log"), "w")
        cls.proc = subprocess.Popen([ARGS.binary, "serve", "--data-dir", data, "--listen",
                                     "127.0.0.1:0", "--tls-cert", cls.cert, "--tls-key", cls.key],
                                    stdout=subprocess.PIPE, stderr=cls.log, env=env, text=True)
        line = cls.proc.stdout.readline()
        m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", line)
        assert m, "unexpected: " + line
        cls.port = int(m.group(1))
        cls.ctx = ssl.create_default_context(cafile=cls.cert)

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(10)
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def https(self, method, path, body=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=10)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read(), r.getheader("Set-Cookie")

    def test_healthz_and_secure_session_cookie(self):
        self.assertEqual(self.https("GET", "/healthz")[:2], (200, b'{"status":"ok"}'))
        status, _, cookie = self.https("POST", "/worker/api/login",
                                       {"username": "alice", "password": "alice-password"})
        self.assertEqual(status, 200)
        for flag in ("Secure", "HttpOnly", "SameSite=Strict"):
            self.assertIn(flag, cookie)

    def test_plain_http_is_not_served(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            c.request("GET", "/healthz")
            c.getresponse().read()

    def test_aws_cli_over_https(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=h.ROOT_KEY, AWS_SECRET_ACCESS_KEY=h.ROOT_SECRET,
                   AWS_DEFAULT_REGION=h.REGION, AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CA_BUNDLE=self.cert)
        p = subprocess.run(["/usr/bin/aws", "--endpoint-url", "https://127.0.0.1:%d" % self.port,
                            "sagemaker", "list-workteams"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), {"Workteams": []})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
