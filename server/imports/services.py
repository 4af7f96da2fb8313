"""CSV imports from the operator's billing/CRM exports: customers and monthly spend.

Each import runs in two passes. The first decodes, parses and validates every row
(against the schema, within the file, and against the database) and writes
nothing; the second applies the rows that passed. So an all-or-nothing import with
a single error writes nothing, and partial mode simply leaves the bad rows out.
The API and the command write WRITE_CHUNK rows a transaction, so that a large file
never holds back the phones' sync for long: an import stopped midway keeps the
chunks it committed, and importing the file again finishes it (docs/imports.md).

Rows are matched on the operator's customer number (`external_no`). A row whose
values equal what is stored is not touched at all, so re-importing a file moves
no `version` and writes no assignment history.
"""

import csv
import io
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, ValidationError
from sqlalchemy.orm import selectinload

from server.audit.services import record
from server.auth.models import Role, User
from server.customers.models import (
    AssignmentHistory,
    Contact,
    Customer,
    CustomerKind,
    MonthlySpend,
    Stage,
    Tier,
)
from server.customers.services import assign
from server.errors import ApiError
from server.extensions import db
from server.imports.schemas import CustomerRowSchema, SpendRowSchema
from server.models_base import utcnow
from server.transaction import Checkpoints, in_chunks

# Keeps every IN (...) list well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
# Rows written a transaction when the caller commits in chunks: a few seconds of
# writing at most, so an import never holds back the phones' pulls for long.
WRITE_CHUNK = 2000
T = TypeVar("T")

CUSTOMER_COLUMNS = tuple(CustomerRowSchema().fields)
CUSTOMER_REQUIRED = ("external_no", "name", "tier")
# Columns that come together or not at all.
PAIRED_COLUMNS = (("latitude", "longitude"),)
SPEND_COLUMNS = tuple(SpendRowSchema().fields)
SPEND_REQUIRED = SPEND_COLUMNS

# Customer fields a present column sets as-is; an empty cell clears them.
PROFILE_FIELDS = (
    "name",
    "phone",
    "phone2",
    "email",
    "gender",
    "birthday",
    "address",
    "employer",
    "position",
    "industry",
    "interests",
    "income_band",
    "consumption_habits",
    "plan_name",
    "activation_date",
    "contract_end_date",
    "latitude",
    "longitude",
)
# Fields that cannot be NULL: what an empty cell sets them to.
FLAGS_AND_LISTS = ("birthday_lunar", "ported_in", "products")
# Fields where an empty cell keeps what is stored.
KEEP_IF_EMPTY = ("kind", "stage")


def _new_customer_defaults() -> dict[str, Any]:
    return {
        "kind": CustomerKind.INDIVIDUAL,
        "stage": Stage.MATURITY,
        "birthday_lunar": False,
        "ported_in": False,
        "products": [],
        "special_dates": [],
    }


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)


class ImportRejected(ApiError):
    """Nothing was imported; `errors` says why, line by line."""

    def __init__(self, message: str, errors: list[dict]):
        super().__init__(422, message, code="import_rejected", fields={"rows": errors})
        self.errors = errors


@dataclass
class _Row:
    line: int
    raw: dict[str, str]
    data: dict[str, Any] | None = None
    errors: list[dict] = field(default_factory=list)

    @property
    def values(self) -> dict[str, Any]:
        """The loaded values of a row that passed its schema."""
        assert self.data is not None
        return self.data

    def fail(self, column: str, message: str) -> None:
        self.errors.append({"line": self.line, "field": column, "message": message})


def _error(line: int, column: str, message: str) -> dict:
    return {"line": line, "field": column, "message": message}


# --- reading the file -------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """The file as text: UTF-8 (BOM or not), else GBK/GB18030 as Chinese systems export.

    A file that is UTF-8 apart from a few damaged bytes is refused rather than
    read as GB18030, which would turn every Chinese name into mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_rejected(
            1, "The file is UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' instead."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        if not _mostly_utf8(data):
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                pass
            else:
                return _check_text(text)
        raise _file_rejected(
            line,
            f"Byte 0x{data[err.start]:02x} on this line is neither UTF-8 nor GBK/GB18030 text;"
            " save the file as 'CSV UTF-8'.",
        ) from None
    return _check_text(text)


def _mostly_utf8(data: bytes) -> bool:
    """True when most non-ASCII text in `data` is valid UTF-8 (a damaged UTF-8 file)."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = sum(1 for char in text if ord(char) > 127) - invalid
    return valid > invalid


def _check_text(text: str) -> str:
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _file_rejected(
            line, "The file contains NUL characters: it is not a CSV text file (UTF-16?)."
        )
    return text


def _file_rejected(line: int, message: str) -> ImportRejected:
    return ImportRejected(message, [_error(line, "_file", message)])


def _read_rows(
    text: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> tuple[list[str], list[_Row], list[dict]]:
    """Rows of a CSV with a header, each with its physical line number.

    Header problems reject the file. A record that is not valid CSV, or has the
    wrong number of cells, becomes a row error and reading goes on.
    """
    records = _records(text)
    try:
        first = next(records)
    except StopIteration:
        raise _file_rejected(1, "The file is empty; a header row is required.") from None
    header_line, header, malformed = first
    if malformed:
        raise _file_rejected(header_line, f"The header row is not valid CSV. {malformed}")
    header = [name.strip().lower() for name in header]
    _check_header(header_line, header, columns, required)

    max_rows = current_app.config.get("IMPORT_MAX_ROWS", 200_000)
    rows: list[_Row] = []
    structural: list[dict] = []
    for line, cells, malformed in records:
        if len(rows) + len(structural) >= max_rows:
            raise _file_rejected(line, f"Too many rows: at most {max_rows} per file.")
        if malformed:
            structural.append(_error(line, "_row", malformed))
        elif len(cells) != len(header):
            structural.append(
                _error(line, "_row", f"Expected {len(header)} cells, found {len(cells)}.")
            )
        else:
            rows.append(_Row(line, dict(zip(header, cells, strict=True))))
    return header, rows, structural


def _records(text: str) -> Iterator[tuple[int, list[str], str | None]]:
    """(first physical line, cells, problem) for each non-blank CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            end = reader.line_num
            yield start, [], _explain_csv_error(str(err), start, end)
            continue
        end = reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells, None


def _explain_csv_error(message: str, start: int, end: int) -> str:
    if "unexpected end of data" in message:
        return (
            "Malformed CSV: a quoted cell opened on this line is never closed;"
            f" lines {start} to {end} could not be read."
        )
    if "expected after" in message:
        return (
            "Malformed CSV: text after a closing quote. Quote the whole cell and"
            ' double any quote inside it ("").'
        )
    return f"Malformed CSV: {message}."


def _check_header(
    line: int, header: list[str], columns: tuple[str, ...], required: tuple[str, ...]
) -> None:
    unknown = [name for name in header if name not in columns]
    repeated = sorted({name for name in header if name in columns and header.count(name) > 1})
    missing = [name for name in required if name not in header]
    # A column of a pair alone would let an empty cell clear half of a known position.
    unpaired = [
        other
        for pair in PAIRED_COLUMNS
        for name, other in (pair, pair[::-1])
        if name in header and other in columns and other not in header
    ]
    problems = [
        ("unknown columns", unknown, "Unknown column."),
        ("repeated columns", repeated, "Column appears more than once."),
        ("missing columns", missing, "Required column is missing."),
        ("columns missing their pair", unpaired, "Required with its pair (latitude, longitude)."),
    ]
    errors = [
        _error(line, name or "_header", message)
        for _label, names, message in problems
        for name in names
    ]
    if errors:
        summary = "; ".join(
            f"{label}: {', '.join(name or '(empty)' for name in names)}"
            for label, names, _message in problems
            if names
        )
        raise ImportRejected(
            f"The header row is wrong ({summary}). Known columns: {', '.join(columns)}.", errors
        )


def _validate(rows: list[_Row], schema: Schema) -> None:
    for row in rows:
        try:
            row.data = schema.load(row.raw)
        except ValidationError as err:
            for column, messages in _flat_messages(err.messages):
                row.fail(column, messages)


def _flat_messages(messages: Any) -> Iterator[tuple[str, str]]:
    if isinstance(messages, dict):
        for column, inner in messages.items():
            for message in inner if isinstance(inner, list) else [inner]:
                yield str(column), str(message)
    else:
        for message in messages:
            yield "_row", str(message)


def _mark_duplicates(rows: list[_Row]) -> None:
    """A customer number seen on an earlier line makes the later line an error."""
    first_line: dict[str, int] = {}
    for row in rows:
        number = row.raw.get("external_no", "").strip()
        if not number:
            continue
        if number in first_line:
            row.fail("external_no", f"Duplicate of line {first_line[number]}.")
        else:
            first_line[number] = row.line


def _chunks(values: Iterable[T]) -> Iterator[list[T]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _finish(
    rows: list[_Row], structural: list[dict], *, partial: bool
) -> tuple[list[_Row], ImportResult]:
    """The rows to apply, and a result holding every error; raises if nothing may be applied."""
    errors = structural + [error for row in rows for error in row.errors]
    errors.sort(key=lambda error: error["line"])
    bad_lines = {error["line"] for error in errors}
    if errors and not partial:
        raise ImportRejected(
            f"{len(bad_lines)} row(s) have errors; nothing was imported.",
            errors,
        )
    good = [row for row in rows if not row.errors]
    return good, ImportResult(skipped=len(bad_lines), errors=errors)


# --- customers -----------------------------------------------------------------------


def import_customers(
    content: bytes,
    *,
    filename: str,
    partial: bool = False,
    actor: User | None = None,
    progress: Checkpoints | None = None,
) -> ImportResult:
    """Create or update customers from a customers CSV (see docs/imports.md).

    All-or-nothing unless `partial`: any error raises ImportRejected and nothing
    is written. Manager changes go through `assign`, so they are in the history.
    Given `progress`, the rows are written WRITE_CHUNK a transaction (a checkpoint
    each); without it, all in the caller's transaction.
    """
    header, rows, structural = _read_rows(decode_csv(content), CUSTOMER_COLUMNS, CUSTOMER_REQUIRED)
    columns = set(header)
    _validate(rows, CustomerRowSchema())
    _mark_duplicates(rows)

    loaded = [row for row in rows if row.data is not None]
    tiers = _load_tiers()
    managers = _load_managers({row.values["manager"] for row in loaded if "manager" in row.values})
    existing = _load_customers(
        {row.values["external_no"] for row in loaded}, with_contacts="contact_name" in columns
    )
    for row in loaded:
        _check_customer_row(row, tiers, managers, existing)

    good, result = _finish(rows, structural, partial=partial)
    reason = f"import {filename}"[:200]
    reassigned = 0  # existing customers given another manager
    for chunk in in_chunks(good, WRITE_CHUNK, progress, "rows"):
        reassigned += _write_customers(chunk, columns, result, reason=reason, actor=actor)
    _record("imports.customers", filename, partial, result, actor=actor, reassigned=reassigned)
    return result


def _write_customers(
    rows: list[_Row], columns: set[str], result: ImportResult, *, reason: str, actor: User | None
) -> int:
    """Create or update the customers of `rows`; how many existing ones changed manager."""
    # Read again for each chunk: the commit of the one before expired whatever the
    # check had loaded (touching it would cost a statement a row), and another
    # transaction may have changed it since.
    tiers = _load_tiers()
    managers = _load_managers({row.values["manager"] for row in rows if "manager" in row.values})
    existing = _load_customers(
        {row.values["external_no"] for row in rows}, with_contacts="contact_name" in columns
    )
    held_history: list[AssignmentHistory] = []
    reassigned = 0
    for row in rows:
        data = row.values
        customer = existing.get(data["external_no"])
        tier = tiers[data["tier"]]
        manager = managers.get(data.get("manager", ""))
        if customer is None:
            customer = _new_customer(data, columns, tier)
            if manager is not None:
                entry = assign(customer, manager, reason=reason, actor=actor, source="import")
                # AssignmentHistory has no relationship() to Customer, so one flush
                # could insert the history before its customer: hold it back.
                assert entry is not None
                db.session.expunge(entry)
                held_history.append(entry)
            result.created += 1
            continue
        changed = _update_customer(customer, data, columns, tier)
        if manager is not None and assign(
            customer, manager, reason=reason, actor=actor, source="import"
        ):
            changed = True
            reassigned += 1
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1

    db.session.flush()
    if held_history:
        db.session.add_all(held_history)
        db.session.flush()
    return reassigned


def _load_tiers() -> dict[str, Tier]:
    return {tier.code.lower(): tier for tier in db.session.scalars(sa.select(Tier))}


def _load_managers(usernames: set[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(usernames):
        stmt = sa.select(User).where(
            User.username.in_(chunk), User.role == Role.MANAGER, User.active.is_(True)
        )
        found.update((user.username, user) for user in db.session.scalars(stmt))
    return found


def _load_customers(numbers: set[str], *, with_contacts: bool) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for chunk in _chunks(numbers):
        stmt = sa.select(Customer).where(Customer.external_no.in_(chunk))
        if with_contacts:
            stmt = stmt.options(selectinload(Customer.contacts))
        found.update((c.external_no, c) for c in db.session.scalars(stmt))
    return found


def _check_customer_row(
    row: _Row, tiers: dict[str, Tier], managers: dict[str, User], existing: dict[str, Customer]
) -> None:
    data = row.values
    if data["tier"] not in tiers:
        row.fail("tier", f"Unknown tier {data['tier']!r}; known: {', '.join(sorted(tiers))}.")
    if "manager" in data and data["manager"] not in managers:
        row.fail("manager", f"No active manager has the username {data['manager']!r}.")
    if "contact_name" in data:
        customer = existing.get(data["external_no"])
        kind = data.get("kind") or (customer.kind if customer else CustomerKind.INDIVIDUAL)
        if kind != CustomerKind.ORGANISATION:
            row.fail("contact_name", "Only organisation customers have contacts.")


def _field_values(data: dict, columns: set[str]) -> dict[str, Any]:
    """Values a row sets: every present column, with an empty cell clearing its field."""
    values: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name in columns:
            values[name] = data.get(name)
    for name in FLAGS_AND_LISTS:
        if name in columns:
            values[name] = data.get(name, [] if name == "products" else False)
    for name in KEEP_IF_EMPTY:
        if name in data:
            values[name] = data[name]
    return values


def _new_customer(data: dict, columns: set[str], tier: Tier) -> Customer:
    # The id is set now so that assign() can point history rows at it before the INSERT.
    values = _new_customer_defaults() | _field_values(data, columns)
    customer = Customer(id=uuid.uuid4(), external_no=data["external_no"], tier=tier, **values)
    db.session.add(customer)
    if "contact_name" in data:
        _upsert_decision_maker(customer, data, columns)
    return customer


def _update_customer(customer: Customer, data: dict, columns: set[str], tier: Tier) -> bool:
    """Set the values that differ; True if any did. Equal values are left alone."""
    changed = False
    for name, value in _field_values(data, columns).items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed = True
    if customer.tier_id != tier.id:
        customer.tier = tier
        changed = True
    if "contact_name" in data and _upsert_decision_maker(customer, data, columns):
        changed = True
    return changed


def _upsert_decision_maker(customer: Customer, data: dict, columns: set[str]) -> bool:
    """Make the contact named in the row the decision maker; True if anything changed."""
    contact = next((c for c in customer.contacts if c.name == data["contact_name"]), None)
    changed = False
    if contact is None:
        contact = Contact(id=uuid.uuid4(), name=data["contact_name"], is_decision_maker=False)
        customer.contacts.append(contact)
        changed = True
    for name in ("title", "phone"):
        if f"contact_{name}" in columns and getattr(contact, name) != data.get(f"contact_{name}"):
            setattr(contact, name, data.get(f"contact_{name}"))
            changed = True
    if not contact.is_decision_maker:
        previous = [c for c in customer.contacts if c.is_decision_maker]
        for other in previous:
            other.is_decision_maker = False
        if previous and sa.inspect(contact).persistent:
            # One decision maker per customer is a unique index, checked row by row:
            # the old one must be demoted in the database before the new one is promoted.
            db.session.flush()
        contact.is_decision_maker = True
        changed = True
    return changed


# --- monthly spend -------------------------------------------------------------------


def import_spend(
    content: bytes, *, filename: str, partial: bool = False, progress: Checkpoints | None = None
) -> ImportResult:
    """Create or update MonthlySpend rows from a spend CSV (see docs/imports.md).

    One row per (customer, month, service); same modes, idempotency and chunks as
    customers.
    """
    _header, rows, structural = _read_rows(decode_csv(content), SPEND_COLUMNS, SPEND_REQUIRED)
    _validate(rows, SpendRowSchema())
    loaded = [row for row in rows if row.data is not None]
    _mark_duplicate_spend(loaded)

    customer_ids = _load_customer_ids({row.values["external_no"] for row in loaded})
    for row in loaded:
        if row.values["external_no"] not in customer_ids:
            row.fail("external_no", f"No customer has the number {row.values['external_no']!r}.")

    good, result = _finish(rows, structural, partial=partial)
    now = utcnow()
    for chunk in in_chunks(good, WRITE_CHUNK, progress, "rows"):
        _write_spend(chunk, customer_ids, result, now)
    _record("imports.spend", filename, partial, result)
    return result


def _write_spend(
    rows: list[_Row], customer_ids: dict[str, uuid.UUID], result: ImportResult, now: datetime
) -> None:
    existing = _load_spend(
        {customer_ids[row.values["external_no"]] for row in rows},
        {row.values["month"] for row in rows},
    )
    for row in rows:
        data = row.values
        key = (customer_ids[data["external_no"]], data["month"], data["service"])
        amount = data["amount"]
        spend = existing.get(key)
        if spend is None:
            db.session.add(
                MonthlySpend(
                    customer_id=key[0],
                    month=key[1],
                    service=key[2],
                    amount=amount,
                    imported_at=now,
                )
            )
            result.created += 1
        elif spend.amount != amount:
            spend.amount = amount
            spend.imported_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()


def _record(
    action: str,
    filename: str,
    partial: bool,
    result: ImportResult,
    *,
    actor: User | None = None,
    **counts: int,
) -> None:
    """The audit event of an import: the file and the counts (a rejected one wrote nothing)."""
    record(
        action,
        actor=actor,
        details={
            "file": filename[:200],
            "partial": partial,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
        }
        | counts,
    )


def _mark_duplicate_spend(rows: list[_Row]) -> None:
    first_line: dict[tuple, int] = {}
    for row in rows:
        data = row.values
        key = (data["external_no"], data["month"], data["service"])
        if key in first_line:
            row.fail("external_no", f"Same customer, month and service as line {first_line[key]}.")
        else:
            first_line[key] = row.line


def _load_customer_ids(numbers: set[str]) -> dict[str, uuid.UUID]:
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(numbers):
        stmt = sa.select(Customer.external_no, Customer.id).where(Customer.external_no.in_(chunk))
        found.update((number, id_) for number, id_ in db.session.execute(stmt))
    return found


def _load_spend(
    customer_ids: set[uuid.UUID], months: set[date]
) -> dict[tuple[uuid.UUID, date, str], MonthlySpend]:
    found: dict[tuple[uuid.UUID, date, str], MonthlySpend] = {}
    if not months:
        return found
    for chunk in _chunks(customer_ids):
        stmt = sa.select(MonthlySpend).where(
            MonthlySpend.customer_id.in_(chunk),
            MonthlySpend.month.in_(months),
        )
        for spend in db.session.scalars(stmt):
            found[(spend.customer_id, spend.month, spend.service)] = spend
    return found
