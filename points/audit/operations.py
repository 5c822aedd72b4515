"""Writing audit entries; every operation that matters calls `record`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request

from points.audit.models import AuditEntry, ProxyAct
from points.db import insert_many, session, utcnow


def record(
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    node_id: int | None = None,
    unit_id: int | None = None,
    detail: dict | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (it commits or rolls back with it)."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        node_id=node_id,
        unit_id=unit_id,
        detail=detail or {},
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
    )
    session().add(entry)
    return entry


def audit(
    actor,
    action: str,
    row,
    *,
    node_id: int | None = None,
    unit_id: int | None = None,
    detail: dict | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Audit what `actor` (an Actor, or None for the system) just did to `row`, in one call.

    Flushes first, so a new row has its id. The target is the row's `__audit_type__` (or its
    class name in lower case) and id; the node is `node_id`, else the row's community or node,
    so the entry is read within the right staff scope.
    """
    session().flush()
    if node_id is None and unit_id is None:
        node_id = getattr(row, "community_id", None) or getattr(row, "node_id", None)
    target_type = getattr(type(row), "__audit_type__", type(row).__name__.lower())
    proxy_id = getattr(actor, "proxy_id", None)
    if proxy_id is not None:
        detail = {**(detail or {}), "proxy_id": proxy_id}
        record_proxy_acts(
            person_id=actor.person_id,
            proxy_id=proxy_id,
            action=action,
            targets=[(target_type, row.id)],
            now=now,
        )
    return record(
        actor_id=actor.person_id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=row.id,
        node_id=node_id,
        unit_id=unit_id,
        detail=detail,
        now=now,
    )


def record_proxy_acts(
    *, person_id: int, proxy_id: int, action: str, targets: list[tuple[str, int | None]], now: datetime | None
) -> None:
    """Note that `proxy_id` did these things for `person_id` (代办), in one statement."""
    at = now or utcnow()
    session().execute(
        sa.insert(ProxyAct.__table__),
        [
            {
                "action": action,
                "target_type": kind,
                "target_id": target_id,
                "person_id": person_id,
                "proxy_id": proxy_id,
                "at": at,
            }
            for kind, target_id in targets
        ],
    )


def record_many(
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    entries: list[tuple[int | None, int | None, dict]],
    now: datetime | None = None,
) -> None:
    """Add one entry per (target id, node id, detail) in a single statement (bulk actions)."""
    if not entries:
        return
    at = now or utcnow()
    address = (request.remote_addr or "")[:64] if has_request_context() else ""
    insert_many(
        AuditEntry.__table__,
        [
            {
                "at": at,
                "actor_id": actor_id,
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "node_id": node_id,
                "unit_id": None,
                "detail": detail,
                "address": address,
            }
            for target_id, node_id, detail in entries
        ],
    )
