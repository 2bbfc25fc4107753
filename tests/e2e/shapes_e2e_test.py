#!/usr/bin/env python3
"""End to end, custom templates that draw polygons, keypoints, polylines and
lines, consolidated by Plumbline's own ACS-PlumblineShapes: a job created
with the real aws CLI, its template holding a crowd-polygon, a crowd-keypoint
and a crowd-polyline, labeled through the worker JSON API by three workers
(traces with noise, one careless worker who also draws a stray polygon),
completes with one output line per image: each element's consolidated
shapes in the element's own answer form, a confidence per shape and
Ground Truth's metadata. A second job pre-annotates with the team's own
Python function (registered with `aws lambda create-function`) and
consolidates crowd-line answers with the same built-in rule.

Usage: shapes_e2e_test.py --binary build/plumbline
"""

import argparse
import io
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
TEAM_ARN = None
WORKERS = []
TMP = None
BUCKET = "shape-bucket"
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
LABELS = ["dog", "cat", "nose", "tail", "leash"]
# Per image: its size, the true polygons (label, vertices), keypoints
# (label, x, y) and polylines (label, vertices).
TRUTH = {
    "yard.jpg": ((800, 600),
                 [("dog", [(100, 100), (400, 120), (380, 400), (120, 380)]),
                  ("cat", [(500, 300), (700, 320), (650, 500)])],
                 [("nose", 390, 150), ("tail", 110, 360)],
                 [("leash", [(400, 130), (500, 60), (650, 40)])]),
    "couch.jpg": ((640, 480),
                  [("cat", [(200, 150), (450, 150), (450, 400), (200, 400)])],
                  [("nose", 300, 200)],
                  []),
}


def hook(kind, region="us-west-2", account="081040173940"):
    return "arn:aws:lambda:%s:%s:function:%s-PlumblineShapes" % (region, account, kind)


def create_job(name, attr, template, pre_arn, acs_arn, workers=3, check=True):
    htc = {"WorkteamArn": TEAM_ARN, "UiConfig": {"UiTemplateS3Uri": "s3://%s/%s" % (BUCKET, template)},
           "PreHumanTaskLambdaArn": pre_arn,
           "TaskTitle": name, "TaskDescription": "trace " + name,
           "NumberOfHumanWorkersPerDataObject": workers, "TaskTimeLimitInSeconds": 300,
           "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": acs_arn}}
    return SERVER.cli(
        "sagemaker", "create-labeling-job", "--labeling-job-name", name,
        "--label-attribute-name", attr,
        "--input-config", json.dumps({"DataSource": {"S3DataSource": {
            "ManifestS3Uri": "s3://%s/images.manifest" % BUCKET}}}),
        "--output-config", json.dumps({"S3OutputPath": "s3://%s/out/" % BUCKET}),
        "--role-arn", ROLE, "--label-category-config-s3-uri", "s3://%s/labels.json" % BUCKET,
        "--human-task-config", json.dumps(htc), check=check)


def label_all(job, answer_of):
    """Each worker claims and answers until nothing is left for them. Until
    the first claim succeeds, an empty answer means the objects are still
    being pre-processed (a custom function runs on the runner after the job
    is InProgress): asked again for up to a minute."""
    claims = 0
    deadline = time.time() + 60
    for i, w in enumerate(WORKERS):
        while True:
            status, task, _ = w.request("POST", "/worker/api/jobs/%s/claim" % job)
            if status == 204 and claims == 0 and time.time() < deadline:
                time.sleep(0.2)
                continue
            if status == 204:
                break
            assert status == 200, (status, task)
            claims += 1
            status, body, _ = w.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                        {"answer": answer_of(i, task)})
            assert status == 200, (status, body)
    return claims


def output_lines(job):
    path = SERVER.bucket_path(BUCKET, "out/%s/manifests/output/output.manifest" % job)
    deadline = time.time() + 60
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.1)
    SERVER.wait_status(job, ["Completed"], timeout=30)
    with open(path) as f:
        return [json.loads(line) for line in f]


def image_of(source):
    return source.rsplit("/", 1)[1]


def polygon_iou(a, b, grid=200):
    """IoU of two polygons [(x, y)], counted on a grid over their bounds."""
    xs = [p[0] for p in a + b]
    ys = [p[1] for p in a + b]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)

    def inside(poly, x, y):
        c = False
        for (ax, ay), (bx, by) in zip(poly, poly[1:] + poly[:1]):
            if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
                c = not c
        return c
    inter = union = 0
    for i in range(grid):
        for j in range(grid):
            x, y = x0 + (i + 0.5) * (x1 - x0) / grid, y0 + (j + 0.5) * (y1 - y0) / grid
            ia, ib = inside(a, x, y), inside(b, x, y)
            inter += ia and ib
            union += ia or ib
    return inter / union if union else 0.0


def vertices(shape):
    return [(v["x"], v["y"]) for v in shape["vertices"]]


def package(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    fd, path = tempfile.mkstemp(suffix=".zip", dir=TMP)
    os.write(fd, buf.getvalue())
    os.close(fd)
    return path


# The team's own pre-annotation function: the image and the line labels
# the crowd-line shows.
LINE_PRE = """
def lambda_handler(event, context):
    return {"taskInput": {"taskObject": event["dataObject"]["source-ref"],
                          "labels": ["leash", "tail"]},
            "isHumanAnnotationRequired": "true"}
"""


def setUpModule():
    global SERVER, TEAM_ARN, TMP
    TMP = tempfile.mkdtemp(prefix="plb-shapes-")
    SERVER = h.Server(ARGS.binary)
    for name in ("ana", "bo", "cy"):
        SERVER.add_user(name, name + "-password-1", groups=["tracers"])
        w = h.Worker(SERVER)
        assert w.login(name, name + "-password-1")[0] == 200
        WORKERS.append(w)
    _, out, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "shape-team",
                           "--description", "team", "--member-definitions",
                           '[{"OidcMemberDefinition":{"Groups":["tracers"]}}]')
    TEAM_ARN = out["WorkteamArn"]
    SERVER.put(BUCKET, "images.manifest", "".join(
        json.dumps({"source-ref": "s3://%s/img/%s" % (BUCKET, k), "id": k}) + "\n" for k in TRUTH))
    SERVER.put(BUCKET, "labels.json", json.dumps({"document-version": "2018-11-28",
                                                   "labels": [{"label": l} for l in LABELS]}))
    src = 'src="{{ task.input.taskObject | grant_read_access }}"'
    SERVER.put(BUCKET, "shapes.html",
               '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>'
               '<crowd-form>'
               '<crowd-polygon name="outline" ' + src + ' header="Outline every animal" '
               "labels='[\"dog\", \"cat\"]'></crowd-polygon>"
               '<crowd-keypoint name="parts" ' + src + ' header="Mark noses and tails" '
               "labels='[\"nose\", \"tail\"]'></crowd-keypoint>"
               '<crowd-polyline name="leash" ' + src + ' header="Trace the leash" '
               "labels='[\"leash\"]'></crowd-polyline>"
               '<crowd-input name="comment" label="Anything odd?"></crowd-input>'
               '</crowd-form>')
    SERVER.put(BUCKET, "lines.html",
               '<crowd-form><crowd-line name="measure" ' + src + ' header="Draw the leash" '
               'labels="{{ task.input.labels | to_json | escape }}"></crowd-line></crowd-form>')


def tearDownModule():
    if SERVER:
        if os.environ.get("PLUMBLINE_E2E_KEEP"):
            print("server log:\n" + SERVER.server_log())
        SERVER.cleanup()


class ShapesTest(unittest.TestCase):
    def test_1_polygons_keypoints_and_polylines_of_one_template(self):
        create_job("Dog-Shapes", "shapes", "shapes.html", hook("PRE"), hook("ACS"))
        SERVER.wait_status("Dog-Shapes", ["InProgress"])
        rng = random.Random(16)

        def answer(i, task):
            for element in ("<crowd-polygon", "<crowd-keypoint", "<crowd-polyline"):
                self.assertIn(element, task["html"])
            self.assertIn("/worker/media", task["html"])
            self.assertEqual(task["taskInput"]["labels"], LABELS)
            (w, hh), polygons, keypoints, polylines = TRUTH[image_of(task["taskInput"]["taskObject"])]
            careless = i == 2
            sd = 12 if careless else 2

            def jitter(pts):
                return [{"x": round(x + rng.gauss(0, sd)), "y": round(y + rng.gauss(0, sd))} for x, y in pts]
            size = {"height": hh, "width": w}
            outline = [{"label": l, "vertices": jitter(v)} for l, v in polygons]
            if careless:  # a stray polygon nobody else draws
                outline.append({"label": "dog", "vertices": jitter([(10, 10), (60, 10), (35, 50)])})
            parts = [{"label": l, "x": round(x + rng.gauss(0, sd)), "y": round(y + rng.gauss(0, sd))}
                     for l, x, y in keypoints]
            leash = [{"label": l, "vertices": jitter(v)} for l, v in polylines]
            if i == 1:
                leash = [{"label": l["label"], "vertices": l["vertices"][::-1]} for l in leash]  # drawn backwards
            return {"outline": {"inputImageProperties": size, "polygons": outline},
                    "parts": {"inputImageProperties": size, "keypoints": parts},
                    "leash": {"inputImageProperties": size, "polylines": leash},
                    "comment": "careless" if careless else ""}
        self.assertEqual(label_all("Dog-Shapes", answer), 6)
        lines = output_lines("Dog-Shapes")
        self.assertEqual([l["id"] for l in lines], list(TRUTH))
        for line in lines:
            (w, hh), polygons, keypoints, polylines = TRUTH[line["id"]]
            self.assertEqual(list(line.keys()), ["source-ref", "id", "shapes", "shapes-metadata"])
            label, meta = line["shapes"], line["shapes-metadata"]
            self.assertEqual(sorted(label), ["leash", "outline", "parts"])
            size = {"height": hh, "width": w}
            self.assertEqual(label["outline"]["inputImageProperties"], size)
            self.assertEqual(list(meta.keys()), ["job-name", "class-map", "human-annotated", "objects",
                                                 "creation-date", "type"])
            self.assertEqual(meta["job-name"], "labeling-job/dog-shapes")
            self.assertEqual(meta["human-annotated"], "yes")
            self.assertRegex(meta["creation-date"], DATE)
            self.assertEqual(meta["type"], "groundtruth/custom")
            # Polygons: each true one found once, close to the truth; the
            # careless worker's stray polygon is outvoted.
            got = label["outline"]["polygons"]
            self.assertEqual(len(got), len(polygons), got)
            for l, v in polygons:
                match = [g for g in got if polygon_iou(vertices(g), v, grid=80) > 0.9]
                self.assertEqual(len(match), 1, (l, got))
                self.assertEqual(match[0]["label"], l)
                self.assertEqual(list(match[0].keys()), ["label", "vertices"])
            # Keypoints: a weighted median per part, within a few pixels.
            got = {k["label"]: k for k in label["parts"]["keypoints"]}
            self.assertEqual(sorted(got), sorted(l for l, _, _ in keypoints))
            for l, x, y in keypoints:
                self.assertLess(math.hypot(got[l]["x"] - x, got[l]["y"] - y), 6, got[l])
                self.assertEqual(list(got[l].keys()), ["label", "x", "y"])
            # Polylines: the medoid, whatever way each worker drew it.
            got = label["leash"]["polylines"]
            self.assertEqual(len(got), len(polylines))
            for g, (l, v) in zip(got, polylines):
                self.assertEqual(g["label"], l)
                ends = vertices(g)
                if math.dist(ends[0], v[0]) > math.dist(ends[-1], v[0]):
                    ends = ends[::-1]
                for p, q in zip(ends, v):
                    self.assertLess(math.dist(p, q), 12, (ends, v))
            # A confidence per shape, parallel to each element's list.
            for name, key in (("outline", "polygons"), ("parts", "keypoints"), ("leash", "polylines")):
                self.assertEqual(len(meta["objects"][name]), len(label[name][key]))
                for o in meta["objects"][name]:
                    self.assertTrue(0.5 < o["confidence"] <= 1, meta["objects"])
            used = sorted({s["label"] for s in label["outline"]["polygons"] + label["parts"]["keypoints"]
                           + label["leash"]["polylines"]}, key=LABELS.index)
            self.assertEqual(meta["class-map"], {str(LABELS.index(l)): l for l in used})
        self.assertEqual(lines[1]["shapes"]["leash"]["polylines"], [])
        self.assertEqual(lines[1]["shapes-metadata"]["objects"]["leash"], [])

    def test_2_custom_pre_function_with_the_built_in_shape_consolidation(self):
        SERVER.cli("lambda", "create-function", "--function-name", "line-pre", "--runtime", "python3.11",
                   "--handler", "pre.lambda_handler", "--role", ROLE, "--timeout", "5",
                   "--zip-file", "fileb://" + package({"pre.py": LINE_PRE}))
        _, fn, _ = SERVER.cli("lambda", "get-function", "--function-name", "line-pre")
        # Plumbline's ACS from any account and region.
        create_job("leash-lines", "measure", "lines.html", fn["Configuration"]["FunctionArn"],
                   hook("ACS", "eu-west-1", "111122223333"))
        SERVER.wait_status("leash-lines", ["InProgress"])
        leash = {"yard.jpg": ((400, 130), (650, 40)), "couch.jpg": ((100, 100), (300, 100))}

        def answer(i, task):
            self.assertEqual(task["taskInput"]["labels"], ["leash", "tail"])  # from the function
            self.assertIn("<crowd-line", task["html"])
            (a, b) = leash[image_of(task["taskInput"]["taskObject"])]
            off = [0, 4, 2][i]
            v = [{"x": a[0] + off, "y": a[1]}, {"x": b[0] + off, "y": b[1]}]
            return {"measure": {"inputImageProperties": {"height": 480, "width": 640},
                                "lines": [{"label": "leash", "vertices": v[::-1] if i == 1 else v}]}}
        self.assertEqual(label_all("leash-lines", answer), 6)
        lines = output_lines("leash-lines")
        for line in lines:
            a, b = leash[line["id"]]
            self.assertEqual(list(line.keys()), ["source-ref", "id", "measure", "measure-metadata"])
            got = line["measure"]["measure"]
            self.assertEqual(got["inputImageProperties"], {"height": 480, "width": 640})
            self.assertEqual(len(got["lines"]), 1)
            self.assertEqual(got["lines"][0]["label"], "leash")
            ends = vertices(got["lines"][0])
            for p, q in zip(ends, (a, b)):  # weighted mean ends: about +2 px
                self.assertLess(math.dist(p, (q[0] + 2, q[1])), 1.5, ends)
            meta = line["measure-metadata"]
            self.assertEqual(meta["type"], "groundtruth/custom")
            self.assertEqual(meta["class-map"], {"4": "leash"})
            self.assertEqual(len(meta["objects"]["measure"]), 1)
            self.assertGreater(meta["objects"]["measure"][0]["confidence"], 0.5)

    def test_3_the_label_attribute_follows_a_custom_jobs_rule(self):
        rc, _, err = create_job("Dog-Shapes-ref", "shapes-ref", "shapes.html", hook("PRE"), hook("ACS"),
                                check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("must not end with \"-ref\"", err)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
