"""Schema fields and small shapes every domain's schemas share.

Input strings are trimmed and capped at their column's length, so a bad request fails
as a 422 naming the field instead of a database error; a blank optional string clears
the field. Booleans are JSON true/false only.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.utils import is_collection

from server.timeutil import local_today


def _trim(value):
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    """A pre_load step: a blank string is no value."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def required_text(max_len: int, *validators, **kwargs) -> fields.String:
    """A trimmed string of 1..max_len characters."""
    return fields.String(
        pre_load=[_trim], validate=[validate.Length(min=1, max=max_len), *validators], **kwargs
    )


def optional_text(max_len: int, *validators, **kwargs) -> fields.String:
    """A trimmed string of at most max_len characters; blank or null clears it."""
    return fields.String(
        allow_none=True,
        pre_load=[blank_to_none],
        validate=[validate.Length(max=max_len), *validators],
        **kwargs,
    )


def latitude_field(**kwargs) -> fields.Float:
    """Degrees north, -90..90 (WGS-84, as a phone's GPS gives it)."""
    return fields.Float(validate=validate.Range(min=-90, max=90), **kwargs)


def longitude_field(**kwargs) -> fields.Float:
    """Degrees east, -180..180."""
    return fields.Float(validate=validate.Range(min=-180, max=180), **kwargs)


def check_position_pair(latitude_given: bool, longitude_given: bool) -> None:
    """Half a coordinate cannot be put on a map: both or neither."""
    if latitude_given != longitude_given:
        missing = "longitude" if latitude_given else "latitude"
        raise ValidationError("Send latitude and longitude together.", missing)


class StrictBoolean(fields.Boolean):
    """JSON true/false only: marshmallow's Boolean would also take "yes", 1 or "off"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# Days a request may name: month arithmetic on them (a trend's months before `until`,
# a period's next month) stays within what Python and SQL hold; year 1 and 9999 did not.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class Day(fields.Date):
    """An ISO date between FIRST_DAY and LAST_DAY (a 422 on the field otherwise)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.insert(0, validate.Range(min=FIRST_DAY, max=LAST_DAY))


class AwareDateTime(fields.AwareDateTime):
    """An ISO datetime with its offset, that is also a time in UTC: year 1 at +14:00
    is parsed by Python but falls before the first representable UTC instant."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        try:
            result.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        return result


INT32_MAX = 2**31 - 1  # an INTEGER column (versions)
INT64_MAX = 2**63 - 1  # a BIGINT column (seqs), and SQLite's integers


class BoundedInteger(fields.Integer):
    """An integer a request sends, refused (422) past what its database column holds.

    Python's integers are unbounded and SQL's are not: an unchecked page number or seq
    past 2**63 reached the database and failed as a 500. The bound is a Range, so the
    OpenAPI document states it as minimum/maximum.
    """

    def __init__(self, *, minimum: int = -INT64_MAX - 1, maximum: int = INT64_MAX, **kwargs):
        validators = kwargs.pop("validate", None) or []
        if callable(validators):
            validators = [validators]
        super().__init__(validate=[*validators, validate.Range(min=minimum, max=maximum)], **kwargs)


class CommaList(fields.List):
    """A query parameter given repeated (?tier=a&tier=b) or comma-separated (?tier=a,b)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) or not is_collection(value):
            value = [value]
        parts: list = []
        for item in value:
            if isinstance(item, str):
                parts.extend(piece.strip() for piece in item.split(",") if piece.strip())
            else:
                parts.append(item)
        return super()._deserialize(parts, attr, data, **kwargs)


class DateOrDateTime(fields.Field):
    """A local day (YYYY-MM-DD) or an ISO 8601 datetime with its zone, in and out."""

    default_error_messages = {"invalid": "Not a date (YYYY-MM-DD) or a datetime with zone."}

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"not a date: {value!r}")

    def _deserialize(self, value, attr, data, **kwargs) -> date | datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            parsed = datetime.fromisoformat(value)
        except ValueError as err:
            raise self.make_error("invalid") from err
        if parsed.tzinfo is None:
            raise self.make_error("invalid")
        return parsed


def _not_in_future(value: date) -> None:
    if value > local_today():
        raise ValidationError("Must not be in the future.")


PHONE = validate.Regexp(r"^\+?[0-9][0-9 ()-]*$", error="Not a phone number.")
BIRTHDAY: list[Callable[[date], object]] = [
    validate.Range(min=date(1900, 1, 1)),
    _not_in_future,
]


def version_field() -> fields.Integer:
    """Optimistic concurrency: the version the client last saw; omit to overwrite."""
    return BoundedInteger(strict=True, minimum=1, maximum=INT32_MAX)


class VersionedSchema(Schema):
    """An edit that may name the version it was made against (409 if it moved on)."""

    version = version_field()


class UserRefSchema(Schema):
    id = fields.UUID()
    display_name = fields.String()


class TierRefSchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    rank = fields.Integer()
