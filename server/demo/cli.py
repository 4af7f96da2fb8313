"""`fieldbook demo`: migrate, seed the demo data once, print the logins, serve."""

from pathlib import Path

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from server.auth.models import User
from server.demo.activity import seed_activity
from server.demo.churn import seed_churn_history, train_demo_model
from server.demo.reviews import seed_review_history
from server.demo.seed import DEFAULT_SEED, DEMO_PASSWORD, demo_usernames, seed_demo
from server.extensions import db
from server.models_base import utcnow
from server.timeutil import local_today
from server.transaction import unit_of_work


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to serve on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on.")
@click.option("--no-serve", is_flag=True, help="Set up and print the logins, but do not serve.")
@click.option("--reset", is_flag=True, help="Delete the SQLite demo database and start over.")
@with_appcontext
def demo_cmd(host: str, port: int, no_serve: bool, reset: bool) -> None:
    """Migrate, seed the demo data, print the demo logins and serve on 127.0.0.1:5000."""
    if reset:
        _reset_sqlite_database()
    _migrate()
    with unit_of_work():
        _seed_once()
    url = f"http://{host}:{port}"
    _print_logins()
    db.session.remove()
    click.echo(f"\nFieldbook: {url}   (API under {url}/api/v1)")
    if no_serve:
        return
    # app.run() refuses to start inside a `flask`/`fieldbook` command (it would block
    # the CLI); this is the same development server, started the way `flask run` does.
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


def _seed_once() -> None:
    if db.session.scalar(sa.select(User.id).limit(1)) is None:
        click.echo("Seeding the demo data (a few seconds)...")
        now = utcnow()
        today = local_today(now)
        summary = seed_demo(DEFAULT_SEED, today)
        activity = seed_activity(DEFAULT_SEED, today, now)
        reviews = seed_review_history(DEFAULT_SEED, today, now)
        churn = seed_churn_history(DEFAULT_SEED, now)
        model = train_demo_model()
        click.echo(
            f"Created {summary['customers']} customers ({summary['organisations']} organisations), "
            f"{summary['spend_rows']} monthly bills, {summary['users']} users."
        )
        click.echo(
            f"Logged {activity['visits']} visits, "
            f"{sum(activity['complaints'].values()) + reviews['complaints'] + churn['complaints']} "
            f"complaints, {sum(activity['plans'].values())} care plans, "
            f"{activity['tasks'].get('open', 0)} open tasks and "
            f"{activity['warnings'].get('open', 0)} open churn warnings."
        )
        click.echo(
            f"Reviewable history: {reviews['routine']} past routine plans, "
            f"{reviews['greetings']} birthday greetings, {reviews['targets']} campaign targets "
            f"in 6 campaigns, {reviews['complaints']} of the complaints closed last month; "
            f"last month configured as a review period."
        )
        click.echo(
            f"Churn model: {churn['leavers_complained']} leavers complained before leaving;"
            f" trained {model['runs']} run(s), {model['active']} active"
            f" (ROC AUC {model['auc']:.2f} against the spend rule's {model['rules_auc']:.2f}),"
            f" {model['warnings_opened']} model warnings opened."
        )
    else:
        click.echo("The database already has users: the demo data is already there, kept as is.")


def _migrate() -> None:
    """Apply pending migrations; a database already at the head revision is left alone.

    Checking first keeps Alembic's own connection out of a database that needs
    nothing (and out of the test suite's open transaction).
    """
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    current = MigrationContext.configure(db.session.connection()).get_current_heads()
    # End the read before Alembic opens its own connection: SQLite would lock it out.
    db.session.rollback()
    if set(current) != set(script.get_heads()):
        upgrade()


def _print_logins() -> None:
    names = demo_usernames()
    users = {
        u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))
    }
    if not users:
        click.echo("No demo accounts in this database (it was not seeded by `fieldbook demo`).")
        return
    click.echo(f"\nDemo logins, all with the password {DEMO_PASSWORD}:\n")
    click.echo(f"  {'username':<10} {'role':<8} {'password':<15} team")
    for name in names:
        user = users.get(name)
        if user is not None:
            team = user.team.name if user.team else "-"
            click.echo(f"  {name:<10} {user.role.value:<8} {DEMO_PASSWORD:<15} {team}")


def _reset_sqlite_database() -> None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            f"--reset only deletes a SQLite demo database; this one is {url.get_backend_name()}"
            f" ({url.render_as_string(hide_password=True)}). Drop it yourself if you mean it."
        )
    db.session.remove()
    db.engine.dispose()
    if url.database and url.database != ":memory:":
        path = Path(url.database)
        if path.exists():
            path.unlink()
            click.echo(f"Deleted the demo database {path}.")
