"""The demands' pages: asking for help (keeping what was typed on an error) and rating it, triage
with a project confirmed, and the staff dashboard's count of demands waiting."""

from __future__ import annotations

from datetime import timedelta

from points.board import operations as board_ops
from points.db import utcnow
from points.demands import operations as ops
from points.demands.models import Demand


def test_ask_for_help_keeps_input_on_error_then_rates(board, page_as, make_task, actor_of, fresh):
    client = page_as(board.resident)
    bad = client.post("/help", data={"category": "助老助残", "details": "  ", "place": "5号楼"})
    html = bad.data.decode()
    assert bad.status_code == 422 and "请填写需求内容" in html and 'value="5号楼"' in html
    good = client.post(
        "/help",
        data={"category": "助老助残", "details": "需要帮忙取药", "place": "5号楼"},
        follow_redirects=True,
    )
    assert "需求已提交" in good.data.decode() and "需要帮忙取药" in good.data.decode()
    from sqlmodel import select

    from points.db import session

    demand = session().exec(select(Demand).where(Demand.requester_id == board.resident.id)).one()
    staff = actor_of(board.staff)
    now = utcnow()
    task = ops.accept_demand(
        actor=staff,
        demand_id=demand.id,
        task={
            "title": "帮忙取药",
            "starts_at": now - timedelta(hours=2),
            "ends_at": now - timedelta(hours=1),
            "claim_deadline": now - timedelta(hours=1),
            "slots": 1,
            "eligibility": "anyone",
        },
        now=now - timedelta(hours=3),
    )
    board_ops.complete_task(actor=staff, task_id=task.id)
    html = client.get("/help").data.decode()
    assert "服务评价" in html
    rated = client.post(
        f"/demands/{demand.id}/rate", data={"rating": "4", "comment": "谢谢"}, follow_redirects=True
    )
    assert "谢谢您的评价" in rated.data.decode()
    assert fresh(Demand, demand.id).rating == 4
    other = page_as(board.neighbour).post(
        f"/demands/{demand.id}/rate", data={"rating": "1"}, follow_redirects=True
    )
    assert "需求不存在" in other.data.decode() and fresh(Demand, demand.id).rating == 4


def test_triage_declines_with_reason_and_confirms_a_project(board, page_as, actor_of, fresh):
    demand = ops.request_help(actor=actor_of(board.resident), category="助老助残", details="需要陪同就医")
    resource = ops.declare_resource(
        actor=actor_of(board.member),
        community_id=board.community.id,
        category="助老助残",
        description="可陪同老人就医",
    )
    client = page_as(board.staff)
    assert "需要陪同就医" in client.get("/triage").data.decode()
    page = client.get(f"/demands/{demand.id}").data.decode()
    assert "可陪同老人就医" in page
    client.post(f"/demands/{demand.id}/project", data={"resource_ids": [str(resource.id)], "title": "陪诊"})
    assert "陪诊" in client.get(f"/demands/{demand.id}").data.decode()
    other = ops.request_help(actor=actor_of(board.neighbour), category="矛盾调解", details="邻居装修噪音")
    client.post(f"/demands/{other.id}/decline", data={"reason": "已转交物业"})
    assert fresh(Demand, other.id).state == "declined"
    assert page_as(board.resident).get("/triage").status_code == 403


def test_asking_for_help_names_no_category_until_one_is_chosen(board, page_as):
    client = page_as(board.resident)
    form = client.get("/help").data.decode()
    assert (
        '<option value="" selected>请选择类别</option>' in form and '<select name="category" required' in form
    )
    refused = client.post("/help", data={"category": "", "details": "需要帮忙取药", "place": "5号楼"})
    assert refused.status_code == 422 and "需要帮忙取药" in refused.data.decode()


def test_accepting_a_demand_fills_the_task_from_it(board, page_as, actor_of):
    demand = ops.request_help(
        actor=actor_of(board.resident),
        category="助老助残",
        details="需要有人陪我去医院复查\n三楼，没有电梯",
        preferred_time="周六上午",
    )
    page = page_as(board.staff).get(f"/demands/{demand.id}/accept").data.decode()
    assert 'value="需要有人陪我去医院复查"' in page
    assert "居民希望的时间：周六上午" in page
