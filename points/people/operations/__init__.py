"""Every change to people, their roles and their registrations (双报到)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from points.access import Actor
from points.audit.operations import audit, record_many
from points.db import flush_or_conflict, session, utcnow
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.labels import N_
from points.org.models import OrgLevel, OrgNode
from points.org.queries import get_node, get_unit
from points.people.models import (
    CLOSED_NAME,
    CLOSED_PHONE,
    DECIDERS,
    REGISTRATION_TRANSITIONS,
    AccountChange,
    LoginThrottle,
    Person,
    Registration,
    RegistrationKind,
    Role,
    RoleGrant,
)
from points.people.passwords import check_password_policy, generate_password, hash_password, verify_password
from points.people.queries import (
    get_person,
    get_registration,
    grants_of,
    home_path,
    normalise_phone,
    registration_refusal,
    visible_person,
)
from points.signals import account_confirmed, credentials_changed, registration_decided


def _account_changed(
    actor: Actor | None,
    person: Person,
    change: str,
    *,
    action: str,
    node_id: int | None = None,
    unit_id: int | None = None,
    detail: dict | None = None,
    now: datetime | None = None,
) -> None:
    """Audit a change to a person's account and, when someone else made it, remember who:
    independence reads it (see `queries.ties_of`)."""
    now = now or utcnow()
    if actor is not None and actor.person_id != person.id:
        session().add(
            AccountChange(person_id=person.id, changed_by_id=actor.person_id, change=change, created_at=now)
        )
    audit(actor, action, person, node_id=node_id, unit_id=unit_id, detail=detail, now=now)


def _check_home(community_id: int | None, grid_id: int | None) -> tuple[OrgNode | None, OrgNode | None]:
    community = get_node(community_id) if community_id is not None else None
    if community is not None and community.level != OrgLevel.COMMUNITY:
        raise DomainError("invalid_community", "所选节点不是社区", 422)
    grid = get_node(grid_id) if grid_id is not None else None
    if grid is not None and (
        grid.level != OrgLevel.GRID or community is None or grid.parent_id != community.id
    ):
        raise DomainError("invalid_grid", "网格不属于所选社区", 422)
    return community, grid


def _require_outranks(actor: Actor, person: Person) -> None:
    """Locking, unlocking or resetting an account needs the right to grant every role it holds.

    Otherwise staff of a community could take over (or shut out) an admin who
    happens to live there.
    """
    for grant, node, _unit in grants_of(person.id):
        if not _may_hand_out(actor, grant.role, node):
            raise Forbidden("forbidden", "该人员拥有更高权限，请由上级管理员操作")


def create_person(
    *,
    actor: Actor | None,
    phone: str,
    name: str,
    password: str | None = None,
    community_id: int | None = None,
    grid_id: int | None = None,
    is_party_member: bool = False,
    work_unit_id: int | None = None,
    must_change_password: bool = False,
    needs_confirmation: bool = False,
    now: datetime | None = None,
) -> Person:
    """Add a person at a community (and grid). Staff need `people.manage` there.

    `needs_confirmation`: the person registered themselves and their phone was not verified;
    they earn no points until staff confirm them (`confirm_account`).

    A password, if given, must pass the policy; `must_change_password` makes the person
    choose their own at first login (a password that staff made and handed over).
    Raises `duplicate` (phone taken), `invalid_community`, `invalid_grid`, `weak_password`.
    """
    community, grid = _check_home(community_id, grid_id)
    if actor is not None:
        actor.require("people.manage", (grid or community).path if (grid or community) else None)
    if work_unit_id is not None:
        get_unit(work_unit_id)
    if password is not None:
        check_password_policy(password, phone.strip())
    person = Person(
        phone=phone.strip(),
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        community_id=community_id,
        grid_id=grid_id,
        is_party_member=is_party_member,
        work_unit_id=work_unit_id,
        # A password a staff member chose is theirs too: the person picks their own at first login.
        must_change_password=(must_change_password or actor is not None) and password is not None,
        needs_confirmation=needs_confirmation,
        created_at=now or utcnow(),
    )
    flush_or_conflict("该手机号已被使用", add=person)
    _account_changed(actor, person, "created", action="person.created", now=now)
    return person


def record_consent(*, person_id: int, version: str, now: datetime | None = None) -> Person:
    """The person agreed to version `version` of the privacy notice, now."""
    person = get_person(person_id)
    person.consent_version, person.consent_at = version, now or utcnow()
    audit(
        Actor(person_id=person.id, name=person.name),
        "person.consented",
        person,
        detail={"version": version},
        now=now,
    )
    return person


def confirm_account(*, actor: Actor, person_id: int, now: datetime | None = None) -> Person:
    """Staff confirm a self-registered person (checked at the desk), who may then earn points.

    Needs `people.manage` over the person's home. Raises `not_found`, `forbidden`,
    `already_confirmed`."""
    person = visible_person(actor, person_id, "people.manage")
    if not person.needs_confirmation:
        raise Conflict("already_confirmed", "该账号已确认")
    person.needs_confirmation = False
    _account_changed(actor, person, "updated", action="person.confirmed", now=now)
    account_confirmed.send(None, person_id=person.id, now=now or utcnow())
    return person


def close_account(*, actor: Actor, password: str, now: datetime | None = None) -> Person:
    """The person closes their own account (PIPL): name and phone are replaced, the password,
    consent and home kept no longer; ledger rows and other records keep their ids, so totals and
    the hash chain stay as they were. Every session ends; the account cannot log in again.

    Needs the account's password. Raises `invalid_credentials` (wrong password),
    `holds_roles` (someone with a role is removed from it first)."""
    now = now or utcnow()
    person = get_person(actor.person_id)
    if not verify_password(person.password_hash, password):
        raise DomainError("invalid_credentials", "密码不正确", 422, errors={"password": [N_("密码不正确")]})
    if grants_of(person.id):
        raise Conflict("holds_roles", "你还担任管理角色，请先请管理员撤销角色后再注销")
    clear_login_throttles(phone=person.phone)
    person.name, person.phone = CLOSED_NAME, CLOSED_PHONE % person.id
    person.password_hash, person.is_suspended, person.closed_at = None, True, now
    person.must_change_password, person.consent_version, person.consent_at = False, None, None
    audit(actor, "person.closed", person, now=now)
    credentials_changed.send(person_id=person.id, now=now)
    return person


def record_phone_views(*, actor: Actor, people: list[dict], now: datetime | None = None) -> None:
    """Audit each full phone number shown to staff (one entry per person, one statement);
    a person reading their own is not recorded."""
    record_many(
        actor_id=actor.person_id,
        action="person.phone_viewed",
        target_type="person",
        entries=[
            (p["id"], p.get("community_id"), {})
            for p in people
            if p["id"] != actor.person_id and "*" not in p["phone"] and not p["phone"].startswith("closed:")
        ],
        now=now,
    )


def update_person(*, actor: Actor, person_id: int, changes: dict, now: datetime | None = None) -> Person:
    """Change a person's details within scope; moving them needs scope at both ends.

    Suspending or reinstating someone also needs the right to grant each of their roles;
    suspending ends every page session and API token of theirs.
    Raises `not_found`, `forbidden`, `invalid_community`, `invalid_grid`, `cannot_suspend_self`.
    """
    person = visible_person(actor, person_id, "people.manage")
    suspending = "is_suspended" in changes and changes["is_suspended"] != person.is_suspended
    if suspending and person.id == actor.person_id:
        raise DomainError("cannot_suspend_self", "不能停用自己的账号", 422)
    # Staff edit residents, not each other (nor themselves): a colleague's name, party-member
    # flag or home belongs to whoever may appoint them.
    _require_outranks(actor, person)
    if "community_id" in changes or "grid_id" in changes:
        community_id = changes.get("community_id", person.community_id)
        grid_id = changes.get("grid_id", person.grid_id if community_id == person.community_id else None)
        community, grid = _check_home(community_id, grid_id)
        target = grid or community
        actor.require("people.manage", target.path if target else None)
        person.community_id, person.grid_id = community_id, grid_id
    if "work_unit_id" in changes and changes["work_unit_id"] is not None:
        get_unit(changes["work_unit_id"])
    if changes.get("is_suspended") and not person.is_suspended:
        credentials_changed.send(person_id=person.id, now=now or utcnow())
    for key in ("name", "is_party_member", "work_unit_id", "is_suspended"):
        if key in changes:
            value = changes[key]
            setattr(person, key, value.strip() if isinstance(value, str) else value)
    _account_changed(actor, person, "updated", action="person.updated", detail=dict(changes), now=now)
    return person


def unlock_person(*, actor: Actor, person_id: int, now: datetime | None = None) -> Person:
    """Lift the locks that failed logins left on a person's phone, from every client.

    Raises `not_found`, `forbidden`.
    """
    person = visible_person(actor, person_id, "people.manage")
    _require_outranks(actor, person)
    clear_login_throttles(phone=person.phone)
    _account_changed(actor, person, "unlocked", action="person.unlocked", now=now)
    return person


def reset_password(*, actor: Actor, person_id: int, now: datetime | None = None) -> str:
    """Give a person a new random, easily read password (shown once to the staff member), which
    they must change at their next login. Ends their sessions and tokens, lifts their locks.

    Raises `not_found`, `forbidden` (also when the person holds a role the actor could not grant).
    """
    person = visible_person(actor, person_id, "people.manage")
    _require_outranks(actor, person)
    password = generate_password()
    person.password_hash = hash_password(password)
    person.must_change_password = True
    clear_login_throttles(phone=person.phone)
    credentials_changed.send(person_id=person.id, now=now or utcnow())
    _account_changed(actor, person, "password_reset", action="person.password_reset", now=now)
    return password


def change_own_password(
    *, actor: Actor, old_password: str, new_password: str, now: datetime | None = None
) -> Person:
    """Set one's own password (the policy applies); clears a forced change, and ends every page
    session and API token of the person (the caller may start a new one).

    Raises `invalid_credentials` when the old password is wrong, `same_password`, `weak_password`.
    """
    person = get_person(actor.person_id)
    if not verify_password(person.password_hash, old_password):
        raise DomainError(
            "invalid_credentials", "原密码不正确", 422, errors={"old_password": [N_("原密码不正确")]}
        )
    if new_password == old_password:
        raise DomainError(
            "same_password",
            "新密码不能与原密码相同",
            422,
            errors={"new_password": [N_("新密码不能与原密码相同")]},
        )
    check_password_policy(new_password, person.phone, field="new_password")
    person.password_hash = hash_password(new_password)
    person.must_change_password = False
    credentials_changed.send(person_id=person.id, now=now or utcnow())
    audit(actor, "person.password_changed", person, now=now)
    return person


def _check_grant_scope(role: str, node: OrgNode | None, unit_id: int | None) -> None:
    """A role's scope: a unit for unit_admin, a node (or none, for admin) for the others."""
    if role == Role.UNIT_ADMIN and (unit_id is None or node is not None):
        raise DomainError("invalid_scope", "单位管理员需要指定单位", 422)
    if role not in (Role.UNIT_ADMIN, Role.ADMIN) and (node is None or unit_id is not None):
        raise DomainError("invalid_scope", "该角色需要指定组织节点", 422)
    if role == Role.ADMIN and unit_id is not None:
        raise DomainError("invalid_scope", "管理员不能授予在单位上", 422)


def _may_hand_out(actor: Actor, role: str, node: OrgNode | None) -> bool:
    """unit_admin comes from an admin over everything; other roles as GRANTABLE says, in scope."""
    if role == Role.UNIT_ADMIN:
        return actor.is_global_admin
    return actor.can_grant(role, node.path if node else None)


def _require_may_grant(actor: Actor, person: Person, role: str, node: OrgNode | None) -> None:
    if actor.person_id == person.id:
        # Not even an admin: every role comes from someone else, so no one appoints themselves.
        raise Forbidden("self_grant", "不能给自己授予角色")
    if not _may_hand_out(actor, role, node):
        if node is not None and not actor.in_scope_anywhere(node.path):
            raise NotFound("not_found", "未找到")
        raise Forbidden("forbidden", "无权授予该角色")


def _already_holds(person_id: int, role: str, node_id: int | None, unit_id: int | None) -> bool:
    # The unique key cannot catch this: node_id or unit_id is always NULL, and NULLs differ.
    same = select(RoleGrant.id).where(
        RoleGrant.person_id == person_id,
        RoleGrant.role == role,
        RoleGrant.node_id.is_(None) if node_id is None else RoleGrant.node_id == node_id,
        RoleGrant.unit_id.is_(None) if unit_id is None else RoleGrant.unit_id == unit_id,
    )
    return session().exec(same).first() is not None


def grant_role(
    *,
    actor: Actor | None,
    person_id: int,
    role: str,
    node_id: int | None = None,
    unit_id: int | None = None,
    now: datetime | None = None,
) -> RoleGrant:
    """Give a person a role on a node or unit; the granter must hold a role that may grant it there.

    Raises `invalid_role`, `invalid_scope`, `self_grant`, `forbidden`, `not_found`, `duplicate`.
    """
    if role not in Role.values():
        raise DomainError("invalid_role", "角色不存在", 422)
    person = get_person(person_id)
    node = get_node(node_id) if node_id is not None else None
    if unit_id is not None:
        get_unit(unit_id)
    _check_grant_scope(role, node, unit_id)
    if actor is not None:
        _require_may_grant(actor, person, role, node)
    if _already_holds(person.id, role, node_id, unit_id):
        raise Conflict("duplicate", "该人员已有此角色")
    grant = RoleGrant(
        person_id=person.id,
        role=role,
        node_id=node_id,
        unit_id=unit_id,
        granted_by_id=actor.person_id if actor else None,
        created_at=now or utcnow(),
    )
    flush_or_conflict("该人员已有此角色", add=grant)
    _account_changed(
        actor,
        person,
        "role_granted",
        action="role.granted",
        node_id=node_id,
        unit_id=unit_id,
        detail={"role": role},
        now=now,
    )
    return grant


def revoke_role(*, actor: Actor, grant_id: int, now: datetime | None = None) -> None:
    """Take a role back; the same rule as granting it. Nobody revokes their own admin role.

    Raises `grant_not_found`, `not_found`, `forbidden`, `cannot_revoke_own_admin`.
    """
    grant = session().get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound("grant_not_found", "授权不存在")
    node = get_node(grant.node_id) if grant.node_id is not None else None
    holder = get_person(grant.person_id)
    if not _may_hand_out(actor, grant.role, node):
        # A grant is listed with its holder: whoever sees the holder is refused, not misled.
        seen = holder.id == actor.person_id or actor.can("people.read", home_path(holder))
        if node is not None and not actor.in_scope_anywhere(node.path) and not seen:
            raise NotFound("not_found", "未找到")
        raise Forbidden("forbidden", "无权撤销该角色")
    if grant.person_id == actor.person_id and grant.role == Role.ADMIN:
        raise DomainError("cannot_revoke_own_admin", "不能撤销自己的管理员角色", 422)
    _account_changed(
        actor,
        holder,
        "role_revoked",
        action="role.revoked",
        node_id=grant.node_id,
        unit_id=grant.unit_id,
        detail={"role": grant.role},
        now=now,
    )
    session().delete(grant)
    session().flush()


# --- registrations (双报到): the moves of people.models.REGISTRATION_TRANSITIONS ---------------


def _require(actor: Actor, reg: Registration, action: str) -> None:
    """Raise what `registration_refusal` says, if anything (the checks `allowed_actions` runs)."""
    refusal = registration_refusal(actor, reg, action)
    if refusal is not None:
        raise refusal


def _move(actor: Actor, reg: Registration, action: str, *, now: datetime | None, **changes) -> Registration:
    """Move the registration as the table says for `action`, and audit it as
    `registration.<new state>`."""
    reg.status = REGISTRATION_TRANSITIONS[action].target.value
    for key, value in changes.items():
        setattr(reg, key, value)
    detail = {"note": reg.decision_note} if REGISTRATION_TRANSITIONS[action].who == DECIDERS else None
    audit(
        actor,
        f"registration.{reg.status}",
        reg,
        node_id=reg.community_id,
        unit_id=reg.unit_id,
        detail=detail,
        now=now,
    )
    return reg


def request_registration(
    *,
    actor: Actor,
    kind: str,
    community_id: int,
    unit_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Registration:
    """A party member reports to a community, or a unit admin reports their unit.

    Raises `invalid_community`, `not_party_member`, `validation_error` (no unit), `unit_not_found`,
    `forbidden`, `already_registered`.
    """
    community = get_node(community_id)
    if community.level != OrgLevel.COMMUNITY:
        raise DomainError("invalid_community", "只能向社区报到", 422)
    if kind == RegistrationKind.MEMBER:
        person = get_person(actor.person_id)
        if not person.is_party_member:
            raise DomainError("not_party_member", "只有党员可以到社区报到", 422)
        reg = Registration(kind=kind, person_id=person.id, community_id=community_id)
    else:
        if unit_id is None:
            raise DomainError("validation_error", "请指定单位", 422, errors={"unit_id": [N_("必填")]})
        get_unit(unit_id)
        if "unit_admin" not in actor.roles_over_unit(unit_id) and not actor.is_global_admin:
            raise Forbidden("forbidden", "只有该单位的管理员可以为单位报到")
        reg = Registration(kind=kind, unit_id=unit_id, community_id=community_id)
    reg.note = note.strip()
    reg.requested_by_id = actor.person_id
    reg.created_at = now or utcnow()
    flush_or_conflict("已有待确认或已确认的报到", code="already_registered", add=reg)
    audit(
        actor,
        "registration.requested",
        reg,
        node_id=community_id,
        unit_id=unit_id,
        detail={"kind": kind},
        now=now,
    )
    return reg


def decide_registration(
    *, actor: Actor, registration_id: int, confirm: bool, note: str = "", now: datetime | None = None
) -> Registration:
    """Staff of the community confirm or decline a pending registration (a reason to decline).

    Raises `registration_not_found`, `not_found` (out of scope), `forbidden`, `not_pending`,
    `self_approval`, `reason_required`.
    """
    reg = get_registration(registration_id)
    action = "confirm" if confirm else "decline"
    _require(actor, reg, action)
    if not confirm and not note.strip():
        raise DomainError("reason_required", "拒绝时请填写原因", 422, errors={"note": [N_("必填")]})
    now = now or utcnow()
    _move(
        actor, reg, action, now=now, decided_by_id=actor.person_id, decided_at=now, decision_note=note.strip()
    )
    if reg.person_id is not None:
        registration_decided.send(
            None,
            registration_id=reg.id,
            person_id=reg.person_id,
            confirmed=confirm,
            reason=note.strip(),
            now=now,
        )
    return reg


def withdraw_registration(*, actor: Actor, registration_id: int, now: datetime | None = None) -> Registration:
    """The member (or the unit's admin) withdraws a pending or confirmed registration.

    Raises `registration_not_found` (not theirs and out of scope), `forbidden`, `not_live`.
    """
    reg = get_registration(registration_id)
    _require(actor, reg, "withdraw")
    return _move(actor, reg, "withdraw", now=now, decided_at=now or utcnow())


# --- failed logins ---------------------------------------------------------------------


def count_failed_login(*, phone: str, client_key: str, now: datetime) -> datetime | None:
    """Count a failed login of a phone (as typed, an account or not) from one client (a device or
    an address), under the row's lock: LOGIN_MAX_FAILURES lock that pair, for longer with each
    further lock. Returns the lock's end if this failure locks."""
    sess = session()
    config = current_app.config
    dialect = postgresql if sess.get_bind().dialect.name == "postgresql" else sqlite
    sess.execute(
        dialect.insert(LoginThrottle.__table__)
        .values(phone=phone, client_key=client_key, failures=0, lock_count=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["phone", "client_key"])
    )
    row = sess.exec(
        select(LoginThrottle)
        .where(LoginThrottle.phone == phone, LoginThrottle.client_key == client_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    longest = timedelta(minutes=config["LOGIN_LOCK_MAX_MINUTES"])
    # A quiet spell as long as the longest lock forgets earlier failures and locks.
    if max(row.updated_at, row.locked_until or row.updated_at) + longest < now:
        row.failures, row.lock_count = 0, 0
    row.failures += 1
    row.updated_at = now
    locked_until = None
    if row.failures >= config["LOGIN_MAX_FAILURES"]:
        minutes = config["LOGIN_LOCK_MINUTES"] * 2 ** min(row.lock_count, 16)
        locked_until = now + min(timedelta(minutes=minutes), longest)
        row.failures, row.lock_count, row.locked_until = 0, row.lock_count + 1, locked_until
    sess.flush()
    return locked_until


def forget_failed_logins(*, throttle_id: int) -> None:
    """A success from a client forgets its failures (a plain DELETE: two logins at once may both
    get here)."""
    session().execute(sa.delete(LoginThrottle).where(LoginThrottle.id == throttle_id))


def clear_login_throttles(*, phone: str) -> int:
    """Forget every failed login and lock of this phone, from every client (staff unlock)."""
    result = session().execute(sa.delete(LoginThrottle).where(LoginThrottle.phone == normalise_phone(phone)))
    return result.rowcount


def prune_login_throttles(*, before: datetime) -> int:
    """Forget failed logins that went quiet before `before` and hold no lock after it."""
    return (
        session()
        .execute(
            sa.delete(LoginThrottle).where(
                LoginThrottle.updated_at < before,
                sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < before),
            )
        )
        .rowcount
    )


# Family proxies live in a module of their own; they are people's operations all the same.
from points.people.operations.proxies import (  # noqa: E402
    confirm_proxy_link,
    end_proxy_link,
    request_proxy_link,
)

__all__ = ["confirm_proxy_link", "end_proxy_link", "request_proxy_link"]
