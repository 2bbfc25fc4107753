#!/usr/bin/env bash
# S3 throughput beside the raw filesystem (see s3_bench.py). Needs boto3 on
# the python3 on PATH and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 bench/s3/s3_bench.py --binary build/plumbline "$@"
