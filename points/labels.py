"""Chinese labels that are data, marked here so that they reach the message catalogue.

Category, state, role and kind names are stored and returned by the API in Chinese,
so their dictionaries stay as they are. Pages show them through `_()`, which can
only translate a text the extractor has seen: each value is spelled out once more
below, inside `N_()`. tests/test_i18n.py checks that every value of those
dictionaries is in the catalogue, so a new state cannot be forgotten here.
"""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    """Marks `message` for the extractor and returns it untranslated.

    For texts whose translation happens later, at render time, in the page language."""
    return message


class Choice(StrEnum):
    """A stored value with its Chinese name, defined once: `Role.STAFF == "staff"`,
    `Role.STAFF.title == "社区工作者"` (the msgid; pages translate it when they show it).

    Members are written `NAME = "value", N_("名称")`, so the extractor sees every name."""

    title: str

    def __new__(cls, value: str, title: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.title = title
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def titles(cls) -> dict[str, str]:
        """value → Chinese name, for templates and the API's readable fields."""
        return {member.value: member.title for member in cls}


# points.ledger: the two kinds of points, why points moved, a transfer's status and state,
# and what an award rests on
LEDGER = (
    N_("红松分"),
    N_("兴安分"),
    N_("任务奖励"),
    N_("签到奖励"),
    N_("手动发放"),
    N_("积分兑换"),
    N_("兑换退还"),
    N_("冲正"),
    N_("积分过期"),
    N_("待审批"),
    N_("审批通过"),
    N_("已驳回"),
    N_("已入账"),
    N_("已冲正"),
    N_("扫码签到"),
    N_("任务核验"),
    N_("工作人员酌情"),
)

# points.people.pages: roles and the states of a registration (双报到)
PEOPLE = (
    N_("社区工作者"),
    N_("网格员"),
    N_("街道管理员"),
    N_("监督小组"),
    N_("单位管理员"),
    N_("系统管理员"),
    N_("待确认"),
    N_("已确认"),
    N_("已拒绝"),
)

# points.checkin.models: by which rule a check-in nobody checked out of was closed
CHECKIN = (
    N_("计至活动结束"),
    N_("不计积分"),
)

# Messages shown under a form field; the operations put them in `errors`, out of the
# extractor's sight.
FIELD_MESSAGES = (N_("原密码不正确"),)
