"""Per-field merge of an offline edit into a record someone else changed meanwhile.

A phone edits a task, a plan, a warning's answer, a customer's profile or a contact
offline and sends, with its new values, `base`: the values it had of each field it
changed, and `base_version`, the record's version it had. When that version is still
the record's, the edit applies as is. Otherwise each field is judged alone (docs/sync.md,
"Conflicts lose nothing"): a field the device did not really change is left alone; one
only the device changed takes its value; one both changed takes the device's value (the
later change in server order) and the value it replaces is kept in a `sync_conflicts` row.

Values are compared in their JSON form, the form a pull gives the device (dates as
ISO strings, enums as their values), so `base` is compared exactly as it was received.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError

from server.auth.models import User
from server.customers.models import Contact, Customer
from server.customers.schemas import ContactPatchSchema, CustomerPatchSchema
from server.customers.services import get_visible_contact, update_contact, update_customer
from server.errors import ApiError
from server.extensions import db
from server.jsonvalue import to_json
from server.plans.models import CarePlan
from server.plans.schemas import PlanPatchSchema
from server.plans.services import update_plan
from server.scope import get_visible
from server.sync.models import SyncConflict
from server.tasks.models import Task
from server.tasks.schemas import TaskPatchSchema
from server.tasks.services import update_task
from server.warnings.models import ChurnWarning
from server.warnings.schemas import AnswerSchema
from server.warnings.services import answer_warning


@dataclass(frozen=True)
class Editable:
    """How the sync push reads and changes one kind of editable record."""

    model: type  # looked up in the user's scope, locked (404 when out of it)
    schema: type[Schema]  # the REST PATCH schema: the same field rules as the API
    apply: Callable[[User, Any, dict, datetime], Any]  # the domain service
    current: Callable[[Any, str], Any] = getattr

    @property
    def entity(self) -> str:
        """The table name, as pulls name it."""
        return self.model.__tablename__  # type: ignore[attr-defined]

    def fetch(self, user: User, row_id: uuid.UUID) -> Any:
        return get_visible(user, self.model, row_id, for_update=True)

    def customer_id(self, row: Any) -> uuid.UUID | None:
        return row.id if isinstance(row, Customer) else row.customer_id

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


def _customer_field(customer: Customer, name: str) -> Any:
    return customer.tier.code if name == "tier" else getattr(customer, name)


TASKS = Editable(
    Task,
    TaskPatchSchema,
    lambda user, task, changes, now: update_task(user, task, changes, now=now),
)
PLANS = Editable(
    CarePlan, PlanPatchSchema, lambda user, plan, changes, now: update_plan(user, plan, changes)
)
WARNINGS = Editable(
    ChurnWarning,
    AnswerSchema,
    lambda user, warning, changes, now: answer_warning(user, warning, changes, at=now),
)
CUSTOMERS = Editable(
    Customer,
    CustomerPatchSchema,
    lambda user, customer, changes, now: update_customer(user, customer, changes),
    current=_customer_field,
)


@dataclass(frozen=True)
class _ContactEditable(Editable):
    """A contact is reached through its customer, which is locked (as the REST routes do)."""

    def fetch(self, user: User, row_id: uuid.UUID) -> Any:
        return get_visible_contact(user, row_id)[1]


CONTACTS = _ContactEditable(
    Contact,
    ContactPatchSchema,
    lambda user, contact, changes, now: update_contact(contact.customer, contact, changes),
)
EDITABLE = {spec.entity: spec for spec in (TASKS, PLANS, WARNINGS, CUSTOMERS, CONTACTS)}


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
