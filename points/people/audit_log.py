"""Reading the audit log, always within the reader's scope (org paths decide it)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.audit.models import AuditEntry
from points.org.models import OrgNode
from points.pagination import Cursor, keyset


def audit_stmt(actor: Actor, *, action: str | None = None, node_id: int | None = None) -> sa.Select:
    """Entries newest first: those in the actor's audit scope, their units', and their own.

    Every person reads what was done by them or to them; a unit admin reads
    their unit's entries; staff, street admins and supervisors read their scope.
    """
    unit_ids = actor.unit_ids
    stmt = (
        select(AuditEntry)
        .join(OrgNode, OrgNode.id == AuditEntry.node_id, isouter=True)
        .where(
            sa.or_(
                actor.scope_filter("audit.read", OrgNode.path),
                AuditEntry.actor_id == actor.person_id,
                sa.and_(AuditEntry.target_type == "person", AuditEntry.target_id == actor.person_id),
                AuditEntry.unit_id.in_(unit_ids) if unit_ids else sa.false(),
            )
        )
        .order_by(AuditEntry.id.desc())
    )
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if node_id is not None:
        stmt = stmt.where(AuditEntry.node_id == node_id)
    return stmt


def audit_page(
    actor: Actor,
    *,
    action: str | None = None,
    node_id: int | None = None,
    cursor: Cursor | None,
    per_page: int,
) -> dict:
    """A keyset page of `audit_stmt`'s entries, newest first. Each way the reader reaches an
    entry (their scope's nodes, by them, about them, their units) is its own index scan, and
    their UNION is what the page reads: no scan of the whole log behind an OR."""
    branches = _branches(actor)
    filters = [AuditEntry.action == action] if action else []
    if node_id is not None:
        filters.append(AuditEntry.node_id == node_id)

    def build(conditions: list, order: list, limit: int) -> sa.Select:
        parts = [
            sa.select(AuditEntry.id).where(branch, *filters, *conditions).order_by(*order).limit(limit)
            for branch in branches
        ]
        found = sa.union(*(sa.select(part.subquery()) for part in parts)).subquery()
        return select(AuditEntry).join(found, found.c.id == AuditEntry.id).order_by(*order).limit(limit)

    return keyset(
        build,
        keys=[(AuditEntry.id, True)],
        row_key=lambda entry: (entry.id,),
        cursor=cursor,
        per_page=per_page,
    )


def _branches(actor: Actor) -> list[sa.ColumnElement[bool]]:
    paths = actor.scope_paths("audit.read")
    if paths is None:
        return [sa.true()]
    branches = [
        AuditEntry.actor_id == actor.person_id,
        sa.and_(AuditEntry.target_type == "person", AuditEntry.target_id == actor.person_id),
    ]
    if paths:
        in_scope = select(OrgNode.id).where(actor.scope_filter("audit.read", OrgNode.path))
        branches.append(AuditEntry.node_id.in_(in_scope))
    if actor.unit_ids:
        branches.append(AuditEntry.unit_id.in_(actor.unit_ids))
    return branches
