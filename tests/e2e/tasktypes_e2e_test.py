#!/usr/bin/env python3
"""End to end, one job per task type of the classification family and NER:
each created with the real aws CLI, labeled by three simulated workers through
the worker JSON API, and checked against Ground Truth's output lines
(spec §6.4.7). Then chained jobs on the NER job's output: under the same
attribute, only a new line is labeled and the others pass through verbatim;
under a new one, both attributes on every line and the earlier labels shown to
the template.

Usage: tasktypes_e2e_test.py --binary build/plumbline
"""

import argparse
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402

ARGS = None
SERVER = None
TEAM_ARN = None
WORKERS = []
BUCKET = "tt-bucket"
ROLE = "arn:aws:iam::123456789012:role/GroundTruthExecutionRole"
REGION_ACCOUNT = ("eu-central-1", "203001061592")
NER_UI = "arn:aws:sagemaker:us-west-2:394669845002:human-task-ui/NamedEntityRecognition"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


def hook(kind, task_type):
    region, account = REGION_ACCOUNT
    return "arn:aws:lambda:%s:%s:function:%s-%s" % (region, account, kind, task_type)


def create_job(name, task_type, attr, manifest, labels, template=None, hosted_ui=None,
               workers=3, check=True):
    ui = {"HumanTaskUiArn": hosted_ui} if hosted_ui else {"UiTemplateS3Uri": "s3://%s/%s" % (BUCKET, template)}
    htc = {"WorkteamArn": TEAM_ARN, "UiConfig": ui,
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
        "--human-task-config", json.dumps(htc), check=check)


def label_all(job, answer_of):
    """Every worker claims and answers until nothing is left for them;
    answer_of(worker_index, task) gives the answer. Returns the claims."""
    claims = []
    for i, w in enumerate(WORKERS):
        while True:
            status, task, _ = w.request("POST", "/worker/api/jobs/%s/claim" % job)
            if status == 204:
                break
            assert status == 200, (status, task)
            claims.append(task)
            status, _, _ = w.request("POST", "/worker/api/tasks/%s/submit" % task["taskId"],
                                     {"answer": answer_of(i, task)})
            assert status == 200
    return claims


def output_lines(job):
    SERVER.wait_status(job, ["Completed"], timeout=30)
    with open(SERVER.bucket_path(BUCKET, "out/%s/manifests/output/output.manifest" % job)) as f:
        return [json.loads(line) for line in f]


def setUpModule():
    global SERVER, TEAM_ARN
    SERVER = h.Server(ARGS.binary)
    for i, name in enumerate(("ann", "ben", "cho")):
        SERVER.add_user(name, name + "-password-1", groups=["labelers"])
        w = h.Worker(SERVER)
        assert w.login(name, name + "-password-1")[0] == 200
        WORKERS.append(w)
    _, out, _ = SERVER.cli("sagemaker", "create-workteam", "--workteam-name", "tt-team",
                           "--description", "team", "--member-definitions",
                           '[{"OidcMemberDefinition":{"Groups":["labelers"]}}]')
    TEAM_ARN = out["WorkteamArn"]
    SERVER.put(BUCKET, "texts.manifest", "\n".join(json.dumps(l) for l in [
        {"source": "Great service, will come back!", "id": 1},
        {"source": "Late and cold. Never again.", "id": 2},
    ]) + "\n")
    SERVER.put(BUCKET, "images.manifest", "\n".join(json.dumps(l) for l in [
        {"source-ref": "s3://%s/img/cat.jpg" % BUCKET},
        {"source-ref": "s3://%s/img/dog.jpg" % BUCKET},
    ]) + "\n")
    # Emoji (outside the BMP) and Arabic: offsets count code points.
    SERVER.put(BUCKET, "ner.manifest", "\n".join(json.dumps(l, ensure_ascii=False) for l in [
        {"source": "Ada Lovelace met Charles Babbage in London.", "doc": "a"},
        {"source": "🎉 Zoë flew to Paris 🇫🇷 with ليلى.", "doc": "b"},
    ]) + "\n")
    SERVER.put(BUCKET, "feelings.json", json.dumps({"document-version": "2018-11-28", "labels": [
        {"label": "joy"}, {"label": "anger"}, {"label": "praise"}, {"label": "complaint"}]}))
    SERVER.put(BUCKET, "animals.json", json.dumps({"labels": [{"label": "cat"}, {"label": "dog"}, {"label": "outdoor"}]}))
    SERVER.put(BUCKET, "ner.json", json.dumps({"document-version": "2018-11-28", "labels": [
        {"label": "person", "shortDisplayName": "per"}, {"label": "place", "shortDisplayName": "plc"}],
        "instructions": {"shortInstruction": "<p>Tag people and places</p>",
                         "fullInstruction": "<ol><li>Whole names</li></ol>"}}))
    SERVER.put(BUCKET, "multi.html",
               '<crowd-form><crowd-classifier-multi-select name="c" categories="{{ task.input.labels | to_json | escape }}" header="h">'
               '<classification-target>{{ task.input.taskObject }}</classification-target></crowd-classifier-multi-select></crowd-form>')
    SERVER.put(BUCKET, "image.html",
               '<crowd-form><crowd-image-classifier name="c" src="{{ task.input.taskObject | grant_read_access }}" '
               'categories="{{ task.input.labels | to_json | escape }}" header="h"></crowd-image-classifier></crowd-form>')
    SERVER.put(BUCKET, "image-multi.html",
               '<crowd-form><crowd-image-classifier-multi-select name="c" src="{{ task.input.taskObject | grant_read_access }}" '
               'categories="{{ task.input.labels | to_json | escape }}" header="h"></crowd-image-classifier-multi-select></crowd-form>')
    # The chained job's template shows the earlier job's entities.
    SERVER.put(BUCKET, "verify.html",
               '<crowd-form><crowd-classifier name="v" categories="{{ task.input.labels | to_json | escape }}" header="Are the entities right?">'
               '<classification-target>{{ task.input.taskObject }}'
               '{% for e in task.input.manifestLine.people.annotations.entities %}<span class="prev">{{ e.label }}:{{ e.startOffset }}-{{ e.endOffset }}</span>{% endfor %}'
               '</classification-target></crowd-classifier></crowd-form>')
    SERVER.put(BUCKET, "verdict.json", json.dumps({"labels": [{"label": "correct"}, {"label": "incorrect"}]}))


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


class TaskTypesTest(unittest.TestCase):
    def test_text_multi_label(self):
        create_job("Feelings-Job", "TextMultiClassMultiLabel", "feelings",
                   "s3://%s/texts.manifest" % BUCKET, "feelings.json", template="multi.html")
        SERVER.wait_status("Feelings-Job", ["InProgress"])
        ticks = {1: [["joy", "praise"], ["praise", "joy"], ["praise"]],
                 2: [["anger", "complaint"], ["complaint"], ["complaint", "joy"]]}

        def answer(i, task):
            self.assertIn("crowd-classifier-multi-select", task["html"])
            return {"c": {"labels": ticks[task["taskInput"]["manifestLine"]["id"]][i]}}
        self.assertEqual(len(label_all("Feelings-Job", answer)), 6)
        lines = output_lines("Feelings-Job")
        self.assertEqual(list(lines[0].keys()), ["source", "id", "feelings", "feelings-metadata"])
        # praise (3 votes) before joy (2); every ticked label is listed.
        self.assertEqual(lines[0]["feelings"], [2, 0])
        meta = lines[0]["feelings-metadata"]
        self.assertEqual(list(meta.keys()), ["job-name", "class-map", "human-annotated",
                                             "creation-date", "confidence-map", "type"])
        self.assertEqual(meta["class-map"], {"2": "praise", "0": "joy"})
        self.assertGreater(meta["confidence-map"]["2"], meta["confidence-map"]["0"])
        self.assertGreater(meta["confidence-map"]["0"], 0.5)
        metadata_common(self, meta, "Feelings-Job", "groundtruth/text-classification-multilabel")
        self.assertEqual(lines[1]["feelings"][0], 3)  # complaint, chosen by all three
        self.assertEqual(set(lines[1]["feelings"]), {3, 1, 0})
        self.assertLess(lines[1]["feelings-metadata"]["confidence-map"]["0"], 0.5)

    def test_image_single_label(self):
        create_job("pets-single", "ImageMultiClass", "pet", "s3://%s/images.manifest" % BUCKET,
                   "animals.json", template="image.html")
        SERVER.wait_status("pets-single", ["InProgress"])
        votes = {"cat.jpg": ["cat", "cat", "dog"], "dog.jpg": ["dog", "dog", "dog"]}

        def answer(i, task):
            self.assertIn("/worker/media", task["html"])  # the image is served signed
            return {"c": {"label": votes[task["taskInput"]["taskObject"].rsplit("/", 1)[1]][i]}}
        label_all("pets-single", answer)
        lines = output_lines("pets-single")
        self.assertEqual(lines[0]["pet"], 0)
        meta = lines[0]["pet-metadata"]
        self.assertEqual(list(meta.keys()), ["confidence", "job-name", "class-name", "human-annotated",
                                             "creation-date", "type"])
        self.assertEqual(meta["class-name"], "cat")
        self.assertTrue(0.5 < meta["confidence"] < 1)
        metadata_common(self, meta, "pets-single", "groundtruth/image-classification")
        self.assertEqual(lines[1]["pet"], 1)
        self.assertGreater(lines[1]["pet-metadata"]["confidence"], meta["confidence"])

    def test_image_multi_label_with_one_worker(self):
        create_job("pets-multi", "ImageMultiClassMultiLabel", "tags", "s3://%s/images.manifest" % BUCKET,
                   "animals.json", template="image-multi.html", workers=1)
        SERVER.wait_status("pets-multi", ["InProgress"])

        def answer(i, task):
            cat = task["taskInput"]["taskObject"].endswith("cat.jpg")
            return {"c": {"labels": ["cat", "outdoor"] if cat else []}}
        label_all("pets-multi", answer)
        lines = output_lines("pets-multi")
        self.assertEqual(lines[0]["tags"], [0, 2])
        meta = lines[0]["tags-metadata"]
        self.assertEqual(meta["class-map"], {"0": "cat", "2": "outdoor"})
        self.assertEqual(meta["confidence-map"], {"0": 0.0, "2": 0.0})  # one worker
        metadata_common(self, meta, "pets-multi", "groundtruth/image-classification-multilabel")
        self.assertEqual(lines[1]["tags"], [])
        self.assertEqual(lines[1]["tags-metadata"]["class-map"], {})

    def test_ner_with_hosted_ui_then_a_chained_job(self):
        create_job("people-job", "NamedEntityRecognition", "people", "s3://%s/ner.manifest" % BUCKET,
                   "ner.json", hosted_ui=NER_UI)
        d = SERVER.wait_status("people-job", ["InProgress"])
        self.assertEqual(d["HumanTaskConfig"]["UiConfig"]["HumanTaskUiArn"], NER_UI)
        # Code-point offsets: "🎉 Zoë flew to Paris 🇫🇷 with ليلى."
        spans = {"a": [[("person", 0, 12), ("person", 17, 32), ("place", 36, 42)],
                       [("person", 0, 12), ("person", 25, 32), ("place", 36, 42)],
                       [("person", 0, 3), ("person", 17, 32)]],
                 "b": [[("person", 2, 5), ("place", 14, 19), ("person", 28, 32)],
                       [("person", 2, 5), ("place", 14, 19), ("person", 28, 32)],
                       [("person", 2, 5), ("person", 14, 19)]]}

        def answer(i, task):
            html = task["html"]
            self.assertIn("<crowd-entity-annotation", html)
            self.assertIn("&quot;shortDisplayName&quot;:&quot;plc&quot;", html)
            self.assertIn("Tag people and places", html)
            doc = task["taskInput"]["manifestLine"]["doc"]
            return {"crowd-entity-annotation": {"entities": [
                {"endOffset": e, "label": l, "startOffset": s} for l, s, e in spans[doc][i]]}}
        label_all("people-job", answer)
        lines = output_lines("people-job")
        self.assertEqual(list(lines[0].keys()), ["source", "doc", "people", "people-metadata"])
        self.assertEqual(lines[0]["people"]["annotations"]["labels"],
                         [{"label": "person", "shortDisplayName": "per"},
                          {"label": "place", "shortDisplayName": "plc"}])
        self.assertEqual(lines[0]["people"]["annotations"]["entities"], [
            {"label": "person", "startOffset": 0, "endOffset": 12},
            {"label": "person", "startOffset": 17, "endOffset": 32},
            {"label": "place", "startOffset": 36, "endOffset": 42}])
        meta = lines[0]["people-metadata"]
        self.assertEqual(list(meta.keys()), ["job-name", "type", "creation-date", "human-annotated", "entities"])
        metadata_common(self, meta, "people-job", "groundtruth/text-span")
        self.assertEqual(len(meta["entities"]), 3)
        for e in meta["entities"]:
            self.assertTrue(0 < e["confidence"] <= 1)
        text = lines[1]["source"]
        ents = lines[1]["people"]["annotations"]["entities"]
        self.assertEqual([text[e["startOffset"]:e["endOffset"]] for e in ents], ["Zoë", "Paris", "ليلى"])
        self.assertEqual([e["label"] for e in ents], ["person", "place", "person"])

        # A job on this output plus one new line, under the same attribute,
        # continues the first: only the new line goes to workers; the
        # labeled lines pass through verbatim and stay out of the counters.
        out_uri = "out/people-job/manifests/output/output.manifest"
        with open(SERVER.bucket_path(BUCKET, out_uri)) as f:
            earlier = f.read()
        SERVER.put(BUCKET, "people-more.manifest", earlier + json.dumps(
            {"source": "Grace Hopper sailed from Norfolk.", "doc": "c"}) + "\n")
        create_job("people-more", "NamedEntityRecognition", "people",
                   "s3://%s/people-more.manifest" % BUCKET, "ner.json", hosted_ui=NER_UI)
        d = SERVER.wait_status("people-more", ["InProgress"])
        self.assertEqual(d["LabelCounters"]["Unlabeled"], 1)

        def more(i, task):
            self.assertEqual(task["taskInput"]["manifestLine"]["doc"], "c")
            return {"crowd-entity-annotation": {"entities": [
                {"startOffset": 0, "endOffset": 12, "label": "person"},
                {"startOffset": 25, "endOffset": 32, "label": "place"}]}}
        self.assertEqual(len(label_all("people-more", more)), 3)
        self.assertEqual(SERVER.wait_status("people-more", ["Completed"], timeout=30)["LabelCounters"]["TotalLabeled"], 1)
        with open(SERVER.bucket_path(BUCKET, "out/people-more/manifests/output/output.manifest")) as f:
            continued = f.read().splitlines()
        self.assertEqual(continued[:2], earlier.splitlines())
        added = json.loads(continued[2])
        self.assertEqual([(e["label"], e["startOffset"]) for e in added["people"]["annotations"]["entities"]],
                         [("person", 0), ("place", 25)])
        self.assertEqual(added["people-metadata"]["job-name"], "labeling-job/people-more")
        # A verification job under a new attribute sees the earlier entities.
        create_job("people-check", "TextMultiClass", "people-verdict",
                   "s3://%s/out/people-job/manifests/output/output.manifest" % BUCKET,
                   "verdict.json", template="verify.html", workers=1)
        SERVER.wait_status("people-check", ["InProgress"])

        def verdict(i, task):
            self.assertIn('<span class="prev">person:', task["html"])
            return {"v": {"label": "correct"}}
        label_all("people-check", verdict)
        chained = output_lines("people-check")
        for before, after in zip(lines, chained):
            self.assertEqual(list(after.keys()), list(before.keys()) + ["people-verdict", "people-verdict-metadata"])
            self.assertEqual(after["people"], before["people"])
            self.assertEqual(after["people-metadata"], before["people-metadata"])
            self.assertEqual(after["people-verdict"], 0)
            self.assertEqual(after["people-verdict-metadata"]["class-name"], "correct")

    def test_hosted_ui_of_another_type_is_refused(self):
        rc, _, err = create_job("feel-hosted", "TextMultiClassMultiLabel", "f",
                                "s3://%s/texts.manifest" % BUCKET, "feelings.json",
                                hosted_ui=NER_UI, check=False)
        self.assertEqual(rc, 254)
        self.assertIn("(ValidationException)", err)
        self.assertIn("HumanTaskUiArn", err)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
