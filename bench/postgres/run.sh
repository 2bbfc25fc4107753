#!/usr/bin/env bash
# Claim + submit on PostgreSQL beside SQLite, on this machine:
#   1. the raw single-row commit rate of a throwaway PostgreSQL (fsync on,
#      synchronous_commit on: what a durable answer costs), with pgbench at
#      1 and at 64 clients;
#   2. bench/labeling/load.sh (64 workers claiming and submitting through the
#      HTTP API) against one `plumbline serve --store postgresql://...` on
#      that server;
#   3. the same load.sh on the default SQLite store.
# Environment: WORKERS (64), SECONDS_RUN (5), OBJECTS (20000).
set -euo pipefail
cd "$(dirname "$0")/../.."
export WORKERS="${WORKERS:-64}" SECONDS_RUN="${SECONDS_RUN:-5}" OBJECTS="${OBJECTS:-20000}"
scripts/build.sh >/dev/null

# Everything on PostgreSQL runs inside one with-postgres.sh (one server).
scripts/with-postgres.sh --durable bash -c '
  set -euo pipefail
  psql -X -q "$PLUMBLINE_TEST_PG" -c "CREATE TABLE raw_commit(id bigserial PRIMARY KEY, v bigint)"
  script=$(mktemp)
  echo "INSERT INTO raw_commit(v) VALUES (1);" >"$script"
  for c in 1 $WORKERS; do
    tps=$(pgbench -n -f "$script" -c "$c" -j 2 -T "$SECONDS_RUN" "$PLUMBLINE_TEST_PG" 2>/dev/null |
          sed -n "s/^tps = \([0-9.]*\).*/\1/p")
    echo "postgres raw single-row commits, $c client(s): $tps/s"
  done
  rm -f "$script"
  echo "--- plumbline on PostgreSQL (1 replica) ---"
  PLUMBLINE_STORE="$PLUMBLINE_TEST_PG?schema=bench" bench/labeling/load.sh
'
echo "--- plumbline on SQLite ---"
bench/labeling/load.sh
