"""Lists in pages: one way to read a page of rows (API and pages alike), one envelope, and
streaming for exports that must not hold every row in memory."""

from __future__ import annotations

from collections.abc import Iterator

import marshmallow as ma
import sqlalchemy as sa

from points.db import session
from points.validation import Schema


class PageArgsSchema(Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    return Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
    )


def paginate(
    stmt: sa.Select, *, page: int, per_page: int, scalars: bool = True, mappings: bool = False
) -> dict:
    """One page of `stmt`'s rows with `page`, `per_page`, `total` and `pages` (at least 1).

    Rows come as ORM objects (`scalars`), as mappings (`mappings`, for Core selects), or as
    rows."""
    sess = session()
    total = sess.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    result = sess.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    if mappings:
        items = [dict(row) for row in result.mappings()]
    else:
        items = result.scalars().all() if scalars else result.all()
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, -(-total // per_page)),
    }


def page_number(value: str | None, *, most: int = 1_000_000) -> int:
    """A page number from a query string; anything that is not one reads as the first page."""
    try:
        return min(max(1, int(value or "1")), most)
    except ValueError:
        return 1


def stream(stmt: sa.Select, *, batch: int = 500, mappings: bool = True) -> Iterator:
    """Every row of `stmt`, fetched `batch` at a time from a server-side cursor: exports keep
    constant memory however long the history."""
    result = session().execute(stmt.execution_options(yield_per=batch))
    yield from (dict(row) for row in result.mappings()) if mappings else result.scalars()
