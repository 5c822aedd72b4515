"""Demands, resources and projects as the API answers them and the pages show them, with what
the caller may do with each demand (`allowed_actions`)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for

from points.access import Actor
from points.board.queries import tasks_of_demands
from points.demands import queries
from points.demands.models import Demand, DemandState, Project
from points.demands.operations import Paths, demand_actions


def demands_out(actor: Actor, demands: Iterable[Demand]) -> list[dict]:
    demands = list(demands)
    rows = queries.describe_demands(demands)
    paths = Paths()
    for demand, row in zip(demands, rows, strict=True):
        row["allowed_actions"] = demand_actions(actor, demand, paths)
        row["photo_url"] = url_for("demands.DemandPhoto", demand_id=demand.id) if demand.photo else None
    return rows


def demand_out(actor: Actor, demand: Demand) -> dict:
    return demands_out(actor, [demand])[0]


def project_out(project: Project) -> dict:
    task = tasks_of_demands([project.demand_id]).get(project.demand_id)
    return {
        **project.model_dump(),
        "resources": queries.describe_resources(queries.project_resources(project.id)),
        "task_id": task.id if task else None,
    }


def names() -> dict:
    """What the demands' templates call a demand's states."""
    return {"demand_state_names": DemandState.titles()}
