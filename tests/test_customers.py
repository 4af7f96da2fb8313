"""The customers API: list, profile, edits, contacts and tiers, seen by each role."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.customers.models import (
    AssignmentHistory,
    Contact,
    Customer,
    CustomerKind,
    MonthlySpend,
    Stage,
    Tier,
)
from server.extensions import db

API = "/api/v1/customers"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [row["name"] for row in response.json["items"]]


def load(in_app, model, row_id):
    with in_app():
        return db.session.get(model, row_id)


# --- list: scope ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("mgr_a1", {"cust_a1", "cust_a1_2"}),
        ("lead_a", {"cust_a1", "cust_a1_2", "cust_a2", "cust_a2_2", "unassigned"}),
        (
            "admin",
            {
                "cust_a1",
                "cust_a1_2",
                "cust_a2",
                "cust_a2_2",
                "cust_b1",
                "cust_b1_2",
                "cust_b2",
                "cust_b2_2",
                "unassigned",
            },
        ),
    ],
)
def test_list_shows_exactly_the_customers_the_role_may_see(client, auth, team_setup, who, expected):
    auth.login(team_setup[who].username)
    response = client.get(API)
    assert response.status_code == 200
    assert {row["id"] for row in response.json["items"]} == {
        str(team_setup[name].id) for name in expected
    }
    assert response.json["total"] == len(expected)


def test_list_requires_sign_in(client, team_setup):
    assert client.get(API).status_code == 401


@pytest.mark.parametrize(
    ("who", "manager", "expected"),
    [
        ("admin", "mgr_a1", {"cust_a1", "cust_a1_2"}),
        ("lead_a", "mgr_a2", {"cust_a2", "cust_a2_2"}),
        # Another team's manager, or another manager: nothing, not an error.
        ("lead_a", "mgr_b1", set()),
        ("mgr_a1", "mgr_a2", set()),
        ("mgr_a1", "mgr_a1", {"cust_a1", "cust_a1_2"}),
    ],
)
def test_filter_by_manager(client, auth, team_setup, who, manager, expected):
    auth.login(team_setup[who].username)
    response = client.get(API, query_string={"manager_id": str(team_setup[manager].id)})
    assert {row["id"] for row in response.json["items"]} == {
        str(team_setup[name].id) for name in expected
    }


@pytest.mark.parametrize(
    ("who", "expected"), [("admin", {"unassigned"}), ("lead_b", {"unassigned"}), ("mgr_a1", set())]
)
def test_filter_unassigned(client, auth, team_setup, who, expected):
    auth.login(team_setup[who].username)
    response = client.get(API, query_string={"unassigned": "true"})
    assert {row["id"] for row in response.json["items"]} == {
        str(team_setup[name].id) for name in expected
    }


# --- list: filters, search, order, pages ----------------------------------------


@pytest.fixture
def portfolio(make_user, make_customer):
    """One manager's five customers, chosen so every filter picks a different subset."""
    mgr = make_user(Role.MANAGER, username="portfolio_mgr", display_name="Wang Fang")
    rows = {
        "anning": make_customer(
            manager=mgr,
            name="Anning Hotel",
            tier="diamond",
            kind=CustomerKind.ORGANISATION,
            phone="13900000001",
            contract_end_date=date(2026, 3, 31),
        ),
        "baiyun": make_customer(
            manager=mgr,
            name="Baiyun Li",
            tier="gold",
            stage=Stage.WARNING,
            phone="13900000002",
            phone2="02088880000",
            employer="Pearl River HOTEL Group",
        ),
        "chen": make_customer(
            manager=mgr,
            name="Chen Hua",
            tier="gold",
            stage=Stage.ONBOARDING,
            phone="13900000003",
            employer="Tianhe School",
            contract_end_date=date(2025, 12, 31),
        ),
        "dongfang": make_customer(
            manager=mgr,
            name="Dongfang 100% Foods",
            tier="crystal",
            kind=CustomerKind.ORGANISATION,
            phone="13700001111",
            contract_end_date=date(2026, 1, 15),
        ),
        "chenjing": make_customer(
            manager=mgr,
            name="陈静",
            tier="platinum",
            stage=Stage.WARNING,
            phone="13800138000",
            employer="广州酒店",
        ),
    }
    rows["mgr"] = mgr
    return rows


ALL_BY_NAME = ["Anning Hotel", "Baiyun Li", "Chen Hua", "Dongfang 100% Foods", "陈静"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL_BY_NAME),
        ("tier=gold", ["Baiyun Li", "Chen Hua"]),
        ("tier=gold,diamond", ["Anning Hotel", "Baiyun Li", "Chen Hua"]),
        ("tier=gold&tier=diamond", ["Anning Hotel", "Baiyun Li", "Chen Hua"]),
        ("stage=warning", ["Baiyun Li", "陈静"]),
        ("stage=warning,onboarding", ["Baiyun Li", "Chen Hua", "陈静"]),
        ("kind=organisation", ["Anning Hotel", "Dongfang 100% Foods"]),
        ("tier=gold&stage=warning", ["Baiyun Li"]),
        # Name or employer, any case.
        ("q=hotel", ["Anning Hotel", "Baiyun Li"]),
        ("q=CHEN", ["Chen Hua"]),
        ("q=8888", ["Baiyun Li"]),  # phone2
        ("q=0000000", ["Anning Hotel", "Baiyun Li", "Chen Hua"]),  # phone
        ("q=酒店", ["陈静"]),
        ("q=school", ["Chen Hua"]),
        # LIKE wildcards are searched for literally.
        ("q=%25", ["Dongfang 100% Foods"]),
        ("q=_", []),
        ("q=%20%20", ALL_BY_NAME),  # a blank search is no search
        ("sort=tier", ["Anning Hotel", "陈静", "Baiyun Li", "Chen Hua", "Dongfang 100% Foods"]),
        (
            "sort=contract_end_date",
            ["Chen Hua", "Dongfang 100% Foods", "Anning Hotel", "Baiyun Li", "陈静"],
        ),
        ("unassigned=false", ALL_BY_NAME),
        ("unassigned=true", []),
    ],
)
def test_filters_and_search(client, auth, portfolio, query, expected):
    auth.login("portfolio_mgr")
    assert names(client.get(f"{API}?{query}")) == expected


def test_summary_row_shape(client, auth, portfolio):
    auth.login("portfolio_mgr")
    row = client.get(API, query_string={"q": "Anning"}).json["items"][0]
    anning = portfolio["anning"]
    assert row == {
        "id": str(anning.id),
        "external_no": anning.external_no,
        "name": "Anning Hotel",
        "kind": "organisation",
        "phone": "13900000001",
        "tier": {"code": "diamond", "name_zh": "钻石", "name_en": "Diamond", "rank": 1},
        "stage": "maturity",
        "manager": {"id": str(portfolio["mgr"].id), "display_name": "Wang Fang"},
        "contract_end_date": "2026-03-31",
        "address": None,
        "version": 1,
        "erased_at": None,
        "masked": False,
        "last_contact_at": None,
        "open_warning": False,
    }


def test_the_list_filters_by_area_last_contact_and_open_warning(client, auth, in_app, portfolio):
    from datetime import UTC, datetime, timedelta

    from server.models_base import utcnow
    from server.plans.models import Channel, Purpose
    from server.visits.models import LocationStatus, Visit
    from server.warnings.models import ChurnWarning, WarningSource, WarningStatus

    now = utcnow()
    with in_app():
        db.session.get(Customer, portfolio["anning"].id).address = "浙江省杭州市西湖区文三路 8 号"
        db.session.get(Customer, portfolio["chen"].id).address = "浙江省杭州市上城区解放路"
        for key, days in (("anning", 3), ("baiyun", 40), ("chen", 100)):
            db.session.add(
                Visit(
                    customer_id=portfolio[key].id,
                    manager_id=portfolio["mgr"].id,
                    channel=Channel.PHONE,
                    purpose=Purpose.ROUTINE,
                    started_at=now - timedelta(days=days),
                    location_status=LocationStatus.NOT_APPLICABLE,
                )
            )
        db.session.add(
            ChurnWarning(
                customer_id=portfolio["baiyun"].id,
                status=WarningStatus.OPEN,
                source=WarningSource.MANUAL,
                reasons=[],
                finding_keys=[],
                opened_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        db.session.commit()
    auth.login("portfolio_mgr")

    def names(**query) -> list[str]:
        response = client.get(API, query_string=query)
        assert response.status_code == 200, response.json
        return [row["name"] for row in response.json["items"]]

    assert names(area="西湖区") == ["Anning Hotel"]
    # Not contacted for 30 days or more: 40 and 100 days ago, and the never-contacted.
    assert names(no_contact_days=30) == ["Baiyun Li", "Chen Hua", "Dongfang 100% Foods", "陈静"]
    assert names(no_contact_days=60) == ["Chen Hua", "Dongfang 100% Foods", "陈静"]
    assert names(open_warning="true") == ["Baiyun Li"]
    assert len(names(open_warning="false")) == 4
    # Longest without contact first, the never-contacted before everyone.
    assert names(sort="last_contact")[:2] == ["Dongfang 100% Foods", "陈静"]
    assert names(sort="last_contact")[2:] == ["Chen Hua", "Baiyun Li", "Anning Hotel"]
    row = client.get(API, query_string={"q": "Baiyun"}).json["items"][0]
    assert row["open_warning"] is True
    assert datetime.fromisoformat(row["last_contact_at"]) == now - timedelta(days=40)
    bad = client.get(API, query_string={"no_contact_days": "-1"})
    assert (bad.status_code, list(bad.json["error"]["fields"])) == (422, ["no_contact_days"])


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (1, ["Anning Hotel", "Baiyun Li"]),
        (2, ["Chen Hua", "Dongfang 100% Foods"]),
        (3, ["陈静"]),
        (4, []),
    ],
)
def test_pagination(client, auth, portfolio, page, expected):
    auth.login("portfolio_mgr")
    response = client.get(API, query_string={"page": page, "per_page": 2})
    assert names(response) == expected
    assert {k: response.json[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": page,
        "per_page": 2,
        "total": 5,
        "pages": 3,
    }


def test_pagination_counts_the_filtered_rows(client, auth, portfolio):
    auth.login("portfolio_mgr")
    response = client.get(API, query_string={"tier": "gold", "per_page": 1})
    assert names(response) == ["Baiyun Li"]
    assert (response.json["total"], response.json["pages"]) == (2, 2)


def test_same_names_keep_a_stable_order_across_pages(client, auth, make_user, make_customer):
    mgr = make_user(Role.MANAGER, username="twins")
    ids = sorted(str(make_customer(manager=mgr, name="Zhang Wei").id) for _ in range(3))
    auth.login("twins")
    seen = [
        client.get(API, query_string={"page": page, "per_page": 1}).json["items"][0]["id"]
        for page in (1, 2, 3)
    ]
    assert seen == ids


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tier=platinum,tin", "tier"),
        ("stage=sleeping", "stage"),
        ("kind=robot", "kind"),
        ("per_page=1000", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("manager_id=42", "manager_id"),
        ("unassigned=maybe", "unassigned"),
        ("sort=phone", "sort"),
        ("q=" + "x" * 101, "q"),
        ("tiers=gold", "tiers"),  # a misspelt filter is not silently ignored
    ],
)
def test_bad_filters_are_422_naming_the_field(client, auth, portfolio, query, field):
    auth.login("portfolio_mgr")
    response = client.get(f"{API}?{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["fields"]


def test_list_query_count_does_not_grow_with_rows(app, client, auth, make_user, make_customer):
    """Tier and manager come with the page, not one query per row."""
    admin = make_user(Role.ADMIN)
    auth.login(admin.username)

    def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(API).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    make_customer(manager=make_user(Role.MANAGER), tier="gold")
    few = statements()
    for tier in ("diamond", "emerald", "platinum", "sapphire", "crystal"):
        make_customer(manager=make_user(Role.MANAGER), tier=tier)
        make_customer()
    assert statements() == few


# --- someone else's customer ----------------------------------------------------


def _endpoints(customer_id, contact_id):
    return [
        ("get", f"{API}/{customer_id}", None),
        ("patch", f"{API}/{customer_id}", {"notes": "hello"}),
        ("get", f"{API}/{customer_id}/assignments", None),
        ("post", f"{API}/{customer_id}/contacts", {"name": "Liu"}),
        ("patch", f"{API}/{customer_id}/contacts/{contact_id}", {"name": "Liu"}),
        ("delete", f"{API}/{customer_id}/contacts/{contact_id}", None),
    ]


ENDPOINT_NAMES = ["get", "patch", "assignments", "add_contact", "patch_contact", "delete_contact"]


@pytest.mark.parametrize("endpoint", range(len(ENDPOINT_NAMES)), ids=ENDPOINT_NAMES)
@pytest.mark.parametrize(
    ("who", "whose"),
    [
        ("mgr_a1", "cust_a2"),  # a colleague's
        ("mgr_a1", "unassigned"),
        ("lead_a", "cust_b1"),  # another team's
    ],
)
def test_someone_elses_customer_is_404(
    client, auth, in_app, team_setup, make_customer, who, whose, endpoint
):
    target = team_setup[whose]
    with in_app():
        customer = db.session.get(Customer, target.id)
        customer.kind = CustomerKind.ORGANISATION
        contact = Contact(name="Zhao", customer=customer)
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    method, url, body = _endpoints(target.id, contact_id)[endpoint]
    auth.login(team_setup[who].username)
    response = getattr(client, method)(url, json=body)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    with in_app():
        assert db.session.get(Customer, target.id).notes is None
        assert [c.name for c in db.session.get(Customer, target.id).contacts] == ["Zhao"]


def test_unknown_customer_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.get(f"{API}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


# --- profile --------------------------------------------------------------------


def _month(today: date, back: int) -> date:
    n = today.year * 12 + today.month - 1 - back
    return date(n // 12, n % 12 + 1, 1)


def test_profile_has_contacts_spend_and_history(client, auth, in_app, team_setup, make_customer):
    mgr = team_setup["mgr_a1"]
    customer = make_customer(
        manager=mgr,
        name="Yuexiu Middle School",
        kind=CustomerKind.ORGANISATION,
        tier="emerald",
        phone2="02012345678",
        income_band="high",
        birthday=date(1980, 5, 4),
        special_dates=[{"label": "开户纪念日", "date": "2015-06-01"}],
    )
    today = datetime.now(UTC).date()
    with in_app():
        db.session.add_all(
            [
                Contact(customer_id=customer.id, name="Principal Ma", is_decision_maker=True),
                Contact(customer_id=customer.id, name="Bursar He", phone="13600000000"),
                MonthlySpend(
                    customer_id=customer.id,
                    month=_month(today, 0),
                    service="mobile",
                    amount=Decimal("58.50"),
                ),
                MonthlySpend(
                    customer_id=customer.id,
                    month=_month(today, 0),
                    service="broadband",
                    amount=Decimal("100.00"),
                ),
                MonthlySpend(
                    customer_id=customer.id,
                    month=_month(today, 2),
                    service="mobile",
                    amount=Decimal("60.00"),
                ),
                # Older than 12 months: not shown.
                MonthlySpend(
                    customer_id=customer.id,
                    month=_month(today, 12),
                    service="iptv",
                    amount=Decimal("30.00"),
                ),
            ]
        )
        db.session.commit()
    auth.login(team_setup["lead_a"].username)
    client.post(
        f"{API}/{customer.id}/assign",
        json={"manager_id": str(team_setup["mgr_a2"].id), "reason": "mgr_a1 on leave"},
    )

    body = client.get(f"{API}/{customer.id}").json
    assert body["name"] == "Yuexiu Middle School"
    assert body["tier"]["code"] == "emerald"
    assert body["manager"]["id"] == str(team_setup["mgr_a2"].id)
    # A lead sees personal fields masked (tests/test_personal_data.py).
    assert (body["phone2"], body["income_band"], body["birthday"]) == (
        "020****5678",
        "****",
        "--05-04",
    )
    assert body["special_dates"] == [{"label": "开户纪念日", "date": "--06-01"}]
    assert [(c["name"], c["is_decision_maker"]) for c in body["contacts"]] == [
        ("Principal Ma", True),
        ("Bursar He", False),
    ]
    assert body["spend"]["months"] == [
        _month(today, back).strftime("%Y-%m") for back in range(11, -1, -1)
    ]
    assert body["spend"]["services"] == {
        "broadband": [None] * 11 + ["100.00"],
        "mobile": [None] * 9 + ["60.00", None, "58.50"],
    }
    assert body["spend"]["total"] == [None] * 9 + ["60.00", None, "158.50"]
    assert len(body["assignments"]) == 1
    entry = body["assignments"][0]
    assert entry["from_manager"]["display_name"] == mgr.display_name
    assert entry["to_manager"]["display_name"] == team_setup["mgr_a2"].display_name
    assert entry["assigned_by"]["display_name"] == team_setup["lead_a"].display_name
    assert entry["reason"] == "mgr_a1 on leave"
    assert body["version"] == 2  # the assignment changed the row


def test_profile_without_spend_has_twelve_empty_months(client, auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    body = client.get(f"{API}/{team_setup['cust_a1'].id}").json
    assert len(body["spend"]["months"]) == 12
    assert body["spend"]["services"] == {}
    assert body["spend"]["total"] == [None] * 12
    assert body["contacts"] == []
    assert body["assignments"] == []


# --- PATCH ----------------------------------------------------------------------

PROFILE_EDIT = {
    "phone": "13912345678",
    "phone2": "020-3838 8888",
    "email": "li@example.com",
    "address": "天河路 385 号",
    "employer": "Tianhe Hospital",
    "position": "Head nurse",
    "industry": "Health",
    "interests": "badminton, tea",
    "income_band": "middle",
    "consumption_habits": "prefers bundles",
    "birthday": "1985-02-14",
    "birthday_lunar": True,
    "gender": "female",
    "special_dates": [{"label": "moving home", "date": "2024-10-01"}],
    "notes": "Call after 6 pm.",
    "latitude": 23.13,
    "longitude": 113.26,
}


def test_manager_edits_the_profile(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    response = client.patch(f"{API}/{customer.id}", json={**PROFILE_EDIT, "version": 1})
    assert response.status_code == 200, response.json
    body = response.json
    for key, value in PROFILE_EDIT.items():
        assert body[key] == value, key
    assert body["version"] == 2
    row = load(in_app, Customer, customer.id)
    assert row.employer == "Tianhe Hospital"
    assert row.birthday == date(1985, 2, 14)
    assert row.special_dates == [{"label": "moving home", "date": "2024-10-01"}]
    assert client.get(f"{API}/{customer.id}").json["notes"] == "Call after 6 pm."


def test_blank_clears_an_optional_field_and_strings_are_trimmed(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    client.patch(f"{API}/{customer.id}", json={"phone2": "13800000000", "employer": "Acme"})
    response = client.patch(f"{API}/{customer.id}", json={"phone2": "  ", "employer": " Bcme "})
    assert response.status_code == 200
    row = load(in_app, Customer, customer.id)
    assert (row.phone2, row.employer) == (None, "Bcme")


@pytest.mark.parametrize(
    "body",
    [{"name": "New Name"}, {"tier": "diamond"}, {"kind": "organisation"}],
    ids=["name", "tier", "kind"],
)
def test_manager_may_not_change_billing_fields(client, auth, in_app, team_setup, body):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    response = client.patch(f"{API}/{customer.id}", json={**body, "notes": "x"})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(body)
    row = load(in_app, Customer, customer.id)
    assert (row.name, row.kind, row.notes, row.version) == (customer.name, "individual", None, 1)
    assert load(in_app, Tier, row.tier_id).code == "gold"


@pytest.mark.parametrize("who", ["lead_a", "admin"])
def test_lead_and_admin_change_name_tier_and_kind(client, auth, in_app, team_setup, who):
    customer = team_setup["cust_a1"]
    auth.login(team_setup[who].username)
    response = client.patch(
        f"{API}/{customer.id}",
        json={"name": "Guangzhou Metro", "tier": "diamond", "kind": "organisation"},
    )
    assert response.status_code == 200
    assert response.json["tier"]["code"] == "diamond"
    row = load(in_app, Customer, customer.id)
    assert (row.name, row.kind) == ("Guangzhou Metro", CustomerKind.ORGANISATION)
    assert load(in_app, Tier, row.tier_id).code == "diamond"


@pytest.mark.parametrize("field", ["external_no", "stage", "manager_id"])
def test_fields_no_one_patches(client, auth, in_app, team_setup, field):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["admin"].username)
    response = client.patch(f"{API}/{customer.id}", json={field: "x"})
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert load(in_app, Customer, customer.id).version == 1


def test_unknown_tier_code_is_422(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["admin"].username)
    response = client.patch(f"{API}/{customer.id}", json={"tier": "bronze"})
    assert response.status_code == 422
    assert "tier" in response.json["error"]["fields"]
    assert load(in_app, Customer, customer.id).version == 1


def test_stale_version_is_a_conflict_with_the_current_record(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    assert (
        client.patch(f"{API}/{customer.id}", json={"notes": "first", "version": 1}).json["version"]
        == 2
    )
    # A second device still holds version 1.
    response = client.patch(f"{API}/{customer.id}", json={"notes": "second", "version": 1})
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "version_conflict"
    assert (error["current"]["version"], error["current"]["notes"]) == (2, "first")
    assert load(in_app, Customer, customer.id).notes == "first"


BAD_BODIES = [
    ({"phone": 13912345678}, "phone"),  # wrong type
    ({"phone": "1" * 21}, "phone"),  # longer than the column
    ({"phone": "call me"}, "phone"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "a" * 110 + "@example.com"}, "email"),
    ({"gender": "robot"}, "gender"),
    ({"birthday": "1985-13-01"}, "birthday"),
    ({"birthday": (date.today() + timedelta(days=2)).isoformat()}, "birthday"),
    ({"birthday_lunar": "yes"}, "birthday_lunar"),
    ({"address": "x" * 201}, "address"),
    ({"employer": "x" * 101}, "employer"),
    ({"position": "x" * 61}, "position"),
    ({"industry": "x" * 61}, "industry"),
    ({"interests": "x" * 301}, "interests"),
    ({"income_band": "x" * 31}, "income_band"),
    ({"consumption_habits": "x" * 301}, "consumption_habits"),
    ({"notes": "x" * 4001}, "notes"),
    ({"latitude": 91, "longitude": 0}, "latitude"),
    ({"latitude": "north", "longitude": 0}, "latitude"),
    ({"latitude": 23.1}, "longitude"),
    ({"special_dates": [{"label": "moving"}]}, "special_dates"),
    ({"special_dates": "2024-10-01"}, "special_dates"),
    ({"version": "1"}, "version"),
    ({"colour": "blue"}, "colour"),  # unknown field
    ({"name": "   "}, "name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES, ids=[f for _, f in BAD_BODIES])
def test_bad_patch_is_422_naming_the_field_and_changes_nothing(
    client, auth, in_app, team_setup, body, field
):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["admin"].username)
    response = client.patch(f"{API}/{customer.id}", json={"employer": "Kept?", **body})
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    row = load(in_app, Customer, customer.id)
    assert (row.employer, row.version) == (None, 1)


def test_malformed_json_is_400_and_changes_nothing(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    response = client.patch(
        f"{API}/{customer.id}", data='{"notes": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "json" in response.json["error"]["fields"]
    assert load(in_app, Customer, customer.id).notes is None


def test_a_json_list_is_not_a_patch(client, auth, team_setup):
    auth.login(team_setup["mgr_a1"].username)
    response = client.patch(f"{API}/{team_setup['cust_a1'].id}", json=[{"notes": "x"}])
    assert response.status_code == 422


# --- contacts -------------------------------------------------------------------


@pytest.fixture
def org(make_customer, team_setup):
    return make_customer(
        manager=team_setup["mgr_a1"], name="Huacheng Hotel", kind=CustomerKind.ORGANISATION
    )


def contacts_of(in_app, customer_id) -> list[tuple[str, bool]]:
    with in_app():
        rows = db.session.scalars(
            sa.select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.name)
        )
        return [(c.name, c.is_decision_maker) for c in rows]


def test_add_contacts_and_only_one_decision_maker(client, auth, in_app, team_setup, org):
    auth.login(team_setup["mgr_a1"].username)
    first = client.post(
        f"{API}/{org.id}/contacts",
        json={"name": "Guo Jing", "title": "GM", "is_decision_maker": True},
    )
    assert first.status_code == 201
    assert first.json["is_decision_maker"] is True
    second = client.post(
        f"{API}/{org.id}/contacts",
        json={"name": "Huang Rong", "phone": "13500000000", "is_decision_maker": True},
    )
    assert second.status_code == 201
    assert contacts_of(in_app, org.id) == [("Guo Jing", False), ("Huang Rong", True)]

    # Marking the first again moves the mark back.
    response = client.patch(
        f"{API}/{org.id}/contacts/{first.json['id']}", json={"is_decision_maker": True}
    )
    assert response.status_code == 200
    assert contacts_of(in_app, org.id) == [("Guo Jing", True), ("Huang Rong", False)]

    detail = client.get(f"{API}/{org.id}").json
    assert [c["name"] for c in detail["contacts"]] == ["Guo Jing", "Huang Rong"]


def test_edit_and_delete_a_contact(client, auth, in_app, team_setup, org):
    auth.login(team_setup["lead_a"].username)
    contact = client.post(f"{API}/{org.id}/contacts", json={"name": "Guo Jing"}).json
    response = client.patch(
        f"{API}/{org.id}/contacts/{contact['id']}",
        json={"title": "Purchasing", "version": contact["version"]},
    )
    assert (response.status_code, response.json["title"]) == (200, "Purchasing")
    stale = client.patch(
        f"{API}/{org.id}/contacts/{contact['id']}", json={"title": "CEO", "version": 1}
    )
    assert stale.status_code == 409
    assert stale.json["error"]["current"]["title"] == "Purchasing"
    assert client.delete(f"{API}/{org.id}/contacts/{contact['id']}").status_code == 204
    assert contacts_of(in_app, org.id) == []
    assert client.delete(f"{API}/{org.id}/contacts/{contact['id']}").status_code == 404


def test_contact_of_another_customer_is_404(client, auth, in_app, team_setup, org, make_customer):
    other = make_customer(manager=team_setup["mgr_a1"], kind=CustomerKind.ORGANISATION)
    auth.login(team_setup["mgr_a1"].username)
    contact = client.post(f"{API}/{other.id}/contacts", json={"name": "Li"}).json
    response = client.patch(f"{API}/{org.id}/contacts/{contact['id']}", json={"name": "Wu"})
    assert response.status_code == 404
    assert contacts_of(in_app, other.id) == [("Li", False)]


def test_individuals_have_no_contacts(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(f"{API}/{customer.id}/contacts", json={"name": "Li"})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_an_organisation"
    assert contacts_of(in_app, customer.id) == []


def test_organisation_with_contacts_cannot_become_an_individual(
    client, auth, in_app, team_setup, org
):
    auth.login(team_setup["admin"].username)
    client.post(f"{API}/{org.id}/contacts", json={"name": "Li"})
    response = client.patch(f"{API}/{org.id}", json={"kind": "individual"})
    assert response.status_code == 422
    assert "kind" in response.json["error"]["fields"]
    assert load(in_app, Customer, org.id).kind == CustomerKind.ORGANISATION


BAD_CONTACTS = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 61}, "name"),
    ({"name": "Li", "title": "x" * 61}, "title"),
    ({"name": "Li", "phone": "x"}, "phone"),
    ({"name": "Li", "email": "li@"}, "email"),
    ({"name": "Li", "is_decision_maker": "yes"}, "is_decision_maker"),
    ({"name": "Li", "birthday": "yesterday"}, "birthday"),
    ({"name": "Li", "customer_id": "x"}, "customer_id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CONTACTS, ids=[f for _, f in BAD_CONTACTS])
def test_bad_contact_is_422(client, auth, in_app, team_setup, org, body, field):
    auth.login(team_setup["mgr_a1"].username)
    response = client.post(f"{API}/{org.id}/contacts", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert contacts_of(in_app, org.id) == []


# --- tiers ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["mgr_a1", "lead_a", "admin"])
def test_everyone_signed_in_lists_tiers_by_rank(client, auth, team_setup, who):
    auth.login(team_setup[who].username)
    response = client.get("/api/v1/tiers")
    assert response.status_code == 200
    items = response.json
    assert [t["code"] for t in items] == [
        "diamond",
        "emerald",
        "platinum",
        "sapphire",
        "gold",
        "crystal",
    ]
    assert items[0] | {"id": None} == {
        "id": None,
        "code": "diamond",
        "name_zh": "钻石",
        "name_en": "Diamond",
        "rank": 1,
        "contact_interval_days": 30,
        "complaint_response_hours": 2,
        "version": 1,
    }


def _tier_id(in_app, code: str):
    with in_app():
        return db.session.scalar(sa.select(Tier.id).where(Tier.code == code))


def test_admin_edits_a_tier(client, auth, in_app, team_setup):
    tier_id = _tier_id(in_app, "gold")
    auth.login(team_setup["admin"].username)
    response = client.patch(
        f"/api/v1/tiers/{tier_id}",
        json={"name_en": "Gold+", "contact_interval_days": 60, "complaint_response_hours": 12},
    )
    assert response.status_code == 200
    assert (response.json["name_en"], response.json["version"]) == ("Gold+", 2)
    tier = load(in_app, Tier, tier_id)
    assert (tier.name_en, tier.contact_interval_days, tier.complaint_response_hours) == (
        "Gold+",
        60,
        12,
    )
    stale = client.patch(f"/api/v1/tiers/{tier_id}", json={"name_en": "Au", "version": 1})
    assert stale.status_code == 409


@pytest.mark.parametrize("who", ["mgr_a1", "lead_a"])
def test_only_admin_edits_tiers(client, auth, in_app, team_setup, who):
    tier_id = _tier_id(in_app, "gold")
    auth.login(team_setup[who].username)
    response = client.patch(f"/api/v1/tiers/{tier_id}", json={"name_en": "Mine"})
    assert response.status_code == 403
    assert load(in_app, Tier, tier_id).name_en == "Gold"


BAD_TIERS = [
    ({"contact_interval_days": 0}, "contact_interval_days"),
    ({"contact_interval_days": 366}, "contact_interval_days"),
    ({"contact_interval_days": "30"}, "contact_interval_days"),
    ({"complaint_response_hours": 721}, "complaint_response_hours"),
    ({"complaint_response_hours": 1.5}, "complaint_response_hours"),
    ({"name_zh": ""}, "name_zh"),
    ({"name_en": "x" * 41}, "name_en"),
    ({"code": "au"}, "code"),
    ({"rank": 9}, "rank"),
]


@pytest.mark.parametrize(("body", "field"), BAD_TIERS, ids=[f for _, f in BAD_TIERS])
def test_bad_tier_edit_is_422(client, auth, in_app, team_setup, body, field):
    tier_id = _tier_id(in_app, "gold")
    auth.login(team_setup["admin"].username)
    response = client.patch(f"/api/v1/tiers/{tier_id}", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert load(in_app, Tier, tier_id).version == 1


def test_unknown_tier_is_404(client, auth, team_setup):
    auth.login(team_setup["admin"].username)
    response = client.patch(
        "/api/v1/tiers/00000000-0000-0000-0000-000000000000", json={"name_en": "X"}
    )
    assert response.status_code == 404


def test_history_model_is_untouched_by_profile_edits(client, auth, in_app, team_setup):
    customer = team_setup["cust_a1"]
    auth.login(team_setup["admin"].username)
    client.patch(f"{API}/{customer.id}", json={"name": "Renamed"})
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentHistory)) == 0
