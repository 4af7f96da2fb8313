"""Push: apply a device's queued mutations exactly once, in order (docs/sync.md).

Each mutation re-runs the service its REST route calls, as the device's user, after
checking its arguments with the route's own schema: a phone's bad input is refused
with the same field messages a browser would get. Each runs in a savepoint, so a
refused one changes nothing; either way its result is stored and the device's
`last_seq` advances in the same transaction, so a retried, duplicated or replayed
batch is answered from the stored results and applies nothing twice.

Only refusals (ApiError, validation errors, integrity conflicts) become "rejected"
results. Anything else is a bug: it propagates, the whole push rolls back, nothing
is acknowledged, and the device sends the same batch again later.
"""

import uuid
from typing import Any

from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.errors import ApiError, invalid_message, validation_fields
from server.extensions import db
from server.models_base import utcnow
from server.scope import get_visible
from server.sync.conflicts import resolve_conflict
from server.sync.devices import check_schema_version, device_for
from server.sync.models import MutationStatus, SyncConflict, SyncDevice, SyncMutation
from server.sync.mutations import DOMAIN_MUTATIONS, Kind, Mutation, Outcome, run
from server.sync.rows import serialise

MESSAGE_MAX = 500  # sync_mutations.message


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
    result: dict[str, Any] = {
        "id": str(m.id),
        "seq": m.seq,
        "status": outcome.status.value,
        "code": outcome.code,
        "message": outcome.message,
        "entity": outcome.entity,
        "record": serialise(outcome.row),
    }
    if outcome.conflicts:
        result["conflicts"] = [serialise(c) for c in outcome.conflicts]
    return result


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


def _apply(user: User, device: SyncDevice, m: Mutation) -> dict:
    try:
        result = _result(m, run(user, m, MUTATIONS))
    except ApiError as err:
        result = _rejected(m, err.status, err.code, err.message, err.fields)
        if err.extra:
            result["details"] = err.extra
    except ValidationError as err:
        messages = validation_fields(err)
        result = _rejected(m, 422, "validation_error", invalid_message(messages), messages)
    except IntegrityError:
        # As the REST API answers it (409); the savepoint has undone the statement.
        result = _rejected(m, 409, "conflict", "The change conflicts with existing data.", None)
    # Outside the savepoint: a refused mutation is still recorded, with what the user sent.
    db.session.add(
        SyncMutation(
            device_id=device.id,
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
        )
    )
    device.last_seq = m.seq
    db.session.flush()
    return result


def _answered_before(device: SyncDevice, m: Mutation) -> dict:
    stored = db.session.get(SyncMutation, (device.id, m.seq))
    if stored is None:
        # Recorded before its result was kept (or purged since): it went through once.
        return {
            "id": str(m.id),
            "seq": m.seq,
            "status": MutationStatus.APPLIED.value,
            "code": "already_acknowledged",
            "message": None,
        }
    if stored.mutation_id != m.id:
        # Not a retry: the client used one seq for two changes. Refused unrecorded, so
        # the change stays in the outbox's rejected list for the user to see.
        return _rejected(
            m,
            409,
            "seq_reused",
            f"Sequence number {m.seq} was already used by another change of this device.",
            None,
        )
    return stored.result


def push(user: User, *, device_id: uuid.UUID, schema_version: int, mutations: list[dict]) -> dict:
    """Apply the device's mutations in `seq` order, each exactly once.

    Results come back in the order of the request, each naming its id and seq.
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
    results: list[dict] = [{} for _ in queued]
    # A stable sort: of two copies of one seq in a batch, the first applies and the
    # second is answered with its stored result.
    for index in sorted(range(len(queued)), key=lambda i: queued[i].seq):
        m = queued[index]
        if m.seq <= device.last_seq:
            results[index] = _answered_before(device, m)
        else:
            results[index] = _apply(user, device, m)
    device.last_push_at = received_at
    db.session.flush()
    return {"results": results, "last_acknowledged_seq": device.last_seq}
