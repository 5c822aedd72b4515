"""Reading people, role grants and registrations, always within the reader's scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased
from sqlmodel import select

from points.access import Actor
from points.db import session, utcnow
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.org.models import OrgNode, Unit
from points.org.queries import community_names, unit_names
from points.pagination import Cursor, keyset
from points.people.models import (
    DECIDERS,
    LIVE_STATES,
    REGISTRATION_TRANSITIONS,
    AccountChange,
    LoginThrottle,
    Person,
    Registration,
    RegistrationKind,
    RegistrationState,
    RoleGrant,
)

# A person sits at their grid when they have one, else at their community:
# grid workers see their grid, staff their community, and so on upwards.
_home = aliased(OrgNode, name="home_node")
HOME_NODE_ID = sa.func.coalesce(Person.grid_id, Person.community_id)


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def get_person(person_id: int) -> Person:
    person = session().get(Person, person_id)
    if person is None:
        raise NotFound("person_not_found", "人员不存在")
    return person


def find_person_by_phone(phone: str) -> Person | None:
    return session().exec(select(Person).where(Person.phone == phone)).first()


def home_path(person: Person) -> str | None:
    node_id = person.grid_id or person.community_id
    if node_id is None:
        return None
    node = session().get(OrgNode, node_id)
    return node.path if node else None


def visible_person(actor: Actor, person_id: int, action: str = "people.read") -> Person:
    """A person the actor may see: themselves, or someone in scope for `action`."""
    person = get_person(person_id)
    path = home_path(person)
    if person.id == actor.person_id:
        # Everyone sees themselves, so refusing them anything else is a 403, never a 404.
        if action != "people.read" and not actor.can(action, path):
            raise Forbidden("forbidden", "没有权限执行此操作")
        return person
    actor.require(action, path)
    return person


def _communities_in_reach(actor: Actor, action: str) -> list[int] | None:
    """The communities in the actor's scope, and those holding a grid of it (None: everywhere)."""
    paths = actor.scope_paths(action)
    if paths is None:
        return None
    ancestors = {int(part) for path in paths for part in path.strip("/").split("/") if part.isdigit()}
    found = session().scalars(
        sa.select(OrgNode.id).where(
            OrgNode.level == "community",
            sa.or_(actor.scope_filter(action, OrgNode.path), OrgNode.id.in_(sorted(ancestors))),
        )
    )
    return sorted(found)


def people_stmt(actor: Actor, *, community_id: int | None = None, q: str | None = None) -> sa.Select:
    stmt = (
        select(Person)
        .join(_home, _home.id == HOME_NODE_ID)
        .where(actor.scope_filter("people.read", _home.path))
        .order_by(Person.id)
    )
    if (communities := _communities_in_reach(actor, "people.read")) is not None:
        # Everyone at a home in scope lives in one of these communities: named by id, a search
        # reads them through the community index instead of scanning all people.
        stmt = stmt.where(Person.community_id.in_(communities))
    if community_id is not None:
        stmt = stmt.where(Person.community_id == community_id)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(Person.id.in_(_matching(q, communities)), _shown_match(actor, q))
    return stmt


def _matching(q: str, communities: list[int] | None) -> sa.Select:
    """The ids of the people of these communities whose name holds `q` or whose phone is or
    holds it: read from the community index's own entries on PostgreSQL, in id order, so a page
    stops at its last match."""
    found = aliased(Person, name="found")
    stmt = select(found.id).where(
        sa.or_(
            found.name.contains(q, autoescape=True),
            found.phone == q,
            found.phone.contains(q, autoescape=True),
        )
    )
    return stmt if communities is None else stmt.where(found.community_id.in_(communities))


def _shown_match(actor: Actor, q: str) -> sa.ColumnElement[bool]:
    # Part of a phone finds only people whose full phone the reader may see (those they
    # manage): otherwise 40 searches would unmask a masked 138****0021.
    return sa.or_(
        Person.name.contains(q, autoescape=True),
        Person.phone == q,
        sa.and_(Person.phone.contains(q, autoescape=True), actor.scope_filter("people.manage", _home.path)),
    )


def grants_of(person_id: int) -> list[tuple[RoleGrant, OrgNode | None, Unit | None]]:
    rows = (
        session()
        .exec(
            select(RoleGrant, OrgNode, Unit)
            .join(OrgNode, OrgNode.id == RoleGrant.node_id, isouter=True)
            .join(Unit, Unit.id == RoleGrant.unit_id, isouter=True)
            .where(RoleGrant.person_id == person_id)
            .order_by(RoleGrant.id)
        )
        .all()
    )
    return list(rows)


def member_registration(person_id: int) -> Registration | None:
    """The person's live (pending or confirmed) party-member registration, if any."""
    return (
        session()
        .exec(
            select(Registration).where(
                Registration.kind == RegistrationKind.MEMBER,
                Registration.person_id == person_id,
                Registration.status.in_(LIVE_STATES),
            )
        )
        .first()
    )


def acts_as_party_member(person: Person) -> bool:
    """A party member whose report to a community has been confirmed (双报到)."""
    if not person.is_party_member:
        return False
    reg = member_registration(person.id)
    return reg is not None and reg.status == RegistrationState.CONFIRMED


# The posting path asks this for every award to a person: plain SQL on the driver's cursor,
# no statement building per award.
_EARNER = (
    "SELECT p.needs_confirmation, p.is_party_member AND EXISTS (SELECT 1 FROM registrations r"
    f" WHERE r.kind = '{RegistrationKind.MEMBER.value}' AND r.person_id = p.id"
    f" AND r.status = '{RegistrationState.CONFIRMED.value}') FROM people p WHERE p.id = "
)


def earner_facts(person_id: int) -> tuple[bool, bool]:
    """(needs_confirmation, acts_as_party_member) of a person, in one statement without loading
    the person. Raises `person_not_found`."""
    sess = session()
    sess.flush()  # the person or a registration may have changed in this transaction
    conn = sess.connection()
    cur = conn.connection.cursor()
    cur.execute(_EARNER + ("%(id)s" if conn.dialect.name == "postgresql" else ":id"), {"id": person_id})
    row = cur.fetchone()
    if row is None:
        raise NotFound("person_not_found", "人员不存在")
    return bool(row[0]), bool(row[1])


def get_registration(registration_id: int) -> Registration:
    reg = session().get(Registration, registration_id)
    if reg is None:
        raise NotFound("registration_not_found", "报到记录不存在")
    return reg


def registration_visible_to_subject(actor: Actor, reg: Registration) -> bool:
    """The registration is the actor's own, or their unit's (they administer it)."""
    if reg.kind == RegistrationKind.MEMBER:
        return reg.person_id == actor.person_id
    return "unit_admin" in actor.roles_over_unit(reg.unit_id)


def visible_registration(actor: Actor, registration_id: int) -> Registration:
    reg = get_registration(registration_id)
    if registration_visible_to_subject(actor, reg):
        return reg
    actor.require("registrations.read", community_path(reg))
    return reg


def community_path(reg: Registration) -> str | None:
    community = session().get(OrgNode, reg.community_id)
    return community.path if community else None


# --- what may happen to a registration (the table: people.models.REGISTRATION_TRANSITIONS) ---


def _deciders_refusal(actor: Actor, reg: Registration) -> DomainError | None:
    path = community_path(reg)
    if not actor.can("registrations.confirm", path) and registration_visible_to_subject(actor, reg):
        # The member or unit admin sees their own registration: refuse, do not hide it.
        return Forbidden("forbidden", "没有权限执行此操作")
    try:
        actor.require("registrations.confirm", path)
    except DomainError as exc:
        return exc
    return None


def _subject_refusal(actor: Actor, reg: Registration) -> DomainError | None:
    if registration_visible_to_subject(actor, reg):
        return None
    if actor.can("registrations.read", community_path(reg)):
        return Forbidden("forbidden", "只有报到人可以撤回报到")
    return NotFound("registration_not_found", "报到记录不存在")


def _decides_own(actor: Actor, reg: Registration) -> bool:
    """Staff never decide their own registration, one they asked for, or their unit's."""
    own_unit = reg.kind == RegistrationKind.UNIT and actor.administers_unit(reg.unit_id)
    return reg.person_id == actor.person_id or reg.requested_by_id == actor.person_id or own_unit


def registration_refusal(actor: Actor, reg: Registration, action: str) -> DomainError | None:
    """Why `actor` may not take `action` ("confirm", "decline", "withdraw") on `reg` now, or None.

    In the order the operations check: who (404 out of scope, 403 without the role), the state
    (409 `not_pending` / `not_live`), then `self_approval` (403) for a decision.
    """
    transition = REGISTRATION_TRANSITIONS[action]
    who = _deciders_refusal if transition.who == DECIDERS else _subject_refusal
    refusal = who(actor, reg)
    if refusal is not None:
        return refusal
    if reg.status not in transition.sources:
        return Conflict(*transition.stale)
    if transition.who == DECIDERS and _decides_own(actor, reg):
        return Forbidden("self_approval", "不能确认自己或本单位的报到")
    return None


def allowed_actions(actor: Actor, reg: Registration) -> list[str]:
    """The actions the registration's operations would accept from `actor` now."""
    return [action for action in REGISTRATION_TRANSITIONS if registration_refusal(actor, reg, action) is None]


def registration_view(actor: Actor, reg: Registration) -> dict:
    """A registration as the API answers it: its fields and what the reader may do with it."""
    return {
        "id": reg.id,
        "kind": reg.kind,
        "person_id": reg.person_id,
        "unit_id": reg.unit_id,
        "community_id": reg.community_id,
        "status": reg.status,
        "note": reg.note,
        "decided_by_id": reg.decided_by_id,
        "decided_at": reg.decided_at,
        "decision_note": reg.decision_note,
        "created_at": reg.created_at,
        "allowed_actions": allowed_actions(actor, reg),
    }


def registration_listing(actor: Actor, regs: list[Registration]) -> list[dict]:
    """Registrations as the registrations page lists them: `registration_view`, who reported (a
    member's name and masked phone, or the unit's name), the community's name, and for a pending
    one the reader may not decide (or withdraw), the refusal that says why."""
    people = {p.id: p for p in _rows(Person, {r.person_id for r in regs if r.person_id})}
    units = unit_names(sorted({r.unit_id for r in regs if r.unit_id}))
    communities = community_names(sorted({r.community_id for r in regs}))
    listing = []
    for reg in regs:
        view = registration_view(actor, reg)
        member = people.get(reg.person_id)
        listing.append(
            {
                **view,
                "member_name": member.name if member else None,
                "member_phone": mask_phone(member.phone) if member else None,
                "unit_name": units.get(reg.unit_id),
                "community_name": communities.get(reg.community_id, ""),
                "why_not": _why_not(actor, reg, view["allowed_actions"]),
            }
        )
    return listing


def _why_not(actor: Actor, reg: Registration, allowed: list[str]) -> DomainError | None:
    """Why the reader has no button on a pending registration: for staff, why they may not decide
    it; for the member or unit admin, why they may not withdraw it."""
    if reg.status != RegistrationState.PENDING:
        return None
    action = "confirm" if actor.can("registrations.read", community_path(reg)) else "withdraw"
    if action in allowed:
        return None
    refusal = registration_refusal(actor, reg, action)
    return refusal if refusal is not None and refusal.status != 404 else None


def has_registrations_page(actor: Actor) -> bool:
    """Who the registrations page is for: those who read registrations of a community, party
    members (their own) and unit admins (their units')."""
    return actor.can_somewhere("registrations.read") or actor.is_party_member or bool(actor.unit_ids)


def _rows(model, ids: set[int]) -> list:
    if not ids:
        return []
    return list(session().exec(select(model).where(model.id.in_(ids))).all())


def person_names(ids: set[int]) -> dict[int, str]:
    return {p.id: p.name for p in _rows(Person, ids)}


def registrations_stmt(
    actor: Actor, *, status: str | None = None, kind: str | None = None, community_id: int | None = None
) -> sa.Select:
    """Registrations in the actor's staff scope, plus their own and their units'."""
    unit_ids = actor.unit_ids
    stmt = (
        select(Registration)
        .join(OrgNode, OrgNode.id == Registration.community_id)
        .where(
            sa.or_(
                actor.scope_filter("registrations.read", OrgNode.path),
                Registration.person_id == actor.person_id,
                Registration.unit_id.in_(unit_ids) if unit_ids else sa.false(),
            )
        )
        .order_by(Registration.id.desc())
    )
    if status:
        stmt = stmt.where(Registration.status == status)
    if kind:
        stmt = stmt.where(Registration.kind == kind)
    if community_id is not None:
        stmt = stmt.where(Registration.community_id == community_id)
    return stmt


def registrations_page(actor: Actor, *, cursor: Cursor | None, per_page: int, **filters) -> dict:
    """A keyset page of `registrations_stmt`, newest first."""
    return keyset(
        registrations_stmt(actor, **filters),
        keys=[(Registration.id, True)],
        cursor=cursor,
        per_page=per_page,
    )


def registrations_of(person_id: int) -> list[Registration]:
    """Every 双报到 registration of the member, oldest first (their data export)."""
    return list(
        session().exec(
            select(Registration).where(Registration.person_id == person_id).order_by(Registration.id)
        )
    )


def belongs_to_community(person: Person, community_id: int) -> bool:
    """Lives there, or has reported there as a party member (confirmed)."""
    if person.community_id == community_id:
        return True
    reg = member_registration(person.id)
    return reg is not None and reg.status == RegistrationState.CONFIRMED and reg.community_id == community_id


def unit_reports_to(unit_id: int, community_id: int) -> bool:
    return (
        session()
        .exec(
            select(Registration.id).where(
                Registration.kind == RegistrationKind.UNIT,
                Registration.unit_id == unit_id,
                Registration.community_id == community_id,
                Registration.status == RegistrationState.CONFIRMED,
            )
        )
        .first()
        is not None
    )


def independence_since(now: datetime) -> datetime:
    """The start of the window in which staff changes to an account make people dependent."""
    return now - timedelta(days=current_app.config["INDEPENDENCE_DAYS"])


def ties_of(person_id: int, *, since: datetime) -> set[int]:
    """Everyone this person is not independent of (SPEC §3, independence).

    Those who appointed them to any role or whom they appointed (grants held now), and
    those whose account they created, edited, reset, unlocked or gave a role to since
    `since`, or who did so to theirs: either side could hold the other's password or owe
    them the role, so neither checks what the other asks for or receives.
    """
    granted = sa.select(RoleGrant.granted_by_id.label("other")).where(
        RoleGrant.person_id == person_id, RoleGrant.granted_by_id.is_not(None)
    )
    appointed = sa.select(RoleGrant.person_id).where(RoleGrant.granted_by_id == person_id)
    changed_by = sa.select(AccountChange.changed_by_id).where(
        AccountChange.person_id == person_id, AccountChange.created_at >= since
    )
    changed = sa.select(AccountChange.person_id).where(
        AccountChange.changed_by_id == person_id, AccountChange.created_at >= since
    )
    union = sa.union(granted, appointed, changed_by, changed)
    return set(session().execute(union).scalars()) - {person_id}


def changed_by_since(person_id: int, *, since: datetime, changes: tuple[str, ...]) -> set[int]:
    """Who made any of `changes` to the person's account since `since`."""
    rows = session().execute(
        sa.select(AccountChange.changed_by_id).where(
            AccountChange.person_id == person_id,
            AccountChange.created_at >= since,
            AccountChange.change.in_(changes),
        )
    )
    return set(rows.scalars())


def roles_of(person_id: int, node_path: str) -> set[str]:
    """The roles a person holds over the node with this path (a grant on it or an ancestor,
    or an admin grant over the whole tree)."""
    rows = session().execute(
        sa.select(RoleGrant.role, OrgNode.path)
        .join(OrgNode, OrgNode.id == RoleGrant.node_id, isouter=True)
        .where(RoleGrant.person_id == person_id)
    )
    return {
        role
        for role, path in rows
        if (path is None and role == "admin") or (path is not None and node_path.startswith(path))
    }


def get_account_change(change_id: int) -> AccountChange | None:
    return session().get(AccountChange, change_id)


def holders_over(role: str, node_id: int) -> list[int]:
    """The people (not suspended) holding `role` on the node or one of its ancestors, by id."""
    path = session().scalar(sa.select(OrgNode.path).where(OrgNode.id == node_id))
    if path is None:
        return []
    rows = session().execute(
        sa.select(RoleGrant.person_id, OrgNode.path)
        .join(OrgNode, OrgNode.id == RoleGrant.node_id)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(RoleGrant.role == role, Person.is_suspended.is_(False))
        .order_by(RoleGrant.person_id)
    )
    return sorted({person_id for person_id, grant_path in rows if path.startswith(grant_path)})


# --- failed logins ---------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    """The phone as the login form or API received it, as throttles and limits key it."""
    return phone.strip()[:20]


def login_throttle(*, phone: str, client_key: str) -> LoginThrottle | None:
    """The failed logins of this phone from this client, if any."""
    return (
        session()
        .exec(
            select(LoginThrottle).where(LoginThrottle.phone == phone, LoginThrottle.client_key == client_key)
        )
        .first()
    )


def locked_phones(phones: list[str], *, now: datetime | None = None) -> set[str]:
    """Which of these phones have a client locked out by failed logins right now."""
    if not phones:
        return set()
    rows = session().exec(
        select(LoginThrottle.phone)
        .where(LoginThrottle.phone.in_(phones), LoginThrottle.locked_until > (now or utcnow()))
        .distinct()
    )
    return set(rows.all())


def is_locked(phone: str, *, now: datetime | None = None) -> bool:
    return bool(locked_phones([phone], now=now))


# --- people as readers see them ----------------------------------------------------------


def person_view(actor: Actor, person: Person, path: str | None = None, locked: bool | None = None) -> dict:
    """A person as a reader may see them: the phone only in full to themselves or managers.
    Lists pass `locked` from one query for all their rows (`locked_phones`)."""
    if path is None:
        path = home_path(person)
    full = person.id == actor.person_id or actor.can("people.manage", path)
    return {
        "id": person.id,
        "name": person.name,
        "phone": person.phone if full else mask_phone(person.phone),
        "community_id": person.community_id,
        "grid_id": person.grid_id,
        "is_party_member": person.is_party_member,
        "work_unit_id": person.work_unit_id,
        "is_suspended": person.is_suspended,
        "is_locked": is_locked(person.phone) if locked is None else locked,
    }


def people_page(
    actor: Actor,
    *,
    community_id: int | None = None,
    q: str | None = None,
    cursor: Cursor | None = None,
    per_page: int,
) -> dict:
    """A keyset page (by id) of the people the actor may read (`people_stmt`), each as
    `person_view` shows them; a bounded number of statements whatever the page size."""
    stmt = people_stmt(actor, community_id=community_id, q=q).add_columns(_home.path)
    found = keyset(
        stmt,
        keys=[(Person.id, False)],
        cursor=cursor,
        per_page=per_page,
        fetch="rows",
    )
    locked = locked_phones([person.phone for person, _path in found["items"]])
    found["items"] = [
        {
            **person_view(actor, person, path, person.phone in locked),
            "may_manage": actor.can("people.manage", path),
        }
        for person, path in found["items"]
    ]
    return found


def role_list(person_id: int) -> list[dict]:
    return [
        {
            "id": grant.id,
            "role": grant.role,
            "node_id": grant.node_id,
            "node_name": node.name if node else None,
            "unit_id": grant.unit_id,
            "unit_name": unit.name if unit else None,
        }
        for grant, node, unit in grants_of(person_id)
    ]


def account_change_rows(*, since: datetime, until: datetime, changes: tuple[str, ...]) -> sa.Select:
    """Staff changes of these kinds to accounts made in [since, until): a statement for other
    domains to join against (supervision's puppet detector), never loaded whole."""
    return sa.select(
        AccountChange.id,
        AccountChange.person_id,
        AccountChange.changed_by_id,
        AccountChange.change,
        AccountChange.created_at,
    ).where(
        AccountChange.created_at >= since,
        AccountChange.created_at < until,
        AccountChange.change.in_(changes),
    )
