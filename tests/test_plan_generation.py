"""Care plan generation: routine intervals, birthdays, holidays, milestones, idempotence.

Every test passes a fixed `today`; the expected windows are worked out by hand in
the comments. Defaults (config.py): horizon 30 days, birthday lead 3, holiday lead 5,
contract lead 30, welcome within 3 days, introduction check days 7..30.
Tier contact intervals (migration 0002): diamond 30, emerald 30, platinum 45,
sapphire 60, gold 90, crystal 120.

2027-03-01 is the usual `today`: its horizon (to 2027-03-31) holds none of the
care holidays (Spring Festival 2027-02-06, Mid-Autumn 2027-09-15, National Day
2027-10-01), so only the rule under test makes plans.
"""

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from server.auth.models import Role
from server.customers.models import Stage
from server.extensions import db
from server.plans.models import CarePlan, Channel, PlanStatus, Purpose
from server.plans.services import generate_plans, reassign_open_plans
from server.visits.models import Visit
from tests.conftest import routine_due_id

TODAY = date(2027, 3, 1)


@pytest.fixture
def manager(make_team, make_user):
    return make_user(Role.MANAGER, team=make_team())


@pytest.fixture
def generate(in_app):
    def run(today: date = TODAY, customer_ids=None) -> dict[str, int]:
        with in_app():
            counts = generate_plans(today, customer_ids)
            db.session.commit()
            return counts

    return run


@pytest.fixture
def plans_of(in_app):
    def fetch(customer, purpose: Purpose | None = None) -> list[CarePlan]:
        with in_app():
            stmt = sa.select(CarePlan).where(CarePlan.customer_id == customer.id)
            if purpose is not None:
                stmt = stmt.where(CarePlan.purpose == purpose)
            return list(db.session.scalars(stmt.order_by(CarePlan.due_from, CarePlan.purpose)))

    return fetch


@pytest.fixture
def add_plan(in_app):
    def add(customer, **fields) -> CarePlan:
        with in_app():
            plan = CarePlan(
                customer_id=customer.id,
                owner_id=customer.manager_id,
                purpose=fields.pop("purpose", Purpose.ROUTINE),
                channel=fields.pop("channel", Channel.PHONE),
                title=fields.pop("title", "plan"),
                **fields,
            )
            db.session.add(plan)
            db.session.commit()
            return plan

    return add


@pytest.fixture
def add_visit(in_app):
    def add(customer, started_at: datetime, purpose: Purpose = Purpose.MARKETING) -> Visit:
        with in_app():
            visit = Visit(
                customer_id=customer.id,
                manager_id=customer.manager_id,
                channel=Channel.VISIT,
                purpose=purpose,
                started_at=started_at,
            )
            db.session.add(visit)
            db.session.commit()
            return visit

    return add


def windows(plans: list[CarePlan]) -> list[tuple]:
    return [(p.generation_key, p.due_from, p.due_to, p.channel) for p in plans]


# --- routine ----------------------------------------------------------------------


def test_never_contacted_customers_are_spread_over_the_tier_interval(
    manager, make_customer, generate, plans_of
):
    # date(2027, 3, 1).toordinal() == 740041; 740041 % 90 == 61 and % 30 == 1. A customer
    # whose id modulo the interval equals that phase is due today; phase + 10, in ten days.
    gold_today = make_customer(manager=manager, tier="gold", id=uuid.UUID(int=90 * 7 + 61))
    gold_later = make_customer(manager=manager, tier="gold", id=uuid.UUID(int=90 * 7 + 71))
    gold_beyond = make_customer(manager=manager, tier="gold", id=uuid.UUID(int=90 * 7 + 16))
    diamond = make_customer(manager=manager, tier="diamond", id=uuid.UUID(int=30 * 5 + 1))

    counts = generate()

    assert counts["routine"] == 4
    # Window [day, day + 7]; the top tiers are seen in person, the others called.
    assert windows(plans_of(gold_today, Purpose.ROUTINE)) == [
        ("routine:2027-03-01", date(2027, 3, 1), date(2027, 3, 8), Channel.PHONE)
    ]
    assert windows(plans_of(gold_later, Purpose.ROUTINE)) == [
        ("routine:2027-03-11", date(2027, 3, 11), date(2027, 3, 18), Channel.PHONE)
    ]
    # Phase 16 is (16 - 61) % 90 = 45 days on (2027-04-15): beyond the horizon, nothing yet.
    assert plans_of(gold_beyond, Purpose.ROUTINE) == []
    # Diamond's 30 days after 03-01 is 03-31, the horizon's last day: planned too,
    # or the next run (same day) would add it.
    assert windows(plans_of(diamond, Purpose.ROUTINE)) == [
        ("routine:2027-03-01", date(2027, 3, 1), date(2027, 3, 8), Channel.VISIT),
        ("routine:2027-03-31", date(2027, 3, 31), date(2027, 4, 7), Channel.VISIT),
    ]
    routine = plans_of(gold_today, Purpose.ROUTINE)[0]
    assert routine.owner_id == manager.id
    assert routine.status == PlanStatus.PLANNED
    assert routine.title == "日常维系"


def test_a_spread_first_contact_stays_put_from_day_to_day(
    manager, make_customer, generate, plans_of
):
    gold = make_customer(manager=manager, tier="gold", id=uuid.UUID(int=90 * 7 + 61 + 40))
    # Due 2027-04-10: outside the horizon on 03-01, inside it on 03-20, same date.
    assert generate(date(2027, 3, 1))["routine"] == 0
    assert generate(date(2027, 3, 20))["routine"] == 1
    assert windows(plans_of(gold, Purpose.ROUTINE)) == [
        ("routine:2027-04-10", date(2027, 4, 10), date(2027, 4, 17), Channel.PHONE)
    ]
    assert generate(date(2027, 3, 21))["routine"] == 0


def test_visit_ten_days_ago_sets_next_routine_after_the_interval(
    manager, make_customer, generate, plans_of, add_visit
):
    diamond = make_customer(manager=manager, tier="diamond")  # every 30 days
    gold = make_customer(manager=manager, tier="gold")  # every 90 days
    # 2027-02-18 17:00 UTC is 2027-02-19 01:00 in Shanghai: the visit's local day
    # is 02-19, ten days before today. Any purpose counts as a contact.
    visited = datetime(2027, 2, 18, 17, 0, tzinfo=UTC)
    add_visit(diamond, visited, purpose=Purpose.BIRTHDAY)
    add_visit(gold, visited)

    generate()

    # Diamond: 02-19 + 30 days = 03-21, inside the horizon (to 03-31).
    assert windows(plans_of(diamond, Purpose.ROUTINE)) == [
        ("routine:2027-03-21", date(2027, 3, 21), date(2027, 3, 28), Channel.VISIT)
    ]
    # Gold: 02-19 + 90 days = 05-20, beyond the horizon: nothing yet.
    assert plans_of(gold, Purpose.ROUTINE) == []

    # On 04-25 the gold customer's 05-20 is inside the horizon (to 05-25). The
    # diamond plan of 03-21..03-28 was never done: marked missed, it is no contact,
    # so routine care is due at once (04-25) and again 30 days later (05-25).
    generate(date(2027, 4, 25))
    assert [p.generation_key for p in plans_of(gold, Purpose.ROUTINE)] == ["routine:2027-05-20"]
    assert [(p.generation_key, p.status) for p in plans_of(diamond, Purpose.ROUTINE)] == [
        ("routine:2027-03-21", PlanStatus.MISSED),
        ("routine:2027-04-25", PlanStatus.PLANNED),
        ("routine:2027-05-25", PlanStatus.PLANNED),
    ]


def test_second_run_creates_nothing(manager, make_customer, generate, plans_of):
    customer = make_customer(
        manager=manager,
        tier="emerald",
        id=routine_due_id(TODAY, 30),
        birthday=date(1980, 3, 20),
        contract_end_date=date(2027, 3, 15),
        stage=Stage.ONBOARDING,
        activation_date=date(2027, 2, 28),
    )
    first = generate()
    before = windows(plans_of(customer))

    second = generate()

    # Routine (03-01 and 03-31, emerald every 30 days), birthday, contract, welcome
    # and introduction check.
    assert first == {
        "routine": 2,
        "birthday": 1,
        "holiday": 0,
        "contract_expiry": 1,
        "welcome": 1,
        "introduction_check": 1,
        "missed": 0,
    }
    assert second == dict.fromkeys(second, 0)
    assert windows(plans_of(customer)) == before


def test_planned_routine_inside_the_interval_blocks_another(
    manager, make_customer, generate, plans_of, add_plan
):
    platinum = make_customer(manager=manager, tier="platinum")  # every 45 days
    # A wide window, so the plan is still open (not missed) on the later runs.
    add_plan(platinum, due_from=date(2027, 3, 10), due_to=date(2027, 3, 31))

    assert generate()["routine"] == 0
    # 03-10 + 45 = 04-24: the next one comes when that is within 30 days.
    assert generate(date(2027, 3, 24))["routine"] == 0
    assert generate(date(2027, 3, 25))["routine"] == 1
    assert [p.generation_key for p in plans_of(platinum, Purpose.ROUTINE)] == [
        None,
        "routine:2027-04-24",
    ]


def test_cancelled_and_missed_routine_plans_are_no_contact(
    manager, make_customer, generate, plans_of, add_plan
):
    cancelled = make_customer(manager=manager, tier="gold", id=routine_due_id(TODAY, 90))
    add_plan(
        cancelled,
        due_from=date(2027, 3, 5),
        due_to=date(2027, 3, 9),
        status=PlanStatus.CANCELLED,
    )
    with_missed = make_customer(manager=manager, tier="gold", id=routine_due_id(TODAY, 90))
    lapsed = add_plan(with_missed, due_from=date(2027, 2, 1), due_to=date(2027, 2, 8))

    counts = generate()

    # The lapsed plan is marked missed, and neither customer counts as contacted:
    # both are due for routine care today.
    assert counts["missed"] == 1
    assert counts["routine"] == 2

    def routine(customer):
        return [(p.generation_key, p.status) for p in plans_of(customer, Purpose.ROUTINE)]

    assert routine(cancelled) == [
        ("routine:2027-03-01", PlanStatus.PLANNED),
        (None, PlanStatus.CANCELLED),
    ]
    assert routine(with_missed) == [
        (None, PlanStatus.MISSED),
        ("routine:2027-03-01", PlanStatus.PLANNED),
    ]
    assert plans_of(with_missed)[0].id == lapsed.id


def test_done_routine_plan_counts_from_its_completion(
    manager, make_customer, generate, plans_of, add_plan
):
    diamond = make_customer(manager=manager, tier="diamond")
    add_plan(
        diamond,
        due_from=date(2027, 1, 10),
        due_to=date(2027, 1, 17),
        status=PlanStatus.DONE,
        # 2027-02-05 16:30 UTC = 02-06 00:30 local: 02-06 + 30 = 03-08.
        completed_at=datetime(2027, 2, 5, 16, 30, tzinfo=UTC),
    )

    generate()

    assert windows(plans_of(diamond, Purpose.ROUTINE))[-1] == (
        "routine:2027-03-08",
        date(2027, 3, 8),
        date(2027, 3, 15),
        Channel.VISIT,
    )


# --- missed -----------------------------------------------------------------------


def test_lapsed_planned_plans_are_marked_missed(
    manager, make_customer, generate, plans_of, add_plan
):
    customer = make_customer(manager=manager)
    lapsed = add_plan(
        customer, purpose=Purpose.MARKETING, due_from=date(2027, 2, 20), due_to=date(2027, 2, 28)
    )
    due_today = add_plan(
        customer, purpose=Purpose.MARKETING, due_from=date(2027, 2, 20), due_to=date(2027, 3, 1)
    )
    done = add_plan(
        customer,
        purpose=Purpose.MARKETING,
        due_from=date(2027, 2, 1),
        due_to=date(2027, 2, 2),
        status=PlanStatus.DONE,
        completed_at=datetime(2027, 2, 1, 3, 0, tzinfo=UTC),
    )
    # Someone else's lapsed plan is marked too: missing is a fact, whoever owns it.
    unassigned = make_customer()
    other = add_plan(
        unassigned, purpose=Purpose.MARKETING, due_from=date(2027, 1, 1), due_to=date(2027, 1, 2)
    )

    counts = generate()

    assert counts["missed"] == 2
    status = {p.id: (p.status, p.version) for p in plans_of(customer) + plans_of(unassigned)}
    assert status[lapsed.id] == (PlanStatus.MISSED, 2)
    assert status[due_today.id] == (PlanStatus.PLANNED, 1)
    assert status[done.id] == (PlanStatus.DONE, 1)
    assert status[other.id] == (PlanStatus.MISSED, 2)
    assert generate()["missed"] == 0


# --- birthdays --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birthday", "expected"),
    [
        # 03-20 is inside [03-01, 03-31]: greet within [03-17, 03-20].
        (date(1985, 3, 20), (date(2027, 3, 17), date(2027, 3, 20))),
        # The last day of the horizon still counts.
        (date(1985, 3, 31), (date(2027, 3, 28), date(2027, 3, 31))),
        # Today: the window opened three days ago.
        (date(1985, 3, 1), (date(2027, 2, 26), date(2027, 3, 1))),
        (date(1985, 4, 1), None),
        (date(1985, 2, 28), None),
    ],
)
def test_solar_birthday(manager, make_customer, generate, plans_of, birthday, expected):
    customer = make_customer(manager=manager, tier="gold", birthday=birthday)

    generate()

    plans = plans_of(customer, Purpose.BIRTHDAY)
    if expected is None:
        assert plans == []
    else:
        assert windows(plans) == [("birthday:2027", *expected, Channel.PHONE)]
        assert plans[0].title == "生日关怀"


def test_birthday_visit_for_the_top_two_tiers(manager, make_customer, generate, plans_of):
    channels = {}
    for tier in ("diamond", "emerald", "platinum"):
        customer = make_customer(manager=manager, tier=tier, birthday=date(1990, 3, 10))
        channels[tier] = customer
    generate()
    assert {t: plans_of(c, Purpose.BIRTHDAY)[0].channel for t, c in channels.items()} == {
        "diamond": Channel.VISIT,
        "emerald": Channel.VISIT,
        "platinum": Channel.PHONE,
    }


def test_feb_29_birthday_is_feb_28_in_common_years(manager, make_customer, generate, plans_of):
    customer = make_customer(manager=manager, birthday=date(1988, 2, 29))

    generate(date(2027, 2, 10))
    generate(date(2028, 2, 10))

    assert [
        (p.generation_key, p.due_from, p.due_to) for p in plans_of(customer, Purpose.BIRTHDAY)
    ] == [
        ("birthday:2027", date(2027, 2, 25), date(2027, 2, 28)),
        ("birthday:2028", date(2028, 2, 26), date(2028, 2, 29)),
    ]


def test_lunar_birthday(manager, make_customer, generate, plans_of):
    # Lunar 八月十五 (Mid-Autumn day) of 2027 is 2027-09-15 (holidays.China agrees).
    customer = make_customer(
        manager=manager, birthday=date(1980, 8, 15), birthday_lunar=True, tier="platinum"
    )

    generate(date(2027, 9, 1))

    assert windows(plans_of(customer, Purpose.BIRTHDAY)) == [
        ("birthday:2027", date(2027, 9, 12), date(2027, 9, 15), Channel.PHONE)
    ]


def test_lunar_day_30_in_a_short_month_falls_on_day_29(manager, make_customer, generate, plans_of):
    # Lunar 八月 of 2027 has 29 days: 八月初一 is 2027-09-01 (15 days before the
    # 15th on 09-15), so 八月廿九 is 2027-09-29.
    customer = make_customer(manager=manager, birthday=date(1980, 8, 30), birthday_lunar=True)

    generate(date(2027, 9, 10))

    assert [(p.due_from, p.due_to) for p in plans_of(customer, Purpose.BIRTHDAY)] == [
        (date(2027, 9, 26), date(2027, 9, 29))
    ]


def test_lunar_birthday_in_the_twelfth_month_is_keyed_by_lunar_year(
    manager, make_customer, generate, plans_of
):
    # Spring Festival 2027 (正月初一) is 2027-02-06; 腊月 of lunar 2026 has 29 days,
    # so 腊月廿九 is 02-05 and 腊月二十 is 9 days earlier: 2027-01-27.
    customer = make_customer(manager=manager, birthday=date(1970, 12, 20), birthday_lunar=True)

    generate(date(2027, 1, 10))

    assert [(p.generation_key, p.due_to) for p in plans_of(customer, Purpose.BIRTHDAY)] == [
        ("birthday:2026", date(2027, 1, 27))
    ]


# --- holidays ---------------------------------------------------------------------


def test_spring_festival_2027(manager, make_customer, generate, plans_of):
    by_tier = {
        tier: make_customer(manager=manager, tier=tier)
        for tier in ("diamond", "platinum", "gold", "crystal")
    }

    # Horizon 2027-01-20 .. 02-19 holds Spring Festival, 2027-02-06 (its first day).
    counts = generate(date(2027, 1, 20))

    assert counts["holiday"] == 4
    expected_channel = {
        "diamond": Channel.VISIT,
        "platinum": Channel.PHONE,
        "gold": Channel.SMS,
        "crystal": Channel.SMS,
    }
    for tier, customer in by_tier.items():
        plans = plans_of(customer, Purpose.HOLIDAY)
        assert windows(plans) == [
            (
                "holiday:chinese-new-year-spring-festival:2027",
                date(2027, 2, 1),
                date(2027, 2, 6),
                expected_channel[tier],
            )
        ]
        assert plans[0].title == "春节问候"


def test_mid_autumn_2027_but_not_national_day_yet(manager, make_customer, generate, plans_of):
    customer = make_customer(manager=manager, tier="gold")

    # Horizon 2027-08-20 .. 09-19: Mid-Autumn (09-15) is in, National Day (10-01) not.
    generate(date(2027, 8, 20))
    assert windows(plans_of(customer, Purpose.HOLIDAY)) == [
        ("holiday:mid-autumn-festival:2027", date(2027, 9, 10), date(2027, 9, 15), Channel.SMS)
    ]

    # From 09-01 the horizon reaches 10-01 exactly.
    generate(date(2027, 9, 1))
    assert [p.generation_key for p in plans_of(customer, Purpose.HOLIDAY)] == [
        "holiday:mid-autumn-festival:2027",
        "holiday:national-day:2027",
    ]
    national_day = plans_of(customer, Purpose.HOLIDAY)[1]
    assert (national_day.due_from, national_day.due_to) == (date(2027, 9, 26), date(2027, 10, 1))


# --- contract expiry and lifecycle ------------------------------------------------


@pytest.mark.parametrize(
    ("contract_end", "expected"),
    [
        (date(2027, 3, 31), (date(2027, 3, 1), date(2027, 3, 31))),
        (date(2027, 3, 1), (date(2027, 3, 1), date(2027, 3, 1))),
        (date(2027, 4, 1), None),
        (date(2027, 2, 28), None),
    ],
)
def test_contract_expiry(manager, make_customer, generate, plans_of, contract_end, expected):
    customer = make_customer(manager=manager, contract_end_date=contract_end)

    generate()

    plans = plans_of(customer, Purpose.CONTRACT_EXPIRY)
    if expected is None:
        assert plans == []
    else:
        assert [(p.generation_key, p.due_from, p.due_to) for p in plans] == [
            (f"contract:{contract_end.isoformat()}", *expected)
        ]


@pytest.mark.parametrize(
    ("activation", "stage", "expected"),
    [
        # Two days ago: welcome within [02-27, 03-02].
        (date(2027, 2, 27), Stage.ONBOARDING, (date(2027, 2, 27), date(2027, 3, 2))),
        (date(2027, 2, 26), Stage.ONBOARDING, (date(2027, 2, 26), date(2027, 3, 1))),
        (date(2027, 3, 1), Stage.ONBOARDING, (date(2027, 3, 1), date(2027, 3, 4))),
        # Four days ago is too late for a welcome.
        (date(2027, 2, 25), Stage.ONBOARDING, None),
        (date(2027, 2, 27), Stage.MATURITY, None),
        (date(2027, 3, 2), Stage.ONBOARDING, None),
    ],
)
def test_welcome(manager, make_customer, generate, plans_of, activation, stage, expected):
    customer = make_customer(manager=manager, stage=stage, activation_date=activation)

    generate()

    plans = plans_of(customer, Purpose.WELCOME)
    if expected is None:
        assert plans == []
    else:
        assert windows(plans) == [("welcome", *expected, Channel.SMS)]


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        # Check between day 7 and day 30 after activation, if that meets [03-01, 03-31].
        (date(2027, 2, 27), (date(2027, 3, 6), date(2027, 3, 29))),
        (date(2027, 1, 30), (date(2027, 2, 6), date(2027, 3, 1))),
        (date(2027, 3, 24), (date(2027, 3, 31), date(2027, 4, 23))),
        (date(2027, 1, 29), None),  # its window closed 02-28
        (date(2027, 3, 25), None),  # its window opens 04-01, past the horizon
    ],
)
def test_introduction_check(manager, make_customer, generate, plans_of, activation, expected):
    customer = make_customer(manager=manager, stage=Stage.INTRODUCTION, activation_date=activation)

    generate()

    plans = plans_of(customer, Purpose.INTRODUCTION_CHECK)
    if expected is None:
        assert plans == []
    else:
        assert windows(plans) == [("introduction", *expected, Channel.PHONE)]
        assert plans[0].notes is None


def test_ported_in_customers_get_extra_help_noted(manager, make_customer, generate, plans_of):
    customer = make_customer(manager=manager, activation_date=date(2027, 2, 27), ported_in=True)

    generate()

    assert plans_of(customer, Purpose.INTRODUCTION_CHECK)[0].notes == "携号转网客户: extra help"


def test_churned_and_unassigned_customers_get_no_plans(manager, make_customer, generate, plans_of):
    occasions = {
        "birthday": date(1980, 3, 10),
        "contract_end_date": date(2027, 3, 20),
        "activation_date": date(2027, 2, 27),
    }
    churned = make_customer(manager=manager, stage=Stage.CHURNED, **occasions)
    unassigned = make_customer(**occasions)
    warning = make_customer(
        manager=manager, stage=Stage.WARNING, id=routine_due_id(TODAY, 90), **occasions
    )

    generate()

    assert plans_of(churned) == []
    assert plans_of(unassigned) == []
    # A customer in the warning stage is still cared for.
    assert {p.purpose for p in plans_of(warning)} == {
        Purpose.ROUTINE,
        Purpose.BIRTHDAY,
        Purpose.CONTRACT_EXPIRY,
        Purpose.INTRODUCTION_CHECK,
    }


def test_only_the_given_customers(manager, make_customer, generate, plans_of):
    chosen = make_customer(manager=manager, id=routine_due_id(TODAY, 90))
    other = make_customer(manager=manager, id=routine_due_id(TODAY, 90))

    counts = generate(customer_ids=[chosen.id])

    assert counts["routine"] == 1
    assert len(plans_of(chosen)) == 1
    assert plans_of(other) == []


# --- reassignment -----------------------------------------------------------------


def test_reassign_moves_open_plans_only(
    make_team, make_user, make_customer, in_app, plans_of, add_plan
):
    team = make_team()
    old, new = make_user(Role.MANAGER, team=team), make_user(Role.MANAGER, team=team)
    customer = make_customer(manager=old)
    planned = add_plan(customer, due_from=date(2027, 3, 1), due_to=date(2027, 3, 8))
    missed = add_plan(
        customer, due_from=date(2027, 2, 1), due_to=date(2027, 2, 8), status=PlanStatus.MISSED
    )
    done = add_plan(
        customer,
        due_from=date(2027, 1, 1),
        due_to=date(2027, 1, 8),
        status=PlanStatus.DONE,
        completed_at=datetime(2027, 1, 2, tzinfo=UTC),
    )

    with in_app():
        moved = reassign_open_plans(customer.id, new.id)
        db.session.commit()

    assert moved == 2
    owners = {p.id: p.owner_id for p in plans_of(customer)}
    assert owners == {planned.id: new.id, missed.id: new.id, done.id: old.id}


# --- bounded queries --------------------------------------------------------------


def test_statement_count_does_not_grow_with_customers(
    manager, make_customer, in_app, add_visit, add_plan
):
    created = 0

    def statements_for(customers: int) -> int:
        nonlocal created
        created += customers
        for i in range(customers):
            customer = make_customer(
                manager=manager,
                birthday=date(1980, 3, 10 + i % 15),
                contract_end_date=date(2027, 3, 20),
            )
            add_visit(customer, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
            add_plan(
                customer,
                due_from=date(2026, 12, 1),
                due_to=date(2026, 12, 5),
                status=PlanStatus.DONE,
                completed_at=datetime(2026, 12, 1, 3, tzinfo=UTC),
            )
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        with in_app():
            engine = db.session.get_bind()
            event.listen(engine, "before_cursor_execute", count)
            try:
                counts = generate_plans(TODAY)
                db.session.flush()
            finally:
                event.remove(engine, "before_cursor_execute", count)
            db.session.rollback()
        assert counts["routine"] == created
        return len(seen)

    few = statements_for(3)
    many = statements_for(30)
    assert many == few
    assert few <= 12, few
