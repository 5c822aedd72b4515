"""The scan page and its one button, the result of a check-in, and attendance records.

Opening a scan URL never checks anyone in (link previews and prefetching open it too):
the page shows who and where with the one button the transition table allows, and only its
POST checks in or out. The code is checked when the page opens; the page then carries a
signed scan intent (about ten minutes) through the login page and back, so a person who logs
in first returns to the same button even after the code on the screen has moved on.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from datetime import datetime

from flask import current_app, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from points.auth.current import current_actor_or_none, login_required, request_device
from points.checkin import operations, presenters, queries
from points.checkin.limits import scan_address_limit, scan_person_key, scan_person_limit
from points.checkin.models import Activity
from points.checkin.pages.base import PER_PAGE, bp, private, render
from points.checkin.transitions import check_in_refusal, check_out_refusal
from points.db import utcnow
from points.errors import DomainError
from points.extensions import limiter
from points.i18n import translate
from points.ledger.models import Kind
from points.org.queries import get_station
from points.people.queries import acts_as_party_member, get_person
from points.web import list_cursor

OUTCOMES = ("checked_in", "checked_out", "already_in", "already_out")


# --- the scan intent ------------------------------------------------------------------


def _intents() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="points.checkin.intent")


# A scan made before logging in belongs to the phone that made it: a random value in a cookie
# of that phone. The intent carries only a keyed hash of it, since whoever receives a link can
# read what is signed into it (signed, not encrypted): they cannot turn the link into the cookie.
NONCE_COOKIE = "scan_nonce"
_NONCE = re.compile(r"[A-Za-z0-9_-]{22}")


def _nonce_digest(nonce: str) -> str:
    mac = hmac.new(_secret_bytes(), b"points.checkin.scan-nonce:" + nonce.encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def _secret_bytes() -> bytes:
    secret = current_app.secret_key
    return secret.encode() if isinstance(secret, str) else secret


def make_intent(scan: queries.Scan, *, person_id: int | None, now: datetime, nonce: str | None = None) -> str:
    payload = {
        "a": scan.activity.id,
        "v": scan.key_version,
        "u": int(scan.unattended),
        "t": int(now.timestamp()),
    }
    if person_id is not None:
        payload["p"] = person_id
    elif nonce is not None:
        payload["h"] = _nonce_digest(nonce)
    return _intents().dumps(payload)


def read_intent(intent: str, *, now: datetime) -> dict:
    """A scan intent made in the last CHECKIN_INTENT_SECONDS. Raises `intent_invalid`, `intent_expired`."""
    try:
        payload = _intents().loads(intent)
    except BadSignature as exc:
        raise DomainError("intent_invalid", "链接无效，请重新扫描现场的二维码", 400) from exc
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), int) for k in ("a", "v", "u", "t")
    ):
        raise DomainError("intent_invalid", "链接无效，请重新扫描现场的二维码", 400)
    age = now.timestamp() - payload["t"]
    if not -60 <= age <= current_app.config["CHECKIN_INTENT_SECONDS"]:
        raise DomainError("intent_expired", "扫码已超过10分钟，请重新扫描屏幕上的二维码", 410)
    return payload


def _made_here(payload: dict) -> bool:
    """Whether this request comes from whoever made the intent: the person it is bound to, or
    (made logged out) the phone holding the nonce whose hash it carries."""
    if "p" in payload:
        return payload["p"] == current_actor_or_none().person_id
    nonce = request.cookies.get(NONCE_COOKIE, "")
    digest = payload.get("h")
    return (
        isinstance(digest, str)
        and bool(_NONCE.fullmatch(nonce))
        and hmac.compare_digest(digest, _nonce_digest(nonce))
    )


# --- the scan page --------------------------------------------------------------------


def _scan_error(exc: DomainError):
    return private(render("checkin/scan_result.html", exc.status, error=exc, activity=None, station=None))


def _button(person_id: int, activity: Activity, now: datetime):
    """The person's open check-in, the one action the table allows them now ("in", "out" or
    None), and why not, when it allows none."""
    live = queries.open_checkin(activity.id, person_id)
    if live is not None:
        refusal = check_out_refusal(live, activity, now=now)
        return live, ("out" if refusal is None else None), refusal
    refusal = check_in_refusal(person_id, activity, now=now)
    return None, ("in" if refusal is None else None), refusal


def _scan_page(activity: Activity, intent: str, *, now: datetime, unattended: bool):
    """Who and where, with the one button that fits: check in, check out, or none and why."""
    actor = current_actor_or_none()
    person = get_person(actor.person_id) if actor else None
    live = action = refusal = None
    if person is not None:
        live, action, refusal = _button(person.id, activity, now)
    earns = None
    if person is not None and activity.hourly_rate:
        earns = (Kind.HONGSONG if acts_as_party_member(person) else Kind.XINGAN).value
    return private(
        render(
            "checkin/scan.html",
            activity=activity,
            station=get_station(activity.station_id),
            person=person,
            live=live,
            action=action,
            refusal=refusal,
            earns=earns,
            unattended=unattended,
            intent=intent,
            login_url=url_for("auth_pages.login", next=url_for(".intent", intent=intent)),
            register_url=url_for("onboarding_pages.register", next=url_for(".intent", intent=intent)),
        )
    )


@bp.get("/s/<token>")
@limiter.limit(scan_address_limit)
@limiter.limit(scan_person_limit, key_func=scan_person_key)
def scan(token: str):
    """What a phone camera opens: check the code now, then show the button (never check in here)."""
    now = utcnow()
    try:
        code = queries.read_station_code(token, now=now)
    except DomainError as exc:
        return _scan_error(exc)
    actor = current_actor_or_none()
    if actor is not None:
        intent = make_intent(code, person_id=actor.person_id, now=now)
        return _scan_page(code.activity, intent, now=now, unattended=code.unattended)
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if not _NONCE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(16)
    intent = make_intent(code, person_id=None, now=now, nonce=nonce)
    response = _scan_page(code.activity, intent, now=now, unattended=code.unattended)
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=current_app.config["CHECKIN_INTENT_SECONDS"],
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def _bound_intent(intent: str, now: datetime) -> tuple[dict, Activity]:
    """The intent, if it was made here and the code it came from would still be good."""
    payload = read_intent(intent, now=now)
    if not _made_here(payload):
        # Someone else's scan, passed on: they scan for themselves.
        raise DomainError("intent_invalid", "这是别人的扫码链接，请自己扫描现场的二维码", 403)
    activity = queries.get_activity(payload["a"])
    queries.require_code_still_good(activity, key_version=payload["v"])
    return payload, activity


@bp.route("/s/i/<intent>", methods=["GET", "POST"])
@limiter.limit(scan_address_limit)
@limiter.limit(scan_person_limit, key_func=scan_person_key)
@login_required
def intent(intent: str):
    """The scan page after logging in (GET), and its one button (POST)."""
    now = utcnow()
    try:
        payload, activity = _bound_intent(intent, now)
        if request.method == "GET":
            queries.require_scannable(activity, now)
            if "p" not in payload:
                # Bind the scan to whoever logged in, so the link cannot be passed on.
                payload["p"] = current_actor_or_none().person_id
                intent = _intents().dumps(payload)
            return _scan_page(activity, intent, now=now, unattended=bool(payload["u"]))
        result = operations.check_in_or_out(
            actor=current_actor_or_none(),
            activity_id=activity.id,
            unattended=bool(payload["u"]),
            key_version=payload["v"],
            action=request.form.get("action") or None,
            device=operations.Device(*request_device()),
            now=now,
        )
    except DomainError as exc:
        # An error page is a 4xx: the request's transaction is rolled back with it.
        return _scan_error(exc)
    return redirect(url_for(".checkin", checkin_id=result.checkin.id, outcome=result.outcome))


# --- results and records --------------------------------------------------------------


@bp.get("/checkins/<int:checkin_id>")
@login_required
def checkin(checkin_id: int):
    """One check-in: the result page after a scan, and a line of one's record."""
    actor = current_actor_or_none()
    row = queries.get_checkin(checkin_id)
    if row.person_id != actor.person_id:
        queries.managed_activity(actor, row.activity_id)
    outcome = request.args.get("outcome")
    if outcome not in OUTCOMES:
        outcome = None
    activity = queries.get_activity(row.activity_id)
    item = presenters.checkin_item(row, activity=activity, gettext=translate, actor=actor)
    message = None
    if outcome:
        posted = bool(item["award"] and item["award"]["state"] == "posted")
        message = presenters.outcome_message(outcome, row, posted=posted, gettext=translate)
    return private(
        render(
            "checkin/scan_result.html",
            error=None,
            outcome=outcome,
            message=message,
            item=item,
            activity=activity,
            station=get_station(activity.station_id),
        )
    )


def _history(person_id: int, *, own: bool):
    actor = current_actor_or_none()
    data = queries.checkins_page(person_id=person_id, cursor=list_cursor(), per_page=PER_PAGE)
    items = presenters.checkin_items(data["items"], translate, actor=actor)
    return render("checkin/history.html", person=get_person(person_id), items=items, data=data, own=own)


@bp.get("/checkins")
@login_required
def my_checkins():
    return _history(current_actor_or_none().person_id, own=True)


@bp.get("/people/<int:person_id>/checkins")
@login_required
def person_checkins(person_id: int):
    actor = current_actor_or_none()
    queries.check_history_reader(actor, person_id)
    return _history(person_id, own=person_id == actor.person_id)
