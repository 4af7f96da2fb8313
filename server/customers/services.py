"""Customer rules: who may see which customer, profile edits, contacts, assignment, tiers."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager, selectinload

from server import events
from server.audit.services import record
from server.auth.models import Role, User
from server.complaints.models import UNRESOLVED, Complaint
from server.customers.models import (
    AssignmentHistory,
    Contact,
    Customer,
    CustomerKind,
    MonthlySpend,
    Stage,
    Tier,
)
from server.customers.schemas import ContactSchema, CustomerDetailSchema, TierSchema
from server.errors import ApiError, invalid, invalid_fields, not_found
from server.extensions import db
from server.models_base import bulk_update, check_version, utcnow
from server.pagination import paginate
from server.plans.models import CarePlan, PlanStatus
from server.scope import get_visible, visible_customers
from server.tasks.models import Task, TaskStatus
from server.timeutil import local_today
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningStatus


def assign(
    customer: Customer,
    to_manager: User | None,
    *,
    reason: str,
    actor: User | None,
    source: str = "api",
) -> AssignmentHistory | None:
    """Make `to_manager` the customer's responsible manager and keep the history.

    Returns the history row, or None when the customer already had that manager
    (so re-running an import or a bulk reassign records nothing new).
    Permission checks are the caller's: this is the one place the rule
    "a customer has at most one manager, and every change is kept" lives.
    """
    new_id = to_manager.id if to_manager else None
    if customer.manager_id == new_id:
        return None
    entry = AssignmentHistory(
        customer_id=customer.id,
        from_manager_id=customer.manager_id,
        to_manager_id=new_id,
        assigned_by_id=actor.id if actor else None,
        source=source,
        reason=reason,
        at=utcnow(),
    )
    customer.manager_id = new_id
    customer.assigned_at = entry.at
    db.session.add(entry)
    # Open plans, tasks and complaints follow the customer: each domain moves its own.
    events.customer_reassigned.send(
        customer, previous_manager_id=entry.from_manager_id, new_manager_id=new_id, at=entry.at
    )
    return entry


STAGE_CHUNK = 500


def set_stage(customer: Customer, stage: Stage) -> None:
    """Move a customer to a lifecycle stage (the churn warnings drive warning and churned)."""
    customer.stage = stage


def set_stage_in_bulk(customer_ids: list[uuid.UUID], stage: Stage, now: datetime) -> None:
    """Move many customers to one stage in a few UPDATEs (a warnings scan opens hundreds)."""
    for start in range(0, len(customer_ids), STAGE_CHUNK):
        chunk = customer_ids[start : start + STAGE_CHUNK]
        bulk_update(Customer, Customer.id.in_(chunk), values={"stage": stage}, at=now)


def portfolio_sizes(manager_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Number of customers currently assigned to each of these managers (one query)."""
    if not manager_ids:
        return {}
    rows = db.session.execute(
        sa.select(Customer.manager_id, sa.func.count())
        .where(Customer.manager_id.in_(manager_ids))
        .group_by(Customer.manager_id)
    )
    sizes = dict.fromkeys(manager_ids, 0)
    for manager_id, count in rows:
        if manager_id is not None:
            sizes[manager_id] = count
    return sizes


# --- reading --------------------------------------------------------------------


def list_customers(
    user: User,
    *,
    tier: list[str] | None = None,
    stage: list[Stage] | None = None,
    kind: list[CustomerKind] | None = None,
    manager_id: uuid.UUID | None = None,
    unassigned: bool | None = None,
    q: str | None = None,
    area: str | None = None,
    no_contact_days: int | None = None,
    open_warning: bool | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """One page of the customers `user` may see, filtered and in a stable order.

    Each row also says when the customer was last contacted and whether a churn
    warning is open (`CustomerRow`).
    """
    stmt = visible_customers(user).join(Customer.tier)
    last_contact = _last_contact()
    if tier:
        known = set(db.session.scalars(sa.select(Tier.code).where(Tier.code.in_(tier))))
        unknown = [code for code in tier if code not in known]
        if unknown:
            raise invalid("tier", f"Unknown tier: {', '.join(unknown)}.")
        stmt = stmt.where(Tier.code.in_(tier))
    if stage:
        stmt = stmt.where(Customer.stage.in_(stage))
    if kind:
        stmt = stmt.where(Customer.kind.in_(kind))
    if manager_id is not None:
        stmt = stmt.where(Customer.manager_id == manager_id)
    if unassigned is not None:
        stmt = stmt.where(
            Customer.manager_id.is_(None) if unassigned else Customer.manager_id.is_not(None)
        )
    if q:
        stmt = stmt.where(
            sa.or_(
                *(
                    column.icontains(q, autoescape=True)
                    for column in (
                        Customer.name,
                        Customer.phone,
                        Customer.phone2,
                        Customer.employer,
                    )
                )
            )
        )

    if area:
        stmt = stmt.where(Customer.address.icontains(area, autoescape=True))
    if no_contact_days is not None:
        since = utcnow() - timedelta(days=no_contact_days)
        stmt = stmt.where(sa.or_(last_contact.is_(None), last_contact < since))
    if open_warning is not None:
        stmt = stmt.where(_open_warning() if open_warning else sa.not_(_open_warning()))

    order: list = []
    if sort == "tier":
        order.append(Tier.rank)
    elif sort == "last_contact":
        # Longest without contact first, never contacted before all.
        order += [last_contact.is_not(None), last_contact]
    elif sort == "contract_end_date":
        # Customers without a contract end date go last on every backend.
        order += [Customer.contract_end_date.is_(None), Customer.contract_end_date]
    order += [Customer.name, Customer.id]
    result = paginate(
        stmt.options(contains_eager(Customer.tier), selectinload(Customer.manager)).order_by(
            *order
        ),
        page=page,
        per_page=per_page,
    )
    customers: list[Customer] = result.items
    ids = [c.id for c in customers]
    contacted: dict[uuid.UUID, datetime] = {}
    warned: set[uuid.UUID] = set()
    if ids:
        contacted = dict(
            db.session.execute(
                sa.select(Visit.customer_id, sa.func.max(Visit.started_at))
                .where(Visit.customer_id.in_(ids))
                .group_by(Visit.customer_id)
            ).all()
        )
        warned = set(
            db.session.scalars(
                sa.select(ChurnWarning.customer_id).where(
                    ChurnWarning.customer_id.in_(ids), ChurnWarning.status == WarningStatus.OPEN
                )
            )
        )
    result.items = [CustomerRow(c, contacted.get(c.id), c.id in warned) for c in customers]
    return result


def _last_contact():
    """The customer's latest visit (any channel), as a correlated subquery."""
    return (
        sa.select(sa.func.max(Visit.started_at))
        .where(Visit.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )


def _open_warning():
    return sa.exists().where(
        ChurnWarning.customer_id == Customer.id, ChurnWarning.status == WarningStatus.OPEN
    )


@dataclass
class CustomerRow:
    """A customer in a list, with its last contact and whether a warning is open."""

    customer: Customer
    last_contact_at: datetime | None
    open_warning: bool

    def __getattr__(self, name: str):
        return getattr(self.customer, name)


@dataclass
class CustomerProfile:
    """A customer with what its profile page shows alongside it."""

    customer: Customer
    spend: dict
    assignments: list[AssignmentHistory]

    def __getattr__(self, name: str):
        # Reads like the customer it wraps, so one schema dumps both.
        return getattr(self.customer, name)


SPEND_MONTHS = 12


def spend_summary(customer_id: uuid.UUID, *, today: date | None = None) -> dict:
    """The last 12 calendar months of fees (the current month included), per service.

    Every list lines up with `months` (oldest first); a month without a billing row
    for a service is None, and so is the total of a month with no rows at all.
    """
    today = today or local_today()
    this_month = today.replace(day=1)
    months = [this_month + relativedelta(months=offset) for offset in range(1 - SPEND_MONTHS, 1)]
    rows = db.session.execute(
        sa.select(MonthlySpend.month, MonthlySpend.service, MonthlySpend.amount).where(
            MonthlySpend.customer_id == customer_id,
            MonthlySpend.month >= months[0],
            MonthlySpend.month <= months[-1],
        )
    )
    index = {month: i for i, month in enumerate(months)}
    services: dict[str, list[Decimal | None]] = {}
    total: list[Decimal | None] = [None] * len(months)
    for month, service, amount in rows:
        i = index.get(month.replace(day=1))
        if i is None:
            continue
        services.setdefault(service, [None] * len(months))[i] = amount
        total[i] = (total[i] or Decimal(0)) + amount
    return {
        "months": [m.strftime("%Y-%m") for m in months],
        "services": dict(sorted(services.items())),
        "total": total,
    }


def assignment_history(customer_id: uuid.UUID) -> list[AssignmentHistory]:
    """Every change of the customer's manager, newest first."""
    return list(
        db.session.scalars(
            sa.select(AssignmentHistory)
            .where(AssignmentHistory.customer_id == customer_id)
            .options(
                selectinload(AssignmentHistory.from_manager),
                selectinload(AssignmentHistory.to_manager),
                selectinload(AssignmentHistory.assigned_by),
            )
            .order_by(AssignmentHistory.at.desc())
        )
    )


def customer_profile(customer: Customer) -> CustomerProfile:
    """The profile archive of a customer, with its spend and assignment history."""
    return CustomerProfile(
        customer=customer,
        spend=spend_summary(customer.id),
        assignments=assignment_history(customer.id),
    )


# --- editing --------------------------------------------------------------------

# What billing owns or what decides who serves the customer: leads and admins only.
LEAD_ONLY_FIELDS = ("name", "tier", "kind")


def check_profile_changes(actor: User, changes: dict) -> None:
    """Refuse the fields `actor`'s role may not change (also run for a change's author
    when a lead applies a kept offline change: the lead must not widen its rights)."""
    if actor.role == Role.MANAGER:
        forbidden = [name for name in LEAD_ONLY_FIELDS if name in changes]
        if forbidden:
            raise invalid_fields(
                {name: ["Only a lead or an admin may change this."] for name in forbidden}
            )


def update_customer(actor: User, customer: Customer, changes: dict) -> Customer:
    """Apply an edit of the profile (CustomerPatchSchema); an optional `version` locks it."""
    changes = dict(changes)
    check_profile_changes(actor, changes)
    check_version(
        customer,
        changes.pop("version", None),
        "customer",
        lambda: CustomerDetailSchema().dump(customer_profile(customer)),
    )
    if "tier" in changes:
        code = changes.pop("tier")
        tier = db.session.scalar(sa.select(Tier).where(Tier.code == code))
        if tier is None:
            raise invalid("tier", f"Unknown tier: {code}.")
        customer.tier = tier
    if changes.get("kind", CustomerKind.ORGANISATION) != CustomerKind.ORGANISATION and (
        customer.contacts
    ):
        raise invalid("kind", "Remove the contacts first: only organisations have contacts.")
    if "special_dates" in changes:
        changes["special_dates"] = [
            {"label": item["label"], "date": item["date"].isoformat()}
            for item in changes["special_dates"]
        ]
    for name, value in changes.items():
        setattr(customer, name, value)
    db.session.flush()
    return customer


def _check_organisation(customer: Customer) -> None:
    if customer.kind != CustomerKind.ORGANISATION:
        raise ApiError(
            422, "Only organisation customers have contacts.", code="not_an_organisation"
        )


def _make_sole_decision_maker(customer: Customer, contact: Contact) -> None:
    """At most one decision maker per customer (a unique index says so too)."""
    # One UPDATE of what the database holds, before the new mark (or the index trips).
    bulk_update(
        Contact,
        Contact.customer_id == customer.id,
        Contact.is_decision_maker,
        Contact.id != contact.id,
        values={"is_decision_maker": False},
    )
    contact.is_decision_maker = True


def add_contact(customer: Customer, data: dict) -> Contact:
    """Add a contact person to an organisation customer (locked by the caller)."""
    _check_organisation(customer)
    data = dict(data)
    decision_maker = data.pop("is_decision_maker", False)
    contact = Contact(**data, customer_id=customer.id, is_decision_maker=False)
    db.session.add(contact)
    db.session.flush()
    if decision_maker:
        _make_sole_decision_maker(customer, contact)
    db.session.flush()
    _reload_contacts(customer)
    return contact


def _reload_contacts(customer: Customer) -> None:
    # Contacts are added, removed and found by the session, not through the collection in
    # memory (which a rolled-back savepoint of the sync push could leave stale): read it
    # again when next used (the profile's answer lists the contacts).
    db.session.expire(customer, ["contacts"])


def get_contact(customer: Customer, contact_id: uuid.UUID) -> Contact:
    """One of the customer's contact persons; 404 if it has no such contact."""
    _check_organisation(customer)
    contact = db.session.scalar(
        sa.select(Contact).where(Contact.id == contact_id, Contact.customer_id == customer.id)
    )
    if contact is None:
        raise not_found("Contact")
    return contact


def get_visible_contact(user: User, contact_id: uuid.UUID) -> tuple[Customer, Contact]:
    """A contact of a customer `user` may see, with its customer locked (as the REST
    routes lock it, so two decision-maker changes run one after the other); else 404."""
    customer_id = db.session.scalar(sa.select(Contact.customer_id).where(Contact.id == contact_id))
    if customer_id is None:
        raise not_found("Contact")
    customer = get_visible(user, Customer, customer_id, for_update=True)
    return customer, get_contact(customer, contact_id)


def update_contact(customer: Customer, contact: Contact, changes: dict) -> Contact:
    """Edit a contact; marking it decision maker un-marks the previous one."""
    changes = dict(changes)
    check_version(
        contact, changes.pop("version", None), "contact", lambda: ContactSchema().dump(contact)
    )
    decision_maker = changes.pop("is_decision_maker", None)
    for name, value in changes.items():
        setattr(contact, name, value)
    if decision_maker:
        _make_sole_decision_maker(customer, contact)
    elif decision_maker is False:
        contact.is_decision_maker = False
    db.session.flush()
    return contact


def delete_contact(customer: Customer, contact: Contact, *, version: int | None = None) -> None:
    """Remove a contact person; `version` (optional) refuses it if the contact changed since."""
    check_version(contact, version, "contact", lambda: ContactSchema().dump(contact))
    db.session.delete(contact)
    db.session.flush()
    _reload_contacts(customer)


# --- assignment -----------------------------------------------------------------


@dataclass
class AssignmentOutcome:
    assigned: int
    unchanged: int
    dry_run: bool
    warnings: list[dict] = field(default_factory=list)
    # The open work that goes with the customers: {"plans", "tasks", "complaints"}.
    moves: dict[str, int] = field(default_factory=dict)
    customer: Customer | None = None


def _target_manager(actor: User, manager_id: uuid.UUID | None) -> User | None:
    """The manager to assign to, checked against what `actor` may hand out.

    A lead gets the same answer for a stranger as for a missing user, so the
    endpoint does not reveal who exists outside their team.
    """
    if manager_id is None:
        return None
    target = db.session.get(User, manager_id)
    lead = actor.role == Role.LEAD
    if (
        target is None
        or not target.active
        or target.role != Role.MANAGER
        or (lead and (actor.team_id is None or target.team_id != actor.team_id))
    ):
        raise invalid(
            "manager_id",
            "Not an active manager of your team." if lead else "Not an active manager.",
        )
    return target


def _apply_assignment(
    actor: User,
    customers: list[Customer],
    target: User | None,
    *,
    reason: str,
    dry_run: bool,
) -> AssignmentOutcome:
    return apply_moves(actor, [(c, target) for c in customers], reason=reason, dry_run=dry_run)


def apply_moves(
    actor: User,
    moves: list[tuple[Customer, User | None]],
    *,
    reason: str,
    dry_run: bool,
) -> AssignmentOutcome:
    """Give each customer its new manager (None: the pool), the one path of every
    assignment in bulk; a dry run only reports.

    Warns for every manager whose portfolio would pass PORTFOLIO_CAPACITY (its size,
    plus what comes in, less what goes out), and counts the open work that moves too.
    """
    moving = [(c, t) for c, t in moves if c.manager_id != (t.id if t else None)]
    outcome = AssignmentOutcome(
        assigned=len(moving), unchanged=len(moves) - len(moving), dry_run=dry_run
    )
    change: dict[uuid.UUID, int] = {}
    for customer, target in moving:
        if target is not None:
            change[target.id] = change.get(target.id, 0) + 1
        if customer.manager_id is not None:
            change[customer.manager_id] = change.get(customer.manager_id, 0) - 1
    capacity = current_app.config["PORTFOLIO_CAPACITY"]
    sizes = portfolio_sizes(sorted(change))
    for manager_id in sorted(change, key=str):
        size = sizes[manager_id] + change[manager_id]
        if change[manager_id] > 0 and size > capacity:
            outcome.warnings.append(
                {
                    "code": "capacity_exceeded",
                    "manager_id": str(manager_id),
                    "portfolio_size": size,
                    "capacity": capacity,
                }
            )
    outcome.moves = open_work([c for c, _ in moving])
    if not dry_run:
        for customer, target in moving:
            assign(customer, target, reason=reason, actor=actor)
        db.session.flush()
    return outcome


def open_work(customers: list[Customer]) -> dict[str, int]:
    """The open plans, tasks and unresolved complaints of these customers held by their
    managers: what follows them to a new manager (events.customer_reassigned)."""
    counts = {"plans": 0, "tasks": 0, "complaints": 0}
    by_id = {c.id: c.manager_id for c in customers if c.manager_id is not None}
    ids = list(by_id)
    for start in range(0, len(ids), STAGE_CHUNK):
        chunk = ids[start : start + STAGE_CHUNK]
        counts["plans"] += (
            db.session.scalar(
                sa.select(sa.func.count()).where(
                    CarePlan.customer_id.in_(chunk),
                    CarePlan.status.in_((PlanStatus.PLANNED, PlanStatus.MISSED)),
                )
            )
            or 0
        )
        for model, open_clause in (
            (Task, Task.status == TaskStatus.OPEN),
            (Complaint, Complaint.status.in_(UNRESOLVED)),
        ):
            rows = db.session.execute(
                sa.select(model.customer_id, model.owner_id).where(
                    model.customer_id.in_(chunk), open_clause
                )
            )
            key = "tasks" if model is Task else "complaints"
            counts[key] += sum(1 for cid, owner in rows if cid and by_id.get(cid) == owner)
    return counts


def reassign(
    actor: User, moves: list[tuple[uuid.UUID, uuid.UUID | None]], *, reason: str, dry_run: bool
) -> AssignmentOutcome:
    """Customers to managers each its own (a reviewed rebalancing): all or none.

    Ids `actor` may not see are reported by their index in `moves`, as missing ones;
    so are managers `actor` may not hand customers to.
    """
    wanted = list(dict.fromkeys(cid for cid, _ in moves))
    stmt = visible_customers(actor).where(Customer.id.in_(wanted))
    if not dry_run:
        stmt = stmt.order_by(Customer.id).with_for_update(of=Customer)
    found = {c.id: c for c in db.session.scalars(stmt)}
    targets: dict[uuid.UUID | None, User | None] = {}
    refused: dict[uuid.UUID | None, dict] = {}
    for manager_id in dict.fromkeys(mid for _, mid in moves):
        try:
            targets[manager_id] = _target_manager(actor, manager_id)
        except ApiError as err:
            refused[manager_id] = err.fields
    errors: dict[str, dict] = {}
    for i, (cid, manager_id) in enumerate(moves):
        if cid not in found:
            errors.setdefault(str(i), {})["customer_id"] = ["Customer not found."]
        if manager_id in refused:
            errors.setdefault(str(i), {}).update(refused[manager_id])
    if errors:
        raise invalid_fields({"moves": errors})
    last = dict(moves)  # a customer named twice goes to the last manager named
    outcome = apply_moves(
        actor,
        [(found[cid], targets[last[cid]]) for cid in wanted],
        reason=reason,
        dry_run=dry_run,
    )
    # How many managers (the pool counting as one) received customers.
    managers = len({last[cid] for cid in wanted})
    record_moves("customers.reassign", actor, outcome, reason, managers=managers)
    return outcome


def record_moves(
    action: str,
    actor: User,
    outcome: AssignmentOutcome,
    reason: str,
    *,
    target: User | Customer | None = None,
    **details,
) -> None:
    """One audit event for an assignment action, however many customers it moved.

    Each customer's own move is in the (append-only) assignment history; the event
    says who did what, how many, and why. A dry run or a move of nobody records nothing.
    """
    if outcome.dry_run or not outcome.assigned:
        return
    target_type = None
    if target is not None:
        target_type = "user" if isinstance(target, User) else "customer"
    record(
        action,
        actor=actor,
        target_type=target_type,
        target_id=target.id if target is not None else None,
        details={"count": outcome.assigned, "unchanged": outcome.unchanged, "reason": reason}
        | details,
    )


def assign_customer(
    actor: User,
    customer: Customer,
    manager_id: uuid.UUID | None,
    *,
    reason: str,
    dry_run: bool = False,
) -> AssignmentOutcome:
    """Give one customer `actor` may see (locked unless a dry run) to a manager (None: pool)."""
    target = _target_manager(actor, manager_id)
    previous = customer.manager_id
    outcome = _apply_assignment(actor, [customer], target, reason=reason, dry_run=dry_run)
    outcome.customer = customer
    record_moves(
        "customers.assign",
        actor,
        outcome,
        reason,
        target=customer,
        from_manager_id=previous,
        to_manager_id=manager_id,
    )
    return outcome


def assign_many(
    actor: User,
    customer_ids: list[uuid.UUID],
    manager_id: uuid.UUID | None,
    *,
    reason: str,
    dry_run: bool = False,
) -> AssignmentOutcome:
    """Give many customers to one manager: all of them, or none if any is not visible.

    Ids `actor` may not see are reported by their index in `customer_ids` (422),
    the same way as ids that do not exist, so nothing leaks.
    """
    wanted = list(dict.fromkeys(customer_ids))
    stmt = visible_customers(actor).where(Customer.id.in_(wanted))
    if not dry_run:
        # A fixed lock order keeps two overlapping bulk moves from deadlocking.
        stmt = stmt.order_by(Customer.id).with_for_update(of=Customer)
    found = {c.id: c for c in db.session.scalars(stmt)}
    missing = {
        str(i): ["Customer not found."] for i, cid in enumerate(customer_ids) if cid not in found
    }
    errors: dict = {"customer_ids": missing} if missing else {}
    try:
        target = _target_manager(actor, manager_id)
    except ApiError as err:
        errors.update(err.fields)
    if errors:
        raise invalid_fields(errors)
    customers = [found[cid] for cid in wanted]
    outcome = _apply_assignment(actor, customers, target, reason=reason, dry_run=dry_run)
    record_moves(
        "customers.assign_bulk", actor, outcome, reason, target=target, to_manager_id=manager_id
    )
    return outcome


# --- tiers ----------------------------------------------------------------------


def list_tiers() -> list[Tier]:
    """All value tiers, most valuable first."""
    return list(db.session.scalars(sa.select(Tier).order_by(Tier.rank)))


def get_tier(tier_id: uuid.UUID, *, for_update: bool = False) -> Tier:
    tier = db.session.get(Tier, tier_id, with_for_update=for_update)
    if tier is None:
        raise not_found("Tier")
    return tier


def update_tier(tier: Tier, changes: dict) -> Tier:
    """Change a tier's names or service levels (admin)."""
    changes = dict(changes)
    check_version(tier, changes.pop("version", None), "tier", lambda: TierSchema().dump(tier))
    for name, value in changes.items():
        setattr(tier, name, value)
    db.session.flush()
    return tier
