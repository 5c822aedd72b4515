"""Rate limits of scanning, shared by the scan API and the scan pages: per client address, and
per person when logged in, else per scanned code (a station's phones share one address)."""

from __future__ import annotations

from flask import current_app, request

from points.auth.current import current_actor_or_none
from points.errors import DomainError
from points.extensions import limiter


def scan_address_limit() -> str:
    return current_app.config["CHECKIN_SCAN_RATE_LIMIT_ADDRESS"]


def _scanning_actor():
    try:
        return current_actor_or_none()
    except DomainError:
        return None


def scan_person_limit() -> str:
    if _scanning_actor() is not None:
        return current_app.config["CHECKIN_SCAN_RATE_LIMIT_PERSON"]
    return current_app.config["CHECKIN_SCAN_RATE_LIMIT_CODE"]


def scan_person_key() -> str:
    """Per person when logged in, else per scanned code: a station's phones share one address."""
    actor = _scanning_actor()
    if actor is not None:
        return f"scan-person:{actor.person_id}"
    args = request.view_args or {}
    token = args.get("token") or args.get("intent") or ""
    if not token and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            token = body["token"]
    return "scan-code:" + token[:64]


SCAN_LIMITS = [
    limiter.limit(scan_address_limit, methods=["GET", "POST"]),
    limiter.limit(scan_person_limit, key_func=scan_person_key, methods=["GET", "POST"]),
]
