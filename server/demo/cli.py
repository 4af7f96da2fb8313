"""`fieldbook demo`"""

import click


@click.command("demo")
def demo_cmd():
    """Migrate, seed the demo data, print the demo logins and serve on 127.0.0.1:5000."""
    raise click.ClickException("not built yet")
