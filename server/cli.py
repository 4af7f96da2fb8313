"""The `fieldbook` command: a Flask CLI group (`fieldbook run`, `fieldbook db upgrade`, ...)."""

import click
from flask import Flask
from flask.cli import FlaskGroup


def register(app: Flask) -> None:
    """Attach Fieldbook's own commands to the app's CLI; each domain owns its commands."""
    from server.demo.cli import demo_cmd
    from server.imports.cli import import_cli
    from server.plans.cli import plans_cli
    from server.sync.cli import sync_cli
    from server.team.cli import users_cli
    from server.warnings.cli import warnings_cli

    for command in (demo_cmd, import_cli, plans_cli, sync_cli, users_cli, warnings_cli):
        app.cli.add_command(command)


def _create_app():
    from server import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Fieldbook: the account manager's workbench."""
