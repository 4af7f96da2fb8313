from marshmallow import Schema, fields, validate

# The protocol's schema versions this server speaks (docs/sync.md).
SUPPORTED_SCHEMA_VERSIONS = range(1, 2)


class PullArgsSchema(Schema):
    device_id = fields.UUID(required=True)
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))
    schema_version = fields.Integer(load_default=1)


class MutationSchema(Schema):
    id = fields.UUID(required=True)
    seq = fields.Integer(required=True, validate=validate.Range(min=1))
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    args = fields.Dict(required=True)
    base_version = fields.Integer(load_default=None, allow_none=True)
    client_time = fields.AwareDateTime(load_default=None, allow_none=True)


class PushSchema(Schema):
    device_id = fields.UUID(required=True)
    schema_version = fields.Integer(required=True)
    mutations = fields.List(
        fields.Nested(MutationSchema), required=True, validate=validate.Length(max=500)
    )
