"""Reading what onboarding keeps: homes to choose from, codes, consents, accounts to confirm."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from points.access import Actor
from points.db import session
from points.onboarding.models import Consent, VerificationCode
from points.org.models import OrgLevel, OrgNode
from points.org.queries import all_nodes, community_names
from points.pagination import Cursor, keyset
from points.people.models import Person
from points.people.queries import person_view


def homes() -> list[dict]:
    """Every grid one may live in, with its community and street, for the registration form, in
    the tree's order (by id within each community, as they were set up)."""
    nodes = {node.id: node for node in all_nodes()}
    found = []
    for node in nodes.values():
        if node.level != OrgLevel.GRID or node.parent_id not in nodes:
            continue
        community = nodes[node.parent_id]
        street = nodes.get(community.parent_id)
        names = [n.name for n in (street, community, node) if n is not None]
        order = (street.id if street is not None else 0, community.id, node.id)
        found.append((order, {"grid_id": node.id, "community_id": community.id, "label": " · ".join(names)}))
    return [home for _order, home in sorted(found, key=lambda pair: pair[0])]


def latest_code(phone: str, *, now: datetime) -> VerificationCode | None:
    """The phone's newest code that is neither used nor expired."""
    return (
        session()
        .scalars(
            sa.select(VerificationCode)
            .where(
                VerificationCode.phone == phone,
                VerificationCode.used_at.is_(None),
                VerificationCode.expires_at > now,
            )
            .order_by(VerificationCode.id.desc())
            .limit(1)
        )
        .first()
    )


def last_code_sent_at(phone: str) -> datetime | None:
    return session().scalar(
        sa.select(sa.func.max(VerificationCode.created_at)).where(VerificationCode.phone == phone)
    )


def consents_of(person_id: int) -> list[Consent]:
    return list(
        session().scalars(sa.select(Consent).where(Consent.person_id == person_id).order_by(Consent.id))
    )


def awaiting_confirmation(actor: Actor, *, cursor: Cursor | None = None, per_page: int = 50) -> dict:
    """A keyset page of the self-registered people in the actor's `people.read` scope still to be
    confirmed, oldest first, each as `person_view` shows them (the phone in full only to who
    manages them), with their home's names and whether the actor may confirm them."""
    home = sa.orm.aliased(OrgNode)
    stmt = (
        sa.select(Person, home.path)
        .join(home, home.id == sa.func.coalesce(Person.grid_id, Person.community_id))
        .where(Person.needs_confirmation.is_(True), actor.scope_filter("people.read", home.path))
    )
    found = keyset(
        stmt,
        keys=[(Person.id, False)],
        cursor=cursor,
        per_page=per_page,
        fetch="rows",
    )
    rows = found["items"]
    names = community_names(sorted({n for p, _path in rows for n in (p.community_id, p.grid_id) if n}))
    found["items"] = [
        {
            **person_view(actor, person, path, locked=False),
            "community_name": names.get(person.community_id, ""),
            "grid_name": names.get(person.grid_id, ""),
            "created_at": person.created_at,
            "may_confirm": actor.can("people.manage", path),
        }
        for person, path in rows
    ]
    return found
