#!/usr/bin/env bash
# Claim + submit under load: starts a server on a scratch data dir, creates
# WORKERS workers and a job with enough objects, and runs load_bench against
# it (64 concurrent workers by default). Needs a Release build (scripts/build.sh).
# REPLICAS=N (1) starts N servers on the same data dir and store (a shared
# database: set PLUMBLINE_STORE to a postgresql:// URL) and spreads the
# workers over them. DB_PID=PID (that database's postmaster) has load_bench
# count the database's CPU too. PLUMBLINE_BIN (build/plumbline) runs another
# build of the server, to compare two builds under the same conditions.
# LOAD_ARGS passes more options to load_bench (e.g. "--flow next": only the
# portal's submit+next flow). DATA_TMPDIR=DIR puts the servers' data dir
# (the buckets the job's files and consolidation's output go to, and the
# SQLite store when PLUMBLINE_STORE names none) in a new folder under DIR
# instead of beside the bench's scratch files.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORKERS="${WORKERS:-64}"
SECONDS_RUN="${SECONDS_RUN:-10}"
ROUNDS="${ROUNDS:-1}"
REPLICAS="${REPLICAS:-1}"
OBJECTS="${OBJECTS:-200000}"
bin="${PLUMBLINE_BIN:-build/plumbline}"
scripts/build.sh >/dev/null
dir=$(mktemp -d)
data_parent=$dir
[[ -n "${DATA_TMPDIR:-}" ]] && data_parent=$(mktemp -d -p "$DATA_TMPDIR")
data="$data_parent/data"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$dir" "$data_parent"' EXIT
export PLUMBLINE_ROOT_ACCESS_KEY_ID=AKIDBENCH PLUMBLINE_ROOT_SECRET_ACCESS_KEY=bench-secret
mkdir -p "$data/buckets/b"
python3 - "$data/buckets/b" "$OBJECTS" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
with open(d + "/m.manifest", "w") as f:
    for i in range(n):
        f.write(json.dumps({"source": "sentence %d" % i}) + "\n")
open(d + "/c.json", "w").write('{"labels":[{"label":"person"},{"label":"animal"},{"label":"plant"}]}')
open(d + "/t.html", "w").write("<p>{{ task.input.taskObject }}</p>")
PY
for i in $(seq 0 $((WORKERS - 1))); do
  echo "w$i-password" | "$bin" users add --data-dir "$data" --username "w$i" --password-stdin --groups crowd >/dev/null
done
# One after the other: the first migrates the store, the others find it ready.
urls=()
for r in $(seq "$REPLICAS"); do
  "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 ${SERVE_ARGS:-} >"$dir/out$r" 2>"$dir/log$r" &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$dir/out$r" && break; sleep 0.1; done
  urls+=("$(grep -o 'http://[0-9.:]*' "$dir/out$r")")
done
url=${urls[0]}
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null
team=$(/usr/bin/aws --endpoint-url "$url" sagemaker create-workteam --workteam-name crowd --description d \
  --member-definitions '[{"OidcMemberDefinition":{"Groups":["crowd"]}}]' --query WorkteamArn --output text)
/usr/bin/aws --endpoint-url "$url" sagemaker create-labeling-job --labeling-job-name load \
  --label-attribute-name l --label-category-config-s3-uri s3://b/c.json --role-arn arn:aws:iam::123456789012:role/r \
  --input-config '{"DataSource":{"S3DataSource":{"ManifestS3Uri":"s3://b/m.manifest"}}}' \
  --output-config '{"S3OutputPath":"s3://b/out"}' \
  --human-task-config "{\"WorkteamArn\":\"$team\",\"UiConfig\":{\"UiTemplateS3Uri\":\"s3://b/t.html\"},\"PreHumanTaskLambdaArn\":\"arn:aws:lambda:us-east-1:432418664414:function:PRE-TextMultiClass\",\"AnnotationConsolidationConfig\":{\"AnnotationConsolidationLambdaArn\":\"arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass\"},\"TaskTitle\":\"t\",\"TaskDescription\":\"d\",\"NumberOfHumanWorkersPerDataObject\":3,\"TaskTimeLimitInSeconds\":300}" >/dev/null
for _ in $(seq 100); do
  s=$(/usr/bin/aws --endpoint-url "$url" sagemaker describe-labeling-job --labeling-job-name load --query LabelingJobStatus --output text)
  [[ "$s" == InProgress ]] && break; sleep 0.2
done
status=0
build/bench/labeling/load_bench --url "$(IFS=,; echo "${urls[*]}")" --job load --user-prefix w --password-suffix -password \
  --workers "$WORKERS" --seconds "$SECONDS_RUN" --rounds "$ROUNDS" --scratch "$dir" --server-pid "$(IFS=,; echo "${pids[*]}")" \
  ${DB_PID:+--db-pid "$DB_PID"} ${LOAD_ARGS:-} || status=$?
# How far consolidation kept up: objects labeled by the end of the run.
sleep 1
/usr/bin/aws --endpoint-url "$url" sagemaker describe-labeling-job --labeling-job-name load \
  --query 'LabelCounters.[HumanLabeled,Unlabeled]' --output text |
  awk '{print "labeled_after_run=" $1 " unlabeled=" $2}'
exit $status
