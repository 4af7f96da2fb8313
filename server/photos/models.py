"""Photos of a visit (拜访照片): the proof of a visit a manager takes on site.

The row is the photo's metadata; the image and its thumbnail are files in the photo
store (server/photos/store.py), named by the photo's id. The id is made by the phone,
so an upload sent twice stores one photo.
"""

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import Model
from server.models_base import Timestamps, UUIDPk


class VisitPhoto(UUIDPk, Timestamps, Model):
    __tablename__ = "visit_photos"

    visit_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    # The visit's customer, kept here for the scope rule and the erasure (a visit
    # never changes customer).
    customer_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    # What is stored: always a re-encoded JPEG, whatever was sent.
    content_type: Mapped[str] = mapped_column(sa.String(30))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    thumbnail_bytes: Mapped[int]
    # Of the bytes the phone sent: a re-upload of the same id with other bytes is refused.
    sent_sha256: Mapped[str] = mapped_column(sa.String(64))

    @property
    def image_key(self) -> str:
        return f"photos/{self.id}.jpg"

    @property
    def thumbnail_key(self) -> str:
        return f"photos/{self.id}.thumb.jpg"
