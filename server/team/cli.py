"""`fieldbook users ...`: accounts and teams from the shell (the first admin comes from here)."""

import click

from server.auth.models import Role
from server.team import services
from server.team.schemas import TeamNameSchema, UserCreateSchema
from server.transaction import UnitOfWorkGroup

users_cli = UnitOfWorkGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--display-name", required=True, help="The name colleagues see.")
@click.option("--team", "team_name", help="Name of an existing team.")
@click.option("--phone")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def create_cmd(username, role, display_name, team_name, phone, password):
    """Create an account."""
    team = None
    if team_name is not None:
        team = services.find_team(team_name)
        if team is None:
            raise click.ClickException(
                f"No team named {team_name!r}; create it first with "
                f"`fieldbook users create-team {team_name!r}`."
            )
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = UserCreateSchema().load(
        {
            "username": username,
            "display_name": display_name,
            "role": role,
            "password": password,
            "phone": phone,
        }
    )
    user = services.add_user(**data, team=team)
    where = f" in team {team.name}" if team else ""
    click.echo(f"Created {user.role} {user.username}{where}.")


@users_cli.command("create-team")
@click.argument("name")
def create_team_cmd(name):
    """Create a team."""
    team = services.create_team(TeamNameSchema().load({"name": name})["name"])
    click.echo(f"Created team {team.name}.")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_cmd(username):
    """Deactivate an account and sign it out on every device."""
    user = services.find_user(username)
    warnings = services.deactivate_user(user)
    click.echo(f"Deactivated {user.username}; all their devices are signed out.")
    for warning in warnings:
        if warning["code"] == "has_customers":
            click.echo(
                f"Warning: {user.username} still holds {warning['count']} customer(s); "
                "reassign them.",
                err=True,
            )


@users_cli.command("list")
def list_cmd():
    """Every account, by username."""
    for user in services.list_all_users():
        team = user.team.name if user.team else "-"
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username}\t{user.role}\t{team}\t{state}\t{user.display_name}")
