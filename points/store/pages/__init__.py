"""Pages of the points store: the shop on a phone (`shop`), staff item management (`manage`),
the pickup desk (`desk`) and the sponsor report (`report`)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint

from points.db import LOCAL_TZ

bp = Blueprint("store_pages", __name__, template_folder="../templates")


@bp.app_template_filter("localinput")
def _local_input(value: datetime | None) -> str:
    """A stored UTC time as a `datetime-local` field's value, in the community's zone."""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


# The views register themselves on `bp` when their modules load.
from points.store.pages import desk, manage, report, shop  # noqa: E402

__all__ = ["bp", "desk", "manage", "report", "shop"]
