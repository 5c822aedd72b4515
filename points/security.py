"""Safe defaults for every deployment: a secret key of its own, and security headers on every answer."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask, Response, request

log = logging.getLogger(__name__)

# In the instance folder, next to the SQLite database: made on first start, reused after.
SECRET_KEY_FILE = "secret_key"

# No inline script, style or event handler anywhere: page scripts and styles come from
# /static. Nothing may frame a page (the station screen included), and forms post here only.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src {img}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY = _POLICY.format(img="'self'")
# Swagger UI draws its icons as data: images in its stylesheet.
DOCS_CONTENT_SECURITY_POLICY = _POLICY.format(img="'self' data:")

# Answers that are the same for everyone, which browsers and proxies may keep. Every other
# answer (pages, CSV exports, the API behind a bearer token, errors) is private: no-store.
PUBLIC_ENDPOINTS = frozenset(
    {"static", "api_docs.asset", "api_docs.page", "api-docs.openapi_json", "checkin.Health"}
)


def instance_secret_key(folder: str | os.PathLike) -> str:
    """The secret key kept in `folder`, made (random, readable by its owner only) on first use.

    Several processes may start at once (`make run` starts the scheduler and the web server
    together): each writes a key of its own under a temporary name and links it into place;
    one link wins, and every process reads back the key that won.
    """
    path = Path(folder) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if _create_once(path, secrets.token_urlsafe(48)):
            log.info("made a new secret key in %s; keep it, or everyone is logged out", path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
    return key


def _create_once(path: Path, key: str) -> bool:
    """Put `key` at `path` unless a file is there already; whether this call put it there."""
    # mkstemp makes the file with mode 0600, before anything is written to it.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            # A link appears whole or not at all, and never replaces a file that is there.
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temporary)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers["X-Content-Type-Options"] = "nosniff"
    # A page that already asks for less (the scan pages: no-referrer) keeps it.
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in PUBLIC_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Give the app a secret key if the settings name none, and headers on every answer."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    app.after_request(_add_headers)
