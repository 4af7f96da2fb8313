"""The schema the migrations build is the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db


def test_migrated_schema_matches_the_models(app):
    # The session fixture built this database with `alembic upgrade head`.
    with app.app_context():
        context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_seed_the_six_tier_scheme(client, auth, make_user):
    make_user(username="viewer")
    auth.login("viewer")
    tiers = client.get("/api/v1/tiers").json
    assert [t["code"] for t in tiers] == [
        "diamond",
        "emerald",
        "platinum",
        "sapphire",
        "gold",
        "crystal",
    ]


def test_the_migrations_form_one_line(app):
    """One head: `alembic upgrade head` (the demo, the deployment) reaches every migration.

    Work written in parallel adds sibling migrations on one parent; they are chained
    before they land, and this fails until they are.
    """
    from alembic.script import ScriptDirectory

    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len(script.get_bases()) == 1, script.get_bases()
