"""Every change to anomaly flags: the nightly run that records what the detectors found, and a
supervisor's decision on one flag."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlmodel import select

from points.access import Actor
from points.audit.operations import audit
from points.db import session, utcnow
from points.errors import DomainError
from points.signals import flag_escalated
from points.supervision.detectors import DETECTORS, Found, Window, setting
from points.supervision.models import Flag, FlagState
from points.supervision.queries import get_flag
from points.supervision.transitions import TRANSITIONS, flag_refusal


def window_for(day: str) -> Window:
    """The window a run for the local day `day` looks at (SUPERVISION_WINDOW_DAYS)."""
    return Window.ending_on(
        day,
        days=current_app.config.get("SUPERVISION_WINDOW_DAYS", 30),
        history_months=int(setting("jump_history_months")),
    )


def run_detectors(*, day: str, now: datetime | None = None) -> dict[str, int]:
    """Run every detector over the window ending with the local day `day` and record what they
    found: a new flag per (detector, subject, period), an open one refreshed (score, figures,
    evidence added to), a decided one left as it was decided. Rerunning changes nothing new.
    Answers how many flags each detector found."""
    now = now or utcnow()
    window = window_for(day)
    counts = {}
    for detector in DETECTORS:
        found = detector(window)
        record_flags(found, window=window, now=now)
        counts[detector.__name__] = len(found)
    return counts


# Existing flags looked up per statement (bound parameters stay well under the limits).
KEYS_PER_READ = 300


def record_flags(found: list[Found], *, window: Window, now: datetime) -> None:
    """Insert or refresh one flag per finding (see `run_detectors`)."""
    sess = session()
    # The flags already there, read in a few statements, and the new ones added without a flush
    # per finding: a statement per finding (each flushing the last insert) cost more than the
    # detectors' own reading once a run found a hundred things.
    flags: dict[tuple[str, str, str], Flag] = {}
    keys = sorted({(item.detector, item.subject_key, item.period) for item in found})
    for start in range(0, len(keys), KEYS_PER_READ):
        chunk = keys[start : start + KEYS_PER_READ]
        for flag in sess.exec(
            select(Flag).where(
                Flag.detector.in_({k[0] for k in chunk}),
                Flag.subject_key.in_({k[1] for k in chunk}),
                Flag.period.in_({k[2] for k in chunk}),
            )
        ):
            flags[(flag.detector, flag.subject_key, flag.period)] = flag
    with sess.no_autoflush:
        for item in found:
            key = (item.detector, item.subject_key, item.period)
            flag = flags.get(key)
            if flag is None:
                flags[key] = Flag(
                    detector=item.detector,
                    community_id=item.community_id,
                    subject_key=item.subject_key,
                    subject_person_id=item.subject_person_id,
                    related_person_id=item.related_person_id,
                    period=item.period,
                    window_start=window.start,
                    window_end=window.end,
                    score=item.score,
                    facts=item.facts,
                    evidence=item.evidence,
                    state=FlagState.OPEN,
                    created_at=now,
                    seen_at=now,
                )
                sess.add(flags[key])
            elif flag.state == FlagState.OPEN:
                known = {(row["type"], row["id"]) for row in flag.evidence}
                flag.evidence = flag.evidence + [
                    r for r in item.evidence if (r["type"], r["id"]) not in known
                ]
                flag.score, flag.facts = max(flag.score, item.score), item.facts
                flag.window_end, flag.seen_at = max(flag.window_end, window.end), now
    sess.flush()


def decide_flag(*, actor: Actor, flag_id: int, action: str, note: str, now: datetime | None = None) -> Flag:
    """A supervisor explains a flag (it is in order, and why) or escalates it (the street admins
    over its community are told: signal `flag_escalated`); a street admin answers an escalated
    flag (`answer`: explained, with their note). Audited with the note.

    Needs the transition's permission over the flag's community and a flag not about oneself. Raises
    `not_found`, `forbidden`, `invalid_action`, `flag_decided`, `note_required`."""
    now = now or utcnow()
    flag = get_flag(flag_id, lock=True)
    refusal = flag_refusal(actor, flag, action)
    if refusal is not None:
        raise refusal
    note = note.strip()
    if not note:
        raise DomainError("note_required", "请写明说明或上报的理由", 422, errors={"note": ["必填"]})
    before = flag.state
    flag.state = TRANSITIONS[action].target
    flag.decision_note, flag.decided_by_id, flag.decided_at = note[:1000], actor.person_id, now
    detail = {"from": before, "to": flag.state, "detector": flag.detector, "note": flag.decision_note}
    audit(actor, f"flag.{action}", flag, detail=detail, now=now)
    if action == "escalate":
        flag_escalated.send(
            flag_id=flag.id,
            community_id=flag.community_id,
            detector=flag.detector,
            about=[p for p in (flag.subject_person_id, flag.related_person_id) if p is not None],
            actor_id=actor.person_id,
            note=flag.decision_note,
            now=now,
        )
    return flag
