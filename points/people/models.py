"""Persistence for people, role grants and registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from points.columns import OptionalTimestamp, Timestamp, choice_check, partial_index, values_in
from points.labels import N_, Choice


class Role(Choice):
    STAFF = "staff", N_("社区工作者")
    GRID_WORKER = "grid_worker", N_("网格员")
    STREET_ADMIN = "street_admin", N_("街道管理员")
    SUPERVISOR = "supervisor", N_("监督小组")
    UNIT_ADMIN = "unit_admin", N_("单位管理员")
    ADMIN = "admin", N_("系统管理员")


class RegistrationKind(Choice):
    MEMBER = "member", N_("党员")
    UNIT = "unit", N_("单位")


class RegistrationState(Choice):
    PENDING = "pending", N_("待确认")
    CONFIRMED = "confirmed", N_("已确认")
    DECLINED = "declined", N_("已拒绝")
    WITHDRAWN = "withdrawn", N_("已撤回")


# A registration that holds or may still hold: one at a time per member, per unit and community.
LIVE_STATES = (RegistrationState.PENDING, RegistrationState.CONFIRMED)
LIVE_REGISTRATION = values_in("status", tuple(state.value for state in LIVE_STATES))


@dataclass(frozen=True)
class Transition:
    """One move of a registration: from which states, to which, and who may make it."""

    sources: tuple[RegistrationState, ...]
    target: RegistrationState
    # DECIDERS: staff holding `registrations.confirm` over the community, never on their own or
    # their unit's registration. SUBJECT: the member, or an admin of the unit.
    who: str
    # The refusal when the registration is in none of `sources`: code and message.
    stale: tuple[str, str]


DECIDERS, SUBJECT = "deciders", "subject"

# 双报到, the one table: pending → confirmed or declined by staff of the community; pending or
# confirmed → withdrawn by the member or the unit's admin.
REGISTRATION_TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(
        (RegistrationState.PENDING,),
        RegistrationState.CONFIRMED,
        DECIDERS,
        ("not_pending", N_("该报到已处理")),
    ),
    "decline": Transition(
        (RegistrationState.PENDING,),
        RegistrationState.DECLINED,
        DECIDERS,
        ("not_pending", N_("该报到已处理")),
    ),
    "withdraw": Transition(
        LIVE_STATES, RegistrationState.WITHDRAWN, SUBJECT, ("not_live", N_("该报到已结束"))
    ),
}

# What a staff member did to someone's account: each makes them dependent on that person for
# a while (maker–checker independence), since they could have chosen or learnt its password.
# What a closed account's name reads afterwards; its phone becomes CLOSED_PHONE % id.
CLOSED_NAME = N_("已注销用户")
CLOSED_PHONE = "closed:%d"

ACCOUNT_CHANGES = ("created", "updated", "password_reset", "unlocked", "role_granted", "role_revoked")


class Person(SQLModel, table=True):
    __tablename__ = "people"
    # Name search: a trigram index on PostgreSQL serves `LIKE '%赵%'`; on SQLite the same index
    # is a plain b-tree and a search scans the reader's scope.
    __table_args__ = (
        sa.Index(
            "ix_people_name_search", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        ),
        # A community's people in id order. On PostgreSQL the entries also carry what a search
        # and the home check read, so a search of one community (a one-character surname, which
        # no trigram serves) reads the index alone, not a page of the table for every person.
        sa.Index(
            "ix_people_community", "community_id", "id", postgresql_include=["grid_id", "name", "phone"]
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=50)
    # None: the person cannot log in until a password is set (e.g. roster import).
    password_hash: str | None = Field(default=None, max_length=255)
    community_id: int | None = Field(default=None, foreign_key="org_nodes.id")
    grid_id: int | None = Field(default=None, foreign_key="org_nodes.id", index=True)
    is_party_member: bool = Field(default=False)
    work_unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    is_suspended: bool = Field(default=False)
    # Set by a staff password reset: the person chooses their own before doing anything else.
    must_change_password: bool = Field(default=False)
    consent_at: datetime | None = OptionalTimestamp()
    # The privacy notice's version the person last agreed to (a newer one asks again).
    consent_version: str | None = Field(default=None, max_length=20)
    # Registered themselves without a verified phone: staff confirm them before they earn points.
    needs_confirmation: bool = Field(default=False)
    # The person closed their account: name and phone were replaced, and it cannot log in.
    closed_at: datetime | None = OptionalTimestamp()
    created_at: datetime = Timestamp()


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grants"
    __table_args__ = (
        # One grant of a role per scope; the scope columns are NULL on one side, and NULLs
        # never collide in a plain unique key, hence the COALESCE.
        sa.Index(
            "uq_role_grants_scope",
            "person_id",
            "role",
            sa.text("coalesce(node_id, 0)"),
            sa.text("coalesce(unit_id, 0)"),
            unique=True,
        ),
        choice_check("role", Role),
        # unit_admin holds on a unit; admin on the whole tree or a node;
        # every other role on a node.
        sa.CheckConstraint(
            "(role = 'unit_admin' AND unit_id IS NOT NULL AND node_id IS NULL)"
            " OR (role = 'admin' AND unit_id IS NULL)"
            " OR (role NOT IN ('unit_admin', 'admin') AND node_id IS NOT NULL AND unit_id IS NULL)",
            name="scope",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    role: str = Field(max_length=16)
    node_id: int | None = Field(default=None, foreign_key="org_nodes.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    granted_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Timestamp()


class Registration(SQLModel, table=True):
    """双报到: a party member or a unit reports to a community; staff decide."""

    __tablename__ = "registrations"
    __table_args__ = (
        choice_check("kind", RegistrationKind),
        choice_check("status", RegistrationState),
        sa.CheckConstraint(
            "(kind = 'member' AND person_id IS NOT NULL AND unit_id IS NULL)"
            " OR (kind = 'unit' AND unit_id IS NOT NULL AND person_id IS NULL)",
            name="subject",
        ),
        # A member reports to one community at a time; a unit once per community.
        partial_index(
            "uq_registrations_live_member",
            "person_id",
            where=f"kind = 'member' AND {LIVE_REGISTRATION}",
            unique=True,
        ),
        partial_index(
            "uq_registrations_live_unit",
            "unit_id",
            "community_id",
            where=f"kind = 'unit' AND {LIVE_REGISTRATION}",
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    community_id: int = Field(foreign_key="org_nodes.id", index=True)
    status: str = Field(default=RegistrationState.PENDING.value, max_length=12)
    note: str = Field(default="", max_length=500)
    requested_by_id: int | None = Field(default=None, foreign_key="people.id")
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = OptionalTimestamp()
    decision_note: str = Field(default="", max_length=500)
    created_at: datetime = Timestamp()


class AccountChange(SQLModel, table=True):
    """One staff action on a person's account (made, edited, password reset, unlocked, roles).

    Independence reads these: whoever changed an account lately may not approve what that
    account asked for or receives, nor the other way round.
    """

    __tablename__ = "account_changes"
    __table_args__ = (
        sa.CheckConstraint(values_in("change", ACCOUNT_CHANGES), name="change"),
        sa.Index("ix_account_changes_person_at", "person_id", "created_at"),
        sa.Index("ix_account_changes_by_at", "changed_by_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    changed_by_id: int = Field(foreign_key="people.id")
    change: str = Field(max_length=16)
    created_at: datetime = Timestamp()


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one phone (as typed, known or not) from one client (device or address)."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        sa.UniqueConstraint("phone", "client_key", name="uq_login_throttles_phone_client"),
        sa.CheckConstraint("failures >= 0", name="failures_nonnegative"),
        sa.CheckConstraint("lock_count >= 0", name="lock_count_nonnegative"),
        sa.Index("ix_login_throttles_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    # "d:" and the SHA-256 of a device cookie, or "a:" and the client address.
    client_key: str = Field(max_length=80)
    failures: int = Field(default=0)
    lock_count: int = Field(default=0)
    locked_until: datetime | None = OptionalTimestamp()
    updated_at: datetime = Timestamp()


class ProxyState(Choice):
    PENDING = "pending", N_("待确认")
    ACTIVE = "active", N_("代办中")
    ENDED = "ended", N_("已结束")


class ProxyCheck(Choice):
    """What staff checked at the desk when the relative confirmed the link."""

    MEMBER_CARD = "member_card", N_("会员卡")
    ID_CARD = "id_card", N_("身份证")


LIVE_PROXY = values_in("state", (ProxyState.PENDING.value, ProxyState.ACTIVE.value))

# Family proxies (代办), the one table: the family member asks (pending); staff record the
# relative's confirmation at the desk (active); the relative, the family member or staff end it.
# Each action: (from which states, to which, who may).
STAFF, PARTIES = "staff", "parties"
PROXY_TRANSITIONS: dict[str, tuple[tuple[ProxyState, ...], ProxyState, tuple[str, ...]]] = {
    "confirm": ((ProxyState.PENDING,), ProxyState.ACTIVE, (STAFF,)),
    "end": ((ProxyState.PENDING, ProxyState.ACTIVE), ProxyState.ENDED, (STAFF, PARTIES)),
}


class ProxyLink(SQLModel, table=True):
    """A family member (with their own account) acting for an elderly relative (代办)."""

    __tablename__ = "proxy_links"
    __table_args__ = (
        choice_check("state", ProxyState),
        sa.CheckConstraint(
            f"check_kind IS NULL OR {values_in('check_kind', ProxyCheck.values())}", name="check_kind"
        ),
        sa.CheckConstraint("proxy_id <> relative_id", name="two_people"),
        partial_index("uq_proxy_links_live", "proxy_id", "relative_id", where=LIVE_PROXY, unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    proxy_id: int = Field(foreign_key="people.id", index=True)
    relative_id: int = Field(foreign_key="people.id", index=True)
    state: str = Field(default=ProxyState.PENDING.value, max_length=8)
    note: str = Field(default="", max_length=200)
    requested_at: datetime = Timestamp()
    confirmed_by_id: int | None = Field(default=None, foreign_key="people.id")
    confirmed_at: datetime | None = OptionalTimestamp()
    check_kind: str | None = Field(default=None, max_length=12)
    check_note: str = Field(default="", max_length=200)
    ended_by_id: int | None = Field(default=None, foreign_key="people.id")
    ended_at: datetime | None = OptionalTimestamp()
