"""Campaign rules: who may define one, whom it targets, launching it, recording outcomes.

A lead's campaign reaches the customers of their team's managers; an admin's, every
assigned customer (or one team's). Launching picks the targets from the segment,
once, and gives each a care plan for its manager; the manager then records what the
customer did, on the phone and offline too. Outcomes feed the review indicators
(offer participation, retention contract rate) and each campaign's funnel.
"""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from server.auth.models import Role, User
from server.campaigns.models import (
    REACHED,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignTarget,
    Outcome,
)
from server.customers.models import Customer, MonthlySpend, Stage, Tier
from server.errors import ApiError, invalid, invalid_fields
from server.extensions import db
from server.jobs.models import Job
from server.jobs.services import Progress, handler, submit
from server.jsonvalue import to_json
from server.models_base import check_version, utcnow
from server.pagination import paginate
from server.plans.models import CarePlan, Purpose
from server.plans.services import Contact, complete_plan, plan_contacts
from server.scope import visible
from server.team.models import Team
from server.timeutil import accept_client_time, local_today
from server.warnings.models import ChurnWarning, WarningStatus

LAUNCH_CHUNK = 1000
PLAN_PURPOSE = {
    CampaignKind.RETENTION: Purpose.RETENTION,
    CampaignKind.PRIVILEGE: Purpose.MARKETING,
    CampaignKind.MARKETING: Purpose.MARKETING,
}


# --- defining -------------------------------------------------------------------


def _check_period(starts_on: date, ends_on: date) -> None:
    if starts_on > ends_on:
        raise invalid("ends_on", "Must not be before starts_on.")


def _team_for(actor: User, team_id: uuid.UUID | None) -> uuid.UUID | None:
    """The team a new campaign reaches: a lead's own; an admin's choice (None: everyone)."""
    if actor.role == Role.LEAD:
        if team_id is not None and team_id != actor.team_id:
            raise invalid("team_id", "A lead's campaigns reach their own team.")
        if actor.team_id is None:
            raise ApiError(403, "A lead without a team has no customers to target.")
        return actor.team_id
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise invalid("team_id", "No such team.")
    return team_id


def _check_segment(segment: dict) -> None:
    codes = segment.get("tiers") or []
    known = set(db.session.scalars(sa.select(Tier.code).where(Tier.code.in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise invalid_fields({"segment": {"tiers": [f"Unknown tier: {', '.join(unknown)}."]}})


def create_campaign(actor: User, data: dict) -> Campaign:
    """A draft campaign; nothing reaches a customer until it is launched."""
    data = dict(data)
    _check_period(data["starts_on"], data["ends_on"])
    _check_segment(data.get("segment") or {})
    data["segment"] = to_json(data.get("segment") or {})
    campaign = Campaign(
        id=uuid.uuid4(),
        team_id=_team_for(actor, data.pop("team_id", None)),
        status=CampaignStatus.DRAFT,
        created_by_id=actor.id,
        **data,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(actor: User, campaign: Campaign, changes: dict) -> Campaign:
    """Edit a draft; a launched campaign may only be renamed, reworded or extended."""
    changes = dict(changes)
    check_version(campaign, changes.pop("version", None), "campaign")
    if campaign.status == CampaignStatus.CLOSED:
        raise ApiError(409, "This campaign is closed.", code="campaign_closed")
    if campaign.status == CampaignStatus.LAUNCHED:
        fixed = sorted(set(changes) - {"name", "offer", "ends_on"})
        if fixed:
            raise invalid_fields({name: ["Fixed once the campaign is launched."] for name in fixed})
        if changes.get("ends_on", campaign.ends_on) < campaign.ends_on:
            raise invalid("ends_on", "A launched campaign may be extended, not shortened.")
    if "team_id" in changes:
        changes["team_id"] = _team_for(actor, changes["team_id"])
    if "segment" in changes:
        _check_segment(changes["segment"])
        changes["segment"] = to_json(changes["segment"])
    _check_period(
        changes.get("starts_on", campaign.starts_on), changes.get("ends_on", campaign.ends_on)
    )
    for name, value in changes.items():
        setattr(campaign, name, value)
    db.session.flush()
    return campaign


# --- the segment ----------------------------------------------------------------


def latest_bill_month() -> date | None:
    return db.session.scalar(sa.select(sa.func.max(MonthlySpend.month)))


def segment_customers(campaign: Campaign) -> sa.Select:
    """SELECT (customer id, manager id, tier rank) of the customers the segment picks.

    Assigned, not churned customers of the campaign's reach (its team's managers, or
    everyone), narrowed by the segment: tiers, stages, an open warning (or none),
    the total fee of the latest billed month within [spend_min, spend_max], or an
    explicit list of customers.
    """
    segment = campaign.segment or {}
    stmt = (
        sa.select(Customer.id, Customer.manager_id, Tier.rank)
        .join(Tier, Tier.id == Customer.tier_id)
        .where(Customer.manager_id.is_not(None), Customer.stage != Stage.CHURNED)
    )
    if campaign.team_id is not None:
        team_managers = sa.select(User.id).where(
            User.team_id == campaign.team_id, User.role == Role.MANAGER
        )
        stmt = stmt.where(Customer.manager_id.in_(team_managers))
    if segment.get("tiers"):
        stmt = stmt.where(Tier.code.in_(segment["tiers"]))
    if segment.get("stages"):
        stmt = stmt.where(Customer.stage.in_([Stage(s) for s in segment["stages"]]))
    if segment.get("open_warning") is not None:
        warned = sa.select(ChurnWarning.customer_id).where(
            ChurnWarning.status == WarningStatus.OPEN
        )
        stmt = stmt.where(
            Customer.id.in_(warned) if segment["open_warning"] else Customer.id.not_in(warned)
        )
    if segment.get("spend_min") is not None or segment.get("spend_max") is not None:
        month = latest_bill_month()
        totals = (
            sa.select(MonthlySpend.customer_id, sa.func.sum(MonthlySpend.amount).label("total"))
            .where(MonthlySpend.month == month)
            .group_by(MonthlySpend.customer_id)
            .subquery()
        )
        stmt = stmt.join(totals, totals.c.customer_id == Customer.id)
        if segment.get("spend_min") is not None:
            stmt = stmt.where(totals.c.total >= Decimal(segment["spend_min"]))
        if segment.get("spend_max") is not None:
            stmt = stmt.where(totals.c.total <= Decimal(segment["spend_max"]))
    if segment.get("customer_ids"):
        stmt = stmt.where(Customer.id.in_([uuid.UUID(i) for i in segment["customer_ids"]]))
    return stmt.order_by(Customer.id)


def preview(campaign: Campaign) -> dict[str, Any]:
    """How many customers the segment picks now, per manager (before launching)."""
    rows = db.session.execute(segment_customers(campaign)).all()
    per_manager = Counter(manager_id for _, manager_id, _ in rows)
    managers = {
        u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(per_manager)))
    }
    return {
        "targets": len(rows),
        "managers": [
            {"manager": managers[mid], "targets": n}
            for mid, n in sorted(per_manager.items(), key=lambda kv: managers[kv[0]].username)
        ],
    }


# --- launching ------------------------------------------------------------------


def launch_campaign(actor: User, campaign: Campaign) -> Job:
    """Launch a draft: a background job picks the targets and plans a contact with each."""
    if campaign.status != CampaignStatus.DRAFT:
        raise ApiError(409, f"This campaign is {campaign.status.value}.", code="campaign_not_draft")
    if campaign.ends_on < local_today():
        raise invalid("ends_on", "This campaign has ended; extend it to launch it.")
    campaign.status = CampaignStatus.LAUNCHED
    campaign.launched_at = utcnow()
    campaign.launched_by_id = actor.id
    db.session.flush()
    return submit("campaign_launch", {"campaign_id": campaign.id}, actor)


@handler("campaign_launch")
def _run_launch(job: Job, progress: Progress) -> dict[str, Any]:
    """Targets and their plans, a chunk of customers per transaction; safe to run again."""
    campaign = db.session.get_one(Campaign, uuid.UUID(job.params["campaign_id"]))
    actor = db.session.get(User, campaign.launched_by_id) if campaign.launched_by_id else None
    rows = db.session.execute(segment_customers(campaign)).all()
    already = set(
        db.session.scalars(
            sa.select(CampaignTarget.customer_id).where(CampaignTarget.campaign_id == campaign.id)
        )
    )
    todo = [Contact(cid, mid, rank) for cid, mid, rank in rows if cid not in already]
    due_from = max(campaign.starts_on, local_today())
    for start in range(0, len(todo), LAUNCH_CHUNK):
        chunk = todo[start : start + LAUNCH_CHUNK]
        plans = plan_contacts(
            chunk,
            purpose=PLAN_PURPOSE[campaign.kind],
            title=campaign.name,
            notes=campaign.offer,
            due_from=min(due_from, campaign.ends_on),
            due_to=campaign.ends_on,
            generation_key=f"campaign:{campaign.id}",
            created_by=actor,
        )
        db.session.add_all(
            CampaignTarget(
                campaign_id=campaign.id, customer_id=c.customer_id, plan_id=plans[c.customer_id]
            )
            for c in chunk
        )
        db.session.flush()
        progress.checkpoint(int(100 * (start + len(chunk)) / len(todo)), "targets")
    return {"targets": len(already) + len(todo)}


def close_campaign(campaign: Campaign) -> Campaign:
    """End a launched campaign: its outcomes are final from now on."""
    if campaign.status != CampaignStatus.LAUNCHED:
        raise ApiError(
            409,
            f"Only a launched campaign can be closed; this one is {campaign.status.value}.",
            code="campaign_not_launched",
        )
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = utcnow()
    db.session.flush()
    return campaign


# --- outcomes -------------------------------------------------------------------


def _check_outcome(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    outcome = data["outcome"]
    if outcome == Outcome.CONTRACTED:
        if data.get("contract_months") is None:
            errors["contract_months"] = ["How many months the contract runs."]
    elif data.get("contract_months") is not None:
        errors["contract_months"] = ["Only for a contract."]
    if outcome == Outcome.DECLINED:
        if not data.get("decline_reason"):
            errors["decline_reason"] = ["Say why the customer declined."]
    elif data.get("decline_reason") is not None:
        errors["decline_reason"] = ["Only when the customer declined."]
    if errors:
        raise invalid_fields(errors)


def record_outcome(
    actor: User, target: CampaignTarget, data: dict, *, now: datetime | None = None
) -> CampaignTarget:
    """What the customer did; a later answer replaces an earlier one while the campaign runs.

    `outcome_at` is the phone's time (clamped if ahead, flagged if very late): work
    done offline counts when it was done. A reached customer's campaign plan is done.
    """
    now = now or utcnow()
    data = dict(data)
    check_version(target, data.pop("version", None), "campaign outcome")
    campaign = target.campaign
    if campaign.status != CampaignStatus.LAUNCHED:
        raise ApiError(
            409,
            f"This campaign is {campaign.status.value}: outcomes can no longer change.",
            code="campaign_closed",
        )
    _check_outcome(data)
    at, flag = accept_client_time(data.get("outcome_at"), now)
    target.outcome = data["outcome"]
    target.contract_months = data.get("contract_months")
    target.decline_reason = data.get("decline_reason")
    target.outcome_at = at
    target.time_flag = flag
    target.recorded_by_id = actor.id
    if target.outcome in REACHED and target.plan_id is not None:
        plan = db.session.get(CarePlan, target.plan_id, with_for_update=True)
        if plan is not None:
            complete_plan(plan, at=at)
    db.session.flush()
    return target


# --- reading --------------------------------------------------------------------


def list_campaigns(
    user: User, *, status: list[CampaignStatus] | None = None, page: int = 1, per_page: int = 50
) -> Pagination:
    """Campaigns `user` may see, the latest first."""
    stmt = visible(user, Campaign)
    if status:
        stmt = stmt.where(Campaign.status.in_(status))
    return paginate(
        stmt.order_by(Campaign.starts_on.desc(), Campaign.name, Campaign.id),
        page=page,
        per_page=per_page,
    )


def list_targets(
    user: User,
    campaign: Campaign,
    *,
    manager_id: uuid.UUID | None = None,
    outcome: list[str] | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Pagination:
    """The campaign's targets among the customers `user` may see."""
    stmt = visible(user, CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
    if manager_id is not None:
        stmt = stmt.where(
            CampaignTarget.customer_id.in_(
                sa.select(Customer.id).where(Customer.manager_id == manager_id)
            )
        )
    if outcome:
        pending = "pending" in outcome
        chosen = [Outcome(o) for o in outcome if o != "pending"]
        clauses = []
        if chosen:
            clauses.append(CampaignTarget.outcome.in_(chosen))
        if pending:
            clauses.append(CampaignTarget.outcome.is_(None))
        stmt = stmt.where(sa.or_(*clauses))
    return paginate(
        stmt.options(selectinload(CampaignTarget.customer).selectinload(Customer.manager))
        .join(Customer, Customer.id == CampaignTarget.customer_id)
        .order_by(Customer.name, CampaignTarget.id),
        page=page,
        per_page=per_page,
    )


@dataclass
class FunnelRow:
    key: str  # "all", or a manager's or a team's id
    label: str
    targets: int = 0
    reached: int = 0
    offered: int = 0
    took_part: int = 0
    contracted: int = 0
    declined: int = 0
    not_reached: int = 0
    pending: int = 0

    def add(self, outcome: Outcome | None) -> None:
        self.targets += 1
        if outcome is None:
            self.pending += 1
            return
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        if outcome in REACHED:
            self.reached += 1


def funnel(user: User, campaign: Campaign) -> dict[str, Any]:
    """Targets, reached, offered, took part, contracted, declined, not reached and pending,
    for the campaign, per team and per current manager, among what `user` may see."""
    rows = db.session.execute(
        visible(user, CampaignTarget)
        .where(CampaignTarget.campaign_id == campaign.id)
        .join(Customer, Customer.id == CampaignTarget.customer_id)
        .outerjoin(User, User.id == Customer.manager_id)
        .outerjoin(Team, Team.id == User.team_id)
        .with_only_columns(CampaignTarget.outcome, User.id, User.display_name, Team.id, Team.name)
    ).all()
    total = FunnelRow("all", campaign.name)
    managers: dict[Any, FunnelRow] = {}
    teams: dict[Any, FunnelRow] = {}
    for outcome, manager_id, manager_name, team_id, team_name in rows:
        total.add(outcome)
        managers.setdefault(manager_id, FunnelRow(str(manager_id), manager_name or "-")).add(
            outcome
        )
        teams.setdefault(team_id, FunnelRow(str(team_id), team_name or "-")).add(outcome)
    return {
        "total": total,
        "teams": sorted(teams.values(), key=lambda r: r.label),
        "managers": sorted(managers.values(), key=lambda r: r.label),
    }
