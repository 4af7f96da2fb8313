"""Out-of-order commits are never skipped by a pull (docs/sync.md, Change stamps).

PostgreSQL hands out transaction ids when a transaction first writes, not when it
commits, so a transaction with a smaller stamp can commit after a pull has served
larger ones. These tests hold real transactions open on their own connections
while a device pulls. SQLite has a single writer, so the race cannot happen there.
"""

import os
import random
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.customers.models import Customer
from server.extensions import db
from server.stamps import stamp_for
from server.sync.pull import Cursor
from server.tasks.models import Task
from tests.test_sync_pull import Device, server_view, settle, signed_in

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.committed,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
        reason="concurrent writers need PostgreSQL; SQLite serialises every writer",
    ),
]


def _engine(app):
    with app.app_context():
        return db.engine


def _add_task(conn, manager_id: uuid.UUID, customer_id: uuid.UUID, title: str) -> uuid.UUID:
    """A task written through Core on `conn`: the column defaults stamp it."""
    task_id = uuid.uuid4()
    conn.execute(
        sa.insert(Task),
        {
            "id": task_id,
            "owner_id": manager_id,
            "customer_id": customer_id,
            "title": title,
            "created_by_id": manager_id,
            "status": "open",
        },
    )
    return task_id


@pytest.fixture
def portfolio(make_team, make_user, make_customer):
    team = make_team()
    manager = make_user(Role.MANAGER, team=team)
    customers = [make_customer(manager=manager) for _ in range(24)]
    return manager, customers


def test_a_transaction_that_commits_late_is_served_after_it_commits(app, in_app, portfolio):
    manager, customers = portfolio
    engine = _engine(app)
    device = Device(signed_in(app, manager.username))
    device.sync()

    with engine.connect() as early, engine.connect() as late:
        early.begin()
        t1 = _add_task(early, manager.id, customers[0].id, "early stamp, late commit")
        early_stamp = stamp_for(early)
        with late.begin():
            t2 = _add_task(late, manager.id, customers[1].id, "late stamp, early commit")
            assert stamp_for(late) > early_stamp

        # T2 is committed, T1 still open: the pull must not move past T1's stamp.
        device.page(wait=False)
        device.page(wait=False)
        assert Cursor.decode(device.cursor).lo <= early_stamp
        assert str(t1) not in device.ids("tasks")
        assert str(t2) not in device.ids("tasks")

        early.commit()

    changes = device.sync()
    changes += device.sync()  # a round that starts after T1's commit
    served = {c["id"] for c in changes if c["entity"] == "tasks"}
    assert {str(t1), str(t2)} <= served
    assert device.copy() == server_view(in_app, manager)


WRITERS = 6
ROUNDS = 3


def test_writers_committing_in_random_order_while_a_device_pulls(app, in_app, portfolio):
    manager, customers = portfolio
    engine = _engine(app)
    device = Device(signed_in(app, manager.username))
    device.sync()

    rng = random.Random(20261125)
    plans = [
        # Each writer owns a slice of the customers, so no writer waits on another's locks.
        {
            "customers": customers[w::WRITERS],
            "holds": [rng.uniform(0.0, 0.25) for _ in range(ROUNDS)],
            "gaps": [rng.uniform(0.0, 0.1) for _ in range(ROUNDS)],
        }
        for w in range(WRITERS)
    ]
    plans[0]["holds"][0] = 0.6  # starts first, commits last
    commits: list[tuple[int, int]] = []  # (stamp, writer) in commit order
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS + 1)

    def writer(w: int) -> None:
        plan = plans[w]
        try:
            start.wait()
            if w:
                time.sleep(0.05)  # let writer 0 take the oldest stamp
            with engine.connect() as conn:
                for r in range(ROUNDS):
                    transaction = conn.begin()
                    for i, customer in enumerate(plan["customers"]):
                        _add_task(conn, manager.id, customer.id, f"w{w} r{r} #{i}")
                        conn.execute(
                            sa.update(Customer)
                            .where(Customer.id == customer.id)
                            .values(notes=f"written by w{w} in round {r}")
                        )
                    stamp = stamp_for(conn)
                    time.sleep(plan["holds"][r])
                    with lock:  # records the exact order the commits happen in
                        transaction.commit()
                        commits.append((stamp, w))
                    time.sleep(plan["gaps"][r])
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    start.wait()
    pulls = 0
    deadline = time.monotonic() + 20
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        device.page(limit=rng.choice([3, 10, 50, 500]), wait=False)
        pulls += 1
        time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert len(commits) == WRITERS * ROUNDS
    assert pulls >= 5

    # The race did happen: some transaction committed after one with a larger stamp.
    stamps_in_commit_order = [stamp for stamp, _ in commits]
    assert stamps_in_commit_order != sorted(stamps_in_commit_order)

    # Everyone has committed: pull until a whole round brings nothing new.
    for _ in range(10):
        settle(app)
        if not device.sync(limit=50):
            break
    expected = server_view(in_app, manager)
    assert len(expected["tasks"]) == WRITERS * ROUNDS * len(customers) // WRITERS
    assert device.copy() == expected
    notes = {row["notes"] for row in device.rows["customers"].values()}
    assert notes == {f"written by w{w} in round {ROUNDS - 1}" for w in range(WRITERS)}
