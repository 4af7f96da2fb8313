#!/bin/sh
# The streaming replica (compose.yaml, service db-replica): on its first start, a base
# backup of the primary (pg_basebackup -R writes primary_conninfo and standby.signal),
# then PostgreSQL as a hot standby that answers read-only queries.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h "$PRIMARY_HOST" -U replicator -q; do sleep 1; done
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U replicator \
        -D "$PGDATA" -X stream -R -S fieldbook_replica --checkpoint=fast
    chmod 0700 "$PGDATA"
fi
# hot_standby_feedback: a review export running for minutes on the replica is not
# cancelled by the primary's vacuum (the price: the primary keeps those rows longer).
# random_page_cost as on the primary (compose.yaml): command-line settings are not copied.
exec postgres -c hot_standby=on -c hot_standby_feedback=on \
    -c max_standby_streaming_delay=60s -c random_page_cost=1.1
