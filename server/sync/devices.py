"""Devices: a device id belongs to the user who first syncs with it."""

import uuid

from server.auth.models import User
from server.errors import ApiError
from server.extensions import db
from server.sync.models import SyncDevice
from server.sync.schemas import SUPPORTED_SCHEMA_VERSIONS


def device_for(user: User, device_id: uuid.UUID, *, lock: bool = False) -> SyncDevice:
    """The user's device with this id, registered on first use.

    Another user's device id is refused: a device's outbox and cursor are one user's.
    `lock` serialises pushes from one device (two tabs racing) on its row.
    """
    device = db.session.get(SyncDevice, device_id, with_for_update=lock or None)
    if device is None:
        device = SyncDevice(id=device_id, user_id=user.id, last_seq=0)
        db.session.add(device)
        db.session.flush()
    if device.user_id != user.id:
        raise ApiError(
            403,
            "This device id belongs to another user; sign-out must give the device a new id.",
            code="device_mismatch",
        )
    return device


def check_schema_version(version: int) -> None:
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise ApiError(
            426,
            f"This app speaks sync schema version {version}; the server supports "
            f"{SUPPORTED_SCHEMA_VERSIONS.start} to {SUPPORTED_SCHEMA_VERSIONS.stop - 1}. "
            "Reload the app to update it.",
            code="upgrade_required",
        )
