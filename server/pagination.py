"""Page-number pagination shared by every list endpoint."""

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

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


MAX_PER_PAGE = 200


class PageArgsSchema(Schema):
    """`page` and `per_page` query arguments; list query schemas extend it."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    """A page of results; subclasses add `items`."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
