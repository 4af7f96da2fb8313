"""Sharing portfolios out within a team: a manager leaving, and rebalancing.

A customer's **value** is its total fee in the latest billed month; its **workload** is
the routine contacts its tier asks for in a year (365 / the tier's contact interval).
Both moves go through `services.apply_moves`, like any other assignment: history is
kept, open work follows the customers, capacity is warned about.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from server.auth.models import Role, User
from server.customers.models import Customer, MonthlySpend, Tier
from server.customers.services import AssignmentOutcome, apply_moves, record_moves
from server.errors import invalid, not_found
from server.extensions import db
from server.team.models import Team

# A proposal a lead can read through; running it again proposes the next moves.
MAX_REBALANCE_MOVES = 60
# Scores within this of each other are balanced enough: moving a customer for less
# would disturb the customer's relationship for nothing.
BALANCED_GAP = 0.05


@dataclass
class Load:
    customer_id: uuid.UUID
    name: str
    tier: str
    value: Decimal
    workload: float


def _team_managers(team: Team) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.team_id == team.id, User.role == Role.MANAGER, User.active.is_(True))
            .order_by(User.username)
        )
    )


def _loads(manager_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Load]]:
    """Each manager's customers with their value and workload (three queries)."""
    month = db.session.scalar(sa.select(sa.func.max(MonthlySpend.month)))
    fees = (
        sa.select(MonthlySpend.customer_id, sa.func.sum(MonthlySpend.amount).label("fee"))
        .where(MonthlySpend.month == month)
        .group_by(MonthlySpend.customer_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Customer.id,
            Customer.name,
            Customer.manager_id,
            Tier.code,
            Tier.contact_interval_days,
            fees.c.fee,
        )
        .join(Tier, Tier.id == Customer.tier_id)
        .outerjoin(fees, fees.c.customer_id == Customer.id)
        .where(Customer.manager_id.in_(manager_ids))
        .order_by(Customer.id)
    )
    loads: dict[uuid.UUID, list[Load]] = {m: [] for m in manager_ids}
    for cid, name, manager_id, tier, interval, fee in rows:
        loads[manager_id].append(Load(cid, name, tier, Decimal(fee or 0), 365 / interval))
    return loads


def _check_team(actor: User, team: Team) -> None:
    if actor.role == Role.LEAD and actor.team_id != team.id:
        raise not_found("Team")


def hand_over(
    actor: User, team: Team, manager_id: uuid.UUID, *, reason: str, dry_run: bool
) -> dict[str, Any]:
    """A manager's whole portfolio to the team's other active managers, in balanced shares.

    The most valuable customers go first, each to whoever would then hold the fewest
    customers (ties: the least value), so the team ends as even as it can in count,
    and the value is spread along with it.
    """
    _check_team(actor, team)
    leaving = db.session.get(User, manager_id)
    if leaving is None or leaving.team_id != team.id or leaving.role != Role.MANAGER:
        raise invalid("manager_id", "Not a manager of this team.")
    receivers = [m for m in _team_managers(team) if m.id != manager_id]
    if not receivers:
        raise invalid("manager_id", "Nobody else in the team can take the customers.")
    loads = _loads([m.id for m in receivers] + [manager_id])
    count = {m.id: len(loads[m.id]) for m in receivers}
    value = {m.id: sum((c.value for c in loads[m.id]), Decimal(0)) for m in receivers}
    given: dict[uuid.UUID, list[Load]] = {m.id: [] for m in receivers}
    for customer in sorted(loads[manager_id], key=lambda c: (-c.value, str(c.customer_id))):
        to = min(receivers, key=lambda m: (count[m.id], value[m.id], m.username)).id
        given[to].append(customer)
        count[to] += 1
        value[to] += customer.value
    customers = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Customer)
            .where(Customer.manager_id == manager_id)
            .order_by(Customer.id)
            .with_for_update(of=Customer)
        )
    }
    people = {m.id: m for m in receivers}
    outcome = apply_moves(
        actor,
        [(customers[c.customer_id], people[to]) for to, cs in given.items() for c in cs],
        reason=reason,
        dry_run=dry_run,
    )
    record_moves(
        "customers.handover", actor, outcome, reason, target=leaving, receivers=len(receivers)
    )
    return _result(outcome) | {
        "shares": [
            {
                "manager": people[to],
                "customers": len(cs),
                "value": sum((c.value for c in cs), Decimal(0)),
            }
            for to, cs in given.items()
        ]
    }


def _result(outcome: AssignmentOutcome) -> dict[str, Any]:
    return {
        "assigned": outcome.assigned,
        "unchanged": outcome.unchanged,
        "dry_run": outcome.dry_run,
        "warnings": outcome.warnings,
        "moves": outcome.moves,
    }


def propose_rebalance(actor: User, team: Team) -> dict[str, Any]:
    """Moves that even out customer value and care workload across the team's managers.

    A manager's load is their value over the team's mean plus their workload over the
    mean (1 + 1 for an average manager). Repeatedly, the customer of the most loaded
    manager whose move to the least loaded narrows their gap the most is moved, until
    the gap is under BALANCED_GAP or no move helps (at most MAX_REBALANCE_MOVES). A
    proposal only: the lead reviews and edits it, then applies it with
    POST /customers/reassign.
    """
    _check_team(actor, team)
    managers = _team_managers(team)
    if len(managers) < 2:
        return {"moves": [], "before": [], "after": []}
    loads = _loads([m.id for m in managers])
    portfolios = {m.id: list(loads[m.id]) for m in managers}
    everyone = [c for cs in portfolios.values() for c in cs]
    mean_value = sum((c.value for c in everyone), Decimal(0)) / len(managers)
    mean_work = sum(c.workload for c in everyone) / len(managers)

    def weight(c: Load) -> float:
        v = float(c.value / mean_value) if mean_value else 0.0
        w = c.workload / mean_work if mean_work else 0.0
        return v + w

    score = {m: sum(weight(c) for c in cs) for m, cs in portfolios.items()}
    before = _summaries(managers, portfolios)
    moves: list[dict[str, Any]] = []
    capacity = current_app.config["PORTFOLIO_CAPACITY"]
    while len(moves) < MAX_REBALANCE_MOVES:
        hi = max(score, key=lambda m: (score[m], str(m)))
        lo = min(score, key=lambda m: (score[m], str(m)))
        gap = score[hi] - score[lo]
        if gap < BALANCED_GAP or len(portfolios[lo]) >= capacity:
            break
        best = min(portfolios[hi], key=lambda c: (abs(gap - 2 * weight(c)), str(c.customer_id)))
        if abs(gap - 2 * weight(best)) >= gap:
            break  # every move would leave them further apart
        portfolios[hi].remove(best)
        portfolios[lo].append(best)
        score[hi] -= weight(best)
        score[lo] += weight(best)
        moves.append(
            {
                "customer": {"id": best.customer_id, "name": best.name, "tier": best.tier},
                "from_manager_id": hi,
                "to_manager_id": lo,
                "value": best.value,
                "workload": round(best.workload, 2),
            }
        )
    return {"moves": moves, "before": before, "after": _summaries(managers, portfolios)}


def _summaries(managers: list[User], portfolios: dict[uuid.UUID, list[Load]]) -> list[dict]:
    return [
        {
            "manager": m,
            "customers": len(portfolios[m.id]),
            "value": sum((c.value for c in portfolios[m.id]), Decimal(0)),
            "workload": round(sum(c.workload for c in portfolios[m.id]), 2),
        }
        for m in managers
    ]
