"""Staff pages of stations: the stations I run with their activities, one station with its key
and a form to schedule an activity (loaded by the API's `ActivityCreateSchema`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.checkin import operations, presenters, queries
from points.checkin.pages.base import bp, render
from points.checkin.schemas import ActivityCreateSchema
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError, Forbidden
from points.org.models import Station
from points.org.queries import get_node, get_station, station_path
from points.web import field_limits, load_form, page_action, refuse

LIMITED = ("title", "starts_at", "ends_at", "hourly_rate", "daily_cap")


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
        recent = queries.activities_stmt(actor, station_id=station.id, start=now - timedelta(hours=12))
        activities = session().exec(recent.limit(20)).all()
        rows.append(
            (station, get_node(station.node_id), [presenters.activity_item(a, now) for a in activities])
        )
    return render("checkin/stations.html", rows=rows)


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


def _station_page(actor, station: Station, *, form: dict | None = None, errors: dict | None = None):
    now = utcnow()
    node = get_node(station.node_id)
    listed = queries.activities_stmt(actor, station_id=station.id, include_cancelled=True).limit(60)
    schema = ActivityCreateSchema()
    return render(
        "checkin/station.html",
        422 if errors else 200,
        station=station,
        node=node,
        key=queries.station_key(station.id),
        items=[presenters.activity_item(a, now) for a in session().exec(listed).all()],
        now=now,
        form=form or _activity_defaults(now),
        errors=errors or {},
        limits={name: field_limits(schema, name) for name in LIMITED},
        communities=queries.paying_communities(node),
        tasks=queries.tasks_for_activities(node),
    )


def _managed_station(station_id: int):
    """The asking staff member and the station they manage (403 for anyone else)."""
    actor = current_actor_or_none()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    return actor, station


@bp.get("/checkin/stations/<int:station_id>")
@login_required
def station(station_id: int):
    return _station_page(*_managed_station(station_id))


@bp.post("/checkin/stations/<int:station_id>/activities")
@login_required
def create_activity(station_id: int):
    """Schedule an activity; what is wrong with the form is shown under its fields."""
    actor, station = _managed_station(station_id)
    try:
        values = load_form(ActivityCreateSchema(exclude=("station_id",)), request.form)
        activity = operations.create_activity(actor=actor, station_id=station.id, **values)
    except DomainError as exc:
        if exc.status == 404:
            raise
        refuse(exc)
        typed = {k: request.form.get(k, "") for k in _activity_defaults(utcnow())}
        return _station_page(actor, station, form=typed, errors=exc.errors or {"_": [exc.source]})
    flash(_("活动已创建"), "success")
    return redirect(url_for(".activity", activity_id=activity.id))


@bp.post("/checkin/stations/<int:station_id>/rotate-key")
@login_required
def rotate_key(station_id: int):
    actor = current_actor_or_none()
    key = page_action(lambda: operations.rotate_station_key(actor=actor, station_id=station_id))
    if key is not None:
        flash(
            _(
                "已更换二维码密钥（第 %(version)s 版），之前显示或打印的二维码全部作废，请重新打印海报",
                version=key.version,
            ),
            "success",
        )
    return redirect(url_for(".station", station_id=station_id))
