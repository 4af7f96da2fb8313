"""CSV imports of customers and monthly spend: API, CLI, validation and idempotency."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEvent
from server.auth.models import Role
from server.customers.models import AssignmentHistory, Contact, Customer, MonthlySpend, Stage
from server.extensions import db
from server.imports import services
from tests.statements import commits, counter, crashing_on_call

DATA = Path(__file__).parent / "data"
CUSTOMERS_CSV = (DATA / "customers.csv").read_bytes()
SPEND_CSV = (DATA / "spend.csv").read_bytes()


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.fixture
def admin(make_user, auth):
    user = make_user(Role.ADMIN, username="admin_imports")
    auth.login("admin_imports")
    return user


@pytest.fixture
def managers(make_user, make_team):
    team = make_team()
    return {
        "wang": make_user(Role.MANAGER, username="mgr_wang", team=team),
        "li": make_user(Role.MANAGER, username="mgr_li", team=team),
    }


def post_csv(client, what, data, *, partial=False, filename="customers.csv", raw=False):
    url = f"/api/v1/imports/{what}" + ("?partial=true" if partial else "")
    if raw:
        return client.post(url, data=data, content_type="text/csv")
    return client.post(
        url,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def customers_by_no(*numbers):
    rows = db.session.scalars(sa.select(Customer).where(Customer.external_no.in_(numbers)))
    return {c.external_no: c for c in rows}


def versions(in_app, *numbers):
    with in_app():
        return {no: c.version for no, c in customers_by_no(*numbers).items()}


def history_count(in_app):
    with in_app():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentHistory))


def errors_of(response):
    return [(e["line"], e["field"]) for e in response.json["error"]["fields"]["rows"]]


# --- customers: a clean file, then the same file again ----------------------------------


def test_clean_file_creates_customers_contacts_and_assignment_history(
    client, admin, managers, in_app
):
    response = post_csv(client, "customers", CUSTOMERS_CSV)

    assert response.status_code == 200, response.json
    assert response.json == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    with in_app():
        rows = customers_by_no("C100", "C101", "C102")
        wang = rows["C100"]
        assert wang.name == "王芳"
        assert wang.birthday == date(1985, 3, 8)
        assert wang.birthday_lunar is True
        assert wang.products == ["5G套餐", "宽带"]
        assert wang.tier.code == "gold"
        assert wang.stage == Stage.MATURITY
        assert wang.manager_id == managers["wang"].id
        hotel = rows["C101"]
        assert hotel.kind == "organisation"
        assert hotel.stage == Stage.WARNING
        assert [(c.name, c.title, c.phone, c.is_decision_maker) for c in hotel.contacts] == [
            ("陈总", "总经理", "13900000002", True)
        ]
        assert rows["C102"].manager_id is None
        assert rows["C102"].phone is None
        history = db.session.scalars(
            sa.select(AssignmentHistory).order_by(AssignmentHistory.reason)
        ).all()
        assert sorted((h.customer_id, h.to_manager_id) for h in history) == sorted(
            [(wang.id, managers["wang"].id), (hotel.id, managers["li"].id)]
        )
        assert {(h.reason, h.source, h.from_manager_id, h.assigned_by_id) for h in history} == {
            ("import customers.csv", "import", None, admin.id)
        }


def test_reimporting_the_same_file_changes_nothing(client, admin, managers, in_app):
    post_csv(client, "customers", CUSTOMERS_CSV)
    before = versions(in_app, "C100", "C101", "C102")
    history_before = history_count(in_app)

    response = post_csv(client, "customers", CUSTOMERS_CSV)

    assert response.json == {"created": 0, "updated": 0, "unchanged": 3, "skipped": 0, "errors": []}
    assert versions(in_app, "C100", "C101", "C102") == before
    assert history_count(in_app) == history_before
    with in_app():
        contact = db.session.scalar(sa.select(Contact).where(Contact.name == "陈总"))
        assert contact.version == 1


def test_a_changed_value_updates_exactly_that_row(client, admin, managers, in_app):
    post_csv(client, "customers", CUSTOMERS_CSV)
    before = versions(in_app, "C100", "C101", "C102")
    changed = CUSTOMERS_CSV.replace(b"02088886666", b"02088887777")

    response = post_csv(client, "customers", changed)

    assert response.json["updated"] == 1
    assert response.json["unchanged"] == 2
    after = versions(in_app, "C100", "C101", "C102")
    assert after == {**before, "C101": before["C101"] + 1}
    with in_app():
        assert customers_by_no("C101")["C101"].phone == "02088887777"


def test_empty_manager_and_stage_keep_what_is_stored_while_other_empty_cells_clear(
    client, admin, managers, in_app
):
    post_csv(client, "customers", CUSTOMERS_CSV)
    history_before = history_count(in_app)
    data = csv_bytes(
        "external_no,name,tier,manager,stage,phone,products,birthday_lunar",
        "C100,王芳,gold,,,,,",
    )

    response = post_csv(client, "customers", data)

    assert response.json["updated"] == 1
    with in_app():
        wang = customers_by_no("C100")["C100"]
        assert wang.manager_id == managers["wang"].id
        assert wang.stage == Stage.MATURITY
        assert wang.phone is None
        assert wang.products == []
        assert wang.birthday_lunar is False
        # A column left out of the file is not touched.
        assert wang.birthday == date(1985, 3, 8)
    assert history_count(in_app) == history_before


def test_manager_change_is_recorded_in_history(client, admin, managers, in_app):
    post_csv(client, "customers", CUSTOMERS_CSV)
    data = csv_bytes("external_no,name,tier,manager", "C100,王芳,gold,mgr_li")

    response = post_csv(client, "customers", data, filename="moves.csv")

    assert response.json["updated"] == 1
    with in_app():
        wang = customers_by_no("C100")["C100"]
        assert wang.manager_id == managers["li"].id
        last = db.session.scalar(
            sa.select(AssignmentHistory).where(
                AssignmentHistory.customer_id == wang.id,
                AssignmentHistory.reason == "import moves.csv",
            )
        )
        assert (last.from_manager_id, last.to_manager_id) == (
            managers["wang"].id,
            managers["li"].id,
        )


def test_decision_maker_moves_to_the_named_contact(client, admin, managers, in_app):
    post_csv(client, "customers", CUSTOMERS_CSV)
    header = "external_no,name,tier,contact_name,contact_title"

    new_boss = post_csv(client, "customers", csv_bytes(header, "C101,华美酒店,diamond,刘经理,"))
    old_boss = post_csv(client, "customers", csv_bytes(header, "C101,华美酒店,diamond,陈总,董事"))

    assert new_boss.json["updated"] == old_boss.json["updated"] == 1
    with in_app():
        hotel = customers_by_no("C101")["C101"]
        assert [(c.name, c.title, c.is_decision_maker) for c in hotel.contacts] == [
            ("陈总", "董事", True),
            ("刘经理", None, False),
        ]


# --- customers: errors ---------------------------------------------------------------

BAD_CUSTOMERS = csv_bytes(
    "external_no,name,tier,gender,birthday,email,manager,address",  # line 1
    "C1,好,gold,,,,,",  # 2
    'C2,地址两行,gold,,,,,"北京市',  # 3
    '朝阳区"',  # 4 (same record as line 3)
    ",无号,gold,,,,,",  # 5: external_no missing
    "C3,三,silver,,,,,",  # 6: unknown tier
    "C4,四,gold,woman,1990-13-01,,,",  # 7: gender and birthday
    "C1,重复,gold,,,,,",  # 8: duplicate of line 2
    "C7,七,gold,,,not-an-email,,",  # 9: email
    "C8,八,gold,,,,ghost,",  # 10: unknown manager
    "C9,,GOLD,,,,mgr_wang,",  # 11: name missing (GOLD is fine)
)
BAD_CUSTOMERS_ERRORS = [
    (5, "external_no"),
    (6, "tier"),
    (7, "gender"),
    (7, "birthday"),
    (8, "external_no"),
    (9, "email"),
    (10, "manager"),
    (11, "name"),
]


def test_bad_rows_are_all_reported_with_their_lines_and_nothing_is_imported(
    client, admin, managers, in_app
):
    response = post_csv(client, "customers", BAD_CUSTOMERS)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "import_rejected"
    assert sorted(errors_of(response)) == sorted(BAD_CUSTOMERS_ERRORS)
    rows = {(e["line"], e["field"]): e["message"] for e in response.json["error"]["fields"]["rows"]}
    assert rows[(8, "external_no")] == "Duplicate of line 2."
    assert "silver" in rows[(6, "tier")]
    assert "7 row(s)" in response.json["error"]["message"]
    with in_app():
        assert customers_by_no("C1", "C2", "C3", "C4", "C7", "C8", "C9") == {}


def test_partial_mode_imports_the_good_rows_and_reports_the_bad(client, admin, managers, in_app):
    response = post_csv(client, "customers", BAD_CUSTOMERS, partial=True)

    assert response.status_code == 200
    assert response.json["created"] == 2
    assert response.json["skipped"] == 7
    assert sorted((e["line"], e["field"]) for e in response.json["errors"]) == sorted(
        BAD_CUSTOMERS_ERRORS
    )
    with in_app():
        rows = customers_by_no("C1", "C2", "C3", "C4", "C7", "C8", "C9")
        assert sorted(rows) == ["C1", "C2"]
        assert rows["C1"].name == "好"
        assert rows["C2"].address == "北京市\n朝阳区"


def test_malformed_csv_reports_the_line_and_never_fails_the_server(client, admin, in_app):
    data = csv_bytes(
        "external_no,name,tier",
        "C1,一,gold",
        'C2,"二"x,gold',  # 3: text after a closing quote
        "C3,三,gold,extra",  # 4: one cell too many
        "C4,四",  # 5: one cell short
        "C5,五,gold",
    )

    rejected = post_csv(client, "customers", data)
    partial = post_csv(client, "customers", data, partial=True)

    assert rejected.status_code == 422
    assert errors_of(rejected) == [(3, "_row"), (4, "_row"), (5, "_row")]
    assert "Expected 3 cells, found 4" in rejected.json["error"]["fields"]["rows"][1]["message"]
    assert partial.status_code == 200
    assert (partial.json["created"], partial.json["skipped"]) == (2, 3)
    with in_app():
        assert sorted(customers_by_no("C1", "C2", "C3", "C4", "C5")) == ["C1", "C5"]


def test_unclosed_quote_names_the_line_it_opened_on(client, admin):
    data = csv_bytes("external_no,name,tier", "C1,一,gold", 'C2,"二,gold', "C3,三,gold")

    response = post_csv(client, "customers", data)

    assert response.status_code == 422
    [error] = response.json["error"]["fields"]["rows"]
    assert (error["line"], error["field"]) == (3, "_row")
    assert "lines 3 to 4" in error["message"]


def test_unknown_columns_are_named_even_in_partial_mode(client, admin, in_app):
    data = csv_bytes("external_no,name,tier,nickname,Colour", "C1,一,gold,小一,red")

    response = post_csv(client, "customers", data, partial=True)

    assert response.status_code == 422
    assert errors_of(response) == [(1, "nickname"), (1, "colour")]
    assert "unknown columns: nickname, colour" in response.json["error"]["message"]
    with in_app():
        assert customers_by_no("C1") == {}


def test_missing_required_column(client, admin):
    response = post_csv(client, "customers", csv_bytes("external_no,name", "C1,一"))

    assert response.status_code == 422
    assert errors_of(response) == [(1, "tier")]
    assert response.json["error"]["fields"]["rows"][0]["message"] == "Required column is missing."


def test_coordinates_set_and_clear_a_customers_place(client, admin, in_app):
    data = csv_bytes(
        "external_no,name,tier,latitude,longitude",
        "G1,一,gold,31.2304,121.4737",
        "G2,二,gold,,",
    )
    assert post_csv(client, "customers", data).status_code == 200
    with in_app():
        rows = customers_by_no("G1", "G2")
        assert (rows["G1"].latitude, rows["G1"].longitude) == (31.2304, 121.4737)
        assert (rows["G2"].latitude, rows["G2"].longitude) == (None, None)

    # An empty pair clears a known place; a row without these columns keeps it.
    cleared = csv_bytes("external_no,name,tier,latitude,longitude", "G1,一,gold,,")
    assert post_csv(client, "customers", cleared).json["updated"] == 1
    with in_app():
        assert customers_by_no("G1")["G1"].latitude is None


def test_half_a_place_or_one_out_of_range_is_refused(client, admin, in_app):
    data = csv_bytes(
        "external_no,name,tier,latitude,longitude",
        "H1,一,gold,31.2,",
        "H2,二,gold,,121.4",
        "H3,三,gold,95,121.4",
        "H4,四,gold,31.2,east",
    )
    response = post_csv(client, "customers", data)
    assert response.status_code == 422
    assert sorted(errors_of(response)) == [
        (2, "longitude"),
        (3, "latitude"),
        (4, "latitude"),
        (5, "longitude"),
    ]
    alone = post_csv(
        client, "customers", csv_bytes("external_no,name,tier,latitude", "H5,五,gold,")
    )
    assert alone.status_code == 422
    assert errors_of(alone) == [(1, "longitude")]
    with in_app():
        assert customers_by_no("H1", "H2", "H3", "H4", "H5") == {}


def test_empty_file_is_rejected(client, admin):
    response = post_csv(client, "customers", b"")

    assert response.status_code == 422
    assert errors_of(response) == [(1, "_file")]


def test_contact_columns_are_for_organisations_only(client, admin):
    data = csv_bytes(
        "external_no,kind,name,tier,contact_name,contact_phone",
        "C1,individual,一,gold,张三,",
        "C2,organisation,二,gold,,13900000000",
    )

    response = post_csv(client, "customers", data)

    assert errors_of(response) == [(2, "contact_name"), (3, "contact_name")]


# --- encodings -----------------------------------------------------------------------


def test_utf8_file_with_bom(client, admin, in_app):
    data = b"\xef\xbb\xbf" + csv_bytes("external_no,name,tier", "C1,王芳,gold")

    response = post_csv(client, "customers", data)

    assert response.json["created"] == 1
    with in_app():
        assert customers_by_no("C1")["C1"].name == "王芳"


def test_gbk_file_is_read_as_gbk(client, admin, in_app):
    data = csv_bytes("external_no,name,tier,address", "C1,王芳,gold,广州市天河区", encoding="gbk")

    response = post_csv(client, "customers", data)

    assert response.status_code == 200, response.json
    with in_app():
        customer = customers_by_no("C1")["C1"]
        assert (customer.name, customer.address) == ("王芳", "广州市天河区")


def test_file_in_neither_utf8_nor_gbk_is_refused_with_its_line(client, admin):
    data = b"external_no,name,tier\nC1,ok,gold\nC2,\x80\x80,gold\n"

    response = post_csv(client, "customers", data)

    assert response.status_code == 422
    [error] = response.json["error"]["fields"]["rows"]
    assert error["line"] == 3
    assert "UTF-8" in error["message"]


def test_damaged_utf8_file_is_refused_rather_than_read_as_gbk(client, admin, in_app):
    good = "\n".join(f"C{n},王芳{n},gold" for n in range(10)).encode()
    data = b"external_no,name,tier\n" + good + b"\nC99,\xe7\x8e,gold\n"

    response = post_csv(client, "customers", data)

    assert response.status_code == 422
    assert errors_of(response) == [(12, "_file")]
    with in_app():
        assert customers_by_no("C0") == {}


def test_utf16_file_gets_advice(client, admin):
    data = "external_no,name,tier\nC1,王芳,gold\n".encode("utf-16")

    response = post_csv(client, "customers", data)

    assert response.status_code == 422
    assert "CSV UTF-8" in response.json["error"]["message"]


# --- spend -----------------------------------------------------------------------------


@pytest.fixture
def spend_customers(make_customer):
    return {no: make_customer(external_no=no) for no in ("C100", "C101")}


def spend_rows(in_app):
    with in_app():
        rows = db.session.execute(
            sa.select(
                Customer.external_no,
                MonthlySpend.month,
                MonthlySpend.service,
                MonthlySpend.amount,
                MonthlySpend.version,
            ).join(Customer, Customer.id == MonthlySpend.customer_id)
        )
        return {
            (no, month, service): (amount, version) for no, month, service, amount, version in rows
        }


def test_spend_import_and_reimport(client, admin, spend_customers, in_app):
    first = post_csv(client, "spend", SPEND_CSV, filename="spend.csv")
    stored = spend_rows(in_app)
    again = post_csv(client, "spend", SPEND_CSV, filename="spend.csv")

    assert first.json == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "errors": []}
    assert stored == {
        ("C100", date(2024, 1, 1), "mobile"): (Decimal("128.00"), 1),
        ("C100", date(2024, 1, 1), "broadband"): (Decimal("99.50"), 1),
        ("C101", date(2024, 1, 1), "mobile"): (Decimal("58.00"), 1),
    }
    assert again.json == {"created": 0, "updated": 0, "unchanged": 3, "skipped": 0, "errors": []}
    assert spend_rows(in_app) == stored


def test_spend_changed_amount_updates_that_row_only(client, admin, spend_customers, in_app):
    post_csv(client, "spend", SPEND_CSV)
    changed = SPEND_CSV.replace(b"99.5", b"79.90") + b"C101,2024-02,mobile,60\n"

    response = post_csv(client, "spend", changed, raw=True)

    assert response.json == {"created": 1, "updated": 1, "unchanged": 2, "skipped": 0, "errors": []}
    rows = spend_rows(in_app)
    assert rows[("C100", date(2024, 1, 1), "broadband")] == (Decimal("79.90"), 2)
    assert rows[("C100", date(2024, 1, 1), "mobile")] == (Decimal("128.00"), 1)
    assert rows[("C101", date(2024, 2, 1), "mobile")] == (Decimal("60.00"), 1)


def test_spend_bad_rows(client, admin, spend_customers, in_app):
    data = csv_bytes(
        "amount,external_no,service,month",  # 1: any column order
        "10,C100,mobile,2024-01",  # 2
        "10,C999,mobile,2024-01",  # 3: unknown customer
        "10,C100,mobile,2024-13",  # 4: bad month
        "10,C100,Mobile,2024-02",  # 5: bad service code
        "-1,C100,data,2024-02",  # 6: negative
        "12.345,C100,iptv,2024-02",  # 7: three decimals
        "11,C100,mobile,2024-01",  # 8: same key as line 2
        "abc,C101,mobile,2024-01",  # 9: not a number
        ",C101,data,2024-01",  # 10: missing amount
    )

    rejected = post_csv(client, "spend", data)
    partial = post_csv(client, "spend", data, partial=True)

    expected = [
        (3, "external_no"),
        (4, "month"),
        (5, "service"),
        (6, "amount"),
        (7, "amount"),
        (8, "external_no"),
        (9, "amount"),
        (10, "amount"),
    ]
    assert rejected.status_code == 422
    assert errors_of(rejected) == expected
    assert partial.json["created"] == 1
    assert partial.json["skipped"] == 8
    assert spend_rows(in_app) == {("C100", date(2024, 1, 1), "mobile"): (Decimal("10.00"), 1)}


# --- HTTP details --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), (Role.MANAGER, 403), (Role.LEAD, 403), (Role.ADMIN, 200)]
)
@pytest.mark.parametrize("what", ["customers", "spend"])
def test_only_admins_may_import(client, auth, make_user, make_team, role, status, what):
    if role is not None:
        user = make_user(role, team=make_team() if role == Role.LEAD else None)
        auth.login(user.username)
    data = (
        csv_bytes("external_no,name,tier")
        if what == "customers"
        else csv_bytes("external_no,month,service,amount")
    )

    response = post_csv(client, what, data)

    assert response.status_code == status
    if status != 200:
        assert response.json["error"]["code"] == {401: "unauthorized", 403: "forbidden"}[status]


@pytest.mark.parametrize("raw", [False, True])
def test_too_large_upload_is_413(app, client, admin, monkeypatch, raw):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 500)
    data = csv_bytes("external_no,name,tier", *(f"C{n},名字,gold" for n in range(100)))

    response = post_csv(client, "customers", data, raw=raw)

    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert "500 bytes" in response.json["error"]["message"]


def test_raw_text_csv_body_is_accepted(client, admin, in_app):
    response = post_csv(
        client, "customers", csv_bytes("external_no,name,tier", "C1,一,gold"), raw=True
    )

    assert response.json["created"] == 1


def test_row_limit(app, client, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    data = csv_bytes("external_no,name,tier", "C1,一,gold", "C2,二,gold", "C3,三,gold")

    response = post_csv(client, "customers", data, partial=True)

    assert response.status_code == 422
    assert errors_of(response) == [(4, "_file")]
    assert "at most 2" in response.json["error"]["message"]


def test_other_content_types_are_415(client, admin):
    response = client.post("/api/v1/imports/customers", json={"rows": []})

    assert response.status_code == 415


def test_multipart_without_file_field_is_422(client, admin):
    response = client.post(
        "/api/v1/imports/customers", data={"other": "x"}, content_type="multipart/form-data"
    )

    assert response.status_code == 422
    assert "file" in response.json["error"]["fields"]


# --- efficiency ------------------------------------------------------------------------


def test_a_large_file_does_not_query_per_row(app, in_app, managers):
    lines = ["external_no,name,tier,manager"] + [
        f"N{n:05d},客户{n},gold,mgr_wang" for n in range(3000)
    ]
    data = csv_bytes(*lines)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with in_app():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            first = services.import_customers(data, filename="big.csv")
            first_count = len(statements)
            statements.clear()
            again = services.import_customers(data, filename="big.csv")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    assert (first.created, again.unchanged) == (3000, 3000)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # To check the file: tiers, managers, and the customers in chunks of 500. Again
    # for each chunk of 2,000 rows written, which the commit of the chunk before has
    # expired: tiers, managers, customers.
    assert len(selects) == (1 + 1 + 6) + (1 + 1 + 4) + (1 + 1 + 2)
    # The only write of an unchanged file: its audit event (tests/test_audit.py).
    writes = [s for s in statements if s not in selects]
    assert [s.split("(")[0].strip() for s in writes] == ["INSERT INTO audit_events"]
    # Plus batched INSERTs; a statement per row would make it 3000+.
    assert first_count < 30


# --- CLI -------------------------------------------------------------------------------


def test_cli_imports_and_prints_counts(runner, managers, tmp_path, in_app):
    path = tmp_path / "customers.csv"
    path.write_bytes(CUSTOMERS_CSV)

    result = runner.invoke(args=["import", "customers", str(path)])

    assert result.exit_code == 0, result.output
    assert "created: 3, updated: 0, unchanged: 0, skipped: 0" in result.output
    with in_app():
        assert sorted(customers_by_no("C100", "C101", "C102")) == ["C100", "C101", "C102"]
        history = db.session.scalars(sa.select(AssignmentHistory)).all()
        assert {(h.reason, h.source, h.assigned_by_id) for h in history} == {
            ("import customers.csv", "import", None)
        }


def test_cli_errors_exit_1_and_import_nothing(runner, managers, tmp_path, in_app):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_CUSTOMERS)

    result = runner.invoke(args=["import", "customers", str(path)])

    assert result.exit_code == 1
    assert "line 6: tier: Unknown tier 'silver'" in result.output
    assert "line 8: external_no: Duplicate of line 2." in result.output
    assert "Nothing imported" in result.output
    with in_app():
        assert customers_by_no("C1", "C2") == {}


def test_cli_partial_imports_good_rows(runner, managers, tmp_path, in_app):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_CUSTOMERS)

    result = runner.invoke(args=["import", "customers", str(path), "--partial"])

    assert result.exit_code == 0, result.output
    assert "created: 2, updated: 0, unchanged: 0, skipped: 7" in result.output
    assert "line 10: manager: No active manager has the username 'ghost'." in result.output
    with in_app():
        assert sorted(customers_by_no("C1", "C2")) == ["C1", "C2"]


def test_cli_spend(runner, spend_customers, tmp_path, in_app):
    path = tmp_path / "spend.csv"
    path.write_bytes(SPEND_CSV)

    first = runner.invoke(args=["import", "spend", str(path)])
    again = runner.invoke(args=["import", "spend", str(path)])

    assert "created: 3, updated: 0, unchanged: 0, skipped: 0" in first.output
    assert "created: 0, updated: 0, unchanged: 3, skipped: 0" in again.output
    assert len(spend_rows(in_app)) == 3


# --- chunks: a large file never holds one long transaction -----------------------------
# One long write transaction would hold back every phone's pull (docs/sync.md).

FIVE_CUSTOMERS = csv_bytes(
    "external_no,name,tier,manager", *(f"K{n},客户{n},gold,mgr_wang" for n in range(1, 6))
)
FIVE_NUMBERS = tuple(f"K{n}" for n in range(1, 6))


@pytest.fixture
def chunks_of_two(monkeypatch):
    monkeypatch.setattr(services, "WRITE_CHUNK", 2)


@pytest.fixture
def five_customers_file(tmp_path):
    path = tmp_path / "five.csv"
    path.write_bytes(FIVE_CUSTOMERS)
    return path


def test_cli_import_commits_a_chunk_of_rows_at_a_time(
    runner, managers, five_customers_file, chunks_of_two
):
    with commits(counter(Customer)) as seen:
        result = runner.invoke(args=["import", "customers", str(five_customers_file)])

    assert result.exit_code == 0, result.output
    assert "created: 5, updated: 0, unchanged: 0, skipped: 0" in result.output
    # Two rows a commit, then the command's own (the audit event).
    assert seen == [2, 4, 5, 5]


def test_api_import_commits_a_chunk_of_rows_at_a_time(client, admin, managers, chunks_of_two):
    with commits(counter(Customer)) as seen:
        response = post_csv(client, "customers", FIVE_CUSTOMERS)

    assert response.status_code == 200, response.json
    assert response.json["created"] == 5
    assert seen == [2, 4, 5, 5]


def test_cli_spend_import_commits_a_chunk_of_rows_at_a_time(
    runner, spend_customers, tmp_path, chunks_of_two
):
    path = tmp_path / "spend.csv"
    path.write_bytes(SPEND_CSV)

    with commits(counter(MonthlySpend)) as seen:
        result = runner.invoke(args=["import", "spend", str(path)])

    assert "created: 3, updated: 0, unchanged: 0, skipped: 0" in result.output
    assert seen == [2, 3, 3]


def test_a_bad_last_row_still_refuses_the_whole_file_before_any_chunk(
    runner, managers, tmp_path, chunks_of_two, in_app
):
    path = tmp_path / "bad_end.csv"
    path.write_bytes(FIVE_CUSTOMERS + b"K6,,gold,mgr_wang\n")

    with commits(counter(Customer)) as seen:
        result = runner.invoke(args=["import", "customers", str(path)])

    assert result.exit_code == 1
    assert "line 7: name:" in result.output
    assert "Nothing imported" in result.output
    assert seen == []
    with in_app():
        assert customers_by_no(*FIVE_NUMBERS, "K6") == {}


def test_importing_the_file_again_finishes_an_import_that_crashed_midway(
    runner, managers, five_customers_file, chunks_of_two, monkeypatch, in_app
):
    write = services._write_customers
    monkeypatch.setattr(services, "_write_customers", crashing_on_call(write, 2))
    crashed = runner.invoke(args=["import", "customers", str(five_customers_file)])
    assert crashed.exit_code == 1
    with in_app():
        assert sorted(customers_by_no(*FIVE_NUMBERS)) == ["K1", "K2"]

    monkeypatch.setattr(services, "_write_customers", write)
    again = runner.invoke(args=["import", "customers", str(five_customers_file)])

    assert "created: 3, updated: 0, unchanged: 2, skipped: 0" in again.output
    with in_app():
        assert sorted(customers_by_no(*FIVE_NUMBERS)) == list(FIVE_NUMBERS)
        audited = db.session.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "imports.customers")
        ).all()
    assert history_count(in_app) == 5  # each assignment recorded once
    # The audit event is the finishing run's: the crashed one wrote none.
    assert [(d["created"], d["unchanged"]) for d in audited] == [(3, 2)]
