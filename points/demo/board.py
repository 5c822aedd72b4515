"""A living board for the demo: open, full, done, cancelled and draft tasks, demands in every
state with ratings, resources and a project, all made through the board's and the demands'
operations.

Idempotent: the board of the first community is made once, in the demo's transaction;
a later run finds it and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import click
from sqlmodel import select

from points.auth.current import actor_for
from points.board import operations as ops
from points.board.models import Claim, Task
from points.db import LOCAL_TZ, session
from points.demands import operations as demands
from points.ledger import operations as ledger

MARKER = "冬季楼道清扫"


def _at(now: datetime, days: int, hour: int = 9) -> datetime:
    """A round local hour `days` from today, so the board reads naturally."""
    day = (now + timedelta(days=days)).astimezone(LOCAL_TZ)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)


class _Board:
    """The first community's board, made step by step through the operations."""

    def __init__(self, objects: dict, now: datetime):
        self.now = now
        self.objects = objects
        self.first = objects["communities"][0]
        logins = objects["logins"]
        self.staff, self.staff_2 = actor_for(logins["staff"]), actor_for(logins["staff_2"])
        self.member, self.resident = actor_for(logins["party_member"]), actor_for(logins["resident"])
        self.unit_admin, self.grid_worker = actor_for(logins["unit_admin"]), actor_for(logins["grid_worker"])
        self.unit = objects["units"][0]
        self.station = next(s for s in objects["stations"] if s.node_id == self.first.id)
        self.locals = [
            p
            for p in objects["people"][len(logins) :]
            if p.community_id == self.first.id and not p.is_party_member and not p.is_suspended
        ]
        self.counts = {"tasks": 0, "claims": 0, "demands": 0, "resources": 0, "projects": 0}

    def at(self, days: int, hour: int = 9) -> datetime:
        return _at(self.now, days, hour)

    def task(self, *, created: datetime, **fields) -> Task:
        fields.setdefault("claim_deadline", fields["starts_at"])
        made = ops.create_task(actor=self.staff, community_id=self.first.id, now=created, **fields)
        self.counts["tasks"] += 1
        return made

    def claim(self, actor, made: Task, when: datetime, **kw):
        self.counts["claims"] += 1
        return ops.claim_task(actor=actor, task_id=made.id, now=when, **kw)

    def open_tasks(self) -> None:
        """Open tasks, claimable now: anyone's, and party members' only."""
        sweep = self.task(
            created=self.at(-2),
            title=MARKER,
            description="3号楼至8号楼楼道清扫、清理小广告，工具在服务站领取。",
            category="环境整治",
            station_id=self.station.id,
            place="红升社区3—8号楼",
            starts_at=self.at(2, 9),
            ends_at=self.at(2, 11),
            slots=6,
            eligibility="anyone",
            reward_hongsong=10,
            reward_xingan=5,
            requires_checkin=True,
            allows_walk_in=True,
            post=True,
        )
        for person in self.locals[:2]:
            self.claim(actor_for(person), sweep, self.at(-1))
        meals = self.task(
            created=self.at(-3),
            title="助老送餐（党员先锋岗）",
            description="为12户独居老人送午餐，每人负责3户。",
            category="助老助残",
            place="社区老年食堂",
            starts_at=self.at(1, 11),
            ends_at=self.at(1, 13),
            slots=4,
            eligibility="party_members",
            reward_hongsong=15,
            requires_unit_confirm=True,
            post=True,
        )
        self.claim(self.member, meals, self.at(-1))

    def unit_duty(self) -> None:
        """A task for units, claimed by the first unit's admin."""
        duty = self.task(
            created=self.at(-1),
            title="社区应急值守",
            description="寒潮期间夜间值守，单位派员轮班。",
            category="应急值守",
            station_id=self.station.id,
            starts_at=self.at(3, 18),
            ends_at=self.at(3, 22),
            slots=2,
            eligibility="units",
            reward_hongsong=30,
            post=True,
        )
        self.claim(self.unit_admin, duty, self.at(-1, 8), unit_id=self.unit.id)

    def full_task(self) -> None:
        """A full task: both slots went at once."""
        flyers = self.task(
            created=self.at(-2),
            title="垃圾分类宣传",
            description="在小区门口发放垃圾分类宣传单。",
            category="文明劝导",
            place="小区东门",
            starts_at=self.at(3, 9),
            ends_at=self.at(3, 11),
            slots=2,
            eligibility="residents",
            reward_xingan=6,
            post=True,
        )
        self.claim(self.resident, flyers, self.at(-2, 10))
        self.claim(actor_for(self.locals[2]), flyers, self.at(-2, 11))

    def requested_show(self):
        """A resident's request, accepted as a task."""
        asked = demands.request_help(
            actor=self.resident,
            category="文体活动",
            details="想请社区在重阳节组织一场老年人文艺汇演。",
            preferred_time="重阳节前后",
            now=self.at(-20),
        )
        show = demands.accept_demand(
            actor=self.staff,
            demand_id=asked.id,
            task={
                "title": "重阳节文艺汇演布场",
                "description": "搬运桌椅、布置舞台、维持秩序。",
                "place": "社区文化广场",
                "starts_at": self.at(-10, 8),
                "ends_at": self.at(-10, 12),
                "slots": 5,
                "eligibility": "anyone",
                "reward_hongsong": 12,
                "reward_xingan": 8,
                "requires_unit_confirm": True,
            },
            now=self.at(-18),
        )
        self.counts["tasks"] += 1
        self.counts["demands"] += 1
        return asked, show

    def done_task(self) -> None:
        """The request's task done: verified on both sides, awards approved or waiting, one
        no-show; the resident rated it."""
        asked, show = self.requested_show()
        helpers = [self.resident, self.member, actor_for(self.locals[3]), actor_for(self.locals[4])]
        made = [self.claim(actor, show, self.at(-15)) for actor in helpers]
        for actor, done in zip(helpers[:3], made[:3], strict=True):
            ops.submit_claim(actor=actor, claim_id=done.id, note="已完成布场", now=self.at(-10, 13))
        ops.mark_no_show(actor=self.staff, claim_id=made[3].id, now=self.at(-10, 13))
        for done in made[:3]:
            ops.verify_claim(actor=self.staff, claim_id=done.id, now=self.at(-9))
        ops.verify_claim(actor=self.unit_admin, claim_id=made[1].id, now=self.at(-8))
        for done in (made[0], made[2]):
            transfer_id = session().get(Claim, done.id).award_transfer_id
            ledger.approve_award(actor=self.staff_2, transfer_id=transfer_id, now=self.at(-7))
        ops.complete_task(actor=self.staff, task_id=show.id, now=self.at(-9))
        demands.rate_demand(
            actor=self.resident,
            demand_id=asked.id,
            rating=5,
            comment="活动很热闹，谢谢社区！",
            now=self.at(-6),
        )

    def cancelled_and_draft(self) -> None:
        talk = self.task(
            created=self.at(-6),
            title="户外政策宣讲",
            category="政策宣讲",
            place="小区广场",
            starts_at=self.at(1, 14),
            ends_at=self.at(1, 16),
            slots=3,
            eligibility="party_members",
            reward_hongsong=8,
            post=True,
        )
        self.claim(self.member, talk, self.at(-3))
        ops.cancel_task(actor=self.staff, task_id=talk.id, reason="大风降温，改期举行", now=self.at(-1))
        self.task(
            created=self.at(-1, 16),
            title="春节送温暖走访",
            description="走访困难家庭，送米面油。",
            category="助老助残",
            starts_at=self.at(20, 9),
            ends_at=self.at(20, 17),
            slots=8,
            eligibility="party_members",
            reward_hongsong=20,
        )

    def waiting_demands(self):
        """Demands waiting, declined and withdrawn; returns the lonely neighbour's, for a project."""
        demands.request_help(
            actor=self.resident,
            category="便民服务",
            details="楼下路灯不亮，晚上出行不便。",
            place="5号楼北侧",
            now=self.at(-1, 8),
        )
        grid = self.objects["grids"][0][0].id
        lonely = demands.request_help(
            actor=self.grid_worker,
            requester_id=next(p for p in self.locals[5:] if p.grid_id == grid).id,
            category="助老助残",
            details="独居老人行动不便，希望有人每周上门探访、代买生活用品。",
            preferred_time="每周六上午",
            now=self.at(-2),
        )
        parking = demands.request_help(
            actor=actor_for(self.locals[6]),
            category="矛盾调解",
            details="希望在小区内增设停车位。",
            now=self.at(-5),
        )
        demands.decline_demand(
            actor=self.staff,
            demand_id=parking.id,
            reason="不属于社区服务范围，已转交物业公司",
            now=self.at(-4),
        )
        mover = actor_for(self.locals[7])
        gone = demands.request_help(
            actor=mover, category="便民服务", details="需要帮忙搬家具。", now=self.at(-3)
        )
        demands.withdraw_demand(actor=mover, demand_id=gone.id, now=self.at(-2, 15))
        self.counts["demands"] += 4
        return lonely

    def dispatched_demand(self) -> None:
        """A demand accepted as a task and dispatched to the party member at once."""
        tap = demands.request_help(
            actor=self.resident,
            category="便民服务",
            details="厨房水龙头漏水，需要帮忙修理。",
            now=self.at(-1),
        )
        demands.accept_demand(
            actor=self.staff,
            demand_id=tap.id,
            task={
                "title": "帮赵秀英修水龙头",
                "starts_at": self.at(1, 15),
                "ends_at": self.at(1, 16),
                "slots": 1,
                "eligibility": "anyone",
                "reward_hongsong": 6,
                "reward_xingan": 4,
            },
            dispatch_person_id=self.member.person_id,
            now=self.at(-1, 14),
        )
        self.counts["tasks"] += 1
        self.counts["claims"] += 1
        self.counts["demands"] += 2

    def resources_and_project(self, lonely) -> None:
        """Resources, and a project matching the lonely neighbour's demand with them."""
        visits = demands.declare_resource(
            actor=self.member,
            community_id=self.first.id,
            category="助老助残",
            description="每周六上午可上门陪老人聊天、代买生活用品。",
            capacity=2,
            availability="每周六上午",
            now=self.at(-30),
        )
        demands.declare_resource(
            actor=self.member,
            community_id=self.first.id,
            category="便民服务",
            description="会修理水电、小家电。",
            availability="周末",
            now=self.at(-30),
        )
        demands.declare_resource(
            actor=self.unit_admin,
            unit_id=self.unit.id,
            community_id=self.first.id,
            category="政策宣讲",
            description="税务政策宣讲志愿者5人，可进社区讲个税、社保缴费。",
            capacity=5,
            availability="工作日下午",
            now=self.at(-40),
        )
        self.counts["resources"] += 3
        demands.create_project(
            actor=self.staff,
            demand_id=lonely.id,
            resource_ids=[visits.id],
            title="独居老人结对探访",
            now=self.at(-1),
        )
        self.counts["projects"] += 1


def load_board(objects: dict, *, now: datetime, echo: Callable[..., None] = click.echo) -> dict[str, int]:
    first = objects["communities"][0]
    if session().exec(select(Task.id).where(Task.community_id == first.id, Task.title == MARKER)).first():
        return {"tasks": 0}
    board = _Board(objects, now)
    steps = (board.open_tasks, board.unit_duty, board.full_task, board.done_task, board.cancelled_and_draft)
    with click.progressbar(length=len(steps) + 3, label="任务榜") as bar:
        for step in steps:
            step()
            bar.update(1)
        lonely = board.waiting_demands()
        bar.update(1)
        board.dispatched_demand()
        bar.update(1)
        board.resources_and_project(lonely)
        bar.update(1)
    return board.counts
