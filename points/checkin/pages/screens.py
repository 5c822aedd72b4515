"""What a station shows: the full-screen rotating code for a tablet or TV, the A4 poster with a
static code, and both as images."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.checkin import operations, queries
from points.checkin.models import Activity
from points.checkin.pages.base import bp, private, qr_image, render
from points.checkin.qr import qr_svg, scan_url
from points.db import utcnow


@bp.get("/checkin/activities/<int:activity_id>/screen")
@login_required
def screen(activity_id: int):
    """The full-screen rotating code for a tablet or TV at the station."""
    activity, station = queries.managed_activity(current_actor_or_none(), activity_id)
    return private(
        render(
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
    return render(
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
    return qr_image(scan_url(code.token), fmt, f"activity-{activity_id}{'-poster' if poster else ''}")
