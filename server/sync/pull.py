"""Pull: what changed in a device's scope since its cursor (docs/sync.md)."""

import uuid

from server.auth.models import User
from server.errors import ApiError


def pull(
    user: User, *, device_id: uuid.UUID, cursor: str | None, limit: int, schema_version: int
) -> dict:
    raise ApiError(501, "Pull is being built.")
