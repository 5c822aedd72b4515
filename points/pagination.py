"""Lists in pages: keyset pages by (sort key, id) with opaque cursors and capped counts, so a
deep page costs what the first costs, and streaming for exports that must not hold every row
in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

from points.db import session
from points.errors import DomainError
from points.validation import Schema


def stream(stmt: sa.Select, *, batch: int = 500, mappings: bool = True) -> Iterator:
    """Every row of `stmt`, fetched `batch` at a time from a server-side cursor: exports keep
    constant memory however long the history."""
    result = session().execute(stmt.execution_options(yield_per=batch))
    yield from (dict(row) for row in result.mappings()) if mappings else result.scalars()


# --- keyset pages: deep pages cost what the first page costs -----------------------------

# Counts stop here: a list shows "1000+" rather than scanning its whole scope for a number.
COUNT_CAP = 1000
_CURSOR_SALT = "points.page-cursor"


class CursorArgsSchema(Schema):
    cursor = ma.fields.String(
        validate=ma.validate.Length(max=1000),
        metadata={"description": "opaque: the `next_cursor` or `prev_cursor` of the previous answer"},
    )
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


def keyset_fields(item_schema: type[ma.Schema] | ma.fields.Field) -> dict:
    """The envelope of a keyset page (`keyset`): items, capped total and the two cursors."""
    item = item_schema if isinstance(item_schema, ma.fields.Field) else ma.fields.Nested(item_schema)
    return {
        "items": ma.fields.List(item),
        "per_page": ma.fields.Integer(),
        "total": ma.fields.Integer(metadata={"description": f"exact up to {COUNT_CAP}"}),
        "total_capped": ma.fields.Boolean(metadata={"description": f"more than {COUNT_CAP} rows"}),
        "next_cursor": ma.fields.String(allow_none=True),
        "prev_cursor": ma.fields.String(allow_none=True),
    }


def keyset_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    return Schema.from_dict(
        keyset_fields(item_schema), name=f"{item_schema.__name__.removesuffix('Schema')}KeysetPageSchema"
    )


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: just past `values` of the sort key, going on (or back, `backwards`);
    `extra` carries what a list needs to continue (e.g. a running balance)."""

    values: tuple
    backwards: bool = False
    extra: dict = field(default_factory=dict)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_CURSOR_SALT)


def _plain(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _typed(value):
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    return value


def _this_list() -> str | None:
    """The list a cursor belongs to: the endpoint that answers it (API and page apart)."""
    return request.endpoint if has_request_context() else None


def encode_cursor(values: tuple, *, backwards: bool = False, list_name: str | None = None, **extra) -> str:
    """An opaque, signed cursor of one list (`list_name`, by default this request's endpoint):
    clients pass it back as it is and cannot forge one, nor page another list with it."""
    payload = {"k": [_plain(v) for v in values], "b": backwards, "x": extra, "l": list_name or _this_list()}
    return _serializer().dumps(payload)


def decode_cursor(token: str | None, *, list_name: str | None = None) -> Cursor | None:
    """The cursor a client sent (None for the first page); 400 `invalid_cursor` if it is not one
    of ours, or belongs to another list than `list_name` (by default this request's endpoint)."""
    if not token:
        return None
    try:
        data = _serializer().loads(token)
        cursor = Cursor(tuple(_typed(v) for v in data["k"]), bool(data["b"]), dict(data.get("x") or {}))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise DomainError("invalid_cursor", "翻页位置无效，请从第一页重新开始") from exc
    if data.get("l") != (list_name or _this_list()):
        raise DomainError("invalid_cursor", "这个翻页位置属于另一个列表，请从这个列表的第一页开始")
    return cursor


Key = tuple[sa.ColumnElement, bool]


def beyond(keys: list[Key], values: tuple, *, backwards: bool = False) -> sa.ColumnElement[bool]:
    """Rows after `values` in the order of `keys` ((column, descending) pairs), or before them."""
    descending = {desc for _, desc in keys}
    if len(descending) == 1:
        left = sa.tuple_(*(c for c, _ in keys)) if len(keys) > 1 else keys[0][0]
        right = (
            sa.tuple_(*(sa.literal(v, c.type) for (c, _), v in zip(keys, values, strict=True)))
            if len(keys) > 1
            else values[0]
        )
        return left < right if descending.pop() != backwards else left > right
    terms = []
    for i, (column, desc) in enumerate(keys):
        step = column < values[i] if desc != backwards else column > values[i]
        terms.append(sa.and_(*(c == v for (c, _), v in zip(keys[:i], values, strict=False)), step))
    return sa.or_(*terms)


def _order(keys: list[Key], backwards: bool) -> list:
    return [c.desc() if desc != backwards else c.asc() for c, desc in keys]


Builder = Callable[[list, list, int], sa.Select]


def _builder(stmt: sa.Select) -> Builder:
    return lambda conditions, order, limit: (
        stmt.order_by(None).where(*conditions).order_by(*order).limit(limit)
    )


def keyset(
    stmt: sa.Select | Builder,
    *,
    keys: list[Key],
    row_key: Callable[[object], tuple] | None = None,
    cursor: Cursor | None,
    per_page: int,
    fetch: str = "scalars",
    count: bool = True,
    counted: sa.Select | None = None,
) -> dict:
    """One page of `stmt` ordered by `keys` (ending on a unique column), starting past `cursor`.

    `stmt` is a select, or a function building one from (conditions, order, limit) for a list
    that must push them into its parts (a UNION of index scans). Rows come as ORM objects
    (`fetch="scalars"`), mappings or rows; `row_key` reads a row's sort key (by default the
    keys' columns, by name, of the object, the mapping or the row's first entity). The answer has
    `next_cursor` and `prev_cursor` (None at either end) and a `total` counted up to COUNT_CAP
    (`total_capped` beyond). Rows inserted meanwhile never shift a page: each starts strictly
    past the key it was given. `counted` is the same rows without what only their display
    needs (joins), for the count."""
    build = _builder(stmt) if isinstance(stmt, sa.Select) else stmt
    row_key = row_key or _key_reader(keys, fetch)
    backwards = cursor is not None and cursor.backwards
    conditions = [beyond(keys, cursor.values, backwards=backwards)] if cursor is not None else []
    rows = _fetch(session().execute(build(conditions, _order(keys, backwards), per_page + 1)), fetch)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = cursor is not None and (more if backwards else True)
    total, capped = _capped(build if counted is None else _builder(counted)) if count else (0, False)
    return {
        "items": rows,
        "per_page": per_page,
        "total": total,
        "total_capped": capped,
        "next_cursor": encode_cursor(row_key(rows[-1])) if rows and has_next else None,
        "prev_cursor": encode_cursor(row_key(rows[0]), backwards=True) if rows and has_prev else None,
    }


def _key_reader(keys: list[Key], fetch: str) -> Callable[[object], tuple]:
    """A row's sort key read by the keys' column names, for rows as `fetch` gives them."""
    names = [column.key for column, _descending in keys]
    if fetch == "mappings":
        return lambda row: tuple(row[name] for name in names)
    if fetch == "rows":
        return lambda row: tuple(getattr(row[0], name) for name in names)
    return lambda row: tuple(getattr(row, name) for name in names)


def sifted_keyset(
    stmt: sa.Select,
    *,
    keys: list[Key],
    row_key: Callable[[object], tuple] | None = None,
    cursor: Cursor | None,
    per_page: int,
    keep: Callable[[list], list],
    fetch: str = "mappings",
    batch: int = 200,
    most: int = 2000,
) -> dict:
    """`keyset` over the rows of `stmt` that `keep` keeps: `keep(rows)` answers, for a batch of
    rows, those to show, by a rule only Python can apply (an operation's own refusal check).
    Reads `batch` rows at a time and at most about `most` for one page; a page that stops there
    short still has a cursor past the last row it read. `total` counts `stmt`'s rows, unsifted."""
    build = _builder(stmt)
    row_key = row_key or _key_reader(keys, fetch)
    backwards = cursor is not None and cursor.backwards
    position = cursor.values if cursor is not None else None
    kept: list = []
    read, exhausted = 0, False
    while len(kept) <= per_page and not exhausted and read < most:
        conditions = [beyond(keys, position, backwards=backwards)] if position is not None else []
        rows = _fetch(session().execute(build(conditions, _order(keys, backwards), batch)), fetch)
        read += len(rows)
        exhausted = len(rows) < batch
        if rows:
            position = row_key(rows[-1])
        kept += keep(rows)
    rows = kept[:per_page]
    # Where reading on in this direction starts, if anything may lie there.
    onward = row_key(rows[-1]) if len(kept) > per_page else (None if exhausted else position)
    if backwards:
        rows.reverse()
    total, capped = _capped(build)
    if backwards:
        next_cursor = encode_cursor(row_key(rows[-1])) if rows else None
        prev_cursor = encode_cursor(onward, backwards=True) if onward is not None else None
    else:
        next_cursor = encode_cursor(onward) if onward is not None else None
        prev_cursor = encode_cursor(row_key(rows[0]), backwards=True) if rows and cursor is not None else None
    return {
        "items": rows,
        "per_page": per_page,
        "total": total,
        "total_capped": capped,
        "next_cursor": next_cursor,
        "prev_cursor": prev_cursor,
    }


def count_cap() -> int:
    return COUNT_CAP


def _capped(build: Builder) -> tuple[int, bool]:
    cap = count_cap()
    limited = build([], [], cap + 1).subquery()
    found = session().execute(sa.select(sa.func.count()).select_from(limited)).scalar_one()
    return min(found, cap), found > cap


def _fetch(result, fetch: str) -> list:
    if fetch == "mappings":
        return [dict(row) for row in result.mappings()]
    if fetch == "scalars":
        return list(result.scalars().all())
    return list(result.all())


def page_links(data: dict) -> dict:
    """The `Link` header of a keyset page: this request's URL with the next or previous cursor."""
    links = []
    args = request.args.to_dict()
    for rel, name in (("next", "next_cursor"), ("prev", "prev_cursor")):
        if data.get(name):
            query = urlencode({**args, "cursor": data[name]})
            links.append(f'<{request.base_url}?{query}>; rel="{rel}"')
    return {"Link": ", ".join(links)} if links else {}
