"""Per-field merge of an offline edit into a record someone else changed meanwhile.

A phone edits a task, a plan, a warning's answer or a customer's profile offline and
sends, with its new values, `base`: the values it had of each field it changed, and
`base_version`, the record's version it had. When that version is still the record's,
the edit applies as is. Otherwise each field is judged alone (docs/sync.md, "Conflicts
lose nothing"): a field the device did not really change is left alone; one only the
device changed takes its value; one both changed takes the device's value (the later
change in server order) and the value it replaces is kept in a `sync_conflicts` row.

Values are compared in their JSON form, the form a pull gives the device (dates as
ISO strings, enums as their values), so `base` is compared exactly as it was received.
"""

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError

from server.auth.models import User
from server.customers.schemas import CustomerPatchSchema
from server.customers.services import get_visible_customer, update_customer
from server.errors import ApiError
from server.extensions import db
from server.plans.schemas import PlanPatchSchema
from server.plans.services import get_plan, update_plan
from server.sync.models import SyncConflict
from server.tasks.schemas import TaskPatchSchema
from server.tasks.services import get_visible_task, update_task
from server.warnings.schemas import AnswerSchema
from server.warnings.services import answer_warning, get_visible_warning


def to_json(value: Any) -> Any:
    """A value in the form a pull shows it, for comparing and for keeping in conflicts."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Editable:
    """How the sync push reads and changes one kind of editable record."""

    entity: str  # the table name, as pulls name it
    schema: type[Schema]  # the REST PATCH schema: the same field rules as the API
    fetch: Callable[[User, uuid.UUID], Any]  # locked; 404 when the user may not see it
    apply: Callable[[User, Any, dict, datetime], Any]  # through the domain service
    customer_id: Callable[[Any], uuid.UUID | None]
    current: Callable[[Any, str], Any] = getattr

    def load_changes(self, changes: dict) -> dict:
        """The device's changes, checked as the REST PATCH checks them."""
        # The protocol carries the version in `base_version`, not among the changes.
        changes = {k: v for k, v in changes.items() if k != "version"}
        return self.schema().load(changes)

    def load_field(self, name: str, value: Any) -> Any:
        """One field's JSON value as the service takes it (for putting a lost value back)."""
        field = self.schema().fields.get(name)
        if field is None or name == "version":
            raise ApiError(422, f"{name} is not editable.", fields={name: ["Not editable."]})
        try:
            return field.deserialize(value)
        except ValidationError as err:
            raise ApiError(
                422, f"The earlier {name} cannot be put back.", fields={name: err.messages}
            ) from None


def _update_task(user: User, task, changes: dict, now: datetime):
    return update_task(user, task, changes, now=now)


def _update_plan(user: User, plan, changes: dict, now: datetime):
    return update_plan(user, plan.id, changes)


def _answer(user: User, warning, changes: dict, now: datetime):
    return answer_warning(
        user,
        warning,
        changes.get("cause_analysis", warning.cause_analysis),
        changes.get("retention_plan", warning.retention_plan),
        at=now,
    )


def _update_customer(user: User, customer, changes: dict, now: datetime):
    update_customer(user, customer.id, changes)
    return customer


def _customer_field(customer, name: str) -> Any:
    return customer.tier.code if name == "tier" else getattr(customer, name)


TASKS = Editable(
    entity="tasks",
    schema=TaskPatchSchema,
    fetch=lambda user, id: get_visible_task(user, id, for_update=True),
    apply=_update_task,
    customer_id=lambda task: task.customer_id,
)
PLANS = Editable(
    entity="care_plans",
    schema=PlanPatchSchema,
    fetch=lambda user, id: get_plan(user, id, for_update=True),
    apply=_update_plan,
    customer_id=lambda plan: plan.customer_id,
)
WARNINGS = Editable(
    entity="churn_warnings",
    schema=AnswerSchema,
    fetch=lambda user, id: get_visible_warning(user, id, for_update=True),
    apply=_answer,
    customer_id=lambda warning: warning.customer_id,
)
CUSTOMERS = Editable(
    entity="customers",
    schema=CustomerPatchSchema,
    fetch=lambda user, id: get_visible_customer(user, id, for_update=True),
    apply=_update_customer,
    customer_id=lambda customer: customer.id,
    current=_customer_field,
)
EDITABLE = {spec.entity: spec for spec in (TASKS, PLANS, WARNINGS, CUSTOMERS)}


@dataclass(frozen=True)
class Source:
    """Whose change is being merged, kept on each conflict it causes."""

    user: User
    device_id: uuid.UUID | None
    mutation_id: uuid.UUID | None
    mutation_name: str


def merge_edit(
    spec: Editable,
    source: Source,
    row_id: uuid.UUID,
    changes: dict,
    base: dict,
    base_version: int | None,
    now: datetime,
) -> tuple[Any, list[SyncConflict]]:
    """Apply a device's edit to a record, field by field; returns it and the conflicts made.

    Raises what the domain service raises (404 not visible, 422, 409), changing nothing.
    """
    row = spec.fetch(source.user, row_id)
    loaded = spec.load_changes(changes)
    lost: dict[str, Any] = {}
    if base_version is not None and base_version == row.version:
        wanted = loaded
    else:
        wanted = {}
        for name, value in loaded.items():
            mine = to_json(value)
            current = to_json(spec.current(row, name))
            if name in base and base[name] == mine:
                continue  # sent along unchanged: the device did not edit it
            if current == mine:
                continue  # both made the same change
            wanted[name] = value
            if not (name in base and base[name] == current):
                lost[name] = current  # the server changed it too: its value loses, kept
    if wanted:
        spec.apply(source.user, row, wanted, now)
    conflicts = [
        SyncConflict(
            kind="field",
            entity=spec.entity,
            row_id=row.id,
            customer_id=spec.customer_id(row),
            user_id=source.user.id,
            device_id=source.device_id,
            mutation_id=source.mutation_id,
            mutation_name=source.mutation_name,
            field=name,
            base_value=base.get(name),
            kept_value=to_json(wanted[name]),
            lost_value=value,
        )
        for name, value in lost.items()
    ]
    db.session.add_all(conflicts)
    db.session.flush()
    return row, conflicts


def restore_lost_value(actor: User, conflict: SyncConflict, now: datetime) -> Any:
    """Put a field conflict's lost value back on its record, through the domain service."""
    spec = EDITABLE[conflict.entity]
    if conflict.row_id is None:
        raise ApiError(422, "This conflict names no record.")
    row = spec.fetch(actor, conflict.row_id)
    name = conflict.field or ""
    value = spec.load_field(name, conflict.lost_value)
    return spec.apply(actor, row, {name: value}, now)
