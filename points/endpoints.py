"""What the JSON endpoints of every domain declare alike: bearer security, the input an
endpoint reads and the answer it gives, and a keyset list's answer with its `Link` header."""

from __future__ import annotations

from collections.abc import Callable

from flask_smorest import Blueprint

from points.pagination import Cursor, decode_cursor, page_links

SECURED = [{"bearerAuth": []}]


def secured(
    blp: Blueprint,
    status: int | None = None,
    schema=None,
    *,
    body=None,
    query=None,
    **doc,
) -> Callable:
    """The usual stack of a bearer-secured endpoint: `blp.doc(security=…, **doc)`, then the
    arguments it reads (`body`: JSON; `query`: the query string), then its answer (`status` and
    `schema`), applied in that order so the document is the one the three decorators make."""

    def decorate(view: Callable) -> Callable:
        if status is not None:
            view = blp.response(status, schema)(view)
        if body is not None:
            view = blp.arguments(body)(view)
        if query is not None:
            view = blp.arguments(query, location="query")(view)
        return blp.doc(security=SECURED, **doc)(view)

    return decorate


def action_route(blp: Blueprint, rule: str, endpoint: str, view: type, doc: str) -> type:
    """Registers `view` (a MethodView answering POST) at `rule` as `endpoint`, its POST
    documented by `doc`: one endpoint of a family of alike actions built by one factory."""
    view.post.__doc__ = doc
    return blp.route(rule, endpoint=endpoint)(view)


def page_args(args: dict) -> tuple[Cursor | None, int]:
    """Takes a list's `cursor` (decoded) and `per_page` out of its query arguments, leaving
    the filters."""
    return decode_cursor(args.pop("cursor", None)), args.pop("per_page")


def paged(page: dict) -> tuple[dict, int, dict]:
    """A keyset page as an endpoint answers it: the page, 200, and its `Link` header."""
    return page, 200, page_links(page)
