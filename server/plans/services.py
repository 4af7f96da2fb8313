"""Care plan rules: manual plans, completion, reassignment, and generation."""

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import holidays
import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from server import events
from server.auth.models import User
from server.birthdays import celebrations
from server.customers.models import Customer, Stage, Tier
from server.errors import ApiError, invalid
from server.extensions import db
from server.jobs.models import Job
from server.jobs.services import Progress, handler, submit
from server.models_base import bulk_update, check_version
from server.pagination import paginate
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose, SkipReason
from server.scope import visible
from server.timeutil import local_today, local_zone
from server.transaction import Checkpoints, in_chunks
from server.visits.models import Visit
from server.warnings.models import ChurnWarning

# Titles a plan gets when none is given.
DEFAULT_TITLES = {
    Purpose.ROUTINE: "日常维系",
    Purpose.BIRTHDAY: "生日关怀",
    Purpose.HOLIDAY: "节日关怀",
    Purpose.CONTRACT_EXPIRY: "合约到期续约",
    Purpose.WELCOME: "入网欢迎",
    Purpose.INTRODUCTION_CHECK: "导入期回访",
    Purpose.RETENTION: "挽留",
    Purpose.COMPLAINT_FOLLOWUP: "投诉回访",
    Purpose.MARKETING: "产品营销",
    Purpose.WIN_BACK: "流失回流",
}

# On one due date, the contact that costs most when late comes first.
PURPOSE_PRIORITY = (
    Purpose.COMPLAINT_FOLLOWUP,
    Purpose.RETENTION,
    Purpose.CONTRACT_EXPIRY,
    Purpose.WELCOME,
    Purpose.INTRODUCTION_CHECK,
    Purpose.BIRTHDAY,
    Purpose.HOLIDAY,
    Purpose.WIN_BACK,
    Purpose.ROUTINE,
    Purpose.MARKETING,
)

# Plans that can still be done: a missed plan is late, not gone (a visit may still
# complete it), so it counts as open too.
OPEN_STATUSES = (PlanStatus.PLANNED, PlanStatus.MISSED)
# The top tiers (rank 1 and 2) are seen in person for routine care, birthdays,
# renewals and campaigns.
VISIT_MAX_RANK = 2


def matching_plan(customer_id: uuid.UUID, purpose: Purpose, day: date) -> CarePlan | None:
    """The open plan that a contact with the customer on `day`, for `purpose`, fulfils.

    The rule (docs/indicators.md, "A visit completes the plan it fulfils"): a plan of
    the same customer and purpose, still open (planned, or missed: late is not gone),
    whose window has opened by `day`; of several, the one due first. A plan whose
    window opens later is not fulfilled early. Locked, as the caller completes it.
    """
    return db.session.scalar(
        sa.select(CarePlan)
        .where(
            CarePlan.customer_id == customer_id,
            CarePlan.purpose == purpose,
            CarePlan.status.in_(OPEN_STATUSES),
            CarePlan.due_from <= day,
        )
        .order_by(CarePlan.due_to, CarePlan.due_from, CarePlan.id)
        .limit(1)
        .with_for_update()
    )


def complete_plan(plan: CarePlan, *, at: datetime, visit_id: uuid.UUID | None = None) -> bool:
    """Mark a plan done by a contact at `at`. False if it was not open (already done...).

    Called by the visit log: logging a visit completes the plan it answers.
    """
    if plan.status not in (PlanStatus.PLANNED, PlanStatus.MISSED):
        return False
    plan.status = PlanStatus.DONE
    plan.completed_at = at
    return True


@events.customer_reassigned.connect
def _follow_the_customer(customer: Customer, *, new_manager_id: uuid.UUID | None, **_) -> None:
    # A customer not stored yet (an import creating it) has no plans to move.
    if sa.inspect(customer).persistent:
        reassign_open_plans(customer.id, new_manager_id)


def reassign_open_plans(customer_id: uuid.UUID, new_owner_id: uuid.UUID | None) -> int:
    """Hand a customer's open (planned or missed) plans to its new manager; returns how many.

    Done and cancelled plans keep their owner: they record who did (or dropped) the work.
    Runs whenever a customer changes manager (events.customer_reassigned).
    """
    return bulk_update(
        CarePlan,
        CarePlan.customer_id == customer_id,
        CarePlan.status.in_(OPEN_STATUSES),
        CarePlan.owner_id.is_distinct_from(new_owner_id),
        values={"owner_id": new_owner_id},
    )


WIN_BACK_DUE_DAYS = (30, 60)


@events.customer_churned.connect
def plan_win_back(
    customer: Customer, *, warning: ChurnWarning, actor: User, at: datetime, **_
) -> None:
    """Replace the care of a customer who left with one win-back contact.

    The open routine, birthday or marketing plans of a customer who has gone would
    only clutter the agenda; they are cancelled (kept, not deleted).
    """
    today = local_today(at)
    first, last = WIN_BACK_DUE_DAYS
    bulk_update(
        CarePlan,
        CarePlan.customer_id == customer.id,
        CarePlan.status.in_(OPEN_STATUSES),
        values={"status": PlanStatus.CANCELLED},
    )
    db.session.add(
        CarePlan(
            customer_id=customer.id,
            owner_id=customer.manager_id,
            purpose=Purpose.WIN_BACK,
            channel=Channel.PHONE,
            title=f"流失回访：{customer.name}"[:120],  # noqa: RUF001
            notes=warning.exit_reason,
            due_from=today + timedelta(days=first),
            due_to=today + timedelta(days=last),
            status=PlanStatus.PLANNED,
            generation_key=f"winback:{warning.id}",
            created_by_id=actor.id,
        )
    )
    db.session.flush()


# --- reading --------------------------------------------------------------------


def _overdue(today: date):
    return sa.and_(CarePlan.status.in_(OPEN_STATUSES), CarePlan.due_to < today)


def list_plans(
    user: User,
    *,
    customer_id: uuid.UUID | None = None,
    status: list[PlanStatus] | None = None,
    purpose: list[Purpose] | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
    overdue: bool | None = None,
    owner_id: uuid.UUID | None = None,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> Pagination:
    """One page of the plans `user` may see, soonest due first, then by purpose priority.

    `due_before`/`due_after` bound the end of the due window (inclusive); `overdue`
    means open (planned or missed) with the window already closed before `today`.
    """
    today = today or local_today()
    stmt = visible(user, CarePlan)
    if customer_id is not None:
        stmt = stmt.where(CarePlan.customer_id == customer_id)
    if status:
        stmt = stmt.where(CarePlan.status.in_(status))
    if purpose:
        stmt = stmt.where(CarePlan.purpose.in_(purpose))
    if due_before is not None:
        stmt = stmt.where(CarePlan.due_to <= due_before)
    if due_after is not None:
        stmt = stmt.where(CarePlan.due_to >= due_after)
    if overdue is not None:
        stmt = stmt.where(_overdue(today) if overdue else sa.not_(_overdue(today)))
    if owner_id is not None:
        stmt = stmt.where(CarePlan.owner_id == owner_id)

    priority = sa.case(
        {p.value: i for i, p in enumerate(PURPOSE_PRIORITY)},
        value=sa.type_coerce(CarePlan.purpose, sa.String),
        else_=len(PURPOSE_PRIORITY),
    )
    return paginate(
        stmt.options(selectinload(CarePlan.customer)).order_by(
            CarePlan.due_to, priority, CarePlan.due_from, CarePlan.id
        ),
        page=page,
        per_page=per_page,
    )


# --- writing --------------------------------------------------------------------


def create_plan(
    user: User,
    customer: Customer,
    *,
    purpose: Purpose,
    channel: Channel,
    due_from: date,
    due_to: date,
    title: str | None = None,
    notes: str | None = None,
    id: uuid.UUID | None = None,
) -> CarePlan:
    """A plan made by hand for a customer `user` may see.

    The plan belongs to the customer's manager (to `user` for a customer in the
    unassigned pool). Given an `id` that already names this user's plan for this
    customer, returns that plan unchanged: a phone may send its create twice.
    """
    if id is not None:
        existing = db.session.get(CarePlan, id)
        if existing is not None:
            if existing.customer_id == customer.id and existing.created_by_id == user.id:
                return existing
            raise ApiError(409, "A different plan already has this id.", code="conflict")
    if due_from > due_to:
        raise invalid("due_to", "Must not be before due_from.")
    plan = CarePlan(
        id=id or uuid.uuid4(),
        customer_id=customer.id,
        owner_id=customer.manager_id or user.id,
        purpose=purpose,
        channel=channel,
        title=title or DEFAULT_TITLES[purpose],
        notes=notes,
        due_from=due_from,
        due_to=due_to,
        status=PlanStatus.PLANNED,
        created_by_id=user.id,
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(user: User, plan: CarePlan, changes: dict) -> CarePlan:
    """Edit a plan: reschedule, channel, title, notes, status "cancelled", or skip it.

    Skipping (`skip_reason`, perhaps with `skip_note`) cancels the plan and keeps why:
    the agenda and the indicators treat it as any cancelled plan.
    A done or cancelled plan is history: only its notes may change (409 otherwise).
    Rescheduling a missed plan opens it again. An optional `version` locks it.
    The REST PATCH and the sync push's `update_plan` both come here.
    """
    changes = dict(changes)
    check_version(plan, changes.pop("version", None), "plan")
    closed = plan.status in (PlanStatus.DONE, PlanStatus.CANCELLED)
    # Fields sent unchanged are no edit: a phone may send the whole plan back.
    edited = {name for name, value in changes.items() if getattr(plan, name) != value}
    if closed and edited - {"notes"}:
        raise ApiError(
            409,
            f"This plan is {plan.status.value}; only its notes can be changed.",
            code="plan_closed",
        )
    due_from = changes.get("due_from", plan.due_from)
    due_to = changes.get("due_to", plan.due_to)
    if due_from > due_to:
        raise invalid("due_to", "Must not be before due_from.")
    _check_skip(plan, changes)
    if changes.get("status") == PlanStatus.CANCELLED or changes.get("skip_reason") is not None:
        changes.pop("status", None)
        plan.status = PlanStatus.CANCELLED
    elif plan.status == PlanStatus.MISSED and edited & {"due_from", "due_to"}:
        plan.status = PlanStatus.PLANNED
    for name, value in changes.items():
        setattr(plan, name, value)
    db.session.flush()
    return plan


def _check_skip(plan: CarePlan, changes: dict) -> None:
    """A skip needs its reason; "other" says what in the note; a note alone skips nothing."""
    reason = changes.get("skip_reason", plan.skip_reason)
    note = changes.get("skip_note", plan.skip_note)
    if "skip_note" in changes and note is not None and reason is None:
        raise invalid("skip_note", "Only with a skip_reason.")
    if "skip_reason" in changes and reason == SkipReason.OTHER and not note:
        raise invalid("skip_note", "Say why the plan is skipped.")


def cancel_plan(plan: CarePlan) -> CarePlan:
    """Cancel an open plan; cancelling a cancelled plan changes nothing; a done one is 409."""
    if plan.status == PlanStatus.DONE:
        raise ApiError(409, "This plan is done; it cannot be cancelled.", code="plan_closed")
    if plan.status != PlanStatus.CANCELLED:
        plan.status = PlanStatus.CANCELLED
        db.session.flush()
    return plan


@dataclass(frozen=True)
class Contact:
    """A contact to plan with one customer: who makes it, and how valuable the customer is."""

    customer_id: uuid.UUID
    manager_id: uuid.UUID
    tier_rank: int


def plan_contacts(
    contacts: list[Contact],
    *,
    purpose: Purpose,
    title: str,
    notes: str | None,
    due_from: date,
    due_to: date,
    generation_key: str,
    created_by: User | None,
) -> dict[uuid.UUID, uuid.UUID]:
    """One plan per customer for the same occasion (a campaign); {customer id: plan id}.

    The top tiers are seen in person, the others called. A customer who already has a
    plan under `generation_key` keeps it (and its id is returned): running it again
    makes nothing twice. Inserted in one batch, never a statement per customer.
    """
    existing = dict(
        db.session.execute(
            sa.select(CarePlan.customer_id, CarePlan.id).where(
                CarePlan.generation_key == generation_key,
                CarePlan.customer_id.in_([c.customer_id for c in contacts]),
            )
        ).all()
    )
    plans = [
        CarePlan(
            id=uuid.uuid4(),
            customer_id=c.customer_id,
            owner_id=c.manager_id,
            purpose=purpose,
            channel=Channel.VISIT if c.tier_rank <= VISIT_MAX_RANK else Channel.PHONE,
            title=title[:120],
            notes=notes,
            due_from=due_from,
            due_to=due_to,
            status=PlanStatus.PLANNED,
            generation_key=generation_key,
            created_by_id=created_by.id if created_by else None,
        )
        for c in contacts
        if c.customer_id not in existing
    ]
    db.session.add_all(plans)
    db.session.flush()
    return existing | {plan.customer_id: plan.id for plan in plans}


# --- generation -----------------------------------------------------------------

HOLIDAY_TITLES = {
    "Chinese New Year (Spring Festival)": "春节",
    "Mid-Autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Dragon Boat Festival": "端午节",
    "New Year's Day": "元旦",
}
# Holiday greetings by tier: a visit for the very top, a text for the broad base.
HOLIDAY_VISIT_TIERS = frozenset({"diamond"})
HOLIDAY_SMS_TIERS = frozenset({"gold", "crystal"})
ROUTINE_WINDOW_DAYS = 7
# Generated keys of plans whose window closed longer ago than this are not loaded:
# every occasion generated today ends today or later, and its key names its date or
# year, so older keys cannot collide. The two once-in-a-lifetime keys carry no date
# and are always loaded (a re-activated customer gets no second welcome).
KEY_LOOKBACK_DAYS = 400
UNDATED_KEYS = ("welcome", "introduction")
CUSTOMER_CHUNK = 1000
# Churned customers are followed for win-back by the warnings module, not with
# routine or occasion care; unassigned customers have nobody to make the contact.
_GENERATED_FOR = (Customer.manager_id.is_not(None), Customer.stage != Stage.CHURNED)
_GENERATED = (
    Purpose.ROUTINE,
    Purpose.BIRTHDAY,
    Purpose.HOLIDAY,
    Purpose.CONTRACT_EXPIRY,
    Purpose.WELCOME,
    Purpose.INTRODUCTION_CHECK,
)


@dataclass(frozen=True)
class _Target:
    """What generation needs to know of one customer (a row, not an ORM object)."""

    id: uuid.UUID
    manager_id: uuid.UUID
    stage: Stage
    tier_code: str
    tier_rank: int
    interval_days: int
    birthday: date | None
    birthday_lunar: bool
    activation_date: date | None
    contract_end_date: date | None
    ported_in: bool


def generate_plans(today: date, customer_ids: Iterable[uuid.UUID] | None = None) -> dict[str, int]:
    """Create the care plans falling due within PLAN_HORIZON_DAYS of `today`; flush only.

    Covers every assigned customer (or only `customer_ids`). Returns the number of
    plans created per purpose, plus "missed": open plans whose window closed before
    `today`, marked missed first. Idempotent: a plan is created only when no plan
    with its (customer, generation_key) exists, and the routine rule looks at the
    contacts already planned or made. A fixed handful of statements for all
    customers (per 1,000 given `customer_ids`), never one per customer.
    """
    counts = dict.fromkeys((p.value for p in _GENERATED), 0)
    if customer_ids is None:
        counts["missed"] = mark_missed_plans(today)
        _generate_for(today, sa.true(), counts)
    else:
        counts["missed"] = 0
        for chunk in in_chunks(list(dict.fromkeys(customer_ids)), CUSTOMER_CHUNK, None):
            counts["missed"] += mark_missed_plans(today, chunk)
            _generate_for(today, Customer.id.in_(chunk), counts)
    return counts


GENERATE_CHUNK = 1000


def start_generation(actor: User, today: date | None) -> Job:
    """Generate the due care plans of every customer as a background job."""
    return submit("plans_generate", {"date": today or local_today()}, actor)


@handler("plans_generate")
def _run_generation(job: Job, progress: Progress) -> dict[str, int]:
    return generate_in_chunks(date.fromisoformat(job.params["date"]), progress)


def generate_in_chunks(today: date, progress: Checkpoints) -> dict[str, int]:
    """`generate_plans(today)`, committed a chunk at a time; the same counts.

    Lapsed plans (of every customer) are marked missed GENERATE_CHUNK plans a
    transaction, then plans are generated GENERATE_CHUNK customers a transaction, so
    that no long write holds back the phones' pulls (docs/sync.md). The job and
    `fieldbook plans generate` both run this. Each chunk is idempotent, so a rerun
    after a crash midway finishes the work and makes nothing twice.
    """
    counts = dict.fromkeys((p.value for p in _GENERATED), 0)
    counts["missed"] = 0
    # Read first, outside any write: selecting takes no transaction id, so the
    # watermark is held only while a chunk writes.
    lapsed = list(db.session.scalars(sa.select(CarePlan.id).where(*_lapsed(today))))
    for chunk in in_chunks(lapsed, GENERATE_CHUNK, None):
        counts["missed"] += _mark_missed(today, CarePlan.id.in_(chunk))
        progress.checkpoint(0, "missed")
    ids = list(
        db.session.scalars(sa.select(Customer.id).where(*_GENERATED_FOR).order_by(Customer.id))
    )
    for chunk in in_chunks(ids, GENERATE_CHUNK, progress, "plans"):
        _generate_for(today, Customer.id.in_(chunk), counts)
    return counts


def mark_missed_plans(today: date, customer_ids: list[uuid.UUID] | None = None) -> int:
    """Mark planned plans whose window ended before `today` as missed (one UPDATE)."""
    if customer_ids is None:
        return _mark_missed(today)
    return _mark_missed(today, CarePlan.customer_id.in_(customer_ids))


def _lapsed(today: date) -> tuple:
    return (CarePlan.status == PlanStatus.PLANNED, CarePlan.due_to < today)


def _mark_missed(today: date, *where) -> int:
    return bulk_update(
        CarePlan,
        *_lapsed(today),
        *where,
        values={"status": PlanStatus.MISSED},
        synchronize="evaluate",
    )


def _generate_for(today: date, where, counts: dict[str, int]) -> None:
    config = current_app.config
    scope = sa.select(Customer.id).where(*_GENERATED_FOR, where)
    targets = _load_targets(scope)
    if not targets:
        return
    existing = _existing_keys(scope, today)
    last_contact = _last_contacts(scope)
    holiday_dates = _care_holidays(today, config["PLAN_HORIZON_DAYS"], config["CARE_HOLIDAYS"])

    plans = []
    for target in targets:
        taken: set[str | None] = existing.get(target.id, set())
        for plan in _plans_for(target, today, last_contact.get(target.id), holiday_dates):
            if plan.generation_key in taken:
                continue
            taken.add(plan.generation_key)
            plans.append(plan)
            counts[plan.purpose.value] += 1
    db.session.add_all(plans)
    db.session.flush()


def _load_targets(scope) -> list[_Target]:
    rows = db.session.execute(
        sa.select(
            Customer.id,
            Customer.manager_id,
            Customer.stage,
            Tier.code.label("tier_code"),
            Tier.rank.label("tier_rank"),
            Tier.contact_interval_days.label("interval_days"),
            Customer.birthday,
            Customer.birthday_lunar,
            Customer.activation_date,
            Customer.contract_end_date,
            Customer.ported_in,
        )
        .join(Tier, Customer.tier_id == Tier.id)
        # An erased customer cannot be contacted: no new plans (docs/security.md).
        .where(Customer.id.in_(scope), Customer.erased_at.is_(None))
        .order_by(Customer.id)
    )
    return [_Target(**row._mapping) for row in rows]


def _existing_keys(scope, today: date) -> dict[uuid.UUID, set[str | None]]:
    rows = db.session.execute(
        sa.select(CarePlan.customer_id, CarePlan.generation_key).where(
            CarePlan.customer_id.in_(scope),
            sa.or_(
                CarePlan.due_to >= today - timedelta(days=KEY_LOOKBACK_DAYS),
                CarePlan.generation_key.in_(UNDATED_KEYS),
            ),
            CarePlan.generation_key.is_not(None),
        )
    )
    keys: dict[uuid.UUID, set[str | None]] = defaultdict(set)
    for customer_id, key in rows:
        keys[customer_id].add(key)
    return keys


def _last_contacts(scope) -> dict[uuid.UUID, date]:
    """Each customer's latest routine contact, made or planned (local date).

    A done routine plan counts on the day it was done, a planned one from the day its
    window opens, and any logged visit counts whatever its purpose: a birthday visit
    is a contact too, and the rule is about not pestering the customer. Missed and
    cancelled plans are no contact.
    """
    zone = local_zone()
    latest: dict[uuid.UUID, date] = {}

    def note(customer_id: uuid.UUID, day: date | None) -> None:
        if day is not None and (customer_id not in latest or day > latest[customer_id]):
            latest[customer_id] = day

    plan_rows = db.session.execute(
        sa.select(
            CarePlan.customer_id,
            sa.func.max(CarePlan.completed_at),
            sa.func.max(CarePlan.due_from),
        )
        .where(
            CarePlan.customer_id.in_(scope),
            CarePlan.purpose == Purpose.ROUTINE,
            CarePlan.status.in_((PlanStatus.DONE, PlanStatus.PLANNED)),
        )
        .group_by(CarePlan.customer_id, CarePlan.status)
    )
    for customer_id, completed_at, due_from in plan_rows:
        if completed_at is not None:
            note(customer_id, completed_at.astimezone(zone).date())
        else:
            note(customer_id, due_from)

    visit_rows = db.session.execute(
        sa.select(Visit.customer_id, sa.func.max(Visit.started_at))
        .where(Visit.customer_id.in_(scope))
        .group_by(Visit.customer_id)
    )
    for customer_id, started_at in visit_rows:
        note(customer_id, started_at.astimezone(zone).date())
    return latest


def _care_holidays(today: date, horizon: int, names: Iterable[str]) -> list[tuple[str, date]]:
    """(name, first day) of each care holiday falling within [today, today + horizon]."""
    end = today + timedelta(days=horizon)
    calendar = holidays.China(years=range(today.year, end.year + 1), language="en_US")
    found: list[tuple[str, date]] = []
    for name in names:
        days = sorted(calendar.get_named(name, lookup="exact"))
        firsts: dict[int, date] = {}
        for day in days:
            firsts.setdefault(day.year, day)
        found.extend((name, day) for day in firsts.values() if today <= day <= end)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _birthdays(target: _Target, today: date, end: date) -> list[tuple[int, date]]:
    if target.birthday is None:
        return []
    return celebrations(target.birthday, target.birthday_lunar, today, end)


def _plan(target: _Target, purpose: Purpose, key: str, start: date, end: date, **kw) -> CarePlan:
    channel = kw.pop(
        "channel", Channel.VISIT if target.tier_rank <= VISIT_MAX_RANK else Channel.PHONE
    )
    return CarePlan(
        id=uuid.uuid4(),
        customer_id=target.id,
        owner_id=target.manager_id,
        purpose=purpose,
        channel=channel,
        title=kw.pop("title", DEFAULT_TITLES[purpose]),
        notes=kw.pop("notes", None),
        due_from=start,
        due_to=end,
        status=PlanStatus.PLANNED,
        generation_key=key,
    )


def first_routine_day(customer_id: uuid.UUID, interval_days: int, today: date) -> date:
    """A never-contacted customer's first routine contact, spread over the tier's interval.

    Otherwise every customer of a new portfolio falls due on the same day, and a
    manager's first agenda holds three hundred routine calls. The day is the next one
    whose ordinal matches the customer's phase (its id modulo the interval), so it is
    the same date on every run until it comes: generation stays idempotent.
    """
    phase = customer_id.int % interval_days
    return today + timedelta(days=(phase - today.toordinal()) % interval_days)


def _plans_for(
    target: _Target,
    today: date,
    last_contact: date | None,
    holiday_dates: list[tuple[str, date]],
) -> list[CarePlan]:
    """The plans the rules ask for, for one customer, before checking existing keys."""
    config = current_app.config
    horizon_end = today + timedelta(days=config["PLAN_HORIZON_DAYS"])
    plans = []

    # Routine: never two routine contacts inside the tier's interval.
    # When the interval is no longer than the horizon, the plan made now is itself a
    # contact whose successor may fall inside the horizon: plan the chain at once, or
    # the next run would add it and generation would not be idempotent.
    interval = timedelta(days=target.interval_days)
    if last_contact is None:
        next_due = first_routine_day(target.id, target.interval_days, today)
    else:
        next_due = last_contact + interval
    while next_due <= horizon_end:
        start = max(next_due, today)
        plans.append(
            _plan(
                target,
                Purpose.ROUTINE,
                f"routine:{start.isoformat()}",
                start,
                start + timedelta(days=ROUTINE_WINDOW_DAYS),
            )
        )
        next_due = start + interval

    lead = timedelta(days=config["BIRTHDAY_LEAD_DAYS"])
    for key_year, day in _birthdays(target, today, horizon_end):
        plans.append(_plan(target, Purpose.BIRTHDAY, f"birthday:{key_year}", day - lead, day))

    if target.tier_code in HOLIDAY_VISIT_TIERS:
        holiday_channel = Channel.VISIT
    elif target.tier_code in HOLIDAY_SMS_TIERS:
        holiday_channel = Channel.SMS
    else:
        holiday_channel = Channel.PHONE
    lead = timedelta(days=config["HOLIDAY_LEAD_DAYS"])
    for name, day in holiday_dates:
        plans.append(
            _plan(
                target,
                Purpose.HOLIDAY,
                f"holiday:{_slug(name)}:{day.year}",
                day - lead,
                day,
                channel=holiday_channel,
                title=f"{HOLIDAY_TITLES.get(name, name)}问候",
            )
        )

    end = target.contract_end_date
    if end is not None and today <= end <= today + timedelta(
        days=config["CONTRACT_EXPIRY_LEAD_DAYS"]
    ):
        plans.append(
            _plan(
                target,
                Purpose.CONTRACT_EXPIRY,
                f"contract:{end.isoformat()}",
                today,
                end,
                title=f"合约 {end.isoformat()} 到期续约",
            )
        )

    activation = target.activation_date
    if activation is not None:
        welcome_days = timedelta(days=config["WELCOME_WITHIN_DAYS"])
        if target.stage == Stage.ONBOARDING and today - welcome_days <= activation <= today:
            plans.append(
                _plan(
                    target,
                    Purpose.WELCOME,
                    "welcome",
                    activation,
                    activation + welcome_days,
                    channel=Channel.SMS,
                )
            )
        first, last = config["INTRODUCTION_CHECK_DAYS"]
        start, end = activation + timedelta(days=first), activation + timedelta(days=last)
        if start <= horizon_end and end >= today:
            plans.append(
                _plan(
                    target,
                    Purpose.INTRODUCTION_CHECK,
                    "introduction",
                    start,
                    end,
                    channel=Channel.PHONE,
                    notes="携号转网客户: extra help" if target.ported_in else None,
                )
            )
    return plans


@events.customer_erased.connect
def _erase_plan_notes(customer: Customer, *, at: datetime, **_) -> int:
    """An erased customer's plans keep purpose, window and status; their notes go."""
    return bulk_update(
        CarePlan,
        CarePlan.customer_id == customer.id,
        CarePlan.notes.is_not(None),
        values={"notes": None},
        at=at,
    )
