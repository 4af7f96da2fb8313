"""Property tests (Hypothesis) of the shared validators and the sync mutation schemas.

Each property says what any input, not a chosen few, must give: a value loaded as the
documented rule says, or a ValidationError naming the field; never another exception
(which the API would answer as a 500). Bounded (max_examples, no deadline): seconds.
"""

import string
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from server.auth.models import Role
from server.customers.schemas import CustomerPatchSchema
from server.schemas import (
    BIRTHDAY,
    PHONE,
    CommaList,
    DateOrDateTime,
    StrictBoolean,
    optional_text,
    required_text,
    version_field,
)
from server.sync.schemas import MutationSchema, PullArgsSchema, PushSchema
from server.tasks.schemas import TaskCreateSchema
from server.timeutil import local_today
from server.visits.schemas import VisitCreateSchema

FAST = settings(max_examples=150, deadline=None)
# JSON values of any shape, as a phone (or anyone) could send them.
# (NaN and Infinity are not JSON: a body with them is refused whole, tested below.)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | FLOATS | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


class TextSchema(Schema):
    required = required_text(10)
    optional = optional_text(10)


def _loads(schema: Schema, data) -> dict | ValidationError:
    try:
        return schema.load(data)
    except ValidationError as err:
        return err


@FAST
@given(st.text(max_size=20))
def test_required_text_is_the_trimmed_string_when_1_to_max_long(value):
    result = _loads(TextSchema(), {"required": value})
    trimmed = value.strip()
    if 1 <= len(trimmed) <= 10:
        assert result == {"required": trimmed}
    else:
        assert isinstance(result, ValidationError)
        assert list(result.messages) == ["required"]


@FAST
@given(st.one_of(st.none(), st.text(max_size=20)))
def test_optional_text_blank_clears_and_long_is_refused(value):
    result = _loads(TextSchema(), {"optional": value})
    trimmed = value.strip() if value is not None else ""
    if not trimmed:
        assert result == {"optional": None}
    elif len(trimmed) <= 10:
        assert result == {"optional": trimmed}
    else:
        assert isinstance(result, ValidationError)
        assert list(result.messages) == ["optional"]


@FAST
@given(JSON)
def test_text_fields_refuse_every_non_string_with_a_field_error(value):
    if isinstance(value, str) or value is None:
        return
    for name in ("required", "optional"):
        result = _loads(TextSchema(), {name: value})
        assert isinstance(result, ValidationError)
        assert list(result.messages) == [name]


class FlagSchema(Schema):
    flag = StrictBoolean()
    version = version_field()
    tiers = CommaList(fields.String())


@FAST
@given(JSON)
def test_strict_boolean_takes_json_booleans_only(value):
    result = _loads(FlagSchema(), {"flag": value})
    if isinstance(value, bool):
        assert result == {"flag": value}
    else:
        assert isinstance(result, ValidationError)


@FAST
@given(JSON | st.integers(min_value=2**31 - 3, max_value=2**31 + 3))
def test_version_is_a_strict_positive_integer_that_fits_its_column(value):
    result = _loads(FlagSchema(), {"version": value})
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31:
        assert result == {"version": value}
    else:
        assert isinstance(result, ValidationError)


PIECE = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=8)


@FAST
@given(st.lists(PIECE, min_size=1, max_size=5), st.booleans())
def test_comma_list_repeated_or_comma_separated_give_the_same_pieces(pieces, repeated):
    value = pieces if repeated else ",".join(pieces)
    assert FlagSchema().load({"tiers": value}) == {"tiers": pieces}


class WhenSchema(Schema):
    when = DateOrDateTime()


ZONES = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@FAST
@given(st.dates())
def test_a_date_round_trips(day):
    loaded = WhenSchema().load({"when": day.isoformat()})
    assert loaded == {"when": day}
    assert WhenSchema().dump(loaded) == {"when": day.isoformat()}


@FAST
@given(st.datetimes(timezones=ZONES))
def test_an_aware_datetime_round_trips(moment):
    loaded = WhenSchema().load({"when": moment.isoformat()})
    assert loaded == {"when": moment}
    assert loaded["when"].utcoffset() == moment.utcoffset()


@FAST
@given(st.one_of(st.datetimes().map(datetime.isoformat), st.text(max_size=30), JSON))
def test_a_naive_datetime_or_anything_else_is_a_field_error(value):
    result = _loads(WhenSchema(), {"when": value})
    if isinstance(result, ValidationError):
        assert list(result.messages) == ["when"]
    else:  # Only a real date or zoned datetime gets through.
        assert isinstance(value, str)
        assert isinstance(result["when"], datetime | date)
        assert not isinstance(result["when"], datetime) or result["when"].tzinfo is not None


class PhoneSchema(Schema):
    phone = optional_text(20, PHONE)


CHINESE_MOBILE = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
FORMATTED = st.builds(
    lambda cc, area, number: f"+{cc} ({area}) {number[:4]}-{number[4:]}",
    st.integers(1, 999),
    st.integers(10, 999),
    st.from_regex(r"\A[0-9]{8}\Z"),
)


@FAST
@given(st.one_of(CHINESE_MOBILE, FORMATTED))
def test_phone_numbers_as_people_write_them_are_accepted(number):
    assert PhoneSchema().load({"phone": number}) == {"phone": number}


@FAST
@given(st.text(min_size=1, max_size=20))
def test_a_phone_with_a_letter_or_a_symbol_is_refused(value):
    trimmed = value.strip()
    allowed = set(string.digits + " ()-+")
    result = _loads(PhoneSchema(), {"phone": value})
    if not trimmed:
        assert result == {"phone": None}
    elif (
        set(trimmed) <= allowed
        and trimmed[0] in string.digits + "+"
        and (trimmed[0] != "+" or (len(trimmed) > 1 and trimmed[1] in string.digits))
        and "+" not in trimmed[1:]
    ):
        assert result == {"phone": trimmed}
    else:
        assert isinstance(result, ValidationError)


class BirthdaySchema(Schema):
    birthday = fields.Date(allow_none=True, validate=BIRTHDAY)


@FAST
@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2100, 12, 31)))
def test_birthdays_from_1900_to_today(app, day):
    with app.app_context():  # "today" is the configured zone's
        result = _loads(BirthdaySchema(), {"birthday": day.isoformat()})
        today = local_today()
    if date(1900, 1, 1) <= day <= today:
        assert result == {"birthday": day}
    else:
        assert isinstance(result, ValidationError)


# --- the schemas the sync push checks mutations with -------------------------------


@FAST
@given(JSON)
def test_push_and_pull_arguments_refuse_any_shape_with_field_errors(value):
    for schema in (PushSchema(), PullArgsSchema(), MutationSchema()):
        result = _loads(schema, value)
        if isinstance(result, ValidationError):
            assert isinstance(result.messages, dict)


MUTATION = st.fixed_dictionaries(
    {
        "id": st.uuids().map(str),
        "seq": st.one_of(st.integers(min_value=-5, max_value=2**70), JSON),
        "name": st.one_of(st.sampled_from(["log_visit", "create_task", "nope"]), JSON),
        "args": st.one_of(st.dictionaries(st.text(max_size=8), JSON, max_size=4), JSON),
    },
    optional={
        "base_version": JSON,
        "client_time": st.one_of(st.datetimes(timezones=ZONES).map(datetime.isoformat), JSON),
    },
)


@FAST
@given(MUTATION)
def test_a_mutation_loads_with_its_rules_or_is_refused_by_field(mutation):
    result = _loads(MutationSchema(), mutation)
    if isinstance(result, ValidationError):
        assert set(result.messages) <= set(mutation) | {"_schema"}
        return
    assert result["seq"] >= 1
    assert isinstance(result["args"], dict)
    assert 1 <= len(result["name"]) <= 40
    if result["client_time"] is not None:
        assert result["client_time"].tzinfo is not None


VISIT_ARGS = st.fixed_dictionaries(
    {"customer_id": st.uuids().map(str), "channel": st.sampled_from(["visit", "phone", "x"])},
    optional={
        "id": st.uuids().map(str),
        "purpose": st.sampled_from(["routine", "birthday", "y"]),
        "started_at": st.one_of(
            st.datetimes(timezones=ZONES).map(datetime.isoformat),
            st.just("0001-01-01T00:00:00+14:00"),
            st.just("9999-12-31T23:59:59-14:00"),
            JSON,
        ),
        "ended_at": st.one_of(st.datetimes(timezones=ZONES).map(datetime.isoformat), JSON),
        "latitude": st.one_of(FLOATS, st.none()),
        "longitude": st.one_of(FLOATS, st.none()),
        "notes": st.one_of(st.text(max_size=50), JSON),
        "products_discussed": st.one_of(st.lists(st.text(max_size=5), max_size=3), JSON),
        "privileges_explained": JSON,
        "next_step_due": st.one_of(st.dates().map(date.isoformat), JSON),
    },
)


@FAST
@given(VISIT_ARGS)
def test_log_visit_arguments_load_as_utc_representable_times_or_are_refused(args):
    """The issue's `0001-01-01T00:00:00+14:00`: loaded, it could not be stored in UTC."""
    result = _loads(VisitCreateSchema(), args)
    if isinstance(result, ValidationError):
        assert isinstance(result.messages, dict)
        return
    for name in ("started_at", "ended_at"):
        if result.get(name) is not None:
            result[name].astimezone(UTC)  # never an OverflowError
    if result.get("latitude") is not None:
        assert -90 <= result["latitude"] <= 90


TASK_ARGS = st.fixed_dictionaries(
    {"title": st.one_of(st.text(max_size=210), JSON)},
    optional={
        "id": st.uuids().map(str),
        "customer_id": st.one_of(st.uuids().map(str), st.none(), JSON),
        "due_date": st.one_of(st.dates().map(date.isoformat), JSON),
        "notes": st.one_of(st.text(max_size=30), JSON),
    },
)


@FAST
@given(TASK_ARGS)
def test_create_task_arguments_load_or_are_refused_by_field(args):
    result = _loads(TaskCreateSchema(), args)
    if isinstance(result, ValidationError):
        assert isinstance(result.messages, dict)
        return
    assert 1 <= len(result["title"]) <= 200
    assert result["title"] == result["title"].strip()


PROFILE = st.dictionaries(
    st.sampled_from(
        ["phone", "email", "birthday", "gender", "special_dates", "latitude", "longitude", "notes"]
    ),
    JSON,
    max_size=4,
)


@FAST
@given(PROFILE)
def test_customer_profile_changes_load_or_are_refused_by_field(app, changes):
    with app.app_context():
        result = _loads(CustomerPatchSchema(), changes)
    if isinstance(result, ValidationError):
        assert isinstance(result.messages, dict)


# --- the same through the sync push: a refusal per mutation, never a 500 ----------------


@pytest.fixture
def pusher(make_team, make_user, make_customer, auth):
    team = make_team()
    manager = make_user(Role.MANAGER, team=team)
    customer = make_customer(manager=manager)
    auth.login(manager.username)
    return customer


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["log_visit", "create_task", "update_task", "log_complaint", "nope"]),
            st.one_of(VISIT_ARGS, TASK_ARGS, st.dictionaries(st.text(max_size=8), JSON)),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_mutation_is_applied_or_refused_alone_never_a_server_error(client, pusher, batch):
    device = str(uuid.uuid4())
    mutations = []
    for seq, (name, args, own_customer) in enumerate(batch, start=1):
        args = dict(args)
        if own_customer:
            args["customer_id"] = str(pusher.id)
        mutations.append(
            {
                "id": str(uuid.uuid4()),
                "seq": seq,
                "name": name,
                "args": args,
                "client_time": datetime.now(UTC).isoformat(),
            }
        )
    response = client.post(
        "/api/v1/sync/push",
        json={"device_id": device, "schema_version": 2, "mutations": mutations},
    )
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["seq"] for r in results] == list(range(1, len(batch) + 1))
    for result in results:
        assert result["status"] in {"applied", "rejected", "conflict"}
        if result["status"] == "rejected":
            assert 400 <= result["http_status"] < 500, result
    assert response.json["last_acknowledged_seq"] == len(batch)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinity_in_a_push_is_a_malformed_body_not_a_server_error(client, pusher, constant):
    """Found by the property above: Python's parser takes them, PostgreSQL's JSON does
    not, and storing the mutation's arguments failed the whole push (a 500)."""
    device = str(uuid.uuid4())
    body = (
        f'{{"device_id": "{device}", "schema_version": 2, "mutations": [{{"id": '
        f'"{uuid.uuid4()}", "seq": 1, "name": "log_visit", "args": {{"customer_id": '
        f'"{pusher.id}", "channel": "visit", "latitude": {constant}, "longitude": 1, '
        f'"notes": "NaN and Infinity in a string are fine"}}}}]}}'
    )
    response = client.post("/api/v1/sync/push", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    pulled = client.get(f"/api/v1/sync/pull?device_id={device}")
    assert pulled.json["last_acknowledged_seq"] == 0

    visit = client.post(
        "/api/v1/visits",
        data=body.split('"args": ')[1].rsplit("}]}", 1)[0],
        content_type="application/json",
    )
    assert visit.status_code == 400
