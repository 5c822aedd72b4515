"""The small read functions other domains offer the detectors: each answers a statement over its
own rows in the window, and nothing outside it."""

from __future__ import annotations

from datetime import timedelta

from points.board.service import verified_claim_rows
from points.checkin.queries import stay_rows
from points.db import session
from points.ledger.queries import award_rows, person_accounts
from points.org.queries import node_ids_in_scope
from points.people.queries import account_change_rows
from tests.supervision.conftest import T0, at


def _rows(stmt) -> list:
    return list(session().execute(stmt))


def test_award_rows_are_awards_in_effect_in_the_window(world, give, manual):
    inside = give(world.residents[0], 10)
    give(world.residents[0], 10, now=T0 - timedelta(days=40))
    approved = manual(world.s3, world.residents[1], 20, world.s2)
    rows = _rows(award_rows(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)))
    assert {r.id for r in rows} == {inside["id"], approved["id"]}
    owners = dict(_rows(person_accounts()))
    by_id = {r.id: r for r in rows}
    assert owners[by_id[inside["id"]].credit_account_id] == world.residents[0].id
    assert by_id[approved["id"]].approved_by_id == world.s2.id and by_id[approved["id"]].proof == "discretion"


def test_stay_rows_carry_the_activity_and_device(world, activity, stay):
    act = activity()
    made = stay(world.residents[0], act, at(0), at(60), device="e" * 64)
    (row,) = _rows(stay_rows(since=at(-1), until=at(1)))
    assert (row.id, row.run_by_id, row.community_id, row.device_hash) == (
        made.id,
        world.s1.id,
        world.a.id,
        "e" * 64,
    )
    assert _rows(stay_rows(since=at(1), until=at(2))) == []


def test_verified_claim_rows_and_account_changes(world, verified_claims, actor_of):
    from tests.supervision.test_detectors import _accounts_made_by

    claims = verified_claims(2, verify_at=at(90))
    rows = _rows(verified_claim_rows(since=at(0), until=at(100)))
    assert {r.id for r in rows} == {c.id for c in claims} and {r.verifier_id for r in rows} == {world.s2.id}
    made = _accounts_made_by(world.s1, 1, actor_of)
    changes = _rows(account_change_rows(since=at(-10 * 24 * 60), until=at(0), changes=("created",)))
    assert [(c.person_id, c.changed_by_id) for c in changes] == [(made[0].id, world.s1.id)]


def test_node_ids_in_scope(world, actor_of):
    ids = set(session().scalars(node_ids_in_scope(actor_of(world.s1), "flags.read")))
    assert world.a.id in ids and world.b.id not in ids
