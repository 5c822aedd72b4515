"""`flask points backup` and `restore`: a consistent copy while postings go on, restored whole."""

from __future__ import annotations

import re
import threading

import pytest

from points.db import transaction
from tests.builders import award_points
from tests.conftest import get_db_from, make_test_app, migrated_database


@pytest.fixture
def live(tmp_path):
    """A migrated SQLite database with a community and a resident, and an app on it."""
    import os

    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("backup and restore of the file are SQLite's; PostgreSQL uses pg_dump (see README)")
    with migrated_database(tmp_path, "backup") as url:
        app = make_test_app(url)
        with app.app_context(), transaction():
            from points.org import operations as org
            from points.people import operations as people

            city = org.create_node(actor=None, parent_id=None, level="city", name="市")
            district = org.create_node(actor=None, parent_id=city.id, level="district", name="区")
            street = org.create_node(actor=None, parent_id=district.id, level="street", name="街道")
            community = org.create_node(actor=None, parent_id=street.id, level="community", name="社区")
            person = people.create_person(
                actor=None, phone="13700000001", name="居民", community_id=community.id
            )
            ids = (community.id, person.id)
        yield app, ids
        get_db_from(app).engine.dispose()


def _post(app, ids, n: int) -> None:

    community_id, person_id = ids
    with app.app_context():
        for i in range(n):
            with transaction():
                award_points(community_id, person_id, 1, f"backup-test:{threading.get_ident()}:{i}")


def _heads(output: str) -> set[tuple[str, str, str]]:
    """(community, seq, hash) of every chain head a command printed."""
    return set(re.findall(r"community (\d+)\)?: seq (\d+) ([0-9a-f]{64})", output))


def test_backup_while_postings_run_then_restore_verifies(live, tmp_path):
    app, ids = live
    _post(app, ids, 20)
    writers = [threading.Thread(target=_post, args=(app, ids, 200)) for _ in range(2)]
    for writer in writers:
        writer.start()
    target = tmp_path / "copy.sqlite3"
    backup = app.test_cli_runner().invoke(args=["points", "backup", str(target)])
    for writer in writers:
        writer.join()
    assert backup.exit_code == 0, backup.output
    printed = _heads(backup.output)
    assert printed, backup.output

    restored_app = make_test_app(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    try:
        restore = restored_app.test_cli_runner().invoke(args=["points", "restore", str(target), "--yes"])
        assert restore.exit_code == 0, restore.output
        verify = restored_app.test_cli_runner().invoke(args=["points", "verify"])
    finally:
        get_db_from(restored_app).engine.dispose()

    assert verify.exit_code == 0 and "OK:" in verify.output, verify.output
    assert _heads(verify.output) == printed


def test_backup_refuses_to_overwrite(live, tmp_path):
    app, _ = live
    target = tmp_path / "exists.sqlite3"
    target.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["points", "backup", str(target)])
    assert result.exit_code == 2 and target.read_text() == "keep me"
