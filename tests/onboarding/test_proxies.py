"""Family proxies (代办) through the pages: a family member asks, staff record the relative's
confirmation at the desk, the family member claims, asks for help and redeems for the relative,
each shown as 由 X 代办 and audited with both persons; the link ends."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from points.audit.models import AuditEntry, ProxyAct
from points.db import session
from points.errors import DomainError
from points.onboarding.operations import give_consent
from points.people import operations as people_ops
from points.people.models import ProxyLink
from points.store import operations as store_ops
from tests.board.conftest import board, make_started_task, make_task  # noqa: F401
from tests.builders import award_points


@pytest.fixture
def family(board, make_person, actor_of):  # noqa: F811
    """An elderly relative without a password (imported), and a son with his own account."""
    elder = people_ops.create_person(
        actor=None, phone="13912340001", name="孙奶奶", community_id=board.community.id, grid_id=board.grid.id
    )
    son = make_person(community=board.other, name="孙小军")
    return elder, son


def link_id_of(page: str, action: str) -> int:
    return int(re.search(rf"/family/(\d+)/{action}", page).group(1))


def test_proxy_story(board, family, page_as, make_task, app):  # noqa: F811
    elder, son = family
    son_browser, desk = page_as(son), page_as(board.staff)

    asked = son_browser.post(
        "/family/request", data={"relative_phone": elder.phone, "note": "母亲"}, follow_redirects=True
    )
    assert "请陪同家人到社区服务站" in asked.get_data(as_text=True)
    link = session().scalars(sa.select(ProxyLink)).one()
    assert son_browser.post(f"/family/{link.id}/act").status_code == 404

    listed = desk.get("/people/proxy-links").get_data(as_text=True)
    assert "孙小军 为 孙奶奶 代办" in listed and "老人本人确认" in listed
    desk.post(
        f"/people/proxy-links/{link.id}/confirm", data={"check_kind": "id_card", "check_note": "尾号 1234"}
    )
    session().expire_all()
    assert (session().get(ProxyLink, link.id).state, session().get(ProxyLink, link.id).check_kind) == (
        "active",
        "id_card",
    )

    assert son_browser.post(f"/family/{link.id}/act").status_code == 302
    home = son_browser.get("/").get_data(as_text=True)
    assert "孙小军 正在为 孙奶奶 代办" in home

    task = make_task(title="陪老人散步")
    session().commit()
    son_browser.post(f"/tasks/{task.id}/claim")
    claims = son_browser.get("/my/claims").get_data(as_text=True)
    assert "陪老人散步" in claims and "由 孙小军 代办" in claims

    son_browser.post("/help", data={"category": "助老助残", "details": "帮忙买药"})
    acts = session().execute(sa.select(ProxyAct.action, ProxyAct.person_id, ProxyAct.proxy_id)).all()
    assert {(a, p, q) for a, p, q in acts} == {
        ("claim.created", elder.id, son.id),
        ("demand.created", elder.id, son.id),
    }
    entry = session().scalars(sa.select(AuditEntry).where(AuditEntry.action == "claim.created")).one()
    assert (entry.actor_id, entry.detail["proxy_id"]) == (elder.id, son.id)

    # Acting is for 代办 only: no password changes or personal data in the relative's name.
    blocked = son_browser.get("/account/password")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/family")
    son_browser.post("/family/stop")
    assert "孙小军 正在为 孙奶奶 代办" not in son_browser.get("/").get_data(as_text=True)

    ended = desk.post(f"/family/{link.id}/end", data={"back": "desk"})
    assert ended.status_code == 302
    session().expire_all()
    assert session().get(ProxyLink, link.id).state == "ended"
    assert son_browser.post(f"/family/{link.id}/act").status_code == 404


def test_redeem_for_the_relative_is_shown_on_the_voucher(board, family, page_as, actor_of, app):  # noqa: F811
    elder, son = family
    link = people_ops.request_proxy_link(actor=actor_of(son), relative_phone=elder.phone)
    people_ops.confirm_proxy_link(actor=actor_of(board.staff), link_id=link.id, check_kind="member_card")
    award_points(board.community.id, elder.id, 50, "proxy-redeem")
    item = store_ops.create_item(
        actor=actor_of(board.staff), community_id=board.community.id, name="大米", price=10, stock=3
    )
    session().commit()
    son_browser = page_as(son)
    son_browser.post(f"/family/{link.id}/act")

    redeemed = son_browser.post(
        f"/store/items/{item.id}/redeem", data={"client_key": "k" * 16, "price": "10"}
    )
    voucher_page = son_browser.get(redeemed.headers["Location"]).get_data(as_text=True)

    assert "由 孙小军 代办" in voucher_page
    assert "由 孙小军 代办" in son_browser.get("/points").get_data(as_text=True)


def test_link_refusals(board, family, make_person, actor_of):  # noqa: F811
    elder, son = family
    stranger = make_person()
    link = people_ops.request_proxy_link(actor=actor_of(son), relative_phone=elder.phone)

    cases = [
        (
            lambda: people_ops.request_proxy_link(actor=actor_of(son), relative_phone=elder.phone),
            "already_linked",
        ),
        (
            lambda: people_ops.request_proxy_link(actor=actor_of(son), relative_phone="13900000000"),
            "relative_not_found",
        ),
        (
            lambda: people_ops.request_proxy_link(actor=actor_of(son), relative_phone=son.phone),
            "not_yourself",
        ),
        (
            lambda: people_ops.confirm_proxy_link(actor=actor_of(son), link_id=link.id, check_kind="id_card"),
            "forbidden",
        ),
        (
            lambda: people_ops.confirm_proxy_link(
                actor=actor_of(stranger), link_id=link.id, check_kind="id_card"
            ),
            "proxy_not_found",
        ),
        (
            lambda: people_ops.confirm_proxy_link(
                actor=actor_of(board.staff), link_id=link.id, check_kind=""
            ),
            "check_required",
        ),
    ]
    for attempt, code in cases:
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == code
    people_ops.end_proxy_link(actor=actor_of(son), link_id=link.id)
    with pytest.raises(DomainError) as ended:
        people_ops.end_proxy_link(actor=actor_of(board.staff), link_id=link.id)
    assert ended.value.code == "not_live"


def test_a_proxy_answers_for_their_own_consent(board, family, page_as, actor_of, consent_guard):  # noqa: F811
    elder, son = family
    link = people_ops.request_proxy_link(actor=actor_of(son), relative_phone=elder.phone)
    people_ops.confirm_proxy_link(actor=actor_of(board.staff), link_id=link.id, check_kind="member_card")
    give_consent(person_id=son.id, version="2026-11-26")
    session().commit()
    son_browser = page_as(son)
    son_browser.post(f"/family/{link.id}/act")

    assert son_browser.get("/board").status_code == 200
    assert "孙小军 正在为 孙奶奶 代办" in son_browser.get("/").get_data(as_text=True)
    session().expire_all()
    assert session().get(type(elder), elder.id).consent_version is None
