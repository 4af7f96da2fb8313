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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.complaints.models import Complaint
from server.complaints.schemas import ComplaintCreateSchema, NoteSchema, TransitionSchema
from server.complaints.services import (
    add_note,
    create_complaint,
    get_visible_complaint,
    transition_complaint,
)
from server.customers.models import Customer
from server.customers.services import visible_customers, was_manager_of
from server.errors import ApiError, not_found
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan
from server.plans.schemas import PlanCreateSchema
from server.plans.services import create_plan
from server.sync import merge
from server.sync.devices import check_schema_version, device_for
from server.sync.models import MutationStatus, SyncConflict, SyncDevice, SyncMutation
from server.sync.rows import serialise
from server.sync.services import resolve_conflict
from server.tasks.models import Task, TaskStatus
from server.tasks.schemas import TaskCreateSchema
from server.tasks.services import create_task, get_visible_task, update_task
from server.visits.models import Visit
from server.visits.schemas import VisitCreateSchema, VisitPatchSchema
from server.visits.services import create_visit, get_visible_visit, update_visit
from server.warnings.models import ChurnWarning
from server.warnings.schemas import FlagSchema
from server.warnings.services import flag_customer

MESSAGE_MAX = 500  # sync_mutations.message


@dataclass(frozen=True)
class Mutation:
    """One queued change as the server received it."""

    id: uuid.UUID
    seq: int
    name: str
    args: dict
    base_version: int | None
    client_time: datetime | None
    device_id: uuid.UUID | None
    received_at: datetime

    def as_json(self) -> dict:
        """The whole mutation as the device sent it (kept on a lost-access conflict)."""
        return {
            "id": str(self.id),
            "seq": self.seq,
            "name": self.name,
            "args": self.args,
            "base_version": self.base_version,
            "client_time": self.client_time.isoformat() if self.client_time else None,
        }


@dataclass
class Outcome:
    entity: str
    row: Any
    conflicts: list[SyncConflict] = field(default_factory=list)
    status: MutationStatus = MutationStatus.APPLIED
    code: str | None = None
    message: str | None = None


# --- argument shapes ------------------------------------------------------------
# The REST bodies plus the id a REST route takes from its URL.


class _Id(Schema):
    id = fields.UUID(required=True)


class _Edit(_Id):
    changes = fields.Dict(required=True)
    base = fields.Dict(load_default=dict)


class _VisitEdit(_Id):
    changes = fields.Dict(required=True)


class _Transition(TransitionSchema):
    id = fields.UUID(required=True)


class _Note(NoteSchema):
    id = fields.UUID(required=True)


class _Answer(_Id):
    cause_analysis = fields.Raw(required=True)
    retention_plan = fields.Raw(required=True)
    base = fields.Dict(load_default=dict)


class _Resolve(_Id):
    choice = fields.String(required=True)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- the mutations --------------------------------------------------------------


def _log_visit(user: User, m: Mutation, former: bool) -> Outcome:
    data = VisitCreateSchema().load(m.args)
    visit = create_visit(user, **data, now=m.received_at, allow_former_manager=former)
    return Outcome("visits", visit)


def _update_visit(user: User, m: Mutation, former: bool) -> Outcome:
    args = _VisitEdit().load(m.args)
    changes = {k: v for k, v in args["changes"].items() if k != "version"}
    changes = VisitPatchSchema().load(changes)
    visit = get_visible_visit(user, args["id"], for_update=True)
    # Corrections are kept as revisions, so there is nothing to merge: no base_version.
    return Outcome("visits", update_visit(user, visit, changes, now=m.received_at))


def _create_task(user: User, m: Mutation, former: bool) -> Outcome:
    return Outcome("tasks", create_task(user, **TaskCreateSchema().load(m.args)))


def _merged(spec: merge.Editable, user: User, m: Mutation, args: dict, changes: dict) -> Outcome:
    source = merge.Source(user, m.device_id, m.id, m.name)
    row, conflicts = merge.merge_edit(
        spec, source, args["id"], changes, args["base"], m.base_version, m.received_at
    )
    if not conflicts:
        return Outcome(spec.entity, row)
    names = ", ".join(c.field or "" for c in conflicts)
    return Outcome(
        spec.entity,
        row,
        conflicts,
        MutationStatus.CONFLICT,
        "field_conflict",
        f"Someone else changed {names} too; your values were kept and theirs saved as conflicts.",
    )


def _update_task(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Edit().load(m.args)
    return _merged(merge.TASKS, user, m, args, args["changes"])


def _complete_task(user: User, m: Mutation, former: bool) -> Outcome:
    task = get_visible_task(user, _Id().load(m.args)["id"], for_update=True)
    return Outcome("tasks", update_task(user, task, {"status": TaskStatus.DONE}, now=m.received_at))


def _log_complaint(user: User, m: Mutation, former: bool) -> Outcome:
    args = dict(m.args)
    if args.get("received_at") is None and m.client_time is not None:
        # Heard when the phone recorded it; the deadline runs from then.
        args["received_at"] = m.client_time.isoformat()
    data = ComplaintCreateSchema().load(args)
    complaint = create_complaint(user, **data, now=m.received_at, allow_former_manager=former)
    return Outcome("complaints", complaint)


def _transition_complaint(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Transition().load(m.args)
    complaint = get_visible_complaint(user, args.pop("id"), for_update=True)
    transition_complaint(user, complaint, args.pop("to"), at=m.received_at, **args)
    return Outcome("complaints", complaint)


def _add_complaint_note(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Note().load(m.args)
    if former:
        # The caller checked that the user managed this complaint's customer once.
        complaint = db.session.get(Complaint, args["id"])
        if complaint is None:
            raise not_found("Complaint")
    else:
        complaint = get_visible_complaint(user, args["id"])
    return Outcome("complaint_events", add_note(user, complaint, args["note"], at=m.received_at))


def _create_plan(user: User, m: Mutation, former: bool) -> Outcome:
    return Outcome("care_plans", create_plan(user, **PlanCreateSchema().load(m.args)))


def _update_plan(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Edit().load(m.args)
    return _merged(merge.PLANS, user, m, args, args["changes"])


def _flag_warning(user: User, m: Mutation, former: bool) -> Outcome:
    data = FlagSchema().load(m.args)
    warning = flag_customer(
        user, data["customer_id"], data["reason"], data["note"], id=data.get("id"), at=m.received_at
    )
    return Outcome("churn_warnings", warning)


def _answer_warning(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Answer().load(m.args)
    changes = {"cause_analysis": args["cause_analysis"], "retention_plan": args["retention_plan"]}
    return _merged(merge.WARNINGS, user, m, args, changes)


def _update_customer_profile(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Edit().load(m.args)
    return _merged(merge.CUSTOMERS, user, m, args, args["changes"])


def _resolve_conflict(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Resolve().load(m.args)
    conflict = resolve_conflict(user, args["id"], args["choice"], now=m.received_at)
    return Outcome("sync_conflicts", conflict)


def _row_customer(model) -> Callable[[dict], uuid.UUID | None]:
    """The customer of the record a mutation's `args.id` names, whoever may see it."""

    def customer_of(args: dict) -> uuid.UUID | None:
        row_id = _uuid(args.get("id"))
        if row_id is None:
            return None
        if model is Customer:
            return row_id if db.session.get(Customer, row_id) is not None else None
        return db.session.scalar(sa.select(model.customer_id).where(model.id == row_id))

    return customer_of


def _args_customer(args: dict) -> uuid.UUID | None:
    return _uuid(args.get("customer_id"))


@dataclass(frozen=True)
class Kind:
    run: Callable[[User, Mutation, bool], Outcome]
    entity: str
    # Finds the customer a mutation concerns when the user cannot see it (reassignment).
    customer_of: Callable[[dict], uuid.UUID | None] | None = None
    # Accepted from a customer's former manager: what happened cannot be un-happened.
    append_only: bool = False


MUTATIONS: dict[str, Kind] = {
    "log_visit": Kind(_log_visit, "visits", _args_customer, append_only=True),
    "update_visit": Kind(_update_visit, "visits", _row_customer(Visit)),
    "create_task": Kind(_create_task, "tasks", _args_customer),
    "update_task": Kind(_update_task, "tasks", _row_customer(Task)),
    "complete_task": Kind(_complete_task, "tasks", _row_customer(Task)),
    "log_complaint": Kind(_log_complaint, "complaints", _args_customer, append_only=True),
    "transition_complaint": Kind(_transition_complaint, "complaints", _row_customer(Complaint)),
    "add_complaint_note": Kind(
        _add_complaint_note, "complaint_events", _row_customer(Complaint), append_only=True
    ),
    "create_plan": Kind(_create_plan, "care_plans", _args_customer),
    "update_plan": Kind(_update_plan, "care_plans", _row_customer(CarePlan)),
    "flag_warning": Kind(_flag_warning, "churn_warnings", _args_customer),
    "answer_warning": Kind(_answer_warning, "churn_warnings", _row_customer(ChurnWarning)),
    "update_customer_profile": Kind(_update_customer_profile, "customers", _row_customer(Customer)),
    "resolve_conflict": Kind(_resolve_conflict, "sync_conflicts"),
}


def _visible(user: User, customer_id: uuid.UUID) -> bool:
    stmt = visible_customers(user).where(Customer.id == customer_id)
    return db.session.scalar(stmt.with_only_columns(Customer.id)) is not None


def _lost_access(user: User, m: Mutation, kind: Kind, customer_id: uuid.UUID) -> Outcome:
    conflict = SyncConflict(
        kind="lost_access",
        entity=kind.entity,
        row_id=_uuid(m.args.get("id")),
        customer_id=customer_id,
        user_id=user.id,
        device_id=m.device_id,
        mutation_id=m.id,
        mutation_name=m.name,
        # NOT NULL columns: an explicit None stores JSON null.
        base_value=None,
        kept_value=None,
        lost_value=None,
        args=m.as_json(),
    )
    db.session.add(conflict)
    db.session.flush()
    return Outcome(
        "sync_conflicts",
        conflict,
        [conflict],
        MutationStatus.CONFLICT,
        "lost_access",
        "This customer has moved to another manager; your change was kept for your lead.",
    )


def _former_customer(user: User, kind: Kind, m: Mutation, err: ApiError) -> uuid.UUID | None:
    """The customer this 404 hides from `user` if they managed it once (a reassignment)."""
    if err.status != 404 or kind.customer_of is None:
        return None
    customer_id = kind.customer_of(m.args)
    if customer_id is None or _visible(user, customer_id) or not was_manager_of(user, customer_id):
        return None
    return customer_id


def _run(user: User, m: Mutation) -> Outcome:
    """Apply one mutation in a savepoint; a refusal raises (and the savepoint is undone)."""
    kind = MUTATIONS.get(m.name)
    if kind is None:
        raise ApiError(
            422,
            f"This server does not know the change {m.name!r}; update the app.",
            code="unknown_mutation",
        )
    try:
        with db.session.begin_nested():
            return kind.run(user, m, False)
    except ApiError as err:
        customer_id = _former_customer(user, kind, m, err)
        if customer_id is None:
            raise
    # The change predates the customer's move to another manager (docs/sync.md).
    with db.session.begin_nested():
        if kind.append_only:
            return kind.run(user, m, True)
        return _lost_access(user, m, kind, customer_id)


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


def _field_messages(err: ValidationError) -> dict:
    """Field messages as the REST API gives them (errors.py)."""
    return err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}


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
        result = _result(m, _run(user, m))
    except ApiError as err:
        result = _rejected(m, err.status, err.code, err.message, err.fields)
        if err.extra:
            result["details"] = err.extra
    except ValidationError as err:
        messages = _field_messages(err)
        message = "Some fields are invalid: " + ", ".join(sorted(map(str, messages))) + "."
        result = _rejected(m, 422, "validation_error", message, messages)
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


def apply_kept_mutation(actor: User, conflict: SyncConflict, now: datetime) -> Outcome:
    """A lead applies a lost-access change as themself: the same dispatch, no fallback."""
    kept = conflict.args or {}
    kind = MUTATIONS.get(kept.get("name", ""))
    if kind is None:
        raise ApiError(422, "This change cannot be applied.", code="unknown_mutation")
    client_time = kept.get("client_time")
    m = Mutation(
        id=conflict.mutation_id or uuid.uuid4(),
        seq=kept.get("seq", 0),
        name=kept["name"],
        args=kept.get("args") or {},
        base_version=kept.get("base_version"),
        client_time=datetime.fromisoformat(client_time) if client_time else None,
        device_id=None,
        received_at=now,
    )
    try:
        return kind.run(actor, m, False)
    except ValidationError as err:
        raise ApiError(422, "The kept change is invalid.", fields=_field_messages(err)) from None
