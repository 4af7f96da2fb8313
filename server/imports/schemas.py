"""Row schemas for the CSV imports, and the shapes the import API answers with.

A row arrives as {column: cell} with only the file's columns. Empty cells are
dropped before loading, so a row schema sees only the values actually given;
what an empty cell means (clear the field, or keep it) is the service's call.
"""

import re
from decimal import Decimal
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from server.customers.models import CustomerKind, Gender, Stage
from server.schemas import check_position_pair, latitude_field, longitude_field

REQUIRED: dict[str, Any] = {"required": "A value is required."}
DATE_FORMAT = "%Y-%m-%d"
# Codes are matched case-insensitively: exports write GOLD as often as gold.
LOWERCASED = frozenset({"kind", "gender", "stage", "tier", "birthday_lunar", "ported_in"})
# The largest value Numeric(12, 2) holds.
MAX_AMOUNT = Decimal("9999999999.99")


def _csv_boolean() -> fields.Boolean:
    """true/false, 1/0, yes/no."""
    return fields.Boolean(
        truthy={"true", "1", "yes"},
        falsy={"false", "0", "no"},
        error_messages={"invalid": "Not a boolean: use true/false, 1/0 or yes/no."},
    )


class ProductList(fields.Field):
    """Product names separated by `;` (or the full-width semicolon of Chinese exports)."""

    default_error_messages = {"too_long": "Each product name may have at most 100 characters."}

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        names = [name.strip() for name in re.split("[;\uff1b]", str(value))]
        names = [name for name in names if name]
        if any(len(name) > 100 for name in names):
            raise self.make_error("too_long")
        return names


def _text(max_length: int, *, required: bool = False) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(min=1, max=max_length),
        error_messages=REQUIRED,
    )


class _RowSchema(Schema):
    @pre_load
    def _drop_empty_cells(self, row: dict, **kwargs) -> dict:
        cleaned = {}
        for column, cell in row.items():
            cell = cell.strip()
            if cell:
                cleaned[column] = cell.lower() if column in LOWERCASED else cell
        return cleaned


class CustomerRowSchema(_RowSchema):
    """One line of a customers CSV; sizes as in server/customers/models.py."""

    external_no = _text(32, required=True)
    kind = fields.Enum(CustomerKind, by_value=True)
    name = _text(100, required=True)
    phone = _text(20)
    phone2 = _text(20)
    email = fields.Email(validate=validate.Length(max=120))
    gender = fields.Enum(Gender, by_value=True)
    birthday = fields.Date(format=DATE_FORMAT)
    birthday_lunar = _csv_boolean()
    address = _text(200)
    employer = _text(100)
    position = _text(60)
    industry = _text(60)
    interests = _text(300)
    income_band = _text(30)
    consumption_habits = _text(300)
    plan_name = _text(100)
    products = ProductList()
    ported_in = _csv_boolean()
    activation_date = fields.Date(format=DATE_FORMAT)
    contract_end_date = fields.Date(format=DATE_FORMAT)
    # Where the customer is (WGS-84 degrees), for the map and "near me" on the phone.
    latitude = latitude_field()
    longitude = longitude_field()
    tier = fields.String(required=True, validate=validate.Length(max=20), error_messages=REQUIRED)
    stage = fields.Enum(Stage, by_value=True)
    manager = _text(40)
    contact_name = _text(60)
    contact_title = _text(60)
    contact_phone = _text(20)

    @validates_schema
    def _position_is_a_pair(self, data: dict, **kwargs) -> None:
        check_position_pair("latitude" in data, "longitude" in data)

    @validates_schema
    def _contact_needs_a_name(self, data: dict, **kwargs) -> None:
        if ("contact_title" in data or "contact_phone" in data) and "contact_name" not in data:
            raise ValidationError(
                "Needed when contact_title or contact_phone is given.", "contact_name"
            )


class MonthField(fields.Date):
    """YYYY-MM, loaded as the first day of that month."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)
        self.error_messages["invalid"] = "Not a month: use YYYY-MM."


class SpendRowSchema(_RowSchema):
    """One line of a monthly spend CSV."""

    external_no = _text(32, required=True)
    month = MonthField(required=True, error_messages=REQUIRED)
    service = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z_]{1,30}$", error="Use 1 to 30 lowercase letters a-z and underscores."
        ),
        error_messages=REQUIRED,
    )
    amount = fields.Decimal(
        required=True,
        validate=validate.Range(min=0, max=MAX_AMOUNT),
        error_messages={**REQUIRED, "invalid": "Not a number: write it like 12.50."},
    )

    @validates("amount")
    def _at_most_cents(self, value: Decimal, data_key: str) -> None:
        if value.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValidationError("At most 2 decimal places.")


class ImportQuerySchema(Schema):
    partial_mode = fields.Boolean(
        data_key="partial",
        load_default=False,
        metadata={"description": "Import the good rows and report the bad ones."},
    )


class RowErrorSchema(Schema):
    line = fields.Integer(metadata={"description": "Physical line in the file; header = 1."})
    field = fields.String(metadata={"description": "Column name, or _file / _row."})
    message = fields.String()


class ImportResultSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    skipped = fields.Integer(metadata={"description": "Rows left out for errors (partial mode)."})
    errors = fields.List(fields.Nested(RowErrorSchema))
