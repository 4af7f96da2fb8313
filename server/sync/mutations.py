"""The changes a phone can push, and how each is applied through its domain's services.

Each mutation re-runs the service its REST route calls, as the device's user, after
checking its arguments with the route's own schema: a phone's bad input is refused
with the same field messages a browser would get. The record is looked up in the
user's scope, as the REST route does, once.

A change to a customer the user no longer sees, made before the customer moved to
another manager (docs/sync.md, Reassignment), is not simply refused: what happened
(a visit, a complaint heard) is recorded anyway; any other change is kept as a
lost-access conflict for the lead.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields

from server.auth.models import User
from server.campaigns.models import CampaignTarget
from server.campaigns.schemas import OutcomeSchema
from server.campaigns.services import record_outcome
from server.complaints.models import Complaint
from server.complaints.schemas import ComplaintCreateSchema, NoteSchema, TransitionSchema
from server.complaints.services import add_note, create_complaint, transition_complaint
from server.customers.models import Customer
from server.customers.services import check_profile_changes
from server.errors import ApiError, not_found, validation_fields
from server.extensions import db
from server.plans.models import CarePlan
from server.plans.schemas import PlanCreateSchema
from server.plans.services import create_plan
from server.scope import (
    get_former_managers_customer,
    get_visible,
    left_manager_at,
    visible_customer_ids,
    visible_customers,
    was_manager_of,
)
from server.sync import merge
from server.sync.models import MutationStatus, SyncConflict
from server.tasks.models import Task
from server.tasks.schemas import TaskCreateSchema
from server.tasks.services import complete_task, create_task
from server.timeutil import local_today
from server.visits.models import Visit
from server.visits.schemas import VisitCreateSchema, VisitPatchSchema
from server.visits.services import create_visit, update_visit
from server.warnings.models import ChurnWarning
from server.warnings.schemas import FlagSchema
from server.warnings.services import flag_customer


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
    # The customers the push read and locked up front, in the user's scope (by id).
    customers: Mapping[uuid.UUID, Customer] = field(default_factory=dict, compare=False)

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


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- the mutations --------------------------------------------------------------


def _customer(user: User, m: Mutation, customer_id: uuid.UUID, former: bool) -> Customer:
    """The mutation's customer, locked: in the user's scope, or one they managed once."""
    if former:
        return get_former_managers_customer(user, customer_id, for_update=True)
    # Read and locked by the push with the batch's others, in one statement. No
    # mutation reassigns a customer, so the scope checked then still holds.
    customer = m.customers.get(customer_id)
    if customer is not None:
        return customer
    return get_visible(user, Customer, customer_id, for_update=True)


def _log_visit(user: User, m: Mutation, former: bool) -> Outcome:
    data = VisitCreateSchema().load(m.args)
    customer = _customer(user, m, data.pop("customer_id"), former)
    visit = create_visit(user, customer, **data, now=m.received_at, former_manager=former)
    return Outcome("visits", visit)


def _update_visit(user: User, m: Mutation, former: bool) -> Outcome:
    args = _VisitEdit().load(m.args)
    # Corrections are kept as revisions, so there is nothing to merge: no version.
    changes = {k: v for k, v in args["changes"].items() if k != "version"}
    changes = VisitPatchSchema().load(changes)
    visit = get_visible(user, Visit, args["id"], for_update=True)
    return Outcome("visits", update_visit(user, visit, changes, now=m.received_at))


def _create_task(user: User, m: Mutation, former: bool) -> Outcome:
    data = TaskCreateSchema().load(m.args)
    loaded = m.customers.get(data["customer_id"]) if data.get("customer_id") else None
    # Judged on the day the phone made it: pushed late, it was not planned late.
    today = local_today(m.client_time or m.received_at)
    return Outcome("tasks", create_task(user, **data, loaded=loaded, today=today))


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
    task = get_visible(user, Task, _Id().load(m.args)["id"], for_update=True)
    return Outcome("tasks", complete_task(user, task, now=m.received_at))


def _log_complaint(user: User, m: Mutation, former: bool) -> Outcome:
    args = dict(m.args)
    if args.get("received_at") is None and m.client_time is not None:
        # Heard when the phone recorded it; the deadline runs from then.
        args["received_at"] = m.client_time.isoformat()
    data = ComplaintCreateSchema().load(args)
    customer = _customer(user, m, data.pop("customer_id"), former)
    complaint = create_complaint(user, customer, **data, now=m.received_at)
    return Outcome("complaints", complaint)


def _transition_complaint(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Transition().load(m.args)
    complaint = get_visible(user, Complaint, args.pop("id"), for_update=True)
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
        complaint = get_visible(user, Complaint, args["id"])
    return Outcome("complaint_events", add_note(user, complaint, args["note"], at=m.received_at))


def _create_plan(user: User, m: Mutation, former: bool) -> Outcome:
    data = PlanCreateSchema().load(m.args)
    customer = get_visible(user, Customer, data.pop("customer_id"))
    return Outcome("care_plans", create_plan(user, customer, **data))


def _update_plan(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Edit().load(m.args)
    return _merged(merge.PLANS, user, m, args, args["changes"])


def _flag_warning(user: User, m: Mutation, former: bool) -> Outcome:
    data = FlagSchema().load(m.args)
    customer = _customer(user, m, data["customer_id"], False)
    warning = flag_customer(
        user, customer, data["reason"], data["note"], id=data.get("id"), at=m.received_at
    )
    return Outcome("churn_warnings", warning)


def _answer_warning(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Answer().load(m.args)
    changes = {"cause_analysis": args["cause_analysis"], "retention_plan": args["retention_plan"]}
    return _merged(merge.WARNINGS, user, m, args, changes)


def _update_customer_profile(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Edit().load(m.args)
    return _merged(merge.CUSTOMERS, user, m, args, args["changes"])


class _Outcome(OutcomeSchema):
    id = fields.UUID(required=True)


def _record_campaign_outcome(user: User, m: Mutation, former: bool) -> Outcome:
    args = _Outcome().load({k: v for k, v in m.args.items() if k != "version"})
    if args.get("outcome_at") is None and m.client_time is not None:
        args["outcome_at"] = m.client_time  # it happened when the phone recorded it
    target_id = args.pop("id")
    if former:
        # The caller checked that the user managed this target's customer once.
        target = db.session.get(CampaignTarget, target_id, with_for_update=True)
        if target is None:
            raise not_found("Campaign target")
    else:
        target = get_visible(user, CampaignTarget, target_id, for_update=True)
    return Outcome("campaign_targets", record_outcome(user, target, args, now=m.received_at))


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


def _author_may_edit_profile(author: User, args: dict) -> None:
    changes = args.get("changes")
    check_profile_changes(author, changes if isinstance(changes, dict) else {})


@dataclass(frozen=True)
class Kind:
    run: Callable[[User, Mutation, bool], Outcome]
    entity: str
    # Finds the customer a mutation concerns when the user cannot see it (reassignment).
    customer_of: Callable[[dict], uuid.UUID | None] | None = None
    # Accepted from a customer's former manager: what happened cannot be un-happened.
    append_only: bool = False
    # A create: the model whose row `args.id` names. An id already taken is refused
    # (a retry of the same change is answered from its stored result, never here).
    creates: type | None = None
    # The role rules of the change's author that the scope check would hide from a
    # lost-access conflict: re-checked before a lead applies it as themself.
    authorize: Callable[[User, dict], None] | None = None
    # Loads its customer (`args.customer_id`), locked: the push reads the batch's at
    # once (a task's too: one statement for all, rather than a SELECT per task).
    locks_customer: bool = False
    # Its row is new, and none of the kinds that batch alters another's: the push may
    # leave a run of these pending and write each table's rows in one INSERT.
    batches: bool = False


# The changes of the domains. push.py adds the sync's own (resolving a conflict).
DOMAIN_MUTATIONS: dict[str, Kind] = {
    "log_visit": Kind(
        _log_visit,
        "visits",
        _args_customer,
        append_only=True,
        creates=Visit,
        locks_customer=True,
        batches=True,
    ),
    "update_visit": Kind(_update_visit, "visits", _row_customer(Visit)),
    "create_task": Kind(
        _create_task, "tasks", _args_customer, creates=Task, locks_customer=True, batches=True
    ),
    "update_task": Kind(_update_task, "tasks", _row_customer(Task)),
    "complete_task": Kind(_complete_task, "tasks", _row_customer(Task)),
    "log_complaint": Kind(
        _log_complaint,
        "complaints",
        _args_customer,
        append_only=True,
        creates=Complaint,
        locks_customer=True,
    ),
    "transition_complaint": Kind(_transition_complaint, "complaints", _row_customer(Complaint)),
    "add_complaint_note": Kind(
        _add_complaint_note, "complaint_events", _row_customer(Complaint), append_only=True
    ),
    "create_plan": Kind(_create_plan, "care_plans", _args_customer, creates=CarePlan),
    "update_plan": Kind(_update_plan, "care_plans", _row_customer(CarePlan)),
    "flag_warning": Kind(
        _flag_warning,
        "churn_warnings",
        _args_customer,
        creates=ChurnWarning,
        locks_customer=True,
    ),
    "answer_warning": Kind(_answer_warning, "churn_warnings", _row_customer(ChurnWarning)),
    "update_customer_profile": Kind(
        _update_customer_profile,
        "customers",
        _row_customer(Customer),
        authorize=_author_may_edit_profile,
    ),
    # What the customer said happened; kept even if the customer moved on meanwhile.
    "record_campaign_outcome": Kind(
        _record_campaign_outcome,
        "campaign_targets",
        _row_customer(CampaignTarget),
        append_only=True,
    ),
}


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
    if customer_id is None or not was_manager_of(user, customer_id):
        return None
    if db.session.scalar(visible_customer_ids(user).where(Customer.id == customer_id)):
        return None  # in scope: the 404 was about something else
    return customer_id


def created_id(kind: Kind, args: dict) -> tuple[type, uuid.UUID] | None:
    """The model and id of the row a create names (None: not a create, or no good id)."""
    if kind.creates is None:
        return None
    row_id = _uuid(args.get("id"))
    return None if row_id is None else (kind.creates, row_id)


def check_new_id(
    kind: Kind, args: dict, taken: Collection[tuple[type, uuid.UUID]] | None = None
) -> None:
    """Refuse a create whose id exists (`taken`: the push read the batch's up front)."""
    created = created_id(kind, args)
    if created is None:
        return
    exists = created in taken if taken is not None else db.session.get(*created) is not None
    if exists:
        raise ApiError(
            409,
            "A record with this id already exists; this change was not applied.",
            code="id_exists",
        )


def taken_ids(batch: Iterable[Mutation], table: Mapping[str, Kind]) -> set[tuple[type, uuid.UUID]]:
    """Which of the ids the batch's creates name exist already: one statement."""
    wanted: dict[type, set[uuid.UUID]] = defaultdict(set)
    for m in batch:
        kind = table.get(m.name)
        created = created_id(kind, m.args) if kind is not None else None
        if created is not None:
            wanted[created[0]].add(created[1])
    if not wanted:
        return set()
    models = list(wanted)
    selects: list[Any] = []
    for i, model in enumerate(models):
        key: Any = sa.inspect(model).primary_key[0]
        selects.append(sa.select(sa.literal(i), key).where(key.in_(wanted[model])))
    stmt: Any = sa.union_all(*selects) if len(selects) > 1 else selects[0]
    return {(models[i], row_id) for i, row_id in db.session.execute(stmt)}


def locked_customers(
    user: User, batch: Iterable[Mutation], table: Mapping[str, Kind]
) -> dict[uuid.UUID, Customer]:
    """The customers the batch's changes lock, in the user's scope: one statement.

    Locked in id order, so two pushes that touch the same customers cannot deadlock;
    a customer out of scope is left out, to be looked up (and refused) by its change.
    """
    ids: set[uuid.UUID] = set()
    for m in batch:
        kind = table.get(m.name)
        customer_id = _args_customer(m.args) if kind is not None and kind.locks_customer else None
        if customer_id is not None:
            ids.add(customer_id)
    if not ids:
        return {}
    stmt = (
        visible_customers(user)
        .where(Customer.id.in_(ids))
        .order_by(Customer.id)
        .with_for_update(of=Customer)
    )
    return {customer.id: customer for customer in db.session.scalars(stmt)}


def _before_the_move(user: User, customer_id: uuid.UUID, m: Mutation) -> bool:
    """Whether the phone recorded the change before the customer moved away from `user`.

    Without a `client_time` the change is taken as made when it arrived.
    """
    left_at = left_manager_at(user, customer_id)
    made_at = m.client_time or m.received_at
    return left_at is None or made_at <= left_at


def kind_of(m: Mutation, table: Mapping[str, Kind]) -> Kind:
    """The mutation's kind; an unknown name is refused."""
    kind = table.get(m.name)
    if kind is None:
        raise ApiError(
            422,
            f"This server does not know the change {m.name!r}; update the app.",
            code="unknown_mutation",
        )
    return kind


def run(user: User, m: Mutation, kind: Kind, *, isolate: bool = True) -> Outcome:
    """Apply one mutation, checked first by `kind_of` and `check_new_id`; a refusal raises.

    `isolate`: in a savepoint of its own, so a refusal changes nothing, and a 404 about
    a customer the user managed once is settled as docs/sync.md's Reassignment says.
    Without it (the push's first pass, server/sync/push.py) whatever raises leaves
    half-done work behind: the caller must undo more than this mutation.
    """
    if not isolate:
        return kind.run(user, m, False)
    try:
        with db.session.begin_nested():
            return kind.run(user, m, False)
    except ApiError as err:
        customer_id = _former_customer(user, kind, m, err)
        if customer_id is None:
            raise
    # The change was made for a customer that has moved to another manager
    # (docs/sync.md): what happened before the move is recorded, the rest kept.
    with db.session.begin_nested():
        if kind.append_only and _before_the_move(user, customer_id, m):
            return kind.run(user, m, True)
        return _lost_access(user, m, kind, customer_id)


def apply_kept_mutation(actor: User, conflict: SyncConflict, now: datetime) -> Outcome:
    """A lead applies a lost-access change as themself: the same dispatch, no fallback.

    The lead's own scope and rules are checked by the dispatch, and first the rules
    of the change's author that the scope check hid: a lead's "apply" never lets a
    manager's change through that the manager could not have made.
    """
    kept = conflict.args or {}
    kind = DOMAIN_MUTATIONS.get(kept.get("name", ""))
    if kind is None:
        raise ApiError(422, "This change cannot be applied.", code="unknown_mutation")
    author = db.session.get(User, conflict.user_id)
    if kind.authorize is not None and author is not None:
        kind.authorize(author, kept.get("args") or {})
    check_new_id(kind, kept.get("args") or {})
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
        raise ApiError(422, "The kept change is invalid.", fields=validation_fields(err)) from None
