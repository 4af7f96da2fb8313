"""The `fieldbook` command: a Flask CLI group (`fieldbook run`, `fieldbook db upgrade`, ...).

Each domain's commands are registered by `create_app`; every command of a
`UnitOfWorkGroup` is one transaction (server/transaction.py).
"""

import click
from flask.cli import FlaskGroup

from server import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main():
    """Fieldbook: the account manager's workbench."""
