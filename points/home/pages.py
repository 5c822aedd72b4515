"""Pages that gather what several domains hold: my home page, the staff dashboard, the menu."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, render_template
from flask_babel import lazy_gettext as _l

from points.access import Actor
from points.auth.current import current_actor_or_none, login_required
from points.db import utcnow
from points.errors import DomainError, Forbidden
from points.home import queries
from points.people.models import RegistrationState, Role
from points.people.queries import has_registrations_page

bp = Blueprint("home_pages", __name__, template_folder="templates")


def _anyone(_actor: Actor) -> bool:
    return True


def _may(*actions: str) -> Callable[[Actor], bool]:
    """Shown to whoever holds a role for any one of `actions` somewhere: what the page asks."""
    return lambda actor: any(actor.can_somewhere(action) for action in actions)


# (endpoint, label, whom it is shown to): each item exactly to those its page lets in.
MENU: tuple[tuple[str, str, Callable[[Actor], bool]], ...] = (
    ("home_pages.home", _l("首页"), _anyone),
    ("home_pages.dashboard", _l("工作台"), _may("dashboard.read")),
    ("board_pages.board", _l("任务榜"), _anyone),
    ("board_pages.my_claims", _l("我的揭榜"), _anyone),
    ("demands_pages.ask_for_help", _l("我要点单"), _anyone),
    ("ledger_pages.my_points", _l("我的积分"), _anyone),
    ("demands_pages.triage", _l("点单受理"), _may("demands.triage")),
    ("board_pages.verification_queue", _l("验收"), _may("claims.verify", "unit.read")),
    ("board_pages.unit", _l("本单位"), _may("unit.read")),
    ("ledger_pages.approvals", _l("积分审批"), _may("awards.approve")),
    ("people_pages.registrations", _l("双报到"), has_registrations_page),
    ("ledger_pages.ledger", _l("积分台账"), _may("ledger.read")),
    ("people_pages.people", _l("人员"), _may("people.read")),
    ("people_pages.audit", _l("操作日志"), _may("audit.read")),
    ("checkin_pages.my_checkins", _l("我的签到"), _anyone),
    ("checkin_pages.stations", _l("签到站点"), _may("stations.manage")),
    ("store_pages.index", _l("积分超市"), _anyone),
    ("store_pages.manage", _l("商品管理"), _may("store.manage")),
    ("store_pages.desk", _l("兑换领取"), _may("store.pickup")),
    ("store_pages.sponsors", _l("赞助统计"), _may("store.report", "unit.read")),
    ("evaluation_pages.honors", _l("光荣榜"), _anyone),
    ("evaluation_pages.mine", _l("我的星级"), _anyone),
    ("evaluation_pages.rankings", _l("积分排名"), _may("evaluation.read", "unit.read")),
    ("evaluation_pages.periods", _l("公示管理"), _may("evaluation.read")),
    ("evaluation_pages.dashboard", _l("积分统计"), _may("evaluation.read")),
    ("evaluation_pages.unit_report", _l("单位报告"), _may("unit.read")),
)


def menu_for(actor: Actor | None) -> list[tuple[str, str]]:
    if actor is None:
        return []
    return [(endpoint, label) for endpoint, label, shown_to in MENU if shown_to(actor)]


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
    me = queries.profile(actor)
    return render_template(
        "home/home.html",
        me=me,
        community_name=queries.community_name(me["community_id"]),
        roles=Role,
        states=RegistrationState,
        can_confirm=actor.can_somewhere("registrations.confirm"),
    )


@bp.get("/staff")
@login_required
def dashboard():
    """工作台: each queue the reader may work on, with what waits in it, and today's activities
    at their stations."""
    actor = current_actor_or_none()
    if not actor.can_somewhere("dashboard.read"):
        raise Forbidden("forbidden", "工作台供社区工作人员和网格员使用")
    now = utcnow()
    return render_template(
        "home/dashboard.html",
        figures=queries.dashboard_figures(actor, now=now),
        activities=queries.today_activities(actor, now=now)
        if actor.can_somewhere("stations.manage")
        else None,
        may_post=actor.can_somewhere("tasks.manage"),
        may_ask_for=actor.can_somewhere("help.request_for"),
    )
