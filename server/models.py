"""Imports every domain's models so metadata (and Alembic) see all tables."""

from server.audit.models import AuditEvent
from server.auth.models import DeviceSession, Role, User
from server.campaigns.models import Campaign, CampaignTarget
from server.churn.models import ChurnRun
from server.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
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
from server.jobs.models import Job
from server.photos.models import VisitPhoto
from server.plans.models import CarePlan
from server.privacy.models import PersonalDataAccess
from server.reviews.models import ReviewExport, ReviewPeriod
from server.sync import erasure, indexes, tombstones  # noqa: F401  (listeners, pull indexes)
from server.sync.models import (
    SyncClock,
    SyncConflict,
    SyncDevice,
    SyncFailedMutation,
    SyncMutation,
    SyncTombstone,
)
from server.tasks.models import Task
from server.team.models import Team
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning

__all__ = [
    "AssignmentHistory",
    "AuditEvent",
    "Campaign",
    "CampaignTarget",
    "CarePlan",
    "ChurnRun",
    "ChurnWarning",
    "Complaint",
    "ComplaintCategory",
    "ComplaintEvent",
    "Contact",
    "Customer",
    "CustomerKind",
    "DeviceSession",
    "Gender",
    "Job",
    "MonthlySpend",
    "PersonalDataAccess",
    "ReviewExport",
    "ReviewPeriod",
    "Role",
    "Stage",
    "SyncClock",
    "SyncConflict",
    "SyncDevice",
    "SyncFailedMutation",
    "SyncMutation",
    "SyncTombstone",
    "Task",
    "Team",
    "Tier",
    "User",
    "Visit",
    "VisitPhoto",
    "VisitRevision",
]
