"""Names spelled in pinyin on the server, for the phone's search (server/customers/pinyin.py)."""

import importlib.util
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.customers.models import Contact, Customer, CustomerKind
from server.customers.pinyin import name_pinyin
from server.extensions import db
from tests.sync_helpers import Device, settle, signed_in

MIGRATION = Path(__file__).parents[1] / "migrations" / "versions" / "0012_name_pinyin.py"


@pytest.mark.parametrize(
    ("name", "spelled"),
    [
        ("张芳", "zhang fang"),
        ("陈", "chen"),
        # A surname's own reading beside the dictionary's: 单 is shan as a surname.
        ("单田芳", "dan tian fang|shan tian fang"),
        ("曾小贤", "ceng xiao xian|zeng xiao xian"),
        # Not every reading of the character: 王 is wang, never yu.
        ("王五", "wang wu"),
        # ü as phone keyboards type it.
        ("吕方", "lv fang"),
        # The rest of a name in context: 重庆 is chong qing, 银行 yin hang.
        ("重庆银行", "chong qing yin hang"),
        # Letters and digits are words of their own.
        ("3M中国 ABC", "3m zhong guo abc"),
        ("  王五 ", "wang wu"),
        # Nothing to spell: the phone's plain name match finds these.
        ("John Smith", None),
        ("", None),
        (None, None),
    ],
)
def test_a_name_is_spelled_with_every_reading_of_its_surname(name, spelled):
    assert name_pinyin(name) == spelled


def spelled(in_app, model, row_id):
    with in_app():
        return db.session.scalar(
            sa.select(model.name_pinyin).where(model.id == uuid.UUID(str(row_id)))
        )


def test_the_pinyin_follows_every_write_of_a_name(
    client, auth, in_app, make_user, make_customer, team_setup
):
    lead = team_setup["lead_a"]
    customer = make_customer(manager=team_setup["mgr_a1"], name="陈静")
    assert spelled(in_app, Customer, customer.id) == "chen jing"

    auth.login(lead.username)
    renamed = client.patch(f"/api/v1/customers/{customer.id}", json={"name": "Chen Jing"})
    assert renamed.status_code == 200, renamed.json
    assert spelled(in_app, Customer, customer.id) is None
    client.patch(f"/api/v1/customers/{customer.id}", json={"name": "张伟"})
    assert spelled(in_app, Customer, customer.id) == "zhang wei"

    org = make_customer(
        manager=team_setup["mgr_a1"], name="华城酒店", kind=CustomerKind.ORGANISATION
    )
    url = f"/api/v1/customers/{org.id}/contacts"
    contact = client.post(url, json={"name": "钟芳"}).json
    assert spelled(in_app, Contact, contact["id"]) == "zhong fang"
    client.patch(f"{url}/{contact['id']}", json={"name": "李娜"})
    assert spelled(in_app, Contact, contact["id"]) == "li na"

    # An erased customer is no longer findable by its old name's sound.
    admin = make_user(Role.ADMIN)
    auth.login(admin.username)
    erased = client.post(
        f"/api/v1/customers/{customer.id}/erase", json={"confirm": customer.external_no}
    )
    assert erased.status_code == 200, erased.json
    number = customer.external_no.lower()
    assert spelled(in_app, Customer, customer.id) == f"yi shan chu ke hu {number}"


def test_an_import_spells_customers_and_their_decision_makers(client, auth, in_app, make_user):
    make_user(Role.ADMIN, username="admin_pinyin")
    auth.login("admin_pinyin")
    body = (
        "external_no,name,kind,tier,contact_name\n"
        "P1,单丽,individual,gold,\n"
        "P2,曾氏酒店,organisation,gold,吴敏\n"
    )
    response = client.post("/api/v1/imports/customers", data=body, content_type="text/csv")
    assert response.status_code == 200, response.json
    with in_app():
        rows = {
            c.external_no: c
            for c in db.session.scalars(
                sa.select(Customer).where(Customer.external_no.in_(["P1", "P2"]))
            )
        }
        assert rows["P1"].name_pinyin == "dan li|shan li"
        assert rows["P2"].name_pinyin == "ceng shi jiu dian|zeng shi jiu dian"
        assert [c.name_pinyin for c in rows["P2"].contacts] == ["wu min"]


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.committed
def test_the_migration_fills_existing_rows_and_the_next_pull_sends_them(
    app, in_app, make_customer, team_setup
):
    manager = team_setup["mgr_a1"]
    person = make_customer(manager=manager, name="陈芳")
    org = make_customer(manager=manager, name="Huacheng Hotel", kind=CustomerKind.ORGANISATION)
    with in_app():
        contact = Contact(customer_id=org.id, name="张芳")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id

    phone = Device(signed_in(app, manager.username))
    phone.sync()
    assert phone.rows["customers"][str(person.id)]["name_pinyin"] == "chen fang"
    assert phone.rows["contacts"][str(contact_id)]["name_pinyin"] == "zhang fang"
    assert phone.rows["customers"][str(org.id)]["name_pinyin"] is None

    # Rows as they were before migration 0012: no pinyin.
    with in_app():
        for table in (Customer.__table__, Contact.__table__):
            db.session.execute(sa.update(table).values(name_pinyin=None))
        db.session.commit()
    phone.sync()
    assert phone.rows["customers"][str(person.id)]["name_pinyin"] is None

    with in_app():
        versions = dict(db.session.execute(sa.select(Customer.id, Customer.version)).all())
        filled = _migration().backfill(db.session.connection())
        db.session.commit()
    # Two customers of team_setup's have Chinese names too (客户<n>), and so on: every
    # row with a Chinese name, and only those, was given its pinyin.
    with in_app():
        expected = sum(
            name_pinyin(name) is not None
            for model in (Customer, Contact)
            for name in db.session.scalars(sa.select(model.name))
        )
        assert filled == expected
        # An ordinary change for the phones, not a new version: no pending edit conflicts.
        assert dict(db.session.execute(sa.select(Customer.id, Customer.version)).all()) == versions

    settle(app)
    changes = phone.sync()
    assert {(c["entity"], c["id"]) for c in changes} >= {
        ("customers", str(person.id)),
        ("contacts", str(contact_id)),
    }
    assert ("customers", str(org.id)) not in {(c["entity"], c["id"]) for c in changes}
    assert phone.rows["customers"][str(person.id)]["name_pinyin"] == "chen fang"
    assert phone.rows["contacts"][str(contact_id)]["name_pinyin"] == "zhang fang"
