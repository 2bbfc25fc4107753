#!/usr/bin/env bash
# Consolidation through a Python function beside the built-in
# ACS-TextMultiClass, with WORKERS (64) workers submitting, in one server
# run: two jobs on the same data, one per consolidation, labeled in turn
# (built-in, Python, built-in, Python, ... ROUNDS times) by load_bench's
# portal flow (a submit with "next" claims the next task) for SECONDS_RUN
# seconds each. For each turn it prints the answers per second and the
# consolidation lag (bench/functions/consolidation_lag.py: how long after an
# object's last answer its label was stored, and how long the backlog took
# to drain once the load stopped), and the load average before and after.
#
# The Python function is written as Lambda code often is: its boto3 client
# made once at import, with nothing but the environment (the job's
# credentials and the endpoint, in the worker's environment from its
# start). It reads the batch's request file from S3 and takes a majority
# vote, as Ground Truth's sample consolidation functions do. The data are
# uploaded through S3 into a bucket made with `aws s3 mb`, which the
# function's S3 client sees as the runner does.
#
# Usage: bench/functions/consolidation.sh   (WORKERS, SECONDS_RUN, ROUNDS,
#   OBJECTS, PLUMBLINE_PYTHON: the functions' interpreter, /usr/bin/python3
#   when it exists, for the machine's own boto3)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKERS="${WORKERS:-64}"
SECONDS_RUN="${SECONDS_RUN:-10}"
ROUNDS="${ROUNDS:-2}"
OBJECTS="${OBJECTS:-60000}"
if [[ -z "${PLUMBLINE_PYTHON:-}" ]]; then
  PLUMBLINE_PYTHON=python3
  [[ -x /usr/bin/python3 ]] && PLUMBLINE_PYTHON=/usr/bin/python3
fi
[[ -f build/build.ninja ]] || scripts/build.sh >/dev/null
cmake --build build --target plumbline load_bench >/dev/null
dir=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
export PLUMBLINE_ROOT_ACCESS_KEY_ID=AKIDBENCH PLUMBLINE_ROOT_SECRET_ACCESS_KEY=bench-secret
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1 \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
mkdir -p "$dir/data" "$dir/files" "$dir/acs"
python3 - "$dir/files" "$OBJECTS" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
with open(d + "/m.manifest", "w") as f:
    for i in range(n):
        f.write(json.dumps({"source": "sentence %d" % i}) + "\n")
open(d + "/c.json", "w").write('{"labels":[{"label":"person"},{"label":"animal"},{"label":"plant"}]}')
open(d + "/t.html", "w").write("<p>{{ task.input.taskObject }}</p>")
PY
cat >"$dir/acs/acs.py" <<'PY'
import json
from collections import Counter
from urllib.parse import urlparse

import boto3

s3 = boto3.client("s3")


def lambda_handler(event, context):
    uri = urlparse(event["payload"]["s3Uri"])
    body = s3.get_object(Bucket=uri.netloc, Key=uri.path.lstrip("/"))["Body"].read()
    label_attribute = event["labelAttributeName"]
    consolidated = []
    for item in json.loads(body):
        votes = Counter()
        for annotation in item["annotations"]:
            answer = json.loads(annotation["annotationData"]["content"])
            votes[answer["crowd-classifier"]["label"]] += 1
        label, count = max(sorted(votes.items()), key=lambda kv: kv[1])
        consolidated.append({
            "datasetObjectId": item["datasetObjectId"],
            "consolidatedAnnotation": {"content": {
                label_attribute: {"label": label},
                label_attribute + "-metadata": {
                    "type": "groundtruth/custom", "confidence": count / len(item["annotations"]),
                    "human-annotated": "yes"}}}})
    return consolidated
PY
acs_arn=$(build/plumbline functions create --data-dir "$dir/data" --name bench-acs \
  --runtime python3.11 --handler acs.lambda_handler --code-dir "$dir/acs" --timeout 60 \
  --memory 512 | python3 -c 'import json, sys; print(json.load(sys.stdin)["FunctionArn"])')
for i in $(seq 0 $((WORKERS - 1))); do
  echo "w$i-password" | build/plumbline users add --data-dir "$dir/data" --username "w$i" \
    --password-stdin --groups crowd >/dev/null
done
build/plumbline serve --data-dir "$dir/data" --listen 127.0.0.1:0 --python "$PLUMBLINE_PYTHON" \
  ${SERVE_ARGS:-} >"$dir/out" 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$dir/out")
aws() { /usr/bin/aws --endpoint-url "$url" "$@"; }
bucket=plumbline-bench
aws s3 mb "s3://$bucket" >/dev/null
for f in m.manifest c.json t.html; do aws s3 cp --quiet "$dir/files/$f" "s3://$bucket/$f"; done
team=$(aws sagemaker create-workteam --workteam-name crowd --description d \
  --member-definitions '[{"OidcMemberDefinition":{"Groups":["crowd"]}}]' --query WorkteamArn --output text)
builtin_acs="arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass"
for job in builtin python; do
  acs=$builtin_acs
  [[ $job == python ]] && acs=$acs_arn
  aws sagemaker create-labeling-job --labeling-job-name "$job" \
    --label-attribute-name l --label-category-config-s3-uri "s3://$bucket/c.json" \
    --role-arn arn:aws:iam::123456789012:role/r \
    --input-config "{\"DataSource\":{\"S3DataSource\":{\"ManifestS3Uri\":\"s3://$bucket/m.manifest\"}}}" \
    --output-config "{\"S3OutputPath\":\"s3://$bucket/out\"}" \
    --human-task-config "{\"WorkteamArn\":\"$team\",\"UiConfig\":{\"UiTemplateS3Uri\":\"s3://$bucket/t.html\"},\"PreHumanTaskLambdaArn\":\"arn:aws:lambda:us-east-1:432418664414:function:PRE-TextMultiClass\",\"AnnotationConsolidationConfig\":{\"AnnotationConsolidationLambdaArn\":\"$acs\"},\"TaskTitle\":\"t\",\"TaskDescription\":\"d\",\"NumberOfHumanWorkersPerDataObject\":3,\"TaskTimeLimitInSeconds\":300}" >/dev/null
done
for job in builtin python; do
  for _ in $(seq 300); do
    s=$(aws sagemaker describe-labeling-job --labeling-job-name "$job" --query LabelingJobStatus --output text)
    [[ "$s" == InProgress ]] && break
    sleep 0.2
  done
done
echo "python: $("$PLUMBLINE_PYTHON" -c 'import sys, boto3; print(sys.version.split()[0], "boto3", boto3.__version__)')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for round in $(seq "$ROUNDS"); do
  for job in builtin python; do
    rm -f "$dir/stop"
    python3 bench/functions/consolidation_lag.py --db "$dir/data/plumbline.db" --job "$job" \
      --stop-file "$dir/stop" --label "$job round=$round" >"$dir/lag" &
    sampler=$!
    sleep 0.5
    build/bench/labeling/load_bench --url "$url" --job "$job" --user-prefix w \
      --password-suffix -password --workers "$WORKERS" --seconds "$SECONDS_RUN" \
      --flow next --references 0 --server-pid "$pid" | sed "s/^/$job round=$round /" || status=$?
    touch "$dir/stop"
    wait "$sampler" || status=$?
    cat "$dir/lag"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
failed=$(grep -c "consolidation function .* failed" "$dir/log" || true)
echo "consolidation function failures in the server log: $failed"
[[ "$failed" == 0 ]] || { grep -m 3 "consolidation function" "$dir/log"; status=1; }
exit $status
