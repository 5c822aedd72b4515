"""Registers the server-rendered pages and what every page template needs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from points.auth.current import current_actor_or_none
from points.errors import DomainError

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def init_app(app: Flask) -> None:
    from points.auth.pages import bp as auth_pages
    from points.ledger.pages import bp as ledger_pages
    from points.people.pages import bp as people_pages

    app.register_blueprint(auth_pages)
    app.register_blueprint(people_pages)
    app.register_blueprint(ledger_pages)

    @app.template_filter("localtime")
    def _localtime(value: datetime | None) -> str:
        # Stored in UTC, shown in the community's time zone.
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.context_processor
    def _page_globals():
        try:
            actor = current_actor_or_none()
        except DomainError:
            actor = None
        return {"actor": actor}
