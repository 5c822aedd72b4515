"""What every page does alike: safe redirects, one transaction boundary for a page's action,
and form input loaded through the same marshmallow schemas as the API.

A page's state change runs inside `page_action`: a refusal is flashed in the reader's language
and marks the request's transaction for rollback; the request boundary (`points.db`) commits
or rolls back once. Pages never commit by themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Flask, flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from points.db import LOCAL_TZ, roll_back_request
from points.errors import DomainError, ValidationFailed
from points.i18n import LANGUAGES
from points.pagination import Cursor, decode_cursor

T = TypeVar("T")


def safe_local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`."""
    # Only local paths: an open redirect would turn the login page into a phishing aid.
    # Browsers read "/\\host" as "//host" and drop tabs and newlines, so refuse those too.
    if (
        target
        and target.startswith("/")
        and "\\" not in target
        and not any(ch.isspace() or ord(ch) < 32 for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return default


def page_action(action: Callable[[], T], *, done: str | None = None) -> T | None:
    """Run a page's one state change: flash `done` when it succeeds; when the domain refuses,
    flash why (in the reader's language), roll the request back, and return None.

    "Not found" is not flashed but raised, so the page answers 404 like a missing page.
    """
    try:
        result = action()
    except DomainError as exc:
        if exc.status == 404:
            raise
        refuse(exc)
        return None
    if done:
        flash(done, "success")
    return result


def refuse(exc: DomainError) -> None:
    """Show a refusal on the next page and roll the request back."""
    roll_back_request()
    flash(exc.translated(), "error")


# --- form input, loaded by the API's schemas ---------------------------------------------

_TRUE = frozenset({"1", "on", "true", "yes"})


def _form_value(field: ma.fields.Field, form: MultiDict, key: str):
    """A form's text as the JSON value the schema expects; what cannot be read stays as typed,
    so the schema's own message says what is wrong."""
    if isinstance(field, ma.fields.List):
        # Ticked boxes of one name: each read as the list's items are (ids, say).
        return [_typed(field.inner, v.strip()) for v in form.getlist(key) if v.strip()]
    if isinstance(field, ma.fields.Boolean):
        return form.get(key, "").strip().lower() in _TRUE
    raw = form.get(key)
    if raw is None:
        return None
    if field.metadata.get("verbatim"):
        # A password: its spaces are part of it, as they are when the API receives it.
        return raw or None
    raw = raw.strip()
    if raw == "":
        return None
    return _typed(field, raw)


def _typed(field: ma.fields.Field, raw: str):
    """One typed value (not blank) as the JSON value `field` expects."""
    if isinstance(field, ma.fields.Integer):
        try:
            return int(raw)
        except ValueError:
            return raw
    if isinstance(field, ma.fields.DateTime):
        # `datetime-local` fields carry no zone: they mean the community's local time.
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            return raw
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)).isoformat()
    return raw


def load_form(schema: ma.Schema, form: MultiDict) -> dict:
    """Load a submitted form through the schema the API uses for the same input: one validation
    path, limits defined once. Empty fields count as not given (a required one says 必填). Text is
    trimmed, except in fields marked `metadata={"verbatim": True}` (passwords).

    Raises `ValidationFailed` (422) with per-field messages, which `form_errors` shows by field.
    """
    data = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        value = _form_value(field, form, key)
        if value is not None:
            data[key] = value
    try:
        return schema.load(data, unknown=ma.EXCLUDE)
    except ma.ValidationError as exc:
        raise ValidationFailed("validation_error", "输入有误，请查看各项的说明", errors=exc.messages) from exc


def field_limits(schema: ma.Schema, name: str) -> dict:
    """HTML attributes (maxlength, min, max, required) for a form field, read from the schema's
    own validators, so a page never states a limit of its own."""
    field = schema.fields[name]
    attrs: dict = {"required": True} if field.required else {}
    validators = field.validators if hasattr(field, "validators") else []
    for validator in validators:
        if isinstance(validator, ma.validate.Length) and validator.max is not None:
            attrs["maxlength"] = validator.max
        if isinstance(validator, ma.validate.Range):
            if validator.min is not None:
                attrs["min"] = validator.min
            if validator.max is not None:
                attrs["max"] = validator.max
    return attrs


# --- what every page has ---------------------------------------------------------------

_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    @app.template_filter("localtime")
    def _localtime(value: datetime | None) -> str:
        # Stored in UTC, shown in the community's time zone.
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.context_processor
    def _text_size():
        return {"large_text": request.cookies.get("large_text") == "1"}

    @app.get("/text-size")
    def text_size():
        """大字模式 for older residents: a cookie, so it holds on every page of this phone."""
        response = redirect(safe_local_path(request.args.get("next"), url_for("home_pages.home")))
        large = "1" if request.args.get("large") == "1" else "0"
        response.set_cookie("large_text", large, max_age=_YEAR, samesite="Lax", httponly=True)
        return response

    @app.get("/lang/<code>")
    def choose_language(code: str):
        """Remember the page language on this device."""
        response = redirect(safe_local_path(request.args.get("next"), url_for("home_pages.home")))
        if code in LANGUAGES:
            response.set_cookie("lang", code, max_age=_YEAR, samesite="Lax", httponly=True)
        return response


def list_cursor(arg: str = "cursor") -> Cursor | None:
    """Where a keyset list page starts; a cursor that is not this list's (or not a cursor at all)
    reads as the first page, since a person who follows an old link should see the list."""
    try:
        return decode_cursor(request.args.get(arg))
    except DomainError:
        return None
