from marshmallow import Schema, fields, validate

from server.schemas import INT32_MAX, AwareDateTime, BoundedInteger

# The protocol's schema versions this server speaks (docs/sync.md). 2 added campaigns,
# campaign targets, their outcome mutation and visits' privileges_explained; a phone
# still on 1 is told to update (426) before it syncs again.
SUPPORTED_SCHEMA_VERSIONS = range(2, 3)


class PullArgsSchema(Schema):
    device_id = fields.UUID(required=True)
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
    limit = BoundedInteger(load_default=500, minimum=1, maximum=2000)
    schema_version = BoundedInteger(load_default=2, maximum=INT32_MAX)


class MutationSchema(Schema):
    id = fields.UUID(required=True)
    seq = BoundedInteger(required=True, minimum=1)  # sync_mutations.seq is a BIGINT
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    args = fields.Dict(required=True)
    base_version = BoundedInteger(load_default=None, allow_none=True, maximum=INT32_MAX)
    client_time = AwareDateTime(load_default=None, allow_none=True)


class PushSchema(Schema):
    device_id = fields.UUID(required=True)
    schema_version = BoundedInteger(required=True, maximum=INT32_MAX)
    mutations = fields.List(
        fields.Nested(MutationSchema), required=True, validate=validate.Length(max=500)
    )


# --- answers (documented only: the views return these as built, docs/sync.md) ----


class ChangeSchema(Schema):
    """One change of a pull page: a whole row (upsert) or an id to drop (delete)."""

    entity = fields.String(metadata={"description": "The table's name: customers, visits, ..."})
    op = fields.String(validate=validate.OneOf(["upsert", "delete"]))
    id = fields.String()
    row = fields.Dict(metadata={"description": "upsert: every column by name, as JSON."})
    cascade = fields.Boolean(metadata={"description": "delete of a customer: drop all under it"})


class PullAnswerSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = fields.String(metadata={"description": "Opaque; send it with the next pull."})
    has_more = fields.Boolean()
    last_acknowledged_seq = fields.Integer()
    server_time = fields.DateTime()
    estimate = fields.Integer(
        metadata={
            "description": "On the first page of a full pull only: about how many changes"
            " the whole round holds, for the phone's progress (docs/sync.md)."
        }
    )


class MutationResultSchema(Schema):
    """What became of one mutation; `rejected` and `failed` carry the REST error."""

    id = fields.String()
    seq = fields.Integer()
    status = fields.String(validate=validate.OneOf(["applied", "conflict", "rejected", "failed"]))
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    entity = fields.String(allow_none=True)
    record = fields.Dict(allow_none=True, metadata={"description": "The row as a pull shows it."})
    conflicts = fields.List(fields.Dict())
    http_status = fields.Integer()
    fields_ = fields.Dict(data_key="fields")
    details = fields.Dict()
    retryable = fields.Boolean()
    attempts = fields.Integer()


class PushAnswerSchema(Schema):
    results = fields.List(fields.Nested(MutationResultSchema))
    last_acknowledged_seq = fields.Integer()


# --- conflicts (push side) ------------------------------------------------------


class ConflictSchema(Schema):
    """A kept change: `field` (both sides changed a field) or `lost_access` (customer moved)."""

    id = fields.UUID()
    kind = fields.String()
    entity = fields.String()
    row_id = fields.UUID(allow_none=True)
    customer_id = fields.UUID(allow_none=True)
    user_id = fields.UUID()
    device_id = fields.UUID(allow_none=True)
    mutation_id = fields.UUID(allow_none=True)
    mutation_name = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    # JSON values as a pull shows them; kept_value is the one now stored.
    base_value = fields.Raw(allow_none=True)
    kept_value = fields.Raw(allow_none=True)
    lost_value = fields.Raw(allow_none=True)
    # lost_access: the whole mutation {id, seq, name, args, base_version, client_time}.
    args = fields.Dict(allow_none=True)
    status = fields.String()
    resolution = fields.String(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by_id = fields.UUID(allow_none=True)
    version = fields.Integer()


class ConflictListSchema(Schema):
    items = fields.List(fields.Nested(ConflictSchema))


class ConflictQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved"]))


class ResolveConflictSchema(Schema):
    # kept / restored for a field conflict; applied / dismissed for lost_access.
    choice = fields.String(
        required=True, validate=validate.OneOf(["kept", "restored", "applied", "dismissed"])
    )


# --- failed mutations -------------------------------------------------------------


class FailedMutationSchema(Schema):
    """A mutation that failed unexpectedly, kept whole (docs/sync.md, Push)."""

    id = fields.UUID()
    device_id = fields.UUID()
    user_id = fields.UUID()
    username = fields.String(attribute="user.username")
    seq = fields.Integer()
    mutation_id = fields.UUID()
    name = fields.String()
    args = fields.Dict()
    base_version = fields.Integer(allow_none=True)
    client_time = fields.DateTime(allow_none=True)
    error = fields.String()
    attempts = fields.Integer()
    first_failed_at = fields.DateTime()
    last_failed_at = fields.DateTime()
    gave_up_at = fields.DateTime(allow_none=True)
    settled_at = fields.DateTime(allow_none=True)
    status = fields.String()


class FailedMutationListSchema(Schema):
    items = fields.List(fields.Nested(FailedMutationSchema))


class FailedQuerySchema(Schema):
    # failed: given up (kept for an admin); retrying: still being tried; settled: a
    # later attempt went through.
    status = fields.String(
        load_default="failed", validate=validate.OneOf(["failed", "retrying", "settled", "all"])
    )
    device_id = fields.UUID(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))
