#!/usr/bin/env python3
"""The deploy/ folder against the binary it deploys (compose_test.py starts
the compose stack for real where a Docker engine runs). Nothing here needs a
Docker engine or a running systemd: each file's commands are run as the
tool that reads the file would run them, with only the host's names swapped
for this machine's (the data dir for a scratch folder, 0.0.0.0:8080 for a
free loopback port, the database for an SQLite file, the S3 server for a
closed port).

- deploy/plumbline.service: `systemd-analyze verify` accepts it (when
  systemd-analyze is installed); its ExecStartPre and ExecStart, expanded
  from its EnvironmentFile by systemd's rules, migrate and serve, with and
  without an S3 endpoint; /readyz tells the two apart; KillSignal stops the
  server with exit 0 within TimeoutStopSec.
- deploy/compose.yaml: every service built from this checkout
  (plumbline:local) runs its command with its environment (the values from
  deploy/compose.env.example); its secrets land on the file names the
  server reads in its data dir; its health check answers; every depends_on
  names a service; stop_signal stops a replica within stop_grace_period.
- deploy/Dockerfile: every shared library the binary links or loads at run
  time comes from a package the image installs or from the base image.

Usage: deploy_test.py --binary build/plumbline --repo .
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ROOT = {"PLUMBLINE_ROOT_ACCESS_KEY_ID": "AKIDDEPLOYTEST01",
        "PLUMBLINE_ROOT_SECRET_ACCESS_KEY": "deploy-test-secret-0123456789abcdefghij"}
# Packages of debian:bookworm-slim itself (priority required), which an
# image has without installing them.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# ------------------------------------------------------------- systemd unit
def unit_file(path):
    """{section: [(key, value)]} with continuation lines joined."""
    sections, current, pending = {}, None, ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not pending and (not line.strip() or line.lstrip()[0] in "#;"):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = pending + line, ""
            if line.startswith("["):
                current = line.strip()[1:-1]
                sections[current] = []
            else:
                key, value = line.split("=", 1)
                sections[current].append((key.strip(), value.strip()))
    return sections


def systemd_argv(command, env):
    """A command line as systemd expands it: "${VAR}" (alone or in a word)
    is exactly the variable's value, one argument even when empty or unset;
    "$VAR" as a word of its own is the value split at whitespace."""
    argv = []
    for word in shlex.split(command):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            argv += env.get(m.group(1), "").split()
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda v: env.get(v.group(1), ""), word))
    return argv


def here(argv, binary, data_dir):
    """The deployment's names swapped for this machine's."""
    out = []
    for a in argv:
        a = a.replace("/usr/local/bin/plumbline", binary).replace("/var/lib/plumbline", data_dir)
        out.append(a.replace("0.0.0.0:8080", "127.0.0.1:0"))
    return out


def serve(argv, env):
    """Starts a server; returns (process, URL) once it listens. Its log goes
    to a file (a pipe nobody reads while it runs would stop it once full)."""
    log = tempfile.NamedTemporaryFile(mode="w+", prefix="plb-deploy-log-", delete=False)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, env=env, text=True)
    proc.log_path = log.name
    log.close()
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    fail("%s did not start: %s" % (" ".join(argv), log_tail(proc)))


def log_tail(proc, lines=40):
    with open(proc.log_path) as f:
        return "".join(f.readlines()[-lines:])


def stop(proc, sig, grace, what):
    start = time.time()
    proc.send_signal(sig)
    try:
        rc = proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("%s did not stop within %s s of signal %s; its log ends:\n%s" % (what, grace, sig, log_tail(proc)))
    if rc != 0:
        fail("%s exited %d on signal %s: %s" % (what, rc, sig, log_tail(proc)))
    print("  %s stopped on %s in %.2f s, exit 0" % (what, signal.Signals(sig).name, time.time() - start))
    os.unlink(proc.log_path)


def seconds(text):
    m = re.fullmatch(r"(\d+)(s|sec)?", str(text))
    if not m:
        fail("cannot read a duration from %r" % text)
    return int(m.group(1))


def check_unit(binary, repo, scratch):
    path = os.path.join(repo, "deploy", "plumbline.service")
    print("deploy/plumbline.service")
    analyze = shutil.which("systemd-analyze")
    if analyze:
        copy = os.path.join(scratch, "plumbline.service")
        with open(path) as f, open(copy, "w") as out:
            out.write(f.read().replace("/usr/local/bin/plumbline", binary))
        p = subprocess.run([analyze, "verify", copy], capture_output=True, text=True)
        if p.returncode != 0 or "plumbline.service" in p.stderr:
            fail("systemd-analyze verify: " + p.stderr)
        print("  systemd-analyze verify: accepted")
    else:
        print("  systemd-analyze is not installed: the unit's syntax is not verified here")
    service = dict(unit_file(path)["Service"])
    pre = [v for k, v in unit_file(path)["Service"] if k == "ExecStartPre"]
    if service.get("EnvironmentFile") != "/etc/plumbline/plumbline.env":
        fail("the unit reads its settings from %r" % service.get("EnvironmentFile"))
    kill = getattr(signal, service.get("KillSignal", "SIGTERM"))
    grace = seconds(service.get("TimeoutStopSec", "90"))
    port = h.free_port()
    for label, extra in (("no S3 server", {}),
                         ("an S3 server", {"PLUMBLINE_S3_ENDPOINT": "http://127.0.0.1:%d" % port,
                                           "AWS_ACCESS_KEY_ID": "s3-user", "AWS_SECRET_ACCESS_KEY": "s3-secret"})):
        data = os.path.join(scratch, "unit-s3" if extra else "unit")
        os.makedirs(data)  # StateDirectory= makes it
        settings = {"PLUMBLINE_STORE": "sqlite:" + os.path.join(data, "plumbline.db"), **ROOT, **extra}
        env = {**os.environ, **settings}
        for command in pre:
            argv = here(systemd_argv(command, settings), binary, data)
            p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
            if p.returncode != 0:
                fail("ExecStartPre %s: exit %d: %s" % (argv, p.returncode, p.stderr))
        argv = here(systemd_argv(service["ExecStart"], settings), binary, data)
        proc, url = serve(argv, env)
        try:
            status, _ = get(url + "/healthz")
            ready, body = get(url + "/readyz")
            if status != 200:
                fail("/healthz answered %d with %s" % (status, label))
            if not extra and ready != 200:
                fail("/readyz answered %d with no S3 server: %s" % (ready, body))
            if extra and (ready != 503 or "storage" not in body.lower()):
                fail("/readyz answered %d with an unreachable S3 server: %s" % (ready, body))
            print("  with %s: migrate exit 0, /healthz 200, /readyz %d" % (label, ready))
        finally:
            stop(proc, kill, grace, "ExecStart (%s)" % label)


# ------------------------------------------------------------ compose file
def compose_env(repo):
    env = {}
    with open(os.path.join(repo, "deploy", "compose.env.example")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
    return env


def interpolate(value, env):
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}; $$ is a $."""
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def one(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if op == ":?":
            fail("compose needs %s: %s" % (name, arg))
        return arg if op == ":-" else ""
    value = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:[-?])([^}]*))?\}", one, value.replace("$$", "\0"))
    return value.replace("\0", "$")


def check_compose(binary, repo, scratch):
    print("deploy/compose.yaml")
    with open(os.path.join(repo, "deploy", "compose.yaml")) as f:
        doc = yaml.safe_load(f)
    env_values = compose_env(repo)
    services = doc["services"]
    for name, s in services.items():
        for dep in (s.get("depends_on") or {}):
            if dep not in services:
                fail("%s depends on %s, which is not a service" % (name, dep))
    # The services that run the binary (the buckets one-shot runs curl in its image).
    ours = {name: s for name, s in services.items()
            if s.get("image") == "plumbline:local" and "entrypoint" not in s}
    if not any(s.get("command", [""])[0] == "serve" for s in ours.values()):
        fail("no service of the compose file serves")
    # What a server keeps in its data dir, from a server run here.
    probe = os.path.join(scratch, "probe")
    proc, _ = serve([binary, "serve", "--data-dir", probe, "--listen", "127.0.0.1:0"], {**os.environ, **ROOT})
    stop(proc, signal.SIGTERM, 30, "a probe server")
    kept = set(os.listdir(probe))
    s3 = "http://127.0.0.1:%d" % h.free_port()
    order = sorted(ours, key=lambda n: ours[n]["command"][0] != "migrate")  # migrate first, as depends_on says
    data = os.path.join(scratch, "compose")
    for name in order:
        s = ours[name]
        environment = interpolate(s.get("environment", {}), env_values)
        store = environment.get("PLUMBLINE_STORE")
        # The S3 server keeps its own SQLite store in its volume; the others share PostgreSQL.
        if store is not None and not re.fullmatch(r"postgresql://plumbline:[^@]+@postgres:5432/plumbline",
                                                  store):
            fail("%s's store is %r" % (name, store))
        for secret in s.get("secrets", []):
            target = secret["target"]
            if os.path.dirname(target) != "/var/lib/plumbline" or os.path.basename(target) not in kept:
                fail("%s puts a secret at %s; a server's data dir holds %s" % (name, target, sorted(kept)))
            if secret["source"] not in doc.get("secrets", {}):
                fail("%s uses the secret %s, which is not declared" % (name, secret["source"]))
        # PostgreSQL and the S3 server are this machine's stand-ins.
        if store is not None:
            environment["PLUMBLINE_STORE"] = "sqlite:" + os.path.join(data, "plumbline.db")
        env = {**os.environ, **{k: str(v) for k, v in environment.items()}}
        argv = [binary] + [a.replace("http://s3:8080", s3) for a in
                           here(interpolate(s["command"], env_values), binary, data)]
        if s["command"][0] != "serve":
            p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
            if p.returncode != 0:
                fail("%s: %s: exit %d: %s" % (name, argv, p.returncode, p.stderr))
            print("  %s: %s exit 0" % (name, " ".join(s["command"])))
            continue
        proc, url = serve(argv, env)
        try:
            check = s["healthcheck"]["test"]
            path = re.search(r"http://127\.0\.0\.1:8080(/\S*)", " ".join(check)).group(1)
            status, body = get(url + path)
            if any(a.startswith("--s3-endpoint") for a in s["command"]):
                # Ready needs the S3 server, which is not here: 503 naming it.
                if status != 503 or "storage" not in body.lower():
                    fail("%s's health check %s answered %d: %s" % (name, path, status, body))
                print("  %s: serves; its health check %s answers 503 without the S3 server" % (name, path))
            else:
                if status != 200:
                    fail("%s's health check %s answered %d: %s" % (name, path, status, body))
                print("  %s: serves; its health check %s answers 200" % (name, path))
        finally:
            stop(proc, getattr(signal, s.get("stop_signal", "SIGTERM")),
                 seconds(s.get("stop_grace_period", "10s")), name)


# --------------------------------------------------------------- Dockerfile
def package_of(path):
    p = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    if p.returncode != 0:
        real = os.path.realpath(path)
        p = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return p.stdout.split(":", 1)[0].strip()


def check_dockerfile(binary, repo):
    print("deploy/Dockerfile")
    with open(os.path.join(repo, "deploy", "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"apt-get install ([^&]*)", text)
    installed = {w for w in m.group(1).split() if not w.startswith("-")}
    if not re.search(r"COPY build/plumbline /usr/local/bin/plumbline", text):
        fail("the image does not take build/plumbline")
    needed = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            needed[m.group(1)] = m.group(2)
    with open(binary, "rb") as f:
        blob = f.read()
    for soname in sorted(set(re.findall(rb"(lib[a-z0-9_+-]+\.so\.\d+)\x00", blob))):
        name = soname.decode()
        found = [os.path.join(d, name) for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                                 "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu")
                 if os.path.exists(os.path.join(d, name))]
        if found:
            needed.setdefault(name, found[0])
        else:
            print("  %s: loaded at run time, not installed here: not checked" % name)
    for name, path in sorted(needed.items()):
        package = package_of(path)
        if package is None:
            fail("no package here provides %s (%s)" % (name, path))
        if package not in installed and package not in BASE_PACKAGES:
            fail("the binary needs %s (package %s), which the image does not install" % (name, package))
        print("  %s: %s" % (name, package if package in installed else package + " (base image)"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--repo", required=True)
    a = p.parse_args()
    binary = os.path.abspath(a.binary)
    scratch = tempfile.mkdtemp(prefix="plb-deploy-")
    try:
        check_unit(binary, a.repo, scratch)
        check_compose(binary, a.repo, scratch)
        check_dockerfile(binary, a.repo)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
