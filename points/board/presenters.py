"""Tasks and claims as the API answers them and the pages show them: their fields, names read
from other domains, and what the caller may do with each (`allowed_actions`), with the reason
for each action withheld (`refusals`, which only pages show)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from points.access import Actor
from points.board import queries
from points.board.models import Category, Claim, ClaimState, Eligibility, FillMode, Task, TaskState
from points.board.operations import rules
from points.db import session
from points.errors import DomainError, refusal_text
from points.labels import N_, Choice
from points.ledger.models import Kind, TransferState
from points.org.models import Unit
from points.org.queries import community_names
from points.people.queries import people_stmt


class CardState(Choice):
    """What a task on the board is for the reader, said on its card: the same rule the claim
    operation uses (`rules.task_actions`) decides, so a card never says 可揭榜 to a refusal."""

    CLAIMABLE = "claimable", N_("可揭榜")
    OFFERED = "offered", N_("待你接单")
    APPLIED = "applied", N_("已报名待抽签")
    CLAIMED = "claimed", N_("已揭榜")
    FULL = "full", N_("名额已满")
    PARTY_ONLY = "party_only", N_("仅限党员")
    UNITS_ONLY = "units_only", N_("仅限单位")
    CLOSED = "closed", N_("已截止")
    DONE = "done", N_("已完成")
    CANCELLED = "cancelled", N_("已取消")
    DRAFT = "draft", N_("草稿")
    NOT_FOR_YOU = "not_for_you", N_("不能揭榜")


_BY_TASK_STATE = {
    TaskState.CLOSED: CardState.CLOSED,
    TaskState.DONE: CardState.DONE,
    TaskState.CANCELLED: CardState.CANCELLED,
    TaskState.DRAFT: CardState.DRAFT,
}
_BY_ELIGIBILITY = {Eligibility.PARTY_MEMBERS: CardState.PARTY_ONLY, Eligibility.UNITS: CardState.UNITS_ONLY}


def card_state(
    task: Task, allowed: list[str], refused: dict[str, DomainError], my_claim_state: str | None
) -> str:
    """The reader's standing on one task (a CardState value)."""
    if my_claim_state == ClaimState.OFFERED:
        return CardState.OFFERED
    if my_claim_state == ClaimState.APPLIED:
        return CardState.APPLIED
    if my_claim_state is not None:
        return CardState.CLAIMED
    if task.state in _BY_TASK_STATE:
        return _BY_TASK_STATE[task.state]
    if "claim" in allowed or "claim_unit" in allowed:
        return CardState.CLAIMABLE
    refusal = refused.get("claim")
    code = refusal.code if refusal is not None else None
    if code == "task_full":
        return CardState.FULL
    if code in ("deadline_passed", "task_not_open"):
        return CardState.CLOSED
    if code == "not_eligible" and task.eligibility in _BY_ELIGIBILITY:
        return _BY_ELIGIBILITY[task.eligibility]
    return CardState.NOT_FOR_YOU


def names() -> dict:
    """What the board's templates call its choices, and how they put a refusal into words."""
    return {
        "categories": Category.titles(),
        "eligibility_names": Eligibility.titles(),
        "fill_mode_names": FillMode.titles(),
        "task_state_names": TaskState.titles(),
        "claim_state_names": ClaimState.titles(),
        "award_state_names": TransferState.titles(),
        "kind_names": Kind.titles(),
        "card_state_names": CardState.titles(),
        "refusal_text": refusal_text,
    }


def facts_for_tasks(
    actor: Actor, rows: list[tuple[Task, int, bool]], mine: dict[int, int], now: datetime
) -> rules.Facts:
    """What the rules need about these board rows, read in a few queries for the whole list
    (`mine`: the caller's own live claims, by task)."""
    facts = rules.Facts(actor, now)
    task_ids = [task.id for task, _, _ in rows]
    facts.live_counts.update({task.id: live for task, live, _ in rows})
    facts.known_tasks.update(task_ids)
    facts.own_claims.update((task_id, actor.person_id, None) for task_id in mine)
    units = queries.live_unit_claims(actor.unit_ids, task_ids)
    facts.own_claims.update((task_id, None, unit_id) for task_id, unit_id in units)
    return facts


def tasks_out(actor: Actor, rows: list[tuple[Task, int, bool]], *, now: datetime) -> list[dict]:
    """Board rows (task, live claims, claimable) as answers."""
    names = community_names(list({task.community_id for task, _, _ in rows}))
    mine = queries.live_claims_of(actor.person_id, [task.id for task, _, _ in rows])
    facts = facts_for_tasks(actor, rows, mine, now)
    my_states = queries.claim_states(list(mine.values()))
    out = []
    for task, live, claimable in rows:
        allowed, refused = rules.task_actions(actor, task, facts)
        my_state = my_states.get(mine.get(task.id))
        out.append(
            {
                **task.model_dump(),
                "community_name": names.get(task.community_id, ""),
                "claimed": live,
                "open_slots": max(task.slots - live, 0) if task.state == TaskState.POSTED else 0,
                "claimable": bool(claimable),
                "my_claim_id": mine.get(task.id),
                "my_claim_state": my_state,
                "card_state": card_state(task, allowed, refused, my_state),
                "state_name": TaskState(task.state).title,
                "allowed_actions": allowed,
                "refusals": {action: refusal.as_refusal() for action, refusal in refused.items()},
            }
        )
    return out


def task_out(actor: Actor, task_id: int, *, now: datetime) -> dict:
    return tasks_out(actor, [queries.task_row(actor, task_id, now=now)], now=now)[0]


def claims_out(actor: Actor, claims: Iterable[Claim], *, now: datetime) -> list[dict]:
    """Claims with their task and names, the award's state from the ledger, and what the caller
    may do with each."""
    claims = list(claims)
    rows = queries.describe_claims(claims)
    facts = rules.Facts(actor, now)
    # The claims' tasks in one read, held by the facts (the rules ask for each claim's task).
    for task in queries.tasks_by_id(list({claim.task_id for claim in claims})):
        facts.know_task(task)
    for claim, row in zip(claims, rows, strict=True):
        row["state_name"] = ClaimState(claim.state).title
        task = facts.task(claim.task_id)
        row["allowed_actions"] = rules.claim_actions(actor, claim, task, facts)
        row["submit_refusal"] = None
        if (
            claim.state in (ClaimState.CLAIMED, ClaimState.CHECKED_IN)
            and "submit" not in row["allowed_actions"]
        ):
            refused = rules.claim_refusal(actor, claim, task, "submit", facts)
            row["submit_refusal"] = refused.as_refusal() if refused is not None else None
    return rows


def claim_out(actor: Actor, claim: Claim, *, now: datetime) -> dict:
    return claims_out(actor, [claim], now=now)[0]


def claimable_units(actor: Actor, task_id: int, *, now: datetime) -> list[Unit]:
    """The units the caller administers that may claim the task now."""
    facts = rules.Facts(actor, now)
    task = facts.task(task_id)
    return [
        unit
        for unit in queries.units_of(actor)
        if rules.task_refusal(actor, task, "claim_unit", facts, unit_id=unit.id) is None
    ]


def dispatch_candidates(
    actor: Actor, task_id: int, search: str, *, now: datetime, limit: int = 10
) -> list[dict]:
    """People of the task's community whose name (or, for those the reader manages, phone)
    matches `search`, each with why a dispatch to them would be refused, by the dispatch rule."""
    facts = rules.Facts(actor, now)
    task = facts.task(task_id)
    stmt = people_stmt(actor, community_id=task.community_id, q=search).limit(limit)
    out = []
    for person in session().exec(stmt):
        refused = rules.task_refusal(actor, task, "dispatch", facts, person_id=person.id)
        out.append(
            {"id": person.id, "name": person.name, "refusal": refused.as_refusal() if refused else None}
        )
    return out


def task_form_context(actor: Actor) -> dict | None:
    """What the form to post a task offers the caller: their communities and those communities'
    stations; None when they may post nowhere."""
    communities = queries.managed_communities(actor)
    if not communities:
        return None
    return {"communities": communities, "stations": queries.active_stations(communities), **names()}
