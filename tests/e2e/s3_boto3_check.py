#!/usr/bin/env python3
"""S3 calls through boto3, run by s3_api_e2e_test.py under each Python that
has boto3 (Debian's 1.26 and a newer one that sends CRC32 checksums in
aws-chunked trailers). Environment: the AWS_* credentials; argv: endpoint
URL, bucket. Prints one line "ok <boto3 version>" or fails."""

import hashlib
import io
import os
import sys
import urllib.request

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

url, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=url, region_name="us-west-2",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def code_of(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None


s3.create_bucket(Bucket=bucket)
assert code_of(lambda: s3.create_bucket(Bucket=bucket)) == ("BucketAlreadyOwnedByYou", 409)
body = b"0123456789" * 1000
r = s3.put_object(Bucket=bucket, Key="dir/ten.txt", Body=body, ContentType="text/plain",
                  Metadata={"color": "blue"})
etag = r["ETag"]
assert etag == '"%s"' % hashlib.md5(body).hexdigest(), etag
g = s3.get_object(Bucket=bucket, Key="dir/ten.txt", Range="bytes=5-14")
assert g["Body"].read() == body[5:15] and g["ContentRange"] == "bytes 5-14/10000"
assert s3.get_object(Bucket=bucket, Key="dir/ten.txt", Range="bytes=-3")["Body"].read() == body[-3:]
h = s3.head_object(Bucket=bucket, Key="dir/ten.txt")
assert h["Metadata"] == {"color": "blue"} and h["ContentType"] == "text/plain", h
assert code_of(lambda: s3.get_object(Bucket=bucket, Key="dir/ten.txt", IfNoneMatch=etag)) == ("304", 304)
assert code_of(lambda: s3.get_object(Bucket=bucket, Key="dir/ten.txt", IfMatch='"nope"')) == ("PreconditionFailed", 412)
assert code_of(lambda: s3.get_object(Bucket=bucket, Key="missing")) == ("NoSuchKey", 404)
assert code_of(lambda: s3.get_object(Bucket=bucket, Key="dir/ten.txt", Range="bytes=20000-")) == ("InvalidRange", 416)
assert code_of(lambda: s3.list_objects_v2(Bucket="no-such-bucket-here")) == ("NoSuchBucket", 404)

# Listing: 25 keys in pages of 10, with a delimiter.
for i in range(25):
    s3.put_object(Bucket=bucket, Key="many/k%02d" % i, Body=b"x")
s3.put_object(Bucket=bucket, Key="many/sub/deep", Body=b"y")
keys, token = [], None
while True:
    kw = {"ContinuationToken": token} if token else {}
    page = s3.list_objects_v2(Bucket=bucket, Prefix="many/", Delimiter="/", MaxKeys=10, **kw)
    keys += [c["Key"] for c in page.get("Contents", [])]
    keys += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    if not page["IsTruncated"]:
        break
    token = page["NextContinuationToken"]
assert keys == ["many/k%02d" % i for i in range(25)] + ["many/sub/"], keys
v1 = s3.list_objects(Bucket=bucket, Prefix="many/k0", Marker="many/k03")
assert [c["Key"] for c in v1["Contents"]] == ["many/k%02d" % i for i in range(4, 10)]

# Multipart through the transfer manager (parts of 5 MiB).
big = os.urandom(12 * 1024 * 1024 + 7)
cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(big), bucket, "big.bin", Config=cfg)
h = s3.head_object(Bucket=bucket, Key="big.bin")
md5s = b"".join(hashlib.md5(big[i:i + 5 * 1024 * 1024]).digest() for i in range(0, len(big), 5 * 1024 * 1024))
assert h["ETag"] == '"%s-3"' % hashlib.md5(md5s).hexdigest(), h["ETag"]
out = io.BytesIO()
s3.download_fileobj(bucket, "big.bin", out, Config=cfg)
assert out.getvalue() == big

# Multipart by hand: list parts, abort, a too-small part.
up = s3.create_multipart_upload(Bucket=bucket, Key="manual")["UploadId"]
p1 = s3.upload_part(Bucket=bucket, Key="manual", UploadId=up, PartNumber=1, Body=b"a" * 100)
p2 = s3.upload_part(Bucket=bucket, Key="manual", UploadId=up, PartNumber=2, Body=b"b" * 100)
parts = s3.list_parts(Bucket=bucket, Key="manual", UploadId=up)["Parts"]
assert [p["PartNumber"] for p in parts] == [1, 2]
assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [up]
assert code_of(lambda: s3.complete_multipart_upload(
    Bucket=bucket, Key="manual", UploadId=up,
    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                               {"PartNumber": 2, "ETag": p2["ETag"]}]})) == ("EntityTooSmall", 400)
s3.abort_multipart_upload(Bucket=bucket, Key="manual", UploadId=up)
assert code_of(lambda: s3.list_parts(Bucket=bucket, Key="manual", UploadId=up)) == ("NoSuchUpload", 404)

# UploadPartCopy: ranges of an object become parts; a malformed or
# out-of-range source range is refused.
up = s3.create_multipart_upload(Bucket=bucket, Key="from-ranges")["UploadId"]
src = {"Bucket": bucket, "Key": "big.bin"}
five = 5 * 1024 * 1024
c1 = s3.upload_part_copy(Bucket=bucket, Key="from-ranges", UploadId=up, PartNumber=1, CopySource=src,
                         CopySourceRange="bytes=0-%d" % (five - 1))["CopyPartResult"]
c2 = s3.upload_part_copy(Bucket=bucket, Key="from-ranges", UploadId=up, PartNumber=2, CopySource=src,
                         CopySourceRange="bytes=%d-%d" % (len(big) - 10, len(big) - 1))["CopyPartResult"]
assert c1["ETag"] == '"%s"' % hashlib.md5(big[:five]).hexdigest(), c1
assert code_of(lambda: s3.upload_part_copy(Bucket=bucket, Key="from-ranges", UploadId=up, PartNumber=3,
                                           CopySource=src, CopySourceRange="bytes=5-")) == ("InvalidArgument", 400)
assert code_of(lambda: s3.upload_part_copy(Bucket=bucket, Key="from-ranges", UploadId=up, PartNumber=3,
                                           CopySource=src, CopySourceRange="bytes=0-%d" % len(big))) == ("InvalidRange", 400)
s3.complete_multipart_upload(Bucket=bucket, Key="from-ranges", UploadId=up, MultipartUpload={"Parts": [
    {"PartNumber": 1, "ETag": c1["ETag"]}, {"PartNumber": 2, "ETag": c2["ETag"]}]})
assert s3.get_object(Bucket=bucket, Key="from-ranges")["Body"].read() == big[:five] + big[-10:]
assert s3.get_object_tagging(Bucket=bucket, Key="from-ranges")["TagSet"] == []
assert code_of(lambda: s3.put_object_tagging(Bucket=bucket, Key="from-ranges", Tagging={"TagSet": [
    {"Key": "k", "Value": "v"}]})) == ("NotImplemented", 501)

# Copy, delete many, presigned GET and PUT.
c = s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "dir/ten.txt"})
assert c["CopyObjectResult"]["ETag"] == etag
assert s3.head_object(Bucket=bucket, Key="copy.txt")["Metadata"] == {"color": "blue"}
d = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "many/k%02d" % i} for i in range(25)]})
assert len(d["Deleted"]) == 25
get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "copy.txt"}, ExpiresIn=60)
assert urllib.request.urlopen(get_url).read() == body
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned.txt"}, ExpiresIn=60)
urllib.request.urlopen(urllib.request.Request(put_url, data=b"via url", method="PUT")).read()
assert s3.get_object(Bucket=bucket, Key="presigned.txt")["Body"].read() == b"via url"
print("ok", boto3.__version__)
