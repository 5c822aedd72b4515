"""Schema-driven fuzzing of the JSON API: as a resident and as staff, no answer is a 5xx and
every answer matches what /api/v1/openapi.json documents for it.

Bounded and reproducible: a fixed seed, deterministic generation, a fixed number of examples
per operation. Requests run in-process against a small world seeded in a throwaway database,
and each example runs in a transaction that is rolled back afterwards, so no example sees
another's writes.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from points.db import transaction, utcnow
from tests.builders import pending_award, running_activity
from tests.conftest import get_db_from, make_test_app, migrated_database

PASSWORD = "Kq7mPx4aLr"

# Half of the path ids are drawn from the seeded rows (by parameter name, see `_seed`), the rest
# from the schema; a parameter the world does not know gets the ids a fresh database hands out first.
FIRST_IDS = range(1, 7)


def _config(*, negative_coverage: bool) -> schemathesis.config.SchemathesisConfig:
    coverage = {"enabled": True, "unexpected-methods": []}
    if not negative_coverage:
        coverage["generation"] = {"mode": "positive"}
    return schemathesis.config.SchemathesisConfig.from_dict(
        {
            "seed": 20261125,
            "generation": {
                "deterministic": True,
                "max-examples": 15,
                "database": "none",
                # The bearer token is ours to send; random Authorization headers only test the 401.
                "with-security-parameters": False,
            },
            "phases": {"examples": {"enabled": True}, "coverage": coverage, "fuzzing": {"enabled": True}},
        }
    )


def _document() -> dict:
    """The OpenAPI document, from an app that never opens its database."""
    return make_test_app("sqlite://").test_client().get("/api/v1/openapi.json").get_json()


DOCUMENT = _document()
# Both roles fuzz every operation; the coverage phase's invalid values (a few thousand requests
# that validation refuses before any permission is asked) are sent once, as staff.
staff_schema = schemathesis.openapi.from_dict(DOCUMENT, config=_config(negative_coverage=True))
resident_schema = schemathesis.openapi.from_dict(DOCUMENT, config=_config(negative_coverage=False))


def before_generate_path_parameters(ctx, strategy):
    names = [p.name for p in ctx.operation.path_parameters]
    if not names:
        return strategy
    # Built at the first draw, when the seeded world exists.
    seeded = st.deferred(
        lambda: st.fixed_dictionaries(
            {name: st.sampled_from(WORLD.ids.get(name, FIRST_IDS)) for name in names}
        )
    )
    return st.one_of(seeded, strategy)


def _when(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def _task(_world) -> dict:
    return {
        "title": "楼道堆物清理",
        "category": "环境整治",
        "starts_at": _when(24),
        "ends_at": _when(26),
        "slots": 2,
        "eligibility": "anyone",
        "reward_xingan": 5,
    }


# Bodies the schema alone would rarely get past validation with: valid requests on the seeded
# rows, so the answers of the main paths (not only the refusals) are checked too. Each role
# sends the same body; what it may do decides the answer.
GUIDES = {
    "POST /api/v1/auth/token": lambda w: {"phone": w.phone, "password": PASSWORD},
    "POST /api/v1/me/password": lambda w: {"old_password": PASSWORD, "new_password": "换个新密码2026"},
    "POST /api/v1/people": lambda w: {"phone": "13911112222", "name": "新居民", "community_id": w.community},
    "PATCH /api/v1/people/{person_id}": lambda w: {"name": "赵秀英", "grid_id": w.grid},
    "POST /api/v1/people/{person_id}/roles": lambda w: {"role": "grid_worker", "node_id": w.grid},
    "POST /api/v1/registrations": lambda w: {"kind": "member", "community_id": w.community},
    "POST /api/v1/stations": lambda w: {"node_id": w.community, "kind": "outpost", "name": "骑手驿站"},
    "PATCH /api/v1/stations/{station_id}": lambda w: {"name": "党群服务中心", "is_active": True},
    "POST /api/v1/awards": lambda w: {
        "community_id": w.community,
        "person_id": w.resident,
        "kind": "xingan",
        "amount": 5,
        "memo": "协助疫苗接种点维持秩序",
    },
    "POST /api/v1/awards/bulk-approve": lambda w: {"ids": [w.pending]},
    "POST /api/v1/awards/{transfer_id}/reject": lambda w: {"reason": "重复申请"},
    "POST /api/v1/transfers/{transfer_id}/reverse": lambda w: {"reason": "发放有误"},
    "PUT /api/v1/ledger/budgets": lambda w: {
        "community_id": w.community,
        "kind": "xingan",
        "year": utcnow().year,
        "amount": 10000,
    },
    "POST /api/v1/tasks": lambda w: {**_task(w), "community_id": w.community, "post": True},
    "PATCH /api/v1/tasks/{task_id}": lambda w: {"title": "楼道清扫", "slots": 4},
    "POST /api/v1/tasks/{task_id}/cancel": lambda w: {"reason": "天气原因"},
    "POST /api/v1/tasks/{task_id}/dispatch": lambda w: {"person_id": w.member},
    "POST /api/v1/claims/{claim_id}/submit": lambda w: {"note": "已完成"},
    "POST /api/v1/claims/{claim_id}/reject": lambda w: {"reason": "未到场"},
    "POST /api/v1/claims/{claim_id}/verify": lambda w: {"side": "community"},
    "POST /api/v1/demands": lambda w: {"category": "便民服务", "details": "想请人帮忙修自行车"},
    "POST /api/v1/demands/{demand_id}/accept": _task,
    "POST /api/v1/demands/{demand_id}/decline": lambda w: {"reason": "不在服务范围"},
    "POST /api/v1/demands/{demand_id}/rating": lambda w: {"rating": 5, "comment": "很满意"},
    "POST /api/v1/resources": lambda w: {
        "community_id": w.community,
        "category": "便民服务",
        "description": "理发",
    },
    "POST /api/v1/projects": lambda w: {"demand_id": w.demand, "resource_ids": [w.resource]},
    "POST /api/v1/activities": lambda w: {
        "station_id": w.station,
        "title": "周末值班",
        "starts_at": _when(24),
        "ends_at": _when(28),
        "hourly_rate": 10,
    },
    "POST /api/v1/activities/{activity_id}/checkins": lambda w: {"person_id": w.member},
    "POST /api/v1/scan": lambda w: {"token": w.code},
}

# The seeded world, once the module's fixture has made it (examples are drawn during the tests).
WORLD = SimpleNamespace()


def before_generate_body(ctx, strategy):
    guide = GUIDES.get(ctx.operation.label)
    if guide is None:
        return strategy
    return st.one_of(st.builds(lambda: guide(WORLD)), strategy)


for _schema in (staff_schema, resident_schema):
    _schema.hook(before_generate_path_parameters)
    _schema.hook(before_generate_body)


def _seed() -> SimpleNamespace:
    """Two communities of a street; in the first, two staff members (maker and checker), a
    resident, a reported party member of a unit, a party member waiting for confirmation, a
    station with a running activity the resident is checked in at, a draft task, a posted task
    the resident claimed, a running task with the member's submitted claim, a dispatch offered
    to the resident, a demand matched with a resource, awards pending and posted."""
    from points.auth.current import actor_for
    from points.auth.operations import issue_token
    from points.board import operations as board
    from points.checkin import operations as checkin
    from points.demands import operations as demands
    from points.ledger import operations as ledger
    from points.org import operations as org
    from points.people import operations as people

    def node(level, parent, name):
        return org.create_node(actor=None, parent_id=parent.id if parent else None, level=level, name=name)

    city = node("city", None, "伊春市")
    street = node("street", node("district", city, "伊美区"), "旭日街道")
    community = node("community", street, "红升社区")
    other = node("community", street, "旭光社区")
    grid = node("grid", community, "第一网格")
    unit = org.create_unit(actor=None, name="伊春市税务局", party_org_name="党支部")
    station = org.create_station(actor=None, node_id=community.id, kind="station", name="党群服务站")

    def person(n, name, home=community, **fields):
        return people.create_person(
            actor=None, phone=f"1390000{n:04d}", name=name, password=PASSWORD, community_id=home.id, **fields
        )

    staff = person(1, "张丽华")
    checker = person(2, "杨晓燕")
    resident = person(3, "赵秀英", grid_id=grid.id)
    member = person(4, "刘洪涛", is_party_member=True, work_unit_id=unit.id)
    newcomer = person(5, "陈建国", is_party_member=True)
    outsider = person(6, "孙桂兰", home=other)
    grants = [
        people.grant_role(actor=None, person_id=who.id, role="staff", node_id=community.id)
        for who in (staff, checker)
    ]
    staff_actor, checker_actor = actor_for(staff), actor_for(checker)
    resident_actor, member_actor = actor_for(resident), actor_for(member)
    confirmed = people.request_registration(actor=member_actor, kind="member", community_id=community.id)
    people.decide_registration(actor=staff_actor, registration_id=confirmed.id, confirm=True)
    waiting = people.request_registration(actor=actor_for(newcomer), kind="member", community_id=community.id)

    now = utcnow()

    def task(title, *, starts_in, post=True, **fields):
        fields = {"slots": 3, "eligibility": "anyone", "reward_hongsong": 10, "reward_xingan": 5, **fields}
        return board.create_task(
            actor=staff_actor,
            community_id=community.id,
            title=title,
            category="环境整治",
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=4),
            post=post,
            **fields,
        )

    draft = task("楼道堆物清理", starts_in=timedelta(days=2), post=False)
    posted = task("清扫楼道", starts_in=timedelta(days=1))
    claimed = board.claim_task(actor=resident_actor, task_id=posted.id)
    running = task("文明劝导", starts_in=timedelta(hours=-1), claim_deadline=now + timedelta(hours=1))
    submitted = board.claim_task(actor=member_actor, task_id=running.id)
    board.submit_claim(actor=member_actor, claim_id=submitted.id, note="劝导了二十人次")
    offered_task = task("助老送餐", starts_in=timedelta(days=3))
    offered = board.dispatch_task(actor=staff_actor, task_id=offered_task.id, person_id=resident.id)
    demand = demands.request_help(actor=resident_actor, category="助老助残", details="家里水管漏水，需要帮忙")
    resource = demands.declare_resource(
        actor=member_actor, community_id=community.id, category="助老助残", description="水电维修"
    )
    demand_matched = demands.request_help(actor=resident_actor, category="助老助残", details="楼道灯坏了")
    project = demands.create_project(
        actor=staff_actor, demand_id=demand_matched.id, resource_ids=[resource.id]
    )
    activity = running_activity(staff_actor, station.id, "党群服务站值班", began=timedelta(hours=1), now=now)
    earlier = now - timedelta(minutes=50)
    code = checkin.station_code(actor=staff_actor, activity_id=activity.id, now=earlier).token
    checkin.scan_code(actor=resident_actor, token=code, now=earlier)

    def manual_award(amount, key):
        return pending_award(checker_actor, community.id, resident.id, amount, key, memo="协助整理图书室")

    pending = manual_award(5, "seed:pending")
    approved = manual_award(8, "seed:posted")
    posting = ledger.approve_award(actor=staff_actor, transfer_id=approved["id"])
    return SimpleNamespace(
        tokens={role: issue_token(person=who)[0] for role, who in (("resident", resident), ("staff", staff))},
        phone=resident.phone,
        code=code,
        community=community.id,
        grid=grid.id,
        station=station.id,
        resident=resident.id,
        member=member.id,
        demand=demand.id,
        resource=resource.id,
        pending=pending["id"],
        # Real rows for each path parameter.
        ids={
            "node_id": [city.id, street.id, community.id, other.id, grid.id],
            "unit_id": [unit.id],
            "station_id": [station.id],
            "person_id": [p.id for p in (staff, checker, resident, member, newcomer, outsider)],
            "grant_id": [g.id for g in grants],
            "registration_id": [confirmed.id, waiting.id],
            "task_id": [draft.id, posted.id, running.id, offered_task.id],
            "claim_id": [claimed.id, submitted.id, offered.id],
            "demand_id": [demand.id, demand_matched.id],
            "resource_id": [resource.id],
            "project_id": [project.id],
            "activity_id": [activity.id],
            "transfer_id": [pending["id"], approved["id"], posting["id"]],
        },
    )


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    """An app on a throwaway database holding the seeded world; `fuzz.example()` runs one example
    in a transaction that is rolled back."""
    with migrated_database(tmp_path_factory.mktemp("fuzz"), "fuzz") as url:
        # A screen's code stays good all day, so the seeded one still checks out at the end.
        app = make_test_app(url, CHECKIN_WINDOW_SECONDS=86400)
        with app.app_context(), transaction():
            world = _seed()
        WORLD.__dict__.update(world.__dict__)
        database = get_db_from(app)

        @contextmanager
        def example():
            with database.engine.connect() as connection:
                outer = connection.begin()
                database.bind = connection
                try:
                    yield
                finally:
                    database.bind = database.engine
                    outer.rollback()

        yield SimpleNamespace(app=app, example=example)
        database.engine.dispose()


# No 5xx; every status, media type and body as the document says (errors included: problem
# documents). Per operation: explicit examples, the coverage phase's boundary values, then fuzzing.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _call(case, fuzz, role: str) -> None:
    with fuzz.example():
        case.call_and_validate(
            app=fuzz.app, headers={"Authorization": f"Bearer {WORLD.tokens[role]}"}, checks=CHECKS
        )


@staff_schema.parametrize()
def test_api_as_staff(case, fuzz):
    _call(case, fuzz, "staff")


@resident_schema.parametrize()
def test_api_as_resident(case, fuzz):
    _call(case, fuzz, "resident")
