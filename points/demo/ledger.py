"""A realistic ledger history for the demo: awards pending, posted and rejected,
manual awards, a reversal, redemptions and a budget. Idempotent: every transfer
key is fixed, and approvals, rejections and reversals already done are skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import click

from points.auth.current import actor_for
from points.db import LOCAL_TZ
from points.ledger import operations as ops
from points.ledger import spending
from points.ledger.queries import last_transfer_id, resolution_of, reversal_of

SEED = 20261122
DAYS = 90
TASKS = [
    "清扫楼道",
    "助老送餐",
    "文明劝导",
    "垃圾分类宣传",
    "应急值守",
    "政策宣讲",
    "矛盾调解",
    "文体活动组织",
]
REJECTIONS = ["未到场签到", "重复申报", "服务时长不足"]


def _history_plan(objects: dict, rng: random.Random, start: datetime) -> list[tuple]:
    """Awards of the last DAYS in every community, oldest first: (when, community, person,
    is member, requester id, checker, n). Each community's staff request; someone else approves:
    the street admin for the first street, the admin over the tree for the rest."""
    logins = objects["logins"]
    members = {p.id for p in objects["party_members"]}
    admin, street_admin = actor_for(logins["admin"]), actor_for(logins["street_admin"])
    plan = []
    for index, community in enumerate(objects["communities"]):
        residents = [p for p in objects["people"] if p.community_id == community.id]
        requester = objects["staff_ids"][community.id][0]
        checker = street_admin if index < 2 else admin
        # Nobody is paid by an award they ask for or approve.
        candidates = [p for p in residents if p.id not in (requester, checker.person_id)]
        for n in range(60 if index == 0 else 30):
            person = rng.choice(candidates)
            when = start + timedelta(days=rng.uniform(0, DAYS), minutes=n)
            plan.append((when, community, person, person.id in members, requester, checker, n))
    return sorted(plan, key=lambda item: item[0])


def _play(item: tuple, rng: random.Random) -> None:
    """One planned award: auto-posted, approved, rejected, or left waiting in the queue."""
    when, community, person, is_member, requester, checker, n = item
    kind = "hongsong" if is_member else "xingan"
    amount = rng.choice([2, 3, 5, 5, 8, 10]) * (2 if kind == "hongsong" else 1)
    task = rng.choice(TASKS)
    fate = rng.random()
    rejection = rng.choice(REJECTIONS)  # drawn every time, so reruns draw the same
    row = ops.request_award(
        community_id=community.id,
        recipient_type="person",
        recipient_id=person.id,
        kind=kind,
        amount=amount,
        reason="task_award" if kind == "hongsong" else "checkin_award",
        proof="claim" if kind == "hongsong" else "checkin",
        idempotency_key=f"demo:{community.id}:{n}:award",
        memo=task,
        requested_by_id=requester,
        auto_post=kind == "xingan" and fate < 0.5,
        now=when,
    )
    if row["status"] != "pending" or resolution_of(row) is not None:
        return
    if fate < 0.85:
        ops.approve_award(actor=checker, transfer_id=row["id"], now=when + timedelta(hours=20))
    elif fate < 0.93:
        ops.reject_award(
            actor=checker, transfer_id=row["id"], reason=rejection, now=when + timedelta(hours=30)
        )


def _award_approved(objects: dict, *, key: str, when: datetime, approve: bool = True, **award) -> dict:
    """An award the first staff member asks for in the first community, which the second approves."""
    logins = objects["logins"]
    staff, staff_2 = actor_for(logins["staff"]), actor_for(logins["staff_2"])
    row = ops.request_award(
        community_id=objects["communities"][0].id,
        reason="task_award",
        proof="claim",
        idempotency_key=key,
        requested_by_id=staff.person_id,
        now=when,
        **award,
    )
    if approve and resolution_of(row) is None:
        ops.approve_award(actor=staff_2, transfer_id=row["id"], now=when + timedelta(hours=3))
    return row


def _named_awards(objects: dict, end: datetime) -> None:
    """The demo logins' own awards, a unit's award for the unit report, and two discretionary
    awards (one approved, one waiting)."""
    logins = objects["logins"]
    _award_approved(
        objects, key="demo:fixed:0:award", when=end - timedelta(days=10), recipient_type="person",
        recipient_id=logins["party_member"].id, kind="hongsong", amount=15, memo="助老送餐（党员先锋岗）",
    )  # fmt: skip
    _award_approved(
        objects, key="demo:fixed:1:award", when=end - timedelta(days=9), recipient_type="person",
        recipient_id=logins["resident"].id, kind="xingan", amount=8, memo="楼道清扫",
    )  # fmt: skip
    _award_approved(
        objects, key="demo:unit:0:award", when=end - timedelta(days=7), recipient_type="unit",
        recipient_id=objects["units"][0].id, kind="hongsong", amount=30, memo="共建单位：社区环境整治",
    )  # fmt: skip
    staff, staff_2 = actor_for(logins["staff"]), actor_for(logins["staff_2"])
    manual = [
        (logins["resident"], "xingan", 6, "冬季扫雪义务劳动（组织者证明）", True),
        (logins["party_member"], "hongsong", 10, "协助社区疫苗接种登记", False),
    ]
    for n, (person, kind, amount, memo, approve) in enumerate(manual):
        when = end - timedelta(days=5 - n)
        row = ops.create_manual_award(
            actor=staff,
            community_id=objects["communities"][0].id,
            recipient_type="person",
            recipient_id=person.id,
            kind=kind,
            amount=amount,
            memo=memo,
            evidence="照片存档于社区",
            idempotency_key=f"demo:manual:{n}",
            now=when,
        )
        if approve and resolution_of(row) is None:
            ops.approve_award(actor=staff_2, transfer_id=row["id"], now=when + timedelta(hours=2))


def _corrected_award(objects: dict, end: datetime) -> None:
    """A wrong award, corrected by a reversal one staff member asks for and the other approves."""
    logins = objects["logins"]
    wrong = ops.request_award(
        community_id=objects["communities"][0].id,
        recipient_type="person",
        recipient_id=logins["resident"].id,
        kind="xingan",
        amount=20,
        reason="checkin_award",
        proof="checkin",
        idempotency_key="demo:wrong:award",
        memo="值班（误录为4小时）",
        auto_post=True,
        now=end - timedelta(days=3),
    )
    if reversal_of(wrong) is None:
        request = ops.reverse_transfer(
            actor=actor_for(logins["staff_2"]),
            transfer_id=wrong["id"],
            reason="时长录入错误，冲正后重新发放",
            now=end - timedelta(days=2),
        )
        ops.approve_award(
            actor=actor_for(logins["staff"]), transfer_id=request["id"], now=end - timedelta(days=2, hours=-1)
        )


def load_history(objects: dict, *, now: datetime, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    """Add the history once; return counts of what this run added."""
    rng = random.Random(SEED)
    # The history runs up to a fixed day, so a rerun on a later day writes nothing new.
    local = now.astimezone(LOCAL_TZ)
    end = datetime(local.year, local.month, 1, tzinfo=LOCAL_TZ)
    high_water = last_transfer_id()
    with click.progressbar(_history_plan(objects, rng, end - timedelta(days=DAYS)), label="积分历史") as bar:
        for item in bar:
            _play(item, rng)
    _named_awards(objects, end)
    _corrected_award(objects, end)
    spending.spend(
        community_id=objects["communities"][0].id,
        payer_type="person",
        payer_id=objects["logins"]["resident"].id,
        kind="xingan",
        amount=5,
        idempotency_key="demo:redeem:0",
        memo="兑换：洗衣液一瓶",
        now=end - timedelta(days=1),
    )
    ops.set_budget(
        actor=None, community_id=objects["communities"][0].id, kind="xingan", year=local.year, amount=50_000
    )
    return {"transfers": last_transfer_id() - high_water}
