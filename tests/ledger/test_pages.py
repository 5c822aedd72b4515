"""The ledger's pages: my points, the approval queue, the supervisors' ledger."""

from __future__ import annotations

import html
import re

import pytest

from points.ledger import operations as ops


@pytest.fixture
def pending(world, award):
    return [award(amount, requested_by=world.staff, memo="清扫楼道") for amount in (3, 4, 5)]


def test_my_points_shows_balances_and_statement(world, page_as, award):
    award(6, reason="checkin_award", auto=True, memo="值班签到")
    client = page_as(world.resident)
    html = client.get("/points").data.decode()
    assert "我的积分" in html and "值班签到" in html and "+6" in html
    csv = client.get("/points/statement.csv?kind=xingan")
    assert csv.mimetype == "text/csv" and csv.is_streamed and "值班签到" in csv.data.decode("utf-8-sig")
    bad = client.get("/points?from=31/01/2026")
    assert bad.status_code == 422 and "日期格式" in bad.data.decode()


def test_approval_queue_approve_reject_and_bulk(world, page_as, pending):
    client = page_as(world.checker)
    html = client.get("/approvals").data.decode()
    assert "共 3 笔待审批" in html and "清扫楼道" in html
    r = client.post(f"/approvals/{pending[0]['id']}/approve", follow_redirects=True)
    assert "已审批通过" in r.data.decode()
    r = client.post(f"/approvals/{pending[1]['id']}/reject", data={"reason": ""}, follow_redirects=True)
    assert "驳回时请写明原因" in r.data.decode()
    r = client.post(f"/approvals/{pending[1]['id']}/reject", data={"reason": "未到场"}, follow_redirects=True)
    assert "已驳回" in r.data.decode()
    r = client.post("/approvals/bulk", data={"ids": [str(pending[2]["id"])]}, follow_redirects=True)
    assert "已批量审批 1 笔" in r.data.decode() and "没有待审批的积分" in r.data.decode()
    from points.ledger.queries import balances_of_person

    assert balances_of_person(world.resident.id)["xingan"]["posted"] == 8


def test_approval_queue_refuses_the_requester(world, page_as, pending):
    client = page_as(world.staff)
    r = client.post(f"/approvals/{pending[0]['id']}/approve", follow_redirects=True)
    assert "申请或核验这笔积分的人不能再审批它" in r.data.decode()
    r = client.post("/approvals/bulk", data={"ids": [str(p["id"]) for p in pending]}, follow_redirects=True)
    assert "整批未执行" in r.data.decode()


def test_residents_cannot_open_staff_pages(world, page_as):
    client = page_as(world.resident)
    for url in ("/approvals", "/ledger"):
        r = client.get(url)
        assert r.status_code == 403
        assert "只有" in r.data.decode()


def test_ledger_page_shows_transfers_and_verification(world, page_as, pending, make_person, app):
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    client = page_as(supervisor)
    html = client.get("/ledger").data.decode()
    assert "台账尚未校验过" in html and "共 3 笔" in html
    from points.scheduler import run_job

    assert run_job("verify_ledger").status == "ok"
    html = client.get("/ledger?kind=xingan&status=pending").data.decode()
    assert "校验" in html and "通过" in html and "共 3 笔" in html


def test_pages_need_login(client):
    r = client.get("/points")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_statement_csv_defuses_formulas(world, page_as, award):
    award(2, reason="checkin_award", auto=True, memo='=HYPERLINK("http://x","y")')
    text = page_as(world.resident).get("/points/statement.csv?kind=xingan").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_approval_forms_only_go_back_to_this_site(world, page_as, pending):
    client = page_as(world.checker)
    r = client.post(f"/approvals/{pending[0]['id']}/approve", data={"back": "https://evil.example/x"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/approvals")


def test_large_text_mode_sticks(world, page_as):
    client = page_as(world.resident)
    r = client.get("/text-size?large=1&next=/points")
    assert r.status_code == 302 and r.headers["Location"].endswith("/points")
    assert 'class="large-text' in client.get("/points").data.decode()
    client.get("/text-size?large=0&next=https://evil.example/")
    assert 'class="large-text' not in client.get("/points").data.decode()


def test_my_points_shows_one_line_per_award_with_its_state(world, page_as, pending):
    ops.approve_award(actor=world.checker_actor, transfer_id=pending[0]["id"])
    ops.reject_award(actor=world.checker_actor, transfer_id=pending[1]["id"], reason="未到场")
    html = page_as(world.resident).get("/points").data.decode()
    # One line each: the approved award (+3), the rejected one (with the reason), the waiting one.
    assert html.count("清扫楼道") == 2 and "未到场" in html
    assert "已驳回" in html and "待审批" in html and "+3" in html


def test_reject_with_an_overlong_reason_says_so(world, page_as, pending):
    r = page_as(world.checker).post(
        f"/approvals/{pending[0]['id']}/reject", data={"reason": "很" * 501}, follow_redirects=True
    )
    assert r.status_code == 200 and "最多 500 个字符" in r.data.decode()


def test_my_points_shows_the_members_star_level_so_far(world, page_as, award):
    from points.ledger import operations as ops
    from points.ledger.stars import person_stars, star_level

    assert star_level(49, (20, 50, 100)) == 1 and star_level(50, (20, 50, 100)) == 2
    posted = award(30, person=world.member, kind="hongsong", auto=True, reason="checkin_award")
    award(40, person=world.member, kind="hongsong")  # pending: not counted yet
    stars = person_stars(world.member.id)
    assert (stars.points, stars.stars, stars.next_at) == (30, 1, 50)
    html = page_as(world.member).get("/points").data.decode()
    assert "年红松分 30 分" in html and "★☆☆☆☆" in html and "再得 20 分升至 2 星" in html
    request = ops.reverse_transfer(actor=world.checker_actor, transfer_id=posted["id"], reason="错发")
    assert person_stars(world.member.id).points == 30  # not until someone else approves it
    ops.approve_award(actor=world.staff_actor, transfer_id=request["id"])
    assert person_stars(world.member.id).points == 0
    assert "年红松分" not in page_as(world.resident).get("/points").data.decode()


def test_my_points_open_on_the_persons_own_kind(world, page_as, award):
    award(30, person=world.member, kind="hongsong", auto=True, reason="checkin_award")
    member = page_as(world.member).get("/points").data.decode()
    assert "<strong>红松分</strong>" in member  # the member's statement opens on 红松分
    resident = page_as(world.resident).get("/points").data.decode()
    assert "红松分" not in resident.split("<main")[1] and "<strong>兴安分</strong>" in resident


def test_my_points_in_wechat_explain_how_to_download(world, page_as):
    client = page_as(world.resident)
    plain = client.get("/points").data.decode()
    assert "/points/statement.csv" in plain and "在浏览器打开" in plain
    wechat = client.get("/points", headers={"User-Agent": "Mozilla/5.0 MicroMessenger/8.0.47"}).data.decode()
    assert "/points/statement.csv" not in wechat and "选「在浏览器打开」" in wechat


def test_approvals_split_what_i_can_approve_from_what_needs_someone_else(world, page_as, pending):
    own = page_as(world.staff).get("/approvals").data.decode()
    assert "需他人审批" in own and "这一页没有您可以审批的积分" in own
    assert 'id="bulk"' not in own and "批量通过所选" not in own and 'name="ids"' not in own
    other = page_as(world.checker).get("/approvals").data.decode()
    mine = other.split("我可以审批")[1].split("需他人审批")[0]
    assert mine.count('name="ids"') == 3 and 'data-amount="' in mine
    assert "确定通过所选的 {count} 笔、共 {total} 分？" in other and 'data-bulk-summary="ids"' in other


def test_approvals_page_each_list_by_its_own_cursor(world, page_as, award, monkeypatch):
    """Mixed rows, oldest first: each list fills its page from the queue by the approve rule,
    and paging one list leaves the other where it was."""
    from points.ledger import pages as ledger_pages

    monkeypatch.setattr(ledger_pages, "QUEUE_PER_PAGE", 2)
    for amount in (11, 12, 13, 14, 15, 16):
        maker = world.staff if amount % 2 else world.checker
        award(amount, requested_by=maker, memo=f"第{amount}笔")
    client = page_as(world.staff)

    def lists(page: str) -> tuple[str, str]:
        mine, others = page.split("<h2>我可以审批")[1].split("<h2>需他人审批")
        return mine, others

    first = client.get("/approvals").data.decode()
    mine, others = lists(first)
    assert "第12笔" in mine and "第14笔" in mine and "第16笔" not in mine and "第11笔" not in mine
    assert "第11笔" in others and "第13笔" in others and "第15笔" not in others
    assert mine.count('name="ids"') == 2 and others.count('name="ids"') == 0
    onward = html.unescape(re.search(r'href="([^"]*others=[^"]+)">下一页', others).group(1))
    assert "cursor=" not in onward
    second = client.get(onward).data.decode()
    mine_again, others_next = lists(second)
    assert "第12笔" in mine_again and "第14笔" in mine_again
    assert "第15笔" in others_next and "第11笔" not in others_next and "上一页" in others_next
    later = html.unescape(re.search(r'href="([^"]*cursor=[^"]+)">下一页', mine_again).group(1))
    third = client.get(later).data.decode()
    mine_last, others_kept = lists(third)
    assert "第16笔" in mine_last and "第12笔" not in mine_last and "第15笔" in others_kept


def test_ledger_marks_an_approved_request_as_resolved(world, page_as, pending, make_person):
    page_as(world.checker).post(f"/approvals/{pending[0]['id']}/approve")
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    html = page_as(supervisor).get("/ledger").data.decode()
    assert "已处理：已入账" in html and "审批通过，积分入账" in html
    assert html.count('<span class="tag pending">待审批</span>') == 2
