"""The home page's to-do list: offers to accept, claims to report, services to rate."""
# ruff: noqa: F811 - the board tests' fixtures are imported below and used as arguments

from __future__ import annotations

from points.board import operations as board_ops
from points.db import session
from tests.board.conftest import board, make_claim, make_started_task, make_task  # noqa: F401
from tests.demands.conftest import accept_begun, make_demand  # noqa: F401


def test_home_lists_what_waits_for_me(
    board, make_task, make_started_task, make_claim, make_demand, actor_of, page_as
):
    staff = actor_of(board.staff)
    board_ops.dispatch_task(actor=staff, task_id=make_task(title="扫雪").id, person_id=board.resident.id)
    make_claim(make_started_task(title="读报"), board.resident)
    demand = make_demand(details="帮忙买菜")
    task = accept_begun(
        staff, demand, title="买菜", description="周末", place="三号楼", reward_hongsong=0, reward_xingan=5
    )
    board_ops.complete_task(actor=staff, task_id=task.id)
    session().commit()

    home = page_as(board.resident).get("/").get_data(as_text=True)

    assert "待你接单</span> 扫雪" in home
    assert "待提交验收</span> 读报" in home
    assert "1 个点单服务待评价" in home


def test_nothing_to_do_says_so(make_person, page_as):
    home = page_as(make_person()).get("/").get_data(as_text=True)
    assert "暂时没有要办的事" in home
    assert "待评价" not in home
