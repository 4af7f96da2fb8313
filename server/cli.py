"""The `fieldbook` command: a Flask CLI group (`fieldbook run`, `fieldbook db upgrade`, ...)."""

import click
from flask import Flask
from flask.cli import FlaskGroup


def register(app: Flask) -> None:
    """Attach Fieldbook's own commands to the app's CLI."""


def _create_app():
    from server import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Fieldbook: the account manager's workbench."""
