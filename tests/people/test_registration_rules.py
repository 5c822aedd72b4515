"""双报到's one transition table: `allowed_actions` offers exactly what the operations accept.

For registrations of each kind in each state, and readers in every relation to them, every
action offered is accepted, and every action withheld is refused with the refusal
`registration_refusal` names.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from points.db import session
from points.errors import DomainError
from points.people import operations
from points.people.models import REGISTRATION_TRANSITIONS, RegistrationState
from points.people.queries import allowed_actions, get_registration, registration_refusal

READERS = (
    "member",
    "unit_admin",
    "staff",
    "staff_and_unit_admin",
    "staff_member",
    "street_admin",
    "supervisor",
    "other_staff",
    "resident",
    "admin",
)
SUBJECTS = ("member", "unit", "staff_member")


@pytest.fixture
def world(tree, make_person, make_unit, actor_of):
    unit = make_unit()
    people = {
        "member": make_person(community=tree.a, is_party_member=True),
        "unit_admin": make_person(community=tree.b, roles=[("unit_admin", unit)]),
        "staff": make_person(community=tree.a, roles=[("staff", tree.a)]),
        "staff_and_unit_admin": make_person(
            community=tree.a, roles=[("staff", tree.a), ("unit_admin", unit)]
        ),
        "staff_member": make_person(community=tree.a, roles=[("staff", tree.a)], is_party_member=True),
        "street_admin": make_person(community=tree.a2, roles=[("street_admin", tree.s1)]),
        "supervisor": make_person(community=tree.a, roles=[("supervisor", tree.a)]),
        "other_staff": make_person(community=tree.b, roles=[("staff", tree.b)]),
        "resident": make_person(community=tree.a),
        "admin": make_person(community=tree.b, roles=[("admin", None)]),
    }
    return SimpleNamespace(
        tree=tree, unit=unit, actors={name: actor_of(person) for name, person in people.items()}
    )


def registration(world, subject: str, state: str):
    """A registration to community A by `subject`, brought into `state` by those who may."""
    actors = world.actors
    if subject == "unit":
        reg = operations.request_registration(
            actor=actors["unit_admin"], kind="unit", unit_id=world.unit.id, community_id=world.tree.a.id
        )
    else:
        reg = operations.request_registration(
            actor=actors[subject], kind="member", community_id=world.tree.a.id
        )
    decider = actors["street_admin"]
    if state == RegistrationState.CONFIRMED:
        operations.decide_registration(actor=decider, registration_id=reg.id, confirm=True)
    elif state == RegistrationState.DECLINED:
        operations.decide_registration(
            actor=decider, registration_id=reg.id, confirm=False, note="不在本社区"
        )
    elif state == RegistrationState.WITHDRAWN:
        subject_actor = actors["unit_admin"] if subject == "unit" else actors[subject]
        operations.withdraw_registration(actor=subject_actor, registration_id=reg.id)
    assert reg.status == state
    return reg.id


def rewind(savepoint) -> None:
    """Undo a setup, and forget its rows (SQLite hands their ids out again)."""
    savepoint.rollback()
    session().expunge_all()


def attempt(actor, registration_id: int, action: str) -> DomainError | None:
    """Run the action's operation in a savepoint that is rolled back: its refusal, or None."""
    sess = session()
    savepoint = sess.begin_nested()
    try:
        if action == "withdraw":
            operations.withdraw_registration(actor=actor, registration_id=registration_id)
        else:
            operations.decide_registration(
                actor=actor, registration_id=registration_id, confirm=action == "confirm", note="核实无误"
            )
    except DomainError as exc:
        return exc
    finally:
        savepoint.rollback()
    return None


@pytest.mark.parametrize(("subject", "state"), list(itertools.product(SUBJECTS, RegistrationState.values())))
def test_allowed_actions_are_what_the_operations_accept(world, subject, state):
    sess = session()
    setup = sess.begin_nested()
    try:
        registration_id = registration(world, subject, state)
        for reader in READERS:
            actor = world.actors[reader]
            reg = get_registration(registration_id)
            offered = allowed_actions(actor, reg)
            for action in REGISTRATION_TRANSITIONS:
                expected = registration_refusal(actor, reg, action)
                refusal = attempt(actor, registration_id, action)
                where = (subject, state, reader, action)
                assert (refusal is None) == (action in offered), (where, refusal and refusal.code)
                assert (refusal and refusal.code) == (expected and expected.code), where
    finally:
        rewind(setup)


def test_the_table_covers_every_move(world):
    """Who may do what, read off the table: staff decide a pending registration of others, the
    member or unit admin withdraws a live one; nobody decides their own or their unit's."""
    offered = {}
    for subject, state in itertools.product(SUBJECTS, RegistrationState.values()):
        setup = session().begin_nested()
        registration_id = registration(world, subject, state)
        reg = get_registration(registration_id)
        for reader in READERS:
            for action in allowed_actions(world.actors[reader], reg):
                offered.setdefault((subject, state, action), set()).add(reader)
        rewind(setup)
    deciders = {"staff", "staff_and_unit_admin", "staff_member", "street_admin", "admin"}
    assert offered[("member", "pending", "confirm")] == deciders
    assert offered[("member", "pending", "decline")] == deciders
    assert offered[("unit", "pending", "confirm")] == deciders - {"staff_and_unit_admin"}
    assert offered[("staff_member", "pending", "confirm")] == deciders - {"staff_member"}
    assert offered[("member", "pending", "withdraw")] == {"member"}
    assert offered[("member", "confirmed", "withdraw")] == {"member"}
    assert offered[("unit", "confirmed", "withdraw")] == {"unit_admin", "staff_and_unit_admin"}
    assert offered[("staff_member", "pending", "withdraw")] == {"staff_member"}
    for subject in SUBJECTS:
        for state in ("declined", "withdrawn"):
            assert not any(key[:2] == (subject, state) for key in offered), (subject, state)
        assert not any(key[:2] == (subject, "confirmed") and key[2] != "withdraw" for key in offered)
