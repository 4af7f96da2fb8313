"""Push: apply a device's queued mutations exactly once, in order (docs/sync.md).

Each mutation re-runs the service its REST route calls, as the device's user, after
checking its arguments with the route's own schema: a phone's bad input is refused
with the same field messages a browser would get. Each runs in a savepoint, so a
refused one changes nothing; either way its result is stored and the device's
`last_seq` advances in the same transaction, so a retried, duplicated or replayed
batch is answered from the stored results and applies nothing twice.

A batch must follow on from the last seq received (else 409 `seq_gap`): a seq is
never acknowledged unless it arrived. A mutation id stands for one change: the
stored content hash refuses the same id with other content or under another seq.

Refusals (ApiError, validation errors, integrity conflicts) become "rejected"
results. Anything else is a bug in one mutation: its savepoint is undone, it is
answered "failed" (retryable) and counted in `sync_failed_mutations`, and the rest
of the batch goes on; after MAX_ATTEMPTS it is rejected for good (`mutation_failed`),
kept whole for the admins. Only a failure of the database itself (gone, locked)
rolls the whole push back, and the device sends the same batch again later.
"""

import hashlib
import json
import logging
import uuid
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from server.auth.models import User
from server.errors import ApiError, invalid_message, validation_fields
from server.extensions import db
from server.http import nul_fields
from server.models_base import flushes_deferred, ids_known_new, utcnow
from server.scope import get_visible
from server.stamps import stamp_for
from server.sync.conflicts import resolve_conflict
from server.sync.devices import check_schema_version, device_for
from server.sync.models import (
    MutationStatus,
    SyncConflict,
    SyncDevice,
    SyncFailedMutation,
    SyncMutation,
)
from server.sync.mutations import (
    DOMAIN_MUTATIONS,
    Kind,
    Mutation,
    Outcome,
    check_new_id,
    created_id,
    kind_of,
    locked_customers,
    run,
    taken_ids,
)
from server.sync.rows import serialise

MESSAGE_MAX = 500  # sync_mutations.message
# Attempts at a mutation that fails unexpectedly before it is failed for good.
MAX_ATTEMPTS = 3

log = logging.getLogger(__name__)


class _Resolve(Schema):
    id = fields.UUID(required=True)
    choice = fields.String(required=True)


def _resolve_conflict(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Resolve().load(m.args)
    conflict = get_visible(user, SyncConflict, args["id"], for_update=True)
    return Outcome(
        "sync_conflicts", resolve_conflict(user, conflict, args["choice"], now=m.received_at)
    )


MUTATIONS: dict[str, Kind] = {
    **DOMAIN_MUTATIONS,
    "resolve_conflict": Kind(_resolve_conflict, "sync_conflicts"),
}


def _result(m: Mutation, outcome: Outcome) -> dict:
    """The answer to an applied change, its record left for `_with_record` to fill in."""
    return {
        "id": str(m.id),
        "seq": m.seq,
        "status": outcome.status.value,
        "code": outcome.code,
        "message": outcome.message,
        "entity": outcome.entity,
        "record": None,
    }


def _with_record(result: dict, outcome: Outcome) -> None:
    """The record as stored: versions move and defaults fill in at the flush."""
    # A removal (delete_contact) answers without a record: the row is gone.
    result["record"] = serialise(outcome.row) if outcome.row is not None else None
    if outcome.conflicts:
        result["conflicts"] = [serialise(c) for c in outcome.conflicts]


def _rejected(m: Mutation, status: int, code: str, message: str, fields: dict | None) -> dict:
    return {
        "id": str(m.id),
        "seq": m.seq,
        "status": MutationStatus.REJECTED.value,
        "http_status": status,
        "code": code,
        "message": message,
        "fields": fields or {},
    }


def content_hash(m: Mutation) -> str:
    """What one mutation id stands for: its name, arguments, base version and time."""
    body = {
        "name": m.name,
        "args": m.args,
        "base_version": m.base_version,
        "client_time": m.client_time.isoformat() if m.client_time else None,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _refused(m: Mutation, err: ApiError | ValidationError | IntegrityError) -> dict:
    """A refusal as the REST API would answer it."""
    if isinstance(err, ApiError):
        result = _rejected(m, err.status, err.code, err.message, err.fields)
        if err.extra:
            result["details"] = err.extra
        return result
    if isinstance(err, ValidationError):
        messages = validation_fields(err)
        return _rejected(m, 422, "validation_error", invalid_message(messages), messages)
    # As the REST API answers it (409); the savepoint has undone the statement.
    return _rejected(m, 409, "conflict", "The change conflicts with existing data.", None)


class _Batch:
    """What a push reads up front, in a few statements whatever its size.

    The device's stored results for the batch's seqs already received and for its
    mutation ids, the failures of those seqs, which ids the creates name exist
    already, and the customers the changes lock (in the user's scope, locked at once).
    """

    def __init__(self, user: User, device: SyncDevice, queued: list[Mutation]):
        self.user, self.device = user, device
        old = {m.seq for m in queued if m.seq <= device.last_seq}
        known = SyncMutation.mutation_id.in_({m.id for m in queued})
        stored = db.session.scalars(
            sa.select(SyncMutation).where(
                SyncMutation.device_id == device.id,
                sa.or_(SyncMutation.seq.in_(old), known) if old else known,
            )
        ).all()
        self.stored = {row.seq: row for row in stored}
        self.failures: dict[int, SyncFailedMutation] = {}
        if old:
            # Only a seq already passed can have failed: a failure moves the seq on.
            self.failures = {
                f.seq: f
                for f in db.session.scalars(
                    sa.select(SyncFailedMutation).where(
                        SyncFailedMutation.device_id == device.id, SyncFailedMutation.seq.in_(old)
                    )
                )
            }
        self.taken = taken_ids(queued, MUTATIONS)
        self.free = {
            created
            for m in queued
            if (kind := MUTATIONS.get(m.name)) and (created := created_id(kind, m.args))
        } - self.taken
        customers = locked_customers(user, queued, MUTATIONS)
        self.queued = [replace(m, customers=customers) for m in queued]


class _Pass:
    """One pass over a batch, in seq order; the results are saved only at its end.

    Two ways: `isolate=False` runs every mutation without a savepoint of its own (the
    caller holds one for the whole pass, and starts over isolated if anything in it
    raises), the new rows of a run of batching changes (`Kind.batches`: a visit logged,
    a task created) left for one flush, a table's in one INSERT; `isolate=True` gives
    each mutation its own savepoint (a refusal or a failure undoes that one alone),
    flushes each and counts the failures. Each answer carries its record as stored
    after its own change: pending answers are settled before any other change runs.
    """

    def __init__(self, batch: _Batch, *, isolate: bool):
        self.batch, self.user, self.device = batch, batch.user, batch.device
        self.isolate = isolate
        self.last_seq = self.device.last_seq
        self.taken = set(batch.taken)
        self.recorded: dict[int, SyncMutation] = {}
        # Applied changes whose answer still lacks the record as stored.
        self.unrecorded: list[tuple[dict, Outcome]] = []

    def run(self) -> list[dict]:
        queued = self.batch.queued
        results: list[dict] = [{} for _ in queued]
        # The creates' ids the batch found free: a service does not ask again each.
        with ids_known_new(self.batch.free):
            # A stable sort: of two copies of one seq in a batch, the first applies and
            # the second is answered with its stored result.
            for index in sorted(range(len(queued)), key=lambda i: queued[i].seq):
                m = queued[index]
                digest = content_hash(m)
                if m.seq <= self.last_seq:
                    results[index] = self._answered_before(m, digest)
                else:
                    results[index] = self._apply(m, digest)
        return results

    def save(self, received_at: datetime) -> None:
        """The stored results in one INSERT and the device's seq in one UPDATE."""
        self._settle()
        db.session.add_all(self.recorded.values())
        self.device.last_seq = self.last_seq
        self.device.last_push_at = received_at
        db.session.flush()

    def _run(self, m: Mutation) -> dict:
        """The mutation's result; a refusal is a result too. Anything else raises."""
        try:
            # What the REST API refuses for the whole request (server/http.py), refused
            # here for this mutation alone: PostgreSQL's text cannot hold U+0000.
            if bad := nul_fields(m.args):
                raise ValidationError(bad)
            kind = kind_of(m, MUTATIONS)
            check_new_id(kind, m.args, self.taken)
        except (ApiError, ValidationError) as err:
            return _refused(m, err)
        batched = kind.batches and not self.isolate
        if not batched:
            self._settle()  # it may change a row whose answer is still to be written
        try:
            with flushes_deferred() if batched else nullcontext():
                outcome = run(self.user, m, kind, isolate=self.isolate)
            if not batched:
                db.session.flush()  # a constraint fails here (in its savepoint, if isolated)
        except (ApiError, ValidationError, IntegrityError) as err:
            if not self.isolate:
                raise
            return _refused(m, err)
        if created := created_id(kind, m.args):
            self.taken.add(created)
        result = _result(m, outcome)
        self.unrecorded.append((result, outcome))
        if not batched:
            self._settle()
        return result

    def _settle(self) -> None:
        """Write the rows still pending and fill in their answers' records."""
        if self.unrecorded:
            db.session.flush()
            for result, outcome in self.unrecorded:
                _with_record(result, outcome)
            self.unrecorded.clear()

    def _apply(self, m: Mutation, digest: str) -> dict:
        """Apply one mutation received for the first time, or retried after failing."""
        reused = self._recorded_seq(m)
        if reused is not None:
            # One mutation id, one change: the same change under a new seq would apply twice.
            result = _rejected(
                m,
                409,
                "mutation_id_reused",
                f"This change was already sent as number {reused}; it was not applied again.",
                None,
            )
        else:
            try:
                result = self._run(m)
            except Exception as err:  # isolated: its savepoint undid it
                if not self.isolate or _database_failed(err):
                    raise
                result, gave_up = self._failed(m, digest, err)
                # Flushed now, not inside the next mutation's savepoint.
                db.session.flush()
                if not gave_up:
                    self.last_seq = max(self.last_seq, m.seq)
                    return result
            else:
                if failure := self.batch.failures.get(m.seq):
                    failure.settled_at = m.received_at
        self._record(m, result, digest)
        self.last_seq = max(self.last_seq, m.seq)
        return result

    def _recorded_seq(self, m: Mutation) -> int | None:
        """Another seq this mutation id has a stored result under, if any."""
        rows = [*self.batch.stored.values(), *self.recorded.values()]
        return min((r.seq for r in rows if r.mutation_id == m.id and r.seq != m.seq), default=None)

    def _record(self, m: Mutation, result: dict, digest: str) -> None:
        # Outside the savepoint: a refused mutation is still recorded, with what the
        # user sent.
        self.recorded[m.seq] = SyncMutation(
            device_id=self.device.id,
            seq=m.seq,
            mutation_id=m.id,
            name=m.name,
            status=MutationStatus(result["status"]),
            code=result["code"],
            message=(result["message"] or "")[:MESSAGE_MAX] or None,
            args=m.args,
            result=result,
            client_time=m.client_time,
            received_at=m.received_at,
            content_hash=digest,
        )

    def _answered_before(self, m: Mutation, digest: str) -> dict:
        stored = self.recorded.get(m.seq) or self.batch.stored.get(m.seq)
        if stored is None:
            failure = self.batch.failures.get(m.seq)
            if failure is not None and failure.mutation_id != m.id:
                return _seq_reused(m)
            if failure is not None and failure.content_hash != digest:
                return _id_reused(m)
            # Failed before and retried, or (from before seq gaps were refused) a seq
            # that was skipped and never received: either way not applied yet.
            return self._apply(m, digest)
        if stored.mutation_id != m.id:
            return _seq_reused(m)
        if stored.content_hash is not None and stored.content_hash != digest:
            return _id_reused(m)
        return stored.result

    def _failed(self, m: Mutation, digest: str, err: Exception) -> tuple[dict, bool]:
        """Count one more failed attempt; the answer, and whether the server gave up."""
        log.exception("sync mutation %s (%s, seq %s) failed", m.id, m.name, m.seq)
        error = f"{type(err).__name__}: {err}"[:MESSAGE_MAX]
        failure = self.batch.failures.get(m.seq)
        if failure is None:
            failure = SyncFailedMutation(
                device_id=self.device.id,
                user_id=self.user.id,
                seq=m.seq,
                mutation_id=m.id,
                name=m.name,
                args=m.args,
                base_version=m.base_version,
                client_time=m.client_time,
                content_hash=digest,
                attempts=0,
                first_failed_at=m.received_at,
            )
            db.session.add(failure)
            self.batch.failures[m.seq] = failure
        failure.attempts += 1
        failure.error = error
        failure.last_failed_at = m.received_at
        gave_up = failure.attempts >= MAX_ATTEMPTS
        if gave_up:
            failure.gave_up_at = m.received_at
        result = {
            "id": str(m.id),
            "seq": m.seq,
            "status": "failed" if not gave_up else MutationStatus.REJECTED.value,
            "http_status": 500,
            "code": "mutation_failed" if gave_up else "server_error",
            "message": (
                f"The server could not apply this change ({failure.attempts} attempts); it "
                "is kept for an administrator and the rest of your changes went on."
                if gave_up
                else "The server could not apply this change; it will be tried again."
            ),
            "fields": {},
            "retryable": not gave_up,
            "attempts": failure.attempts,
        }
        return result, gave_up


def _database_failed(err: Exception) -> bool:
    """Whether the database itself failed (gone, locked, a deadlock): not this mutation.

    Then the whole push rolls back and the device sends it again later; counting it
    against the mutation would fail good changes for good during an outage.
    """
    if isinstance(err, InterfaceError):
        return True
    if not isinstance(err, OperationalError):
        return False
    if err.connection_invalidated or db.session.get_bind().dialect.name != "sqlite":
        return True
    # SQLite says OperationalError for a missing table too; only these are transient.
    return any(word in str(err.orig) for word in ("locked", "busy", "disk I/O"))


def _seq_reused(m: Mutation) -> dict:
    # Not a retry: the client used one seq for two changes. Refused unrecorded, so
    # the change stays in the outbox's rejected list for the user to see.
    return _rejected(
        m,
        409,
        "seq_reused",
        f"Sequence number {m.seq} was already used by another change of this device.",
        None,
    )


def _id_reused(m: Mutation) -> dict:
    # The same mutation id with other content: the first content stands; the new one
    # is refused unrecorded, visible to the user, never silently dropped.
    return _rejected(
        m,
        409,
        "mutation_id_reused",
        "This change id was already used for a different change; the first one stands.",
        None,
    )


def _check_no_gap(device: SyncDevice, queued: list[Mutation]) -> None:
    """Refuse a batch whose new seqs do not follow on from the last one received.

    Acknowledging seq n tells the device everything up to n arrived; a seq jumped over
    would later be answered as done and never applied.
    """
    expected = device.last_seq + 1
    for seq in sorted({m.seq for m in queued if m.seq > device.last_seq}):
        if seq != expected:
            raise ApiError(
                409,
                f"Changes are missing: the next one this server expects is number {expected}.",
                code="seq_gap",
                extra={"expected_seq": expected, "last_acknowledged_seq": device.last_seq},
            )
        expected += 1


def push(user: User, *, device_id: uuid.UUID, schema_version: int, mutations: list[dict]) -> dict:
    """Apply the device's mutations in `seq` order, each exactly once.

    Results come back in the order of the request, each naming its id and seq.

    The batch is read up front (`_Batch`), then run in one savepoint without one per
    mutation; only if something in it raises (a refusal, a failure) is that undone and
    the batch run again with a savepoint per mutation, where a refusal or a failure
    is isolated as the module's docstring says. A push without refusals, the usual
    one, so costs its mutations' own statements and a constant.
    """
    check_schema_version(schema_version)
    device = device_for(user, device_id, lock=True)
    received_at = utcnow()
    queued = [
        Mutation(
            id=raw["id"],
            seq=raw["seq"],
            name=raw["name"],
            args=raw["args"],
            base_version=raw.get("base_version"),
            client_time=raw.get("client_time"),
            device_id=device.id,
            received_at=received_at,
        )
        for raw in mutations
    ]
    _check_no_gap(device, queued)
    batch = _Batch(user, device, queued)
    if any(m.seq > device.last_seq or m.seq not in batch.stored for m in queued):
        # The transaction's stamp taken outside every savepoint: on SQLite it bumps a
        # counter, and a bump undone with a savepoint would leave the rows written
        # after it stamped at a value the next writer takes again (server/stamps.py).
        stamp_for(db.session.connection())
    try:
        with db.session.begin_nested():
            first = _Pass(batch, isolate=False)
            results = first.run()
            first.save(received_at)
    except Exception as err:
        if _database_failed(err):
            raise
        # The savepoint put the rows back, but not every object the pass loaded or
        # changed in memory (a collection read inside it, a row it UPDATEd): read again.
        db.session.expire_all()
        isolated = _Pass(batch, isolate=True)
        results = isolated.run()
        isolated.save(received_at)
    return {"results": results, "last_acknowledged_seq": device.last_seq}
