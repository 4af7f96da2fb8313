"""Request and response shapes for users and teams administration."""

from marshmallow import Schema, fields, validate

from server.auth.models import Role
from server.auth.schemas import UserSchema
from server.schemas import StrictBoolean, optional_text, required_text

USERNAME_PATTERN = r"^[a-z0-9_.-]+$"


def _username():
    return fields.String(
        required=True,
        validate=[
            validate.Length(min=3, max=40),
            validate.Regexp(
                USERNAME_PATTERN, error="Use only lowercase letters, digits, '_', '.' and '-'."
            ),
        ],
    )


def _password():
    return fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))


def _phone():
    return optional_text(
        20,
        validate.Regexp(r"^\+?[0-9][0-9 -]*$", error="Digits, spaces, '-' and a leading '+'."),
    )


def _display_name(**kwargs):
    return required_text(80, **kwargs)


def _team_name():
    return required_text(80, required=True)


class UserQuerySchema(Schema):
    role = fields.Enum(Role, by_value=True)
    team_id = fields.UUID()
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=80))


class UserCreateSchema(Schema):
    username = _username()
    display_name = _display_name(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    password = _password()
    team_id = fields.UUID(allow_none=True, load_default=None)
    phone = _phone()


class UserUpdateSchema(Schema):
    display_name = _display_name()
    phone = _phone()
    role = fields.Enum(Role, by_value=True)
    team_id = fields.UUID(allow_none=True)
    active = StrictBoolean()


class PasswordSchema(Schema):
    password = _password()


class AdminUserSchema(UserSchema):
    team_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    # Set while too many wrong passwords keep the account locked; POST .../unlock clears it.
    locked_until = fields.DateTime(allow_none=True, dump_only=True)


class WarningSchema(Schema):
    code = fields.String()
    count = fields.Integer()


class UserChangeSchema(Schema):
    """PATCH /users/<id>: the user as saved, and what the admin should follow up on."""

    user = fields.Nested(AdminUserSchema)
    warnings = fields.List(fields.Nested(WarningSchema))


class TeamNameSchema(Schema):
    name = _team_name()


class PersonRefSchema(Schema):
    id = fields.UUID()
    username = fields.String()
    display_name = fields.String()


class TeamSummarySchema(Schema):
    id = fields.UUID()
    name = fields.String()
    version = fields.Integer()
    lead = fields.Nested(PersonRefSchema, allow_none=True)
    member_count = fields.Integer()
    # Whether the team's managers see their rank in "My numbers" (PATCH /reviews/teams/{id}).
    show_rank = fields.Boolean()


class MemberSchema(PersonRefSchema):
    role = fields.Enum(Role, by_value=True)
    active = fields.Boolean()
    phone = fields.String(allow_none=True)
    # Only managers hold a portfolio; null for the lead.
    portfolio_size = fields.Integer(allow_none=True)
    capacity = fields.Integer(allow_none=True)


class TeamDetailSchema(TeamSummarySchema):
    members = fields.List(fields.Nested(MemberSchema))
