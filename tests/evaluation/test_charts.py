"""Charts on my points and on the staff dashboard: the numbers in each chart's table are the
points and people in the ledger, month by month; only staff of the place see the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from points.charts import month_bounds
from points.db import LOCAL_TZ, utcnow
from points.ledger import operations as ledger

CATEGORY = "助老助残"


def table_of(html: str, chart_id: str) -> dict[str, list[str]]:
    """month -> the cells of that row in the chart's table."""
    figure = re.search(rf'<figure class="chart" id="{chart_id}">(.*?)</figure>', html, re.S).group(1)
    assert "<svg" in figure and "<rect" in figure
    body = re.search(r"<tbody>(.*?)</tbody>", figure, re.S).group(1)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', body, re.S)
    return {month: re.findall(r"<td>(-?\d+)</td>", cells) for month, cells in rows}


@pytest.fixture
def months(town, give):
    """Two months ago a party member earns both kinds and a resident 兴安分; this month another
    of each; someone in another street too."""
    now = utcnow()
    _, labels = month_bounds(now.astimezone(LOCAL_TZ).date())
    earlier = now - timedelta(days=62)
    give(town.r1, 30, now=earlier)
    give(town.m2, 5, kind="hongsong", now=earlier)
    give(town.m2, 3, now=earlier)
    give(town.m1, 12, kind="hongsong", now=now - timedelta(minutes=5))
    give(town.r2, 8, now=now - timedelta(minutes=5))
    give(town.rb, 100, now=now - timedelta(minutes=5))  # another street's community
    this = labels[-1]
    before = earlier.astimezone(LOCAL_TZ).strftime("%Y-%m")
    return town, this, before


def test_my_points_chart_shows_my_months_by_kind(months, page_as):
    town, this, before = months
    html = page_as(town.m2).get("/points").get_data(as_text=True)
    table = table_of(html, "my-months")
    assert len(table) == 12
    # Columns in kind order: 红松分, 兴安分.
    assert table[before] == ["5", "3"]
    assert table[this] == ["0", "0"]
    assert sum(int(v) for cells in table.values() for v in cells) == 8


def test_dashboard_charts_count_points_and_people_of_the_place(months, page_as):
    town, this, before = months
    page = page_as(town.staff).get(f"/evaluation/dashboard?node_id={town.a.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    issued = table_of(html, "issued")
    assert issued[before] == ["5", "33"] and issued[this] == ["12", "8"]
    people = table_of(html, "participation")
    # Columns: party members, residents; m2 once though they earned both kinds.
    assert people[before] == ["1", "1"] and people[this] == ["1", "1"]
    assert "查看数字" in html


def test_street_sees_its_communities_and_others_are_refused(months, page_as):
    town, this, _ = months
    street = page_as(town.street).get(f"/evaluation/dashboard?node_id={town.tree.s1.id}")
    assert street.status_code == 200
    assert table_of(street.get_data(as_text=True), "issued")[this] == ["12", "8"]
    # Staff of another street's community never see this one (the choice falls back to their own).
    other = page_as(town.b_staff).get(f"/evaluation/dashboard?node_id={town.a.id}").get_data(as_text=True)
    assert table_of(other, "issued")[this] == ["0", "100"]
    assert page_as(town.r1).get("/evaluation/dashboard").status_code == 403


def test_a_reversal_takes_points_off_the_month_it_was_made(months, give, page_as):
    town, this, before = months
    award = give(town.r2, 6, now=utcnow() - timedelta(days=62))
    request = ledger.reverse_transfer(actor=town.staff_actor, transfer_id=award["id"], reason="重复")
    ledger.approve_award(actor=town.staff2_actor, transfer_id=request["id"])

    html = page_as(town.staff).get(f"/evaluation/dashboard?node_id={town.a.id}").get_data(as_text=True)
    issued = table_of(html, "issued")
    assert issued[before] == ["5", "39"] and issued[this] == ["12", "2"]
    assert table_of(page_as(town.r2).get("/points").get_data(as_text=True), "my-months")[this] == [
        "2"
    ]  # a resident: 兴安分 only


def test_the_charts_speak_english_when_asked(months, page_as):
    town, _, before = months
    html = (
        page_as(town.staff).get(f"/evaluation/dashboard?node_id={town.a.id}&lang=en").get_data(as_text=True)
    )
    assert "Points issued per month" in html and "Show the numbers" in html and "Party members" in html
    assert table_of(html, "issued")[before] == ["5", "33"]


def test_dashboard_counts_demands_received_and_answered_by_month(months, page_as, actor_of):
    from points.demands import operations as demands

    town, this, before = months
    earlier = utcnow() - timedelta(days=62)
    asked = [
        demands.request_help(actor=actor_of(town.r1), category=CATEGORY, details=f"需求{i}", now=earlier)
        for i in range(3)
    ]
    demands.decline_demand(actor=town.staff_actor, demand_id=asked[0].id, reason="不在服务范围", now=earlier)
    demands.decline_demand(actor=town.staff_actor, demand_id=asked[1].id, reason="重复", now=utcnow())
    demands.request_help(actor=actor_of(town.rb), category=CATEGORY, details="别的街道", now=earlier)

    html = page_as(town.staff).get(f"/evaluation/dashboard?node_id={town.a.id}").get_data(as_text=True)
    table = table_of(html, "demands")
    # Columns: received, answered.
    assert table[before] == ["3", "1"] and table[this] == ["0", "1"]


def test_dashboard_ranks_tasks_by_hours_of_verified_service(town, serve, page_as):
    now = utcnow() - timedelta(days=3)
    serve(town.r1, "清扫楼道", hours=2, at=now)
    serve(town.r2, "清扫楼道2", hours=2, at=now)
    long_task = serve(town.r1, "敬老院探访", hours=3, at=now)
    serve(town.r2, "敬老院探访（另一场）", hours=1, at=now)
    from points.board import operations as board

    claim = board.claim_task(
        actor=town.staff2_actor, task_id=long_task.id, now=long_task.starts_at - timedelta(hours=1)
    )
    assert claim  # claimed, never verified: no hours

    html = page_as(town.staff).get(f"/evaluation/dashboard?node_id={town.a.id}").get_data(as_text=True)
    assert '<figure class="chart" id="top-tasks">' in html
    figure = re.search(r'<figure class="chart" id="top-tasks">(.*?)</figure>', html, re.S).group(1)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([\d.]+)</td></tr>', figure)
    assert rows == [
        ("敬老院探访", "3.0"),
        ("清扫楼道", "2.0"),
        ("清扫楼道2", "2.0"),
        ("敬老院探访（另一场）", "1.0"),
    ]


def test_a_street_sees_its_communities_side_by_side(months, page_as, make_person):
    town, _, _ = months
    html = page_as(town.street).get(f"/evaluation/dashboard?node_id={town.tree.s1.id}").get_data(as_text=True)
    points = re.search(r'id="community-points">(.*?)</figure>', html, re.S).group(1)
    people = re.search(r'id="community-people">(.*?)</figure>', html, re.S).group(1)
    cells = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', points))
    heads = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td></tr>', people))
    assert cells[town.a.name] == "58" and heads[town.a.name] == "4"
    assert cells[town.tree.a2.name] == "0" and town.b.name not in cells
    # A community's own staff see no side-by-side charts.
    own = page_as(town.staff).get(f"/evaluation/dashboard?node_id={town.a.id}").get_data(as_text=True)
    assert "community-points" not in own
