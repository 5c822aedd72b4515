"""How demands follow the tasks made of them."""

from __future__ import annotations

from points.demands.operations import complete_demand, reopen_demand
from points.signals import task_cancelled, task_completed


@task_cancelled.connect
def reopen_for_triage(_sender, *, demand_id: int | None, **_) -> None:
    """A cancelled task sends the demand behind it back to be triaged again."""
    reopen_demand(demand_id=demand_id)


@task_completed.connect
def complete_with_task(_sender, *, demand_id: int | None, **_) -> None:
    """A task done completes the demand behind it, which its requester may then rate."""
    complete_demand(demand_id=demand_id)
