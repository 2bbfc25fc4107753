#!/usr/bin/env python3
"""Authorisation matrix (issue #6): every SageMaker operation Plumbline serves
and every worker endpoint, called by every kind of caller, gets the expected
answer. Also: work team update/delete, throttled sign-in, escaped data objects
in the claim's html, cookie flags, secrets sealed at rest, the audit log and
the HTTP size limits. Prints the matrix's size and results; runs in well under
a minute (requests are signed here, in Python, instead of one aws CLI process
per cell)."""

import argparse
import datetime
import hashlib
import hmac
import json
import os
import socket
import stat
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>'
TEAM_GROUP = "labelers"
PASSWORD = "correct-horse-battery"


def sign(method, url, body, target, key, secret, tamper=False, region=h.REGION):
    """AWS Signature V4 headers for an awsJson1_1 call (service sagemaker)."""
    host = urllib.parse.urlparse(url).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"content-type": "application/x-amz-json-1.1", "host": host,
               "x-amz-date": amz_date, "x-amz-target": target}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, "/", "", "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)),
                           signed, hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/sagemaker/aws4_request" % (date, region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, "sagemaker", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if tamper:
        sig = ("0" if sig[0] != "0" else "1") + sig[1:]
    headers["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        key, scope, signed, sig)
    return headers


def call(op, body, creds):
    """One SageMaker call; creds is (key, secret, tamper) or None (unsigned)."""
    data = json.dumps(body).encode()
    target = "SageMaker." + op
    if creds is None:
        headers = {"content-type": "application/x-amz-json-1.1", "x-amz-target": target}
    else:
        headers = sign("POST", SERVER.url, data, target, *creds)
    headers.pop("host", None)
    req = urllib.request.Request(SERVER.url + "/", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else {})


def outcome(status, body):
    return "ok" if status == 200 else "%d %s" % (status, body.get("__type", "?"))


def job_config(name, team_arn):
    return {
        "LabelingJobName": name, "LabelAttributeName": "label",
        "LabelCategoryConfigS3Uri": "s3://authz/c.json",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://authz/m.manifest"}}},
        "OutputConfig": {"S3OutputPath": "s3://authz/out"},
        "HumanTaskConfig": {
            "WorkteamArn": team_arn,
            "UiConfig": {"UiTemplateS3Uri": "s3://authz/t.html"},
            "PreHumanTaskLambdaArn": "arn:aws:lambda:us-west-2:081040173940:function:PRE-TextMultiClass",
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn":
                "arn:aws:lambda:us-west-2:081040173940:function:ACS-TextMultiClass"},
            "TaskTitle": "t", "TaskDescription": "d", "TaskTimeLimitInSeconds": 300,
            "NumberOfHumanWorkersPerDataObject": 2}}


def team_body(name, groups):
    return {"WorkteamName": name, "Description": "d",
            "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": groups}}]}


def setUpModule():
    global SERVER
    SERVER = h.Server(ARGS.binary)
    SERVER.put("authz", "m.manifest", "".join(
        json.dumps({"source": XSS + " object %d" % i}) + "\n" for i in range(6)))
    SERVER.put("authz", "c.json", json.dumps({"document-version": "2018-11-28",
                                              "labels": [{"label": "a"}, {"label": "b"}]}))
    SERVER.put("authz", "t.html", "<p>{{ task.input.taskObject }}</p>")


def tearDownModule():
    SERVER.cleanup()


class AuthzMatrixTest(unittest.TestCase):
    def users_cli(self, *args, stdin=None):
        return SERVER.plumbline("users", *args, "--data-dir", SERVER.data_dir, stdin=stdin)

    def new_key(self, username):
        return json.loads(self.users_cli("create-access-key", "--username", username))

    def test_matrix(self):
        t0 = time.time()
        root = (h.ROOT_KEY, h.ROOT_SECRET, False)
        SERVER.add_user("admin1", PASSWORD, admin=True)
        SERVER.add_user("admin-off", PASSWORD, admin=True)
        SERVER.add_user("w-in", PASSWORD, groups=[TEAM_GROUP])
        SERVER.add_user("w-in2", PASSWORD, groups=[TEAM_GROUP])
        SERVER.add_user("w-out", PASSWORD, groups=["strangers"])
        SERVER.add_user("w-off", PASSWORD, groups=[TEAM_GROUP])
        admin = self.new_key("admin1")
        off = self.new_key("admin-off")
        worker = self.new_key("w-in")
        revoked = self.new_key("admin1")
        self.users_cli("revoke-access-key", "--access-key-id", revoked["AccessKeyId"])
        self.users_cli("disable", "--username", "admin-off")
        keys = json.loads(self.users_cli("list-access-keys", "--username", "admin1"))
        status = {k["AccessKeyId"]: k["Status"] for k in keys["AccessKeyMetadata"]}
        self.assertEqual(status[revoked["AccessKeyId"]], "Inactive")
        self.assertEqual(status[admin["AccessKeyId"]], "Active")
        self.assertNotIn("SecretAccessKey", json.dumps(keys))

        roles = {
            "root": root,
            "admin": (admin["AccessKeyId"], admin["SecretAccessKey"], False),
            "worker-key": (worker["AccessKeyId"], worker["SecretAccessKey"], False),
            "revoked-key": (revoked["AccessKeyId"], revoked["SecretAccessKey"], False),
            "disabled-admin": (off["AccessKeyId"], off["SecretAccessKey"], False),
            "unsigned": None,
            "wrong-signature": (h.ROOT_KEY, h.ROOT_SECRET, True),
        }
        status, out = call("CreateWorkteam", team_body("main-team", [TEAM_GROUP]), root)
        self.assertEqual(status, 200, out)
        team_arn = out["WorkteamArn"]
        for role in roles:
            self.assertEqual(call("CreateWorkteam", team_body("del-" + role, ["x"]), root)[0], 200)
            self.assertEqual(call("CreateLabelingJob", job_config("stop-" + role, team_arn), root)[0], 200)
        status, out = call("CreateLabelingJob", job_config("main-job", team_arn), root)
        self.assertEqual(status, 200, out)

        ops = {
            "CreateLabelingJob": lambda r: job_config("job-" + r, team_arn),
            "DescribeLabelingJob": lambda r: {"LabelingJobName": "main-job"},
            "ListLabelingJobs": lambda r: {},
            "StopLabelingJob": lambda r: {"LabelingJobName": "stop-" + r},
            "ListLabelingJobsForWorkteam": lambda r: {"WorkteamArn": team_arn},
            "CreateWorkteam": lambda r: team_body("new-" + r, ["x"]),
            "DescribeWorkteam": lambda r: {"WorkteamName": "main-team"},
            "ListWorkteams": lambda r: {},
            "UpdateWorkteam": lambda r: {"WorkteamName": "del-" + r, "Description": "changed"},
            "DeleteWorkteam": lambda r: {"WorkteamName": "del-" + r},
        }
        expected_by_role = {
            "root": "ok", "admin": "ok",
            "worker-key": "400 AccessDeniedException",
            "disabled-admin": "400 AccessDeniedException",
            "revoked-key": "403 UnrecognizedClientException",
            "unsigned": "403 MissingAuthenticationTokenException",
            "wrong-signature": "403 InvalidSignatureException",
        }
        results, failures = [], []
        for op, body in ops.items():
            for role, creds in roles.items():
                got = outcome(*call(op, body(role), creds))
                want = expected_by_role[role]
                results.append((op, role, want, got))
                if got != want:
                    failures.append("%s as %s: want %s, got %s" % (op, role, want, got))
        # One wording for access denied, AWS's, naming the user's ARN and the resource.
        st, out = call("DescribeWorkteam", {"WorkteamName": "main-team"}, roles["worker-key"])
        self.assertRegex(out.get("message", ""),
                         r"^User: arn:aws:iam::\d{12}:user/w-in is not authorized to perform: "
                         r"sagemaker:DescribeWorkteam on resource: "
                         r"arn:aws:sagemaker:[a-z0-9-]+:\d{12}:workteam/private-crowd/main-team$")

        # An unknown work team: ResourceNotFound where the spec models it
        # (ListLabelingJobsForWorkteam), ValidationException everywhere else.
        ghost_arn = team_arn.rsplit("/", 1)[0] + "/ghost-team"
        unknown_team = {
            "DescribeWorkteam": ({"WorkteamName": "ghost-team"}, "400 ValidationException"),
            "UpdateWorkteam": ({"WorkteamName": "ghost-team", "Description": "d"},
                               "400 ValidationException"),
            "DeleteWorkteam": ({"WorkteamName": "ghost-team"}, "400 ValidationException"),
            "CreateLabelingJob": (job_config("ghost-job", ghost_arn), "400 ValidationException"),
            "ListLabelingJobsForWorkteam": ({"WorkteamArn": ghost_arn}, "400 ResourceNotFound"),
        }
        for op, (body, want) in unknown_team.items():
            st, out = call(op, body, root)
            got = outcome(st, out)
            results.append((op, "unknown team", want, got))
            if got != want:
                failures.append("%s with an unknown team: want %s, got %s" % (op, want, got))
            elif "ghost-team" not in out.get("message", ""):
                failures.append("%s with an unknown team: message %r" % (op, out.get("message")))

        # Refused callers changed nothing: their teams are still there.
        for role in ("worker-key", "revoked-key", "unsigned", "wrong-signature", "disabled-admin"):
            self.assertEqual(call("DescribeWorkteam", {"WorkteamName": "del-" + role}, root)[0], 200)

        # --- worker endpoints ---
        SERVER.wait_status("main-job", ["InProgress"])

        def cell(name, want, got):
            results.append(("worker:" + name, "", str(want), str(got)))
            if want != got:
                failures.append("%s: want %s, got %s" % (name, want, got))

        w_in, w_in2, w_out, stranger = (h.Worker(SERVER) for _ in range(4))
        st, body, hdrs = w_in.login("w-in", PASSWORD)
        cell("login team worker", 200, st)
        cookie = hdrs.get("Set-Cookie", "")
        cell("cookie HttpOnly", True, "HttpOnly" in cookie)
        cell("cookie SameSite=Strict", True, "SameSite=Strict" in cookie)
        cell("login second worker", 200, w_in2.login("w-in2", PASSWORD)[0])
        cell("login outside worker", 200, w_out.login("w-out", PASSWORD)[0])
        cell("login wrong password", 401, stranger.login("w-in", "not-the-password")[0])
        cell("login unknown user", 401, stranger.login("nobody", PASSWORD)[0])

        st, jobs, _ = w_in.request("GET", "/worker/api/jobs")
        cell("jobs team worker", (200, True), (st, any(j["name"] == "main-job" for j in jobs["jobs"])))
        st, jobs, _ = w_out.request("GET", "/worker/api/jobs")
        cell("jobs outside worker", (200, False), (st, any(j["name"] == "main-job" for j in jobs["jobs"])))
        cell("jobs no session", 401, stranger.request("GET", "/worker/api/jobs")[0])
        cell("claim outside worker", 403, w_out.request("POST", "/worker/api/jobs/main-job/claim")[0])
        cell("claim no session", 401, stranger.request("POST", "/worker/api/jobs/main-job/claim")[0])
        cell("claim without CSRF", 403,
             w_in.request("POST", "/worker/api/jobs/main-job/claim", csrf=False)[0])
        st, task, _ = w_in.request("POST", "/worker/api/jobs/main-job/claim")
        cell("claim team worker", 200, st)
        html = task["html"]
        cell("claim html escapes <img onerror>", (False, True),
             ("<img src=x" in html, "&lt;img src=x onerror=alert(1)&gt;" in html))
        cell("claim html escapes <script>", (False, True),
             ("<script>alert(2)" in html, "&lt;script&gt;alert(2)" in html))
        tid = task["taskId"]
        answer = {"answer": {"crowd-classifier": {"label": "a"}}}
        for action, body in (("submit", answer), ("release", None), ("decline", None)):
            path = "/worker/api/tasks/%s/%s" % (tid, action)
            cell(action + " another worker's task", 409, w_in2.request("POST", path, body)[0])
            cell(action + " outside worker", 409, w_out.request("POST", path, body)[0])
            cell(action + " no session", 401, stranger.request("POST", path, body)[0])
            cell(action + " without CSRF", 403, w_in.request("POST", path, body, csrf=False)[0])
        cell("submit own task", 200, w_in.request("POST", "/worker/api/tasks/%s/submit" % tid, answer)[0])
        cell("logout without CSRF", 403, w_in.request("POST", "/worker/api/logout", csrf=False)[0])

        # A disabled user: the live session ends, sign-in is refused.
        w_off = h.Worker(SERVER)
        cell("login soon-disabled worker", 200, w_off.login("w-off", PASSWORD)[0])
        # Used once first: the server now holds the session in its cache, which
        # the other process's change must reach.
        cell("soon-disabled worker's session", 200, w_off.request("GET", "/worker/api/jobs")[0])
        self.users_cli("disable", "--username", "w-off")
        cell("disabled user's session", 401, w_off.request("GET", "/worker/api/jobs")[0])
        cell("disabled user's login", 401, h.Worker(SERVER).login("w-off", PASSWORD)[0])
        self.users_cli("enable", "--username", "w-off")
        cell("re-enabled user's login", 200, h.Worker(SERVER).login("w-off", PASSWORD)[0])
        cell("logout", 200, w_in.request("POST", "/worker/api/logout")[0])
        cell("after logout", 401, w_in.request("GET", "/worker/api/jobs")[0])

        # --- print the matrix ---
        width = max(len(r[0]) for r in results)
        for op, role, want, got in results:
            print("%-*s %-16s %-42s %s" % (width, op, role, want, "PASS" if want == got else "FAIL: " + got))
        print("authorisation matrix: %d cells, %d passed, %d failed, %.1f s" % (
            len(results), len(results) - len(failures), len(failures), time.time() - t0))
        self.assertEqual(failures, [])

    def test_workteam_update_and_delete_with_the_aws_cli(self):
        SERVER.add_user("u-a", PASSWORD, groups=["ga"])
        _, team, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "cli-team",
                                "--description", "first", "--member-definitions",
                                '[{"OidcMemberDefinition":{"Groups":["ga"]}}]')
        _, out, _ = SERVER.cli("sagemaker", "update-workteam", "--workteam-name", "cli-team",
                               "--description", "second", "--member-definitions",
                               '[{"OidcMemberDefinition":{"Groups":["gb"]}}]',
                               "--notification-configuration",
                               '{"NotificationTopicArn":"arn:aws:sns:us-west-2:123456789012:t"}')
        wt = out["Workteam"]
        self.assertEqual(wt["Description"], "second")
        self.assertEqual(wt["MemberDefinitions"], [{"OidcMemberDefinition": {"Groups": ["gb"]}}])
        self.assertIn("NotificationTopicArn", wt["NotificationConfiguration"])
        # The job of the team is no longer offered to the removed group's member.
        SERVER.cli("sagemaker", "create-labeling-job", "--cli-input-json",
                   json.dumps(job_config("cli-job", team["WorkteamArn"])))
        w = h.Worker(SERVER)
        self.assertEqual(w.login("u-a", PASSWORD)[0], 200)
        _, jobs, _ = w.request("GET", "/worker/api/jobs")
        self.assertNotIn("cli-job", [j["name"] for j in jobs["jobs"]])
        code, _, err = SERVER.cli("sagemaker", "delete-workteam", "--workteam-name", "cli-team", check=False)
        self.assertNotEqual(code, 0)
        self.assertIn("ResourceInUse", err)
        SERVER.cli("sagemaker", "stop-labeling-job", "--labeling-job-name", "cli-job")
        SERVER.wait_status("cli-job", ["Stopped"])
        _, out, _ = SERVER.cli("sagemaker", "delete-workteam", "--workteam-name", "cli-team")
        self.assertEqual(out, {"Success": True})
        for op in ("delete-workteam", "update-workteam", "describe-workteam"):
            code, _, err = SERVER.cli("sagemaker", op, "--workteam-name", "cli-team", check=False)
            self.assertIn("ValidationException", err, op)

    def test_sign_in_throttling(self):
        SERVER.add_user("victim", PASSWORD, groups=["v"])
        w = h.Worker(SERVER)
        for _ in range(5):
            self.assertEqual(w.login("victim", "wrong-password")[0], 401)
        st, body, hdrs = w.login("victim", PASSWORD)  # even the right password waits
        self.assertEqual(st, 429, body)
        self.assertGreaterEqual(int(hdrs["Retry-After"]), 1)
        # Other users are not locked out.
        SERVER.add_user("bystander", PASSWORD)
        self.assertEqual(h.Worker(SERVER).login("bystander", PASSWORD)[0], 200)

    def test_secrets_at_rest_and_audit_log(self):
        SERVER.add_user("auditee", PASSWORD, admin=True)
        key = self.new_key("auditee")
        self.users_cli("reset-password", "--username", "auditee", "--password-stdin",
                       stdin="another-password\n")
        self.users_cli("add-groups", "--username", "auditee", "--groups", "g1,g2")
        out = json.loads(self.users_cli("remove-groups", "--username", "auditee", "--groups", "g1"))
        self.assertEqual(out["Groups"], ["g2"])
        self.assertEqual(call("ListWorkteams", {}, (key["AccessKeyId"], key["SecretAccessKey"], False))[0], 200)
        call("CreateWorkteam", team_body("audited-team", ["x"]),
             (key["AccessKeyId"], key["SecretAccessKey"], False))
        call("ListWorkteams", {}, (key["AccessKeyId"], "wrong-secret-0000000000000000000000000000", False))
        h.Worker(SERVER).login("auditee", "another-password")
        for suffix in ("", "-wal", "-shm"):
            path = os.path.join(SERVER.data_dir, "plumbline.db" + suffix)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                self.assertNotIn(key["SecretAccessKey"].encode(), data, suffix)
                self.assertNotIn(h.ROOT_SECRET.encode(), data, suffix)
        mode = stat.S_IMODE(os.stat(os.path.join(SERVER.data_dir, "secrets.key")).st_mode)
        self.assertEqual(mode, 0o600)
        lines = SERVER.plumbline("audit", "--data-dir", SERVER.data_dir, "--json", "--limit", "1000")
        entries = [json.loads(l) for l in lines.splitlines()]
        seen = {(e["action"], e["outcome"]) for e in entries}
        for want in [("users:create-access-key", "ok"), ("users:reset-password", "ok"),
                     ("users:add-groups", "ok"), ("sagemaker:CreateWorkteam", "ok"),
                     ("sagemaker:ListWorkteams", "InvalidSignatureException"),
                     ("portal:login", "ok")]:
            self.assertIn(want, seen)
        created = [e for e in entries if e["action"] == "sagemaker:CreateWorkteam"
                   and e["target"] == "audited-team"][0]
        self.assertTrue(created["actor"].startswith("auditee:"), created)
        self.assertEqual(created["source"], "127.0.0.1")
        self.assertNotIn(key["SecretAccessKey"], lines)
        # --since filters.
        future = SERVER.plumbline("audit", "--data-dir", SERVER.data_dir, "--since", "2999-01-01T00:00:00Z")
        self.assertEqual(future.strip(), "")

    def test_request_size_limits(self):
        host, port = urllib.parse.urlparse(SERVER.url).netloc.rsplit(":", 1)

        def raw(request):
            with socket.create_connection((host, int(port)), timeout=10) as s:
                s.sendall(request)
                return s.recv(4096).decode(errors="replace").split("\r\n")[0]

        self.assertIn(" 413", raw(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"))
        self.assertIn(" 431", raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", default="")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
