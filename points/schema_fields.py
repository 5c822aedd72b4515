"""Marshmallow fields that several domains' schemas declare alike: bounded free text, a name
that must not be blank, a state with its Chinese label, and the actions a reader may take."""

from __future__ import annotations

from collections.abc import Iterable

from marshmallow import ValidationError, fields, validate

from points.labels import N_, Choice


def Text(maximum: int, **kwargs) -> fields.String:
    """Free text of at most `maximum` characters."""
    return fields.String(validate=validate.Length(max=maximum), **kwargs)


def not_blank(value: str) -> None:
    # Names are stored stripped: spaces alone would leave an empty name.
    if not value.strip():
        raise ValidationError(N_("不能为空"))


def state_fields(states: type[Choice]) -> tuple[fields.String, fields.String]:
    """`state` (one of `states`' values) and `state_name` (its Chinese label), as a pair."""
    return (
        fields.String(metadata={"enum": list(states.values())}),
        fields.String(metadata={"description": f"Chinese label: {states.titles()}"}),
    )


def Actions(thing: str, actions: Iterable[str]) -> fields.List:
    """What the caller may do with `thing` now, of `actions` (by the checks the operations run)."""
    return fields.List(
        fields.String(),
        metadata={"description": f"what the caller may do with the {thing} now, of {list(actions)}"},
    )
