"""Property tests (Hypothesis) of the CSV importer (server/imports, docs/imports.md).

Any generated file: every line is either imported exactly as written (the values read
back from the database equal the cells, by the documented rules) or refused with an
error naming its physical line; an all-or-nothing refusal writes nothing; nothing ever
fails otherwise (the API would answer 500); importing the same file again changes
nothing. Each example runs in an app context of its own whose changes are rolled back
when it ends, so examples do not see each other's customers.
"""

import csv
import io
import string
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import selectinload

from server.auth.models import Role
from server.customers.models import Customer, CustomerKind, Gender, MonthlySpend, Stage
from server.extensions import db
from server.imports import services
from server.imports.services import ImportRejected

PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MANAGER = "prop_import_mgr"
FULL_WIDTH_SEMICOLON = "\uff1b"  # Chinese exports separate products with it
TIERS = ("diamond", "emerald", "platinum", "sapphire", "gold", "crystal")

# Text as exports carry it: Chinese, punctuation that needs quoting, line breaks inside
# cells, surrounding spaces, the odd emoji. (U+0000 has a test of its own below.)
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list(" ,;\"'\n\t-.()") + list("张王李客户经理杭州市") + [FULL_WIDTH_SEMICOLON]
        ),
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    ),
    max_size=12,
)
LONG_TEXT = st.one_of(TEXT, st.text(alphabet="长a", min_size=95, max_size=310))


def _cased(values):
    return st.sampled_from(values).flatmap(
        lambda v: st.sampled_from([v, v.upper(), v.title(), f" {v} "])
    )


def mostly(valid, junk):
    """Valid cells 11 times in 12: enough files pass to check what they import."""
    return st.integers(0, 11).flatmap(lambda n: junk if n == 0 else valid)


DAY = mostly(st.dates(min_value=date(1900, 1, 1)).map(date.isoformat) | st.just(""), TEXT)
BOOL = mostly(_cased(["true", "false", "1", "0", "yes", "no"]) | st.just(""), TEXT)
SHORT = st.text(
    alphabet=st.sampled_from([*" ,;\"'\n-.()张王李客户经理杭州市ab1", FULL_WIDTH_SEMICOLON]),
    max_size=12,
)
CELLS = {
    "external_no": mostly(
        st.sampled_from(["C1", "C2", "C3", " C1 "])
        | st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=32),
        st.sampled_from(["", "X" * 33]),
    ),
    "name": mostly(SHORT.filter(str.strip), LONG_TEXT),
    "tier": mostly(_cased(list(TIERS)), st.sampled_from(["silver", ""])),
    "kind": mostly(_cased(["individual", "organisation"]) | st.just(""), st.just("company")),
    "phone": mostly(SHORT, LONG_TEXT),
    "phone2": TEXT,
    "email": mostly(st.emails() | st.just(""), TEXT),
    "gender": mostly(_cased(["female", "male", "unknown"]) | st.just(""), st.just("f")),
    "birthday": DAY,
    "birthday_lunar": BOOL,
    "address": mostly(TEXT, LONG_TEXT),
    "employer": mostly(TEXT, LONG_TEXT),
    "position": mostly(TEXT, LONG_TEXT),
    "industry": TEXT,
    "interests": mostly(TEXT, LONG_TEXT),
    "income_band": mostly(SHORT, LONG_TEXT),
    "consumption_habits": TEXT,
    "plan_name": TEXT,
    "products": mostly(
        st.lists(TEXT, max_size=3).map(";".join)
        | st.lists(TEXT, max_size=3).map(FULL_WIDTH_SEMICOLON.join),
        st.text(alphabet="长", min_size=101, max_size=120),
    ),
    "ported_in": BOOL,
    "activation_date": DAY,
    "contract_end_date": DAY,
    "stage": mostly(_cased([s.value for s in Stage]) | st.just(""), st.just("lost")),
    "manager": mostly(st.sampled_from([MANAGER, ""]), st.just("nobody")),
    "contact_name": TEXT,
    "contact_title": TEXT,
    "contact_phone": TEXT,
}
REQUIRED = ("external_no", "name", "tier")
OPTIONAL = tuple(name for name in CELLS if name not in REQUIRED)


@st.composite
def customer_files(draw):
    """(file bytes, header, [(first physical line, {column: cell})])"""
    columns = list(REQUIRED) + draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=8))
    columns = draw(st.permutations(columns))
    rows = draw(
        st.lists(st.fixed_dictionaries({c: CELLS[c] for c in columns}), min_size=1, max_size=5)
    )
    return _write(columns, rows)


def _write(columns, rows):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    lines = []
    for row in rows:
        # The physical line a record starts on: line breaks as the reader counts them.
        lines.append(len(list(io.StringIO(out.getvalue(), newline=""))) + 1)
        writer.writerow([row[c] for c in columns])
    return out.getvalue().encode("utf-8"), columns, list(zip(lines, rows, strict=True))


def _blank(row) -> bool:
    return not any(cell.strip() for cell in row.values())


def _day(cell: str):
    return datetime.strptime(cell.strip(), "%Y-%m-%d").date() if cell.strip() else None


def _flag(cell: str) -> bool:
    return cell.strip().lower() in {"true", "1", "yes"}


def _assert_imported_exactly(customer: Customer, row: dict, manager_id) -> None:
    """The stored customer is what the row says (docs/imports.md), cell by cell."""
    text_fields = {
        "phone", "phone2", "email", "address", "employer", "position", "industry",
        "interests", "income_band", "consumption_habits", "plan_name",
    }  # fmt: skip
    assert customer.external_no == row["external_no"].strip()
    assert customer.name == row["name"].strip()
    assert customer.tier.code == row["tier"].strip().lower()
    for name, cell in row.items():
        value = cell.strip()
        if name in text_fields:
            assert getattr(customer, name) == (value or None), name
        elif name in ("birthday", "activation_date", "contract_end_date"):
            assert getattr(customer, name) == _day(cell), name
        elif name in ("birthday_lunar", "ported_in"):
            assert getattr(customer, name) is _flag(cell), name
        elif name == "gender":
            assert customer.gender == (Gender(value.lower()) if value else None)
        elif name == "products":
            names = [p.strip() for p in value.replace(FULL_WIDTH_SEMICOLON, ";").split(";")]
            assert customer.products == [p for p in names if p]
    kind = row.get("kind", "").strip().lower()
    assert customer.kind == (CustomerKind(kind) if kind else CustomerKind.INDIVIDUAL)
    stage = row.get("stage", "").strip().lower()
    assert customer.stage == (Stage(stage) if stage else Stage.MATURITY)
    assert customer.manager_id == (manager_id if row.get("manager", "").strip() else None)
    if row.get("contact_name", "").strip():
        [contact] = customer.contacts
        assert contact.name == row["contact_name"].strip()
        assert contact.is_decision_maker
        if "contact_title" in row:
            assert contact.title == (row["contact_title"].strip() or None)
    else:
        assert customer.contacts == []


def _customers() -> dict[str, Customer]:
    stmt = sa.select(Customer).options(selectinload(Customer.contacts))
    return {c.external_no: c for c in db.session.scalars(stmt)}


@pytest.fixture
def manager_id(make_user, make_team):
    return make_user(Role.MANAGER, username=MANAGER, team=make_team()).id


def _check_errors(errors, lines, header_columns):
    """Every error names a line of the file and a column (or _row / _file)."""
    for error in errors:
        assert isinstance(error["line"], int)
        assert error["line"] == 1 or error["line"] in lines, error
        if error["field"] in ("_row", "_file", "_schema"):
            continue
        # A column of the file, or one a given column needs (contact_title: contact_name).
        known = {*services.CUSTOMER_COLUMNS, *services.SPEND_COLUMNS}
        assert error["field"] in header_columns or error["field"] in known, error
        assert error["message"]


@PROPERTY
@given(customer_files(), st.booleans())
def test_each_customer_line_is_imported_exactly_or_refused_by_line(app, manager_id, file, partial):
    data, columns, rows = file
    starts = {line for line, _ in rows}
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Customer.id)))
        try:
            result = services.import_customers(data, filename="prop.csv", partial=partial)
        except ImportRejected as refused:
            event("refused whole")
            _check_errors(refused.errors, starts, columns)
            assert refused.errors
            # Nothing written, nothing pending.
            assert not db.session.new and not db.session.dirty
            assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == before
            assert not partial or refused.errors[0]["field"] == "_file"
            return
        _check_errors(result.errors, starts, columns)
        bad = {error["line"] for error in result.errors}
        event(f"imported, {'some' if bad else 'no'} lines refused")
        assert partial or not bad
        stored = _customers()
        imported = [(line, row) for line, row in rows if line not in bad and not _blank(row)]
        assert result.created == len(imported) == len(stored) - before
        assert result.skipped == len(bad)
        for _line, row in imported:
            _assert_imported_exactly(stored[row["external_no"].strip()], row, manager_id)

        # The same file again: nothing changes, no version moves.
        versions = {no: c.version for no, c in stored.items()}
        again = services.import_customers(data, filename="prop.csv", partial=partial)
        assert (again.created, again.updated) == (0, 0)
        assert again.unchanged == len(imported)
        db.session.expire_all()
        assert {no: c.version for no, c in _customers().items()} == versions


@PROPERTY
@given(st.binary(max_size=200), st.booleans())
def test_any_bytes_are_imported_or_refused_never_a_crash(app, manager_id, data, partial):
    header = b"external_no,name,tier\n"
    for content in (data, header + data):
        with app.app_context():
            try:
                result = services.import_customers(content, filename="x.csv", partial=partial)
            except ImportRejected as refused:
                assert refused.errors
                for error in refused.errors:
                    assert error["line"] >= 1
            else:
                assert result.created + result.skipped >= 0


def test_a_nul_character_refuses_the_file_naming_its_line(app):
    data = "external_no,name,tier\nC1,张三,gold\nC2,李\x00四,gold\n".encode()
    with app.app_context(), pytest.raises(ImportRejected) as refused:
        services.import_customers(data, filename="nul.csv")
    assert [(e["line"], e["field"]) for e in refused.value.errors] == [(3, "_file")]


# --- spend ---------------------------------------------------------------------------

AMOUNT = mostly(
    st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2).map(str)
    | st.sampled_from(["12.5", "1e3", " 7 "]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str)
    | st.sampled_from(["-1", "1,000.00", "12.345", ""])
    | TEXT,
)
SPEND_CELLS = {
    "external_no": st.sampled_from(["S1", "S2", "S3", "S9"]),
    "month": mostly(
        st.dates(min_value=date(1900, 1, 1)).map(lambda d: d.strftime("%Y-%m")),
        st.sampled_from(["2026-13", "26-01", ""]),
    ),
    "service": mostly(st.sampled_from(["mobile", "broadband", "iptv"]), TEXT | st.just("Mobile")),
    "amount": AMOUNT,
}


@pytest.fixture
def spend_customers(make_customer):
    for number in ("S1", "S2", "S3"):
        make_customer(external_no=number)


@PROPERTY
@given(
    st.permutations(list(SPEND_CELLS)).flatmap(
        lambda columns: st.lists(
            st.fixed_dictionaries({c: SPEND_CELLS[c] for c in columns}), min_size=1, max_size=6
        ).map(lambda rows: _write(columns, rows))
    ),
    st.booleans(),
)
def test_each_spend_line_is_imported_exactly_or_refused_by_line(
    app, spend_customers, file, partial
):
    data, columns, rows = file
    starts = {line for line, _ in rows}
    with app.app_context():
        try:
            result = services.import_spend(data, filename="prop.csv", partial=partial)
        except ImportRejected as refused:
            event("refused whole")
            _check_errors(refused.errors, starts, columns)
            assert not db.session.new and not db.session.dirty
            assert db.session.scalar(sa.select(sa.func.count(MonthlySpend.customer_id))) == 0
            return
        _check_errors(result.errors, starts, columns)
        bad = {error["line"] for error in result.errors}
        event(f"imported, {'some' if bad else 'no'} lines refused")
        numbers = dict(db.session.execute(sa.select(Customer.id, Customer.external_no)).all())
        stored = {
            (numbers[s.customer_id], s.month, s.service): s.amount
            for s in db.session.scalars(sa.select(MonthlySpend))
        }
        expected = {}
        for line, row in rows:
            if line in bad or _blank(row):
                continue
            month = datetime.strptime(row["month"].strip(), "%Y-%m").date()
            expected[(row["external_no"].strip(), month, row["service"].strip())] = Decimal(
                row["amount"].strip()
            )
        assert stored == expected
        assert result.created == len(expected)
        again = services.import_spend(data, filename="prop.csv", partial=partial)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(expected))
