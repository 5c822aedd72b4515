"""`flask points demo` on a committed database of its own: counts, logins, a second run."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from points.demo.command import load_demo
from points.demo.plan import DEMO_PASSWORD, LOGINS
from points.demo.supervision import PLANTED_STAFF, PUPPETS
from points.org.models import OrgNode, Station, Unit
from points.people.models import Person, Registration, RoleGrant
from tests.conftest import get_db_from, make_test_app, migrated_database, quiet

# The roles each fixed login holds, as (role, name of the node or unit; None for the whole tree).
EXPECTED_ROLES = {
    "admin": [("admin", None)],
    "staff": [("staff", "红升社区")],
    "party_member": [],
    "resident": [],
    "unit_admin": [("unit_admin", "伊春市税务局")],
    "supervisor": [("supervisor", "旭日街道")],
    "grid_worker": [("grid_worker", "第一网格")],
    "street_admin": [("street_admin", "旭日街道")],
    "staff_2": [("staff", "红升社区")],
    "staff_c2": [("staff", "旭光社区")],
    "staff_c3": [("staff", "朝晖社区")],
    "staff_c4": [("staff", "林苑社区")],
}


def totals(app) -> dict[str, int]:
    def count(model, *where) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()

    with get_db_from(app).engine.connect() as conn:
        return {
            **{
                level: count(OrgNode, OrgNode.level == level)
                for level in ("city", "district", "street", "community", "grid")
            },
            "stations": count(Station),
            "units": count(Unit),
            "people": count(Person),
            "party_members": count(Person, Person.is_party_member),
            "roles": count(RoleGrant),
            "member_confirmed": count(
                Registration, Registration.kind == "member", Registration.status == "confirmed"
            ),
            "member_pending": count(
                Registration, Registration.kind == "member", Registration.status == "pending"
            ),
            "unit_confirmed": count(
                Registration, Registration.kind == "unit", Registration.status == "confirmed"
            ),
            "unit_pending": count(
                Registration, Registration.kind == "unit", Registration.status == "pending"
            ),
            "in_service": count(Person, Person.is_party_member, Person.work_unit_id.is_not(None)),
        }


def test_load_demo_builds_the_foundation(demo):
    app, first = demo
    counts = totals(app)
    assert {k: counts[k] for k in ("city", "district", "street", "community", "stations", "units")} == {
        "city": 1,
        "district": 1,
        "street": 2,
        "community": 4,
        "stations": 3,
        "units": 5,
    }
    assert 12 <= counts["grid"] <= 16
    assert 190 <= counts["people"] <= 210
    assert 55 <= counts["party_members"] <= 65
    assert counts["in_service"] > counts["party_members"] / 2
    assert counts["member_confirmed"] > counts["party_members"] / 2
    assert 1 <= counts["member_pending"] <= 10
    assert counts["unit_pending"] == 1
    assert counts["unit_confirmed"] >= 4
    # The supervision demo's planted history adds its own staff members and accounts.
    assert first["people"] + len(PLANTED_STAFF) + len(PUPPETS) == counts["people"]
    assert first["grids"] == counts["grid"]
    assert first["registrations"] == sum(counts[k] for k in counts if k.startswith(("member_", "unit_")))


@pytest.mark.parametrize("login", LOGINS, ids=lambda login: login.key)
def test_load_demo_login_authenticates_with_its_role(demo, login):
    app, _ = demo
    client = app.test_client()
    r = client.post("/api/v1/auth/token", json={"phone": login.phone, "password": DEMO_PASSWORD})
    assert r.status_code == 201, r.json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert me.status_code == 200
    assert [(g["role"], g["node_name"] or g["unit_name"]) for g in me.json["roles"]] == EXPECTED_ROLES[
        login.key
    ]
    assert me.json["party"]["acts_as_party_member"] is login.is_party_member
    if login.key == "party_member":
        assert me.json["party"]["registration_status"] == "confirmed"
        assert me.json["party"]["community_id"] == me.json["community_id"]
        assert me.json["work_unit_id"] is not None


def test_load_demo_puts_fixed_logins_in_first_community(demo):
    app, _ = demo
    phones = {login.key: login.phone for login in LOGINS}
    community, grid = aliased(OrgNode), aliased(OrgNode)
    with get_db_from(app).engine.connect() as conn:
        rows = conn.execute(
            sa.select(Person.phone, community.name, grid.name)
            .join(community, community.id == Person.community_id)
            .join(grid, grid.id == Person.grid_id, isouter=True)
        ).all()
    homes = {phone: (community_name, grid_name) for phone, community_name, grid_name in rows}
    assert homes[phones["resident"]] == ("红升社区", "第一网格")
    assert homes[phones["grid_worker"]] == ("红升社区", "第一网格")
    assert homes[phones["party_member"]][0] == "红升社区"
    generated = [phone for phone in homes if phone.startswith("1380000")]
    assert len(generated) == len(homes) - len(LOGINS) - len(PLANTED_STAFF) - len(PUPPETS)


def test_load_demo_twice_adds_nothing(demo):
    app, _ = demo
    before = totals(app)
    result = app.test_cli_runner().invoke(args=["points", "demo"])
    assert result.exit_code == 0, result.output
    assert "already there" in result.output
    assert "13900000007" in result.output
    assert totals(app) == before


def test_load_demo_writes_a_ledger_history(demo):
    app, _ = demo
    from collections import Counter

    import sqlalchemy as sa

    from points.db import session
    from points.ledger.models import Transfer
    from points.ledger.queries import balances_of_person
    from points.ledger.verify import verify_ledger
    from points.people.queries import find_person_by_phone

    with app.app_context():
        rows = session().execute(sa.select(Transfer.status, Transfer.reason, Transfer.proof)).all()
        statuses = Counter(r.status for r in rows)
        assert statuses["pending"] > statuses["post"] + statuses["void"]  # some still wait for approval
        assert statuses["void"] > 0 and statuses["post"] > 0 and statuses["posted"] > 0
        assert any(r.reason == "reversal" for r in rows)
        assert any(r.reason == "redemption" for r in rows)
        assert any(r.proof == "discretion" for r in rows)
        assert verify_ledger().ok
        resident = find_person_by_phone("13900000003")
        member = find_person_by_phone("13900000002")
        assert balances_of_person(resident.id)["xingan"]["available"] > 0
        assert balances_of_person(member.id)["hongsong"]["available"] > 0
        again = load_demo(echo=quiet, progress=False)
        assert again["transfers"] == 0


def test_load_demo_fills_a_living_board(demo):
    app, added = demo
    from collections import Counter

    import sqlalchemy as sa

    from points.board.models import Claim, Task
    from points.db import session
    from points.demands.models import Demand, Project, Resource

    assert added["tasks"] == 8 and added["demands"] == 7 and added["projects"] == 1
    with app.app_context():
        tasks = Counter(session().execute(sa.select(Task.state)).scalars())
        assert set(tasks) == {"draft", "posted", "done", "cancelled"}
        claims = Counter(session().execute(sa.select(Claim.state)).scalars())
        assert {"offered", "claimed", "verified", "no_show", "released"} <= set(claims)
        demands = session().execute(sa.select(Demand.state, Demand.rating)).all()
        assert {state for state, _ in demands} == {"open", "accepted", "done", "declined", "withdrawn"}
        assert [rating for state, rating in demands if state == "done"] == [5]
        assert session().execute(sa.select(sa.func.count(Resource.id))).scalar() == 3
        assert session().execute(sa.select(sa.func.count(Project.id))).scalar() == 1
        # One posted task is full: its live claims fill every slot.
        live = Counter(
            session()
            .execute(sa.select(Claim.task_id).where(Claim.state.in_(("offered", "claimed", "checked_in"))))
            .scalars()
        )
        slots = dict(session().execute(sa.select(Task.id, Task.slots).where(Task.state == "posted")).all())
        assert any(live[task_id] == n for task_id, n in slots.items())


def test_demo_command_refuses_production_settings_and_writes_nothing(tmp_path):
    with migrated_database(tmp_path, "demoprod") as url:
        app = make_test_app(
            url,
            ENV_NAME="production",
            SECRET_KEY="a-random-production-secret-key-of-48-characters!",
            PUBLIC_BASE_URL="https://points.example.cn",
        )
        try:
            result = app.test_cli_runner().invoke(args=["points", "demo"])

            assert result.exit_code != 0
            assert "production" in result.output and "demo" in result.output
            assert totals(app)["people"] == totals(app)["city"] == 0
        finally:
            get_db_from(app).engine.dispose()


def test_load_demo_has_a_period_in_notice_and_last_year_frozen(demo):
    app, added = demo
    from collections import Counter

    import sqlalchemy as sa

    from points.db import session
    from points.evaluation.models import Objection, Period

    assert added["evaluation_periods"] == 2 and added["objections"] == 2
    with app.app_context():
        periods = Counter((p.kind, p.state) for p in session().execute(sa.select(Period)).scalars())
        assert periods == {("hongsong", "frozen"): 1, ("xingan", "notice"): 1}
        states = Counter(session().execute(sa.select(Objection.state)).scalars())
        assert states == {"open": 1, "rejected": 1}
