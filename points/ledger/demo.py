"""A realistic ledger history for the demo: awards pending, posted and rejected,
manual awards, a reversal, redemptions and a budget. Idempotent: every transfer
key is fixed, and approvals, rejections and reversals already done are skipped.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import click
import sqlalchemy as sa

from points.auth.current import actor_for
from points.db import LOCAL_TZ, session
from points.ledger import operations as ops
from points.ledger.models import Transfer
from points.ledger.queries import resolution_of, reversal_of

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


def load_history(objects: dict, *, now: datetime, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    """Add the history once; return counts of what this run added."""
    rng = random.Random(SEED)
    logins = objects["logins"]
    communities = objects["communities"]
    people_by_community: dict[int, list] = {c.id: [] for c in communities}
    for person in objects["people"]:
        if person.community_id in people_by_community:
            people_by_community[person.community_id].append(person)
    members = {p.id for p in objects["party_members"]}
    # Maker–checker: each community's staff request; someone else approves: a second staff
    # member where there is one, else the street level (here the admin over the tree).
    admin = actor_for(logins["admin"])
    street_admin = actor_for(logins["street_admin"])
    staff_ids = objects["staff_ids"]
    # The history runs up to a fixed day, so a rerun on a later day writes nothing new.
    local = now.astimezone(LOCAL_TZ)
    end = datetime(local.year, local.month, 1, tzinfo=LOCAL_TZ)
    start = end - timedelta(days=DAYS)
    plan = []
    for index, community in enumerate(communities):
        residents = people_by_community[community.id]
        requester = staff_ids[community.id][0]
        checker = street_admin if index < 2 else admin
        # Nobody is paid by an award they ask for or approve.
        candidates = [p for p in residents if p.id not in (requester, checker.person_id)]
        for n in range(60 if index == 0 else 30):
            person = rng.choice(candidates)
            is_member = person.id in members
            when = start + timedelta(days=rng.uniform(0, DAYS), minutes=n)
            plan.append((when, community, person, is_member, requester, checker, n))
    plan.sort(key=lambda item: item[0])
    fixed = [
        (logins["party_member"], True, 15, "hongsong", "助老送餐（党员先锋岗）"),
        (logins["resident"], False, 8, "xingan", "楼道清扫"),
    ]
    first = communities[0]
    high_water = _high_water()
    with click.progressbar(plan, label="积分历史") as bar:
        for when, community, person, is_member, requester, checker, n in bar:
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
            if row["status"] != "pending" or resolution_of(row["id"]) is not None:
                continue
            if fate < 0.85:
                ops.approve_award(actor=checker, transfer_id=row["id"], now=when + timedelta(hours=20))
            elif fate < 0.93:
                ops.reject_award(
                    actor=checker, transfer_id=row["id"], reason=rejection, now=when + timedelta(hours=30)
                )
            # the rest stay pending, waiting in the approval queue
    staff, staff_2 = actor_for(logins["staff"]), actor_for(logins["staff_2"])
    for n, (person, _member, amount, kind, memo) in enumerate(fixed):
        when = end - timedelta(days=10 - n)
        row = ops.request_award(
            community_id=first.id,
            recipient_type="person",
            recipient_id=person.id,
            kind=kind,
            amount=amount,
            reason="task_award",
            proof="claim",
            idempotency_key=f"demo:fixed:{n}:award",
            memo=memo,
            requested_by_id=staff.person_id,
            now=when,
        )
        if resolution_of(row["id"]) is None:
            ops.approve_award(actor=staff_2, transfer_id=row["id"], now=when + timedelta(hours=3))
    # A discretionary award, approved by the second staff member, and one waiting.
    for n, (person, amount, memo, approve) in enumerate(
        [
            (logins["resident"], 6, "冬季扫雪义务劳动（组织者证明）", True),
            (logins["party_member"], 10, "协助社区疫苗接种登记", False),
        ]
    ):
        when = end - timedelta(days=5 - n)
        row = ops.create_manual_award(
            actor=staff,
            community_id=first.id,
            recipient_type="person",
            recipient_id=person.id,
            kind="xingan" if n == 0 else "hongsong",
            amount=amount,
            memo=memo,
            evidence="照片存档于社区",
            idempotency_key=f"demo:manual:{n}",
            now=when,
        )
        if approve and resolution_of(row["id"]) is None:
            ops.approve_award(actor=staff_2, transfer_id=row["id"], now=when + timedelta(hours=2))
    # A wrong award, corrected by a reversal.
    wrong = ops.request_award(
        community_id=first.id,
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
    if reversal_of(wrong["id"]) is None:
        # One staff member asks for the correction, the other approves it.
        request = ops.reverse_transfer(
            actor=staff_2,
            transfer_id=wrong["id"],
            reason="时长录入错误，冲正后重新发放",
            now=end - timedelta(days=2),
        )
        ops.approve_award(actor=staff, transfer_id=request["id"], now=end - timedelta(days=2, hours=-1))
    # A redemption in the points store.
    row = ops.spend(
        community_id=first.id,
        payer_type="person",
        payer_id=logins["resident"].id,
        kind="xingan",
        amount=5,
        idempotency_key="demo:redeem:0",
        memo="兑换：洗衣液一瓶",
        now=end - timedelta(days=1),
    )
    # A unit's own award, for the unit report.
    unit_row = ops.request_award(
        community_id=first.id,
        recipient_type="unit",
        recipient_id=objects["units"][0].id,
        kind="hongsong",
        amount=30,
        reason="task_award",
        proof="claim",
        idempotency_key="demo:unit:0:award",
        memo="共建单位：社区环境整治",
        requested_by_id=staff.person_id,
        now=end - timedelta(days=7),
    )
    if resolution_of(unit_row["id"]) is None:
        ops.approve_award(actor=staff_2, transfer_id=unit_row["id"], now=end - timedelta(days=6))
    ops.set_budget(
        actor=None, community_id=first.id, kind="xingan", year=now.astimezone(LOCAL_TZ).year, amount=50_000
    )
    return {"transfers": _high_water() - high_water}


def _high_water() -> int:
    """The largest transfer id before this run: rows above it were added now."""
    return session().execute(sa.select(sa.func.coalesce(sa.func.max(Transfer.id), 0))).scalar_one()
