"""Read-only views for the console: a manager's portfolio and open work at a glance,
and the team's customers at risk. Visible as the reviews are (reviews.services.
resolve_scope): a lead their team's managers, an admin anyone; otherwise 404.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from server.auth.models import User
from server.complaints.models import UNRESOLVED, Complaint
from server.customers.models import Customer, Tier
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan, PlanStatus
from server.reviews.services import Scope
from server.tasks.models import Task, TaskStatus
from server.timeutil import local_today
from server.visits.models import Visit
from server.warnings.models import ChurnWarning, WarningStatus

RECENT_VISITS = 30
NEAR_DEADLINE = timedelta(hours=24)


def manager_overview(manager: User, *, now: datetime | None = None) -> dict[str, Any]:
    """Portfolio by tier and stage, overdue work, open warnings, the latest visits, capacity."""
    now = now or utcnow()
    today = local_today(now)
    mine = sa.select(Customer.id).where(Customer.manager_id == manager.id)
    rows = db.session.execute(
        sa.select(Tier.code, Customer.stage)
        .join(Tier, Tier.id == Customer.tier_id)
        .where(Customer.manager_id == manager.id)
    ).all()

    def count(stmt) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0

    visits = db.session.scalars(
        sa.select(Visit)
        .where(Visit.manager_id == manager.id)
        .options(selectinload(Visit.customer))
        .order_by(Visit.started_at.desc(), Visit.id.desc())
        .limit(RECENT_VISITS)
    ).all()
    return {
        "manager": manager,
        "portfolio_size": len(rows),
        "capacity": current_app.config["PORTFOLIO_CAPACITY"],
        "by_tier": dict(Counter(code for code, _ in rows)),
        "by_stage": dict(Counter(stage.value for _, stage in rows)),
        "overdue": {
            "plans": count(
                sa.select(CarePlan.id).where(
                    CarePlan.customer_id.in_(mine),
                    CarePlan.status.in_((PlanStatus.PLANNED, PlanStatus.MISSED)),
                    CarePlan.due_to < today,
                )
            ),
            "tasks": count(
                sa.select(Task.id).where(
                    Task.owner_id == manager.id,
                    Task.status == TaskStatus.OPEN,
                    Task.due_date < today,
                )
            ),
            "complaints": count(
                sa.select(Complaint.id).where(
                    Complaint.customer_id.in_(mine),
                    Complaint.status.in_(UNRESOLVED),
                    Complaint.deadline_at < now,
                )
            ),
        },
        "open_warnings": count(
            sa.select(ChurnWarning.id).where(
                ChurnWarning.customer_id.in_(mine), ChurnWarning.status == WarningStatus.OPEN
            )
        ),
        "recent_visits": visits,
    }


def at_risk(scope: Scope, *, now: datetime | None = None) -> dict[str, Any]:
    """Open churn warnings of the scope's customers (oldest first), and their unresolved
    complaints near (within a day) or past the deadline (nearest deadline first)."""
    now = now or utcnow()
    customers = sa.select(Customer.id)
    if not scope.everyone:
        customers = customers.where(Customer.manager_id.in_([m.id for m in scope.managers]))
    warnings = db.session.scalars(
        sa.select(ChurnWarning)
        .where(ChurnWarning.customer_id.in_(customers), ChurnWarning.status == WarningStatus.OPEN)
        .options(selectinload(ChurnWarning.customer).selectinload(Customer.manager))
        .order_by(ChurnWarning.opened_at, ChurnWarning.id)
    ).all()
    complaints = db.session.scalars(
        sa.select(Complaint)
        .where(
            Complaint.customer_id.in_(customers),
            Complaint.status.in_(UNRESOLVED),
            Complaint.deadline_at < now + NEAR_DEADLINE,
        )
        .options(selectinload(Complaint.customer), selectinload(Complaint.category))
        .order_by(Complaint.deadline_at, Complaint.id)
    ).all()
    owners = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_({c.owner_id for c in complaints if c.owner_id}))
        )
    }
    return {
        "warnings": [
            {
                "warning": w,
                "age_days": round((now - w.opened_at).total_seconds() / 86400, 1),
            }
            for w in warnings
        ],
        "complaints": [
            {
                "complaint": c,
                "owner": owners.get(c.owner_id) if c.owner_id else None,
                "overdue": c.deadline_at < now,
            }
            for c in complaints
        ],
    }
