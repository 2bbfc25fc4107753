#!/usr/bin/env python3
"""End to end: `plumbline serve --log-format json` writes one JSON object per
log line on stderr, each request's access line carries its request id, and
the answer echoes the id in X-Request-Id (the caller's own id when it sends
a sane one, else a new one per request). The default text format logs the
same id.

Usage: logs_e2e_test.py --binary build/plumbline
"""

import argparse
import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None


def get(server, path, request_id=None):
    req = urllib.request.Request(server.url + path)
    if request_id is not None:
        req.add_header("X-Request-Id", request_id)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def log_lines(server, wanted, timeout=5):
    """The server's log lines once `wanted` appears in it (lines are flushed as written)."""
    deadline = time.time() + timeout
    while True:
        text = server.server_log()
        if wanted in text or time.time() > deadline:
            return text.splitlines()
        time.sleep(0.1)


class LogsTest(unittest.TestCase):
    def test_json_lines_with_request_ids(self):
        server = h.Server(ARGS.binary, extra_args=["--log-format", "json"])
        try:
            status, headers = get(server, "/healthz", "caller-id-42")
            self.assertEqual(status, 200)
            self.assertEqual(headers["X-Request-Id"], "caller-id-42")
            status, first = get(server, "/worker/api/nothing-here")
            _, second = get(server, "/healthz", "not a sane id")
            ids = [first["X-Request-Id"], second["X-Request-Id"]]
            for i in ids:
                self.assertRegex(i, r"^[0-9a-f]{16}$")
            self.assertNotEqual(ids[0], ids[1])
            lines = log_lines(server, ids[1])
            records = []
            for line in lines:
                if not line.strip():
                    continue
                record = json.loads(line)  # every line is one JSON object
                self.assertRegex(record["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                self.assertIn(record["level"], ("info", "warning", "error"))
                self.assertIn("msg", record)
                records.append(record)
            requests = {r["request_id"]: r for r in records if r.get("msg") == "request"}
            self.assertEqual(requests["caller-id-42"]["path"], "/healthz")
            self.assertEqual(requests["caller-id-42"]["status"], 200)
            self.assertEqual(requests["caller-id-42"]["method"], "GET")
            self.assertIsInstance(requests["caller-id-42"]["duration_us"], int)
            self.assertEqual(requests[ids[0]]["path"], "/worker/api/nothing-here")
            self.assertEqual(requests[ids[0]]["status"], status)
            self.assertIn(ids[1], requests)
            self.assertTrue(any(r.get("msg") == "started" for r in records))
        finally:
            server.cleanup()

    def test_text_lines_carry_the_request_id_too(self):
        server = h.Server(ARGS.binary)
        try:
            _, headers = get(server, "/healthz", "text-id-7")
            self.assertEqual(headers["X-Request-Id"], "text-id-7")
            lines = [line for line in log_lines(server, "text-id-7") if "request_id=text-id-7" in line]
            self.assertEqual(len(lines), 1, lines)
            self.assertRegex(lines[0], r"^time=\S+Z level=info msg=request request_id=text-id-7 "
                                       r"method=GET path=/healthz status=200 ")
        finally:
            server.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
