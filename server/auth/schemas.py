from marshmallow import Schema, fields, validate

from server.auth.models import Role


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    remember = fields.Boolean(load_default=False)


class PasswordChangeSchema(Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    new_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )


class DeviceSchema(Schema):
    """A signed-in browser or phone."""

    id = fields.UUID()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()
    expires_at = fields.DateTime()
    remember = fields.Boolean()
    user_agent = fields.String(allow_none=True)


class TeamRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class UserSchema(Schema):
    id = fields.UUID(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    role = fields.Enum(Role, by_value=True)
    team = fields.Nested(TeamRefSchema, allow_none=True)
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    version = fields.Integer()


class SessionSchema(Schema):
    user = fields.Nested(UserSchema)
    csrf_token = fields.String()
    remember = fields.Boolean()
    expires_at = fields.DateTime()
