"""Mainland mobile numbers as people type them."""

from __future__ import annotations

import pytest

from points.errors import DomainError
from points.onboarding.phones import mobile, mobile_or_none


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "+86 138-0013-8000",
        "１３８００１３８０００",
        "'13800138000",
        13800138000,
    ],
)
def test_mobile_reads_what_people_type(typed):
    assert mobile_or_none(typed) == "13800138000"


@pytest.mark.parametrize(
    "typed", ["", "12345678901", "010-12345678", "1380013800", "+1 202 555 0100", "x" * 40, None]
)
def test_mobile_refuses_what_is_not_a_mainland_mobile(typed):
    assert mobile_or_none(typed) is None


def test_mobile_names_the_field():
    with pytest.raises(DomainError) as refused:
        mobile("123", field="phone")

    assert refused.value.code == "invalid_phone" and "phone" in refused.value.errors
