"""The home page and the staff dashboard (工作台)."""

from __future__ import annotations

from datetime import timedelta

from points.board import operations as board
from points.db import utcnow
from points.demands import operations as demands
from points.org import operations as org
from tests.builders import running_activity


def test_home_shows_profile_party_status_roles_and_balances(town, page_as):
    client = page_as(town.member)
    html = client.get("/").get_data(as_text=True)
    assert "刘洪涛" in html
    assert "党员报到：已确认" in html and "（可获得红松分）" in html
    assert "红松分" in html and "兴安分" in html
    me = client.get("/me").get_data(as_text=True)
    assert town.member.phone in me and town.community.name in me


def test_home_of_a_party_member_not_yet_reported(make_person, page_as, save):
    newcomer = make_person(is_party_member=True)
    save()
    html = page_as(newcomer).get("/").get_data(as_text=True)
    assert "党员报到：尚未到社区报到" in html and "（可获得红松分）" not in html


def test_home_lists_roles_and_the_confirmation_link_for_staff(town, page_as):
    client = page_as(town.staff)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/registrations"' in html and "双报到确认" in html
    me = client.get("/me").get_data(as_text=True)
    assert "社区工作者" in me and town.community.name in me
    supervisor = page_as(town.supervisor).get("/").get_data(as_text=True) + page_as(town.supervisor).get(
        "/me"
    ).get_data(as_text=True)
    assert "监督小组" in supervisor and "双报到确认" not in supervisor


def _posted_for_tomorrow(staff, town, title: str, category: str, slots: int):
    """A task of the town's community, posted by `staff`, for two hours tomorrow; 5 兴安分."""
    now = utcnow()
    return board.create_task(
        actor=staff,
        community_id=town.community.id,
        title=title,
        category=category,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        slots=slots,
        eligibility="anyone",
        reward_xingan=5,
        post=True,
    )


def test_home_lists_what_waits_for_the_person(town, page_as, actor_of, save):
    staff = actor_of(town.staff)
    task = _posted_for_tomorrow(staff, town, "陪老人看病", "便民服务", slots=2)
    board.dispatch_task(actor=staff, task_id=task.id, person_id=town.resident.id)
    save()
    html = page_as(town.resident).get("/").get_data(as_text=True)
    assert "待你接单" in html and "陪老人看病" in html and "暂时没有要办的事" not in html
    assert "暂时没有要办的事" in page_as(town.member).get("/").get_data(as_text=True)


def test_home_needs_login(client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def test_dashboard_counts_for_staff(town, page_as, actor_of, save):
    staff = actor_of(town.staff)
    now = utcnow()
    _posted_for_tomorrow(staff, town, "张榜中", "环境整治", slots=3)
    demands.request_help(actor=actor_of(town.resident), category="便民服务", details="修路灯")
    station = org.create_station(actor=None, node_id=town.community.id, kind="station", name="红松服务站")
    running_activity(
        staff, station.id, "今日值班", began=timedelta(minutes=5), ends_in=timedelta(minutes=30), now=now
    )
    save()
    html = page_as(town.staff).get("/staff").data.decode()
    assert "工作台" in html and "待审批积分" in html and "待受理点单" in html and "待验收" in html
    assert "张榜中的任务" in html and "发布任务" in html
    assert "今日值班" in html and "红松服务站" in html and "今天没有签到活动" not in html


def test_dashboard_offers_only_what_the_reader_may_open(town, page_as):
    html = page_as(town.grid_worker).get("/staff").data.decode()
    assert "工作台" in html and "替居民点单" in html
    for other in ("待审批积分", "待受理点单", "待验收", "张榜中的任务", "发布任务", "今日活动"):
        assert other not in html, other
    staff = page_as(town.staff).get("/staff").data.decode()
    assert "今天没有签到活动" in staff and "替居民点单" in staff


def test_dashboard_is_refused_to_those_without_a_queue(town, page_as):
    for person in (town.resident, town.member, town.unit_admin, town.supervisor):
        assert page_as(person).get("/staff").status_code == 403


def test_a_persons_page_for_those_who_read_people(town, page_as):
    page = page_as(town.staff).get(f"/people/{town.member.id}").get_data(as_text=True)
    assert "刘洪涛" in page and "已确认" in page and "最近服务" in page and "签到记录" in page
    listing = page_as(town.staff).get("/people").get_data(as_text=True)
    assert f'href="/people/{town.member.id}"' in listing and "<summary>重置密码</summary>" in listing
    grid = page_as(town.grid_worker).get(f"/people/{town.resident.id}").get_data(as_text=True)
    assert "赵秀英" in grid and town.resident.phone not in grid
    assert page_as(town.resident).get(f"/people/{town.member.id}").status_code == 403
