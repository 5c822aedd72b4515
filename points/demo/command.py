"""Demo data: `flask points demo` loads a realistic community, idempotently."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from points.db import transaction, utcnow
from points.demo.board import load_board
from points.demo.checkin import load_checkins
from points.demo.evaluation import load_evaluation
from points.demo.ledger import load_history
from points.demo.plan import (
    COUNT_KEYS,
    DEMO_PASSWORD,
    LOGINS,
    SEED,
    STATIONS,
    STREETS,
    UNIT_REGISTRATIONS,
    UNITS,
    DemoLogin,
    plan_people,
)
from points.demo.store import load_store
from points.demo.supervision import load_supervision
from points.demo.world import _Loader


@contextmanager
def _progress(show: bool, length: int):
    if not show:
        yield lambda: None
        return
    with click.progressbar(length=length, label="加载演示数据") as bar:
        yield lambda: bar.update(1)


def load_ledger_history(objects: dict, *, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    """Hand the foundation to the ledger's demo history (`points.demo.ledger.load_history`).

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
        added.update(load_supervision(objects, now=now, echo=echo))
        added.update(load_evaluation(objects, now=now, echo=echo))
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
