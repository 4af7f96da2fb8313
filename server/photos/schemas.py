"""Shapes of the photo API: a photo's metadata, with the addresses of its files."""

from flask import url_for
from marshmallow import Schema, fields


class PhotoSchema(Schema):
    id = fields.UUID()
    visit_id = fields.UUID()
    customer_id = fields.UUID()
    uploaded_by_id = fields.UUID()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    thumbnail_bytes = fields.Integer()
    created_at = fields.DateTime()
    url = fields.Function(
        lambda photo: url_for("photos.get_image", photo_id=photo.id),
        metadata={"description": "The image (JPEG, at most PHOTO_LONG_SIDE px on its long side)."},
    )
    thumbnail_url = fields.Function(
        lambda photo: url_for("photos.get_thumbnail", photo_id=photo.id),
        metadata={"description": "The thumbnail (JPEG)."},
    )


class PhotoListSchema(Schema):
    items = fields.List(fields.Nested(PhotoSchema))
