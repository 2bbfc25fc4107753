#!/usr/bin/env bash
# Claim + submit on PostgreSQL with 1, 2 and 3 replicas beside SQLite, on
# this machine:
#   1. the raw single-row commit rate of a throwaway PostgreSQL (fsync on,
#      synchronous_commit on: what a durable answer costs), with pgbench at
#      1 and at 64 clients;
#   2. bench/labeling/load.sh (64 workers claiming and submitting through the
#      HTTP API) against 1, 2 and 3 `plumbline serve --store postgresql://...`
#      replicas sharing that server (each count on a fresh schema; the
#      workers spread over the replicas), and after each count what it left
#      in the tables claims and submits update (updates, HOT ones, dead rows,
#      autovacuum passes) and the server's checkpoints and WAL
#      (table_stats.sql);
#   3. the same load.sh on the default SQLite store (one server);
#   4. a summary: each run's rates beside the raw commit rates, and the CPU
#      milliseconds each round trip cost the servers, PostgreSQL (the
#      postmaster and every process under it) and the load client.
# Environment: WORKERS (64), SECONDS_RUN (5), OBJECTS (40000: 120,000 answers, so
# that two 5-second flows at 6,000+ tasks/s do not run the job out), REPLICA_COUNTS ("1 2 3"),
# SQLITE (1; 0 skips the SQLite run), SQLITE_OBJECTS (100000: the SQLite run's
# job), PLUMBLINE_BIN (build/plumbline: another build to measure, see load.sh),
# PG_DATA_TMPDIR (/dev/shm when writable; empty: the disk): where the
# PostgreSQL runs' replicas keep their data dir, which then holds only the
# buckets (the job's files and consolidation's output; a scaled-out
# installation keeps them on an S3 server elsewhere). On this kind of
# machine's journal-less ext4, creating a file next to thousands deleted in
# the last minutes (every run removes its own) scans past each of them: the
# runner's per-object output files then cost half a core the database
# needs. PostgreSQL's own data stays on the disk, fsync on; the SQLite run
# keeps its data dir on the disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WORKERS="${WORKERS:-64}" SECONDS_RUN="${SECONDS_RUN:-5}" OBJECTS="${OBJECTS:-40000}"
export REPLICA_COUNTS="${REPLICA_COUNTS:-1 2 3}"
SQLITE="${SQLITE:-1}"
if [[ -z "${PG_DATA_TMPDIR+set}" ]]; then
  PG_DATA_TMPDIR=""
  [[ -d /dev/shm && -w /dev/shm ]] && PG_DATA_TMPDIR=/dev/shm
fi
export PG_DATA_TMPDIR
scripts/build.sh >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export BENCH_OUT="$out"
echo "machine: $(nproc) cores; load before: $(uptime | sed 's/.*load average/load average/')"
echo "replicas' data dir (buckets) under: ${PG_DATA_TMPDIR:-the disk (TMPDIR)}"

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
    echo "$tps" >"$BENCH_OUT/raw$c"
  done
  rm -f "$script"
  for n in $REPLICA_COUNTS; do
    echo "--- plumbline on PostgreSQL ($n replica(s)) ---"
    DB_PID=$(head -1 "$PLUMBLINE_TEST_PG_DATA/postmaster.pid") \
    PLUMBLINE_STORE="$PLUMBLINE_TEST_PG?schema=bench$n" REPLICAS=$n DATA_TMPDIR="$PG_DATA_TMPDIR" \
      bench/labeling/load.sh |
      tee "$BENCH_OUT/pg$n"
    psql -X -q -A -t -F " " -v schema="bench$n" -f bench/postgres/table_stats.sql "$PLUMBLINE_TEST_PG" |
      sed "s/^/pg$n tables: /; s/ *\$//"
  done
'
runs=$(for n in $REPLICA_COUNTS; do echo "pg$n"; done)
if [[ "$SQLITE" != 0 ]]; then
  echo "--- plumbline on SQLite ---"
  # SQLite answers faster: a job of OBJECTS would run out of tasks.
  OBJECTS="${SQLITE_OBJECTS:-100000}" bench/labeling/load.sh | tee "$out/sqlite"
  runs="$runs sqlite"
fi
echo "load after: $(uptime | sed 's/.*load average/load average/')"

# The summary: claim+submit round trips per second of each run and flow,
# and their ratio to the raw commit rates at 1 and at WORKERS clients.
raw1=$(cat "$out/raw1") rawn=$(cat "$out/raw$WORKERS")
echo "--- summary (raw PostgreSQL commits: $raw1/s at 1 client, $rawn/s at $WORKERS) ---"
for f in $runs; do
  awk -v run="$f" -v raw1="$raw1" -v rawn="$rawn" '
    /cpu_ms_per_round_trip:/ {
      line = $0; sub(/.*cpu_ms_per_round_trip: /, "", line)
      printf "%-7s %-18s CPU ms per round trip: %s\n", run, mode, line
    }
    /claim_submit_per_s=/ {
      mode = $1; sub(":", "", mode)
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%-7s %-18s %6d/s p50 %7.1f ms  vs raw 1 client %.2fx  vs raw %s clients %.2fx\n",
             run, mode, v["claim_submit_per_s"], v["p50_ms"], v["claim_submit_per_s"] / raw1,
             v["workers"], v["claim_submit_per_s"] / rawn
    }' "$out/$f"
done
