"""A community with a store: two staff members, residents with 兴安分, an item factory."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from tests.builders import award_points
from tests.conftest import settings

_keys = itertools.count(1)

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai, a Friday


@pytest.fixture(autouse=True)
def media(app, tmp_path):
    """Photos go to a folder of the test's own."""
    with settings(app, MEDIA_FOLDER=str(tmp_path / "media")):
        yield tmp_path / "media" / "store"


@pytest.fixture
def give_points(app):

    def give(person, amount: int, *, community=None, kind: str = "xingan"):
        award_points(
            community.id if community is not None else person.community_id,
            person.id,
            amount,
            f"test-points:{next(_keys)}",
            kind=kind,
            now=NOW,
        )

    return give


@pytest.fixture
def shop(make_node, make_person, actor_of, give_points):
    """Community A with a station, staff S1 and S2, residents R (100 points) and R2 (10 points),
    and community B with a resident of its own."""
    from points.org import operations as org

    street = make_node("street")
    a, b = make_node("community", street), make_node("community", street)
    station = org.create_station(actor=None, node_id=a.id, kind="station", name="党群服务站")
    s1 = make_person(community=a, roles=[("staff", a)], name="工作人员甲")
    s2 = make_person(community=a, roles=[("staff", a)], name="工作人员乙")
    r = make_person(community=a, name="居民甲")
    r2 = make_person(community=a, name="居民乙")
    rb = make_person(community=b, name="居民丙")
    sb = make_person(community=b, roles=[("staff", b)], name="乙社区工作人员")
    give_points(r, 100)
    give_points(r2, 10)
    give_points(rb, 100)
    return SimpleNamespace(
        a=a,
        b=b,
        street=street,
        station=station,
        staff=s1,
        staff2=s2,
        resident=r,
        poor=r2,
        other=rb,
        staff_actor=actor_of(s1),
        staff2_actor=actor_of(s2),
        actor=actor_of(r),
        b_staff_actor=actor_of(sb),
    )


@pytest.fixture
def make_item(shop):
    from points.store import operations

    def make(*, community=None, price: int = 8, stock: int = 5, actor=None, **fields):
        community = community or shop.a
        return operations.create_item(
            actor=actor or (shop.staff_actor if community is shop.a else shop.b_staff_actor),
            community_id=community.id,
            name=fields.pop("name", "大米 5kg"),
            price=price,
            stock=stock,
            now=NOW,
            **fields,
        )

    return make
