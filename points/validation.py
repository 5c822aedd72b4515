"""Validation messages in Chinese, the interface's language, for every marshmallow schema."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema as ma_Schema
from marshmallow import ValidationError, fields, validate

from points.labels import N_

_FIELD_MESSAGES = {
    fields.Field: {"required": "必填", "null": "不能为空", "validator_failed": "取值无效"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "不是有效的 UTF-8 文本"},
    fields.Boolean: {"invalid": "应为 true 或 false"},
    fields.DateTime: {
        "invalid": "不是有效的时间，应为 ISO 8601 格式",
        "invalid_awareness": "时间需带时区，例如 2026-01-31T08:00:00+08:00",
        "format": "时间格式无效",
    },
    fields.List: {"invalid": "应为列表"},
    fields.Dict: {"invalid": "应为对象"},
    fields.Nested: {"type": "类型无效"},
}


def use_chinese_messages() -> None:
    for field_class, messages in _FIELD_MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
    # AwareDateTime keeps its own copy of the DateTime messages.
    fields.AwareDateTime.default_error_messages = {
        **fields.AwareDateTime.default_error_messages,
        **_FIELD_MESSAGES[fields.DateTime],
    }
    ma_Schema._default_error_messages = {"type": "输入类型无效", "unknown": "不认识的字段"}
    validate.Length.message_min = "至少 {min} 个字符"
    validate.Length.message_max = "最多 {max} 个字符"
    validate.Length.message_all = "长度应在 {min} 到 {max} 之间"
    validate.Length.message_equal = "长度应为 {equal}"
    validate.Range.message_min = "应{min_op} {{min}}"
    validate.Range.message_max = "应{max_op} {{max}}"
    validate.Range.message_all = "应{min_op} {{min}} 且{max_op} {{max}}"
    validate.Range.message_gte, validate.Range.message_gt = "不小于", "大于"
    validate.Range.message_lte, validate.Range.message_lt = "不大于", "小于"
    validate.OneOf.default_message = "应为以下之一：{choices}"
    validate.Regexp.default_message = "格式不正确"


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
        strict=strict, validate=validate.Range(min=1, max=MAX_ID, error="不存在的编号"), **kwargs
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
