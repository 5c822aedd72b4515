"""Names that are data (states, kinds, categories, roles), defined once where they are stored.

A `Choice` holds a stored value and its Chinese name, marked with `N_()` so the extractor puts
it in the catalogue; pages translate the name when they show it, the API answers it in
Chinese. tests/test_i18n.py checks that every `Choice`'s names are translated.
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
