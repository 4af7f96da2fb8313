"""Photo rules: who may add and see a visit's photos, exactly-once uploads, erasure.

A photo is visible with its visit (server/scope.py: with its customer). It may be
added by whoever may see the visit, and by the visit's author (a manager whose
customer moved away while the phone was offline still sends the photos of the visit
the server accepted). The phone makes the photo's id: a second upload of the same id
answers the stored photo and stores nothing; the same id with other bytes, or on
another visit, is refused (409 `id_exists`).
"""

import hashlib
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from server import events
from server.audit.services import record as audit
from server.auth.models import User
from server.customers.models import Customer
from server.errors import ApiError, invalid, not_found
from server.extensions import db
from server.photos import images
from server.photos.models import VisitPhoto
from server.photos.store import photo_store
from server.scope import can_see, get_visible, visible
from server.transaction import on_commit
from server.visits.models import Visit


def _setting(name: str):
    return current_app.config[name]


def visit_for_upload(actor: User, visit_id: uuid.UUID) -> Visit:
    """The visit `actor` may add photos to, locked (the count per visit); 404 otherwise."""
    visit = db.session.scalar(sa.select(Visit).where(Visit.id == visit_id).with_for_update())
    if visit is None or not (visit.manager_id == actor.id or can_see(actor, visit)):
        raise not_found("Visit")
    return visit


def list_photos(actor: User, visit_id: uuid.UUID) -> list[VisitPhoto]:
    """A visit's photos, oldest first (404 if the visit is out of `actor`'s scope)."""
    visit = get_visible(actor, Visit, visit_id)
    return list(
        db.session.scalars(
            visible(actor, VisitPhoto)
            .where(VisitPhoto.visit_id == visit.id)
            .order_by(VisitPhoto.created_at, VisitPhoto.id)
        )
    )


def too_large() -> ApiError:
    """The refusal of a photo over PHOTO_MAX_BYTES: 413 on `file`."""
    limit = _setting("PHOTO_MAX_BYTES")
    return ApiError(
        413,
        f"The photo is larger than {limit} bytes.",
        code="too_large",
        fields={"file": [f"Larger than {limit} bytes."]},
    )


def upload_photo(
    actor: User, visit: Visit, photo_id: uuid.UUID, data: bytes
) -> tuple[VisitPhoto, bool]:
    """Store a photo of `visit` under the phone's id: `(photo, created)`.

    Refused: over PHOTO_MAX_BYTES (413 on `file`), not an image or too many pixels
    (422 on `file`), more than PHOTO_MAX_PER_VISIT on one visit (422 on `file`).
    """
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.get(VisitPhoto, photo_id)
    if existing is not None:
        # A retried upload whose first answer was lost: the stored photo, nothing new.
        if existing.visit_id == visit.id and existing.sent_sha256 == digest:
            return existing, False
        raise ApiError(
            409,
            "This photo id is already used by another photo.",
            code="id_exists",
            fields={"photo_id": ["Already used by another photo."]},
        )
    if len(data) > _setting("PHOTO_MAX_BYTES"):
        raise too_large()
    if not data:
        raise invalid("file", "The photo is empty.")
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(VisitPhoto).where(VisitPhoto.visit_id == visit.id)
    )
    if count >= _setting("PHOTO_MAX_PER_VISIT"):
        raise invalid("file", f"A visit has at most {_setting('PHOTO_MAX_PER_VISIT')} photos.")
    processed = images.process(
        data,
        long_side=_setting("PHOTO_LONG_SIDE"),
        thumbnail_side=_setting("PHOTO_THUMBNAIL_SIDE"),
        max_pixels=_setting("PHOTO_MAX_PIXELS"),
    )
    photo = VisitPhoto(
        id=photo_id,
        visit_id=visit.id,
        customer_id=visit.customer_id,
        uploaded_by_id=actor.id,
        content_type=images.CONTENT_TYPE,
        width=processed.width,
        height=processed.height,
        size_bytes=len(processed.image),
        thumbnail_bytes=len(processed.thumbnail),
        sent_sha256=digest,
    )
    db.session.add(photo)
    db.session.flush()
    # Written before the commit: a photo row never names a file that is not there. If
    # the transaction then rolls back, the files stay unnamed until the phone's retry
    # writes the same keys again.
    store = photo_store()
    store.put(photo.image_key, processed.image, images.CONTENT_TYPE)
    store.put(photo.thumbnail_key, processed.thumbnail, images.CONTENT_TYPE)
    return photo, True


def photo_file(actor: User, photo_id: uuid.UUID, *, thumbnail: bool) -> tuple[VisitPhoto, bytes]:
    """The photo's image or thumbnail if `actor` may see its visit; 404 otherwise."""
    photo = get_visible(actor, VisitPhoto, photo_id)
    data = photo_store().get(photo.thumbnail_key if thumbnail else photo.image_key)
    if data is None:
        current_app.logger.error("Photo %s has no file in the store", photo.id)
        raise not_found("Photo")
    return photo, data


@events.customer_erased.connect
def _erase_photos(customer: Customer, *, at: datetime, **_) -> int:
    """An erased customer's photos go, rows and files: a picture of a site or a signed
    form is personal data, and nothing about it feeds the statistics."""
    photos = list(
        db.session.scalars(sa.select(VisitPhoto).where(VisitPhoto.customer_id == customer.id))
    )
    if not photos:
        return 0
    keys = [key for photo in photos for key in (photo.image_key, photo.thumbnail_key)]
    for photo in photos:
        db.session.delete(photo)
    db.session.flush()
    audit(
        "photos.erase",
        target_type="customer",
        target_id=customer.id,
        details={"photos": len(photos)},
    )
    # The files go once the rows are gone for good; a rollback keeps both.
    on_commit(lambda: _delete_files(keys))
    return len(photos)


def _delete_files(keys: list[str]) -> None:
    try:
        photo_store().delete(keys)
    except Exception:
        # The rows are gone, so nobody can fetch these any more; an operator removes them.
        current_app.logger.exception("Could not delete erased photo files: %s", keys)
