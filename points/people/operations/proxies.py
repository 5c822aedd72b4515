"""Family proxies (代办): asking to act for a relative, staff recording the relative's
confirmation at the desk, and ending a link (moves of `models.PROXY_TRANSITIONS`)."""

from __future__ import annotations

from datetime import datetime

from points.access import Actor
from points.audit.operations import audit
from points.db import flush_or_conflict, utcnow
from points.errors import DomainError, NotFound
from points.labels import N_
from points.people.models import PROXY_TRANSITIONS, ProxyCheck, ProxyLink
from points.people.proxy_queries import get_proxy_link, proxy_refusal
from points.people.queries import find_person_by_phone, get_person


def _move(actor: Actor, link: ProxyLink, action: str) -> None:
    refusal = proxy_refusal(actor, link, action)
    if refusal is not None:
        raise refusal
    link.state = PROXY_TRANSITIONS[action][1].value


def request_proxy_link(
    *, actor: Actor, relative_phone: str, note: str = "", now: datetime | None = None
) -> ProxyLink:
    """A family member asks to act for a relative (by the relative's phone): pending until the
    relative confirms in person at the desk. Raises `relative_not_found` (no such account),
    `not_yourself`, `already_linked`."""
    if actor.proxy_id is not None:
        raise DomainError("forbidden", "代办时不能再为他人申请代办", 403)
    relative = find_person_by_phone(relative_phone.strip())
    if relative is None or relative.closed_at is not None:
        raise NotFound(
            "relative_not_found", "没有找到这个手机号的居民", errors={"relative_phone": [N_("未找到")]}
        )
    if relative.id == actor.person_id:
        raise DomainError("not_yourself", "不能为自己代办", 422)
    link = ProxyLink(
        proxy_id=actor.person_id,
        relative_id=relative.id,
        note=note.strip()[:200],
        requested_at=now or utcnow(),
    )
    flush_or_conflict("已经申请或正在为这位居民代办", code="already_linked", add=link)
    audit(actor, "proxy.requested", link, node_id=relative.community_id, now=now)
    return link


def confirm_proxy_link(
    *, actor: Actor, link_id: int, check_kind: str, check_note: str = "", now: datetime | None = None
) -> ProxyLink:
    """Staff record that the relative confirmed the link in person, with what they checked (the
    member card or the ID card). Needs `people.manage` over the relative. Raises
    `proxy_not_found`, `forbidden`, `not_pending`, `check_required`."""
    link = get_proxy_link(link_id)
    if check_kind not in ProxyCheck.values():
        raise DomainError(
            "check_required", "请注明核对了会员卡还是身份证", 422, errors={"check_kind": [N_("必填")]}
        )
    _move(actor, link, "confirm")
    link.confirmed_by_id, link.confirmed_at = actor.person_id, now or utcnow()
    link.check_kind, link.check_note = check_kind, check_note.strip()[:200]
    audit(
        actor,
        "proxy.confirmed",
        link,
        node_id=get_person(link.relative_id).community_id,
        detail={"check": check_kind},
        now=now,
    )
    return link


def end_proxy_link(*, actor: Actor, link_id: int, now: datetime | None = None) -> ProxyLink:
    """The relative, the family member or staff end a link (pending or active). Raises
    `proxy_not_found`, `not_live`."""
    link = get_proxy_link(link_id)
    _move(actor, link, "end")
    link.ended_by_id, link.ended_at = actor.proxy_id or actor.person_id, now or utcnow()
    audit(actor, "proxy.ended", link, node_id=get_person(link.relative_id).community_id, now=now)
    return link
