"""The demo's recent months as a lead reviews them: care done and missed, greetings,
privileges explained, three campaigns with their outcomes, warnings kept.

`seed_activity` logs the work around today; this adds what the review indicators
read over the last full months, so every indicator of the demo teams shows real
figures for last month (billing arrives after a month closes: this month's value
retained is "no data", as it would be). It runs after `seed_activity` with a random
stream of its own, so the earlier steps' data stay exactly as they were.
"""

# ruff: noqa: RUF001 - the Chinese texts take full-width punctuation.

import random
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from server.auth.models import Role, User
from server.campaigns.models import Campaign, CampaignKind, CampaignStatus, CampaignTarget, Outcome
from server.campaigns.services import record_outcome
from server.complaints.models import ComplaintStatus, IntakeChannel, Severity
from server.complaints.services import create_complaint, transition_complaint
from server.customers.models import Customer, Stage, Tier
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.plans.services import Contact, mark_missed_plans, plan_contacts
from server.reviews.models import ReviewPeriod
from server.reviews.scoring import default_scorecard
from server.timeutil import start_of_local_day
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningSource, WarningStatus

ROUTINE_PER_MANAGER = 24  # routine plans per manager and past month
ROUTINE_DONE = 0.82
GREETING_LATE, GREETING_MISSED = 0.06, 0.08
TOLD_SHARE = {"diamond": 0.7, "emerald": 0.6, "platinum": 0.5}  # else 0.25

CAMPAIGNS = (
    # (days before this month it started, kind, name, offer, tiers, days it ran, outcome weights)
    (
        45,
        CampaignKind.MARKETING,
        "5G升级季",
        "老4G套餐客户升级5G套餐，首三月月费八折，赠送20GB流量。",
        ("sapphire", "gold", "crystal"),
        40,
        {"took_part": 22, "contracted": 10, "declined": 30, "not_reached": 14, "offered": 12},
    ),
    (
        30,
        CampaignKind.RETENTION,
        "宽带续约保有",
        "合约到期客户续约24个月，千兆宽带按500M价格，免费更换FTTR路由器。",
        ("diamond", "emerald", "platinum", "sapphire"),
        28,
        {"contracted": 38, "declined": 24, "not_reached": 10, "offered": 14},
    ),
    (
        0,
        CampaignKind.PRIVILEGE,
        "钻石翡翠客户专属权益月",
        "机场贵宾厅两次、专属客服热线、生日月话费九折。",
        ("diamond", "emerald"),
        27,
        {"took_part": 30, "offered": 25, "declined": 8},
    ),
)
DECLINES = ("价格仍偏高", "近期不考虑更换", "家人已在其他运营商办理", "对现有套餐满意")
HISTORIC_WARNINGS = 2  # per manager, answered and kept last month


def seed_review_history(seed: int, today: date, now: datetime) -> dict:
    """Add the last months' reviewable work; flush, never commit. Returns counts."""
    rng = random.Random(f"{seed}/reviews")
    managers = list(
        db.session.scalars(sa.select(User).where(User.role == Role.MANAGER).order_by(User.username))
    )
    portfolios: dict[uuid.UUID, list[tuple[uuid.UUID, str, int, date | None, Stage]]] = defaultdict(
        list
    )
    for row in db.session.execute(
        sa.select(
            Customer.id,
            Tier.code,
            Tier.rank,
            # Lunar birthdays fall on other days each year: left to the generator.
            sa.case((Customer.birthday_lunar, None), else_=Customer.birthday),
            Customer.stage,
            Customer.manager_id,
        )
        .join(Tier, Tier.id == Customer.tier_id)
        .where(Customer.manager_id.is_not(None))
        .order_by(Customer.external_no)
    ):
        portfolios[row.manager_id].append(tuple(row[:5]))
    counts = {
        "routine": _routine(rng, today, managers, portfolios),
        "greetings": _greetings(rng, today, managers, portfolios),
        "told": _privileges_told(rng),
        "targets": _campaigns(rng, today, now, managers, portfolios),
        "kept": _kept_warnings(rng, today, managers, portfolios),
        "complaints": _closed_complaints(rng, today, managers, portfolios),
    }
    counts["missed"] = mark_missed_plans(today)
    _review_period(today)
    db.session.flush()
    return counts


def _at(day: date, hour: float) -> datetime:
    return start_of_local_day(day) + timedelta(hours=hour)


def _past_months(today: date, n: int = 2) -> list[date]:
    """The first days of the last `n` full months, oldest first."""
    first = today.replace(day=1)
    return [first - relativedelta(months=k) for k in range(n, 0, -1)]


def _routine(rng, today, managers, portfolios) -> int:
    """Routine contacts planned over the last two months, most of them made."""
    made = 0
    for manager in managers:
        active = [c for c in portfolios[manager.id] if c[4] != Stage.CHURNED]
        for month in _past_months(today):
            for customer_id, _tier, rank, _birthday, _stage in rng.sample(
                active, ROUTINE_PER_MANAGER
            ):
                due_from = month + timedelta(days=rng.randint(0, 20))
                due_to = due_from + timedelta(days=7)
                done = rng.random() < ROUTINE_DONE
                db.session.add(
                    CarePlan(
                        customer_id=customer_id,
                        owner_id=manager.id,
                        purpose=Purpose.ROUTINE,
                        channel=Channel.VISIT if rank <= 2 else Channel.PHONE,
                        title="日常维系",
                        due_from=due_from,
                        due_to=due_to,
                        status=PlanStatus.DONE if done else PlanStatus.PLANNED,
                        completed_at=_at(
                            due_from + timedelta(days=rng.randint(0, 6)), 10 + rng.random() * 7
                        )
                        if done
                        else None,
                        generation_key=f"routine:{due_from.isoformat()}",
                    )
                )
                made += 1
    return made


def _greetings(rng, today, managers, portfolios) -> int:
    """Birthday greetings of the last two months: mostly on time, a few late or missed."""
    made = 0
    start = _past_months(today)[0]
    end = today.replace(day=1) - timedelta(days=1)
    for manager in managers:
        for customer_id, _tier, _rank, birthday, stage in portfolios[manager.id]:
            if birthday is None or stage == Stage.CHURNED:
                continue
            for year in sorted({start.year, end.year}):
                try:
                    day = birthday.replace(year=year)
                except ValueError:
                    continue
                if not start <= day <= end:
                    continue
                draw = rng.random()
                if draw < GREETING_MISSED:
                    status, done = PlanStatus.PLANNED, None
                elif draw < GREETING_MISSED + GREETING_LATE:
                    status, done = PlanStatus.DONE, _at(day + timedelta(days=rng.randint(1, 3)), 11)
                else:
                    status, done = (
                        PlanStatus.DONE,
                        _at(day - timedelta(days=rng.randint(0, 3)), 9.5),
                    )
                db.session.add(
                    CarePlan(
                        customer_id=customer_id,
                        owner_id=manager.id,
                        purpose=Purpose.BIRTHDAY,
                        channel=Channel.SMS,
                        title="生日关怀",
                        due_from=day - timedelta(days=3),
                        due_to=day,
                        status=status,
                        completed_at=done,
                        generation_key=f"birthday:{year}",
                    )
                )
                made += 1
    return made


def _privileges_told(rng) -> int:
    """Managers told many of their top customers of their privileges during visits."""
    rows = db.session.execute(
        sa.select(Visit.id, Tier.code)
        .join(Customer, Customer.id == Visit.customer_id)
        .join(Tier, Tier.id == Customer.tier_id)
        .order_by(Visit.started_at, Customer.external_no)
    ).all()
    told = [vid for vid, tier in rows if rng.random() < TOLD_SHARE.get(tier, 0.25)]
    for start in range(0, len(told), 500):
        db.session.execute(
            sa.update(Visit)
            .where(Visit.id.in_(told[start : start + 500]))
            .values(privileges_explained=True)
            .execution_options(synchronize_session=False)
        )
    return len(told)


def _campaigns(rng, today, now, managers, portfolios) -> int:
    """Each team's lead ran three campaigns: two over, one still running."""
    leads = {
        lead.team_id: lead
        for lead in db.session.scalars(sa.select(User).where(User.role == Role.LEAD))
    }
    by_team: dict[uuid.UUID, list[User]] = defaultdict(list)
    for manager in managers:
        by_team[manager.team_id].append(manager)
    made = 0
    for team_id, members in sorted(by_team.items(), key=lambda kv: str(leads[kv[0]].username)):
        lead = leads[team_id]
        for back, kind, name, offer, tiers, days, weights in CAMPAIGNS:
            starts_on = today.replace(day=1) - timedelta(days=back)
            ends_on = starts_on + timedelta(days=days)
            running = ends_on >= today
            campaign = Campaign(
                id=uuid.UUID(int=rng.getrandbits(128)),
                name=name,
                kind=kind,
                offer=offer,
                segment={"tiers": list(tiers)},
                team_id=team_id,
                starts_on=starts_on,
                ends_on=ends_on,
                status=CampaignStatus.LAUNCHED,
                created_by_id=lead.id,
                launched_at=_at(starts_on, 9),
                launched_by_id=lead.id,
            )
            db.session.add(campaign)
            db.session.flush()
            for manager in members:
                chosen = [
                    Contact(cid, manager.id, rank)
                    for cid, tier, rank, _b, stage in portfolios[manager.id]
                    if tier in tiers and stage != Stage.CHURNED
                ][:40]
                plans = plan_contacts(
                    chosen,
                    purpose=Purpose.RETENTION
                    if kind == CampaignKind.RETENTION
                    else Purpose.MARKETING,
                    title=name,
                    notes=offer,
                    due_from=starts_on,
                    due_to=ends_on,
                    generation_key=f"campaign:{campaign.id}",
                    created_by=lead,
                )
                for contact in chosen:
                    target = CampaignTarget(
                        campaign_id=campaign.id,
                        customer_id=contact.customer_id,
                        plan_id=plans[contact.customer_id],
                    )
                    db.session.add(target)
                    made += 1
                    outcome = _draw(rng, weights)
                    if outcome is None:
                        continue
                    last = min(ends_on, today - timedelta(days=1)) if running else ends_on
                    day = starts_on + timedelta(
                        days=rng.randint(0, max(0, (last - starts_on).days))
                    )
                    at = min(_at(day, 9 + rng.random() * 9), now)
                    data: dict = {"outcome": Outcome(outcome), "outcome_at": at}
                    if outcome == "contracted":
                        data["contract_months"] = rng.choice((12, 24, 24, 36))
                    if outcome == "declined":
                        data["decline_reason"] = rng.choice(DECLINES)
                    db.session.flush()
                    record_outcome(manager, target, data, now=at)
            if not running:
                campaign.status = CampaignStatus.CLOSED
                campaign.closed_at = _at(ends_on + timedelta(days=1), 9)
    db.session.flush()
    return made


def _draw(rng, weights: dict[str, int]) -> str | None:
    """An outcome, or None (no answer recorded) for what the weights leave over 100."""
    roll = rng.random() * 100
    for outcome, weight in weights.items():
        if roll < weight:
            return outcome
        roll -= weight
    return None


def _kept_warnings(rng, today, managers, portfolios) -> int:
    """Last month some customers wavered, were answered and kept."""
    month = _past_months(today, 1)[0]
    made = 0
    for manager in managers:
        quiet = [c for c in portfolios[manager.id] if c[4] == Stage.MATURITY]
        for customer_id, *_rest in rng.sample(quiet, HISTORIC_WARNINGS):
            opened = _at(month + timedelta(days=rng.randint(0, 10)), 10)
            db.session.add(
                ChurnWarning(
                    customer_id=customer_id,
                    status=WarningStatus.RETAINED,
                    source=WarningSource.MANUAL,
                    reasons=[
                        {
                            "code": "competitor",
                            "note": "竞争对手推出低价宽带套餐",
                            "text_zh": "竞争对手接触客户：竞争对手推出低价宽带套餐",
                            "text_en": "Approached by a competitor: a cheaper broadband offer",
                        }
                    ],
                    finding_keys=[f"demo:{customer_id}"],
                    opened_at=opened,
                    raised_by_id=manager.id,
                    previous_stage=Stage.MATURITY,
                    cause_analysis="客户对价格敏感，竞争对手上门推销。",
                    retention_plan="提供续约优惠并升级千兆宽带。",
                    answered_at=opened + timedelta(days=1),
                    answered_by_id=manager.id,
                    resolved_at=opened + timedelta(days=rng.randint(5, 12)),
                    resolved_by_id=manager.id,
                    resolution_note="客户接受续约优惠。",
                )
            )
            made += 1
    return made


COMPLAINTS_CLOSED = 3  # per manager, last month
PAST_COMPLAINTS = (
    ("billing", "月初账单多扣了一笔增值业务费", "已核实并退还误扣费用"),
    ("network", "家中信号弱，通话经常中断", "已协调网络部门增设室分设备"),
    ("broadband", "宽带晚上经常掉线", "已上门更换光猫，线路恢复稳定"),
)


def _closed_complaints(rng, today, managers, portfolios) -> int:
    """Last month's complaints, heard, resolved (most in time) and closed with a score."""
    month = _past_months(today, 1)[0]
    made = 0
    for manager in managers:
        active = [c for c in portfolios[manager.id] if c[4] != Stage.CHURNED]
        for customer_id, *_rest in rng.sample(active, COMPLAINTS_CLOSED):
            category, description, resolution = rng.choice(PAST_COMPLAINTS)
            received = _at(month + timedelta(days=rng.randint(0, 20)), 9 + rng.random() * 8)
            complaint = create_complaint(
                manager,
                db.session.get_one(Customer, customer_id),
                category=category,
                severity=rng.choice((Severity.MEDIUM, Severity.LOW)),
                intake_channel=IntakeChannel.PHONE,
                description=description,
                received_at=received,
                now=received,
            )
            allowed = complaint.deadline_at - received
            late = rng.random() < 0.12
            resolved = received + allowed * (
                rng.uniform(1.1, 1.5) if late else rng.uniform(0.2, 0.8)
            )
            steps: tuple[tuple[ComplaintStatus, dict, datetime], ...] = (
                (ComplaintStatus.IN_PROGRESS, {}, received + allowed * 0.1),
                (ComplaintStatus.RESOLVED, {"resolution": resolution}, resolved),
                (ComplaintStatus.INFORMED, {}, resolved + timedelta(hours=2)),
                (
                    ComplaintStatus.CLOSED,
                    {"satisfaction": rng.choice((3, 4, 4, 5, 5, 5))},
                    resolved + timedelta(hours=20),
                ),
            )
            for to, fields, when in steps:
                transition_complaint(manager, complaint, to, at=when, **fields)
            made += 1
    return made


def _review_period(today: date) -> None:
    """Last month, configured as a review period with the default scorecard."""
    first = today.replace(day=1) - relativedelta(months=1)
    last = today.replace(day=1) - timedelta(days=1)
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    db.session.add(
        ReviewPeriod(
            name=f"{first.year}年{first.month}月考核",
            starts_on=first,
            ends_on=last,
            scorecard=default_scorecard(),
            created_by_id=admin.id if admin else None,
        )
    )
