"""The inbox page, the menu's unread count and the home page's reminder."""

from __future__ import annotations

import re
from datetime import timedelta

from points.db import utcnow


def test_inbox_page_lists_my_notices_and_the_menu_counts_them(make_person, tell, page_as):
    person = make_person()
    tell(person, title="扫雪")
    tell(person, kind="claim_rejected", title="读报", reason="没有照片")
    browser = page_as(person)

    page = browser.get("/notices").get_data(as_text=True)

    assert "你的揭榜「扫雪」已通过验收" in page
    assert "你的揭榜「读报」未通过验收：没有照片" in page
    assert re.search(r'href="/notices"[^>]*>消息 <span class="badge"[^>]*>2</span>', page)
    assert "你有 2 条未读消息" in browser.get("/").get_data(as_text=True)


def test_inbox_page_in_english(make_person, tell, page_as):
    person = make_person()
    tell(person, kind="dispatch_offered", title="扫雪")

    page = page_as(person).get("/notices?lang=en").get_data(as_text=True)

    assert "扫雪" in page and "Inbox" in page


def test_opening_a_notice_marks_it_read_and_follows_its_link(make_person, tell, page_as):
    person = make_person()
    tell(person, kind="voucher_ready", ref=("voucher", 7), item="大米")
    browser = page_as(person)
    notice_id = re.search(r"/notices/(\d+)/open", browser.get("/notices").get_data(as_text=True)).group(1)

    opened = browser.post(f"/notices/{notice_id}/open")

    assert opened.status_code == 302 and opened.headers["Location"].endswith("/store/vouchers/7")
    assert 'class="badge"' not in browser.get("/notices").get_data(as_text=True)


def test_opening_someone_elses_notice_is_not_found(make_person, tell, page_as):
    owner, other = make_person(), make_person()
    tell(owner)
    notice_id = re.search(
        r"/notices/(\d+)/open", page_as(owner).get("/notices").get_data(as_text=True)
    ).group(1)

    assert page_as(other).post(f"/notices/{notice_id}/open").status_code == 404


def test_mark_all_read_from_the_page(make_person, tell, page_as):
    person = make_person()
    tell(person)
    browser = page_as(person)

    assert browser.post("/notices/read").status_code == 302
    page = browser.get("/notices").get_data(as_text=True)
    assert "未读</span>" not in page and "全部标为已读</button>" not in page


def test_inbox_needs_a_login(client):
    response = client.get("/notices")

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_no_unread_notices_says_so(make_person, tell, page_as):
    person = make_person()
    browser = page_as(person)

    assert "没有未读消息" in browser.get("/notices?unread=1").get_data(as_text=True)
    assert "没有未读消息" not in browser.get("/notices").get_data(as_text=True)


def test_inbox_is_newest_first_by_time(make_person, tell, page_as):
    person = make_person()
    tell(person, title="新的")
    tell(person, title="旧的", now=utcnow() - timedelta(days=2))

    page = page_as(person).get("/notices").get_data(as_text=True)

    assert page.index("「新的」") < page.index("「旧的」")


def test_a_declined_dispatch_reaches_the_dispatchers_inbox_with_a_link(board, make_task, page_as, api_as):
    task = make_task(title="扫雪")
    staff = page_as(board.staff)
    dispatched = staff.post(f"/tasks/{task.id}/dispatch", data={"person_id": board.resident.id})
    assert dispatched.status_code == 302
    claim_id = re.search(
        r"/claims/(\d+)/decline", page_as(board.resident).get("/my/claims").get_data(as_text=True)
    )
    assert claim_id, "the offer shows a decline button"

    declined = page_as(board.resident).post(
        f"/claims/{claim_id.group(1)}/decline", data={"reason": "这周不在家"}
    )

    assert declined.status_code == 302
    page = staff.get("/notices").get_data(as_text=True)
    assert "王阿姨谢绝了你派的单「扫雪」（这周不在家），名额已重新开放" in page
    english = staff.get("/notices?lang=en").get_data(as_text=True)
    assert "王阿姨 declined the task you dispatched" in english and "这周不在家" in english
    notice_id = re.search(r"/notices/(\d+)/open", page).group(1)
    opened = staff.post(f"/notices/{notice_id}/open")
    assert opened.headers["Location"].endswith(f"/claims/{claim_id.group(1)}")
    followed = staff.get(opened.headers["Location"])
    assert followed.headers["Location"].endswith(f"/tasks/{task.id}#claim-{claim_id.group(1)}")
    listed = api_as(board.staff).get("/api/v1/me/notices").json["items"][0]
    assert listed["kind"] == "dispatch_declined" and listed["params"]["name"] == "王阿姨"
    assert listed["link"] == f"/claims/{claim_id.group(1)}"
