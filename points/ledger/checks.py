"""What a movement must satisfy whoever asks for it (another domain, a job, the API): its kind,
amount and texts, who may earn which kind, and whose own account an actor is looking at."""

from __future__ import annotations

from points.access import Actor
from points.errors import DomainError
from points.i18n import as_written
from points.ledger.models import AWARD_REASONS, Kind
from points.org.queries import get_node, get_unit
from points.people.queries import belongs_to_community, earner_facts, get_person, unit_reports_to

# Memos, evidence and reasons: the columns' length, which the API's schemas state too.
TEXT_MAX = 500


def check_text(**texts: str) -> None:
    """Memos, evidence and reasons fit their columns (500 characters), whoever calls."""
    too_long = {
        name: [as_written("最多 %(limit)s 个字符", limit=TEXT_MAX)]
        for name, text in texts.items()
        if len(text) > TEXT_MAX
    }
    if too_long:
        raise DomainError(
            "text_too_long", "文字最多 %(limit)s 个字符", 422, errors=too_long, values={"limit": TEXT_MAX}
        )


def check_kind(kind: str) -> None:
    if kind not in Kind.values():
        raise DomainError("invalid_kind", "积分类型不存在", 422)


def check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("invalid_amount", "积分数必须是正整数", 422)


def check_award_reason(reason: str) -> None:
    if reason not in AWARD_REASONS:
        raise DomainError("invalid_reason", "不是奖励类型", 422)


def check_community(community_id: int):
    community = get_node(community_id)
    if community.level != "community":
        raise DomainError("invalid_community", "积分只能由社区发放", 422)
    return community


def check_recipient_in(community_id: int, recipient_type: str, recipient_id: int) -> None:
    """A manual award goes to someone of the community: a resident, a member who reported
    there, or a unit that reported there."""
    if recipient_type == "person":
        person = get_person(recipient_id)
        if not belongs_to_community(person, community_id):
            raise DomainError("recipient_not_in_community", "该人员不是本社区居民，也未向本社区报到", 422)
    elif recipient_type == "unit":
        get_unit(recipient_id)
        if not unit_reports_to(recipient_id, community_id):
            raise DomainError("recipient_not_in_community", "该单位未向本社区报到", 422)
    else:
        raise DomainError("invalid_recipient", "积分只能发给个人或单位", 422)


def check_earner(recipient_type: str, recipient_id: int, kind: str) -> None:
    """红松分 go to party members who reported to a community, and to units; 兴安分 to people."""
    if recipient_type == "unit":
        if kind != Kind.HONGSONG:
            raise DomainError("wrong_kind", "单位只能获得红松分", 422)
    elif recipient_type == "person":
        needs_confirmation, party_member = earner_facts(recipient_id)
        if needs_confirmation:
            raise DomainError("account_not_confirmed", "账号尚未经社区工作人员确认，暂不能获得积分", 422)
        if kind == Kind.HONGSONG and not party_member:
            raise DomainError("wrong_kind", "红松分只发给已到社区报到的党员，请改发兴安分", 422)
    else:
        raise DomainError("invalid_recipient", "积分只能发给个人或单位", 422)


def is_self(actor: Actor, owner: tuple[str, int]) -> bool:
    """The actor's own account, or that of a unit they administer."""
    owner_type, owner_id = owner
    return (owner_type == "person" and owner_id == actor.person_id) or (
        owner_type == "unit" and actor.administers_unit(owner_id)
    )
