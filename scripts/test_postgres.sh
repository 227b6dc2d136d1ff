#!/usr/bin/env bash
# Make a PostgreSQL server on 127.0.0.1 available to the tests (Debian's package, installed when
# missing), with a database and role `projector_test`; prints the SQLAlchemy URL to use.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1)
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$version" "$cluster" start >&2
fi
psql_as_postgres() { $SUDO runuser -u postgres -- psql -p "$port" -h 127.0.0.1 -v ON_ERROR_STOP=1 -qAt "$@" 2>/dev/null \
  || $SUDO runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_as_postgres -c "select 1 from pg_roles where rolname='projector_test'")" != 1 ]; then
  psql_as_postgres -c "create role projector_test login createdb password 'projector_test'" >&2
fi
# The queue tests make a database of their own per test (tests/queue_cluster.py).
if [ "$(psql_as_postgres -c "select rolcreatedb from pg_roles where rolname='projector_test'")" != t ]; then
  psql_as_postgres -c "alter role projector_test createdb" >&2
fi
if [ "$(psql_as_postgres -c "select 1 from pg_database where datname='projector_test'")" != 1 ]; then
  psql_as_postgres -c "create database projector_test owner projector_test" >&2
fi
echo "postgresql+psycopg://projector_test:projector_test@127.0.0.1:${port}/projector_test"
