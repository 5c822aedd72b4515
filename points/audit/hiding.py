"""Audit entries hidden from the people they are about.

A higher domain whose rows must stay unseen by some people (an anomaly flag by its subject)
registers, per audit target type, which of its rows are about a person; whoever reads the audit
log then never sees entries on those rows when they are about the reader, whatever else would
let them see the entry.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from points.audit.models import AuditEntry

# Target type -> (person id -> a SELECT of the ids of that type's rows about the person).
_HIDDEN_FROM_SUBJECT: dict[str, Callable[[int], sa.Select]] = {}


def hide_from_subjects(target_type: str, rows_about: Callable[[int], sa.Select]) -> None:
    """Hide the entries on `target_type` rows that `rows_about(person_id)` selects from that person."""
    _HIDDEN_FROM_SUBJECT[target_type] = rows_about


def not_hidden_from(person_id: int | None) -> sa.ColumnElement[bool]:
    """The condition an audit entry meets when it may be shown to `person_id`."""
    if person_id is None or not _HIDDEN_FROM_SUBJECT:
        return sa.true()
    return sa.and_(
        *(
            sa.not_(
                sa.and_(
                    AuditEntry.target_type == target_type,
                    AuditEntry.target_id.in_(rows_about(person_id)),
                )
            )
            for target_type, rows_about in _HIDDEN_FROM_SUBJECT.items()
        )
    )
