"""Reading what the audit domain keeps for other pages: who acted for whom (代办)."""

from __future__ import annotations

import sqlalchemy as sa

from points.audit.models import ProxyAct
from points.db import session


def proxies_of(target_type: str, target_ids: list[int]) -> dict[int, int]:
    """Target id → the family member who acted for the person on it (the first such act)."""
    if not target_ids:
        return {}
    rows = session().execute(
        sa.select(ProxyAct.target_id, ProxyAct.proxy_id)
        .where(ProxyAct.target_type == target_type, ProxyAct.target_id.in_(sorted(set(target_ids))))
        .order_by(ProxyAct.id.desc())
    )
    return dict(rows.all())
