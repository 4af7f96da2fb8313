"""Query and answer shapes of the audit trail."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.pagination import PageArgsSchema, PageSchema


class AuditQuerySchema(PageArgsSchema):
    action = fields.String(validate=validate.Length(min=1, max=60))
    actor_id = fields.UUID()
    target_type = fields.String(validate=validate.Length(min=1, max=40))
    target_id = fields.String(validate=validate.Length(min=1, max=64))
    # `from` inclusive, `to` exclusive; instants with a zone.
    since = fields.AwareDateTime(data_key="from")
    until = fields.AwareDateTime(data_key="to")

    @validates_schema
    def _period(self, data, **_kwargs):
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until <= since:
            raise ValidationError("Must be after 'from'.", field_name="to")


class AuditEventSchema(Schema):
    id = fields.UUID()
    at = fields.DateTime()
    actor_id = fields.UUID(allow_none=True)
    actor_username = fields.String(allow_none=True)
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    details = fields.Dict()
    ip = fields.String(allow_none=True)
    device_id = fields.UUID(allow_none=True)


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEventSchema))
