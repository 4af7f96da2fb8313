"""`fieldbook import ...`"""

from collections.abc import Callable
from pathlib import Path

import click

from server.imports import services
from server.transaction import CommitEachChunk, UnitOfWorkGroup

import_cli = UnitOfWorkGroup(
    "import", help="Import data exported from the operator's billing/CRM systems."
)

csv_file = click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
partial_flag = click.option(
    "--partial", is_flag=True, help="Import the good rows and report the bad ones."
)


@import_cli.command("customers")
@csv_file
@partial_flag
def import_customers_cmd(file: Path, partial: bool) -> None:
    """Create or update customers from a customers CSV (docs/imports.md)."""
    _run(
        lambda data: services.import_customers(
            data, filename=file.name, partial=partial, progress=CommitEachChunk()
        ),
        file,
    )


@import_cli.command("spend")
@csv_file
@partial_flag
def import_spend_cmd(file: Path, partial: bool) -> None:
    """Create or update monthly spend from a spend CSV (docs/imports.md)."""
    _run(
        lambda data: services.import_spend(
            data, filename=file.name, partial=partial, progress=CommitEachChunk()
        ),
        file,
    )


def _run(importer: Callable[[bytes], services.ImportResult], file: Path) -> None:
    """Import, print counts and errors; exit 1 (and keep nothing) when nothing was imported.

    The whole file is checked before anything is written; the rows are then written
    and committed a chunk at a time (docs/imports.md).
    """
    try:
        result = importer(file.read_bytes())
    except services.ImportRejected as rejected:
        _echo_errors(rejected.errors)
        click.echo(f"Nothing imported: {rejected.message}", err=True)
        raise SystemExit(1) from None
    click.echo(
        f"created: {result.created}, updated: {result.updated},"
        f" unchanged: {result.unchanged}, skipped: {result.skipped}"
    )
    _echo_errors(result.errors)


def _echo_errors(errors: list[dict]) -> None:
    for error in errors:
        click.echo(f"line {error['line']}: {error['field']}: {error['message']}", err=True)
