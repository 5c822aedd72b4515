"""Station keys and the codes a station shows: on its screen (a new one every window), or on
its printed poster (one static code)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from points.access import Actor
from points.audit.operations import audit
from points.checkin import queries, tokens
from points.checkin.models import ActivityState, StationKey
from points.db import session, utcnow
from points.errors import DomainError
from points.org.queries import get_station, station_path


def ensure_station_key(station_id: int, *, now: datetime | None = None) -> StationKey:
    """The station's signing key, made on first use (a random 32-byte secret, version 1)."""
    key = queries.station_key(station_id)
    if key is not None:
        return key
    sess = session()
    key = StationKey(
        station_id=station_id, version=1, secret=secrets.token_bytes(32), rotated_at=now or utcnow()
    )
    try:
        with sess.begin_nested():
            sess.add(key)
            sess.flush()
    except IntegrityError:
        # Another request made it first; theirs is the key.
        key = queries.station_key(station_id)
        if key is None:
            raise
    return key


def rotate_station_key(*, actor: Actor, station_id: int, now: datetime | None = None) -> StationKey:
    """Give the station a new signing key: every code it showed or printed stops working.

    Needs `stations.manage` over the station. Audited. Raises `station_not_found`.
    """
    now = now or utcnow()
    station = get_station(station_id)
    actor.require("stations.manage", station_path(station))
    ensure_station_key(station.id, now=now)
    key = (
        session()
        .exec(
            select(StationKey)
            .where(StationKey.station_id == station.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .one()
    )
    key.version += 1
    key.secret = secrets.token_bytes(32)
    key.rotated_at, key.rotated_by_id = now, actor.person_id
    audit(actor, "station.key_rotated", station, detail={"version": key.version}, now=now)
    return key


@dataclass(frozen=True)
class StationCodeOut:
    token: str
    window: int | None
    # A screen code shows until `rotates_at` and is still accepted until `valid_until`.
    rotates_at: datetime | None
    valid_until: datetime | None


def station_code(
    *, actor: Actor, activity_id: int, poster: bool = False, now: datetime | None = None
) -> StationCodeOut:
    """The code to show on the station's screen now, or the static code for its poster.

    Needs `stations.manage` over the station. Raises `activity_not_found`,
    `activity_cancelled`, `activity_ended`.
    """
    now = now or utcnow()
    activity, station = queries.managed_activity(actor, activity_id)
    if activity.state == ActivityState.CANCELLED:
        raise DomainError("activity_cancelled", "活动已取消", 409)
    if not poster and now >= queries.checkout_closes_at(activity):
        raise DomainError("activity_ended", "活动已结束", 409)
    key = ensure_station_key(station.id, now=now)
    if poster:
        code = tokens.StationCode(station.id, activity.id, key.version, None)
        return StationCodeOut(tokens.encode_station_code(code, key.secret), None, None, None)
    seconds = current_app.config["CHECKIN_WINDOW_SECONDS"]
    window = tokens.window_of(now, seconds)
    code = tokens.StationCode(station.id, activity.id, key.version, window)
    return StationCodeOut(
        tokens.encode_station_code(code, key.secret),
        window,
        datetime.fromtimestamp((window + 1) * seconds, UTC),
        datetime.fromtimestamp((window + 2) * seconds, UTC),
    )
