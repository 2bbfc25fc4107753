#!/usr/bin/env python3
"""S3 throughput of `plumbline serve` beside the raw filesystem in the same
run: PutObject/GetObject of 4 KiB and 64 MiB objects, ListObjectsV2 over 100k
keys, and the server's peak RSS. Small objects go through boto3 (one client,
sequential: the client's own cost is included); 64 MiB objects through curl
(--aws-sigv4, UNSIGNED-PAYLOAD), so that the client is not the bottleneck.

Usage: s3_bench.py --binary build/plumbline [--small N] [--large N] [--keys N]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

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


def rate(label, n, nbytes, secs, ref=None):
    mbs = nbytes / secs / 1e6
    line = "%-34s %8.1f ops/s %9.1f MB/s" % (label, n / secs, mbs)
    if ref:
        line += "   %.2fx raw" % (mbs / ref)
    print(line)
    return mbs


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

        small = os.urandom(4096)
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

        big = os.urandom(64 << 20)
        src = os.path.join(raw_dir, "big.src")
        with open(src, "wb") as f:
            f.write(big)
        curl = ["curl", "-sS", "-f", "--aws-sigv4", "aws:amz:%s:s3" % h.REGION,
                "--user", "%s:%s" % (h.ROOT_KEY, h.ROOT_SECRET),
                "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
        t = time.time()
        for i in range(a.large):
            raw_write(os.path.join(raw_dir, "b%d" % i), big)
        ref = rate("raw write+fsync+rename 64 MiB", a.large, a.large * len(big), time.time() - t)
        t = time.time()
        for i in range(a.large):
            subprocess.run(curl + ["-T", src, "%s/bench/big/%d" % (server.url, i)], check=True,
                           stdout=subprocess.DEVNULL)
        rate("PutObject 64 MiB (curl)", a.large, a.large * len(big), time.time() - t, ref)
        t = time.time()
        for i in range(a.large):
            raw_read(os.path.join(raw_dir, "b%d" % i))
        ref = rate("raw read 64 MiB", a.large, a.large * len(big), time.time() - t)
        t = time.time()
        for i in range(a.large):
            subprocess.run(curl + ["-o", "/dev/null", "%s/bench/big/%d" % (server.url, i)],
                           check=True)
        rate("GetObject 64 MiB (curl)", a.large, a.large * len(big), time.time() - t, ref)
        print("server peak RSS after the 64 MiB objects: %d KiB" % peak_kib(pid))

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
        print("%-34s %8.2f s (%d keys)" % ("raw sorted walk + stat", raw_secs, n))
        for label in ("ListObjectsV2 100k, first", "ListObjectsV2 100k, again"):
            t = time.time()
            count = 0
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix="many/"):
                count += page.get("KeyCount", 0)
            secs = time.time() - t
            print("%-34s %8.2f s (%d keys, %.1fx raw)" % (label, secs, count, secs / raw_secs))
        print("server peak RSS at the end: %d KiB" % peak_kib(pid))
    finally:
        server.cleanup()
        shutil.rmtree(raw_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
