"""Pages that gather what several domains hold: my home page, the staff dashboard, the menu."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, render_template, url_for
from flask_babel import lazy_gettext as _l

from points.auth.current import current_actor_or_none, login_required
from points.board import queries as board
from points.checkin import queries as checkin
from points.db import LOCAL_TZ, session, utcnow
from points.errors import DomainError
from points.ledger.queries import approval_queue_stmt, balances_of_person
from points.org.models import OrgNode
from points.people import queries as people
from points.people.models import RegistrationState, Role

bp = Blueprint("home_pages", __name__, template_folder="templates")

# (endpoint, label, the actions of which any one shows the item; () for everyone logged in)
MENU = (
    ("home_pages.home", _l("首页"), ()),
    ("home_pages.dashboard", _l("工作台"), ("dashboard.read",)),
    ("board_pages.board", _l("任务榜"), ()),
    ("board_pages.my_claims", _l("我的揭榜"), ()),
    ("board_pages.ask_for_help", _l("我要点单"), ()),
    ("ledger_pages.my_points", _l("我的积分"), ()),
    ("board_pages.triage", _l("点单受理"), ("demands.triage",)),
    ("board_pages.verification_queue", _l("验收"), ("claims.verify", "unit.read")),
    ("board_pages.unit", _l("本单位"), ("unit.read",)),
    ("ledger_pages.approvals", _l("积分审批"), ("awards.approve",)),
    ("people_pages.registrations", _l("双报到"), ("registrations.read",)),
    ("ledger_pages.ledger", _l("积分台账"), ("ledger.read",)),
    ("people_pages.people", _l("人员"), ("people.read",)),
    ("people_pages.audit", _l("操作日志"), ("audit.read",)),
    ("checkin_pages.my_checkins", _l("我的签到"), ()),
    ("checkin_pages.stations", _l("签到站点"), ("stations.manage",)),
    ("store_pages.index", _l("积分超市"), ()),
    ("store_pages.manage", _l("商品管理"), ("store.manage",)),
    ("store_pages.desk", _l("兑换领取"), ("store.pickup",)),
    ("store_pages.sponsors", _l("赞助统计"), ("store.report", "unit.read")),
)


def menu_for(actor) -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label, needs in MENU
        if actor is not None and (not needs or any(actor.can_somewhere(action) for action in needs))
    ]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _page_globals():
        try:
            actor = current_actor_or_none()
        except DomainError:
            actor = None
        return {"actor": actor, "menu": menu_for(actor)}


@bp.get("/")
@login_required
def home():
    actor = current_actor_or_none()
    person = people.get_person(actor.person_id)
    reg = people.member_registration(person.id)
    community = session().get(OrgNode, person.community_id) if person.community_id else None
    return render_template(
        "home/home.html",
        person=person,
        community=community,
        registration=reg,
        acts_as_member=people.acts_as_party_member(person),
        roles=people.role_list(person.id),
        balances=balances_of_person(person.id),
        role_names=Role.titles(),
        status_names=RegistrationState.titles(),
        can_confirm=actor.can_somewhere("registrations.confirm"),
    )


@bp.get("/staff")
@login_required
def dashboard():
    actor = current_actor_or_none()
    if not actor.can_somewhere("dashboard.read"):
        abort(403)
    open_tasks = board.board_stmt(actor, now=utcnow(), state="posted").where(
        actor.scope_filter("tasks.manage", OrgNode.path)
    )
    open_demands = board.demands_stmt(actor, state="open").where(
        actor.scope_filter("demands.triage", OrgNode.path)
    )
    figures = {
        "approvals": _count(approval_queue_stmt(scope=actor.scope_filter("awards.approve", OrgNode.path)))
        if actor.can_somewhere("awards.approve")
        else 0,
        "demands": _count(open_demands),
        "verifications": _count(board.verification_queue_stmt(actor)),
        "open_tasks": _count(open_tasks),
    }
    return render_template("home/dashboard.html", figures=figures, activities=_today_activities(actor))


def _count(stmt) -> int:
    return (
        session().execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    )


def _today_activities(actor) -> list[dict]:
    """Activities at the actor's stations that run some time today (local day)."""
    start, end = _local_day(utcnow())
    rows = session().exec(checkin.activities_stmt(actor, start=start, end=end).limit(20)).all()
    stations = {s.id: s.name for s in checkin.managed_stations(actor)}
    return [
        {
            "url": url_for("checkin_pages.activity", activity_id=a.id),
            "name": a.title,
            "station": stations.get(a.station_id, ""),
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "present": checkin.activity_counts(a.id)["present"],
        }
        for a in sorted(rows, key=lambda a: a.starts_at)
        if a.station_id in stations
    ]


def _local_day(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(LOCAL_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
