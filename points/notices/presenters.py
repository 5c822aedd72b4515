"""Notices as the inbox shows them: the message filled in the reader's language, and a link."""

from __future__ import annotations

from flask import url_for

from points.i18n import Gettext
from points.notices.models import Notice, NoticeKind

# Where a notice about each kind of thing leads (endpoint, its id argument or None).
_LINKS = {
    "claim": ("board_pages.my_claims", None),
    "transfer": ("ledger_pages.my_points", None),
    "demand": ("demands_pages.demand", "demand_id"),
    "voucher": ("store_pages.voucher", "voucher_id"),
    "registration": ("home_pages.home", None),
    "person": ("home_pages.home", None),
    "flag": ("supervision_pages.flag", "flag_id"),
}


def link_of(notice: Notice) -> str | None:
    endpoint, argument = _LINKS.get(notice.ref_type, (None, None))
    if endpoint is None:
        return None
    return url_for(endpoint, **({argument: notice.ref_id} if argument else {}))


def text_of(notice: Notice, say: Gettext) -> str:
    """The notice's message in the reader's language (`translate` on pages, `as_written` in the
    API); a parameter left out reads as empty rather than failing."""
    params = {
        "title": "",
        "reason": "",
        "memo": "",
        "amount": "",
        "item": "",
        "community": "",
        "note": "",
        **notice.params,
    }
    return say(NoticeKind(notice.kind).title, **params)


def notice_views(notices: list[Notice], say: Gettext) -> list[dict]:
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "params": n.params,
            "text": text_of(n, say),
            "link": link_of(n),
            "created_at": n.created_at,
            "read_at": n.read_at,
            "is_read": n.read_at is not None,
        }
        for n in notices
    ]
