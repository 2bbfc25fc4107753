#!/bin/sh
# Starts PostgreSQL for deploy/compose.yaml. The first start, on an empty
# PGDATA, makes the cluster: POSTGRES_USER as its superuser with
# POSTGRES_PASSWORD (scram-sha-256 from the network, trust only on the
# container's own socket), the database POSTGRES_DB, listening on every
# address of the container. Later starts run the cluster as it is.
set -eu
: "${PGDATA:?}"
if [ "${1:-}" = "postgres" ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:?set POSTGRES_USER}" "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
  db="${POSTGRES_DB:-$POSTGRES_USER}"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  if [ "$db" != "postgres" ]; then
    # On the socket only while the database is made.
    pg_ctl --pgdata="$PGDATA" --wait --silent -o "-c listen_addresses=''" start
    createdb --username="$POSTGRES_USER" "$db"
    pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
  fi
  echo "plumbline-postgres: made the cluster in $PGDATA (user $POSTGRES_USER, database $db)"
fi
exec "$@"
