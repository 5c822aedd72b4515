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


# points.board.models.CATEGORIES
CATEGORIES = (
    N_("环境整治"),
    N_("助老助残"),
    N_("文明劝导"),
    N_("矛盾调解"),
    N_("便民服务"),
    N_("文体活动"),
    N_("政策宣讲"),
    N_("应急值守"),
    N_("其他"),
)

# points.board.models: who may claim, how a task fills, the states of tasks, claims, demands
BOARD = (
    N_("党员"),
    N_("居民"),
    N_("单位"),
    N_("不限"),
    N_("先到先得"),
    N_("报名后抽签"),
    N_("报名后优先近期服务少的人"),
    N_("草稿"),
    N_("张榜中"),
    N_("已截止"),
    N_("已完成"),
    N_("已取消"),
    N_("已报名待抽签"),
    N_("未抽中"),
    N_("待接单"),
    N_("已揭榜"),
    N_("已签到"),
    N_("待验收"),
    N_("已验收"),
    N_("已退出"),
    N_("已拒绝派单"),
    N_("未到场"),
    N_("未通过"),
    N_("任务取消"),
    N_("待受理"),
    N_("已受理"),
    N_("未受理"),
    N_("已撤回"),
)

# Messages shown under a form field; the operations put them in `errors`, out of the
# extractor's sight.
FIELD_MESSAGES = (
    N_("类别不存在"),
    N_("应晚于现在"),
    N_("不能修改"),
    N_("结束时间应晚于开始时间"),
    N_("报名截止时间不能晚于结束时间"),
    N_("只限单位揭榜的任务只能奖励红松分"),
    N_("站点不属于本社区"),
    N_("应为 1 到 5 的整数"),
)

# Refusals whose message is chosen by a conditional expression, which the extractor
# reads as one concatenated text.
REFUSALS = (
    N_("该单位已揭过这项任务"),
    N_("你已揭过这项任务"),
)
