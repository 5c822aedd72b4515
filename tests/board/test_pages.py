"""The board's pages: the board and a task, claiming, my claims, asking for help and rating,
posting a task (keeping what was typed on an error), triage, verification, the unit's view."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from points.board import operations as ops
from points.board.models import Claim, Task
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


def test_pages_switch_to_english_on_request(board, page_as):
    client = page_as(board.resident)
    client.get("/lang/en?next=/board")
    html = client.get("/board").data.decode()
    assert 'lang="en"' in html
    client.get("/lang/zh")
    assert 'lang="zh-CN"' in client.get("/board").data.decode()


def test_pages_show_the_buttons_the_tables_allow_and_say_why_not(board, page_as, make_task, actor_of):
    party_only = make_task(title="党员先锋岗", eligibility="party_members")
    drawn = make_task(title="春节联欢会志愿者", fill_mode="draw", slots=1)
    application = ops.claim_task(actor=actor_of(board.resident), task_id=drawn.id)
    client = page_as(board.resident)
    # A task the resident may not claim says why, on the board and on its page.
    card = client.get("/board").data.decode()
    assert "这项任务只接受已到社区报到的党员揭榜" in card
    page = client.get(f"/tasks/{party_only.id}").data.decode()
    assert "我要揭榜" not in page and "这项任务只接受已到社区报到的党员揭榜" in page
    # An application waiting for its draw may be withdrawn, as the operation allows.
    mine = client.get("/my/claims").data.decode()
    assert "已报名待抽签" in mine and f"/claims/{application.id}/withdraw" in mine
    assert f"/claims/{application.id}/submit" not in mine
    # Staff see the management buttons the task table allows: a posted task is not posted again.
    managed = page_as(board.staff).get(f"/tasks/{party_only.id}").data.decode()
    assert "截止报名" in managed and "取消任务" in managed and ">张榜<" not in managed


def _card_of(html: str, title: str) -> str:
    start = html.index(title)
    return html[start : html.index("</article>", start)]


def test_each_card_says_the_readers_true_standing(board, page_as, api_as, make_task, actor_of):
    make_task(title="便民理发")
    make_task(title="党员先锋岗", eligibility="party_members")
    full = make_task(title="一个名额", slots=1)
    offered = make_task(title="陪老人看病")
    mine = make_task(title="楼道清扫")
    ops.claim_task(actor=actor_of(board.neighbour), task_id=full.id)
    ops.dispatch_task(actor=actor_of(board.staff), task_id=offered.id, person_id=board.resident.id)
    ops.claim_task(actor=actor_of(board.resident), task_id=mine.id)
    closed = make_task(title="已截止的任务")
    ops.close_task(actor=actor_of(board.staff), task_id=closed.id)
    html = page_as(board.resident).get("/board").data.decode()
    expected = {
        "便民理发": "可揭榜",
        "党员先锋岗": "仅限党员",
        "一个名额": "名额已满",
        "陪老人看病": "待你接单",
        "楼道清扫": "已揭榜",
    }
    for title, standing in expected.items():
        card = _card_of(html, title)
        assert f">{standing}</span>" in card, (title, card)
    assert "我已揭榜" not in html and html.count(">可揭榜</span>") == 1
    answer = api_as(board.resident).get(f"/api/v1/tasks/{closed.id}").json
    assert answer["card_state"] == "closed"


def test_my_claims_say_when_work_can_be_reported_and_ask_before_cancelling(
    board, page_as, make_task, actor_of
):
    task = make_task(title="重阳节布场", place="社区广场", starts_at=utcnow() + timedelta(days=2))
    claim = ops.claim_task(actor=actor_of(board.resident), task_id=task.id)
    html = page_as(board.resident).get("/my/claims").data.decode()
    assert "社区广场" in html and "提交验收</button>" not in html
    assert "任务开始后（" in html and "才能提交验收" in html
    assert "<summary>取消揭榜</summary>" in html and "确定取消揭榜" in html
    assert f"/claims/{claim.id}/withdraw" in html


def test_staff_edit_a_posted_task_on_its_page(board, page_as, make_task, actor_of, fresh):
    task = make_task(title="楼道清扫", place="三号楼", slots=3)
    ops.claim_task(actor=actor_of(board.resident), task_id=task.id)
    client = page_as(board.staff)
    page = client.get(f"/tasks/{task.id}").data.decode()
    assert f'action="/tasks/{task.id}/edit"' in page and 'value="三号楼"' in page
    assert "我要揭榜" not in page  # staff run their task from 管理, not claim it
    done = client.post(
        f"/tasks/{task.id}/edit",
        data={"description": "一至六层", "place": "五号楼", "slots": "5"},
        follow_redirects=True,
    ).data.decode()
    assert "已保存修改" in done and fresh(Task, task.id).place == "五号楼" and fresh(Task, task.id).slots == 5
    refused = client.post(f"/tasks/{task.id}/edit", data={"slots": "0"}, follow_redirects=True).data.decode()
    assert fresh(Task, task.id).slots == 5 and "flash-error" in refused
    assert (
        f'action="/tasks/{task.id}/edit"'
        not in page_as(board.resident).get(f"/tasks/{task.id}").data.decode()
    )


def test_staff_dispatch_to_someone_found_by_name(board, page_as, make_task, fresh):
    task = make_task(title="陪老人看病")
    client = page_as(board.staff)
    page = client.get(f"/tasks/{task.id}?who=王阿姨").data.decode()
    assert "派单给王阿姨" in page and f'value="{board.resident.id}"' in page
    party = make_task(title="党员先锋岗", eligibility="party_members")
    refused = client.get(f"/tasks/{party.id}?who=王阿姨").data.decode()
    assert "派单给王阿姨" not in refused and "这项任务只接受已到社区报到的党员揭榜" in refused
    done = client.post(
        f"/tasks/{task.id}/dispatch", data={"person_id": str(board.resident.id)}, follow_redirects=True
    ).data.decode()
    assert "已派单，等待对方接单" in done
    nobody = client.get(f"/tasks/{task.id}?who=不存在的人").data.decode()
    assert "没有找到这个名字的人" in nobody


def test_dispatch_by_a_bad_or_unknown_phone_says_so_on_the_task_page(board, page_as, make_task, sess):
    task = make_task(title="楼道清扫")
    client = page_as(board.staff)
    for phone, message in (
        ("12345", "请输入有效的手机号"),
        ("13999999999", "没有找到这个手机号的人"),
        (board.stranger.phone, "没有找到这个手机号的人"),
    ):
        answer = client.post(f"/tasks/{task.id}/dispatch", data={"phone": phone})
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/tasks/{task.id}")
        page = client.get(answer.headers["Location"]).data.decode()
        assert message in page and "楼道清扫" in page
    english = client.post(
        f"/tasks/{task.id}/dispatch?lang=en", data={"phone": "12345"}, follow_redirects=True
    )
    assert "Please enter a valid mobile number" in english.data.decode()
    assert sess.scalars(sa.select(Claim).where(Claim.task_id == task.id)).all() == []
    done = client.post(
        f"/tasks/{task.id}/dispatch", data={"phone": board.resident.phone}, follow_redirects=True
    )
    assert "已派单，等待对方接单" in done.data.decode()
    assert client.post("/tasks/999999/dispatch", data={"phone": board.resident.phone}).status_code == 404
