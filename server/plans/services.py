"""Care plan rules: manual plans, completion, and generation."""

import uuid
from datetime import datetime

from server.plans.models import CarePlan, PlanStatus


def complete_plan(plan: CarePlan, *, at: datetime, visit_id: uuid.UUID | None = None) -> bool:
    """Mark a plan done by a contact at `at`. False if it was not open (already done...).

    Called by the visit log: logging a visit completes the plan it answers.
    """
    if plan.status not in (PlanStatus.PLANNED, PlanStatus.MISSED):
        return False
    plan.status = PlanStatus.DONE
    plan.completed_at = at
    return True
