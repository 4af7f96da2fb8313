"""Users and teams administration under /api/v1/users and /api/v1/teams."""

from flask_login import current_user
from flask_smorest import Blueprint

from server.auth.models import Role
from server.auth.schemas import DeviceSchema
from server.auth.security import require_roles, signed_in
from server.auth.services import sign_out_device, signed_in_devices
from server.customers import balance
from server.customers.schemas import HandoverResultSchema, HandoverSchema, RebalanceSchema
from server.scope import get_visible
from server.team import services
from server.team.models import Team
from server.team.schemas import (
    AdminUserSchema,
    PasswordSchema,
    TeamDetailSchema,
    TeamNameSchema,
    TeamSummarySchema,
    UserChangeSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserUpdateSchema,
)

users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users (admin)")
teams_blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams")


@users_blp.get("")
@users_blp.arguments(UserQuerySchema, location="query")
@users_blp.response(200, AdminUserSchema(many=True))
@require_roles(Role.LEAD, Role.ADMIN)
def list_users(args):
    """Users by username; a lead gets only their own team's members."""
    return services.list_users(current_user, **args)


@users_blp.post("")
@users_blp.arguments(UserCreateSchema)
@users_blp.response(201, AdminUserSchema)
@require_roles(Role.ADMIN)
def create_user(args):
    """Create an account (admin)."""
    user = services.add_user(**args)
    return user


@users_blp.get("/<uuid:user_id>")
@users_blp.response(200, AdminUserSchema)
@require_roles(Role.ADMIN)
def get_user(user_id):
    return services.get_user(user_id)


@users_blp.patch("/<uuid:user_id>")
@users_blp.arguments(UserUpdateSchema)
@users_blp.response(200, UserChangeSchema)
@require_roles(Role.ADMIN)
def update_user(args, user_id):
    """Change a user (admin). A new role, team or deactivation signs them out everywhere;
    `warnings` lists what to follow up, e.g. customers still held by a deactivated manager."""
    user = services.get_user(user_id)
    warnings = services.update_user(current_user, user, args)
    return {"user": user, "warnings": warnings}


@users_blp.post("/<uuid:user_id>/password")
@users_blp.arguments(PasswordSchema)
@users_blp.response(204)
@require_roles(Role.ADMIN)
def reset_password(args, user_id):
    """Set a new password (admin); the user is signed out on every device."""
    services.reset_password(services.get_user(user_id), args["password"])


@users_blp.post("/<uuid:user_id>/unlock")
@users_blp.response(200, AdminUserSchema)
@require_roles(Role.ADMIN)
def unlock_user(user_id):
    """Lift a lock-out from too many wrong passwords (admin); the user can sign in again."""
    return services.unlock_user(services.get_user(user_id))


@users_blp.get("/<uuid:user_id>/devices")
@users_blp.response(200, DeviceSchema(many=True))
@require_roles(Role.ADMIN)
def list_devices(user_id):
    """The devices the user is signed in on (admin)."""
    return signed_in_devices(services.get_user(user_id))


@users_blp.delete("/<uuid:user_id>/devices/<uuid:device_id>")
@users_blp.response(204)
@require_roles(Role.ADMIN)
def revoke_device(user_id, device_id):
    """Sign the user out on one device (a lost phone); the others stay signed in."""
    sign_out_device(services.get_user(user_id), device_id)


@teams_blp.get("")
@teams_blp.response(200, TeamSummarySchema(many=True))
@require_roles(Role.LEAD, Role.ADMIN)
def list_teams():
    """All teams for an admin; a lead's own team for a lead."""
    return services.list_teams(current_user)


@teams_blp.post("")
@teams_blp.arguments(TeamNameSchema)
@teams_blp.response(201, TeamDetailSchema)
@require_roles(Role.ADMIN)
def create_team(args):
    team = services.create_team(args["name"])
    return services.team_detail(team)


@teams_blp.get("/<uuid:team_id>")
@teams_blp.response(200, TeamDetailSchema)
@signed_in()
def get_team(team_id):
    """Members, the lead, and each manager's portfolio size against capacity."""
    return services.team_detail(get_visible(current_user, Team, team_id))


@teams_blp.patch("/<uuid:team_id>")
@teams_blp.arguments(TeamNameSchema)
@teams_blp.response(200, TeamDetailSchema)
@require_roles(Role.ADMIN)
def rename_team(args, team_id):
    team = services.rename_team(services.get_team(team_id), args["name"])
    return services.team_detail(team)


@teams_blp.delete("/<uuid:team_id>")
@teams_blp.response(204)
@require_roles(Role.ADMIN)
def delete_team(team_id):
    """Delete a team that has no members (admin)."""
    services.delete_team(services.get_team(team_id))


@teams_blp.post("/<uuid:team_id>/handover")
@teams_blp.arguments(HandoverSchema)
@teams_blp.response(200, HandoverResultSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def hand_over(args, team_id):
    """A manager leaving: the whole portfolio to the rest of the team in balanced shares."""
    team = get_visible(current_user, Team, team_id)
    return balance.hand_over(
        current_user, team, args["manager_id"], reason=args["reason"], dry_run=args["dry_run"]
    )


@teams_blp.post("/<uuid:team_id>/rebalance")
@teams_blp.response(200, RebalanceSchema)
@require_roles(Role.LEAD, Role.ADMIN)
def rebalance(team_id):
    """A proposal of moves evening out value and care workload; apply with /customers/reassign."""
    return balance.propose_rebalance(current_user, get_visible(current_user, Team, team_id))
