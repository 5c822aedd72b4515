"""Named signals: how a domain lets others react to what happened without importing them.

The domain where something happens sends; the domain that reacts connects a receiver in its
own `listeners.py` (connected when the app is built). Receivers run in the sender's
transaction, so what they write commits or rolls back with the event. A receiver may answer
(blinker returns every receiver's value), and may refuse by raising a `DomainError`, which
refuses the whole event.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# people: a person's password was changed or reset, or they were suspended. Keyword `person_id`,
# `now`. Auth ends every page session and API token of theirs.
credentials_changed = _signals.signal("credentials-changed")

# checkin: a person checked in at an activity held for a board task. Keywords `task_id`,
# `person_id`, `now`. The board marks the person's claim checked in (or claims a free slot for a
# walk-in) and answers the claim's id; it refuses with a DomainError when it cannot.
checked_in_for_task = _signals.signal("checked-in-for-task")

# board: a task was cancelled. Keywords `task_id`, `demand_id` (the demand behind it, if any),
# `actor_id`, `now`. Demands send the demand back to triage.
task_cancelled = _signals.signal("task-cancelled")

# board: a task was marked done. Keywords `task_id`, `demand_id` (the demand behind it, if any),
# `actor_id`, `now`. Demands mark the demand done, so its requester can rate the service.
task_completed = _signals.signal("task-completed")

# supervision: a supervisor escalated an anomaly flag to the street admins over its community.
# Keywords `flag_id`, `community_id`, `detector`, `actor_id`, `note`, `now`. An inbox of notices
# listens here to tell the street admins; until one does, the audit entry is the record.
flag_escalated = _signals.signal("flag-escalated")


def answer(results: list[tuple[object, object]]) -> object:
    """The one answer of a signal that exactly one receiver answers (blinker's `send` result)."""
    answers = [value for _receiver, value in results if value is not None]
    if len(answers) != 1:
        raise RuntimeError(f"expected one answer, got {len(answers)}")
    return answers[0]
