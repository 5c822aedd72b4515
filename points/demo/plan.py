"""What the demo community holds: its places, stations, units, logins and generated people."""

from __future__ import annotations

import random
from dataclasses import dataclass

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
