"""Detector over the board's verified claims: verified faster than the work could be done."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from points.board.service import verified_claim_rows
from points.supervision.detectors.base import EVIDENCE_ROWS, Found, Window, day_of, rows_of, setting
from points.supervision.models import Detector
from points.supervision.sql import epoch, local_day_number


def fast_verifications(w: Window) -> list[Found]:
    """Verifiers who in one local day verified `fast_early` claims before their task ended, or
    `fast_per_minute` claims without a check-in within one minute."""
    c = verified_claim_rows(since=w.start, until=w.end).cte("verified")
    day = local_day_number(c.c.verified_at).label("day")
    minute = sa.cast(sa.func.floor(epoch(c.c.verified_at) / 60), sa.Integer).label("minute")
    early = sa.select(
        c.c.id, c.c.verifier_id, c.c.community_id, c.c.verified_at, day, sa.literal("early").label("why")
    ).where(c.c.verified_at < c.c.ends_at)
    quick = sa.select(c.c.verifier_id, minute, day).where(c.c.checked_in_at.is_(None)).subquery("quick")
    bursts = (
        sa.select(quick.c.verifier_id, quick.c.minute)
        .group_by(quick.c.verifier_id, quick.c.minute)
        .having(sa.func.count() >= setting("fast_per_minute"))
        .subquery("bursts")
    )
    in_burst = (
        sa.select(
            c.c.id, c.c.verifier_id, c.c.community_id, c.c.verified_at, day, sa.literal("minute").label("why")
        )
        .join(
            bursts,
            sa.and_(bursts.c.verifier_id == c.c.verifier_id, bursts.c.minute == minute),
        )
        .where(c.c.checked_in_at.is_(None))
    )
    stmt = sa.union_all(early, in_burst)
    grouped: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows_of(stmt):
        grouped[(row.verifier_id, row.day)].append(row)
    found = []
    for (verifier_id, _day), rows in grouped.items():
        early_ids = {r.id for r in rows if r.why == "early"}
        minute_ids = {r.id for r in rows if r.why == "minute"}
        if len(early_ids) < setting("fast_early") and not minute_ids:
            continue
        ids = sorted(early_ids | minute_ids)
        found.append(
            Found(
                Detector.FAST_VERIFICATION,
                rows[0].community_id,
                f"person:{verifier_id}",
                day_of(min(r.verified_at for r in rows)),
                float(len(ids)),
                {"early": len(early_ids), "per_minute": len(minute_ids)},
                [{"type": "claim", "id": i} for i in ids[:EVIDENCE_ROWS]],
                subject_person_id=verifier_id,
            )
        )
    return found
