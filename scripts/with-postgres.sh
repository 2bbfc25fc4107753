#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server:
#   scripts/with-postgres.sh [--durable] COMMAND [ARGS...]
# Starts a fresh cluster in a temporary directory on 127.0.0.1 (a free port,
# fsync off unless --durable), exports PLUMBLINE_TEST_PG (a postgresql:// URL
# of its `plumbline` database), PLUMBLINE_TEST_PG_LOG and PLUMBLINE_TEST_PG_DATA,
# runs the command, then stops the server by
# its PID and removes the directory. Exits with the command's status.
# When the server cannot be started the script exits 77 (ctest's skip code),
# except under CI=true, where that is a failure (exit 1).
# As root the server runs as the `postgres` user (runuser), as anyone else
# as that user.
set -euo pipefail

fsync=off
if [[ "${1:-}" == "--durable" ]]; then fsync=on; shift; fi
[[ $# -gt 0 ]] || { echo "usage: $0 [--durable] COMMAND [ARGS...]" >&2; exit 2; }

cannot_start() {
  echo "with-postgres: $*" >&2
  if [[ "${CI:-}" == "true" ]]; then exit 1; fi
  echo "with-postgres: skipped (PostgreSQL unavailable; CI=true makes this a failure)" >&2
  exit 77
}

bin=""
for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/pg_ctl" ]] && bin="$d"; done
[[ -n "$bin" ]] || cannot_start "no PostgreSQL server found (Debian: apt-get install postgresql-15)"

dir=$(mktemp -d "${TMPDIR:-/tmp}/plb-pg.XXXXXX")
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || cannot_start "no 'postgres' user to run the server as"
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
fi
pid=""
cleanup() {
  if [[ -f "$dir/data/postmaster.pid" ]]; then pid=$(head -1 "$dir/data/postmaster.pid"); fi
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true  # "fast" shutdown
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; cannot_start "initdb failed"; }

# A free port: ask the kernel for one, then let the server take it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bin/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" -k "$dir" \
  -c fsync=$fsync -c synchronous_commit=on -c full_page_writes=$fsync -c max_connections=200 \
  -c shared_buffers=64MB >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; cannot_start "the server exited"; }
  sleep 0.05
done
"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || { cat "$dir/server.log" >&2; cannot_start "the server did not come up"; }
# The server's own PID (under runuser, $! is runuser's).
pid=$(head -1 "$dir/data/postmaster.pid")
psql=psql
[[ -x "$bin/psql" ]] && psql="$bin/psql"
"$psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE plumbline" >/dev/null

export PLUMBLINE_TEST_PG="postgresql://postgres@127.0.0.1:$port/plumbline"
export PLUMBLINE_TEST_PG_LOG="$dir/server.log"
# Its data directory: a test that restarts the server (its command line is
# in postmaster.opts there, its PID in postmaster.pid) finds it here.
export PLUMBLINE_TEST_PG_DATA="$dir/data"
set +e
"$@"
status=$?
set -e
exit $status
