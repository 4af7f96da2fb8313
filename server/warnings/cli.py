"""`fieldbook warnings ...`"""

from datetime import datetime

import click
from flask.cli import AppGroup

from server.errors import ApiError
from server.extensions import db
from server.warnings import services

warnings_cli = AppGroup("warnings", help="Churn early warnings.")


@warnings_cli.command("scan")
@click.option(
    "--month",
    type=click.DateTime(formats=["%Y-%m"]),
    help="The billing month to judge (YYYY-MM); default: the latest with bills.",
)
def scan_cmd(month: datetime | None) -> None:
    """Judge every assigned customer's bills and complaints (idempotent; cron-able)."""
    try:
        counts = services.scan_warnings(month=month.date() if month else None)
    except ApiError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    db.session.commit()
    click.echo(
        f"month: {counts['month'] or 'none'}, customers scanned: {counts['customers_scanned']},"
        f" warnings opened: {counts['warnings_opened']},"
        f" warnings joined: {counts['warnings_joined']},"
        f" reasons added: {counts['reasons_added']}"
    )
