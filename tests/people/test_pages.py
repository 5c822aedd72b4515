"""Staff pages for people (find, unlock, reset a password) and the audit log."""

from __future__ import annotations

import html
import re

import pytest

from points.db import utcnow


@pytest.fixture
def town(make_node, make_person):
    community, other = make_node("community"), make_node("community")
    return {
        "staff": make_person(community=community, roles=[("staff", community)]),
        "supervisor": make_person(community=community, roles=[("supervisor", community)]),
        "resident": make_person(community=community, name="赵秀英"),
        "stranger": make_person(community=other, name="外社区居民"),
    }


def test_people_page_finds_in_scope_with_full_phones_for_managers(town, page_as):
    html = page_as(town["staff"]).get("/people?q=赵").data.decode()
    assert "赵秀英" in html and town["resident"].phone in html and "外社区居民" not in html
    masked = page_as(town["supervisor"]).get("/people").data.decode()
    assert "赵秀英" in masked and town["resident"].phone not in masked and "重置密码" not in masked
    assert page_as(town["resident"]).get("/people").status_code == 403


def test_people_page_unlock_and_reset_password(town, page_as, fresh):
    from datetime import timedelta

    from points.db import session
    from points.people.models import LoginThrottle, Person
    from points.people.queries import is_locked

    resident = town["resident"]
    session().add(
        LoginThrottle(
            phone=resident.phone,
            client_key="a:10.0.0.9",
            lock_count=1,
            locked_until=utcnow() + timedelta(minutes=10),
        )
    )
    session().commit()
    client = page_as(town["staff"])
    assert "解除锁定" in client.get("/people").data.decode()
    done = client.post(f"/people/{resident.id}/unlock", data={"back": "/people"}, follow_redirects=True)
    assert "已解除锁定" in done.data.decode() and not is_locked(resident.phone)
    reset = client.post(f"/people/{resident.id}/reset-password", data={"back": "/people"})
    assert reset.status_code == 200 and "新密码" in reset.data.decode()
    assert fresh(Person, resident.id).must_change_password
    refused = client.post(f"/people/{town['stranger'].id}/reset-password", follow_redirects=True)
    assert "新密码" not in refused.data.decode()


def test_audit_page_shows_the_scope_and_filters(town, page_as):
    client = page_as(town["staff"])
    client.post(f"/people/{town['resident'].id}/reset-password")
    html = page_as(town["supervisor"]).get("/audit").data.decode()
    assert "操作日志" in html and "person.password_reset" in html
    filtered = page_as(town["supervisor"]).get("/audit?action=nothing.such").data.decode()
    assert "没有记录" in filtered
    assert page_as(town["stranger"]).get("/audit").status_code == 403


def test_people_page_search_is_read_by_the_api_schema(town, page_as):
    client = page_as(town["staff"])
    html = client.get("/people").data.decode()
    assert re.search(r'<input name="q" value=""\s+maxlength="50">', html)
    too_long = client.get("/people", query_string={"q": "赵" * 51})
    assert too_long.status_code == 200 and "最多 50 个字符" in too_long.data.decode()
    assert "赵秀英" in too_long.data.decode()  # the unread filter is left out


def test_people_page_pages_through_many(town, page_as, make_person, save):
    community = town["resident"].community_id
    from points.org.queries import get_node

    for _ in range(50):
        make_person(community=get_node(community))
    save()
    client = page_as(town["staff"])
    first = client.get("/people").data.decode()
    later = re.search(r'href="(/people\?cursor=[^"]+)">下一页', first)
    assert later and "上一页" not in first
    second = client.get(html.unescape(later.group(1))).data.decode()
    assert "上一页" in second and "下一页" not in second
    shown = re.compile(r"/people/(\d+)/")
    assert not set(shown.findall(first)) & set(shown.findall(second))


def test_audit_page_filter_is_read_by_the_api_schema(town, page_as):
    client = page_as(town["supervisor"])
    r = client.get("/audit", query_string={"action": "x" * 65})
    assert r.status_code == 200 and "最多 64 个字符" in r.data.decode()
    assert '<select name="action">' in r.data.decode()


def test_audit_actions_read_as_words_and_filter_by_choice(town, page_as):
    page_as(town["staff"]).post(f"/people/{town['resident'].id}/reset-password")
    html = page_as(town["supervisor"]).get("/audit?action=person.password_reset").data.decode()
    assert '<option value="person.password_reset" selected>重置密码</option>' in html
    row = html.split('<td data-label="操作">')[1].split("</td>")[0]
    assert row == "重置密码"
    english = page_as(town["supervisor"]).get("/audit?lang=en").data.decode()
    assert "Reset password" in english
