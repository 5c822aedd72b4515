"""Page arguments and the page envelope every list endpoint returns."""

from __future__ import annotations

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


def paginate(stmt: sa.Select, *, page: int, per_page: int, scalars: bool = True) -> dict:
    sess = session()
    total = sess.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    result = sess.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = result.scalars().all() if scalars else result.all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}
