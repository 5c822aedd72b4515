"""Helpers for the tests that try what a table or a scope refuses: a try that leaves nothing
behind, an operation's refusal, readable ids for parametrised bodies, and the shape of an
out-of-scope answer."""

from __future__ import annotations

import pytest

from points.db import session
from points.errors import DomainError


def accepts(call) -> bool:
    """Whether the operation accepts, leaving nothing behind either way."""
    savepoint = session().begin_nested()
    try:
        call()
        return True
    except DomainError:
        return False
    finally:
        savepoint.rollback()


def raises_refusal(status: int, code: str, call, **kwargs) -> DomainError:
    """The operation refuses with this status and code, and says why in Chinese."""
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    error = caught.value
    assert (error.status, error.code) == (status, code), (error.status, error.code, error.message)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message), error.message
    return error


def case_id(value) -> str | None:
    """Readable ids for dict parameters: the fields they set."""
    if isinstance(value, dict):
        return "+".join(value) or "empty"
    return None


def out_of_scope(response) -> dict:
    """Out of scope: a 404 problem document that says, in Chinese, that the thing is not there."""
    body = response.get_json()
    assert response.status_code == 404, body
    assert response.mimetype == "application/problem+json"
    assert body["code"].endswith("not_found"), body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    return body
