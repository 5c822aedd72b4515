"""Demo data: `flask points demo` loads a realistic community, idempotently."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from points.access import Actor
from points.auth.current import actor_for
from points.board.demo import load_board
from points.checkin.demo import load_checkins
from points.db import session, transaction, utcnow
from points.ledger.demo import load_history
from points.org import operations as org_operations
from points.org.models import OrgNode, Station, Unit
from points.org.queries import all_nodes
from points.people import operations as people_operations
from points.people.models import Person, Registration
from points.people.passwords import hash_password
from points.people.queries import find_person_by_phone, grants_of
from points.store.demo import load_store

DEMO_PASSWORD = "demo12345"
# A fixed seed: every run plans the same people, so a second run finds them all.
SEED = 20240701
# Written by the ledger's owner; called after the foundation data when present.

CITY = "伊春市"
DISTRICT = "伊美区"
# (street, [(community, [grids])]); communities and grids are addressed by
# their index in this order ("community:0" is 红升社区).
STREETS: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "旭日街道",
        (
            ("红升社区", ("第一网格", "第二网格", "第三网格", "第四网格")),
            ("旭光社区", ("林海小区", "松园小区", "兴安小区")),
        ),
    ),
    (
        "朝阳街道",
        (
            ("朝晖社区", ("第一网格", "第二网格", "第三网格")),
            ("林苑社区", ("青山小区", "翠湖小区", "红松小区", "育林小区")),
        ),
    ),
)

# (scope, kind, name, address)
STATIONS = (
    ("street:0", "center", "旭日街道党群服务中心", "伊美区旭日街道新兴中大街 18 号"),
    ("community:0", "station", "红升社区党群服务站", "伊美区红升社区林都大街 56 号"),
    ("community:1", "outpost", "旭光骑手驿站", "伊美区旭光社区通河路与朝阳路交口"),
)

# (name, party organisation, address)
UNITS = (
    ("伊春市税务局", "伊春市税务局机关党支部", "伊美区新兴中大街 2 号"),
    ("国网伊春供电公司", "国网伊春供电公司伊美供电中心党支部", "伊美区林都大街 120 号"),
    ("伊美区人民医院", "伊美区人民医院党总支", "伊美区朝阳路 33 号"),
    ("伊春市第一中学", "伊春市第一中学党支部", "伊美区育林路 9 号"),
    ("伊美区市场监督管理局", "伊美区市场监督管理局机关党支部", "伊美区青山路 15 号"),
)

# (unit index, community index, confirmed?): units report to communities (双报到).
UNIT_REGISTRATIONS = (
    (0, 0, True),
    (1, 0, True),
    (1, 1, True),
    (2, 1, True),
    (3, 2, True),
    (4, 3, False),
)

# What `load_demo` counts, in the order it reports them.
COUNT_KEYS = (
    "cities",
    "districts",
    "streets",
    "communities",
    "grids",
    "stations",
    "units",
    "people",
    "party_members",
    "roles",
    "registrations",
)


@dataclass(frozen=True)
class DemoLogin:
    """A fixed account printed at the end of the command, password DEMO_PASSWORD."""

    key: str
    phone: str
    name: str
    title: str
    community: int
    grid: int | None
    roles: tuple[tuple[str, str], ...] = ()
    is_party_member: bool = False
    work_unit: int | None = None


# Homes are (community index, grid index or None); scopes as in `_Loader.scope`.
LOGINS = (
    DemoLogin("admin", "13900000000", "王建国", "系统管理员 admin", 1, None, roles=(("admin", "tree"),)),
    DemoLogin("staff", "13900000001", "张丽华", "社区工作者 staff", 0, 1, roles=(("staff", "community:0"),)),
    DemoLogin(
        "party_member", "13900000002", "刘洪涛", "党员 party member", 0, 1, is_party_member=True, work_unit=0
    ),
    DemoLogin("resident", "13900000003", "赵秀英", "居民 resident", 0, 0),
    DemoLogin(
        "unit_admin",
        "13900000004",
        "陈志刚",
        "单位管理员 unit_admin",
        1,
        0,
        roles=(("unit_admin", "unit:0"),),
        is_party_member=True,
        work_unit=0,
    ),
    DemoLogin(
        "supervisor",
        "13900000005",
        "孙桂兰",
        "监督小组 supervisor",
        2,
        0,
        roles=(("supervisor", "street:0"),),
    ),
    DemoLogin(
        "grid_worker",
        "13900000006",
        "李春梅",
        "网格员 grid_worker",
        0,
        0,
        roles=(("grid_worker", "grid:0:0"),),
    ),
    DemoLogin(
        "street_admin",
        "13900000007",
        "周振华",
        "街道管理员 street_admin",
        1,
        1,
        roles=(("street_admin", "street:0"),),
    ),
    # A second staff member in the first community, so one can approve what the other asked for.
    DemoLogin(
        "staff_2", "13900000008", "杨晓燕", "社区工作者 staff", 0, 2, roles=(("staff", "community:0"),)
    ),
    DemoLogin(
        "staff_c2", "13900000009", "吴海波", "社区工作者 staff", 1, 0, roles=(("staff", "community:1"),)
    ),
    DemoLogin(
        "staff_c3", "13900000010", "郑雪梅", "社区工作者 staff", 2, 1, roles=(("staff", "community:2"),)
    ),
    DemoLogin(
        "staff_c4", "13900000011", "马立新", "社区工作者 staff", 3, 0, roles=(("staff", "community:3"),)
    ),
)

GENERATED_PEOPLE = 188
GENERATED_PARTY_MEMBERS = 58
GENERATED_IN_SERVICE = 46  # party members with a work unit; the rest are retired
GENERATED_PENDING = 5  # member registrations still waiting for staff
GENERATED_UNREGISTERED = 3  # party members who have not reported yet
COMMUNITY_WEIGHTS = (34, 24, 22, 20)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾于董潘田姜崔付白"
    "史孟邢姚谭范尹常贾丁关吕袁魏蒋薛闫侯邵隋"
)
_ONE_CHAR_GIVEN = "伟强军勇磊涛明斌刚鹏海波峰辉丽芳娟敏静霞燕红艳玲杰超"
_TWO_CHAR_GIVEN = (
    "建国志刚建华振华国庆玉海德胜长林春生宏伟继东立新海涛永林树林宝山"
    "秀英桂兰淑珍玉兰凤霞丽华春梅晓燕雪梅美玲秀云淑华丽娟海燕玉芬桂芝"
    "亚楠欣怡梓涵思雨雨桐子轩浩然宇航俊杰佳琪一鸣博文嘉怡诗琪明轩"
)
GIVEN_NAMES = (*_ONE_CHAR_GIVEN, *(_TWO_CHAR_GIVEN[i : i + 2] for i in range(0, len(_TWO_CHAR_GIVEN), 2)))


@dataclass(frozen=True)
class PersonPlan:
    phone: str
    name: str
    community: int
    grid: int | None
    is_party_member: bool
    work_unit: int | None
    registration: str | None  # "confirmed", "pending" or None
    created_days_ago: int
    requested_days_ago: int | None = None
    decided_days_ago: int | None = None
    login: DemoLogin | None = None


def plan_people(rng: random.Random) -> list[PersonPlan]:
    """Everyone the demo holds: the fixed logins, then generated residents and members."""
    plans = [
        PersonPlan(
            phone=login.phone,
            name=login.name,
            community=login.community,
            grid=login.grid,
            is_party_member=login.is_party_member,
            work_unit=login.work_unit,
            registration="confirmed" if login.is_party_member else None,
            created_days_ago=400,
            requested_days_ago=380 if login.is_party_member else None,
            decided_days_ago=378 if login.is_party_member else None,
            login=login,
        )
        for login in LOGINS
    ]
    grid_counts = [len(grids) for _, communities in STREETS for _, grids in communities]
    members = sorted(rng.sample(range(GENERATED_PEOPLE), GENERATED_PARTY_MEMBERS))
    in_service = set(rng.sample(members, GENERATED_IN_SERVICE))
    states = (
        ["pending"] * GENERATED_PENDING
        + [None] * GENERATED_UNREGISTERED
        + ["confirmed"] * (GENERATED_PARTY_MEMBERS - GENERATED_PENDING - GENERATED_UNREGISTERED)
    )
    rng.shuffle(states)
    state_of = dict(zip(members, states, strict=True))
    for i in range(GENERATED_PEOPLE):
        community = rng.choices(range(len(grid_counts)), weights=COMMUNITY_WEIGHTS)[0]
        grid = None if rng.random() < 0.05 else rng.randrange(grid_counts[community])
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        created = rng.randint(30, 900)
        state = state_of.get(i)
        requested = decided = None
        if state == "confirmed":
            requested = rng.randint(8, created)
            decided = max(requested - rng.randint(1, 5), 0)
        elif state == "pending":
            requested = rng.randint(1, min(14, created))
        plans.append(
            PersonPlan(
                phone=f"1380000{i + 1:04d}",
                name=name,
                community=community,
                grid=grid,
                is_party_member=i in state_of,
                work_unit=rng.randrange(len(UNITS)) if i in in_service else None,
                registration=state,
                created_days_ago=created,
                requested_days_ago=requested,
                decided_days_ago=decided,
            )
        )
    return plans


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


@contextmanager
def _progress(show: bool, length: int):
    if not show:
        yield lambda: None
        return
    with click.progressbar(length=length, label="加载演示数据") as bar:
        yield lambda: bar.update(1)


def load_ledger_history(objects: dict, *, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    """Hand the foundation to the ledger's demo history (`points.ledger.demo.load_history`).

    It runs in the demo's transaction, after the foundation is in place, and
    must itself be idempotent (a second run adds nothing; `now` differs between
    runs, so its idempotency keys must not depend on it). It is called as
    `load_history(objects, now=objects["now"], echo=echo)` and may return a dict
    of counts of what it added, merged into the demo's counts. `objects` holds,
    whether this run created them or found them:

    - `now`: the aware UTC datetime the demo treats as the present;
    - `city`, `district`: the `OrgNode`s of 伊春市 and 伊美区;
    - `streets`: the two street `OrgNode`s, in order (旭日街道 first);
    - `communities`: the four community `OrgNode`s, in order (红升社区 first;
      the first two lie in the first street);
    - `grids`: per community (same order), its list of grid `OrgNode`s;
    - `stations`: the three `Station`s: the street's service centre, the first
      community's service station, the second community's riders' outpost;
    - `units`: the five `Unit`s, in order (伊春市税务局 first);
    - `people`: every demo `Person` (the fixed logins first, then the generated);
    - `party_members`: the people who act as party members (confirmed registration);
    - `logins`: the fixed accounts by key: admin, staff, party_member, resident,
      unit_admin, supervisor, grid_worker, street_admin, staff_2 (second staff of
      the first community), staff_c2, staff_c3, staff_c4;
    - `staff_ids`: community id -> ids of its staff (the first one decides its
      registrations; the first community has two, so one can approve what the
      other requested).
    """
    return dict(load_history(objects, now=objects["now"], echo=echo) or {})


def load_demo(
    *, echo: Callable[..., None] = click.echo, now: datetime | None = None, progress: bool = True
) -> dict[str, int]:
    """Load the demo in one transaction, adding only what is missing; return counts of what was added.

    Keys: cities, districts, streets, communities, grids, stations, units,
    people, party_members, roles, registrations (member and unit), plus any the
    ledger's history adds. A second run returns all zeros. Says what it did
    through `echo`.
    """
    now = now or utcnow()
    plans = plan_people(random.Random(SEED))
    nodes = 2 + len(STREETS) + sum(1 + len(grids) for _s, communities in STREETS for _c, grids in communities)
    steps = nodes + len(STATIONS) + len(UNITS) + len(plans) + len(UNIT_REGISTRATIONS)
    steps += sum(1 for p in plans if p.registration)
    with transaction():
        with _progress(progress, steps) as advance:
            loader = _Loader(now=now, advance=advance)
            # The tree is the system's own, like `create-admin`; the admin needs a home in it.
            loader.tree()
            loader.load_admin(next(p for p in plans if p.login and p.login.key == "admin"))
            loader.load_stations()
            loader.load_units()
            loader.load_people(plans)
            loader.load_member_registrations(plans)
            loader.load_unit_registrations()
        added = {key: loader.added[key] for key in COUNT_KEYS}
        objects = loader.objects(plans)
        added.update(load_ledger_history(objects, echo=echo))
        added.update(load_board(objects, now=now, echo=echo))
        added.update(load_checkins(objects, now=now, echo=echo))
        added.update(load_store(objects, now=now, echo=echo))
    if any(added.values()):
        echo("Added: " + ", ".join(f"{key} {n}" for key, n in added.items() if n))
    else:
        echo("The demo data is already there; nothing was added.")
    return added


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def scope_label(login: DemoLogin) -> str:
    names = {f"street:{i}": s for i, (s, _c) in enumerate(STREETS)}
    communities = [c for _s, cs in STREETS for c in cs]
    names.update({f"community:{i}": c for i, (c, _g) in enumerate(communities)})
    names.update(
        {f"grid:{i}:{j}": f"{c} {g}" for i, (c, gs) in enumerate(communities) for j, g in enumerate(gs)}
    )
    names.update({f"unit:{i}": u[0] for i, u in enumerate(UNITS)})
    names["tree"] = "全部"
    if login.roles:
        return "、".join(names[scope] for _role, scope in login.roles)
    home = communities[login.community]
    label = home[0] if login.grid is None else f"{home[0]} {home[1][login.grid]}"
    if login.is_party_member:
        label += f"（已报到，单位：{UNITS[login.work_unit][0]}）"
    return label


def echo_logins(echo: Callable[..., None] = click.echo) -> None:
    rows = [("角色 role", "手机号 phone", "姓名", "范围 scope")]
    rows += [(login.title, login.phone, login.name, scope_label(login)) for login in LOGINS]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    echo(f"\nDemo logins (password {DEMO_PASSWORD}):")
    for row in rows:
        echo("  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo data: 伊春市伊美区, two streets, four communities, about 200 people (safe to run twice)."""
    if current_app.config.get("ENV_NAME") == "production":
        # Its fixed logins share one published password, an admin among them.
        raise click.ClickException(
            "refused: the demo data (fixed logins with a published password, an admin among them)"
            " is never loaded under the production settings (POINTS_ENV=production)"
        )
    load_demo()
    echo_logins()
