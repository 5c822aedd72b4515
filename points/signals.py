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
# Keywords `flag_id`, `community_id`, `detector`, `about` (ids of the people the flag is about),
# `actor_id`, `note`, `now`. Notices tell the street admins over the community (never those the
# flag is about).
flag_escalated = _signals.signal("flag-escalated")

# board: a slot of a task was offered to a person (派单). Keywords `claim_id`, `person_id`, `title`,
# `now`. Notices tell the person.
claim_offered = _signals.signal("claim-offered")

# board: the person offered a slot (派单) accepted or declined it. Keywords `claim_id`,
# `person_id`, `accepted` (bool), `dispatched_by_id` (who offered it), `title`, `reason` (why
# declined), `now`. Notices mark the offer's notice read, and tell the dispatcher of a decline.
offer_answered = _signals.signal("offer-answered")

# evaluation: staff answered an objection to a 公示. Keywords `objection_id`, `period_id`,
# `person_id` (who filed it), `period` (the period's label), `upheld` (bool), `reason` (the
# answer), `now`. Notices tell whoever filed it.
objection_answered = _signals.signal("objection-answered")

# board: a claim was verified on every side, or rejected. Keywords `claim_id`, `person_id`,
# `title`, `verified` (bool), `reason`, `now`. Notices tell the claimant.
claim_decided = _signals.signal("claim-decided")

# ledger: awards to people were approved or rejected (one or a bulk approval's many). Keywords
# `awards` (dicts with `transfer_id`, `person_id`, `amount`, `memo`), `approved` (bool), `reason`,
# `now`. Notices tell each recipient.
awards_decided = _signals.signal("awards-decided")

# demands: a demand was accepted, declined or done. Keywords `demand_id`, `person_id` (the
# requester), `title`, `outcome` ("accepted", "declined", "done"), `reason`, `now`. Notices tell
# the requester.
demand_decided = _signals.signal("demand-decided")

# store: a voucher was issued, ready to be picked up. Keywords `voucher_id`, `person_id`, `item`,
# `now`. Notices tell its owner.
voucher_issued = _signals.signal("voucher-issued")

# people: a 双报到 registration of a member was confirmed or declined. Keywords
# `registration_id`, `person_id`, `confirmed` (bool), `reason`, `now`. Notices tell the member.
registration_decided = _signals.signal("registration-decided")

# people: staff confirmed a self-registered account, which may now earn points. Keywords
# `person_id`, `now`. Notices tell the person.
account_confirmed = _signals.signal("account-confirmed")


def answer(results: list[tuple[object, object]]) -> object:
    """The one answer of a signal that exactly one receiver answers (blinker's `send` result)."""
    answers = [value for _receiver, value in results if value is not None]
    if len(answers) != 1:
        raise RuntimeError(f"expected one answer, got {len(answers)}")
    return answers[0]
