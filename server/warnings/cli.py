"""`fieldbook warnings ...`"""

from datetime import datetime

import click

from server.transaction import CommitEachChunk, UnitOfWorkGroup
from server.warnings import services

warnings_cli = UnitOfWorkGroup("warnings", help="Churn early warnings.")


@warnings_cli.command("scan")
@click.option(
    "--month",
    type=click.DateTime(formats=["%Y-%m"]),
    help="The billing month to judge (YYYY-MM); default: the latest with bills.",
)
def scan_cmd(month: datetime | None) -> None:
    """Judge every assigned customer's bills and complaints (idempotent; cron-able).

    Commits a chunk of customers at a time, as the background job does.
    """
    counts = services.scan_in_chunks(month.date() if month else None, CommitEachChunk())
    click.echo(
        f"month: {counts['month'] or 'none'}, customers scanned: {counts['customers_scanned']},"
        f" warnings opened: {counts['warnings_opened']},"
        f" warnings joined: {counts['warnings_joined']},"
        f" reasons added: {counts['reasons_added']}"
    )
