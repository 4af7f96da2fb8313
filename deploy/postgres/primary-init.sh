#!/bin/sh
# The primary's first start (compose.yaml mounts this in /docker-entrypoint-initdb.d):
# a role the replica streams with, its pg_hba entry, and a replication slot, so the
# primary keeps the WAL a briefly disconnected replica still needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}';
SELECT pg_create_physical_replication_slot('fieldbook_replica');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
