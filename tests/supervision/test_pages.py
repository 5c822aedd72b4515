"""The flags pages: the list, a flag's evidence with links, the supervisor's forms."""

from __future__ import annotations

import sqlalchemy as sa

from points.notices.models import Notice
from tests.supervision.conftest import at
from tests.supervision.test_api import flagged  # noqa: F401  (fixture)


def test_supervisor_sees_the_list_and_decides_on_the_flag_page(world, flagged, page_as, fresh):  # noqa: F811
    device, _ = flagged
    client = page_as(world.supervisor)
    listing = client.get("/flags").get_data(as_text=True)
    assert "一机多人签到" in listing and "代管账号得分" in listing
    page = client.get(f"/flags/{device.id}").get_data(as_text=True)
    assert "同一台设备为 3 个人签到" in page
    # The supervisor does not run the station: the check-ins are shown here, not linked.
    assert page.count("/checkins/") == 0 and page.count("签到 #") == 3
    assert page_as(world.s3).get(f"/flags/{device.id}").get_data(as_text=True).count("/checkins/") == 3
    assert f"/flags/{device.id}/explain" in page and f"/flags/{device.id}/escalate" in page
    r = client.post(f"/flags/{device.id}/escalate", data={"note": "请街道核查"})
    assert r.status_code == 302
    after = client.get(f"/flags/{device.id}").get_data(as_text=True)
    assert "请街道核查" in after and f"/flags/{device.id}/escalate" not in after
    assert f"/flags/{device.id}/explain" in after


def test_staff_read_without_buttons_and_never_their_own_flag(world, flagged, page_as):  # noqa: F811
    device, puppet = flagged
    s1 = page_as(world.s1)
    listing = s1.get("/flags").get_data(as_text=True)
    assert f"/flags/{device.id}" in listing and f'/flags/{puppet.id}"' not in listing
    assert s1.get(f"/flags/{puppet.id}").status_code == 404
    page = s1.get(f"/flags/{device.id}").get_data(as_text=True)
    assert "/explain" not in page and "/escalate" not in page
    assert s1.post(f"/flags/{device.id}/explain", data={"note": "x"}).status_code == 302
    assert device.state == "open"


def test_residents_are_refused_and_bad_filters_are_shown(world, flagged, page_as):  # noqa: F811
    assert page_as(world.residents[0]).get("/flags").status_code == 403
    r = page_as(world.supervisor).get("/flags?state=nonsense")
    assert r.status_code == 422


def test_a_decided_flag_tells_the_supervisor_why_there_is_no_button(world, flagged, page_as):  # noqa: F811
    device, _ = flagged
    client = page_as(world.supervisor)
    client.post(f"/flags/{device.id}/explain", data={"note": "已核实"})
    page = client.get(f"/flags/{device.id}").get_data(as_text=True)
    assert "已经处理过了" in page


def test_the_street_admin_answers_an_escalated_flag_on_its_page(world, flagged, page_as, sess):  # noqa: F811
    device, _ = flagged
    page_as(world.supervisor).post(f"/flags/{device.id}/escalate", data={"note": "请街道核查"})
    admin = page_as(world.street_admin)
    inbox = admin.get("/notices").get_data(as_text=True)
    assert "监督小组上报了" in inbox and "请街道核查" in inbox
    notice_id = sess.scalars(sa.select(Notice.id).where(Notice.person_id == world.street_admin.id)).one()
    assert admin.post(f"/notices/{notice_id}/open").headers["Location"].endswith(f"/flags/{device.id}")
    page = admin.get(f"/flags/{device.id}").get_data(as_text=True)
    assert f"/flags/{device.id}/answer" in page and "/escalate" not in page
    r = admin.post(f"/flags/{device.id}/answer", data={"note": "一家三口共用一部手机"}, follow_redirects=True)
    assert "已记录街道的答复" in r.get_data(as_text=True) and "一家三口共用一部手机" in r.get_data(
        as_text=True
    )


def test_the_list_filters_by_community(world, flagged, page_as):  # noqa: F811
    r = page_as(world.supervisor).get(f"/flags?community_id={world.a.id}")
    assert r.status_code == 200 and "一机多人签到" in r.get_data(as_text=True)


def test_account_change_evidence_says_when_what_and_who(world, flagged, page_as):  # noqa: F811
    _, puppet = flagged
    page = page_as(world.supervisor).get(f"/flags/{puppet.id}").get_data(as_text=True)
    assert "开户" in page and f"经办：{world.s1.name}" in page and "2026" in page


def test_an_empty_note_is_asked_for_on_the_field_and_what_was_typed_is_kept(world, flagged, page_as):  # noqa: F811
    device, _ = flagged
    client = page_as(world.supervisor)
    r = client.post(f"/flags/{device.id}/escalate", data={"note": "   "})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "field-error" in page and "请写明说明或上报的理由" in page
    assert device.state == "open"
    too_long = "长" * 1001
    r = client.post(f"/flags/{device.id}/explain", data={"note": too_long})
    assert r.status_code == 422 and too_long in r.get_data(as_text=True)


def test_ledger_evidence_shows_who_asked_and_who_approved(world, manual, run_day, save, page_as):
    for i in range(2):
        manual(world.s3, world.s1, 20, world.s2, now=at(i))
        manual(world.s3, world.s2, 20, world.s1, now=at(10 + i))
    flag = run_day()["mutual_approvals"][0]
    save()
    page = page_as(world.supervisor).get(f"/flags/{flag.id}").get_data(as_text=True)
    assert f"申请：{world.s3.name}" in page
    assert f"审批：{world.s1.name}" in page and f"审批：{world.s2.name}" in page
    assert '">台账 #' not in page and "台账 #" in page
