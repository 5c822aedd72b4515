"""The board's pages: the board and a task, claiming, my claims, asking for help and rating,
posting a task (keeping what was typed on an error), triage, verification, the unit's view."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from points.board import operations as ops
from points.board.models import Claim, Demand, Task
from points.db import LOCAL_TZ, utcnow


def _local(delta: timedelta) -> str:
    return (utcnow() + delta).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def test_board_page_lists_claimable_tasks_and_claim_button_claims(board, page_as, make_task, fresh):
    task = make_task(title="便民理发", category="便民服务")
    make_task(title="党员先锋岗", eligibility="party_members")
    client = page_as(board.resident)
    html = client.get("/board").data.decode()
    assert "便民理发" in html and "党员先锋岗" in html and "可揭榜" in html
    only = client.get("/board?claimable=1").data.decode()
    assert "便民理发" in only and "党员先锋岗" not in only
    page = client.get(f"/tasks/{task.id}").data.decode()
    assert "我要揭榜" in page
    claimed = client.post(f"/tasks/{task.id}/claim", follow_redirects=True).data.decode()
    assert "揭榜成功" in claimed and "我的揭榜" in claimed and "我要揭榜" not in claimed
    again = client.post(f"/tasks/{task.id}/claim", follow_redirects=True).data.decode()
    assert "不能" in again or "已揭过" in again or "你已揭过这项任务" in again


def test_claim_page_refusal_is_a_chinese_message_and_changes_nothing(board, page_as, make_task, fresh):
    task = make_task(title="党员先锋岗", eligibility="party_members")
    client = page_as(board.resident)
    html = client.post(f"/tasks/{task.id}/claim", follow_redirects=True).data.decode()
    assert "只接受已到社区报到的党员揭榜" in html
    assert fresh(Task, task.id).state == "posted"
    from sqlmodel import select

    from points.db import session

    assert session().exec(select(Claim).where(Claim.task_id == task.id)).all() == []


def test_my_claims_page_submit_and_withdraw(board, page_as, make_task, actor_of):
    task = make_task(
        title="秩序维护", starts_at=utcnow() - timedelta(hours=1), now=utcnow() - timedelta(hours=3)
    )
    claim = ops.claim_task(
        actor=actor_of(board.neighbour), task_id=task.id, now=utcnow() - timedelta(hours=2)
    )
    client = page_as(board.neighbour)
    html = client.get("/my/claims").data.decode()
    assert "秩序维护" in html and "提交验收" in html
    done = client.post(
        f"/claims/{claim.id}/submit", data={"note": "维护两小时", "back": "/my/claims"}, follow_redirects=True
    ).data.decode()
    assert "已提交，等待验收" in done and "待验收" in done


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
    ops.complete_task(actor=staff, task_id=task.id)
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


def test_new_task_form_keeps_input_and_shows_field_errors(board, page_as):
    client = page_as(board.staff)
    assert "发布任务" in client.get("/tasks/new").data.decode()
    form = {
        "community_id": str(board.community.id),
        "title": "冬季扫雪",
        "category": "环境整治",
        "starts_at": _local(timedelta(days=1, hours=2)),
        "ends_at": _local(timedelta(days=1)),
        "slots": "5",
        "eligibility": "anyone",
        "reward_xingan": "3",
        "post": "1",
    }
    bad = client.post("/tasks/new", data=form)
    html = bad.data.decode()
    assert bad.status_code == 422 and "结束时间应晚于开始时间" in html and 'value="冬季扫雪"' in html
    form["ends_at"] = _local(timedelta(days=1, hours=4))
    good = client.post("/tasks/new", data=form, follow_redirects=True).data.decode()
    assert "任务已张榜" in good and "冬季扫雪" in good and "取消任务" in good


def test_new_task_form_refuses_a_date_the_api_refuses(board, page_as, sess):
    from points.board.models import Task

    form = {
        "community_id": str(board.community.id),
        "title": "冬季扫雪",
        "category": "环境整治",
        "starts_at": "9999-01-01T10:00",
        "ends_at": "9999-01-01T12:00",
        "slots": "5",
        "eligibility": "anyone",
        "reward_xingan": "3",
        "post": "1",
    }
    bad = page_as(board.staff).post("/tasks/new", data=form)
    assert bad.status_code == 422 and "时间应在 2000 年到 2100 年之间" in bad.data.decode()
    assert sess.execute(sa.select(sa.func.count()).select_from(Task)).scalar_one() == 0


def test_new_task_page_refuses_residents(board, page_as):
    assert page_as(board.resident).get("/tasks/new").status_code == 403


def test_staff_verify_and_unit_confirm_through_pages(board, page_as, make_task, actor_of, fresh):
    task = make_task(
        title="助老送餐",
        eligibility="party_members",
        requires_unit_confirm=True,
        starts_at=utcnow() - timedelta(hours=1),
        now=utcnow() - timedelta(hours=3),
    )
    claim = ops.claim_task(actor=actor_of(board.member), task_id=task.id, now=utcnow() - timedelta(hours=2))
    ops.submit_claim(actor=actor_of(board.member), claim_id=claim.id, note="送了三户")
    staff = page_as(board.staff)
    queue = staff.get("/verify").data.decode()
    assert "助老送餐" in queue and "送了三户" in queue
    staff.post(f"/claims/{claim.id}/verify", data={"back": "/verify"}, follow_redirects=True)
    unit = page_as(board.unit_admin)
    assert "单位确认" in unit.get("/verify").data.decode()
    assert "李党员" in unit.get("/unit").data.decode()
    done = unit.post(
        f"/claims/{claim.id}/verify", data={"back": "/verify"}, follow_redirects=True
    ).data.decode()
    assert "已验收" in done
    assert fresh(Claim, claim.id).state == "verified"
    assert page_as(board.resident).get("/verify").status_code == 403


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


def test_pages_switch_to_english_on_request(board, page_as):
    client = page_as(board.resident)
    client.get("/lang/en?next=/board")
    html = client.get("/board").data.decode()
    assert 'lang="en"' in html
    client.get("/lang/zh")
    assert 'lang="zh-CN"' in client.get("/board").data.decode()
