"""Validation messages for every marshmallow schema: Chinese source text, in the page language on
pages and in Chinese in the API."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema as ma_Schema
from marshmallow import ValidationError, fields, validate

from points.labels import N_

# Messages without values: pages translate them where they show a field's errors.
_FIELD_MESSAGES = {
    fields.Field: {"required": N_("必填"), "null": N_("不能为空"), "validator_failed": N_("取值无效")},
    fields.Integer: {"invalid": N_("应为整数")},
    fields.Number: {"invalid": N_("应为数字"), "too_large": N_("数值过大")},
    fields.String: {"invalid": N_("应为文本"), "invalid_utf8": N_("不是有效的 UTF-8 文本")},
    fields.Boolean: {"invalid": N_("应为 true 或 false")},
    fields.DateTime: {
        "invalid": N_("不是有效的时间，应为 ISO 8601 格式"),
        "invalid_awareness": N_("时间需带时区，例如 2026-01-31T08:00:00+08:00"),
        "format": N_("时间格式无效"),
    },
    fields.List: {"invalid": N_("应为列表")},
    fields.Dict: {"invalid": N_("应为对象")},
    fields.Nested: {"type": N_("类型无效")},
}

# Messages with values are filled in when a check fails, so they are translated then, in the
# language of the request (the API's is always Chinese, see points.i18n.select_locale).
_LENGTH = {
    "message_min": _l("至少 {min} 个字符"),
    "message_max": _l("最多 {max} 个字符"),
    "message_all": _l("长度应在 {min} 到 {max} 之间"),
    "message_equal": _l("长度应为 {equal}"),
}


class _RangeMessage:
    """marshmallow's Range fills in whether its bounds are inclusive when a schema is built (at
    import) and the bounds when a check fails: pick the whole sentence for the bounds' kind
    then, so it is still translated when the check fails."""

    def __init__(self, sentences: dict):
        self.sentences = sentences

    def format(self, **kinds):
        return self.sentences[tuple(kinds.values())]


_RANGE = {
    "message_min": _RangeMessage({("gte",): _l("应不小于 {min}"), ("gt",): _l("应大于 {min}")}),
    "message_max": _RangeMessage({("lte",): _l("应不大于 {max}"), ("lt",): _l("应小于 {max}")}),
    "message_all": _RangeMessage(
        {
            ("gte", "lte"): _l("应不小于 {min} 且不大于 {max}"),
            ("gte", "lt"): _l("应不小于 {min} 且小于 {max}"),
            ("gt", "lte"): _l("应大于 {min} 且不大于 {max}"),
            ("gt", "lt"): _l("应大于 {min} 且小于 {max}"),
        }
    ),
    "message_gte": "gte",
    "message_gt": "gt",
    "message_lte": "lte",
    "message_lt": "lt",
}


class _ChoiceMessage:
    """A value outside a list of choices: the API names the codes a client may send; a page
    reader picked from a list and never sees codes."""

    def format(self, *, choices: str, **_values) -> str:
        if has_request_context() and not request.path.startswith("/api/"):
            return gettext("请从列表中选择")
        return f"应为以下之一：{choices}"


def use_chinese_messages() -> None:
    for field_class, messages in _FIELD_MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
    # AwareDateTime keeps its own copy of the DateTime messages.
    fields.AwareDateTime.default_error_messages = {
        **fields.AwareDateTime.default_error_messages,
        **_FIELD_MESSAGES[fields.DateTime],
    }
    ma_Schema._default_error_messages = {"type": N_("输入类型无效"), "unknown": N_("不认识的字段")}
    for name, message in _LENGTH.items():
        setattr(validate.Length, name, message)
    for name, message in _RANGE.items():
        setattr(validate.Range, name, message)
    validate.OneOf.default_message = _ChoiceMessage()
    validate.Regexp.default_message = N_("格式不正确")


class Schema(ma_Schema):
    """The base of every schema here: importing it puts the Chinese messages in place first."""


use_chinese_messages()


# Ids are 32-bit integers in the database: a larger one cannot exist, and saying so per
# field beats a database overflow.
MAX_ID = 2**31 - 1
# Times a community plans with; beyond these a date is a typo, and year 9999 in a far zone
# would not even fit a datetime once turned into UTC.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def Id(*, strict: bool = True, **kwargs) -> fields.Integer:
    """An id in a JSON body (strict: a number, not a string); `strict=False` in query strings."""
    return fields.Integer(
        strict=strict, validate=validate.Range(min=1, max=MAX_ID, error=N_("不存在的编号")), **kwargs
    )


def _within_years(value: datetime) -> None:
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationError(N_("时间应在 2000 年到 2100 年之间")) from exc
    if not EARLIEST <= in_utc < LATEST:
        raise ValidationError(N_("时间应在 2000 年到 2100 年之间"))


def When(**kwargs) -> fields.AwareDateTime:
    """An aware date and time within the years a community plans for."""
    return fields.AwareDateTime(validate=_within_years, **kwargs)


def local_datetime(value: str, zone) -> datetime:
    """A `datetime-local` form value (no zone: read in `zone`) within the years a community plans
    for, checked like `When` checks the API's. Raises ValidationError with a message to show."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationError(N_("时间格式无效")) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    _within_years(parsed)
    return parsed
