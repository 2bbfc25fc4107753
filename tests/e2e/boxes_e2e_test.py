#!/usr/bin/env python3
"""End to end, the bounding-box task types: a BoundingBox job created with the
real aws CLI and labeled through the worker JSON API by five simulated
workers (boxes with noise, one careless worker) completes with Ground Truth's
output lines (spec §6.4.7.3); an AdjustmentBoundingBox job chained on its
output shows the earlier boxes to the template through initial-value and
ends with adjustment-status (§6.4.7.4); a VerificationBoundingBox job on the
same output gives the verdict and the workers' feedback (§6.4.7.7). A
SemanticSegmentation job's workers send PNG masks; its output line points to
the voted mask, an indexed PNG under the job's output (§6.4.7.5); an
AdjustmentSemanticSegmentation job chained on that output shows each worker
the voted mask through initial-value (a signed link the worker can fetch),
and ends with both attributes, both masks readable, and adjustment-status.

Usage: boxes_e2e_test.py --binary build/plumbline
"""

import argparse
import html as htmllib
import json
import os
import random
import struct
import zlib
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
TEAM_ARN = None
WORKERS = []
BUCKET = "box-bucket"
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
LABELS = ["car", "person", "bicycle"]
# The true boxes of each image (label, left, top, width, height) and its size.
TRUTH = {
    "street.jpg": ((800, 533), [("car", 40, 300, 220, 140), ("person", 420, 120, 60, 200), ("bicycle", 520, 330, 150, 100)]),
    "park.jpg": ((640, 480), [("person", 100, 80, 70, 210), ("person", 300, 90, 65, 200)]),
    "empty.jpg": ((1024, 768), []),
}


def hook(kind, task_type, region="ap-southeast-2", account="454466003867"):
    return "arn:aws:lambda:%s:%s:function:%s-%s" % (region, account, kind, task_type)


def create_job(name, task_type, attr, manifest, labels, template, workers):
    htc = {"WorkteamArn": TEAM_ARN, "UiConfig": {"UiTemplateS3Uri": "s3://%s/%s" % (BUCKET, template)},
           "PreHumanTaskLambdaArn": hook("PRE", task_type),
           "TaskTitle": name, "TaskDescription": "label " + name,
           "NumberOfHumanWorkersPerDataObject": workers, "TaskTimeLimitInSeconds": 300,
           "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": hook("ACS", task_type)}}
    return SERVER.cli(
        "sagemaker", "create-labeling-job", "--labeling-job-name", name,
        "--label-attribute-name", attr,
        "--input-config", json.dumps({"DataSource": {"S3DataSource": {"ManifestS3Uri": manifest}}}),
        "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % BUCKET}),
        "--role-arn", ROLE, "--label-category-config-s3-uri", "s3://%s/%s" % (BUCKET, labels),
        "--human-task-config", json.dumps(htc))


def label_all(job, answer_of, workers):
    """Each of the first `workers` workers claims and answers until nothing is
    left for them; answer_of(worker_index, task) gives the answer."""
    claims = []
    for i, w in enumerate(WORKERS[:workers]):
        while True:
            status, task, _ = w.request("POST", "/worker/api/jobs/%s/claim" % job)
            if status == 204:
                break
            assert status == 200, (status, task)
            claims.append(task)
            status, body, _ = w.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                        {"answer": answer_of(i, task)})
            assert status == 200, (status, body)
    return claims


def output_lines(job):
    """The job's output manifest once it is written (polled on disk: the aws
    CLI takes seconds to start on a loaded machine), then its status."""
    path = SERVER.bucket_path(BUCKET, "out/%s/manifests/output/output.manifest" % job)
    deadline = time.time() + 60
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.1)
    SERVER.wait_status(job, ["Completed"], timeout=30)
    with open(path) as f:
        return [json.loads(line) for line in f]


def iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw, ih = min(ax2, bx2) - max(a[0], b[0]), min(ay2, by2) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def png_rgba(w, h, pixel):
    """An RGBA PNG of w x h; pixel(x, y) gives (r, g, b, a)."""
    raw = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(w)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_indexed_png(data):
    """(width, height, palette [(r, g, b)], rows of indices) of an indexed PNG
    (libpng packs a small palette's indices in 1, 2 or 4 bits)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, palette = 8, b"", []
    while at < len(data):
        n, t = struct.unpack(">I4s", data[at:at + 8])
        d = data[at + 8:at + 8 + n]
        if t == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", d[:10])
            assert colour == 3 and depth in (1, 2, 4, 8), (depth, colour)
        elif t == b"PLTE":
            palette = [tuple(d[i:i + 3]) for i in range(0, len(d), 3)]
        elif t == b"IDAT":
            idat += d
        at += 12 + n
    stride = (w * depth + 7) // 8
    raw, rows, prev = zlib.decompress(idat), [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - 1] if x else 0
            b, c = prev[x], (prev[x - 1] if x else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        per = 8 // depth
        rows.append([(line[x // per] >> (8 - depth * (x % per + 1))) & ((1 << depth) - 1) for x in range(w)])
    return w, h, palette, rows


def image_of(task):
    return task["taskInput"]["taskObject"].rsplit("/", 1)[1]


def setUpModule():
    global SERVER, TEAM_ARN
    SERVER = h.Server(ARGS.binary)
    for name in ("ana", "bo", "cy", "di", "ed"):
        SERVER.add_user(name, name + "-password-1", groups=["boxers"])
        w = h.Worker(SERVER)
        assert w.login(name, name + "-password-1")[0] == 200
        WORKERS.append(w)
    _, out, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "box-team",
                           "--description", "team", "--member-definitions",
                           '[{"OidcMemberDefinition":{"Groups":["boxers"]}}]')
    TEAM_ARN = out["WorkteamArn"]
    SERVER.put(BUCKET, "images.manifest", "".join(
        json.dumps({"source-ref": "s3://%s/img/%s" % (BUCKET, k), "id": k}) + "\n" for k in TRUTH))
    SERVER.put(BUCKET, "labels.json", json.dumps({"document-version": "2018-11-28",
                                                   "labels": [{"label": l} for l in LABELS]}))
    SERVER.put(BUCKET, "verdict.json", json.dumps({"labels": [{"label": "good"}, {"label": "bad"}]}))
    SERVER.put(BUCKET, "box.html",
               '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
               '<crowd-form><crowd-bounding-box name="boundingBox" src="{{ task.input.taskObject | grant_read_access }}" '
               'header="Box every car, person and bicycle" labels="{{ task.input.labels | to_json | escape }}">'
               '<short-instructions>Tight boxes.</short-instructions></crowd-bounding-box></crowd-form>')
    # The earlier job's boxes as initial-value, labels through its class-map.
    initial = ('[{% for box in task.input.manifestLine.bbox.annotations %}'
               '{% capture class_id %}{{ box.class_id }}{% endcapture %}'
               '{"label": {{ task.input.manifestLine["bbox-metadata"]["class-map"][class_id] | to_json }}, '
               '"left": {{ box.left }}, "top": {{ box.top }}, "width": {{ box.width }}, "height": {{ box.height }}}'
               '{% unless forloop.last %}, {% endunless %}{% endfor %}]')
    SERVER.put(BUCKET, "adjust.html",
               '<crowd-form><crowd-bounding-box name="boundingBox" src="{{ task.input.taskObject | grant_read_access }}" '
               'header="Fix the boxes" labels="{{ task.input.labels | to_json | escape }}" '
               "initial-value='" + initial + "'></crowd-bounding-box></crowd-form>")
    SERVER.put(BUCKET, "verify.html",
               '<crowd-form><crowd-image-classifier name="verdict" src="{{ task.input.taskObject | grant_read_access }}" '
               'categories="{{ task.input.labels | to_json | escape }}" header="Are the boxes right?" '
               "overlay='{\"boundingBox\": {\"labels\": " + json.dumps(LABELS) + ", \"value\": " + initial + "}}'>"
               '</crowd-image-classifier></crowd-form>')


def tearDownModule():
    if SERVER:
        if os.environ.get("PLUMBLINE_E2E_KEEP"):
            print("server log:\n" + SERVER.server_log())
        SERVER.cleanup()


def metadata_common(test, meta, job, output_type):
    test.assertEqual(meta["job-name"], "labeling-job/" + job.lower())
    test.assertEqual(meta["human-annotated"], "yes")
    test.assertRegex(meta["creation-date"], DATE)
    test.assertEqual(meta["type"], output_type)


class BoxesTest(unittest.TestCase):
    def test_1_bounding_box_job_with_a_noisy_crowd(self):
        create_job("Street-Boxes", "BoundingBox", "bbox", "s3://%s/images.manifest" % BUCKET,
                   "labels.json", "box.html", workers=5)
        SERVER.wait_status("Street-Boxes", ["InProgress"])
        rng = random.Random(16)

        def answer(i, task):
            self.assertIn("<crowd-bounding-box", task["html"])
            self.assertIn("/worker/media", task["html"])  # the image is served signed
            self.assertEqual(task["taskInput"]["labels"], LABELS)
            (w, h_), truth = TRUTH[image_of(task)]
            careless = i == 4
            boxes = []
            for label, x, y, bw, bh in truth:
                if careless and rng.random() < 0.4:
                    continue  # missed
                sd = 14 if careless else 2
                x1, y1 = x + rng.gauss(0, sd), y + rng.gauss(0, sd)
                x2, y2 = x + bw + rng.gauss(0, sd), y + bh + rng.gauss(0, sd)
                if careless and rng.random() < 0.5:
                    label = LABELS[(LABELS.index(label) + 1) % 3]
                boxes.append({"height": round(y2 - y1), "label": label, "left": round(x1),
                              "top": round(y1), "width": round(x2 - x1)})
            if careless:
                boxes.append({"height": 30, "label": "car", "left": 5, "top": 5, "width": 30})  # stray
            return {"boundingBox": {"boundingBoxes": boxes, "inputImageProperties": {"height": h_, "width": w}}}
        self.assertEqual(len(label_all("Street-Boxes", answer, 5)), 15)
        lines = output_lines("Street-Boxes")
        self.assertEqual([l["id"] for l in lines], list(TRUTH))
        for line in lines:
            (w, h_), truth = TRUTH[line["id"]]
            self.assertEqual(list(line.keys()), ["source-ref", "id", "bbox", "bbox-metadata"])
            self.assertEqual(list(line["bbox"].keys()), ["image_size", "annotations"])
            self.assertEqual(line["bbox"]["image_size"], [{"width": w, "height": h_, "depth": 3}])
            meta = line["bbox-metadata"]
            self.assertEqual(list(meta.keys()), ["job-name", "class-map", "human-annotated", "objects",
                                                 "creation-date", "type"])
            metadata_common(self, meta, "Street-Boxes", "groundtruth/object-detection")
            got = line["bbox"]["annotations"]
            # Every true box found once, with its label, close to the truth;
            # the careless worker's stray box and wrong labels are outvoted.
            self.assertEqual(len(got), len(truth), got)
            self.assertEqual(len(meta["objects"]), len(got))
            for label, x, y, bw, bh in truth:
                match = [a for a in got if iou((a["left"], a["top"], a["width"], a["height"]), (x, y, bw, bh)) > 0.85]
                self.assertEqual(len(match), 1, (label, got))
                self.assertEqual(match[0]["class_id"], LABELS.index(label))
                self.assertEqual(list(match[0].keys()), ["class_id", "left", "top", "width", "height"])
            for o in meta["objects"]:
                self.assertTrue(0.5 < o["confidence"] <= 1, meta["objects"])
            self.assertEqual(meta["class-map"], {str(LABELS.index(l)): l for l in sorted({t[0] for t in truth}, key=LABELS.index)})
        self.assertEqual(lines[2]["bbox"]["annotations"], [])
        self.assertEqual(lines[2]["bbox-metadata"]["objects"], [])
        # Worker responses are kept in Ground Truth's layout.
        responses = os.path.join(SERVER.bucket_path(BUCKET, "out/Street-Boxes/annotations/worker-response/iteration-1"))
        self.assertEqual(sorted(os.listdir(responses)), ["0", "1", "2"])

    def test_2_adjustment_job_chained_on_the_output(self):
        manifest = "s3://%s/out/Street-Boxes/manifests/output/output.manifest" % BUCKET
        before = output_lines("Street-Boxes")
        create_job("street-adjust", "AdjustmentBoundingBox", "bbox-adjusted", manifest,
                   "labels.json", "adjust.html", workers=2)
        SERVER.wait_status("street-adjust", ["InProgress"])

        def answer(i, task):
            line = task["taskInput"]["manifestLine"]
            self.assertIn("bbox", line)  # the earlier label is there
            m = re.search(r"initial-value='([^']*)'", task["html"])
            self.assertIsNotNone(m, task["html"])
            initial = json.loads(htmllib.unescape(m.group(1)))
            self.assertEqual(len(initial), len(line["bbox"]["annotations"]))
            for box, ann in zip(initial, line["bbox"]["annotations"]):
                self.assertEqual(box["label"], LABELS[ann["class_id"]])
                self.assertEqual(box["left"], ann["left"])
            (w, h_), _ = TRUTH[line["id"]]
            # Worker 0 widens the street's car; everything else is kept as shown.
            modified = i == 0 and line["id"] == "street.jpg"
            boxes = [dict(b) for b in initial]
            if modified:
                boxes[0]["width"] = boxes[0]["width"] + 20
            return {"boundingBox": {"boundingBoxes": boxes, "inputImageProperties": {"height": h_, "width": w},
                                    "initialValueModified": modified}}
        label_all("street-adjust", answer, 2)
        lines = output_lines("street-adjust")
        for b, a in zip(before, lines):
            self.assertEqual(list(a.keys()), list(b.keys()) + ["bbox-adjusted", "bbox-adjusted-metadata"])
            self.assertEqual(a["bbox"], b["bbox"])
            meta = a["bbox-adjusted-metadata"]
            metadata_common(self, meta, "street-adjust", "groundtruth/object-detection")
            self.assertEqual(meta["adjustment-status"], "adjusted" if a["id"] == "street.jpg" else "unadjusted")
            self.assertEqual(len(a["bbox-adjusted"]["annotations"]), len(b["bbox"]["annotations"]))
        car = [x for x in lines[0]["bbox-adjusted"]["annotations"] if x["class_id"] == 0][0]
        old = [x for x in before[0]["bbox"]["annotations"] if x["class_id"] == 0][0]
        self.assertAlmostEqual(car["width"], old["width"] + 10, delta=1)  # one of two widened it by 20

    def test_3_verification_job_on_the_output(self):
        manifest = "s3://%s/out/Street-Boxes/manifests/output/output.manifest" % BUCKET
        create_job("street-verify", "VerificationBoundingBox", "bbox-verdict", manifest,
                   "verdict.json", "verify.html", workers=3)
        SERVER.wait_status("street-verify", ["InProgress"])

        def answer(i, task):
            self.assertIn("overlay='{\"boundingBox\": {\"labels\": [\"car\"", task["html"])  # the earlier boxes
            bad = task["taskInput"]["manifestLine"]["id"] == "park.jpg" and i < 2
            v = {"label": "bad" if bad else "good"}
            if bad and i == 0:
                v["workerComment"] = "The left person's box is too tall."
            return {"verdict": v}
        label_all("street-verify", answer, 3)
        lines = output_lines("street-verify")
        by_id = {l["id"]: l for l in lines}
        self.assertEqual(by_id["street.jpg"]["bbox-verdict"], "0")
        park = by_id["park.jpg"]
        self.assertEqual(park["bbox-verdict"], "1")
        meta = park["bbox-verdict-metadata"]
        self.assertEqual(list(meta.keys()), ["class-name", "confidence", "type", "job-name", "human-annotated",
                                             "creation-date", "worker-feedback"])
        self.assertEqual(meta["class-name"], "bad")
        self.assertEqual(meta["worker-feedback"], [{"comment": "The left person's box is too tall."}])
        metadata_common(self, meta, "street-verify", "groundtruth/label-verification")
        self.assertNotIn("worker-feedback", by_id["street.jpg"]["bbox-verdict-metadata"])

    def test_4_semantic_segmentation_job_writes_the_voted_mask(self):
        import base64
        SERVER.put(BUCKET, "seg.manifest", json.dumps({"source-ref": "s3://%s/img/cat.jpg" % BUCKET}) + "\n")
        SERVER.put(BUCKET, "pets.json", json.dumps({"labels": [{"label": "cat"}, {"label": "dog"}]}))
        SERVER.put(BUCKET, "seg.html",
                   '<crowd-form><crowd-semantic-segmentation name="crowd-semantic-segmentation" '
                   'src="{{ task.input.taskObject | grant_read_access }}" header="Paint the pets" '
                   'labels="{{ task.input.labels | to_json | escape }}"></crowd-semantic-segmentation></crowd-form>')
        create_job("pet-masks", "SemanticSegmentation", "pets-ref", "s3://%s/seg.manifest" % BUCKET,
                   "pets.json", "seg.html", workers=3)
        SERVER.wait_status("pet-masks", ["InProgress"])
        w, h = 64, 48
        # Two workers paint the cat over [10, 40) x [8, 30); the third a larger
        # box around it in another colour of theirs. The vote is the first box.
        rects = [(10, 8, 40, 30, "#2ca02c"), (10, 8, 40, 30, "#2ca02c"), (6, 4, 46, 36, "#ff00aa")]

        def answer(i, task):
            self.assertIn("<crowd-semantic-segmentation", task["html"])
            x0, y0, x1, y1, colour = rects[i]
            rgb = tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))
            png = png_rgba(w, h, lambda x, y: rgb + (255,) if x0 <= x < x1 and y0 <= y < y1 else (0, 0, 0, 0))
            return {"crowd-semantic-segmentation": {
                "inputImageProperties": {"height": h, "width": w},
                "labelMappings": {"cat": {"color": colour}, "dog": {"color": "#1f77b4"}},
                "labeledImage": {"pngImageData": base64.b64encode(png).decode()}}}
        label_all("pet-masks", answer, 3)
        line = output_lines("pet-masks")[0]
        self.assertEqual(list(line.keys()), ["source-ref", "pets-ref", "pets-ref-metadata"])
        uri = line["pets-ref"]
        self.assertRegex(uri, r"^s3://%s/out/pet-masks/annotations/consolidated-annotation/output/0_"
                              r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\.png$" % BUCKET)
        meta = line["pets-ref-metadata"]
        self.assertEqual(list(meta.keys()), ["internal-color-map", "type", "human-annotated", "creation-date", "job-name"])
        metadata_common(self, meta, "pet-masks", "groundtruth/semantic-segmentation")
        cmap = meta["internal-color-map"]
        self.assertEqual({k: (v["class-name"], v["hex-color"]) for k, v in cmap.items()},
                         {"0": ("BACKGROUND", "#ffffff"), "1": ("cat", "#2ca02c"), "2": ("dog", "#1f77b4")})
        self.assertTrue(0.5 < cmap["1"]["confidence"] < 1)
        with open(SERVER.bucket_path(BUCKET, uri[len("s3://%s/" % BUCKET):]), "rb") as f:
            mw, mh, palette, rows = read_indexed_png(f.read())
        self.assertEqual((mw, mh), (w, h))
        for y in range(h):
            for x in range(w):
                want = (0x2c, 0xa0, 0x2c) if 10 <= x < 40 and 8 <= y < 30 else (255, 255, 255)
                self.assertEqual(palette[rows[y][x]], want, (x, y))

    def test_5_adjustment_segmentation_job_chained_on_the_output(self):
        import base64
        before = output_lines("pet-masks")
        manifest = "s3://%s/out/pet-masks/manifests/output/output.manifest" % BUCKET
        # Ground Truth's adjustment template: the earlier mask and its colours
        # from the manifest line, as the element's initial-value.
        SERVER.put(BUCKET, "seg-adjust.html",
                   '{% assign cmap = task.input.manifestLine["pets-ref-metadata"]["internal-color-map"] %}'
                   '<crowd-form><crowd-semantic-segmentation name="crowd-semantic-segmentation" '
                   'src="{{ task.input.taskObject | grant_read_access }}" header="Fix the pets" '
                   'labels="{{ task.input.labels | to_json | escape }}" '
                   "initial-value='{\"labelMappings\": {\"cat\": {\"color\": {{ cmap[\"1\"][\"hex-color\"] | to_json }}}, "
                   "\"dog\": {\"color\": {{ cmap[\"2\"][\"hex-color\"] | to_json }}}}, "
                   "\"src\": {{ task.input.manifestLine[\"pets-ref\"] | grant_read_access | to_json }}}'>"
                   '</crowd-semantic-segmentation></crowd-form>')
        create_job("pet-masks-fixed", "AdjustmentSemanticSegmentation", "pets-fixed-ref", manifest,
                   "pets.json", "seg-adjust.html", workers=3)
        SERVER.wait_status("pet-masks-fixed", ["InProgress"])
        shown = []

        def answer(i, task):
            line = task["taskInput"]["manifestLine"]
            self.assertEqual(line["pets-ref"], before[0]["pets-ref"])  # the earlier label is there
            m = re.search(r"initial-value='([^']*)'", task["html"])
            self.assertIsNotNone(m, task["html"])
            initial = json.loads(htmllib.unescape(m.group(1)))
            self.assertEqual(initial["labelMappings"], {"cat": {"color": "#2ca02c"}, "dog": {"color": "#1f77b4"}})
            self.assertIn("/worker/media", initial["src"])
            # The worker's browser fetches the earlier mask through the link.
            url = initial["src"] if initial["src"].startswith("http") else SERVER.url + initial["src"]
            with WORKERS[i].opener.open(url, timeout=30) as r:
                self.assertEqual(r.status, 200)
                mask = r.read()
            mw, mh, palette, rows = read_indexed_png(mask)
            shown.append(mask)
            # Workers 0 and 1 extend the cat 6 px to the right; worker 2 keeps
            # the mask as shown (sent back as an RGBA PNG, as a canvas would).
            grow = i < 2
            cat = (0x2c, 0xa0, 0x2c)

            def pixel(x, y):
                if palette[rows[y][x]] == cat or (grow and 40 <= x < 46 and 8 <= y < 30):
                    return cat + (255,)
                return (0, 0, 0, 0)
            png = png_rgba(mw, mh, pixel)
            return {"crowd-semantic-segmentation": {
                "inputImageProperties": {"height": mh, "width": mw},
                "labelMappings": initial["labelMappings"],
                "labeledImage": {"pngImageData": base64.b64encode(png).decode()},
                "initialValueModified": grow}}
        label_all("pet-masks-fixed", answer, 3)
        self.assertEqual(len(shown), 3)
        line = output_lines("pet-masks-fixed")[0]
        self.assertEqual(list(line.keys()), ["source-ref", "pets-ref", "pets-ref-metadata", "pets-fixed-ref",
                                             "pets-fixed-ref-metadata"])
        self.assertEqual(line["pets-ref"], before[0]["pets-ref"])
        self.assertEqual(line["pets-ref-metadata"], before[0]["pets-ref-metadata"])
        uri = line["pets-fixed-ref"]
        self.assertRegex(uri, r"^s3://%s/out/pet-masks-fixed/annotations/consolidated-annotation/output/0_"
                              r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\.png$" % BUCKET)
        meta = line["pets-fixed-ref-metadata"]
        self.assertEqual(list(meta.keys()), ["internal-color-map", "type", "human-annotated", "creation-date",
                                             "job-name", "adjustment-status"])
        metadata_common(self, meta, "pet-masks-fixed", "groundtruth/semantic-segmentation")
        self.assertEqual(meta["adjustment-status"], "adjusted")
        self.assertEqual({k: (v["class-name"], v["hex-color"]) for k, v in meta["internal-color-map"].items()},
                         {"0": ("BACKGROUND", "#ffffff"), "1": ("cat", "#2ca02c"), "2": ("dog", "#1f77b4")})
        # Both masks are readable: the earlier one unchanged, the new one the
        # majority's larger cat, but for the new part's two outer corners,
        # where two of three workers' votes smoothed over 3x3 lose (9/16
        # each against the background's 30/16).
        for attr, x_end in (("pets-ref", 40), ("pets-fixed-ref", 46)):
            with open(SERVER.bucket_path(BUCKET, line[attr][len("s3://%s/" % BUCKET):]), "rb") as f:
                data = f.read()
            if attr == "pets-ref":
                self.assertEqual(data, shown[0])  # what the workers were shown
            mw, mh, palette, rows = read_indexed_png(data)
            self.assertEqual((mw, mh), (64, 48))
            for y in range(mh):
                for x in range(mw):
                    inside = 10 <= x < x_end and 8 <= y < 30 and (attr == "pets-ref" or (x, y) not in ((45, 8), (45, 29)))
                    want = (0x2c, 0xa0, 0x2c) if inside else (255, 255, 255)
                    self.assertEqual(palette[rows[y][x]], want, (attr, x, y))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
