"""Offline contacts and warning outcomes: the push mutations add_contact, update_contact,
delete_contact and resolve_warning run the REST routes' services, with their rules."""

import uuid

import pytest
import sqlalchemy as sa

from server.customers.models import Contact, Customer, CustomerKind, Stage
from server.customers.services import assign
from server.extensions import db
from server.sync.models import SyncConflict
from server.warnings.models import ChurnWarning

PUSH = "/api/v1/sync/push"


def mutation(seq: int, name: str, args: dict, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "seq": seq, "name": name, "args": args, **extra}


def pushed(client, *mutations) -> list[dict]:
    response = client.post(
        PUSH,
        json={"device_id": str(uuid.uuid4()), "schema_version": 2, "mutations": list(mutations)},
    )
    assert response.status_code == 200, response.json
    return response.json["results"]


def load(in_app, model, id_):
    with in_app():
        return db.session.get(model, uuid.UUID(str(id_)))


def contacts_of(in_app, customer_id) -> dict[str, tuple[str, str | None, bool]]:
    with in_app():
        rows = db.session.scalars(sa.select(Contact).where(Contact.customer_id == customer_id))
        return {str(c.id): (c.name, c.phone, c.is_decision_maker) for c in rows}


@pytest.fixture
def org(client, auth, team_setup, make_customer):
    """An organisation of mgr_a1 (signed in) with one contact, the decision maker."""
    auth.login(team_setup["mgr_a1"].username)
    customer = make_customer(manager=team_setup["mgr_a1"], kind=CustomerKind.ORGANISATION)
    response = client.post(
        f"/api/v1/customers/{customer.id}/contacts",
        json={"name": "王经理", "phone": "13900000001", "is_decision_maker": True},
    )
    assert response.status_code == 201, response.json
    return {**team_setup, "org": customer, "boss": response.json}


# --- contacts -------------------------------------------------------------------


def test_a_contact_added_offline_keeps_its_id_and_becomes_the_decision_maker(client, org, in_app):
    customer, boss = org["org"], org["boss"]
    new_id = str(uuid.uuid4())
    [result] = pushed(
        client,
        mutation(
            1,
            "add_contact",
            {
                "id": new_id,
                "customer_id": str(customer.id),
                "name": "李总",
                "title": "总经理",
                "phone": "13900000002",
                "is_decision_maker": True,
            },
        ),
    )
    assert (result["status"], result["entity"]) == ("applied", "contacts")
    assert (result["record"]["id"], result["record"]["customer_id"]) == (new_id, str(customer.id))
    # One decision maker per customer: the earlier one is un-marked.
    assert contacts_of(in_app, customer.id) == {
        boss["id"]: ("王经理", "13900000001", False),
        new_id: ("李总", "13900000002", True),
    }


def test_a_bad_contact_is_refused_with_its_fields_and_nothing_is_added(client, org, in_app):
    customer = org["org"]
    [result] = pushed(
        client,
        mutation(
            1,
            "add_contact",
            {
                "id": str(uuid.uuid4()),
                "customer_id": str(customer.id),
                "name": " ",
                "email": "not an address",
            },
        ),
    )
    assert (result["status"], result["http_status"], result["code"]) == (
        "rejected",
        422,
        "validation_error",
    )
    assert sorted(result["fields"]) == ["email", "name"]
    assert len(contacts_of(in_app, customer.id)) == 1


def test_an_individual_customer_takes_no_contact(client, org, in_app):
    [result] = pushed(
        client,
        mutation(
            1,
            "add_contact",
            {"id": str(uuid.uuid4()), "customer_id": str(org["cust_a1"].id), "name": "某人"},
        ),
    )
    assert (result["status"], result["code"]) == ("rejected", "not_an_organisation")


def test_a_contact_edit_merges_field_by_field_and_keeps_what_it_replaces(client, auth, org, in_app):
    customer, boss = org["org"], org["boss"]
    # Meanwhile the lead changes the phone and the title on the server (version 2).
    auth.login(org["lead_a"].username)
    response = client.patch(
        f"/api/v1/customers/{customer.id}/contacts/{boss['id']}",
        json={"phone": "13900000009", "title": "董事长"},
    )
    assert response.status_code == 200, response.json
    auth.login(org["mgr_a1"].username)
    # The phone, holding version 1, changed the phone too, and the e-mail.
    [result] = pushed(
        client,
        mutation(
            1,
            "update_contact",
            {
                "id": boss["id"],
                "changes": {"phone": "13900000005", "email": "wang@example.com"},
                "base": {"phone": "13900000001", "email": None},
            },
            base_version=boss["version"],
        ),
    )
    assert (result["status"], result["code"]) == ("conflict", "field_conflict")
    [conflict] = result["conflicts"]
    assert (conflict["entity"], conflict["field"], conflict["customer_id"]) == (
        "contacts",
        "phone",
        str(customer.id),
    )
    assert (conflict["base_value"], conflict["kept_value"], conflict["lost_value"]) == (
        "13900000001",
        "13900000005",
        "13900000009",
    )
    row = load(in_app, Contact, boss["id"])
    assert (row.phone, row.email, row.title, row.version) == (
        "13900000005",
        "wang@example.com",
        "董事长",
        boss["version"] + 2,
    )
    # Restoring the lead's phone goes through the same service: a new version.
    [restored] = pushed(
        client, mutation(1, "resolve_conflict", {"id": conflict["id"], "choice": "restored"})
    )
    assert restored["status"] == "applied", restored
    row = load(in_app, Contact, boss["id"])
    assert (row.phone, row.version) == ("13900000009", boss["version"] + 3)


def test_a_contact_edit_with_a_bad_phone_is_refused_on_that_field(client, org, in_app):
    boss = org["boss"]
    [result] = pushed(
        client,
        mutation(
            1,
            "update_contact",
            {"id": boss["id"], "changes": {"phone": "call me"}, "base": {"phone": "13900000001"}},
            base_version=boss["version"],
        ),
    )
    assert (result["status"], result["http_status"], list(result["fields"])) == (
        "rejected",
        422,
        ["phone"],
    )
    assert load(in_app, Contact, boss["id"]).phone == "13900000001"


def test_a_contact_removed_offline_is_gone_but_not_one_changed_since(client, auth, org, in_app):
    customer, boss = org["org"], org["boss"]
    other = client.post(f"/api/v1/customers/{customer.id}/contacts", json={"name": "张秘书"}).json
    # The lead renames the secretary: the phone's copy (version 1) is stale.
    auth.login(org["lead_a"].username)
    assert (
        client.patch(
            f"/api/v1/customers/{customer.id}/contacts/{other['id']}", json={"name": "张助理"}
        ).status_code
        == 200
    )
    auth.login(org["mgr_a1"].username)
    removed, stale = pushed(
        client,
        mutation(1, "delete_contact", {"id": boss["id"]}, base_version=boss["version"]),
        mutation(2, "delete_contact", {"id": other["id"]}, base_version=other["version"]),
    )
    assert (removed["status"], removed["entity"], removed["record"]) == (
        "applied",
        "contacts",
        None,
    )
    assert (stale["status"], stale["http_status"], stale["code"]) == (
        "rejected",
        409,
        "version_conflict",
    )
    assert contacts_of(in_app, customer.id) == {other["id"]: ("张助理", None, False)}


@pytest.mark.parametrize("name", ["add_contact", "update_contact", "delete_contact"])
def test_another_managers_customers_contacts_are_not_found(
    client, auth, org, in_app, make_customer, name
):
    theirs = make_customer(manager=org["mgr_a2"], kind=CustomerKind.ORGANISATION)
    auth.login(org["mgr_a2"].username)
    contact = client.post(
        f"/api/v1/customers/{theirs.id}/contacts", json={"name": "赵主任", "phone": "13900000003"}
    ).json
    auth.login(org["mgr_a1"].username)
    args = {
        "add_contact": {"id": str(uuid.uuid4()), "customer_id": str(theirs.id), "name": "X"},
        "update_contact": {
            "id": contact["id"],
            "changes": {"phone": "13900000004"},
            "base": {"phone": "13900000003"},
        },
        "delete_contact": {"id": contact["id"]},
    }[name]
    [result] = pushed(client, mutation(1, name, args, base_version=1))
    assert (result["status"], result["http_status"], result["code"]) == (
        "rejected",
        404,
        "not_found",
    )
    assert contacts_of(in_app, theirs.id) == {contact["id"]: ("赵主任", "13900000003", False)}


def test_a_contact_edit_for_a_customer_moved_away_is_kept_for_the_lead(client, org, in_app):
    customer, boss = org["org"], org["boss"]
    with in_app():
        assign(
            db.session.get(Customer, customer.id),
            db.session.get(type(org["mgr_a2"]), org["mgr_a2"].id),
            reason="Rebalancing",
            actor=None,
        )
        db.session.commit()
    [result] = pushed(
        client,
        mutation(
            1,
            "update_contact",
            {"id": boss["id"], "changes": {"phone": "13900000005"}, "base": {}},
            base_version=1,
        ),
    )
    assert (result["status"], result["code"]) == ("conflict", "lost_access")
    assert load(in_app, Contact, boss["id"]).phone == "13900000001"
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncConflict)) == 1


# --- warning outcomes -----------------------------------------------------------


@pytest.fixture
def warning(client, auth, team_setup) -> dict:
    """An open warning on mgr_a1's first customer (signed in), flagged by hand."""
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(
        "/api/v1/warnings",
        json={
            "customer_id": str(team_setup["cust_a1"].id),
            "reason": "competitor",
            "note": "Offered a cheaper fibre line",
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def test_an_answer_and_a_retained_outcome_pushed_together_close_the_warning(
    client, team_setup, warning, in_app
):
    answer = {
        "id": warning["id"],
        "cause_analysis": "Price",
        "retention_plan": "Loyalty discount",
        "base": {"cause_analysis": None, "retention_plan": None},
    }
    answered, resolved = pushed(
        client,
        mutation(1, "answer_warning", answer, base_version=warning["version"]),
        # The phone's copy is at the version before its answer: outcomes take no version.
        mutation(
            2,
            "resolve_warning",
            {"id": warning["id"], "outcome": "retained", "note": "Signed for two years"},
            base_version=warning["version"],
        ),
    )
    assert (answered["status"], resolved["status"]) == ("applied", "applied"), resolved
    assert (resolved["record"]["status"], resolved["record"]["resolution_note"]) == (
        "retained",
        "Signed for two years",
    )
    row = load(in_app, ChurnWarning, warning["id"])
    assert (row.status.value, row.resolved_by_id) == ("retained", team_setup["mgr_a1"].id)
    # Back to the stage before the warning.
    assert load(in_app, Customer, team_setup["cust_a1"].id).stage == Stage.MATURITY


def test_retained_needs_the_answer_first(client, warning, in_app):
    [result] = pushed(
        client, mutation(1, "resolve_warning", {"id": warning["id"], "outcome": "retained"})
    )
    assert (result["status"], result["http_status"], result["code"]) == (
        "rejected",
        409,
        "analysis_required",
    )
    assert load(in_app, ChurnWarning, warning["id"]).status.value == "open"


def test_churned_needs_why_and_then_closes_the_warning(client, team_setup, warning, in_app):
    refused, churned, again = pushed(
        client,
        mutation(1, "resolve_warning", {"id": warning["id"], "outcome": "churned"}),
        mutation(
            2,
            "resolve_warning",
            {"id": warning["id"], "outcome": "churned", "exit_reason": "Moved to a competitor"},
        ),
        mutation(
            3,
            "resolve_warning",
            {"id": warning["id"], "outcome": "churned", "exit_reason": "Twice"},
        ),
    )
    assert (refused["status"], refused["http_status"], list(refused["fields"])) == (
        "rejected",
        422,
        ["exit_reason"],
    )
    assert churned["status"] == "applied"
    assert (again["status"], again["code"]) == ("rejected", "warning_resolved")
    row = load(in_app, ChurnWarning, warning["id"])
    assert (row.status.value, row.exit_reason) == ("churned", "Moved to a competitor")
    assert load(in_app, Customer, team_setup["cust_a1"].id).stage == Stage.CHURNED


def test_another_managers_warning_outcome_is_not_found(client, auth, team_setup, warning, in_app):
    auth.login(team_setup["mgr_a2"].username)
    [result] = pushed(
        client,
        mutation(
            1,
            "resolve_warning",
            {"id": warning["id"], "outcome": "churned", "exit_reason": "Gone"},
        ),
    )
    assert (result["status"], result["code"]) == ("rejected", "not_found")
    assert load(in_app, ChurnWarning, warning["id"]).status.value == "open"


def test_contacts_added_in_a_batch_that_meets_a_refusal_are_added_once(client, org, in_app):
    # A refusal makes the push run the batch again, a savepoint per change: what the
    # first pass added in memory must not linger (customers/services.py `_reload_contacts`).
    customer, boss = org["org"], org["boss"]
    new_id = str(uuid.uuid4())
    added, refused, marked = pushed(
        client,
        mutation(
            1,
            "add_contact",
            {
                "id": new_id,
                "customer_id": str(customer.id),
                "name": "李总",
                "is_decision_maker": True,
            },
        ),
        mutation(2, "delete_contact", {"id": boss["id"]}, base_version=boss["version"] - 1),
        mutation(
            3,
            "update_contact",
            {
                "id": boss["id"],
                "changes": {"is_decision_maker": True},
                "base": {"is_decision_maker": False},
            },
        ),
    )
    assert [r["status"] for r in (added, refused, marked)] == ["applied", "rejected", "applied"]
    assert contacts_of(in_app, customer.id) == {
        boss["id"]: ("王经理", "13900000001", True),
        new_id: ("李总", None, False),
    }
