"""Imports every domain's models so metadata (and Alembic) see all tables."""

from server.auth.models import DeviceSession, Role, User
from server.customers.models import (
    AssignmentHistory,
    Contact,
    Customer,
    CustomerKind,
    Gender,
    MonthlySpend,
    Stage,
    Tier,
)
from server.team.models import Team

__all__ = [
    "AssignmentHistory",
    "Contact",
    "Customer",
    "CustomerKind",
    "DeviceSession",
    "Gender",
    "MonthlySpend",
    "Role",
    "Stage",
    "Team",
    "Tier",
    "User",
]
