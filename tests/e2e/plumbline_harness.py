"""Test harness: starts a real `plumbline serve` on 127.0.0.1:0 with a fresh
data dir, and talks to it the way users do (the aws CLI, the worker JSON API).
Used by the end-to-end tests in this folder. Standard library only."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT_KEY = "AKIDPLUMBLINETEST01"
ROOT_SECRET = "plumbline-test-secret-key-0123456789abcd"
REGION = "us-west-2"


def free_port():
    """A loopback port nothing listens on now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def aws_env(key, secret):
    """The environment an aws CLI run signs with `key` in: this machine's own
    AWS settings (config files, a session token, instance metadata) left out."""
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_PAGER": ""})
    env.pop("AWS_SESSION_TOKEN", None)
    return env


def psql(sql):
    """One SQL statement through psql against the PostgreSQL that
    scripts/with-postgres.sh started (PLUMBLINE_TEST_PG): its output."""
    p = subprocess.run(["psql", "-X", "-At", os.environ["PLUMBLINE_TEST_PG"], "-c", sql],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError("psql failed: " + p.stderr)
    return p.stdout.strip()


class Server:
    """`data_dir`: a data dir shared with other servers (replicas of one
    store), else a fresh one of its own; `name` tells replicas apart."""

    def __init__(self, binary, extra_env=None, listen="127.0.0.1:0", extra_args=(),
                 data_dir=None, name=None):
        self.binary = binary
        self.extra_args = list(extra_args)
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="plb-%s-" % name if name else "plb-e2e-")
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.extra_env = extra_env or {}
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.start(listen)

    def start(self, listen):
        env = dict(os.environ)
        env["PLUMBLINE_ROOT_ACCESS_KEY_ID"] = ROOT_KEY
        env["PLUMBLINE_ROOT_SECRET_ACCESS_KEY"] = ROOT_SECRET
        env.update(self.extra_env)
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data-dir", self.data_dir, "--listen", listen,
             *self.extra_args],
            stdout=subprocess.PIPE, stderr=self.log, env=env, text=True)
        deadline = time.time() + 20
        url = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                url = m.group(1)
                break
        self.url = url
        if not self.url:
            self.stop()
            raise RuntimeError("server did not start; log:\n" + self.server_log())

    def kill9(self):
        """Kills the server with SIGKILL (no shutdown code runs)."""
        self.proc.kill()
        self.proc.wait()

    def restart(self):
        """Starts the server again on the same address and data dir."""
        self.start(self.url[len("http://"):])

    def server_log(self):
        self.log.flush()
        with open(os.path.join(self.dir, "server.log")) as f:
            return f.read()

    def bucket_path(self, bucket, key=""):
        return os.path.join(self.data_dir, "buckets", bucket, key)

    def put(self, bucket, key, data):
        path = self.bucket_path(bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as f:
            f.write(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, aws="/usr/bin/aws", secret=ROOT_SECRET, key=ROOT_KEY, check=True):
        """Runs the aws CLI against the server; returns (exit code, parsed JSON or None, stderr)."""
        p = subprocess.run([aws, "--endpoint-url", self.url, *args], env=aws_env(key, secret),
                           capture_output=True, text=True, timeout=60)
        out = json.loads(p.stdout) if p.stdout.strip() else None
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p.returncode, out, p.stderr

    def plumbline(self, *args, stdin=None):
        p = subprocess.run([self.binary, *args], input=stdin, capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise AssertionError("plumbline %s failed: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def add_user(self, username, password, groups=(), admin=False):
        args = ["users", "add", "--data-dir", self.data_dir, "--username", username,
                "--password-stdin"]
        if groups:
            args += ["--groups", ",".join(groups)]
        if admin:
            args.append("--admin")
        return json.loads(self.plumbline(*args, stdin=password + "\n"))

    def wait_status(self, job, statuses, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            _, d, _ = self.cli("sagemaker", "describe-labeling-job", "--labeling-job-name", job)
            if d["LabelingJobStatus"] in statuses:
                return d
            time.sleep(0.2)
        raise AssertionError("job %s did not reach %s; last %s" % (job, statuses, d))


class Worker:
    """A worker's session with the JSON API (cookie + CSRF token)."""

    def __init__(self, server):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def request(self, method, path, body=None, csrf=True):
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        req = urllib.request.Request(self.server.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if csrf and self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=30) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text else None), r.headers
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text else None), e.headers

    def login(self, username, password):
        status, body, headers = self.request("POST", "/worker/api/login",
                                             {"username": username, "password": password})
        if status == 200:
            self.csrf = body["csrfToken"]
        return status, body, headers
