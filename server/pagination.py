"""Page-number pagination shared by every list endpoint."""

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from server.extensions import db


@dataclass
class Page:
    """One page of a list: its items and where it stands in the whole."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page)


def count_rows(stmt: sa.Select) -> int:
    """How many rows `stmt` selects (before any limit)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
