"""The demo: its honest history raises no flag; the planted history in 旭光社区 raises one of
each kind, one explained and one escalated; a second run adds nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from points.db import LOCAL_TZ, make_engine, session, utcnow
from points.demo import command
from points.demo.command import load_demo
from points.demo.plan import LOGINS
from points.demo.supervision import PLANTED_STAFF, PUPPETS
from points.migrate import upgrade
from points.people.queries import find_person_by_phone
from points.supervision.models import Detector, Flag
from points.supervision.operations import run_detectors
from tests.conftest import fresh_database, get_db_from, make_test_app


def quiet(*_args, **_kwargs) -> None:
    pass


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A committed database with the demo loaded without its planted history, and its app."""
    with fresh_database(tmp_path_factory.mktemp("supervision-demo"), "supervisiondemo") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = make_test_app(url)
        with app.app_context(), pytest.MonkeyPatch.context() as patch:
            patch.setattr(command, "load_supervision", lambda *_a, **_k: {})
            load_demo(echo=quiet, progress=False)
        try:
            yield app
        finally:
            get_db_from(app).engine.dispose()


def _flags() -> list[Flag]:
    return list(session().scalars(sa.select(Flag).order_by(Flag.id)))


def test_the_demo_history_raises_no_flag_then_the_planted_one_raises_each_kind(demo):
    with demo.app_context():
        today = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
        run_detectors(day=today)
        assert _flags() == []
        session().rollback()

        added = load_demo(echo=quiet, progress=False)
        flags = _flags()
        assert added["anomaly_flags"] == len(flags)
        assert {f.detector for f in flags} == set(Detector.values())
        assert {f.community_id for f in flags} == {flags[0].community_id}
        states = {f.detector: f.state for f in flags}
        assert states.pop("shared_device") == "explained" and states.pop("puppet_accounts") == "escalated"
        assert set(states.values()) == {"open"}

        planted = {find_person_by_phone(phone).id for phone, _ in PLANTED_STAFF}
        pair = next(f for f in flags if f.detector == "mutual_approvals")
        assert {pair.subject_person_id, pair.related_person_id} == planted
        puppet = next(f for f in flags if f.detector == "puppet_accounts")
        assert {r["person_id"] for r in puppet.evidence if r["type"] == "checkin"} == {
            find_person_by_phone(phone).id for phone, _ in PUPPETS
        }

        assert load_demo(echo=quiet, progress=False)["anomaly_flags"] == 0
        assert len(_flags()) == len(flags)


def test_planted_staff_do_not_share_a_name_with_a_demo_login():
    assert not {name for _, name in PLANTED_STAFF} & {login.name for login in LOGINS}
