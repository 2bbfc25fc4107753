// S3 calls through the AWS SDK for JavaScript v3 (@aws-sdk/client-s3 and the
// presigner), run by s3_api_e2e_test.py. Environment: the AWS_* credentials;
// argv: endpoint URL, bucket. Prints "ok" or exits non-zero.
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, ListBucketsCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createHash } from "node:crypto";
import assert from "node:assert/strict";

const [endpoint, bucket] = process.argv.slice(2);
const s3 = new S3Client({ endpoint, region: "us-west-2", forcePathStyle: true });
const md5 = (b) => createHash("md5").update(b).digest("hex");

await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const buckets = await s3.send(new ListBucketsCommand({}));
assert.ok(buckets.Buckets.some((b) => b.Name === bucket));
const body = Buffer.from("hello from the js sdk\n".repeat(100));
const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "js/a.txt", Body: body,
  ContentType: "text/plain", Metadata: { who: "js" } }));
assert.equal(put.ETag, `"${md5(body)}"`);
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "js/a.txt", Range: "bytes=0-4" }));
assert.equal(await got.Body.transformToString(), "hello");
const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "js/a.txt" }));
assert.deepEqual(head.Metadata, { who: "js" });
assert.equal(head.ContentType, "text/plain");
const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "js/" }));
assert.deepEqual(list.Contents.map((c) => c.Key), ["js/a.txt"]);
// Multipart with two parts (5 MiB and a tail).
const part1 = Buffer.alloc(5 * 1024 * 1024, 1), part2 = Buffer.from("tail");
const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "js/mp" }));
const e1 = (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "js/mp", UploadId, PartNumber: 1, Body: part1 }))).ETag;
const e2 = (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "js/mp", UploadId, PartNumber: 2, Body: part2 }))).ETag;
const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "js/mp", UploadId,
  MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }));
const both = Buffer.concat([createHash("md5").update(part1).digest(), createHash("md5").update(part2).digest()]);
assert.equal(done.ETag, `"${md5(both)}-2"`);
// Presigned GET.
const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "js/a.txt" }), { expiresIn: 60 });
const res = await fetch(url);
assert.equal(res.status, 200);
assert.equal(Buffer.from(await res.arrayBuffer()).equals(body), true);
// Errors.
await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "js/none" })),
  (e) => e.name === "NoSuchKey" && e.$metadata.httpStatusCode === 404);
await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "js/a.txt" }));
console.log("ok");
