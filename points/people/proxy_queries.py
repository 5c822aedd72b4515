"""Family proxies (代办) read: a link by id, a live link between two people, who may move a link
where (the table in `models.PROXY_TRANSITIONS`), and the lists the pages show."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import select

from points.access import Actor
from points.db import session
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.org.models import OrgNode
from points.people.models import PARTIES, PROXY_TRANSITIONS, STAFF, Person, ProxyLink, ProxyState
from points.people.queries import get_person, home_path

_home = aliased(OrgNode, name="home_node")


def get_proxy_link(link_id: int) -> ProxyLink:
    link = session().get(ProxyLink, link_id)
    if link is None:
        raise NotFound("proxy_not_found", "代办关系不存在")
    return link


def active_proxy_link(*, proxy_id: int, relative_id: int) -> ProxyLink | None:
    return (
        session()
        .exec(
            select(ProxyLink).where(
                ProxyLink.proxy_id == proxy_id,
                ProxyLink.relative_id == relative_id,
                ProxyLink.state == ProxyState.ACTIVE,
            )
        )
        .first()
    )


def proxy_refusal(actor: Actor, link: ProxyLink, action: str) -> DomainError | None:
    """Why `actor` may not take `action` on the link (the table in `models.PROXY_TRANSITIONS`):
    a stranger to it answers 404, a party without the right 403, a link in another state 409."""
    sources, _target, who = PROXY_TRANSITIONS[action]
    relative = get_person(link.relative_id)
    staff = actor.proxy_id is None and actor.can("people.manage", home_path(relative))
    party = actor.person_id in (link.proxy_id, link.relative_id) or actor.proxy_id == link.proxy_id
    if not staff and not party:
        return NotFound("proxy_not_found", "代办关系不存在")
    if not ((STAFF in who and staff) or (PARTIES in who and party)):
        return Forbidden("forbidden", "需要居民本人到社区服务站，由工作人员核对后确认")
    if link.state not in sources:
        return Conflict("not_live" if action == "end" else "not_pending", "该代办关系已处理")
    return None


def allowed_proxy_actions(actor: Actor, link: ProxyLink) -> list[str]:
    return [action for action in PROXY_TRANSITIONS if proxy_refusal(actor, link, action) is None]


def proxy_links_of(person_id: int) -> list[ProxyLink]:
    """Links where the person is the family member or the relative, live ones first."""
    return list(
        session().exec(
            select(ProxyLink)
            .where(sa.or_(ProxyLink.proxy_id == person_id, ProxyLink.relative_id == person_id))
            .order_by((ProxyLink.state == ProxyState.ENDED).asc(), ProxyLink.id.desc())
            .limit(50)
        )
    )


def proxy_links_in_scope(actor: Actor) -> list[ProxyLink]:
    """Live links whose relative lives in the actor's `people.manage` scope, pending first."""
    relative = aliased(Person)
    return list(
        session().exec(
            select(ProxyLink)
            .join(relative, relative.id == ProxyLink.relative_id)
            .join(_home, _home.id == sa.func.coalesce(relative.grid_id, relative.community_id))
            .where(
                ProxyLink.state.in_((ProxyState.PENDING, ProxyState.ACTIVE)),
                actor.scope_filter("people.manage", _home.path),
            )
            .order_by(ProxyLink.state.desc(), ProxyLink.id)
            .limit(200)
        )
    )
