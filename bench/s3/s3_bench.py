#!/usr/bin/env python3
"""S3 throughput of `plumbline serve` beside the raw filesystem in the same
run: PutObject/GetObject of 4 KiB and 64 MiB objects, ListObjectsV2 over 100k
keys, and the server's peak RSS. Small objects go through boto3 (one client,
sequential: the client's own cost is included); 64 MiB objects through curl
(--aws-sigv4), so that the client is not the bottleneck.

References for the 64 MiB objects, each measured in the same run:
  PutObject (unsigned payload: MD5 only; signed payload: MD5 and the
    SHA-256 the request declares)  vs  raw write+fsync+rename of the bytes,
    written 1 MiB at a time and 256 KiB at a time (on some machines the
    page cache takes 1 MiB writes much more slowly; the faster of the two
    is the fair reference). curl, the client, shares the machine's cores
    with the server: its CPU per upload is printed too, and its own time
    for each upload (connect to answer), without the start of a curl
    process, which costs tens of milliseconds on a small virtual machine.
  (and the server's CPU per PutObject: on the I/O threads, which serve the
    connection, and on the upload's digest thread)
  GetObject, warm (object in the page cache)  vs  (a) a read(2) of the raw
    file from the page cache, which involves no socket at all, and (b) the
    raw file served over loopback HTTP by a minimal server that hands it to
    the kernel with sendfile(2), fetched by the same client: the best any
    server could do on this transport. Each GET is fetched twice: by curl
    (which reads 100 KiB at a time and is the bottleneck on a fast
    loopback) and by a client that recv()s into a 4 MiB buffer (the
    object through a presigned URL). Likewise the uploads are sent once
    more by a client that sends the file with sendfile(2).
  Multipart uploads of the same 64 MiB as the CLIs send a large file (8 MiB
    parts, 2 and 4 at a time, from sendfile clients)  vs  the same raw write.
  GetObject, cold (posix_fadvise DONTNEED on the object's file first)  vs
    a read(2) of the raw file after the same DONTNEED.

Usage: s3_bench.py --binary build/plumbline [--small N] [--large N] [--keys N]
  (--small 0 and --keys 0 skip those parts)
"""

import argparse
import hashlib
import html
import http.server
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
import plumbline_harness as h  # noqa: E402
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402


def peak_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def raw_write(path, data, chunk=1 << 20):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for i in range(0, len(data), chunk):
        os.write(fd, data[i:i + chunk])
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, path)
    dfd = os.open(os.path.dirname(path), os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)


def raw_read(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def fetch(url, bufsize=4 << 20):
    """GET `url` on a fresh connection, receiving into one large buffer and
    dropping the bytes: a client that costs little beside the server."""
    u = urlsplit(url)
    s = socket.create_connection((u.hostname, u.port))
    try:
        s.sendall(("GET %s%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (u.path, "?" + u.query if u.query else "", u.netloc)).encode())
        view = memoryview(bytearray(bufsize))
        head = b""
        while b"\r\n\r\n" not in head:
            n = s.recv_into(view)
            if n == 0:
                raise RuntimeError("no answer from " + url)
            head += bytes(view[:n])
        status, rest = head.split(b"\r\n\r\n", 1)
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError("%s: %s" % (url, status.split(b"\r\n")[0].decode()))
        length = [int(line.split(b":")[1]) for line in status.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")][0]
        got = len(rest)
        while got < length:
            n = s.recv_into(view)
            if n == 0:
                raise RuntimeError("%s ended after %d of %d bytes" % (url, got, length))
            got += n
    finally:
        s.close()


def send_file(url, path, offset=0, size=None):
    """PUT the file at `path` (or `size` bytes of it from `offset`) to `url`
    (presigned, unsigned payload) on a fresh connection with sendfile(2): a
    client that costs little beside the server (curl reads the file and
    sends it 64 KiB at a time). Returns the answer's ETag."""
    u = urlsplit(url)
    if size is None:
        size = os.path.getsize(path) - offset
    s = socket.create_connection((u.hostname, u.port))
    try:
        s.sendall(("PUT %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n"
                   "Connection: close\r\n\r\n" % (u.path, u.query, u.netloc, size)).encode())
        with open(path, "rb") as f:
            s.sendfile(f, offset, size)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError("%s: %s" % (url, answer[:200]))
        head = answer.split(b"\r\n\r\n", 1)[0].decode()
        return [line.split(":", 1)[1].strip() for line in head.split("\r\n")
                if line.lower().startswith("etag:")][0]
    finally:
        s.close()


def drop_cache(path):
    """Evicts a (synced) file's pages, so the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


class FileServer(http.server.ThreadingHTTPServer):
    """GET /NAME answers the file NAME of a folder with sendfile(2)."""

    def __init__(self, folder):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = os.path.join(folder, os.path.basename(self.path))
                with open(path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    self.send_response(200)
                    self.send_header("Content-Length", str(size))
                    self.end_headers()
                    self.wfile.flush()
                    self.connection.sendfile(f)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.server_address[1], name)

    def close(self):
        self.shutdown()
        self.server_close()


def cpu_seconds(pid):
    """The server's CPU time: the whole process (threads that ended too), and
    its threads still alive (the I/O threads; an upload's digest thread ends
    with the upload)."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(path):
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    live = 0.0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            live += stat("/proc/%d/task/%s/stat" % (pid, t))
        except FileNotFoundError:
            pass
    return stat("/proc/%d/stat" % pid), live


def rate(label, n, nbytes, secs, ref=None):
    mbs = nbytes / secs / 1e6
    line = "%-44s %8.1f ops/s %9.1f MB/s" % (label, n / secs, mbs)
    if ref:
        for name, mb in (ref if isinstance(ref, list) else [("raw", ref)]):
            line += "   %.2fx %s" % (mbs / mb, name)
    print(line)
    return mbs


def small_objects(a, s3, raw_dir, small):
    t = time.time()
    for i in range(a.small):
        raw_write(os.path.join(raw_dir, "s%d" % i), small)
    ref = rate("raw write+fsync+rename 4 KiB", a.small, a.small * 4096, time.time() - t)
    t = time.time()
    for i in range(a.small):
        s3.put_object(Bucket="bench", Key="small/%d" % i, Body=small)
    rate("PutObject 4 KiB (boto3)", a.small, a.small * 4096, time.time() - t, ref)
    t = time.time()
    for i in range(a.small):
        raw_read(os.path.join(raw_dir, "s%d" % i))
    ref = rate("raw read 4 KiB", a.small, a.small * 4096, time.time() - t)
    t = time.time()
    for i in range(a.small):
        s3.get_object(Bucket="bench", Key="small/%d" % i)["Body"].read()
    rate("GetObject 4 KiB (boto3)", a.small, a.small * 4096, time.time() - t, ref)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def large_objects(a, server, s3, raw_dir):
    big = os.urandom(64 << 20)
    src = os.path.join(raw_dir, "big.src")
    with open(src, "wb") as f:
        f.write(big)
    sha = hashlib.sha256(big).hexdigest()
    curl = ["curl", "-sS", "-f", "--aws-sigv4", "aws:amz:%s:s3" % h.REGION,
            "--user", "%s:%s" % (h.ROOT_KEY, h.ROOT_SECRET)]
    unsigned = curl + ["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    signed = curl + ["-H", "x-amz-content-sha256: " + sha]
    raw = [os.path.join(raw_dir, "b%d" % i) for i in range(a.large)]
    objects = [server.bucket_path("bench", "big/%d" % i) for i in range(a.large)]
    nbytes = a.large * len(big)

    def timed(fn):
        t = time.time()
        for i in range(a.large):
            fn(i)
        return time.time() - t

    ref1 = rate("raw write+fsync+rename 64 MiB (1 MiB writes)", a.large, nbytes,
                timed(lambda i: raw_write(raw[i], big)))
    ref256 = rate("raw write+fsync+rename 64 MiB (256 KiB writes)", a.large, nbytes,
                  timed(lambda i: raw_write(raw[i], big, 256 << 10)))
    ref = [("raw 1 MiB writes", ref1), ("raw 256 KiB writes", ref256)]
    # Beside the rate, where the server spent its CPU per upload: on the
    # threads that serve connections (receiving, writing) and elsewhere (the
    # upload's digest thread). Unlike the rate, this holds on a busy machine.
    for label, args in (("unsigned payload", unsigned), ("signed payload", signed)):
        total0, live0 = cpu_seconds(server.proc.pid)
        client0 = children_cpu()
        own = []  # curl's own time for each upload, connect to answer (-w time_total)

        def put(i):
            out = subprocess.run(args + ["-T", src, "-o", "/dev/null", "-w", "%{time_total}",
                                         "%s/bench/big/%d" % (server.url, i)],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
            own.append(float(out))
        rate("PutObject 64 MiB (curl, %s)" % label, a.large, nbytes, timed(put), ref)
        rate("  the same, curl's own time (no process start)", a.large, nbytes, sum(own), ref)
        total1, live1 = cpu_seconds(server.proc.pid)
        print("  server CPU per PutObject %.3f s: %.3f s on I/O threads, %.3f s on digest threads;"
              " curl's %.3f s"
              % ((total1 - total0) / a.large, (live1 - live0) / a.large,
                 (total1 - total0 - (live1 - live0)) / a.large, (children_cpu() - client0) / a.large))

    # The same uploads from a client that sends the file with sendfile(2).
    put_urls = [s3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": "big/%d" % i},
                                          ExpiresIn=3600) for i in range(a.large)]
    total0, live0 = cpu_seconds(server.proc.pid)
    rate("PutObject 64 MiB (sendfile client, unsigned)", a.large, nbytes,
         timed(lambda i: send_file(put_urls[i], src)), ref)
    total1, live1 = cpu_seconds(server.proc.pid)
    print("  server CPU per PutObject %.3f s: %.3f s on I/O threads, %.3f s on digest threads"
          % ((total1 - total0) / a.large, (live1 - live0) / a.large,
             (total1 - total0 - (live1 - live0)) / a.large))

    # The same object as AWS's clients send a large file (`aws s3 cp`, boto3's
    # upload_file, the JS SDK's Upload): a multipart upload of 8 MiB parts,
    # several at a time, each part a request of its own (sendfile clients on
    # presigned URLs), then CompleteMultipartUpload. The parts' MD5s run
    # side by side; completing joins the parts into the object.
    for concurrency in (2, 4):
        def multipart(i):
            key = "big/mp%d" % i
            upload = s3.create_multipart_upload(Bucket="bench", Key=key)["UploadId"]
            part = 8 << 20
            numbers = list(range(1, len(big) // part + 1))
            etags = {}

            def send(n):
                url = s3.generate_presigned_url(
                    "upload_part", Params={"Bucket": "bench", "Key": key, "UploadId": upload,
                                           "PartNumber": n}, ExpiresIn=3600)
                etags[n] = send_file(url, src, (n - 1) * part, part)
            pool = [threading.Thread(target=lambda k=k: [send(n) for n in numbers[k::concurrency]])
                    for k in range(concurrency)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            s3.complete_multipart_upload(
                Bucket="bench", Key=key, UploadId=upload,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in numbers]})
        total0, live0 = cpu_seconds(server.proc.pid)
        rate("multipart 64 MiB, 8 MiB parts, %d at a time" % concurrency, a.large, nbytes,
             timed(multipart), ref)
        total1, live1 = cpu_seconds(server.proc.pid)
        print("  server CPU per upload %.3f s: %.3f s on I/O threads, %.3f s on digest threads"
              % ((total1 - total0) / a.large, (live1 - live0) / a.large,
                 (total1 - total0 - (live1 - live0)) / a.large))
    with open(server.bucket_path("bench", "big/mp0"), "rb") as f:
        if f.read() != big:
            raise RuntimeError("the multipart object differs from the file uploaded")

    # Warm: every file is in the page cache (just written, then read once).
    for path in raw + objects:
        raw_read(path)
    page = rate("raw read 64 MiB (page cache)", a.large, nbytes, timed(lambda i: raw_read(raw[i])))
    files = FileServer(raw_dir)
    try:
        wire = rate("raw file over loopback HTTP (sendfile, curl)", a.large, nbytes,
                    timed(lambda i: subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null",
                                                    files.url("b%d" % i)], check=True)))
        wire4 = rate("raw file over loopback HTTP (sendfile, recv 4 MiB)", a.large, nbytes,
                     timed(lambda i: fetch(files.url("b%d" % i))))
    finally:
        files.close()
    total0, _ = cpu_seconds(server.proc.pid)
    rate("GetObject 64 MiB (curl, warm)", a.large, nbytes,
         timed(lambda i: subprocess.run(unsigned + ["-o", "/dev/null",
                                                    "%s/bench/big/%d" % (server.url, i)],
                                        check=True)),
         [("page-cache read", page), ("raw over HTTP, curl", wire)])
    total1, _ = cpu_seconds(server.proc.pid)
    print("  server CPU per GetObject %.3f s" % ((total1 - total0) / a.large))
    urls = [s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": "big/%d" % i},
                                      ExpiresIn=3600) for i in range(a.large)]
    rate("GetObject 64 MiB (recv 4 MiB, warm)", a.large, nbytes, timed(lambda i: fetch(urls[i])),
         [("page-cache read", page), ("raw over HTTP, recv 4 MiB", wire4)])

    # Cold: the pages of both sides dropped first.
    def cold_raw(i):
        drop_cache(raw[i])
        raw_read(raw[i])

    def cold_get(i):
        drop_cache(objects[i])
        subprocess.run(unsigned + ["-o", "/dev/null", "%s/bench/big/%d" % (server.url, i)],
                       check=True)

    cold = rate("raw read 64 MiB (cold, fadvise DONTNEED)", a.large, nbytes, timed(cold_raw))
    rate("GetObject 64 MiB (curl, cold)", a.large, nbytes, timed(cold_get),
         [("cold raw read", cold)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--small", type=int, default=300)
    p.add_argument("--large", type=int, default=3)
    p.add_argument("--keys", type=int, default=100000)
    a = p.parse_args()
    server = h.Server(a.binary)
    raw_dir = tempfile.mkdtemp(prefix="plb-raw-", dir=os.path.dirname(server.data_dir))
    try:
        s3 = boto3.client("s3", endpoint_url=server.url, region_name=h.REGION,
                          aws_access_key_id=h.ROOT_KEY, aws_secret_access_key=h.ROOT_SECRET,
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="bench")
        pid = server.proc.pid
        print("server peak RSS at start: %d KiB" % peak_kib(pid))
        if a.small:
            small_objects(a, s3, raw_dir, os.urandom(4096))
        if a.large:
            large_objects(a, server, s3, raw_dir)
            print("server peak RSS after the 64 MiB objects: %d KiB" % peak_kib(pid))
        if a.keys:
            listing(a, server, s3)
        print("server peak RSS at the end: %d KiB" % peak_kib(pid))
    finally:
        server.cleanup()
        shutil.rmtree(raw_dir, ignore_errors=True)


def listing(a, server, s3):
    # 100k keys in 100 folders, written as files (as jobs write them).
    base = server.bucket_path("bench", "many")
    for i in range(a.keys):
        d = os.path.join(base, "d%03d" % (i % 100))
        if i < 100:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "k%06d" % i), "wb") as f:
            f.write(b"x")
    t = time.time()
    n = 0
    for root, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(files):
            os.stat(os.path.join(root, name))
            n += 1
    raw_secs = time.time() - t
    print("%-44s %8.2f s (%d keys)" % ("raw sorted walk + stat", raw_secs, n))
    pid = server.proc.pid
    for label in ("ListObjectsV2 100k, first", "ListObjectsV2 100k, again"):
        t = time.time()
        cpu0, _ = cpu_seconds(pid)
        count = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix="many/"):
            count += page.get("KeyCount", 0)
        secs = time.time() - t
        print("%-44s %8.2f s (%d keys, %.1fx raw; server CPU %.2f s)"
              % (label, secs, count, secs / raw_secs, cpu_seconds(pid)[0] - cpu0))
    # boto3 spends most of that parsing each page's XML (about 200 kB for
    # 1,000 keys). The same pages fetched by a client that reads only the
    # key count and the continuation token (through presigned URLs):
    t = time.time()
    count, token = 0, None
    while True:
        params = {"Bucket": "bench", "Prefix": "many/"}
        if token:
            params["ContinuationToken"] = token
        with urllib.request.urlopen(s3.generate_presigned_url("list_objects_v2", Params=params)) as r:
            body = r.read().decode()
        count += int(re.search(r"<KeyCount>(\d+)</KeyCount>", body).group(1))
        m = re.search(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", body)
        if not m:
            break
        token = html.unescape(m.group(1))
    secs = time.time() - t
    print("%-44s %8.2f s (%d keys, %.1fx raw)" % ("ListObjectsV2 100k, pages read raw", secs, count,
                                                 secs / raw_secs))


if __name__ == "__main__":
    main()
