"""Checks that run before every view: a password that must be changed, and sensitive actions
that need the password typed again within REAUTH_HOURS.

The sensitive actions are listed here, once, by endpoint and method, for pages and the API
alike; a test checks that each one names a real route.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app, redirect, request, url_for

from points.auth.current import Credential, current_actor_or_none, current_credential
from points.db import utcnow
from points.errors import DomainError, Forbidden, Unauthorized
from points.web import safe_local_path

# Approving, rejecting, bulk-approving and reversing awards; resetting a password and unlocking
# an account; granting and revoking roles; rotating a station's key; reissuing a member card.
SENSITIVE: dict[str, frozenset[str]] = {
    # pages
    "ledger_pages.approve": frozenset({"POST"}),
    "ledger_pages.reject": frozenset({"POST"}),
    "ledger_pages.bulk": frozenset({"POST"}),
    "people_pages.unlock_person": frozenset({"POST"}),
    "people_pages.reset_password": frozenset({"POST"}),
    "checkin_pages.rotate_key": frozenset({"POST"}),
    "checkin_pages.reissue_card": frozenset({"POST"}),
    # API
    "ledger.AwardApprove": frozenset({"POST"}),
    "ledger.AwardReject": frozenset({"POST"}),
    "ledger.AwardBulkApprove": frozenset({"POST"}),
    "ledger.TransferReverse": frozenset({"POST"}),
    "people.PersonPasswordReset": frozenset({"POST"}),
    "people.PersonUnlock": frozenset({"POST"}),
    "people.PersonRoles": frozenset({"POST"}),
    "people.PersonRole": frozenset({"DELETE"}),
    "checkin.StationKeyRotate": frozenset({"POST"}),
    "checkin.PersonCardReissue": frozenset({"POST"}),
}

# What someone who must choose a new password may still do.
WHILE_PASSWORD_MUST_CHANGE: dict[str, frozenset[str]] = {
    "auth_pages.change_password": frozenset({"GET", "POST"}),
    "auth_pages.logout": frozenset({"POST"}),
    "static": frozenset({"GET"}),
    "choose_language": frozenset({"GET"}),
    "text_size": frozenset({"GET"}),
    "people.MyPassword": frozenset({"POST"}),
    "auth.Token": frozenset({"DELETE"}),
}


def _listed(table: dict[str, frozenset[str]]) -> bool:
    method = "GET" if request.method == "HEAD" else request.method
    return method in table.get(request.endpoint or "", frozenset())


def is_sensitive() -> bool:
    """Whether the current request is one of the sensitive actions."""
    return _listed(SENSITIVE)


def needs_reauth(credential: Credential, *, now: datetime | None = None) -> bool:
    """The password was last typed longer than REAUTH_HOURS ago."""
    age = (now or utcnow()) - credential.confirmed_at
    return age >= timedelta(hours=current_app.config["REAUTH_HOURS"])


def _return_to() -> str:
    """Where to come back to after confirming: the page itself, or for a form the page it was on."""
    home = url_for("home_pages.home")
    if request.method == "GET":
        return safe_local_path(request.full_path.rstrip("?"), home)
    back = request.form.get("back")
    if back:
        return safe_local_path(back, home)
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        return safe_local_path(path, home)
    return home


def _guard():
    if request.endpoint is None:
        return None
    try:
        actor = current_actor_or_none()
    except DomainError:
        # A bad token: the view itself answers for it (some views do without a login).
        return None
    credential = current_credential()
    if actor is None or credential is None:
        return None
    api = request.path.startswith("/api/")
    if credential.must_change_password and not _listed(WHILE_PASSWORD_MUST_CHANGE):
        if api:
            raise Forbidden(
                "password_change_required", "请先修改密码（POST /api/v1/me/password），再进行其他操作"
            )
        return redirect(url_for("auth_pages.change_password", next=_return_to()))
    if is_sensitive() and needs_reauth(credential):
        if api:
            raise Unauthorized("reauth_required", "此操作需要重新验证身份，请重新登录后再试")
        return redirect(url_for("auth_pages.confirm_password", next=_return_to()))
    return None


def init_app(app: Flask) -> None:
    app.before_request(_guard)
