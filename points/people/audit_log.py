"""Reading the audit log, always within the reader's scope (org paths decide it)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.audit.models import AuditEntry
from points.org.models import OrgNode


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
