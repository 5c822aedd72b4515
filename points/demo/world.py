"""Loading the demo's foundation: the org tree, stations, units, people, roles and registrations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import select

from points.access import Actor
from points.auth.current import actor_for
from points.db import session
from points.demo.plan import (
    CITY,
    DEMO_PASSWORD,
    DISTRICT,
    LOGINS,
    STATIONS,
    STREETS,
    UNIT_REGISTRATIONS,
    UNITS,
    PersonPlan,
)
from points.org import operations as org_operations
from points.org.models import OrgNode, Station, Unit
from points.org.queries import all_nodes
from points.people import operations as people_operations
from points.people.models import Person, Registration
from points.people.passwords import hash_password
from points.people.queries import find_person_by_phone, grants_of


class _Loader:
    """Finds or creates each demo thing by its natural key, counting what it adds."""

    def __init__(self, *, now: datetime, advance: Callable[[], None]):
        self.now = now
        self.advance = advance
        self.added: Counter[str] = Counter()
        self.nodes = {(n.parent_id, n.name): n for n in all_nodes()}
        self.streets: list[OrgNode] = []
        self.communities: list[OrgNode] = []
        self.grids: list[list[OrgNode]] = []
        self.stations: list[Station] = []
        self.units: list[Unit] = []
        self.people: list[Person] = []
        self.logins: dict[str, Person] = {}
        self.admin: Actor | None = None
        self._shared_hash: str | None = None

    def ago(self, days: int) -> datetime:
        return self.now - timedelta(days=days)

    def scope(self, scope: str) -> dict[str, int]:
        """'tree', 'street:0', 'community:1', 'grid:0:2', 'unit:0' as grant_role arguments."""
        kind, *index = scope.split(":")
        at = [int(i) for i in index]
        if kind == "tree":
            return {}
        if kind == "unit":
            return {"unit_id": self.units[at[0]].id}
        if kind == "street":
            return {"node_id": self.streets[at[0]].id}
        if kind == "community":
            return {"node_id": self.communities[at[0]].id}
        return {"node_id": self.grids[at[0]][at[1]].id}

    def node(self, parent: OrgNode | None, level: str, name: str, counter: str) -> OrgNode:
        parent_id = parent.id if parent else None
        node = self.nodes.get((parent_id, name))
        if node is None:
            node = org_operations.create_node(actor=self.admin, parent_id=parent_id, level=level, name=name)
            self.nodes[(parent_id, name)] = node
            self.added[counter] += 1
        self.advance()
        return node

    def tree(self) -> None:
        city = self.node(None, "city", CITY, "cities")
        district = self.node(city, "district", DISTRICT, "districts")
        for street_name, communities in STREETS:
            street = self.node(district, "street", street_name, "streets")
            self.streets.append(street)
            for community_name, grid_names in communities:
                community = self.node(street, "community", community_name, "communities")
                self.communities.append(community)
                self.grids.append([self.node(community, "grid", g, "grids") for g in grid_names])

    def load_stations(self) -> None:
        for scope, kind, name, address in STATIONS:
            node_id = self.scope(scope)["node_id"]
            station = (
                session()
                .exec(select(Station).where(Station.node_id == node_id, Station.name == name))
                .first()
            )
            if station is None:
                station = org_operations.create_station(
                    actor=self.admin, node_id=node_id, kind=kind, name=name, address=address
                )
                self.added["stations"] += 1
            self.stations.append(station)
            self.advance()

    def load_units(self) -> None:
        for i, (name, party_org_name, address) in enumerate(UNITS):
            unit = session().exec(select(Unit).where(Unit.name == name)).first()
            if unit is None:
                unit = org_operations.create_unit(
                    actor=self.admin,
                    name=name,
                    party_org_name=party_org_name,
                    address=address,
                    contact_phone=f"0458-36000{i + 1:02d}",
                )
                self.added["units"] += 1
            self.units.append(unit)
            self.advance()

    def person(self, plan: PersonPlan) -> Person:
        person = find_person_by_phone(plan.phone)
        if person is None:
            community = self.communities[plan.community]
            # People and roles come from the seed itself, like a roster import, not from
            # the admin's hand: otherwise the admin would be tied to everyone (independence).
            person = people_operations.create_person(
                actor=None,
                phone=plan.phone,
                name=plan.name,
                community_id=community.id,
                grid_id=self.grids[plan.community][plan.grid].id if plan.grid is not None else None,
                is_party_member=plan.is_party_member,
                work_unit_id=self.units[plan.work_unit].id if plan.work_unit is not None else None,
                now=self.ago(plan.created_days_ago),
            )
            # Everyone shares the demo password, so one deliberately slow argon2
            # run serves them all instead of one per person.
            person.password_hash = self.shared_hash()
            self.added["people"] += 1
            self.added["party_members"] += plan.is_party_member
        return person

    def shared_hash(self) -> str:
        if self._shared_hash is None:
            self._shared_hash = hash_password(DEMO_PASSWORD)
        return self._shared_hash

    def grant(self, person: Person, role: str, scope: str, days_ago: int) -> None:
        target = self.scope(scope)
        held = {(g.role, g.node_id, g.unit_id) for g, _node, _unit in grants_of(person.id)}
        if (role, target.get("node_id"), target.get("unit_id")) in held:
            return
        people_operations.grant_role(
            actor=None, person_id=person.id, role=role, now=self.ago(days_ago), **target
        )
        self.added["roles"] += 1

    def load_admin(self, plan: PersonPlan) -> None:
        """The admin is made by nobody (like `create-admin`); everything after is done as them."""
        person = self.person(plan)
        for role, scope in plan.login.roles:
            self.grant(person, role, scope, plan.created_days_ago)
        self.admin = actor_for(person)

    def load_people(self, plans: list[PersonPlan]) -> None:
        for plan in plans:
            person = self.person(plan)
            if plan.login:
                self.logins[plan.login.key] = person
                for role, scope in plan.login.roles:
                    self.grant(person, role, scope, plan.created_days_ago)
            self.people.append(person)
            self.advance()

    def staff_actor(self, community: int) -> Actor:
        """The community's first staff member, who decides its registrations."""
        staff_id = self.staff_ids()[self.communities[community].id][0]
        return actor_for(session().get(Person, staff_id))

    def staff_ids(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {c.id: [] for c in self.communities}
        for login in LOGINS:
            for role, scope in login.roles:
                if role == "staff":
                    out[self.scope(scope)["node_id"]].append(self.logins[login.key].id)
        return out

    def load_member_registrations(self, plans: list[PersonPlan]) -> None:
        deciders = {i: self.staff_actor(i) for i in range(len(self.communities))}
        for plan, person in zip(plans, self.people, strict=True):
            if plan.registration is None:
                continue
            existing = (
                session()
                .exec(
                    select(Registration.id).where(
                        Registration.kind == "member", Registration.person_id == person.id
                    )
                )
                .first()
            )
            if existing is None:
                reg = people_operations.request_registration(
                    actor=actor_for(person),
                    kind="member",
                    community_id=self.communities[plan.community].id,
                    now=self.ago(plan.requested_days_ago),
                )
                if plan.registration == "confirmed":
                    people_operations.decide_registration(
                        actor=deciders[plan.community],
                        registration_id=reg.id,
                        confirm=True,
                        now=self.ago(plan.decided_days_ago),
                    )
                self.added["registrations"] += 1
            self.advance()

    def load_unit_registrations(self) -> None:
        unit_admin = actor_for(self.logins["unit_admin"])
        for unit_index, community_index, confirmed in UNIT_REGISTRATIONS:
            unit, community = self.units[unit_index], self.communities[community_index]
            existing = (
                session()
                .exec(
                    select(Registration.id).where(
                        Registration.kind == "unit",
                        Registration.unit_id == unit.id,
                        Registration.community_id == community.id,
                    )
                )
                .first()
            )
            if existing is None:
                # The first unit reports itself through its own admin; the
                # others were entered by the district admin on their behalf.
                requester = unit_admin if "unit_admin" in unit_admin.roles_over_unit(unit.id) else self.admin
                reg = people_operations.request_registration(
                    actor=requester,
                    kind="unit",
                    community_id=community.id,
                    unit_id=unit.id,
                    now=self.ago(300 if confirmed else 3),
                )
                if confirmed:
                    people_operations.decide_registration(
                        actor=self.staff_actor(community_index),
                        registration_id=reg.id,
                        confirm=True,
                        now=self.ago(298),
                    )
                self.added["registrations"] += 1
            self.advance()

    def objects(self, plans: list[PersonPlan]) -> dict:
        acting = [
            person
            for plan, person in zip(plans, self.people, strict=True)
            if plan.is_party_member and plan.registration == "confirmed"
        ]
        city = self.nodes[(None, CITY)]
        return {
            "now": self.now,
            "city": city,
            "district": self.nodes[(city.id, DISTRICT)],
            "streets": list(self.streets),
            "communities": list(self.communities),
            "grids": [list(g) for g in self.grids],
            "stations": list(self.stations),
            "units": list(self.units),
            "people": list(self.people),
            "party_members": acting,
            "logins": dict(self.logins),
            "staff_ids": self.staff_ids(),
        }
