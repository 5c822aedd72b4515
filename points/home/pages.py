"""Pages that gather what several domains hold: my home page, the staff dashboard, the menu."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from points.access import Actor
from points.auth.current import current_actor_or_none, login_required
from points.board.models import ClaimState
from points.db import utcnow
from points.errors import DomainError, Forbidden
from points.home import mydata, queries
from points.notices.queries import unread_count
from points.people.models import RegistrationState, Role
from points.people.operations import close_account as close_own_account
from points.people.operations import record_phone_views
from points.people.queries import has_registrations_page
from points.web import page_action

bp = Blueprint("home_pages", __name__, template_folder="templates")


def _anyone(_actor: Actor) -> bool:
    return True


def _may(*actions: str) -> Callable[[Actor], bool]:
    """Shown to whoever holds a role for any one of `actions` somewhere: what the page asks."""
    return lambda actor: any(actor.can_somewhere(action) for action in actions)


# (endpoint, label, whom it is shown to): each item exactly to those its page lets in.
MENU: tuple[tuple[str, str, Callable[[Actor], bool]], ...] = (
    ("home_pages.home", _l("首页"), _anyone),
    ("notices_pages.inbox", _l("消息"), _anyone),
    ("home_pages.my_data_page", _l("我的信息"), _anyone),
    ("onboarding_pages.family", _l("家人代办"), _anyone),
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
    ("onboarding_pages.new_accounts", _l("新账号确认"), _may("people.read")),
    ("onboarding_pages.roster_upload", _l("导入名单"), _may("people.manage")),
    ("onboarding_pages.proxy_desk", _l("代办确认"), _may("people.manage")),
    ("people_pages.audit", _l("操作日志"), _may("audit.read")),
    ("checkin_pages.my_checkins", _l("我的签到"), _anyone),
    ("checkin_pages.stations", _l("签到站点"), _may("stations.manage")),
    ("store_pages.index", _l("积分超市"), _anyone),
    ("store_pages.manage", _l("商品管理"), _may("store.manage")),
    ("store_pages.desk", _l("兑换领取"), _may("store.pickup")),
    ("store_pages.sponsors", _l("赞助统计"), _may("store.report", "unit.read")),
    ("supervision_pages.flags", _l("异常提示"), _may("flags.read")),
    ("evaluation_pages.honors", _l("光荣榜"), _anyone),
    ("evaluation_pages.mine", _l("我的星级"), _anyone),
    ("evaluation_pages.rankings", _l("积分排名"), _may("evaluation.read", "unit.read")),
    ("evaluation_pages.periods", _l("公示管理"), _may("evaluation.read")),
    ("evaluation_pages.dashboard", _l("积分统计"), _may("evaluation.read")),
    ("evaluation_pages.unit_report", _l("单位报告"), _may("unit.read")),
)


# The sidebar's groups (on a desktop), by job, in order; an item not named in MENU_GROUPS goes
# under 其他, so an entry added to MENU shows up without touching this map.
GROUPS: tuple[tuple[str, str], ...] = (
    ("start", _l("首页")),
    ("tasks", _l("任务")),
    ("checkin", _l("签到")),
    ("points", _l("积分")),
    ("people", _l("人员")),
    ("supervision", _l("监督")),
    ("store", _l("超市")),
    ("other", _l("其他")),
)
DEFAULT_GROUP = "other"
MENU_GROUPS: dict[str, str] = {
    "home_pages.home": "start",
    "notices_pages.inbox": "start",
    "home_pages.dashboard": "start",
    "board_pages.board": "tasks",
    "board_pages.my_claims": "tasks",
    "demands_pages.ask_for_help": "tasks",
    "demands_pages.triage": "tasks",
    "board_pages.verification_queue": "tasks",
    "board_pages.unit": "tasks",
    "checkin_pages.my_checkins": "checkin",
    "checkin_pages.stations": "checkin",
    "ledger_pages.my_points": "points",
    "ledger_pages.approvals": "points",
    "ledger_pages.ledger": "points",
    "evaluation_pages.honors": "points",
    "evaluation_pages.mine": "points",
    "evaluation_pages.rankings": "points",
    "evaluation_pages.periods": "points",
    "evaluation_pages.dashboard": "points",
    "evaluation_pages.unit_report": "points",
    "people_pages.registrations": "people",
    "people_pages.people": "people",
    "onboarding_pages.new_accounts": "people",
    "onboarding_pages.roster_upload": "people",
    "onboarding_pages.proxy_desk": "people",
    "onboarding_pages.family": "start",
    "home_pages.my_data_page": "start",
    "people_pages.audit": "supervision",
    "supervision_pages.flags": "supervision",
    "store_pages.index": "store",
    "store_pages.manage": "store",
    "store_pages.desk": "store",
    "store_pages.sponsors": "store",
}

# The phone's bottom tab bar: (endpoint, label, icon), the same for everyone; the rest of the
# menu and the settings are on 我的.
TABS: tuple[tuple[str, str, str], ...] = (
    ("home_pages.home", _l("首页"), "home"),
    ("board_pages.board", _l("任务榜"), "board"),
    ("checkin_pages.my_checkins", _l("扫码"), "scan"),
    ("board_pages.my_claims", _l("我的揭榜"), "claims"),
    ("home_pages.me", _l("我的"), "me"),
)


def menu_for(actor: Actor | None) -> list[tuple[str, str]]:
    if actor is None:
        return []
    return [(endpoint, label) for endpoint, label, shown_to in MENU if shown_to(actor)]


def grouped_menu(items: list[tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The reader's menu items under their groups' names, groups in GROUPS order, empty ones left out."""
    by_group: dict[str, list[tuple[str, str]]] = {key: [] for key, _label in GROUPS}
    for endpoint, label in items:
        by_group.get(MENU_GROUPS.get(endpoint, DEFAULT_GROUP), by_group[DEFAULT_GROUP]).append(
            (endpoint, label)
        )
    return [(label, by_group[key]) for key, label in GROUPS if by_group[key]]


def init_app(app: Flask) -> None:
    @app.context_processor
    def _page_globals():
        try:
            actor = current_actor_or_none()
        except DomainError:
            actor = None
        unread = unread_count(actor.person_id) if actor is not None else 0
        menu = menu_for(actor)
        return {
            "actor": actor,
            "menu": menu,
            "menu_groups": grouped_menu(menu),
            "tab_bar": TABS,
            "unread_notices": unread,
        }


@bp.get("/")
@login_required
def home():
    actor = current_actor_or_none()
    me = queries.profile(actor)
    return render_template(
        "home/home.html",
        me=me,
        todos=queries.todos(actor, now=utcnow()),
        community_name=queries.community_name(me["community_id"]),
        roles=Role,
        states=RegistrationState,
        can_confirm=actor.can_somewhere("registrations.confirm"),
    )


@bp.get("/me")
@login_required
def me():
    """我的: settings (大字模式, language, password, logout) and every page the reader may open."""
    actor = current_actor_or_none()
    me = queries.profile(actor)
    return render_template(
        "home/me.html", me=me, community_name=queries.community_name(me["community_id"]), roles=Role
    )


@bp.get("/people/<int:person_id>")
@login_required
def person(person_id: int):
    """A person's page for those who read people: roles, registrations, balances, recent service."""
    actor = current_actor_or_none()
    actor.require_somewhere("people.read")
    detail = queries.person_detail(actor, person_id)
    # A manager reads the full phone here: audited like every full phone shown to staff.
    record_phone_views(actor=actor, people=[detail])
    return render_template(
        "home/person.html",
        person=detail,
        roles=Role,
        states=RegistrationState,
        claim_state_names=ClaimState.titles(),
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


# --- my data (PIPL) ----------------------------------------------------------------------


@bp.get("/me/data")
@login_required
def my_data_page():
    """Everything held about me, section by section, to download; and closing my account."""
    data = mydata.my_data(current_actor_or_none())
    return render_template("home/my_data.html", data=data, sections=mydata.SECTIONS)


@bp.get("/me/data.json")
@login_required
def my_data_json():
    body = json.dumps(mydata.my_data(current_actor_or_none()), ensure_ascii=False, indent=1)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
    )


@bp.get("/me/data.xlsx")
@login_required
def my_data_xlsx():
    return Response(
        mydata.my_data_xlsx(mydata.my_data(current_actor_or_none())),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="my-data.xlsx"'},
    )


@bp.post("/me/close")
@login_required
def close_account():
    """Close my account with my password: I am logged out and cannot log in again."""
    actor = current_actor_or_none()
    closed = page_action(lambda: close_own_account(actor=actor, password=request.form.get("password", "")))
    if closed is None:
        return redirect(url_for("home_pages.my_data_page"))
    cookie.clear()
    flash(_("账号已注销。你的姓名和手机号已删除。"), "success")
    return redirect(url_for("auth_pages.login"))
