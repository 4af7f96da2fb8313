"""Shapes of the access log API."""

from marshmallow import Schema, fields

from server.pagination import PageArgsSchema, PageSchema
from server.privacy.models import AccessKind


class AccessQuerySchema(PageArgsSchema):
    customer_id = fields.UUID()
    user_id = fields.UUID()
    kind = fields.Enum(AccessKind, by_value=True)


class AccessSchema(Schema):
    id = fields.UUID()
    at = fields.DateTime()
    user_id = fields.UUID()
    customer_id = fields.UUID(allow_none=True)
    kind = fields.Enum(AccessKind, by_value=True)
    # Names of the personal fields shown in full (never their values).
    field_names = fields.List(fields.String(), attribute="fields", data_key="fields")
    count = fields.Integer()
    session_id = fields.UUID(allow_none=True)
    device_id = fields.UUID(allow_none=True)
    ref = fields.String(allow_none=True)


class AccessPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccessSchema))
