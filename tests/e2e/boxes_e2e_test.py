#!/usr/bin/env python3
"""End to end, the bounding-box task types: a BoundingBox job created with the
real aws CLI and labeled through the worker JSON API by five simulated
workers (boxes with noise, one careless worker) completes with Ground Truth's
output lines (spec §6.4.7.3); an AdjustmentBoundingBox job chained on its
output shows the earlier boxes to the template through initial-value and
ends with adjustment-status (§6.4.7.4); a VerificationBoundingBox job on the
same output gives the verdict and the workers' feedback (§6.4.7.7).

Usage: boxes_e2e_test.py --binary build/plumbline
"""

import argparse
import html as htmllib
import json
import os
import random
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


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
