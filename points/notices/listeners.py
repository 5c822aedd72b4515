"""How the inbox hears of what happens to people in other domains (points.signals)."""

from __future__ import annotations

from datetime import datetime

from points.notices.models import NoticeKind
from points.notices.operations import NewNotice, mark_ref_read, notify
from points.org.queries import community_names
from points.people.queries import holders_over
from points.signals import (
    account_confirmed,
    awards_decided,
    claim_decided,
    claim_offered,
    demand_decided,
    flag_escalated,
    objection_answered,
    offer_answered,
    registration_decided,
    voucher_issued,
)

_DEMAND_KINDS = {
    "accepted": NoticeKind.DEMAND_ACCEPTED,
    "declined": NoticeKind.DEMAND_DECLINED,
    "done": NoticeKind.DEMAND_DONE,
}


@claim_offered.connect
def tell_offer(_sender, *, claim_id: int, person_id: int, title: str, now: datetime, **_) -> None:
    notify([NewNotice(person_id, NoticeKind.DISPATCH_OFFERED, {"title": title}, "claim", claim_id)], now=now)


@offer_answered.connect
def settle_offer(
    _sender,
    *,
    claim_id: int,
    person_id: int,
    accepted: bool,
    dispatched_by_id: int | None = None,
    title: str = "",
    reason: str = "",
    now: datetime,
    **_,
) -> None:
    """An answered offer needs no more attention: its notice is marked read. A declined one is
    told to whoever dispatched it, who may offer the slot to someone else."""
    mark_ref_read(kind=NoticeKind.DISPATCH_OFFERED, ref_type="claim", ref_id=claim_id, now=now)
    if accepted or dispatched_by_id is None or dispatched_by_id == person_id:
        return
    params = {"title": title, "reason": reason, "person_id": person_id}
    notify([NewNotice(dispatched_by_id, NoticeKind.DISPATCH_DECLINED, params, "dispatch", claim_id)], now=now)


@objection_answered.connect
def tell_objection(
    _sender,
    *,
    objection_id: int,
    period_id: int,
    person_id: int,
    period: str,
    upheld: bool,
    reason: str,
    now: datetime,
    **_,
) -> None:
    kind = NoticeKind.OBJECTION_UPHELD if upheld else NoticeKind.OBJECTION_REJECTED
    params = {"period": period, "reason": reason, "period_id": period_id}
    notify([NewNotice(person_id, kind, params, "objection", objection_id)], now=now)


@claim_decided.connect
def tell_claim(
    _sender, *, claim_id: int, person_id: int, title: str, verified: bool, reason: str, now: datetime, **_
) -> None:
    kind = NoticeKind.CLAIM_VERIFIED if verified else NoticeKind.CLAIM_REJECTED
    notify([NewNotice(person_id, kind, {"title": title, "reason": reason}, "claim", claim_id)], now=now)


@awards_decided.connect
def tell_awards(_sender, *, awards: list[dict], approved: bool, reason: str, now: datetime, **_) -> None:
    kind = NoticeKind.AWARD_APPROVED if approved else NoticeKind.AWARD_REJECTED
    notify(
        (
            NewNotice(
                a["person_id"],
                kind,
                {"amount": a["amount"], "memo": a["memo"], "reason": reason},
                "transfer",
                a["transfer_id"],
            )
            for a in awards
        ),
        now=now,
    )


@demand_decided.connect
def tell_demand(
    _sender, *, demand_id: int, person_id: int, title: str, outcome: str, reason: str, now: datetime, **_
) -> None:
    params = {"title": title, "reason": reason}
    notify([NewNotice(person_id, _DEMAND_KINDS[outcome], params, "demand", demand_id)], now=now)


@voucher_issued.connect
def tell_voucher(_sender, *, voucher_id: int, person_id: int, item: str, now: datetime, **_) -> None:
    notify([NewNotice(person_id, NoticeKind.VOUCHER_READY, {"item": item}, "voucher", voucher_id)], now=now)


@registration_decided.connect
def tell_registration(
    _sender, *, registration_id: int, person_id: int, confirmed: bool, reason: str, now: datetime, **_
) -> None:
    kind = NoticeKind.REGISTRATION_CONFIRMED if confirmed else NoticeKind.REGISTRATION_DECLINED
    notify([NewNotice(person_id, kind, {"reason": reason}, "registration", registration_id)], now=now)


@account_confirmed.connect
def tell_account(_sender, *, person_id: int, now: datetime, **_) -> None:
    notify([NewNotice(person_id, NoticeKind.ACCOUNT_CONFIRMED, {}, "person", person_id)], now=now)


@flag_escalated.connect
def tell_street_admins(
    _sender, *, flag_id: int, community_id: int, about: list[int], note: str, now: datetime, **_
) -> None:
    """One notice per street admin over the flag's community, except those the flag is about."""
    params = {"community": community_names([community_id]).get(community_id, ""), "note": note}
    notify(
        (
            NewNotice(person_id, NoticeKind.FLAG_ESCALATED, params, "flag", flag_id)
            for person_id in holders_over("street_admin", community_id)
            if person_id not in about
        ),
        now=now,
    )
