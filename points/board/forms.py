"""What the form pages of the board (and of the domains above it) share: a form's one state
change, answering the refusal so the form can show its fields' messages again, and the limits
of a schema's fields for the template."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import marshmallow as ma

from points.errors import DomainError
from points.web import field_limits, page_action

T = TypeVar("T")


def form_action(action: Callable[[], T], *, done: str | None = None) -> tuple[T | None, DomainError | None]:
    """`page_action` for a submitted form: the result, or (when the form or the domain refused)
    None with the refusal, whose `errors` the form shows under its fields and whose `status`
    the page answers with. The refusal's message is flashed and the request rolled back."""
    refused: list[DomainError] = []

    def attempt() -> T:
        try:
            return action()
        except DomainError as exc:
            refused.append(exc)
            raise

    result = page_action(attempt, done=done)
    return result, (refused[0] if refused else None)


def limits_of(schema: ma.Schema) -> dict[str, dict]:
    """Each field's HTML limits (maxlength, min, max, required), from the schema's validators."""
    return {name: field_limits(schema, name) for name in schema.fields}
