"""Personal data by role and on the record (issue 11, item 3; docs/security.md).

Masking per role in lists, details, the agenda and the sync; the access log; the
export of all that is held about one customer; erasure and its way to the phone; the
`wipe_required` answer to a device an admin signed out or a deactivated user's.
"""

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from server.complaints.models import Complaint
from server.customers.models import Contact, Customer, CustomerKind, MonthlySpend, Tier
from server.extensions import db
from server.plans.models import CarePlan
from server.plans.services import generate_plans
from server.privacy import masking
from server.privacy.models import AccessKind, PersonalDataAccess
from server.sync.models import SyncConflict, SyncMutation
from server.timeutil import local_today
from server.visits.models import Visit, VisitRevision
from tests.conftest import AuthActions, routine_due_id
from tests.sync_helpers import Device
from tests.test_indicators import june  # noqa: F401  (a fixture of `tricky`)
from tests.test_review_exports import export, tricky  # noqa: F401
from tests.test_sync_pull import fill
from tests.test_sync_push import mutation, pushed, visit_args

PHONE = "13812345678"
PERSONAL = {
    "phone": PHONE,
    "phone2": "02161234567",
    "email": "zhang.wei@example.com",
    "birthday": date(1980, 5, 17),
    "address": "上海市浦东新区张江路100号3栋",
    "latitude": 31.204512,
    "longitude": 121.593312,
    "income_band": "50-80万",
}


@pytest.fixture
def rows(team_setup, make_customer):
    rows = dict(team_setup)
    rows["person"] = make_customer(manager=rows["mgr_a1"], name="张伟", **PERSONAL)
    return rows


def _access(in_app, **where) -> list[PersonalDataAccess]:
    with in_app():
        stmt = sa.select(PersonalDataAccess).filter_by(**where).order_by(PersonalDataAccess.at)
        return list(db.session.scalars(stmt))


# --- the rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("上海市浦东新区张江路100号3栋", "上海市浦东新区****"),
        ("广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区****"),
        ("广东省东莞市南城街道鸿福路1号", "广东省东莞市****"),
        ("北京市朝阳区", "北京市朝阳区"),
    ],
)
def test_an_address_is_masked_to_its_district(address, shown):
    assert masking.mask_address(address) == shown


def test_phones_birthdays_and_emails_keep_what_tells_them_apart():
    assert masking.mask_phone("13812345678") == "138****5678"
    assert masking.mask_phone("02161234567") == "021****4567"
    assert masking.mask_birthday(date(1980, 5, 17)) == "--05-17"
    assert masking.mask_email("zhang.wei@example.com") == "z****@example.com"


# --- lists and details ------------------------------------------------------------


def test_a_manager_sees_their_own_customers_whole(client, auth, rows):
    auth.login(rows["mgr_a1"].username)
    listed = client.get("/api/v1/customers", query_string={"q": "张伟"}).json["items"]
    assert listed[0]["phone"] == PHONE
    assert listed[0]["address"] == PERSONAL["address"]
    assert listed[0]["masked"] is False
    detail = client.get(f"/api/v1/customers/{rows['person'].id}").json
    assert detail["phone"] == PHONE
    assert detail["phone2"] == "02161234567"
    assert detail["birthday"] == "1980-05-17"
    assert detail["latitude"] == 31.204512
    assert detail["income_band"] == "50-80万"


@pytest.mark.parametrize("who", ["lead_a", "admin"])
def test_a_lead_and_an_admin_see_customers_masked(client, auth, rows, who):
    auth.login(rows[who].username)
    listed = client.get("/api/v1/customers", query_string={"q": "张伟"}).json["items"]
    assert listed[0]["name"] == "张伟"
    assert listed[0]["phone"] == "138****5678"
    assert listed[0]["address"] == "上海市浦东新区****"
    assert listed[0]["masked"] is True
    detail = client.get(f"/api/v1/customers/{rows['person'].id}").json
    assert detail["phone"] == "138****5678"
    assert detail["phone2"] == "021****4567"
    assert detail["email"] == "z****@example.com"
    assert detail["birthday"] == "--05-17"
    assert detail["address"] == "上海市浦东新区****"
    assert (detail["latitude"], detail["longitude"]) == (31.2, 121.59)
    assert detail["income_band"] == "****"


def test_contacts_are_masked_with_their_customer(client, auth, rows, make_customer, in_app):
    org = make_customer(manager=rows["mgr_a1"], kind=CustomerKind.ORGANISATION)
    with in_app():
        db.session.add(
            Contact(
                customer_id=org.id, name="王经理", phone="13900001111", birthday=date(1975, 1, 2)
            )
        )
        db.session.commit()
    auth.login(rows["lead_a"].username)
    contact = client.get(f"/api/v1/customers/{org.id}").json["contacts"][0]
    assert (contact["phone"], contact["birthday"]) == ("139****1111", "--01-02")
    added = client.post(
        f"/api/v1/customers/{org.id}/contacts", json={"name": "李总", "phone": "13700002222"}
    )
    assert added.status_code == 201
    assert added.json["phone"] == "137****2222"


def test_a_lead_sees_a_managers_agenda_with_phones_masked(client, auth, rows, in_app):
    with in_app():
        customer = db.session.get(Customer, rows["person"].id)
        customer.birthday = local_today().replace(year=1980)
        db.session.commit()
    auth.login(rows["lead_a"].username)
    agenda = client.get("/api/v1/agenda", query_string={"manager_id": rows["mgr_a1"].id}).json
    phones = [i["customer"]["phone"] for i in agenda["today"] if i["type"] == "birthday"]
    assert phones == ["138****5678"]
    auth.login(rows["mgr_a1"].username)
    agenda = client.get("/api/v1/agenda").json
    assert [i["customer"]["phone"] for i in agenda["today"] if i["type"] == "birthday"] == [PHONE]


# --- reveal and the access log ----------------------------------------------------


def test_a_reveal_shows_one_customer_whole_and_is_logged(client, auth, rows, in_app):
    auth.login(rows["lead_a"].username)
    revealed = client.post(f"/api/v1/customers/{rows['person'].id}/reveal")
    assert revealed.status_code == 200
    assert revealed.json["phone"] == PHONE
    assert revealed.json["birthday"] == "1980-05-17"
    assert revealed.json["masked"] is False
    (entry,) = _access(in_app, kind=AccessKind.REVEAL)
    assert entry.user_id == rows["lead_a"].id
    assert entry.customer_id == rows["person"].id
    assert set(entry.fields) == set(PERSONAL)
    # The next look is masked again.
    assert client.get(f"/api/v1/customers/{rows['person'].id}").json["phone"] == "138****5678"


def test_a_lead_cannot_reveal_another_teams_customer_nor_a_manager_reveal(client, auth, rows):
    auth.login(rows["lead_b"].username)
    assert client.post(f"/api/v1/customers/{rows['person'].id}/reveal").status_code == 404
    auth.login(rows["mgr_a1"].username)
    assert client.post(f"/api/v1/customers/{rows['person'].id}/reveal").status_code == 403


def test_every_detail_view_is_logged_with_the_fields_shown_in_full(client, auth, rows, in_app):
    auth.login(rows["mgr_a1"].username)
    client.get(f"/api/v1/customers/{rows['person'].id}")
    auth.login(rows["lead_a"].username)
    client.get(f"/api/v1/customers/{rows['person'].id}")
    manager_view, lead_view = _access(in_app, kind=AccessKind.VIEW)
    assert (manager_view.user_id, set(manager_view.fields)) == (rows["mgr_a1"].id, set(PERSONAL))
    assert (lead_view.user_id, lead_view.fields) == (rows["lead_a"].id, [])
    assert manager_view.session_id is not None


def test_admins_read_the_access_log_per_customer_and_per_user(client, auth, rows):
    auth.login(rows["lead_a"].username)
    client.post(f"/api/v1/customers/{rows['person'].id}/reveal")
    client.get(f"/api/v1/customers/{rows['cust_a2'].id}")
    assert client.get("/api/v1/access-log").status_code == 403
    auth.login(rows["admin"].username)
    by_customer = client.get(
        "/api/v1/access-log", query_string={"customer_id": rows["person"].id}
    ).json
    assert [i["kind"] for i in by_customer["items"]] == ["reveal"]
    by_user = client.get("/api/v1/access-log", query_string={"user_id": rows["lead_a"].id}).json
    assert [i["kind"] for i in by_user["items"]] == ["view", "reveal"]
    assert by_user["items"][1]["fields"]  # names of the fields, never their values
    assert PHONE not in str(by_user)


def test_the_access_log_cannot_be_rewritten(client, auth, rows, in_app):
    auth.login(rows["lead_a"].username)
    client.post(f"/api/v1/customers/{rows['person'].id}/reveal")
    with in_app():
        with pytest.raises(DatabaseError):
            db.session.execute(sa.update(PersonalDataAccess).values(count=0))
        db.session.rollback()
        with pytest.raises(DatabaseError):
            db.session.execute(sa.delete(PersonalDataAccess))
        db.session.rollback()


def test_a_review_export_with_phones_in_full_is_on_the_access_log(
    client,
    auth,
    run_jobs,
    in_app,
    tricky,  # noqa: F811  (the fixture imported above)
):
    auth.login(tricky["admin"].username)
    export(client, run_jobs, team_id=str(tricky["team_a"].id), language="en")
    assert _access(in_app, kind=AccessKind.EXPORT) == []  # masked: nothing personal
    export(client, run_jobs, team_id=str(tricky["team_a"].id), unmasked=True, language="en")
    (entry,) = _access(in_app, kind=AccessKind.EXPORT)
    assert (entry.user_id, entry.fields) == (tricky["admin"].id, ["phone", "birthday"])
    assert entry.count > 0 and entry.ref is not None


# --- the sync ---------------------------------------------------------------------


@pytest.mark.committed
def test_a_pull_carries_the_managers_customers_whole_and_logs_one_row(
    app, client, auth, rows, in_app
):
    auth.login(rows["mgr_a1"].username)
    device = Device(client)
    device.sync()
    held = device.rows["customers"][str(rows["person"].id)]
    assert held["phone"] == PHONE
    assert held["birthday"] == "1980-05-17"
    assert held["address"] == PERSONAL["address"]
    assert "income_band" not in held
    (entry,) = _access(in_app, kind=AccessKind.SYNC_PULL)
    assert entry.count == len(device.rows["customers"]) == 3
    assert entry.device_id == device.id and entry.customer_id is None
    device.sync()  # nothing new: no row
    assert len(_access(in_app, kind=AccessKind.SYNC_PULL)) == 1


# --- export and erasure -----------------------------------------------------------


def test_an_admin_exports_all_that_is_held_about_one_customer(client, auth, rows, in_app):
    filled = fill(in_app, rows["person"], rows["mgr_a1"])
    auth.login(rows["lead_a"].username)
    url = f"/api/v1/customers/{rows['person'].id}/personal-data"
    assert client.get(url).status_code == 403
    client.post(f"/api/v1/customers/{rows['person'].id}/reveal")
    auth.login(rows["admin"].username)
    data = client.get(url).json
    assert data["customer"]["phone"] == PHONE
    assert data["customer"]["income_band"] == "50-80万"
    assert [c["phone"] for c in data["contacts"]] == ["13900000000"]
    assert [v["notes"] for v in data["visits"]] == ["拜访"]
    assert [r["id"] for r in data["visit_revisions"]] == [filled["visit_revisions"]]
    assert [c["description"] for c in data["complaints"]] == ["信号差"]
    assert len(data["complaint_events"]) == 1
    assert len(data["plans"]) == 1 and len(data["tasks"]) == 2 and len(data["warnings"]) == 1
    assert len(data["spend"]) == 28  # 14 months x 2 services: all that is held
    assert data["assignment_history"] == []
    assert [a["kind"] for a in data["access_log"]] == ["reveal", "personal_data_export"]
    audited = [e["action"] for e in data["audit_events"]]
    assert "customers.personal_data_export" in audited


def test_an_erasure_needs_the_customers_number_typed(client, auth, rows):
    auth.login(rows["admin"].username)
    url = f"/api/v1/customers/{rows['person'].id}/erase"
    answer = client.post(url, json={"confirm": "wrong"})
    assert answer.status_code == 422 and "confirm" in answer.json["error"]["fields"]
    auth.login(rows["lead_a"].username)
    assert client.post(url, json={"confirm": rows["person"].external_no}).status_code == 403


@pytest.mark.committed
def test_an_erasure_clears_personal_data_keeps_statistics_and_reaches_the_phone(
    app, client, auth, rows, in_app
):
    person = rows["person"]
    fill(in_app, person, rows["mgr_a1"])
    auth.login(rows["mgr_a1"].username)
    phone = Device(client)
    phone.sync()
    assert phone.rows["customers"][str(person.id)]["phone"] == PHONE

    auth.login(rows["admin"].username)
    erased = client.post(
        f"/api/v1/customers/{person.id}/erase", json={"confirm": person.external_no}
    )
    assert erased.status_code == 200, erased.json
    assert erased.json["name"] == f"已删除客户 {person.external_no}"
    assert erased.json["erased_at"] is not None
    again = client.post(
        f"/api/v1/customers/{person.id}/erase", json={"confirm": person.external_no}
    )
    assert again.status_code == 409

    with in_app():
        customer = db.session.get(Customer, person.id)
        assert all(getattr(customer, f) in (None, [], False) for f in (*PERSONAL, "gender"))
        assert customer.contacts == []
        assert (
            db.session.scalar(sa.select(Visit.notes).where(Visit.customer_id == person.id)) is None
        )
        assert (
            db.session.scalar(
                sa.select(VisitRevision.changes).join(Visit).where(Visit.customer_id == person.id)
            )
            == {}
        )
        assert (
            db.session.scalar(
                sa.select(Complaint.description).where(Complaint.customer_id == person.id)
            )
            == "-"
        )
        # Statistics stay: the spend, the visit and the complaint are still counted.
        spend = sa.select(sa.func.count()).where(MonthlySpend.customer_id == person.id)
        assert db.session.scalar(spend) == 28
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Visit.customer_id == person.id)) == 1
        )
        assert customer.manager_id == rows["mgr_a1"].id

    erasures = _access(in_app, kind=AccessKind.ERASURE)
    assert [(e.user_id, e.customer_id) for e in erasures] == [(rows["admin"].id, person.id)]
    auth.login(rows["admin"].username)
    audit = client.get("/api/v1/audit", query_string={"action": "customers.erase"}).json["items"]
    assert [a["target_id"] for a in audit] == [str(person.id)]

    # The manager's phone pulls the erased row and drops the contact.
    auth.login(rows["mgr_a1"].username)
    phone.sync()
    held = phone.rows["customers"][str(person.id)]
    assert held["name"] == f"已删除客户 {person.external_no}"
    assert (held["phone"], held["birthday"], held["address"]) == (None, None, None)
    assert [c for c in phone.rows["contacts"].values() if c["customer_id"] == str(person.id)] == []
    assert [v["notes"] for v in phone.rows["visits"].values()] == [None]
    assert [c["description"] for c in phone.rows["complaints"].values()] == ["-"]


def test_an_erasure_clears_the_pushed_changes_and_conflicts_about_the_customer(
    client, auth, rows, in_app
):
    person, device = rows["person"], uuid.uuid4()
    auth.login(rows["mgr_a1"].username)
    visit = visit_args(person, notes="张伟说他下月搬家到浦东")
    profile = {
        "id": str(person.id),
        "changes": {"phone": "13900001234"},
        "base": {"phone": "13000000000"},  # not what was stored: a field conflict
    }
    first = mutation(1, "log_visit", visit)
    answers = pushed(client, device, first, mutation(2, "update_customer_profile", profile))[
        "results"
    ]
    assert [a["status"] for a in answers] == ["applied", "conflict"]

    auth.login(rows["admin"].username)
    client.post(f"/api/v1/customers/{person.id}/erase", json={"confirm": person.external_no})
    with in_app():
        stored = db.session.scalars(sa.select(SyncMutation).order_by(SyncMutation.seq)).all()
        assert [(m.args, m.result.get("record")) for m in stored] == [({}, None), ({}, None)]
        conflict = db.session.scalars(sa.select(SyncConflict)).one()
        assert (conflict.kept_value, conflict.lost_value, conflict.base_value) == (None,) * 3
        assert (conflict.status.value, conflict.resolution) == ("resolved", "kept")
    # A retry still gets its status, without the record.
    auth.login(rows["mgr_a1"].username)
    again = pushed(client, device, first)["results"]
    assert again[0]["status"] == "applied" and again[0]["record"] is None


def test_no_care_plans_are_generated_for_an_erased_customer(
    client, auth, rows, in_app, make_customer
):
    day = date(2027, 5, 10)
    with in_app():
        interval = db.session.scalar(
            sa.select(Tier.contact_interval_days).where(Tier.code == "gold")
        )
    # Two customers whose first routine contact falls due that day; one is erased.
    erased, kept = (
        make_customer(manager=rows["mgr_a1"], id=routine_due_id(day, interval)) for _ in range(2)
    )
    auth.login(rows["admin"].username)
    client.post(f"/api/v1/customers/{erased.id}/erase", json={"confirm": erased.external_no})
    with in_app():
        generate_plans(day, customer_ids=[erased.id, kept.id])
        planned = db.session.scalars(sa.select(CarePlan.customer_id)).all()
    assert kept.id in planned
    assert erased.id not in planned


# --- wiping a revoked device ------------------------------------------------------


def test_a_device_an_admin_signed_out_is_told_to_wipe(app, rows):
    phone, console = app.test_client(), app.test_client()
    AuthActions(phone).login(rows["mgr_a1"].username)
    AuthActions(console).login(rows["admin"].username)
    devices = console.get(f"/api/v1/users/{rows['mgr_a1'].id}/devices").json
    console.delete(f"/api/v1/users/{rows['mgr_a1'].id}/devices/{devices[0]['id']}")
    answer = phone.get("/api/v1/auth/me")
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "wipe_required"
    assert (
        phone.get("/api/v1/sync/pull", query_string={"device_id": str(rows["mgr_a1"].id)}).json[
            "error"
        ]["code"]
        == "wipe_required"
    )


def test_a_deactivated_users_device_is_told_to_wipe(app, rows):
    phone, console = app.test_client(), app.test_client()
    AuthActions(phone).login(rows["mgr_a1"].username)
    AuthActions(console).login(rows["admin"].username)
    changed = console.patch(f"/api/v1/users/{rows['mgr_a1'].id}", json={"active": False})
    assert changed.status_code == 200
    answer = phone.get("/api/v1/auth/me")
    assert (answer.status_code, answer.json["error"]["code"]) == (401, "wipe_required")


def test_logging_out_or_a_password_reset_is_not_a_wipe(app, rows):
    phone = app.test_client()
    actions = AuthActions(phone)
    actions.login(rows["mgr_a1"].username)
    cookie = phone.get_cookie("session")
    assert cookie is not None
    actions.logout()
    # A copied cookie of a logged-out session: sign in again, nothing to wipe.
    phone.set_cookie("session", cookie.value)
    answer = phone.get("/api/v1/auth/me")
    assert (answer.status_code, answer.json["error"]["code"]) == (401, "unauthorized")

    console = app.test_client()
    AuthActions(console).login(rows["admin"].username)
    actions.login(rows["mgr_a2"].username)
    reset = console.post(
        f"/api/v1/users/{rows['mgr_a2'].id}/password", json={"password": "another-long-secret-9"}
    )
    assert reset.status_code in (200, 204), reset.json
    answer = phone.get("/api/v1/auth/me")
    assert (answer.status_code, answer.json["error"]["code"]) == (401, "unauthorized")
