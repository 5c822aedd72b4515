"""The award's one transition table: who moves a pending award (or a reversal request) where, and
who may ask to reverse a posted award.

Operations enforce it through `refusal` (the error they raise, or None); the API and the
approval page read `allowed_actions`, computed by the very same checks, so a page never offers
what the operation refuses. An award's state is read from its rows (`queries.annotate`):

    pending --approve--> posted --reverse--> posted, with a pending reversal request
    pending --reject---> voided                (a request is approved or rejected like an award)
    pending --withdraw-> voided
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from points.access import Actor
from points.db import utcnow
from points.errors import Conflict, DomainError, Forbidden
from points.ledger.checks import is_self
from points.ledger.models import APPROVABLE_REASONS, AWARD_REASONS
from points.ledger.queries import (
    account_owners,
    resolution_of,
    resolutions_of,
    reversal_of,
    reversal_requests,
)
from points.org.queries import get_node
from points.people.queries import independence_since, ties_of


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    who: str


AWARD_TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(
        ("pending",),
        "posted",
        "awards.approve over the community, and none of: its payer or payee, its requester or "
        "verifier, anyone tied to them (approval_refusals)",
    ),
    "reject": Transition(("pending",), "voided", "as approve, with a reason"),
    "withdraw": Transition(
        ("pending",),
        "voided",
        "the system, when the award's cause went away (a cancelled task); nobody approves giving up",
    ),
    "reverse": Transition(
        ("posted",),
        "posted",
        "awards.request over the community: a pending reversal request reserves the points until "
        "someone approves or rejects it as above",
    ),
}
# What a person may be offered; `withdraw` belongs to the domain whose cause went away.
ACTIONS = ("approve", "reject", "reverse")


def _path_of(community_id: int, paths: dict[int, str]) -> str:
    if community_id not in paths:
        paths[community_id] = get_node(community_id).path
    return paths[community_id]


def approval_refusals(
    actor: Actor, rows: list[dict], *, now: datetime | None = None
) -> dict[int, DomainError]:
    """Why `actor` may not approve or reject each of these rows; a row absent may be decided.

    The one independence rule (SPEC §3), for single and bulk decisions and for the pages'
    buttons alike. A pending award or reversal is decided by someone with `awards.approve`
    over its community who is none of: a person or unit it pays or takes from
    (`self_approval`), its requester or verifier (`maker_checker`), and nobody tied to those
    people (`not_independent`: an appointment either way, or a staff change to either's
    account within INDEPENDENCE_DAYS, see `people.queries.ties_of`). Anything else than a
    pending award or reversal is `not_pending`, one decided already `already_resolved`;
    outside the actor's scope `not_found`.
    """
    if not rows:
        return {}
    now = now or utcnow()
    owners = account_owners({r["debit_account_id"] for r in rows} | {r["credit_account_id"] for r in rows})
    resolved = resolutions_of([r for r in rows if r["status"] == "pending"])
    ties = ties_of(actor.person_id, since=independence_since(now))
    paths: dict[int, str] = {}
    refusals: dict[int, DomainError] = {}
    for row in rows:
        try:
            actor.require("awards.approve", _path_of(row["community_id"], paths))
            _check_decidable(actor, row, owners, ties, resolved)
        except DomainError as exc:
            refusals[row["id"]] = exc
    return refusals


def _check_decidable(actor: Actor, row: dict, owners: dict, ties: set[int], resolved: dict) -> None:
    if row["status"] != "pending" or row["reason"] not in APPROVABLE_REASONS:
        raise Conflict("not_pending", "这笔积分不是待审批的奖励或冲正")
    if row["id"] in resolved:
        raise Conflict("already_resolved", "该笔积分已处理过")
    parties = [owners[row[side]] for side in ("debit_account_id", "credit_account_id")]
    if any(is_self(actor, party) for party in parties):
        raise Forbidden("self_approval", "不能审批发给自己或自己管理的单位的积分")
    makers = {row["requested_by_id"], row["verified_by_id"]} - {None}
    if actor.person_id in makers:
        raise Forbidden("maker_checker", "申请或核验这笔积分的人不能再审批它")
    people = makers | {owner_id for owner_type, owner_id in parties if owner_type == "person"}
    if people & ties:
        raise Forbidden(
            "not_independent",
            "审批人与申请人或受益人有关联（相互任命，或近期创建、修改、重置、解锁过对方账号），请由其他人审批",
        )


def reversal_target(row: dict) -> tuple[dict, DomainError | None]:
    """The posted row a reversal of `row` would undo (for a pending award, its approval), and
    why none may be asked for: `not_posted`, `not_reversible`, `already_resolved` (reversed
    before), `reversal_pending` (a request waits)."""
    target = row
    if row["status"] == "pending":
        post = resolution_of(row)
        if post is None or post["status"] != "post":
            return row, Conflict("not_posted", "这笔积分尚未入账，无法冲正")
        target = post
    elif row["status"] not in ("posted", "post"):
        return row, Conflict("not_posted", "这笔积分尚未入账，无法冲正")
    if target["reason"] not in AWARD_REASONS:
        # Spending is undone by a refund (which also restores stock), never by a reversal.
        return target, Conflict("not_reversible", "只有奖励可以冲正；兑换请走退还流程")
    if reversal_of(target) is not None:
        return target, Conflict("already_resolved", "这笔积分已冲正过")
    asked, rejected = reversal_requests(target)
    if asked > rejected:
        return target, Conflict("reversal_pending", "这笔积分已有待审批的冲正申请")
    return target, None


def reversal_refusal(actor: Actor, row: dict) -> DomainError | None:
    """Why `actor` may not ask for `row`'s reversal (see `reversal_target`), or None."""
    try:
        actor.require("awards.request", get_node(row["community_id"]).path)
    except DomainError as exc:
        return exc
    return reversal_target(row)[1]


def withdrawal_refusal(row: dict) -> DomainError | None:
    """Why the award cannot be withdrawn: only a pending award can (`not_pending`)."""
    if row["status"] != "pending" or row["reason"] not in AWARD_REASONS:
        return Conflict("not_pending", "这笔积分不是待审批的奖励")
    return None


def refusal(actor: Actor, row: dict, action: str, *, now: datetime | None = None) -> DomainError | None:
    """Why `actor` may not do `action` to the transfer `row`, or None: what the operation raises."""
    if action in ("approve", "reject"):
        return approval_refusals(actor, [row], now=now).get(row["id"])
    if action == "reverse":
        return reversal_refusal(actor, row)
    raise ValueError(f"unknown action {action!r}")


def allowed_actions(
    actor: Actor,
    rows: list[dict],
    *,
    now: datetime | None = None,
    refused: dict[int, DomainError] | None = None,
) -> dict[int, list[str]]:
    """Per row id, the actions of `ACTIONS` the actor may take now: by the operations' own checks.

    Approvals are checked for all rows at once (pass `refused`, what `approval_refusals` said,
    when it is at hand); only rows that moved points are asked about a reversal (a waiting
    award cannot be reversed), so a queue costs a few queries."""
    if refused is None:
        refused = approval_refusals(actor, rows, now=now)
    allowed = {}
    for row in rows:
        actions = [] if row["id"] in refused else ["approve", "reject"]
        if row.get("state", "posted") == "posted" and reversal_refusal(actor, row) is None:
            actions.append("reverse")
        allowed[row["id"]] = actions
    return allowed
