"""Check-in pages: the scan page and its result, my attendance and my member card; for staff the
stations, an activity's check-in desk, the full-screen QR screen, the A4 poster and member cards.

Opening a scan URL never checks anyone in (link previews and prefetching open it too):
the page shows who and where with one button, and only its POST checks in or out.
The code is checked when the page opens; the page then carries a signed scan intent
(about ten minutes) through the login page and back, so a person who logs in first
returns to the same button even after the code on the screen has moved on.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError

from points.auth.current import current_actor_or_none, login_required
from points.checkin import operations, queries
from points.checkin.api import check_history_reader, scan_address_limit, scan_person_key, scan_person_limit
from points.checkin.models import Activity, CloseRule
from points.checkin.qr import card_url, qr_png, qr_svg, scan_url
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError, Forbidden
from points.extensions import limiter
from points.i18n import translate
from points.labels import N_
from points.ledger.models import Kind
from points.org.queries import get_node, get_station, station_path
from points.pagination import paginate
from points.people.models import Person
from points.people.queries import acts_as_party_member, get_person, mask_phone, people_stmt
from points.validation import local_datetime
from points.web import safe_local_path

KIND_NAMES = Kind.titles()

bp = Blueprint("checkin_pages", __name__, template_folder="templates")

OUTCOMES = ("checked_in", "checked_out", "already_in", "already_out")
PER_PAGE = 30
NAMES = {"kind_names": KIND_NAMES, "close_rule_names": CloseRule.titles(), "state_names": queries.STATE_NAMES}


def _render(template: str, status: int = 200, **context) -> Response:
    return Response(render_template(template, **NAMES, **context), status=status, mimetype="text/html")


def _private(response: Response) -> Response:
    """Scan pages hold one person's intent: never cached, never indexed, never leaked as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


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


def _scan_error(exc: DomainError):
    return _private(_render("checkin/scan_result.html", exc.status, error=exc, activity=None, station=None))


def _scan_page(activity: Activity, intent: str, *, now: datetime, unattended: bool):
    """Who and where, with the one button that fits: check in, check out, or none yet."""
    actor = current_actor_or_none()
    station = get_station(activity.station_id)
    live = queries.open_checkin(activity.id, actor.person_id) if actor else None
    wait = None
    if live is not None:
        left = timedelta(seconds=current_app.config["CHECKIN_REPEAT_SECONDS"]) - (now - live.checked_in_at)
        if left > timedelta(0):
            wait = max(1, int(left.total_seconds() + 59) // 60)
    person = get_person(actor.person_id) if actor else None
    earns = None
    if person is not None and activity.hourly_rate:
        earns = "hongsong" if acts_as_party_member(person) else "xingan"
    return _private(
        _render(
            "checkin/scan.html",
            activity=activity,
            station=station,
            person=person,
            live=live,
            wait=wait,
            earns=earns,
            unattended=unattended,
            intent=intent,
            login_url=url_for("auth_pages.login", next=url_for(".intent", intent=intent)),
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
        action = request.form.get("action") or None
        result = operations.check_in_or_out(
            actor=current_actor_or_none(),
            activity_id=activity.id,
            unattended=bool(payload["u"]),
            key_version=payload["v"],
            action=action,
            now=now,
        )
    except DomainError as exc:
        # An error page is a 4xx: the request's transaction is rolled back with it.
        return _scan_error(exc)
    return redirect(url_for(".checkin", checkin_id=result.checkin.id, outcome=result.outcome))


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
    item = queries.checkin_item(row, gettext=translate)
    message = None
    if outcome:
        posted = bool(item["award"] and item["award"]["state"] == "posted")
        message = operations.outcome_message(outcome, row, posted=posted, gettext=translate)
    return _private(
        _render(
            "checkin/scan_result.html",
            error=None,
            outcome=outcome,
            message=message,
            item=item,
            activity=activity,
            station=get_station(activity.station_id),
        )
    )


@bp.get("/checkins")
@login_required
def my_checkins():
    actor = current_actor_or_none()
    page = _page_number()
    data = paginate(
        queries.checkins_stmt(person_id=actor.person_id), page=page, per_page=PER_PAGE, scalars=False
    )
    return _render(
        "checkin/history.html",
        person=get_person(actor.person_id),
        items=queries.checkin_items(data["items"], translate),
        page=page,
        pages=max(1, -(-data["total"] // PER_PAGE)),
        own=True,
    )


@bp.get("/people/<int:person_id>/checkins")
@login_required
def person_checkins(person_id: int):
    actor = current_actor_or_none()
    check_history_reader(actor, person_id)
    page = _page_number()
    data = paginate(queries.checkins_stmt(person_id=person_id), page=page, per_page=PER_PAGE, scalars=False)
    return _render(
        "checkin/history.html",
        person=get_person(person_id),
        items=queries.checkin_items(data["items"], translate),
        page=page,
        pages=max(1, -(-data["total"] // PER_PAGE)),
        own=person_id == actor.person_id,
    )


def _page_number() -> int:
    try:
        return min(max(1, int(request.args.get("page", "1"))), 1_000_000)
    except ValueError:
        return 1


# --- member cards ---------------------------------------------------------------------


def _card_context(person: Person, card) -> dict:
    token = operations.card_token(card)
    url = card_url(token)
    return {"person": person, "card": card, "url": url, "svg": qr_svg(url, label=_("会员卡二维码"))}


@bp.get("/card")
@login_required
def my_card():
    actor = current_actor_or_none()
    person, card = operations.member_card_for(actor=actor, person_id=actor.person_id)
    return _render("checkin/cards.html", cards=[_card_context(person, card)], single=True)


@bp.get("/checkin/cards/<int:person_id>")
@login_required
def person_card(person_id: int):
    person, card = operations.member_card_for(actor=current_actor_or_none(), person_id=person_id)
    return _render("checkin/cards.html", cards=[_card_context(person, card)], single=True)


@bp.get("/checkin/cards/<int:person_id>.<fmt>")
@login_required
def person_card_image(person_id: int, fmt: str):
    if fmt not in ("png", "svg"):
        abort(404)
    person, card = operations.member_card_for(actor=current_actor_or_none(), person_id=person_id)
    return _image(card_url(operations.card_token(card)), fmt, f"card-{person.id}")


@bp.post("/checkin/cards/<int:person_id>/reissue")
@login_required
def reissue_card(person_id: int):
    try:
        operations.reissue_member_card(actor=current_actor_or_none(), person_id=person_id)
    except DomainError as exc:
        session().rollback()
        flash(exc.translated())
    else:
        session().commit()
        flash(_("已补办新卡，旧卡已作废"))
    return redirect(url_for(".person_card", person_id=person_id))


@bp.get("/checkin/cards")
@login_required
def batch_cards():
    """Member cards of a community's people, several to an A4 page, for staff to print."""
    actor = current_actor_or_none()
    communities = queries.communities_in_scope(actor, "people.manage")
    if not communities:
        raise Forbidden("forbidden", "只有社区工作人员可以批量打印会员卡")
    try:
        community_id = int(request.args.get("community_id") or communities[0].id)
    except ValueError:
        community_id = communities[0].id
    rows = operations.people_for_cards(actor, community_id)
    return _render(
        "checkin/cards.html",
        cards=[_card_context(person, card) for person, card in rows],
        single=False,
        communities=communities,
        community=get_node(community_id),
    )


@bp.get("/c/<token>")
@login_required
def card_landing(token: str):
    """A staff phone scanned a member card: the person, and the activities running now to check them in to."""
    actor = current_actor_or_none()
    if not actor.can_somewhere("stations.manage"):
        # A card names its holder: only those who check people in may read it.
        abort(404)
    try:
        person_id = queries.read_member_card(token)
    except DomainError as exc:
        return _private(
            _render("checkin/scan_result.html", exc.status, error=exc, activity=None, station=None)
        )
    person = get_person(person_id)
    now = utcnow()
    activities = [
        a for a in session().exec(queries.activities_stmt(actor, start=now)).all() if _runs(actor, a, now)
    ]
    present = {a.id for a in activities if queries.open_checkin(a.id, person.id) is not None}
    return _private(
        _render(
            "checkin/card_landing.html",
            person=person,
            phone=mask_phone(person.phone),
            token=token,
            activities=activities,
            present=present,
            stations={a.station_id: get_station(a.station_id) for a in activities},
        )
    )


def _runs(actor, activity: Activity, now: datetime) -> bool:
    return queries.takes_scans(activity, now) and actor.can(
        "stations.manage", station_path(get_station(activity.station_id))
    )


# --- staff: stations and activities ---------------------------------------------------


def _require_station_staff():
    actor = current_actor_or_none()
    if not actor.can_somewhere("stations.manage"):
        raise Forbidden("forbidden", "只有社区工作人员可以管理签到站点")
    return actor


@bp.get("/checkin/stations")
@login_required
def stations():
    actor = _require_station_staff()
    now = utcnow()
    rows = []
    for station in queries.managed_stations(actor):
        activities = (
            session()
            .exec(
                queries.activities_stmt(actor, station_id=station.id, start=now - timedelta(hours=12)).limit(
                    20
                )
            )
            .all()
        )
        rows.append((station, get_node(station.node_id), [queries.activity_item(a, now) for a in activities]))
    return _render("checkin/stations.html", rows=rows)


@bp.get("/checkin/stations/<int:station_id>")
@login_required
def station(station_id: int):
    actor = current_actor_or_none()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    now = utcnow()
    activities = (
        session()
        .exec(queries.activities_stmt(actor, station_id=station.id, include_cancelled=True).limit(60))
        .all()
    )
    key = queries.station_key(station.id)
    node = get_node(station.node_id)
    return _render(
        "checkin/station.html",
        station=station,
        node=node,
        key=key,
        items=[queries.activity_item(a, now) for a in activities],
        now=now,
        form=_activity_defaults(now),
        errors={},
        communities=queries.paying_communities(node),
        tasks=queries.tasks_for_activities(node),
    )


def _activity_defaults(now: datetime) -> dict:
    local = now.astimezone(LOCAL_TZ).replace(second=0, microsecond=0)
    start = local.replace(minute=0) + timedelta(hours=1)
    return {
        "title": "",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "hourly_rate": "",
        "daily_cap": "",
        "task_id": "",
        "community_id": "",
    }


def _form_int(form, name: str, errors: dict) -> int | None:
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors[name] = [N_("应为整数")]
        return None
    if abs(number) > 10**9:
        errors[name] = [N_("数值过大")]
        return None
    return number


def _form_time(form, name: str, errors: dict) -> datetime | None:
    value = (form.get(name) or "").strip()
    if not value:
        errors[name] = [N_("必填")]
        return None
    try:
        return local_datetime(value, LOCAL_TZ)
    except ValidationError as exc:
        errors[name] = [exc.messages[0]]
        return None


@bp.post("/checkin/stations/<int:station_id>/activities")
@login_required
def create_activity(station_id: int):
    actor = current_actor_or_none()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    form = request.form
    errors: dict[str, list[str]] = {}
    values = {
        "title": form.get("title", ""),
        "starts_at": _form_time(form, "starts_at", errors),
        "ends_at": _form_time(form, "ends_at", errors),
        "hourly_rate": _form_int(form, "hourly_rate", errors),
        "daily_cap": _form_int(form, "daily_cap", errors),
        "task_id": _form_int(form, "task_id", errors),
        "community_id": _form_int(form, "community_id", errors),
    }
    if not errors:
        try:
            activity = operations.create_activity(actor=actor, station_id=station.id, **values)
        except DomainError as exc:
            session().rollback()
            errors = exc.errors or {"_": [exc.message]}
            flash(exc.translated())
        else:
            session().commit()
            flash(_("活动已创建"))
            return redirect(url_for(".activity", activity_id=activity.id))
    now = utcnow()
    node = get_node(station.node_id)
    activities = (
        session()
        .exec(queries.activities_stmt(actor, station_id=station.id, include_cancelled=True).limit(60))
        .all()
    )
    return _render(
        "checkin/station.html",
        422,
        station=station,
        node=node,
        key=queries.station_key(station.id),
        items=[queries.activity_item(a, now) for a in activities],
        now=now,
        form={k: form.get(k, "") for k in _activity_defaults(now)},
        errors=errors,
        communities=queries.paying_communities(node),
        tasks=queries.tasks_for_activities(node),
    )


@bp.post("/checkin/stations/<int:station_id>/rotate-key")
@login_required
def rotate_key(station_id: int):
    try:
        key = operations.rotate_station_key(actor=current_actor_or_none(), station_id=station_id)
    except DomainError as exc:
        session().rollback()
        if exc.status == 404:
            raise
        flash(exc.translated())
    else:
        session().commit()
        flash(
            _(
                "已更换二维码密钥（第 %(version)s 版），之前显示或打印的二维码全部作废，请重新打印海报",
                version=key.version,
            )
        )
    return redirect(url_for(".station", station_id=station_id))


@bp.get("/checkin/activities/<int:activity_id>")
@login_required
def activity(activity_id: int):
    """The check-in desk: who is in, a member-card field (scanner or camera), and a list to pick from."""
    actor = current_actor_or_none()
    activity, station = queries.managed_activity(actor, activity_id)
    now = utcnow()
    q = (request.args.get("q") or "").strip()[:50]
    found = []
    if q:
        people = session().exec(people_stmt(actor, q=q).limit(20)).all()
        found = [
            (p, mask_phone(p.phone), queries.open_checkin(activity.id, p.id) is not None)
            for p in people
            if p.id != actor.person_id
        ]
    page = _page_number()
    data = paginate(
        queries.checkins_stmt(activity_id=activity.id), page=page, per_page=PER_PAGE, scalars=False
    )
    return _render(
        "checkin/activity.html",
        activity=activity,
        item=queries.activity_item(activity, now),
        station=station,
        q=q,
        found=found,
        items=queries.checkin_items(data["items"], translate),
        page=page,
        pages=max(1, -(-data["total"] // PER_PAGE)),
        started=activity.starts_at <= now,
        ended=activity.ends_at <= now,
        rate_refusal=operations.rate_confirmation_refusal(actor, activity, now=now),
    )


@bp.post("/checkin/activities/<int:activity_id>/staff-checkin")
@login_required
def staff_checkin(activity_id: int):
    actor = current_actor_or_none()
    person_id = None
    raw = (request.form.get("person_id") or "").strip()
    if raw:
        try:
            person_id = int(raw)
        except ValueError:
            person_id = None
    card = (request.form.get("card") or "").strip()[:300] or None
    action = request.form.get("action") or None
    try:
        result = operations.staff_check_in(
            actor=actor, activity_id=activity_id, person_id=person_id, card=card, action=action
        )
    except DomainError as exc:
        session().rollback()
        if exc.status == 404 and exc.code == "not_found":
            raise
        flash(exc.translated())
    else:
        name = get_person(result.checkin.person_id).name
        session().commit()
        flash(_("%(name)s：%(message)s", name=name, message=result.say(translate)))
    return redirect(safe_local_path(request.form.get("back"), url_for(".activity", activity_id=activity_id)))


@bp.post("/checkin/activities/<int:activity_id>/confirm-rate")
@login_required
def confirm_rate(activity_id: int):
    try:
        operations.confirm_activity_rate(actor=current_actor_or_none(), activity_id=activity_id)
    except DomainError as exc:
        session().rollback()
        if exc.status == 404:
            raise
        flash(exc.translated())
    else:
        session().commit()
        flash(_("积分标准已确认：本人扫码签到的积分将自动入账"))
    return redirect(url_for(".activity", activity_id=activity_id))


@bp.post("/checkin/activities/<int:activity_id>/<any(end, cancel):action>")
@login_required
def activity_action(activity_id: int, action: str):
    call = operations.end_activity if action == "end" else operations.cancel_activity
    try:
        call(actor=current_actor_or_none(), activity_id=activity_id)
    except DomainError as exc:
        session().rollback()
        if exc.status == 404:
            raise
        flash(exc.translated())
    else:
        session().commit()
        flash(_("活动已结束，未签退的人员可在宽限期内扫码签退") if action == "end" else _("活动已取消"))
    return redirect(url_for(".activity", activity_id=activity_id))


# --- the screen, the poster and QR images ---------------------------------------------


@bp.get("/checkin/activities/<int:activity_id>/screen")
@login_required
def screen(activity_id: int):
    """The full-screen rotating code for a tablet or TV at the station."""
    activity, station = queries.managed_activity(current_actor_or_none(), activity_id)
    return _private(
        _render(
            "checkin/screen.html",
            activity=activity,
            station=station,
            state=_screen_state(activity, utcnow()),
            poll_seconds=current_app.config["CHECKIN_SCREEN_POLL_SECONDS"],
        )
    )


def _screen_state(activity: Activity, now: datetime, *, have: str | None = None) -> dict:
    counts = queries.activity_counts(activity.id)
    if not queries.takes_scans(activity, now):
        started = now >= queries.opens_at(activity)
        return {
            "token": None,
            "svg": None,
            "showing": False,
            "ended": started,
            "rotates_in": 0,
            "now": now.isoformat(),
            **counts,
        }
    code = operations.station_code(actor=current_actor_or_none(), activity_id=activity.id, now=now)
    url = scan_url(code.token)
    return {
        "token": code.token,
        "url": url,
        # A screen that already shows this code is not sent its picture again.
        "svg": None if have == code.token else qr_svg(url, label=_("签到二维码")),
        "showing": True,
        "ended": now >= activity.ends_at,
        "rotates_in": max(0.0, (code.rotates_at - now).total_seconds()),
        "now": now.isoformat(),
        **counts,
    }


@bp.get("/checkin/activities/<int:activity_id>/screen.json")
@login_required
def screen_state(activity_id: int):
    activity, _station = queries.managed_activity(current_actor_or_none(), activity_id)
    response = jsonify(_screen_state(activity, utcnow(), have=request.args.get("have")))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/checkin/activities/<int:activity_id>/poster")
@login_required
def poster(activity_id: int):
    """An A4 poster with a static code, for a station without a screen; its check-ins are unattended."""
    actor = current_actor_or_none()
    activity, station = queries.managed_activity(actor, activity_id)
    code = operations.station_code(actor=actor, activity_id=activity.id, poster=True)
    url = scan_url(code.token)
    return _render(
        "checkin/poster.html",
        activity=activity,
        station=station,
        url=url,
        svg=qr_svg(url, label=_("签到二维码")),
    )


@bp.get("/checkin/activities/<int:activity_id>/qr.<fmt>")
@login_required
def activity_qr(activity_id: int, fmt: str):
    """The screen's current code (or with `?poster=1` the poster's) as PNG or SVG."""
    if fmt not in ("png", "svg"):
        abort(404)
    poster = request.args.get("poster") == "1"
    code = operations.station_code(actor=current_actor_or_none(), activity_id=activity_id, poster=poster)
    return _image(scan_url(code.token), fmt, f"activity-{activity_id}{'-poster' if poster else ''}")


def _image(url: str, fmt: str, name: str) -> Response:
    if fmt == "png":
        response = Response(qr_png(url), mimetype="image/png")
    else:
        response = Response(qr_svg(url), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
