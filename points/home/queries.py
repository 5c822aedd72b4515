"""What several domains hold, read for one person: their profile and the staff dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from points.access import Actor
from points.board import queries as board
from points.board.models import Claim, ClaimState
from points.board.operations.rules import allowed_claim_actions
from points.checkin import queries as checkin
from points.db import LOCAL_TZ, session
from points.demands import queries as demands
from points.ledger.queries import approval_queue_stmt, balances_of_person
from points.org.models import OrgNode
from points.org.queries import find_node
from points.people import queries as people
from points.store import queries as store
from points.store.models import VoucherState


def profile(actor: Actor) -> dict:
    """The caller as `/api/v1/me` answers and the home page shows: details, party-member status
    (双报到), roles and balances."""
    person = people.get_person(actor.person_id)
    reg = people.member_registration(person.id)
    return {
        "id": person.id,
        "name": person.name,
        "phone": person.phone,
        "community_id": person.community_id,
        "grid_id": person.grid_id,
        "work_unit_id": person.work_unit_id,
        "party": {
            "is_party_member": person.is_party_member,
            "acts_as_party_member": people.acts_as_party_member(person),
            "registration_id": reg.id if reg else None,
            "registration_status": reg.status if reg else None,
            "community_id": reg.community_id if reg else None,
        },
        "roles": people.role_list(person.id),
        "balances": balances_of_person(person.id),
    }


def community_name(community_id: int | None) -> str | None:
    node = find_node(community_id)
    return node.name if node else None


def dashboard_figures(actor: Actor, *, now: datetime) -> dict[str, int]:
    """What waits for the actor, counted within their scope, for each queue they may work on."""
    figures = {}
    if actor.can_somewhere("awards.approve"):
        figures["approvals"] = _count(
            approval_queue_stmt(scope=actor.scope_filter("awards.approve", OrgNode.path))
        )
    if actor.can_somewhere("demands.triage"):
        figures["demands"] = _count(
            demands.demands_stmt(actor, state="open").where(
                actor.scope_filter("demands.triage", OrgNode.path)
            )
        )
    if actor.can_somewhere("claims.verify") or actor.can_somewhere("unit.read"):
        figures["verifications"] = _count(board.verification_queue_stmt(actor))
    if actor.can_somewhere("tasks.manage"):
        figures["open_tasks"] = _count(board.open_tasks_stmt(actor))
    return figures


def person_detail(actor: Actor, person_id: int) -> dict:
    """One person as a reader of people sees them: details (phone masked unless they manage
    them), roles, 双报到, balances and recent service. Raises not_found or forbidden out of scope."""
    person = people.visible_person(actor, person_id)
    registration = people.member_registration(person.id)
    return {
        **people.person_view(actor, person),
        "community_name": community_name(person.community_id),
        "roles": people.role_list(person.id),
        "registration_status": registration.status if registration else None,
        "balances": balances_of_person(person.id),
        "service": board.describe_claims(board.person_claims(person.id)),
    }


def todos(actor: Actor, *, now: datetime, limit: int = 5) -> dict[str, list[dict]]:
    """What waits for the person themself: dispatched tasks to accept, claims whose work can be
    reported now, and vouchers to pick up, each as the claim or voucher table allows; and how
    many services done for them wait for their rating."""
    offered = board.describe_claims(
        board.first_rows(board.my_claims_stmt(actor, state=ClaimState.OFFERED), limit)
    )
    running = board.first_rows(
        board.my_claims_stmt(actor).where(Claim.state.in_((ClaimState.CLAIMED, ClaimState.CHECKED_IN))),
        limit * 4,
    )
    to_submit = [claim for claim in running if "submit" in allowed_claim_actions(actor, claim, now)][:limit]
    vouchers = (
        session()
        .exec(store.vouchers_stmt(person_id=actor.person_id, state=VoucherState.ISSUED).limit(limit))
        .all()
    )
    return {
        "offers": offered,
        "to_submit": board.describe_claims(to_submit),
        "vouchers": [{"id": voucher.id, "item_name": item.name} for voucher, item in vouchers],
        "to_rate": demands.demands_to_rate(actor),
    }


def _count(stmt: sa.Select) -> int:
    total = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    return session().execute(total).scalar_one()


def today_activities(actor: Actor, *, now: datetime) -> list[dict]:
    """Activities at the actor's stations that run some time today (local day)."""
    start, end = _local_day(now)
    rows = session().exec(checkin.activities_stmt(actor, start=start, end=end).limit(20)).all()
    stations = {s.id: s.name for s in checkin.managed_stations(actor)}
    return [
        {
            "id": a.id,
            "name": a.title,
            "station": stations.get(a.station_id, ""),
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "present": checkin.activity_counts(a.id)["present"],
        }
        for a in sorted(rows, key=lambda a: a.starts_at)
        if a.station_id in stations
    ]


def _local_day(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(LOCAL_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
