"""Who is asking and what they may do: the actor, role grants and the one permission table.

Every domain asks here (`actor.can("awards.approve", path)`), never a hand-written set of role names.

A grant on an org node holds for that node's subtree and nowhere else; a
`unit_admin` grant holds for its unit; an `admin` grant without a node holds
everywhere. Outside every scope a thing answers 404 (its existence is not
revealed); inside scope, an action the role lacks answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from points.errors import Forbidden, NotFound

# Which roles may perform each action, within the scope of their grant.
PERMISSIONS: dict[str, frozenset[str]] = {
    "people.read": frozenset({"staff", "grid_worker", "street_admin", "supervisor", "admin"}),
    "people.manage": frozenset({"staff", "street_admin", "admin"}),
    "roles.manage": frozenset({"staff", "street_admin", "admin"}),
    "registrations.read": frozenset({"staff", "street_admin", "supervisor", "admin"}),
    "registrations.confirm": frozenset({"staff", "street_admin", "admin"}),
    "org.manage": frozenset({"street_admin", "admin"}),
    "stations.manage": frozenset({"staff", "street_admin", "admin"}),
    "units.manage": frozenset({"street_admin", "admin"}),
    "audit.read": frozenset({"staff", "street_admin", "supervisor", "admin"}),
    "ledger.read": frozenset({"staff", "street_admin", "supervisor", "admin"}),
    "awards.request": frozenset({"staff", "street_admin", "admin"}),
    "awards.approve": frozenset({"staff", "street_admin", "admin"}),
    "help.request_for": frozenset({"grid_worker", "staff"}),
    "tasks.manage": frozenset({"staff", "street_admin", "admin"}),
    "claims.verify": frozenset({"staff", "street_admin", "admin"}),
    "demands.triage": frozenset({"staff", "street_admin", "admin"}),
    # Pages that gather one's work: the staff dashboard, and a unit's own page.
    "dashboard.read": frozenset({"staff", "street_admin", "admin", "grid_worker"}),
    "unit.read": frozenset({"unit_admin"}),
    # The points store: items, stock and prices; the pickup desk; the sponsor report.
    "store.manage": frozenset({"staff", "street_admin", "admin"}),
    "store.pickup": frozenset({"staff", "street_admin", "admin"}),
    "store.report": frozenset({"staff", "street_admin", "supervisor", "admin"}),
    # Anomaly flags: read within scope (never one's own); the supervision group decides them,
    # the street admins answer those escalated to them.
    "flags.read": frozenset({"staff", "street_admin", "supervisor", "admin"}),
    "flags.decide": frozenset({"supervisor", "admin"}),
    "flags.answer": frozenset({"street_admin", "admin"}),
    # Evaluation: rankings, ratings and the 公示 of periods (read); opening and freezing periods,
    # answering objections, exemptions and deductions (manage).
    "evaluation.read": frozenset({"staff", "street_admin", "supervisor", "admin"}),
    "evaluation.manage": frozenset({"staff", "street_admin", "admin"}),
}

# Which roles a holder of a role may hand out, within their own scope. Nobody hands
# out their own role: otherwise one staff member could appoint a second account as
# staff and approve their own requests with it (maker–checker needs two people).
# The supervision group watches the street admins, so only an admin appoints it.
GRANTABLE: dict[str, frozenset[str]] = {
    "staff": frozenset({"grid_worker"}),
    "street_admin": frozenset({"staff", "grid_worker"}),
    "admin": frozenset({"staff", "grid_worker", "street_admin", "supervisor", "unit_admin", "admin"}),
}


@dataclass(frozen=True)
class Grant:
    role: str
    node_path: str | None  # None with role admin: the whole tree
    unit_id: int | None = None


@dataclass
class Actor:
    """Who is asking, with their grants resolved to node paths once per request."""

    person_id: int
    name: str
    grants: list[Grant] = field(default_factory=list)
    is_party_member: bool = False
    # A family member acting for this person (代办): their id and name. The actor is then the
    # relative, with no grants of the family member's; what they do is audited with both.
    proxy_id: int | None = None
    proxy_name: str = ""

    @property
    def role_names(self) -> set[str]:
        return {g.role for g in self.grants}

    def roles_over(self, node_path: str | None) -> set[str]:
        """Roles whose scope covers the node with this path."""
        roles = set()
        for grant in self.grants:
            if grant.role == "admin" and grant.node_path is None:
                roles.add("admin")
            elif grant.node_path is not None and node_path and node_path.startswith(grant.node_path):
                roles.add(grant.role)
        return roles

    @property
    def unit_ids(self) -> list[int]:
        """The units the actor administers (unit_admin grants), in grant order."""
        return [g.unit_id for g in self.grants if g.role == "unit_admin" and g.unit_id is not None]

    def administers_unit(self, unit_id: int) -> bool:
        """Holds unit_admin for this very unit (an admin over everything does not count)."""
        return any(g.role == "unit_admin" and g.unit_id == unit_id for g in self.grants)

    def roles_over_unit(self, unit_id: int) -> set[str]:
        roles = {g.role for g in self.grants if g.unit_id == unit_id}
        if self.is_global_admin:
            roles.add("admin")
        return roles

    @property
    def is_global_admin(self) -> bool:
        return any(g.role == "admin" and g.node_path is None for g in self.grants)

    def can(self, action: str, node_path: str | None) -> bool:
        return bool(self.roles_over(node_path) & PERMISSIONS[action])

    def require(self, action: str, node_path: str | None) -> None:
        """Raise 404 outside every scope of the actor, 403 inside scope without the role."""
        roles = self.roles_over(node_path)
        if not roles:
            raise NotFound("not_found", "未找到")
        if not roles & PERMISSIONS[action]:
            raise Forbidden("forbidden", "没有权限执行此操作")

    def require_unit(self, unit_id: int, *, action: str | None = None) -> None:
        """Unit-side actions: unit_admin of that unit, or an admin."""
        roles = self.roles_over_unit(unit_id)
        if not roles:
            raise NotFound("not_found", "未找到")
        if action is not None and not roles & (PERMISSIONS[action] | {"unit_admin"}):
            raise Forbidden("forbidden", "没有权限执行此操作")

    def can_somewhere(self, action: str) -> bool:
        """Holds a role for the action on some scope (menus, and lists filtered by scope)."""
        return bool(self.role_names & PERMISSIONS[action])

    def require_somewhere(self, action: str) -> None:
        """For things outside the tree (units) and lists filtered by scope: the role anywhere
        suffices."""
        if not self.can_somewhere(action):
            raise Forbidden("forbidden", "没有权限执行此操作")

    def scope_paths(self, action: str) -> list[str] | None:
        """Node path prefixes where the action is allowed; None means everywhere."""
        allowed = PERMISSIONS[action]
        paths = []
        for grant in self.grants:
            if grant.role not in allowed:
                continue
            if grant.node_path is None:
                if grant.role == "admin":
                    return None
                continue
            paths.append(grant.node_path)
        return paths

    def scope_filter(self, action: str, path_column) -> sa.ColumnElement[bool]:
        """A WHERE clause keeping rows whose node path lies in the actor's scope."""
        paths = self.scope_paths(action)
        if paths is None:
            return sa.true()
        if not paths:
            return sa.false()
        return sa.or_(*(path_column.startswith(p, autoescape=True) for p in paths))

    def in_scope_anywhere(self, node_path: str | None) -> bool:
        return bool(self.roles_over(node_path))

    def can_grant(self, role: str, node_path: str | None) -> bool:
        held = (
            self.roles_over(node_path)
            if node_path is not None
            else ({"admin"} if self.is_global_admin else set())
        )
        return any(role in GRANTABLE.get(r, ()) for r in held)
