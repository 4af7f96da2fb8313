"""Push: apply a device's queued mutations exactly once, in order (docs/sync.md)."""

import uuid

from server.auth.models import User
from server.errors import ApiError


def push(user: User, *, device_id: uuid.UUID, schema_version: int, mutations: list[dict]) -> dict:
    raise ApiError(501, "Push is being built.")
