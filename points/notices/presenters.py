"""Notices as the inbox shows them: the message filled in the reader's language, and a link."""

from __future__ import annotations

from flask import url_for

from points.i18n import Gettext
from points.notices.models import NO_REASON, REASON_NEEDED, Notice, NoticeKind
from points.notices.queries import filled_params
from points.people.models import CLOSED_NAME

# Where a notice about each kind of thing leads (endpoint, its id argument or None).
_LINKS = {
    "claim": ("board_pages.my_claims", None),
    # A dispatcher's: the claim among its task's claims.
    "dispatch": ("board_pages.show_claim", "claim_id"),
    "transfer": ("ledger_pages.my_points", None),
    "demand": ("demands_pages.demand", "demand_id"),
    "voucher": ("store_pages.voucher", "voucher_id"),
    "registration": ("home_pages.home", None),
    "person": ("home_pages.home", None),
    "flag": ("supervision_pages.flag", "flag_id"),
}


def link_of(notice: Notice) -> str | None:
    if notice.ref_type == "objection":
        # The answer is read on the period's public 公示 page, at the objection.
        period_id = notice.params.get("period_id")
        if period_id is None:
            return None
        return url_for("evaluation_pages.notice", period_id=period_id, _anchor=f"objection-{notice.ref_id}")
    endpoint, argument = _LINKS.get(notice.ref_type, (None, None))
    if endpoint is None:
        return None
    return url_for(endpoint, **({argument: notice.ref_id} if argument else {}))


def text_of(notice: Notice, say: Gettext, params: dict | None = None) -> str:
    """The notice's message in the reader's language (`translate` on pages, `as_written` in the
    API), from `filled_params`; a parameter left out reads as empty rather than failing."""
    params = filled_params([notice])[0] if params is None else dict(params)
    if notice.kind in REASON_NEEDED and not params.get("reason"):
        params["reason"] = say(NO_REASON)
    if params.get("name") == CLOSED_NAME:
        params["name"] = say(CLOSED_NAME)
    defaults = {
        "title": "",
        "reason": "",
        "memo": "",
        "amount": "",
        "item": "",
        "community": "",
        "note": "",
        "period": "",
        "name": "",
    }
    return say(NoticeKind(notice.kind).title, **{**defaults, **params})


def notice_views(notices: list[Notice], say: Gettext) -> list[dict]:
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "params": params,
            "text": text_of(n, say, params),
            "link": link_of(n),
            "created_at": n.created_at,
            "read_at": n.read_at,
            "is_read": n.read_at is not None,
        }
        for n, params in zip(notices, filled_params(notices), strict=True)
    ]
