"""The supervision demo: in 旭光社区, a planted history that raises an anomaly flag of each kind,
made through the operations (two extra staff members who approve awards to each other, a burst
of scans, a stay inside another, one phone for three people, discretionary awards under one
requester, accounts a staff member made earning at that staff member's duty, a month far above
the usual, claims verified before their task ended). The nightly run is then run for today, and
the supervisor explains one flag and escalates another. The rest of the demo raises no flag.
Safe to run twice: the planted staff members' phones mark it done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from points.auth.current import actor_for
from points.board import operations as board
from points.checkin import operations as checkin
from points.db import LOCAL_TZ, session
from points.ledger import operations as ledger
from points.people import operations as people
from points.people.queries import find_person_by_phone
from points.supervision.models import Detector
from points.supervision.operations import decide_flag, run_detectors
from points.supervision.queries import flags_stmt

PLANTED_STAFF = (("19900000001", "魏明远"), ("19900000002", "郑淑珍"))
PUPPETS = (("19900000011", "新开户甲"), ("19900000012", "新开户乙"))
DEVICE = "f" * 64
USER_AGENT = "Mozilla/5.0 (Linux; Android 10) MicroMessenger/8.0"


class _Plant:
    """Who plants what, and when: 09:00 three days ago, local time."""

    def __init__(self, objects: dict, now: datetime):
        self.now = now
        self.community = objects["communities"][1]
        self.station = next(s for s in objects["stations"] if s.node_id == self.community.id)
        self.staff = actor_for(objects["logins"]["staff_c2"])
        self.supervisor = actor_for(objects["logins"]["supervisor"])
        logins = {p.id for p in objects["logins"].values()}
        members = {p.id for p in objects["party_members"]}
        self.residents = [
            p
            for p in objects["people"]
            if p.community_id == self.community.id and p.id not in logins and p.id not in members
        ]
        local = (now - timedelta(days=3)).astimezone(LOCAL_TZ)
        self.base = local.replace(hour=9, minute=0, second=0, microsecond=0).astimezone(UTC)
        self.keys = 0

    def at(self, minutes: float = 0, seconds: float = 0) -> datetime:
        return self.base + timedelta(minutes=minutes, seconds=seconds)

    def key(self) -> str:
        self.keys += 1
        return f"demo:supervision:{self.keys}"

    def person(self, phone: str, name: str, *, by=None):
        return people.create_person(
            actor=by, phone=phone, name=name, community_id=self.community.id, now=self.at(-5 * 24 * 60)
        )

    def activity(self, title: str, *, rate: int | None = None):
        return checkin.create_activity(
            actor=self.staff,
            station_id=self.station.id,
            title=title,
            starts_at=self.at(0),
            ends_at=self.at(240),
            hourly_rate=rate,
            now=self.at(-120),
        )

    def scan(self, person, activity, moment: datetime, *, action: str = "in", device: str | None = None):
        phone = checkin.Device(device, USER_AGENT) if device else None
        checkin.check_in_or_out(
            actor=actor_for(person), activity_id=activity.id, action=action, device=phone, now=moment
        )

    def manual(self, recipient, amount: int, approver) -> None:
        row = ledger.create_manual_award(
            actor=self.staff,
            community_id=self.community.id,
            recipient_type="person",
            recipient_id=recipient.id,
            kind="xingan",
            amount=amount,
            memo="表现突出，特此奖励",
            idempotency_key=self.key(),
            now=self.at(300),
        )
        ledger.approve_award(actor=actor_for(approver), transfer_id=row["id"], now=self.at(310))

    def earned(self, person, amount: int, moment: datetime) -> None:
        ledger.request_award(
            community_id=self.community.id,
            recipient_type="person",
            recipient_id=person.id,
            kind="xingan",
            amount=amount,
            reason="checkin_award",
            proof="checkin",
            idempotency_key=self.key(),
            memo="社区志愿服务值班",
            auto_post=True,
            now=moment,
        )


def _approvals(plant: _Plant) -> None:
    """Two staff members who approve awards to each other; discretionary awards under one
    requester."""
    one, two = (plant.person(phone, name) for phone, name in PLANTED_STAFF)
    for person in (one, two):
        people.grant_role(actor=None, person_id=person.id, role="staff", node_id=plant.community.id)
    for _ in range(2):
        plant.manual(one, 30, two)
        plant.manual(two, 30, one)
    for resident in plant.residents[23:26]:
        plant.manual(resident, 200, one)
    plant.approver = two


def _checkins(plant: _Plant) -> None:
    """A burst of scans, a stay begun inside another, one phone for three people, and accounts
    the duty's staff member made earning at that duty."""
    burst = plant.activity("垃圾分类宣传（集中签到）")
    duty = plant.activity("驿站值班（计时）", rate=10)
    other = plant.activity("义务理发")
    for i, person in enumerate(plant.residents[:15]):
        plant.scan(person, burst, plant.at(5, seconds=i * 0.5))
    stayer = plant.residents[15]
    plant.scan(stayer, duty, plant.at(0))
    plant.scan(stayer, duty, plant.at(90), action="out")
    plant.scan(stayer, other, plant.at(30))
    plant.scan(stayer, other, plant.at(60), action="out")
    for i, person in enumerate(plant.residents[16:19]):
        plant.scan(person, other, plant.at(100 + i * 2), device=DEVICE)
    for phone, name in PUPPETS:
        puppet = plant.person(phone, name, by=plant.staff)
        plant.scan(puppet, duty, plant.at(10))
        plant.scan(puppet, duty, plant.at(70), action="out")


def _claims_and_months(plant: _Plant) -> None:
    """Claims verified before their task ended; a month far above a resident's usual."""
    task = board.create_task(
        actor=plant.staff,
        community_id=plant.community.id,
        title="楼道小广告清理",
        category="环境整治",
        starts_at=plant.at(-60),
        ends_at=plant.at(300),
        claim_deadline=plant.at(0),
        slots=3,
        eligibility="anyone",
        reward_xingan=10,
        post=True,
        now=plant.at(-180),
    )
    for person in plant.residents[19:22]:
        claim = board.claim_task(actor=actor_for(person), task_id=task.id, now=plant.at(-120))
        board.submit_claim(actor=actor_for(person), claim_id=claim.id, note="已清理", now=plant.at(60))
        board.verify_claim(
            actor=actor_for(plant.approver), claim_id=claim.id, side="community", now=plant.at(65)
        )
    jumper = plant.residents[22]
    for months in range(1, 5):
        plant.earned(jumper, 20, plant.now - timedelta(days=31 * months))
    plant.earned(jumper, 600, plant.now - timedelta(hours=1))


def _decide(plant: _Plant) -> None:
    """The supervisor explains the shared phone and escalates the accounts made by staff."""
    stmt = flags_stmt(plant.supervisor, community_id=plant.community.id)
    flags = {f.detector: f for f in session().scalars(stmt)}
    decide_flag(
        actor=plant.supervisor,
        flag_id=flags[Detector.SHARED_DEVICE].id,
        action="explain",
        note="核实：三位老人由社区志愿者用同一部手机协助扫码，本人均在场",
        now=plant.now,
    )
    decide_flag(
        actor=plant.supervisor,
        flag_id=flags[Detector.PUPPET_ACCOUNTS].id,
        action="escalate",
        note="两个新开户账号只在开户人值班时得分，请街道核查",
        now=plant.now,
    )


def load_supervision(objects: dict, *, now: datetime, echo: Callable[..., None]) -> dict[str, int]:
    """Plant the history and run the detectors once; {"anomaly_flags": n} added."""
    if find_person_by_phone(PLANTED_STAFF[0][0]) is not None:
        return {"anomaly_flags": 0}
    plant = _Plant(objects, now)
    _approvals(plant)
    _checkins(plant)
    _claims_and_months(plant)
    counts = run_detectors(day=now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d"), now=now)
    _decide(plant)
    total = sum(counts.values())
    echo(f"异常提示: {total} flags in {plant.community.name}, one explained and one escalated")
    return {"anomaly_flags": total}
