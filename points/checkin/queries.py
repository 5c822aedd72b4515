"""Reading activities, check-ins, codes and member cards."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from points.access import Actor
from points.board.models import Task
from points.checkin import tokens
from points.checkin.models import Activity, ActivityState, CheckIn, MemberCard, StationKey
from points.db import LOCAL_TZ, get_row, session
from points.errors import DomainError, NotFound
from points.labels import N_
from points.org.models import OrgNode, Station
from points.org.queries import get_station, station_path
from points.pagination import Cursor, keyset
from points.people.models import Person
from points.people.queries import get_person, home_path


def get_activity(activity_id: int, *, lock: bool = False) -> Activity:
    return get_row(Activity, activity_id, NotFound("activity_not_found", "活动不存在"), lock=lock)


def managed_activity(actor: Actor, activity_id: int, *, lock: bool = False) -> tuple[Activity, Station]:
    """An activity the actor runs (`stations.manage` over its station): 404 outside scope, 403 inside."""
    activity = get_activity(activity_id, lock=lock)
    station = get_station(activity.station_id)
    actor.require("stations.manage", station_path(station))
    return activity, station


def visible_activity(actor: Actor, activity_id: int) -> Activity:
    """Staff of its station, or people of the community it is in (activities are announced there)."""
    activity = get_activity(activity_id)
    person = session().get(Person, actor.person_id)
    if person is not None and person.community_id == activity.community_id:
        return activity
    actor.require("stations.manage", station_path(get_station(activity.station_id)))
    return activity


def activities_stmt(
    actor: Actor,
    *,
    station_id: int | None = None,
    community_id: int | None = None,
    running_at: datetime | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    include_cancelled: bool = False,
) -> sa.Select:
    """Activities at stations the actor runs, plus those of their own community; newest first."""
    person = session().get(Person, actor.person_id)
    own = Activity.community_id == person.community_id if person and person.community_id else sa.false()
    stmt = (
        select(Activity)
        .join(Station, Station.id == Activity.station_id)
        .join(OrgNode, OrgNode.id == Station.node_id)
        .where(sa.or_(actor.scope_filter("stations.manage", OrgNode.path), own))
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
    )
    if station_id is not None:
        stmt = stmt.where(Activity.station_id == station_id)
    if community_id is not None:
        stmt = stmt.where(Activity.community_id == community_id)
    if running_at is not None:
        stmt = stmt.where(Activity.starts_at <= running_at, Activity.ends_at > running_at)
    if start is not None:
        stmt = stmt.where(Activity.ends_at > start)
    if end is not None:
        stmt = stmt.where(Activity.starts_at < end)
    if not include_cancelled:
        stmt = stmt.where(Activity.state == "active")
    return stmt


def activities_page(stmt: sa.Select, *, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `activities_stmt`, latest start first."""
    return keyset(
        stmt,
        keys=[(Activity.starts_at, True), (Activity.id, True)],
        cursor=cursor,
        per_page=per_page,
    )


def managed_stations(actor: Actor) -> list[Station]:
    return list(
        session()
        .exec(
            select(Station)
            .join(OrgNode, OrgNode.id == Station.node_id)
            .where(actor.scope_filter("stations.manage", OrgNode.path))
            .order_by(OrgNode.path, Station.id)
        )
        .all()
    )


def communities_in_scope(actor: Actor, action: str) -> list[OrgNode]:
    stmt = select(OrgNode).where(OrgNode.level == "community", actor.scope_filter(action, OrgNode.path))
    return list(session().exec(stmt.order_by(OrgNode.path)).all())


def paying_communities(node: OrgNode) -> list[OrgNode]:
    """For a station above the communities (a street's centre): those under it, one of which pays."""
    if node.level not in ("city", "district", "street"):
        return []
    stmt = select(OrgNode).where(OrgNode.level == "community", OrgNode.path.startswith(node.path))
    return list(session().exec(stmt.order_by(OrgNode.path)).all())


def tasks_for_activities(node: OrgNode, *, limit: int = 50) -> list:
    """Tasks on the board of the station's community (or the communities under it) that an
    activity may be for."""

    if node.level == "grid":
        node = session().get(OrgNode, node.parent_id)
    stmt = (
        select(Task)
        .join(OrgNode, OrgNode.id == Task.community_id)
        .where(OrgNode.path.startswith(node.path), Task.state.in_(("posted", "closed")))
        .order_by(Task.starts_at.desc())
        .limit(limit)
    )
    return list(session().exec(stmt).all())


# --- when an activity takes scans ------------------------------------------------------


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])


def opens_at(activity: Activity) -> datetime:
    """Check-in opens a little before the start, so people arriving early can scan."""
    return activity.starts_at - _minutes("CHECKIN_EARLY_MINUTES")


def checkout_closes_at(activity: Activity) -> datetime:
    """Check-out stays open a little after the end; the job closes what is still open then."""
    return activity.ends_at + _minutes("CHECKIN_CHECKOUT_GRACE_MINUTES")


def takes_scans(activity: Activity, now: datetime) -> bool:
    return activity.state == "active" and opens_at(activity) <= now < checkout_closes_at(activity)


def scannable_refusal(activity: Activity, now: datetime) -> DomainError | None:
    """Why the activity takes no scans now (`activity_cancelled`, `activity_not_started`,
    `activity_ended`), or None when it does."""
    if activity.state == ActivityState.CANCELLED:
        return DomainError("activity_cancelled", "活动已取消", 409)
    if now < opens_at(activity):
        start = activity.starts_at.astimezone(LOCAL_TZ)
        return DomainError(
            "activity_not_started",
            "活动尚未开始，%(month)s月%(day)s日 %(time)s 开始，请到时再扫码",
            409,
            values={"month": f"{start:%m}", "day": f"{start:%d}", "time": f"{start:%H:%M}"},
        )
    if now >= checkout_closes_at(activity):
        return DomainError("activity_ended", "活动已结束，不能再签到或签退", 409)
    return None


def require_scannable(activity: Activity, now: datetime) -> None:
    """Raise unless the activity takes scans now (see `scannable_refusal`)."""
    refusal = scannable_refusal(activity, now)
    if refusal is not None:
        raise refusal


def phase(activity: Activity, now: datetime) -> str:
    """Where the activity stands: `upcoming`, `running`, `ended` (by its hours), or `cancelled`."""
    if activity.state == ActivityState.CANCELLED:
        return "cancelled"
    if activity.ends_at <= now:
        return "ended"
    if activity.starts_at >= now:
        return "upcoming"
    return "running"


# --- codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """A station code that checked out: which activity, and whether nobody watched (poster)."""

    activity: Activity
    station: Station
    key_version: int
    unattended: bool
    # With `person_id`: that person's latest check-in at the activity, read in the same query,
    # and their check-in lock held (`lock_person_checkins`).
    latest: CheckIn | None = None
    person_locked: bool = False


_INVALID = N_("二维码无效，请扫描站点屏幕或海报上的二维码")


def station_key(station_id: int) -> StationKey | None:
    return session().get(StationKey, station_id)


# People's check-ins are begun one at a time per person (one stay at a time): on PostgreSQL a
# transaction-scoped advisory lock in this namespace, which unlike a row lock writes nothing, so a
# repeated scan that changes nothing costs no commit to disk. SQLite's write transaction is the lock.
CHECKIN_LOCK_SPACE = 0x434B49


def lock_person_checkins(person_id: int) -> None:
    """Hold the person's check-in lock until the transaction ends (see CHECKIN_LOCK_SPACE)."""
    conn = session().connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_CHECKINS, {"space": CHECKIN_LOCK_SPACE, "person": person_id})


_LOCK_CHECKINS = sa.text("SELECT pg_advisory_xact_lock(:space, :person)")


@functools.cache
def _code_statement(dialect: str, for_person: bool) -> sa.Select:
    """Key, activity, station and (`for_person`) the scanning person's latest check-in at the
    activity in one statement, built once: this runs on every scan of a crowd. On PostgreSQL the
    same statement takes the person's check-in lock (a scan that then checks in needs it anyway)."""
    stmt = (
        sa.select(StationKey, Activity, Station)
        .join(Station, Station.id == StationKey.station_id)
        .join(Activity, Activity.station_id == Station.id)
        .where(StationKey.station_id == sa.bindparam("station"), Activity.id == sa.bindparam("activity"))
    )
    if for_person:
        person = sa.bindparam("person", type_=sa.Integer)
        latest_id = (
            sa.select(sa.func.max(CheckIn.id))
            .where(CheckIn.activity_id == Activity.id, CheckIn.person_id == person)
            .correlate(Activity)
            .scalar_subquery()
        )
        stmt = stmt.add_columns(CheckIn).outerjoin(CheckIn, CheckIn.id == latest_id)
        if dialect == "postgresql":
            space = sa.bindparam("space", CHECKIN_LOCK_SPACE, type_=sa.Integer)
            stmt = stmt.add_columns(sa.func.pg_advisory_xact_lock(space, person))
    return stmt.execution_options(populate_existing=True)


def read_station_code(token: str, *, now: datetime, person_id: int | None = None) -> Scan:
    """Check a scanned station code: its signature under the station's current key, its time
    window (this one or the one before), and that the activity takes scans now. With
    `person_id`, also read their latest check-in at the activity and take their check-in lock
    (`lock_person_checkins`).

    Raises `qr_invalid` (malformed, forged, altered, another station's, from the future),
    `qr_revoked` (signed with a key the station has since rotated), `qr_expired`,
    `station_inactive`, and what `require_scannable` raises.
    """
    try:
        code, payload, mac = tokens.parse_station_code(token)
    except tokens.BadToken as exc:
        raise DomainError("qr_invalid", _INVALID, 400) from exc
    sess = session()
    stmt = _code_statement(sess.connection().dialect.name, person_id is not None)
    params = {"station": code.station_id, "activity": code.activity_id}
    if person_id is not None:
        params["person"] = person_id
    row = sess.execute(stmt, params).first()
    if row is None:
        # No such station key, or the activity is another station's.
        raise DomainError("qr_invalid", _INVALID, 400)
    key, activity, station, *latest = row
    latest = latest[:1]
    if code.key_version < key.version:
        # The old key is gone, so an old code cannot be told from a forged one that claims
        # an old version; "replaced" is the right answer for the honest holder of either.
        raise DomainError("qr_revoked", "此二维码已作废（站点已更换二维码），请扫描现场的新二维码", 410)
    if code.key_version != key.version or not tokens.mac_matches(key.secret, payload, mac):
        raise DomainError("qr_invalid", _INVALID, 400)
    if not code.is_poster:
        current = tokens.window_of(now, current_app.config["CHECKIN_WINDOW_SECONDS"])
        if code.window > current:
            raise DomainError("qr_invalid", _INVALID, 400)
        if code.window < current - 1:
            raise DomainError("qr_expired", "二维码已过期，请重新扫描屏幕上的二维码", 410)
    if not station.is_active:
        raise DomainError("station_inactive", "该站点已停用", 409)
    require_scannable(activity, now)
    return Scan(
        activity=activity,
        station=station,
        key_version=key.version,
        unattended=code.is_poster,
        latest=latest[0] if latest else None,
        person_locked=person_id is not None,
    )


def require_code_still_good(activity: Activity, *, key_version: int) -> None:
    """Check again, before a scan is used, what of its code can change after it was read (a scan
    may wait minutes at the login page): the station's key not rotated since, the station still
    active. The activity's own hours are `require_scannable`'s. Raises `qr_revoked`,
    `station_inactive`."""
    key = station_key(activity.station_id)
    if key is None or key.version != key_version:
        raise DomainError("qr_revoked", "此二维码已作废（站点已更换二维码），请扫描现场的新二维码", 410)
    if not get_station(activity.station_id).is_active:
        raise DomainError("station_inactive", "该站点已停用", 409)


def card_key() -> bytes:
    return tokens.card_key(current_app.config["SECRET_KEY"])


def card_url_token(value: str) -> str:
    """The token from what a scanner typed: a card URL (…/c/TOKEN) or the bare token."""
    value = (value or "").strip()
    if "/" in value:
        value = value.rstrip("/").rsplit("/", 1)[-1]
    return value.split("?", 1)[0]


def read_member_card(value: str) -> int:
    """The person a scanned member card names. Raises `card_invalid`, `card_revoked`."""
    try:
        card = tokens.decode_card(card_url_token(value), card_key())
    except tokens.BadToken as exc:
        raise DomainError("card_invalid", "无法识别该会员卡，请重新扫描或从名单中选择", 400) from exc
    current = session().get(MemberCard, card.person_id)
    if current is None or current.serial != card.serial:
        raise DomainError("card_revoked", "该会员卡已作废（已补办新卡），请使用新卡", 410)
    return card.person_id


# --- check-ins ------------------------------------------------------------------------


def latest_checkin(activity_id: int, person_id: int) -> CheckIn | None:
    """The person's most recent check-in at the activity: the open one if they are in (a new
    check-in only follows a check-out), else the last one they checked out of."""
    return (
        session()
        .exec(
            select(CheckIn)
            .where(CheckIn.activity_id == activity_id, CheckIn.person_id == person_id)
            .order_by(CheckIn.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        .first()
    )


def open_checkin(activity_id: int, person_id: int) -> CheckIn | None:
    latest = latest_checkin(activity_id, person_id)
    return latest if latest is not None and latest.checked_out_at is None else None


def activity_counts(activity_id: int) -> dict[str, int]:
    """Who is in now, and how many people checked in at all."""
    present, people = (
        session()
        .execute(
            sa.select(
                sa.func.count().filter(CheckIn.checked_out_at.is_(None)),
                sa.func.count(sa.distinct(CheckIn.person_id)),
            ).where(CheckIn.activity_id == activity_id)
        )
        .one()
    )
    return {"present": present or 0, "people": people or 0}


def checkins_stmt(*, person_id: int | None = None, activity_id: int | None = None) -> sa.Select:
    """Check-ins with their activity, station and person, newest first."""
    stmt = (
        sa.select(CheckIn, Activity, Station, Person)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .join(Station, Station.id == Activity.station_id)
        .join(Person, Person.id == CheckIn.person_id)
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
    )
    if person_id is not None:
        stmt = stmt.where(CheckIn.person_id == person_id)
    if activity_id is not None:
        stmt = stmt.where(CheckIn.activity_id == activity_id)
    return stmt


def checkins_page(
    *, person_id: int | None = None, activity_id: int | None = None, cursor: Cursor | None, per_page: int
) -> dict:
    """A keyset page of `checkins_stmt`, newest first: rows of (check-in, activity, station,
    person), read down the person's or the activity's (checked_in_at, id) index."""
    whose = [CheckIn.person_id == person_id] if person_id is not None else []
    whose += [CheckIn.activity_id == activity_id] if activity_id is not None else []
    return keyset(
        checkins_stmt(person_id=person_id, activity_id=activity_id),
        keys=[(CheckIn.checked_in_at, True), (CheckIn.id, True)],
        cursor=cursor,
        per_page=per_page,
        fetch="rows",
        counted=sa.select(CheckIn.id).where(*whose),
    )


def has_checkins(activity_id: int) -> bool:
    return (
        session().exec(select(CheckIn.id).where(CheckIn.activity_id == activity_id).limit(1)).first()
        is not None
    )


def open_elsewhere(person_id: int, activity_id: int) -> int | None:
    """The id of the person's open check-in at another activity, if any."""
    return (
        session()
        .exec(
            select(CheckIn.id).where(
                CheckIn.person_id == person_id,
                CheckIn.checked_out_at.is_(None),
                CheckIn.activity_id != activity_id,
            )
        )
        .first()
    )


def check_history_reader(actor: Actor, person_id: int) -> None:
    """Oneself, or readers of people or of the ledger whose scope holds the person's home."""
    if person_id == actor.person_id:
        return
    path = home_path(get_person(person_id))
    if actor.can("ledger.read", path):
        return
    actor.require("people.read", path)


def get_checkin(checkin_id: int) -> CheckIn:
    checkin = session().get(CheckIn, checkin_id)
    if checkin is None:
        raise NotFound("checkin_not_found", "签到记录不存在")
    return checkin


def member_card(person_id: int) -> MemberCard | None:
    return session().get(MemberCard, person_id)


def checkin_times(*, since: datetime, until: datetime) -> sa.Select:
    """Check-ins begun in [since, until): who, at which activity, from when to when. For other
    domains' detectors that need no more (no join to the activity, which PostgreSQL would make
    for every check-in of the window even when no column of it is read)."""
    return sa.select(
        CheckIn.id, CheckIn.activity_id, CheckIn.person_id, CheckIn.checked_in_at, CheckIn.checked_out_at
    ).where(CheckIn.checked_in_at >= since, CheckIn.checked_in_at < until)


def stay_rows(*, since: datetime, until: datetime) -> sa.Select:
    """Check-ins begun in [since, until) with their activity's community, station and maker
    (`run_by_id`), the scanning device and the points earned: a statement for other domains to
    aggregate over (supervision's detectors), never loaded whole."""
    return (
        sa.select(
            CheckIn.id,
            CheckIn.activity_id,
            CheckIn.person_id,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            CheckIn.by_staff_id,
            CheckIn.device_hash,
            CheckIn.user_agent,
            CheckIn.points,
            CheckIn.award_transfer_id,
            Activity.community_id,
            Activity.station_id,
            Activity.created_by_id.label("run_by_id"),
        )
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(CheckIn.checked_in_at >= since, CheckIn.checked_in_at < until)
    )


def services_of_checkins(checkin_ids: list[int]) -> dict[int, dict]:
    """check-in id -> the activity it served: title, and starts_at/ends_at (the stay from check-in
    to check-out when both are recorded, else the activity's span), as a certificate lists it."""
    if not checkin_ids:
        return {}
    rows = session().execute(
        sa.select(
            CheckIn.id,
            Activity.title,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            Activity.starts_at,
            Activity.ends_at,
        )
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(CheckIn.id.in_(checkin_ids))
    )
    out = {}
    for r in rows:
        stayed = r.checked_out_at is not None
        out[r.id] = {
            "title": r.title,
            "starts_at": r.checked_in_at if stayed else r.starts_at,
            "ends_at": r.checked_out_at if stayed else r.ends_at,
        }
    return out
