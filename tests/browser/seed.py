"""Rows the browser stories set up in the live server's database: a community of their own beside
the live server's, people who log in with the browser tests' password, staff members."""

from __future__ import annotations

from points.org import operations as org
from points.org.queries import get_node
from points.people import operations as people_ops
from tests.browser.conftest import PASSWORD


def community_beside(live_server, name: str, **station):
    """A community of its own in the live server's street, and its station `<name>党群服务站`
    (`station`: the station's other fields, e.g. `address=`)."""
    street = get_node(live_server.community_id).parent_id
    community = org.create_node(actor=None, parent_id=street, level="community", name=name)
    place = org.create_station(
        actor=None, node_id=community.id, kind="station", name=f"{name}党群服务站", **station
    )
    return community, place


def person_at(community_id: int, phone: str, name: str, **more):
    """Someone living in the community who logs in with PASSWORD (`more`: `is_party_member=`, …)."""
    return people_ops.create_person(
        actor=None, phone=phone, name=name, password=PASSWORD, community_id=community_id, **more
    )


def staff_at(community_id: int, *people: tuple[str, str]) -> list:
    """Staff members of the community, one for each (phone, name), who log in with PASSWORD."""
    made = []
    for phone, name in people:
        person = person_at(community_id, phone, name)
        people_ops.grant_role(actor=None, person_id=person.id, role="staff", node_id=community_id)
        made.append(person)
    return made
