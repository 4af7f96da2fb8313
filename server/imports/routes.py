"""CSV imports over HTTP: admins upload the operator's exports.

A file of many rows is written in chunks, each committed (server/imports/services.py):
one transaction for 100,000 rows would hold back every phone's sync for half a
minute. The request's own commit, at its end, writes the rest and the audit event.
"""

from flask import current_app, request
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from server.auth.models import Role
from server.auth.security import require_roles
from server.errors import ApiError
from server.http import accepts
from server.imports import services
from server.imports.schemas import ImportQuerySchema, ImportResultSchema
from server.transaction import CommitEachChunk

blp = Blueprint("imports", __name__, url_prefix="/api/v1/imports", description="CSV imports")

CSV_BODY_DOC = {
    "requestBody": {
        "description": "The CSV file: a multipart `file` field, or the raw body as text/csv.",
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@blp.post("/customers")
@blp.arguments(ImportQuerySchema, location="query")
@blp.response(200, ImportResultSchema)
@blp.alt_response(422, description="Nothing imported; the errors are in error.fields.rows.")
@blp.doc(**CSV_BODY_DOC)
@accepts("multipart/form-data", "text/csv")
@require_roles(Role.ADMIN)
def import_customers(args):
    """Create or update customers from a customers CSV (see docs/imports.md)."""
    data, filename = _uploaded_csv()
    actor = current_user._get_current_object()
    return services.import_customers(
        data,
        filename=filename,
        partial=args["partial_mode"],
        actor=actor,
        progress=CommitEachChunk(),
    )


@blp.post("/spend")
@blp.arguments(ImportQuerySchema, location="query")
@blp.response(200, ImportResultSchema)
@blp.alt_response(422, description="Nothing imported; the errors are in error.fields.rows.")
@blp.doc(**CSV_BODY_DOC)
@accepts("multipart/form-data", "text/csv")
@require_roles(Role.ADMIN)
def import_spend(args):
    """Create or update monthly spend from a spend CSV (see docs/imports.md)."""
    data, filename = _uploaded_csv()
    return services.import_spend(
        data, filename=filename, partial=args["partial_mode"], progress=CommitEachChunk()
    )


def _uploaded_csv() -> tuple[bytes, str]:
    """The uploaded file's bytes and name, from a multipart `file` field or a text/csv body."""
    try:
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise ApiError(
                    422, "Attach the CSV as the `file` field.", fields={"file": ["Missing file."]}
                )
            return upload.read(), upload.filename or "upload.csv"
        if request.mimetype == "text/csv":
            return request.get_data(cache=False), "upload.csv"
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        size = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit} bytes"
        raise ApiError(
            413, f"The file is larger than the {size} limit; split it and import the parts."
        ) from None
    raise ApiError(415, "Send the CSV as multipart/form-data (field `file`) or as a text/csv body.")
