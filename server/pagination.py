"""Page-number pagination shared by every list endpoint (Flask-SQLAlchemy's `paginate`)."""

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from marshmallow import Schema, fields

from server.extensions import db
from server.schemas import INT32_MAX, BoundedInteger

MAX_PER_PAGE = 200


def paginate(stmt: sa.Select, *, page: int, per_page: int) -> Pagination:
    """One page of the ORM entities `stmt` selects (in its order), with the total count.

    A page past the end is empty rather than a 404: the total says where the end is.
    """
    return db.paginate(
        stmt, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False
    )


class PageArgsSchema(Schema):
    """`page` and `per_page` query arguments; list query schemas extend it."""

    # Far past the last page is an empty page, but the offset must fit SQL's BIGINT.
    page = BoundedInteger(load_default=1, minimum=1, maximum=INT32_MAX)
    per_page = BoundedInteger(load_default=50, minimum=1, maximum=MAX_PER_PAGE)


class PageSchema(Schema):
    """A page of results; subclasses add `items`."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
