#!/usr/bin/env python3
"""S3 behaviour held against a real S3 protocol peer: the same sequence of
boto3 calls against s3rver (npm, started here on 127.0.0.1 and stopped by
its PID) and against `plumbline serve` must give the same listings, ETags,
ranges and error codes. The deliberate differences are listed in KNOWN
(each with the reason); anything else fails.

Usage: s3_parity_test.py --binary build/plumbline --repo .   (exit 77: skipped)
"""

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError:
    print("skipped: this python has no boto3")
    sys.exit(77)

# step -> why Plumbline answers differently from s3rver, on purpose. Most are
# places where s3rver 3.7.1 departs from S3 itself and Plumbline follows S3.
S3RVER_ORDER = ("s3rver sorts 'a/b' before 'a-c'; S3 lists keys in UTF-8 byte order, where "
                "'-' (0x2d) comes before '/' (0x2f), as Plumbline does")
KNOWN = {
    "list-all": S3RVER_ORDER,
    "list-partial-prefix": S3RVER_ORDER,
    "list-url-encoded": S3RVER_ORDER,
    "list-prefix-delimiter": "KeyCount: s3rver counts only the keys (1); S3 counts keys and "
                             "common prefixes (2), as Plumbline does",
    "list-delimiter": "KeyCount only: s3rver counts the 5 keys, S3 and Plumbline the 5 keys and "
                      "3 common prefixes",
    "list-pages": "s3rver answers InternalError to a continuation token; Plumbline pages",
    "range bytes=-3": "s3rver reads 'bytes=-3' as 'bytes=0-3'; S3 and Plumbline give the last 3 bytes",
    "range bytes=0-0": "s3rver ignores a one-byte range and sends the whole object; S3 and "
                       "Plumbline send 1 byte with 206",
    "if-match-wrong": "s3rver ignores If-Match; S3 and Plumbline answer 412 PreconditionFailed",
    "list-parts": "s3rver does not implement ListParts (405)",
    "abort-missing-upload": "s3rver does not implement AbortMultipartUpload (405); Plumbline "
                            "answers NoSuchUpload as S3 does",
    "multipart-etag": "s3rver gives a plain MD5 for multipart objects; Plumbline gives S3's "
                      "md5-of-part-md5s-N",
    "create-existing-bucket": "s3rver answers BucketAlreadyExists; Plumbline answers "
                              "BucketAlreadyOwnedByYou, as S3 does (outside us-east-1) for the "
                              "owner, and every bucket here has one owner",
}


def client(url, key, secret):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


def run(s3):
    """The sequence; returns {step: comparable result}."""
    out = {}

    def step(name, fn):
        try:
            out[name] = fn()
        except botocore.exceptions.ClientError as e:
            out[name] = ("error", e.response["Error"]["Code"],
                         e.response["ResponseMetadata"]["HTTPStatusCode"])

    b = "parity"
    step("create-bucket", lambda: s3.create_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"])
    step("create-existing-bucket", lambda: s3.create_bucket(Bucket=b))
    keys = ["a-c", "a/b", "a/c/d", "a0", "b", "c d", "plus+key", "\u00fc/x", "z/1", "z/2"]
    for k in keys:
        step("put " + k, lambda k=k: s3.put_object(Bucket=b, Key=k, Body=(k * 3).encode())["ETag"])

    def listing(**kw):
        r = s3.list_objects_v2(Bucket=b, **kw)
        return ([(c["Key"], c["Size"], c["ETag"]) for c in r.get("Contents", [])],
                [p["Prefix"] for p in r.get("CommonPrefixes", [])], r["IsTruncated"], r["KeyCount"])
    step("list-all", lambda: listing())
    step("list-delimiter", lambda: listing(Delimiter="/"))
    step("list-prefix", lambda: listing(Prefix="a/"))
    step("list-prefix-delimiter", lambda: listing(Prefix="a/", Delimiter="/"))
    step("list-partial-prefix", lambda: listing(Prefix="a"))
    step("list-url-encoded", lambda: listing(EncodingType="url"))
    step("list-start-after", lambda: listing(StartAfter="a0"))

    def pages():
        got, token = [], None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = s3.list_objects_v2(Bucket=b, MaxKeys=3, **kw)
            got.append([c["Key"] for c in r.get("Contents", [])])
            if not r["IsTruncated"]:
                return got
            token = r["NextContinuationToken"]
    step("list-pages", pages)
    step("list-v1-marker", lambda: [c["Key"] for c in s3.list_objects(Bucket=b, Marker="b")["Contents"]])
    step("list-missing-bucket", lambda: s3.list_objects_v2(Bucket="no-such-bucket"))

    body = bytes(range(256)) * 4
    step("put-binary", lambda: s3.put_object(Bucket=b, Key="bin", Body=body)["ETag"])
    for rng in ("bytes=2-5", "bytes=-3", "bytes=1000-", "bytes=0-0", "bytes=1020-5000"):
        step("range " + rng, lambda rng=rng: (lambda r: (r["Body"].read(), r["ContentRange"],
                                                        r["ContentLength"]))(
            s3.get_object(Bucket=b, Key="bin", Range=rng)))
    step("range beyond", lambda: s3.get_object(Bucket=b, Key="bin", Range="bytes=5000-"))
    etag = hashlib.md5(body).hexdigest()
    step("if-none-match", lambda: s3.get_object(Bucket=b, Key="bin", IfNoneMatch='"%s"' % etag))
    step("if-match-wrong", lambda: s3.get_object(Bucket=b, Key="bin", IfMatch='"0000"'))
    step("if-match", lambda: s3.get_object(Bucket=b, Key="bin", IfMatch='"%s"' % etag)["ETag"])
    step("get-missing-key", lambda: s3.get_object(Bucket=b, Key="nope"))
    step("get-missing-bucket", lambda: s3.get_object(Bucket="no-such-bucket", Key="x"))
    step("head-missing-key", lambda: s3.head_object(Bucket=b, Key="nope"))
    step("head-object", lambda: (lambda r: (r["ContentLength"], r["ETag"], r["ContentType"],
                                            r["Metadata"]))(s3.head_object(Bucket=b, Key="bin")))
    step("put-meta", lambda: s3.put_object(Bucket=b, Key="m", Body=b"m", ContentType="text/x",
                                           Metadata={"a": "1", "b": "two"})["ETag"])
    step("head-meta", lambda: (lambda r: (r["ContentType"], r["Metadata"]))(
        s3.head_object(Bucket=b, Key="m")))
    step("copy", lambda: s3.copy_object(Bucket=b, Key="m2", CopySource={"Bucket": b, "Key": "m"})[
        "CopyObjectResult"]["ETag"])
    step("copy-meta", lambda: s3.head_object(Bucket=b, Key="m2")["Metadata"])
    step("copy-missing", lambda: s3.copy_object(Bucket=b, Key="m3",
                                                CopySource={"Bucket": b, "Key": "nope"}))
    step("delete-bucket-not-empty", lambda: s3.delete_bucket(Bucket=b))
    step("delete-missing-key", lambda: s3.delete_object(Bucket=b, Key="nope")[
        "ResponseMetadata"]["HTTPStatusCode"])
    step("delete-objects", lambda: sorted(d["Key"] for d in s3.delete_objects(
        Bucket=b, Delete={"Objects": [{"Key": "z/1"}, {"Key": "z/2"}, {"Key": "nope"}]})["Deleted"]))
    step("list-after-delete", lambda: listing(Prefix="z"))

    part1, part2 = b"1" * (5 * 1024 * 1024), b"tail"

    state = {}

    def parts():
        up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
        state["up"] = up
        state["e1"] = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=part1)["ETag"]
        state["e2"] = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=2, Body=part2)["ETag"]
        return state["e1"], state["e2"]
    step("multipart-parts", parts)
    step("list-parts", lambda: [(p["PartNumber"], p["ETag"], p["Size"]) for p in
                                s3.list_parts(Bucket=b, Key="mp", UploadId=state["up"])["Parts"]])
    step("multipart-complete", lambda: s3.complete_multipart_upload(
        Bucket=b, Key="mp", UploadId=state["up"], MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": state["e1"]},
                      {"PartNumber": 2, "ETag": state["e2"]}]})["Key"])
    step("multipart-etag", lambda: s3.head_object(Bucket=b, Key="mp")["ETag"])
    step("multipart-body", lambda: hashlib.md5(s3.get_object(Bucket=b, Key="mp")["Body"].read()).hexdigest())
    step("abort-missing-upload", lambda: s3.abort_multipart_upload(Bucket=b, Key="mp", UploadId="0123abcd"))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--repo", required=True)
    args = parser.parse_args()
    s3rver_js = os.path.join(args.repo, "node_modules", "s3rver", "bin", "s3rver.js")
    node = shutil.which("node")
    if not node or not os.path.exists(s3rver_js):
        print("skipped: no node or no s3rver in node_modules")
        return 77
    tmp = tempfile.mkdtemp(prefix="plb-parity-")
    port = h.free_port()
    peer = subprocess.Popen([node, s3rver_js, "-d", os.path.join(tmp, "s3rver"), "-a", "127.0.0.1",
                             "-p", str(port), "--silent"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    server = h.Server(args.binary)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        theirs = run(client("http://127.0.0.1:%d" % port, "S3RVER", "S3RVER"))
        ours = run(client(server.url, h.ROOT_KEY, h.ROOT_SECRET))
    finally:
        peer.terminate()
        peer.wait(10)
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    unexpected = 0
    for step in theirs:
        same = theirs[step] == ours.get(step)
        if same:
            print("same   %s" % step)
        elif step in KNOWN:
            print("known  %s: s3rver %r, plumbline %r (%s)" % (step, theirs[step], ours.get(step),
                                                             KNOWN[step]))
        else:
            unexpected += 1
            print("DIFF   %s: s3rver %r, plumbline %r" % (step, theirs[step], ours.get(step)))
    print("%d steps, %d unexpected differences" % (len(theirs), unexpected))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
