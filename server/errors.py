"""One error shape for the whole API: {"error": {"code", "message", "fields"}}.

Every error leaves through here: werkzeug HTTP errors, marshmallow validation
errors (422 with field messages), integrity errors (409) and our own
`ApiError`. Under test, unexpected exceptions propagate so tests fail loudly.
"""

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, jsonify
from flask_smorest import Api
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    426: "upgrade_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """A business-rule failure that the client should see as-is."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or STATUS_CODES.get(status, "error")
        self.fields = fields or {}
        self.extra = extra or {}


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, f"{what} not found.")


def invalid_message(fields: dict[str, Any]) -> str:
    """The one wording of a 422: which fields are invalid."""
    return "Some fields are invalid: " + ", ".join(sorted(map(str, fields))) + "."


def invalid_fields(fields: dict[str, Any]) -> ApiError:
    """A 422 naming several fields, in the shape of schema validation errors."""
    return ApiError(422, invalid_message(fields), fields=fields)


def invalid(name: str, message: str) -> ApiError:
    """A 422 naming one field, in the shape of schema validation errors."""
    return invalid_fields({name: [message]})


def validation_fields(err: ValidationError) -> dict[str, Any]:
    """A marshmallow error's messages by field (a schema-level error under `_schema`)."""
    return err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}


def error_response(status: int, message: str, *, code: str | None = None, fields=None, **extra):
    body: dict[str, Any] = {
        "code": code or STATUS_CODES.get(status, "error"),
        "message": message,
        "fields": fields or {},
    }
    body.update(extra)
    return jsonify({"error": body}), status


def _flatten_webargs(messages: dict) -> dict:
    """webargs nests errors under their location ("json", "query", ...); drop that level."""
    fields: dict[str, Any] = {}
    for location, errs in messages.items():
        if isinstance(errs, dict):
            fields.update(errs)
        else:
            fields[location] = errs
    return fields


class ErrorBodySchema(Schema):
    code = fields.String(
        required=True, metadata={"description": "What went wrong, for the clients to word."}
    )
    message = fields.String(required=True, metadata={"description": "The same, in English."})
    fields_ = fields.Dict(
        data_key="fields",
        required=True,
        metadata={
            "description": "Each invalid field's messages (nested fields as nested objects; "
            "CSV row errors under `rows`); empty when no field is at fault."
        },
    )

    class Meta:
        # Some refusals add details: locked_until, retry_after, the sync's expected seq...
        unknown = "include"


class ErrorResponseSchema(Schema):
    """Every error the API answers: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


def _decimal_as_string(self, field: fields.Field, ret: dict) -> dict:
    """Amounts travel as strings ("1234.50"), exact; the document must not say number."""
    if isinstance(field, fields.Decimal) and field.as_string:
        ret.pop("minimum", None)
        ret.pop("maximum", None)
        return {"type": "string", "format": "decimal", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
    return {}


class _DocumentPlugin(MarshmallowPlugin):
    """Gives every documented error response the error shape, even one declared bare
    (`@blp.alt_response(422, description=...)`)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                if (
                    isinstance(response, dict)
                    and str(status)[:1] in ("4", "5")
                    and "content" not in response
                ):
                    response["content"] = {"application/json": {"schema": ErrorResponseSchema}}
        super().operation_helper(path=path, operations=operations, **kwargs)


class FieldbookApi(Api):
    """flask-smorest's Api, answering errors in Fieldbook's shape, and documenting it."""

    ERROR_SCHEMA = ErrorResponseSchema

    def _init_spec(self, *, marshmallow_plugin=None, **kwargs):
        super()._init_spec(marshmallow_plugin=marshmallow_plugin or _DocumentPlugin(), **kwargs)
        self.ma_plugin.converter.add_attribute_function(_decimal_as_string)

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        fields = {}
        if "messages" in data:
            fields = _flatten_webargs(data["messages"])
        elif "errors" in data:
            fields = data["errors"]
        if status == 422:
            message = invalid_message(fields)
        else:
            message = data.get("message") or error.description or error.name
        response, code = error_response(status, message, fields=fields)
        # Werkzeug's own headers: `Allow` on a 405, `Retry-After` on a 429 or 503.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response, code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return error_response(
            err.status, err.message, code=err.code, fields=err.fields, **err.extra
        )

    @app.errorhandler(ValidationError)
    def _validation_error(err: ValidationError):
        fields = validation_fields(err)
        return error_response(422, invalid_message(fields), fields=fields)

    @app.errorhandler(IntegrityError)
    def _integrity_error(err: IntegrityError):
        # The unit of work (transaction.py) has already rolled the request back.
        return error_response(409, "The change conflicts with existing data.", code="conflict")

    @app.errorhandler(StaleDataError)
    def _stale_data(err: StaleDataError):
        # Optimistic locking caught a race: a row changed (or went) between our read and
        # our write, e.g. a CSV import and a manager's edit of the same customer.
        return error_response(
            409,
            "Someone else changed this data at the same time; nothing was saved. "
            "Reload and try again.",
            code="conflict",
        )

    # What the database says about itself, not about a statement: refused or dropped
    # connections, a shutdown, an unopenable SQLite file, a lock or pool wait given up.
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeoutError)
    def _database_unavailable(err: Exception):
        response, status = error_response(
            503,
            "The database cannot be reached or is busy just now; nothing was saved. "
            "Try again shortly.",
            code="database_unavailable",
        )
        response.headers["Retry-After"] = "5"
        return response, status

    if not app.testing:

        @app.errorhandler(InternalServerError)
        def _internal(err: InternalServerError):
            return error_response(500, "Something went wrong on the server; nothing was saved.")
