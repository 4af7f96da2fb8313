"""`fieldbook plans ...`: care plan generation, meant for a daily cron job."""

from datetime import date

import click

from server.plans import services
from server.timeutil import local_today
from server.transaction import CommitEachChunk, UnitOfWorkGroup

plans_cli = UnitOfWorkGroup("plans", help="Care plans.")


@plans_cli.command("generate")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Generate as of this day (YYYY-MM-DD); default: today in the operator's time zone.",
)
@click.option("--quiet", is_flag=True, help="Print nothing (for cron).")
def generate_cmd(day, quiet: bool) -> None:
    """Mark lapsed plans missed and create the plans falling due soon; safe to re-run.

    Commits a chunk of customers at a time, as the background job does.
    """
    today: date = day.date() if day is not None else local_today()
    counts = services.generate_in_chunks(today, CommitEachChunk())
    if quiet:
        return
    missed = counts.pop("missed")
    click.echo(f"Care plans as of {today.isoformat()}:")
    for purpose, count in counts.items():
        click.echo(f"  {purpose}: {count}")
    click.echo(f"  created: {sum(counts.values())}, marked missed: {missed}")
