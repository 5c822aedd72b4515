"""Registers the server-rendered pages and what every page template needs."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from points.auth.current import current_actor_or_none
from points.auth.pages import safe_local_path
from points.db import LOCAL_TZ
from points.errors import DomainError

# (endpoint, label, the actions of which any one shows the item; () for everyone logged in)
MENU = (
    ("people_pages.home", _l("首页"), ()),
    ("board_pages.dashboard", _l("工作台"), ("dashboard.read",)),
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
)


def init_app(app: Flask) -> None:
    from points.auth.pages import bp as auth_pages
    from points.board.pages import bp as board_pages
    from points.checkin.pages import bp as checkin_pages
    from points.ledger.pages import bp as ledger_pages
    from points.people.pages import bp as people_pages

    app.register_blueprint(auth_pages)
    app.register_blueprint(people_pages)
    app.register_blueprint(ledger_pages)
    app.register_blueprint(board_pages)
    app.register_blueprint(checkin_pages)

    @app.template_filter("localtime")
    def _localtime(value: datetime | None) -> str:
        # Stored in UTC, shown in the community's time zone.
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.get("/text-size")
    def text_size():
        """大字模式 for older residents: a cookie, so it holds on every page of this phone."""
        response = redirect(safe_local_path(request.args.get("next"), url_for("people_pages.home")))
        response.set_cookie(
            "large_text",
            "1" if request.args.get("large") == "1" else "0",
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
        )
        return response

    @app.context_processor
    def _page_globals():
        try:
            actor = current_actor_or_none()
        except DomainError:
            actor = None
        menu = [
            (endpoint, label)
            for endpoint, label, needs in MENU
            if actor is not None and (not needs or any(actor.can_somewhere(action) for action in needs))
        ]
        return {"actor": actor, "menu": menu, "large_text": request.cookies.get("large_text") == "1"}
