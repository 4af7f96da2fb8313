"""All that is held about one customer (a PIPL access request), and its erasure.

The export reads every domain's tables (reading is allowed across domains); the
erasure clears what this domain owns (the profile, the contacts) and announces
`customer_erased`, to which each domain answers by clearing its own free text. The
statistics stay: spend, counts, indicators, assignment history.
"""

from typing import Any

import sqlalchemy as sa

from server import events
from server.audit.models import AuditEvent
from server.audit.services import record as audit
from server.auth.models import User
from server.campaigns.models import CampaignTarget
from server.complaints.models import Complaint, ComplaintEvent
from server.customers.models import AssignmentHistory, Contact, Customer, MonthlySpend
from server.errors import ApiError, invalid
from server.extensions import db
from server.jsonvalue import to_json
from server.models_base import utcnow
from server.photos.models import VisitPhoto
from server.plans.models import CarePlan
from server.privacy import access
from server.privacy.models import AccessKind
from server.sync.models import SyncConflict
from server.tasks.models import Task
from server.visits.models import Visit, VisitRevision
from server.warnings.models import ChurnWarning

# Sync bookkeeping that is not the customer's data.
_NOT_EXPORTED = frozenset({"sync_stamp"})


def _row(obj: Any) -> dict[str, Any]:
    """Every column of a loaded row by name, as JSON values."""
    mapper = sa.inspect(type(obj))
    return {
        attr.columns[0].name: to_json(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.columns[0].name not in _NOT_EXPORTED
    }


def _rows(stmt) -> list[dict[str, Any]]:
    return [_row(obj) for obj in db.session.scalars(stmt)]


def personal_data(actor: User, customer: Customer) -> dict[str, Any]:
    """Everything held about `customer`, as JSON (its export is logged and audited).

    Every column of every row that names the customer: the profile, contacts, visits
    and their edits and photos, complaints and their steps, plans, tasks, warnings, campaign
    targets, monthly spend (all months held), assignment history, sync conflicts,
    the access log naming it and the audit events about it.
    """
    cid = customer.id
    visit_ids = sa.select(Visit.id).where(Visit.customer_id == cid)
    complaint_ids = sa.select(Complaint.id).where(Complaint.customer_id == cid)
    # The export itself is an access: logged first, so it lists itself.
    entry = access.record(
        actor, AccessKind.PERSONAL_DATA_EXPORT, customer_id=cid, fields=_held_fields(customer)
    )
    audit("customers.personal_data_export", actor=actor, target_type="customer", target_id=cid)
    db.session.flush()
    return {
        "exported_at": to_json(entry.at),
        "customer": _row(customer),
        "contacts": _rows(
            sa.select(Contact).where(Contact.customer_id == cid).order_by(Contact.id)
        ),
        "visits": _rows(
            sa.select(Visit).where(Visit.customer_id == cid).order_by(Visit.started_at, Visit.id)
        ),
        "visit_revisions": _rows(
            sa.select(VisitRevision)
            .where(VisitRevision.visit_id.in_(visit_ids))
            .order_by(VisitRevision.at, VisitRevision.id)
        ),
        # The photos' metadata; the images themselves: GET /api/v1/photos/<id>.
        "visit_photos": _rows(
            sa.select(VisitPhoto)
            .where(VisitPhoto.customer_id == cid)
            .order_by(VisitPhoto.created_at, VisitPhoto.id)
        ),
        "complaints": _rows(
            sa.select(Complaint)
            .where(Complaint.customer_id == cid)
            .order_by(Complaint.received_at, Complaint.id)
        ),
        "complaint_events": _rows(
            sa.select(ComplaintEvent)
            .where(ComplaintEvent.complaint_id.in_(complaint_ids))
            .order_by(ComplaintEvent.at, ComplaintEvent.id)
        ),
        "plans": _rows(
            sa.select(CarePlan).where(CarePlan.customer_id == cid).order_by(CarePlan.id)
        ),
        "tasks": _rows(sa.select(Task).where(Task.customer_id == cid).order_by(Task.id)),
        "warnings": _rows(
            sa.select(ChurnWarning).where(ChurnWarning.customer_id == cid).order_by(ChurnWarning.id)
        ),
        "campaign_targets": _rows(
            sa.select(CampaignTarget)
            .where(CampaignTarget.customer_id == cid)
            .order_by(CampaignTarget.id)
        ),
        "spend": _rows(
            sa.select(MonthlySpend)
            .where(MonthlySpend.customer_id == cid)
            .order_by(MonthlySpend.month, MonthlySpend.service)
        ),
        "assignment_history": _rows(
            sa.select(AssignmentHistory)
            .where(AssignmentHistory.customer_id == cid)
            .order_by(AssignmentHistory.at, AssignmentHistory.id)
        ),
        "sync_conflicts": _rows(
            sa.select(SyncConflict).where(SyncConflict.customer_id == cid).order_by(SyncConflict.id)
        ),
        "access_log": [_row(row) for row in access.for_customer(cid)],
        "audit_events": _rows(
            sa.select(AuditEvent)
            .where(AuditEvent.target_type == "customer", AuditEvent.target_id == str(cid))
            .order_by(AuditEvent.at, AuditEvent.id)
        ),
    }


# Cleared by an erasure: every personal field of the profile.
ERASED_FIELDS: dict[str, Any] = {
    "phone": None,
    "phone2": None,
    "email": None,
    "gender": None,
    "birthday": None,
    "birthday_lunar": False,
    "address": None,
    "employer": None,
    "position": None,
    "industry": None,
    "interests": None,
    "income_band": None,
    "consumption_habits": None,
    "special_dates": [],
    "notes": None,
    "latitude": None,
    "longitude": None,
}


def erased_name(customer: Customer) -> str:
    return f"已删除客户 {customer.external_no}"


def _held_fields(customer: Customer) -> list[str]:
    return [name for name in ERASED_FIELDS if getattr(customer, name) not in (None, False, [])]


def erase_customer(actor: User, customer: Customer, *, confirm: str) -> Customer:
    """Erase a customer's personal data (locked by the caller); statistics stay.

    `confirm` must be the customer's number, typed by the admin. The row stays
    (renamed 已删除客户 <number>), so spend, counts and indicators keep their
    customer; its changed row, and its visits', complaints' and others' changed
    rows, reach every phone holding it at its next pull (docs/sync.md).
    """
    if confirm.strip() != customer.external_no:
        raise invalid("confirm", "Type the customer's number to confirm the erasure.")
    if customer.erased_at is not None:
        raise ApiError(409, "This customer was already erased.", code="already_erased")
    at = utcnow()
    fields = _held_fields(customer)
    for name, value in ERASED_FIELDS.items():
        setattr(customer, name, value)
    customer.name = erased_name(customer)
    customer.erased_at = at
    for contact in list(customer.contacts):
        customer.contacts.remove(contact)
    db.session.flush()
    events.customer_erased.send(customer, at=at)
    access.record(actor, AccessKind.ERASURE, customer_id=customer.id, fields=fields)
    audit(
        "customers.erase",
        actor=actor,
        target_type="customer",
        target_id=customer.id,
        details={"external_no": customer.external_no, "fields": fields},
    )
    db.session.flush()
    return customer


def held_fields(customer: Customer) -> list[str]:
    """The personal fields this customer has a value in (names, for the access log)."""
    return _held_fields(customer)
