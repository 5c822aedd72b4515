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
from points.errors import refusal_text
from points.ledger.models import Kind, TransferState
from points.org.models import Unit
from points.org.queries import community_names


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
    out = []
    for task, live, claimable in rows:
        allowed, refused = rules.task_actions(actor, task, facts)
        out.append(
            {
                **task.model_dump(),
                "community_name": names.get(task.community_id, ""),
                "claimed": live,
                "open_slots": max(task.slots - live, 0) if task.state == TaskState.POSTED else 0,
                "claimable": bool(claimable),
                "my_claim_id": mine.get(task.id),
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
    for claim, row in zip(claims, rows, strict=True):
        row["state_name"] = ClaimState(claim.state).title
        row["allowed_actions"] = rules.claim_actions(actor, claim, facts.task(claim.task_id), facts)
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


def task_form_context(actor: Actor) -> dict | None:
    """What the form to post a task offers the caller: their communities and those communities'
    stations; None when they may post nowhere."""
    communities = queries.managed_communities(actor)
    if not communities:
        return None
    return {"communities": communities, "stations": queries.active_stations(communities), **names()}
