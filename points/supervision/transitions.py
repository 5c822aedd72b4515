"""The transition table of an anomaly flag: who moves it where.

    open --explain--> explained          (a supervisor, with a note saying why it is in order)
    open --escalate--> escalated         (a supervisor, with a note; the street admins are told)
    escalated --explain--> explained     (a supervisor, once the street admin's answer is in)
    escalated --answer--> explained      (a street admin over the community, with their answer)

`flag_refusal` is what the operation enforces and `allowed_actions` what the API field and the
page's buttons read, so a page never offers what the operation refuses. A flag about a person
is never shown to that person: to them it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from points.access import Actor
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.org.queries import get_node
from points.supervision.models import Flag, FlagState


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    permission: str
    who: str


TRANSITIONS: dict[str, Transition] = {
    "explain": Transition(
        (FlagState.OPEN, FlagState.ESCALATED),
        FlagState.EXPLAINED,
        "flags.decide",
        "flags.decide over the flag's community (the supervision group), never about oneself",
    ),
    "escalate": Transition(
        (FlagState.OPEN,),
        FlagState.ESCALATED,
        "flags.decide",
        "flags.decide over the flag's community (the supervision group), never about oneself",
    ),
    "answer": Transition(
        (FlagState.ESCALATED,),
        FlagState.EXPLAINED,
        "flags.answer",
        "flags.answer over the flag's community (its street admins), never about oneself",
    ),
}
ACTIONS = tuple(TRANSITIONS)


def is_about(actor: Actor, flag: Flag) -> bool:
    return actor.person_id in (flag.subject_person_id, flag.related_person_id)


def visibility_refusal(actor: Actor, flag: Flag, path: str | None = None) -> DomainError | None:
    """`not_found` outside the reader's scope, and for a flag about the reader themselves."""
    path = path or get_node(flag.community_id).path
    if is_about(actor, flag) or not actor.can("flags.read", path):
        return NotFound("not_found", "未找到")
    return None


def flag_refusal(actor: Actor, flag: Flag, action: str, path: str | None = None) -> DomainError | None:
    """Why `actor` may not take `action` on the flag now, or None."""
    path = path or get_node(flag.community_id).path
    refusal = visibility_refusal(actor, flag, path)
    if refusal is not None:
        return refusal
    if action not in TRANSITIONS:
        return DomainError(
            "invalid_action", "操作应为 explain（说明）、escalate（上报）或 answer（街道答复）", 422
        )
    if not actor.can(TRANSITIONS[action].permission, path):
        if action == "answer":
            return Forbidden("forbidden", "只有街道管理员可以答复上报的异常提示")
        return Forbidden("forbidden", "只有监督小组可以处理异常提示")
    if flag.state not in TRANSITIONS[action].sources:
        return Conflict("flag_decided", "这条异常提示已经处理过了")
    return None


def allowed_actions(actor: Actor, flag: Flag, path: str | None = None) -> list[str]:
    path = path or get_node(flag.community_id).path
    return [action for action in ACTIONS if flag_refusal(actor, flag, action, path) is None]
