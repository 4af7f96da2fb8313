"""Photos of a visit under /api/v1: upload by the phone's id, list, fetch the files.

`PUT /visits/<visit_id>/photos/<photo_id>` takes the image as the raw body (its
type is judged from its bytes, not from Content-Type). Files are answered as JPEG,
kept by no cache (`no-store`, as every API answer): personal data on a phone.
"""

import uuid

from flask import Response, request
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from server.auth.security import signed_in
from server.http import accepts
from server.photos import services
from server.photos.schemas import PhotoListSchema, PhotoSchema

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="Photos of visits")

UPLOAD_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
IMAGE_BODY_DOC = {
    "requestBody": {
        "description": "The image (JPEG, PNG or WebP) as the raw body, at most PHOTO_MAX_BYTES.",
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in UPLOAD_TYPES
        },
    }
}
IMAGE_ANSWER_DOC = {
    "responses": {
        "200": {
            "description": "The JPEG.",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@blp.get("/visits/<uuid:visit_id>/photos")
@blp.response(200, PhotoListSchema)
@signed_in()
def list_photos(visit_id: uuid.UUID):
    """The visit's photos, oldest first, with the addresses of their files."""
    return {"items": services.list_photos(current_user, visit_id)}


@blp.put("/visits/<uuid:visit_id>/photos/<uuid:photo_id>")
@blp.response(201, PhotoSchema)
@blp.alt_response(200, schema=PhotoSchema, description="This id was stored already: that photo.")
@blp.alt_response(409, description="The id is another photo's (`id_exists`).")
@blp.alt_response(413, description="Larger than PHOTO_MAX_BYTES (on `file`).")
@blp.alt_response(422, description="Not an image, too many pixels or photos (on `file`).")
@blp.doc(**IMAGE_BODY_DOC)
@accepts(*UPLOAD_TYPES)
@signed_in()
def upload_photo(visit_id: uuid.UUID, photo_id: uuid.UUID):
    """Add a photo to a visit under the phone's id; sending the same id again stores nothing."""
    visit = services.visit_for_upload(current_user, visit_id)
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        # Over the server's whole-request limit: the same refusal as over the photo limit.
        raise services.too_large() from None
    photo, created = services.upload_photo(current_user, visit, photo_id, data)
    return photo, (201 if created else 200)


@blp.get("/photos/<uuid:photo_id>")
@blp.doc(**IMAGE_ANSWER_DOC)
@signed_in()
def get_image(photo_id: uuid.UUID):
    """The photo (JPEG) if the signed-in user may see its visit; 404 otherwise."""
    return _image(photo_id, thumbnail=False)


@blp.get("/photos/<uuid:photo_id>/thumbnail")
@blp.doc(**IMAGE_ANSWER_DOC)
@signed_in()
def get_thumbnail(photo_id: uuid.UUID):
    """The photo's thumbnail (JPEG) if the signed-in user may see its visit; 404 otherwise."""
    return _image(photo_id, thumbnail=True)


def _image(photo_id: uuid.UUID, *, thumbnail: bool) -> Response:
    photo, data = services.photo_file(current_user, photo_id, thumbnail=thumbnail)
    # Like every API answer, `no-store` (server/http.py): personal data stays off disk.
    return Response(data, mimetype=photo.content_type)
