"""Model-based test of the sync protocol (docs/sync.md): phones, a lead, and chaos.

A hypothesis state machine plays two or three phones of one team's managers (one
manager may carry two; in one layout the lead carries the third) against the real
API. Phones queue changes offline, push (sometimes losing the answer and sending
the same batch again; old batches get replayed), pull one page at a time
(sometimes dying before saving the cursor), and get signed out when their session
expires or is revoked. Meanwhile the lead, at the desk, edits customers and tasks,
moves customers between managers and the pool, and applies or dismisses the
changes that lost their customer.

When everything settles (every phone signed in, its outbox acknowledged, pulls
until a whole round brings nothing), the promises of docs/sync.md must hold:

1. each phone holds exactly the server's view of its user's scope, row by row;
2. no row of a customer outside that scope is left on a phone;
3. every change ever queued has a stored result (applied, rejected or conflict),
   every answer to a resent batch equals the first answer, and the effect of each
   applied change exists exactly once (and that of a refused one not at all).

The phones keep pulled rows only: a change they queue shows on them once a pull
brings it back (a real client overlays its outbox on top). Row ids, the server's
too, come from a counter per example, and the search has a fixed seed, so CI runs
the same examples every time. To hunt for bugs: SYNC_MODEL_RANDOM=1 (a new seed each
run) or SYNC_MODEL_SEED=n, with SYNC_MODEL_EXAMPLES and SYNC_MODEL_STEPS;
SYNC_MODEL_TRACE=1 (with -s) prints the rules run.
"""

import functools
import itertools
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from server.auth.models import DeviceSession, Role, User
from server.auth.services import _hash_token, create_user, revoke_all_sessions
from server.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    IntakeChannel,
    Severity,
)
from server.customers.models import Customer, CustomerKind, MonthlySpend, Stage, Tier
from server.extensions import db
from server.models_base import utcnow
from server.plans.models import CarePlan, Channel, Purpose
from server.sync.models import SyncConflict, SyncDevice, SyncMutation
from server.tasks.models import Task, TaskStatus
from server.team.models import Team
from server.visits.models import Visit, VisitRevision
from tests.conftest import PASSWORD, AuthActions, _empty_tables
from tests.sync_helpers import ENTITIES, Device, server_view, settle

PUSH = "/api/v1/sync/push"
STATUSES = {"applied", "rejected", "conflict"}
# Who carries a phone: indexes into the team's managers; "lead" is the team's lead.
LAYOUTS = [(0, 1), (0, 0, 1), (0, 1, 2), (0, 1, "lead")]
TITLES = ("Call back", "Bring the contract", "Check the router")
NOTES = ("爱打羽毛球", "Prefers WeChat", "Moving in March", None)


@dataclass
class Phone:
    """One device: pulled rows and cursor (`store`), an outbox, and what it ever queued."""

    name: str
    username: str
    user_id: uuid.UUID
    store: Device
    next_seq: int = 1
    mid_round: bool = False  # the saved cursor stopped inside a round
    outbox: list[dict] = field(default_factory=list)
    queued: list[dict] = field(default_factory=list)
    sent: list[list[dict]] = field(default_factory=list)  # batches the server answered
    told: dict[str, dict] = field(default_factory=dict)  # conflicts push answers showed

    @property
    def client(self) -> FlaskClient:
        return self.store.client

    def sign_in(self) -> None:
        assert AuthActions(self.client).login(self.username).status_code == 200


def step(method):
    """Marks the machine broken while a rule runs: teardown then skips the final checks."""

    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        self.broken = True
        if os.environ.get("SYNC_MODEL_TRACE"):
            print("STEP", method.__name__)
        method(self, *args, **kwargs)
        self.broken = False

    return wrapped


def pick(items: list, index: int):
    return items[index % len(items)] if items else None


class SyncWorld(RuleBasedStateMachine):
    app = None  # set by the test function, which has the `app` fixture
    current: "SyncWorld | None" = None  # the machine whose ids uuid4 hands out

    def __init__(self):
        super().__init__()
        SyncWorld.current = self
        self.broken = False
        self.ids = itertools.count(1)
        self.phones: list[Phone] = []
        # Every answer the server gave to a (device, seq), lost or not.
        self.answers: dict[tuple[uuid.UUID, int], dict] = {}

    # --- helpers ----------------------------------------------------------------

    def new_id(self) -> uuid.UUID:
        # Deterministic (so a failing example replays) but not in creation order, so
        # keyset pages cut through old and new rows alike.
        return uuid.UUID(int=(next(self.ids) * 0x9E3779B97F4A7C15F39CC0605CEDC835) % 2**128)

    def in_app(self):
        return self.app.app_context()

    def queue(self, phone: Phone, name: str, args: dict, **extra) -> None:
        """Write a change to the phone's outbox, as the app does when offline.

        Seqs follow on without gaps: the server refuses a batch that skips one."""
        mutation = {
            "id": str(self.new_id()),
            "seq": phone.next_seq,
            "name": name,
            "args": args,
            "client_time": utcnow().isoformat(),
            **extra,
        }
        phone.next_seq += 1
        phone.outbox.append(mutation)
        phone.queued.append(mutation)

    def known_tasks(self, phone: Phone) -> list[dict]:
        """Tasks the phone can edit: pulled ones, and the ones it created offline."""
        tasks = {tid: dict(row) for tid, row in phone.store.rows["tasks"].items()}
        for m in phone.queued:
            if m["name"] == "create_task" and m["args"]["id"] not in tasks:
                tasks[m["args"]["id"]] = {
                    "id": m["args"]["id"],
                    "title": m["args"]["title"],
                    "status": "open",
                    "version": 1,
                }
        return [tasks[k] for k in sorted(tasks)]

    def known_complaints(self, phone: Phone) -> list[str]:
        ids = set(phone.store.rows["complaints"])
        ids |= {m["args"]["id"] for m in phone.queued if m["name"] == "log_complaint"}
        return sorted(ids)

    def customers_of(self, phone: Phone) -> list[str]:
        return sorted(phone.store.rows["customers"])

    def device_row(self, phone: Phone) -> tuple[int, int]:
        """The server's last_seq for the phone and how many results it stored."""
        with self.in_app():
            device = db.session.get(SyncDevice, phone.store.id)
            stored = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(SyncMutation)
                .where(SyncMutation.device_id == phone.store.id)
            )
            return (device.last_seq if device else 0), stored

    # --- the world ----------------------------------------------------------------

    @initialize(layout=st.sampled_from(LAYOUTS))
    @step
    def build(self, layout):
        """A team: a lead, three managers with two customers each, one in the pool.

        Each manager's first customer has open and finished work, a visit and a
        complaint; every customer a month of spend. The phones then sync once.
        """
        tag = self.new_id().hex[:8]
        now = utcnow()
        with self.in_app():
            team = Team(name=f"Team {tag}")
            db.session.add(team)
            db.session.flush()

            def person(role, name):
                user = create_user(
                    username=f"{name}_{tag}",
                    display_name=name,
                    role=role,
                    password=PASSWORD,
                    team=team,
                )
                return user.id, user.username

            self.lead_id, self.lead_name = person(Role.LEAD, "lead")
            self.managers = [person(Role.MANAGER, f"mgr{i}") for i in range(3)]
            tier = db.session.scalar(sa.select(Tier).where(Tier.code == "gold"))
            category = db.session.scalar(sa.select(ComplaintCategory).limit(1))
            self.category = category.code
            owners = [m for m, _ in self.managers for _ in range(2)] + [None]
            self.customer_ids = []
            for n, owner in enumerate(owners):
                customer = Customer(
                    id=self.new_id(),
                    external_no=f"M{tag}{n:02d}",
                    name=f"客户{n}",
                    phone=f"1390000{n:04d}",
                    kind=CustomerKind.INDIVIDUAL,
                    stage=Stage.MATURITY,
                    tier=tier,
                    manager_id=owner,
                    activation_date=date(2020, 1, 1),
                )
                db.session.add(customer)
                db.session.flush()
                self.customer_ids.append(customer.id)
                db.session.add(
                    MonthlySpend(
                        id=self.new_id(),
                        customer_id=customer.id,
                        month=now.date().replace(day=1),
                        service="mobile",
                        amount=Decimal("58.00"),
                    )
                )
                if owner is None or n % 2:
                    continue
                # A manager's first customer: open and finished work, a visit, a complaint.
                db.session.add_all(
                    [
                        Task(
                            id=self.new_id(),
                            owner_id=owner,
                            customer_id=customer.id,
                            title="Call back",
                            created_by_id=owner,
                        ),
                        Task(
                            id=self.new_id(),
                            owner_id=owner,
                            customer_id=customer.id,
                            title="Sent the offer",
                            status=TaskStatus.DONE,
                            completed_at=now,
                            created_by_id=owner,
                        ),
                        Task(
                            id=self.new_id(),
                            owner_id=owner,
                            title="Team meeting",
                            created_by_id=owner,
                        ),
                        CarePlan(
                            id=self.new_id(),
                            customer_id=customer.id,
                            owner_id=owner,
                            purpose=Purpose.ROUTINE,
                            channel=Channel.PHONE,
                            title="Routine call",
                            due_from=now.date(),
                            due_to=now.date() + timedelta(days=7),
                        ),
                    ]
                )
                visit = Visit(
                    id=self.new_id(),
                    customer_id=customer.id,
                    manager_id=owner,
                    channel=Channel.VISIT,
                    purpose=Purpose.ROUTINE,
                    started_at=now - timedelta(days=3),
                    notes="拜访",
                )
                complaint = Complaint(
                    id=self.new_id(),
                    customer_id=customer.id,
                    owner_id=owner,
                    category_id=category.id,
                    severity=Severity.MEDIUM,
                    intake_channel=IntakeChannel.IN_PERSON,
                    description="信号差",
                    received_at=now - timedelta(days=2),
                    deadline_at=now + timedelta(days=2),
                    logged_by_id=owner,
                )
                db.session.add_all([visit, complaint])
                db.session.flush()
                db.session.add_all(
                    [
                        VisitRevision(
                            id=self.new_id(),
                            visit_id=visit.id,
                            editor_id=owner,
                            changes={"notes": {"old": "", "new": "拜访"}},
                        ),
                        ComplaintEvent(
                            id=self.new_id(),
                            complaint_id=complaint.id,
                            actor_id=owner,
                            to_status=ComplaintStatus.RECEIVED,
                        ),
                    ]
                )
            db.session.commit()
            self.seeded = self.counts()

        self.lead = self.app.test_client()
        assert AuthActions(self.lead).login(self.lead_name).status_code == 200
        for n, who in enumerate(layout):
            user_id, username = (
                (self.lead_id, self.lead_name) if who == "lead" else self.managers[who]
            )
            store = Device(self.app.test_client(), device_id=self.new_id())
            phone = Phone(f"phone{n}:{username}", username, user_id, store)
            phone.sign_in()
            self.phones.append(phone)
        # The phones synced before they went offline.
        settle(self.app)
        for phone in self.phones:
            self.pull_round(phone)

    def counts(self) -> dict[str, int]:
        """Rows per table (inside an app context)."""
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Visit, Complaint, ComplaintEvent, Task, SyncConflict)
        }

    # --- offline changes ------------------------------------------------------------

    @rule(
        p=st.integers(0, 2),
        c=st.integers(0, 20),
        channel=st.sampled_from(["visit", "phone", "im"]),
        hours_ago=st.integers(0, 400),
        next_step=st.booleans(),
        backwards=st.booleans(),
    )
    @step
    def log_visit(self, p, c, channel, hours_ago, next_step, backwards):
        phone = pick(self.phones, p)
        customer = pick(self.customers_of(phone), c)
        if customer is None:
            return
        started = utcnow() - timedelta(hours=hours_ago)
        args = {
            "id": str(self.new_id()),
            "customer_id": customer,
            "channel": channel,
            "purpose": "routine",
            "started_at": started.isoformat(),
            "outcome": "Talked about the family plan",
        }
        if next_step:
            args["next_step"] = "Send the broadband offer"
        if backwards:  # refused: ends before it starts
            args["ended_at"] = (started - timedelta(minutes=5)).isoformat()
        self.queue(phone, "log_visit", args)

    @rule(
        p=st.integers(0, 2),
        c=st.integers(0, 20),
        title=st.sampled_from(TITLES),
        with_customer=st.booleans(),
    )
    @step
    def create_task(self, p, c, title, with_customer):
        phone = pick(self.phones, p)
        args = {"id": str(self.new_id()), "title": title}
        if with_customer:
            customer = pick(self.customers_of(phone), c)
            if customer is None:
                return
            args["customer_id"] = customer
        self.queue(phone, "create_task", args)

    @rule(
        p=st.integers(0, 2),
        t=st.integers(0, 30),
        title=st.none() | st.sampled_from(TITLES),
        status=st.none() | st.sampled_from(["open", "done", "cancelled"]),
    )
    @step
    def update_task(self, p, t, title, status):
        phone = pick(self.phones, p)
        task = pick(self.known_tasks(phone), t)
        changes = {k: v for k, v in (("title", title), ("status", status)) if v is not None}
        if task is None or not changes:
            return
        self.queue(
            phone,
            "update_task",
            {"id": task["id"], "changes": changes, "base": {k: task[k] for k in changes}},
            base_version=task["version"],
        )

    @rule(p=st.integers(0, 2), c=st.integers(0, 20), notes=st.sampled_from(NOTES))
    @step
    def edit_profile(self, p, c, notes):
        phone = pick(self.phones, p)
        customer = pick(sorted(phone.store.rows["customers"].values(), key=lambda r: r["id"]), c)
        if customer is None:
            return
        self.queue(
            phone,
            "update_customer_profile",
            {
                "id": customer["id"],
                "changes": {"notes": notes},
                "base": {"notes": customer["notes"]},
            },
            base_version=customer["version"],
        )

    @rule(
        p=st.integers(0, 2),
        c=st.integers(0, 20),
        severity=st.sampled_from(["low", "medium", "high"]),
        heard_hours_ago=st.none() | st.integers(-3, 500),
    )
    @step
    def log_complaint(self, p, c, severity, heard_hours_ago):
        phone = pick(self.phones, p)
        customer = pick(self.customers_of(phone), c)
        if customer is None:
            return
        args = {
            "id": str(self.new_id()),
            "customer_id": customer,
            "category": self.category,
            "severity": severity,
            "intake_channel": "in_person",
            "description": "宽带每晚断线",
        }
        if heard_hours_ago is not None:  # negative: the phone's clock runs ahead
            args["received_at"] = (utcnow() - timedelta(hours=heard_hours_ago)).isoformat()
        self.queue(phone, "log_complaint", args)

    @rule(
        p=st.integers(0, 2),
        k=st.integers(0, 20),
        to=st.sampled_from(["in_progress", "in_progress", "resolved", "informed", "closed"]),
        complete=st.integers(0, 3),
    )
    @step
    def transition_complaint(self, p, k, to, complete):
        phone = pick(self.phones, p)
        complaint = pick(self.known_complaints(phone), k)
        if complaint is None:
            return
        args = {"id": complaint, "to": to}
        # Mostly what the service asks for; sometimes a field is missing (refused).
        if complete and to == "resolved":
            args["resolution"] = "Replaced the router"
        if complete and to == "closed":
            args["satisfaction"] = 4
        self.queue(phone, "transition_complaint", args)

    @rule(p=st.integers(0, 2), k=st.integers(0, 20))
    @step
    def note_complaint(self, p, k):
        phone = pick(self.phones, p)
        complaint = pick(self.known_complaints(phone), k)
        if complaint is not None:
            self.queue(phone, "add_complaint_note", {"id": complaint, "note": "Engineer booked"})

    @rule(p=st.integers(0, 2), t=st.integers(0, 30))
    @step
    def complete_task(self, p, t):
        phone = pick(self.phones, p)
        task = pick(self.known_tasks(phone), t)
        if task is not None:
            self.queue(phone, "complete_task", {"id": task["id"]})

    @rule(p=st.integers(0, 2), k=st.integers(0, 20), restore=st.booleans())
    @step
    def resolve_field_conflict(self, p, k, restore):
        """The user looks at a conflict the phone pulled and keeps or restores a value."""
        phone = pick(self.phones, p)
        known = {**phone.told, **phone.store.rows["sync_conflicts"]}
        conflicts = sorted(
            cid for cid, row in known.items() if row["kind"] == "field" and row["status"] == "open"
        )
        conflict = pick(conflicts, k)
        if conflict is not None:
            choice = "restored" if restore else "kept"
            self.queue(phone, "resolve_conflict", {"id": conflict, "choice": choice})

    # --- the network ----------------------------------------------------------------

    def push_batch(self, phone: Phone, batch: list[dict], lose: bool) -> bool:
        """Send a batch; True when the server answered it."""
        before = self.device_row(phone)
        response = phone.client.post(
            PUSH,
            json={"device_id": str(phone.store.id), "schema_version": 2, "mutations": batch},
        )
        if response.status_code == 401:
            # Nothing applied, nothing acknowledged; the outbox stays as it is.
            assert self.device_row(phone) == before
            phone.sign_in()
            return False
        assert response.status_code == 200, response.json
        body = response.json
        assert [(r["id"], r["seq"]) for r in body["results"]] == [
            (m["id"], m["seq"]) for m in batch
        ]
        for result in body["results"]:
            assert result["status"] in STATUSES, result
            assert result["code"] not in ("already_acknowledged", "seq_reused"), result
            key = (phone.store.id, result["seq"])
            # A resent mutation is answered with its first answer, unchanged.
            assert self.answers.setdefault(key, result) == result
        assert body["last_acknowledged_seq"] >= max(m["seq"] for m in batch)
        phone.sent.append(batch)
        if not lose:
            for result in body["results"]:
                phone.told.update((c["id"], c) for c in result.get("conflicts", []))
            ack = body["last_acknowledged_seq"]
            phone.outbox = [m for m in phone.outbox if m["seq"] > ack]
        return True

    @rule(p=st.integers(0, 2), size=st.integers(1, 8), lose=st.booleans())
    @step
    def push(self, p, size, lose):
        """Push a batch; with `lose`, the answer never reaches the phone (it resends)."""
        phone = pick(self.phones, p)
        if phone.outbox:
            self.push_batch(phone, phone.outbox[:size], lose)

    @rule(p=st.integers(0, 2), b=st.integers(0, 50))
    @step
    def replay(self, p, b):
        """A proxy (or a confused app) sends an old batch again: nothing applies twice."""
        phone = pick(self.phones, p)
        batch = pick(phone.sent, b)
        if batch is not None:
            self.push_batch(phone, batch, lose=True)

    def pull_page(self, phone: Phone, limit: int, crash: bool = False) -> dict | None:
        """One page, stored; the cursor saved unless the phone dies first. None on 401."""
        response = phone.store.fetch(limit)
        if response.status_code == 401:
            phone.sign_in()
            return None
        if response.status_code == 410:
            # The client duty: keep the outbox, clear the rest, pull from scratch.
            assert response.json["error"]["code"] == "reset_required"
            phone.store.rows.clear()
            phone.store.cursor = None
            phone.mid_round = False
            return None
        assert response.status_code == 200, response.json
        body = response.json
        phone.store.apply(body["changes"])
        if not crash:
            phone.store.cursor = body["cursor"]
            phone.mid_round = body["has_more"]
            # The server recorded these: the phone may forget them.
            ack = body["last_acknowledged_seq"]
            phone.outbox = [m for m in phone.outbox if m["seq"] > ack]
        return body

    @rule(p=st.integers(0, 2), limit=st.sampled_from([3, 11, 500]), crash=st.booleans())
    @step
    def pull(self, p, limit, crash):
        """One page; with `crash`, the phone stores it but dies before saving the cursor."""
        self.pull_page(pick(self.phones, p), limit, crash)

    @rule(p=st.integers(0, 2), revoke_all=st.booleans())
    @step
    def session_ends(self, p, revoke_all):
        """The session expires (or an admin signs the user out everywhere), unnoticed."""
        phone = pick(self.phones, p)
        with phone.client.session_transaction() as session:
            token = session["_user_id"]
        with self.in_app():
            if revoke_all:
                revoke_all_sessions(phone.user_id)
            else:
                ds = db.session.scalar(
                    sa.select(DeviceSession).where(DeviceSession.token_hash == _hash_token(token))
                )
                ds.expires_at = utcnow() - timedelta(seconds=1)
            db.session.commit()

    # --- the office -------------------------------------------------------------------

    def office(self, method: str, url: str, body: dict) -> dict:
        """A request from the lead's desk (whose session a phone's revocation may end)."""
        response = self.lead.open(url, method=method, json=body)
        if response.status_code == 401:
            assert AuthActions(self.lead).login(self.lead_name).status_code == 200
            response = self.lead.open(url, method=method, json=body)
        assert response.status_code == 200, response.json
        return response.json

    @rule(c=st.integers(0, 20), to=st.integers(0, 3))
    @step
    def reassign(self, c, to):
        """The lead gives a customer to another manager, or back to the pool (to=3)."""
        customer = pick(self.customer_ids, c)
        manager = str(self.managers[to][0]) if to < 3 else None
        self.office(
            "POST",
            f"/api/v1/customers/{customer}/assign",
            {"manager_id": manager, "reason": "rebalance"},
        )

    @rule(c=st.integers(0, 20), notes=st.sampled_from(NOTES))
    @step
    def lead_edits_customer(self, c, notes):
        customer = pick(self.customer_ids, c)
        self.office("PATCH", f"/api/v1/customers/{customer}", {"notes": notes})

    @rule(t=st.integers(0, 30), title=st.sampled_from(TITLES))
    @step
    def lead_edits_task(self, t, title):
        with self.in_app():
            tasks = sorted(str(i) for i in db.session.scalars(sa.select(Task.id)))
        self.office("PATCH", f"/api/v1/tasks/{pick(tasks, t)}", {"title": title})

    @rule(k=st.integers(0, 20), apply=st.booleans())
    @step
    def lead_resolves(self, k, apply):
        """The lead applies (as themself) or dismisses a change that lost its customer."""
        with self.in_app():
            open_ = sorted(
                str(c)
                for c in db.session.scalars(
                    sa.select(SyncConflict.id).where(
                        SyncConflict.kind == "lost_access", SyncConflict.status == "open"
                    )
                )
            )
        conflict = pick(open_, k)
        if conflict is None:
            return
        url = f"/api/v1/sync/conflicts/{conflict}/resolve"
        body = {"choice": "applied" if apply else "dismissed"}
        response = self.lead.post(url, json=body)
        if response.status_code == 401:
            assert AuthActions(self.lead).login(self.lead_name).status_code == 200
            response = self.lead.post(url, json=body)
        # Applying re-runs the change as the lead, who may be refused like anyone.
        assert response.status_code in (200, 409, 422), response.json

    # --- when everything settles ------------------------------------------------------

    def pull_round(self, phone: Phone) -> int:
        """Pull pages until a round ends; the number of changes it brought."""
        changes = 0
        for _ in range(200):
            body = self.pull_page(phone, 500)
            if body is None:  # signed in again, or told to reset: not a quiet round
                changes = 1
                continue
            changes += len(body["changes"])
            if not body["has_more"]:
                return changes
        raise AssertionError(f"{phone.name}: a round never ended")

    def settle_everything(self) -> None:
        for phone in self.phones:
            for _ in range(50):
                if not phone.outbox:
                    break
                self.push_batch(phone, phone.outbox[:50], lose=False)
            assert not phone.outbox, f"{phone.name}: outbox never drained"
        # Every commit so far must be below the watermark before the last rounds.
        settle(self.app, timeout=60)
        for phone in self.phones:
            if phone.mid_round:
                # The rest of a round begun before the last changes says nothing.
                self.pull_round(phone)
            for _ in range(10):
                if self.pull_round(phone) == 0:
                    break
            else:
                raise AssertionError(f"{phone.name}: pulls never settled")

    def teardown(self):
        try:
            if self.phones and not self.broken:
                self.settle_everything()
                self.check()
        finally:
            with self.in_app():
                db.session.remove()
                _empty_tables()

    def check(self) -> None:
        for phone in self.phones:
            self.check_scope(phone)
        self.check_results()

    def check_scope(self, phone: Phone) -> None:
        with self.in_app():
            user = db.session.get(User, phone.user_id)
        expected = server_view(self.in_app, user)
        held = phone.store.copy()
        assert set(phone.store.rows) <= set(ENTITIES), phone.name
        for entity in ENTITIES:
            assert held[entity] == expected[entity], f"{phone.name}: {entity} differs"
        # Nothing of a customer out of scope, except the user's own tasks (finished work
        # keeps its owner) and conflicts (what the user entered, kept for them).
        visible = set(expected["customers"])
        for entity, rows in phone.store.rows.items():
            for row in rows.values():
                if row.get("customer_id") in (None, *visible) or entity == "sync_conflicts":
                    continue
                assert entity == "tasks" and row["owner_id"] == str(phone.user_id), (
                    phone.name,
                    entity,
                    row,
                )

    def check_results(self) -> None:
        with self.in_app():
            stored = {(s.device_id, s.seq): s for s in db.session.scalars(sa.select(SyncMutation))}
            applied: dict[str, list[dict]] = {}
            outcome: dict[str, str] = {}
            for phone in self.phones:
                for m in phone.queued:
                    row = stored.get((phone.store.id, m["seq"]))
                    assert row is not None, f"{phone.name}: seq {m['seq']} has no result"
                    assert str(row.mutation_id) == m["id"]
                    assert row.status.value in STATUSES
                    assert row.result == self.answers[(phone.store.id, m["seq"])]
                    outcome[m["id"]] = row.status.value
                    if row.status.value == "applied":
                        applied.setdefault(m["name"], []).append(m)
                    conflicts = db.session.scalars(
                        sa.select(SyncConflict).where(SyncConflict.mutation_id == row.mutation_id)
                    ).all()
                    # A conflict keeps what was lost; nothing else makes conflict rows.
                    assert bool(conflicts) == (row.status.value == "conflict"), m
            # A change kept for the lead and applied by them took effect too.
            for conflict in db.session.scalars(
                sa.select(SyncConflict).where(
                    SyncConflict.kind == "lost_access", SyncConflict.resolution == "applied"
                )
            ):
                kept = conflict.args
                assert outcome[kept["id"]] == "conflict"
                outcome[kept["id"]] = "applied"
                applied.setdefault(kept["name"], []).append(kept)
            # Nothing recorded that no phone queued.
            assert len(stored) == sum(len(p.queued) for p in self.phones)

            def exists(model, row_id: str) -> bool:
                return db.session.get(model, uuid.UUID(row_id)) is not None

            for phone in self.phones:
                for m in phone.queued:
                    created = {"log_visit": Visit, "log_complaint": Complaint, "create_task": Task}
                    if m["name"] in created:
                        made = exists(created[m["name"]], m["args"]["id"])
                        assert made == (outcome[m["id"]] == "applied"), m

            visits = applied.get("log_visit", [])
            follow_ups = Counter(
                str(v)
                for v in db.session.scalars(
                    sa.select(Task.source_visit_id).where(Task.source_visit_id.is_not(None))
                )
            )
            assert follow_ups == Counter(
                m["args"]["id"] for m in visits if m["args"].get("next_step")
            )
            counts = self.counts()
            assert counts["visits"] == self.seeded["visits"] + len(visits)
            assert counts["complaints"] == self.seeded["complaints"] + len(
                applied.get("log_complaint", [])
            )
            assert counts["tasks"] == (
                self.seeded["tasks"]
                + len(applied.get("create_task", []))
                + sum(follow_ups.values())
            )
            # One event per complaint logged, per transition and per note applied.
            events = Counter(
                str(c) for c in db.session.scalars(sa.select(ComplaintEvent.complaint_id))
            )
            expected = Counter(str(c) for c in db.session.scalars(sa.select(Complaint.id)))
            for name in ("transition_complaint", "add_complaint_note"):
                expected.update(m["args"]["id"] for m in applied.get(name, []))
            assert events == expected


_real_uuid4 = uuid.uuid4


def _next_uuid() -> uuid.UUID:
    world = SyncWorld.current
    return world.new_id() if world is not None else _real_uuid4()


@pytest.fixture
def deterministic_ids(app, monkeypatch):
    """Row ids the server makes come from the running example's counter too.

    Pages are cut by id, so random ids would make an example behave differently
    when hypothesis replays it to shrink a failure (or CI runs it again).
    """
    monkeypatch.setattr(uuid, "uuid4", _next_uuid)
    with app.app_context():
        tables = db.metadata.sorted_tables
    for table in tables:
        for column in table.columns:
            default = column.default
            if getattr(getattr(default, "arg", None), "__wrapped__", None) is _real_uuid4:
                monkeypatch.setattr(default, "arg", lambda ctx: _next_uuid())
    yield
    SyncWorld.current = None


@pytest.mark.committed
def test_phones_end_with_the_servers_view_and_nothing_queued_is_lost(app, deterministic_ids):
    SyncWorld.app = app
    # Hypothesis leaves some rules out of each example (swarm testing): with fewer
    # examples, whole rules (reassignment) went unexercised and a pull that forgot
    # customers leaving the scope passed.
    examples = int(os.environ.get("SYNC_MODEL_EXAMPLES", "50"))
    machine = SyncWorld
    if not os.environ.get("SYNC_MODEL_RANDOM"):
        # A fixed seed: CI runs the same examples every time (and a failure replays).
        machine = seed(int(os.environ.get("SYNC_MODEL_SEED", "1")))(SyncWorld)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=int(os.environ.get("SYNC_MODEL_STEPS", "30")),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
