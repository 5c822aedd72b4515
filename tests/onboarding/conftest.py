"""Fixtures for onboarding: a small tree to live in, the development code sender's codes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from points.onboarding.codes import DevelopmentCodeSender
from tests.conftest import settings


@pytest.fixture
def homes(make_node):
    street = make_node("street", name="兴安街道")
    community = make_node("community", street, name="红松社区")
    return SimpleNamespace(
        street=street,
        community=community,
        grid=make_node("grid", community, name="一网格"),
        other_grid=make_node("grid", community, name="二网格"),
    )


@pytest.fixture
def codes():
    """The codes the development sender sent, by phone."""
    DevelopmentCodeSender.latest.clear()
    yield DevelopmentCodeSender.latest
    DevelopmentCodeSender.latest.clear()


@pytest.fixture
def without_codes(app):
    """No code sender: registering asks no code, and staff confirm the account."""
    with settings(app, VERIFICATION_SENDER=""):
        yield


@pytest.fixture
def consent_guard(app):
    app.config["CONSENT_REQUIRED_AT_LOGIN"] = True
    yield
    app.config["CONSENT_REQUIRED_AT_LOGIN"] = False


NEW_PASSWORD = "Hs7qLm2xPa"


def register_form(homes, phone: str, code: str | None, **overrides) -> dict:
    return {
        "phone": phone,
        "name": "赵大爷",
        "grid_id": str(homes.grid.id) if homes is not None else "",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        "consent": "1",
        "code": code or "",
        "step": "register",
        **overrides,
    }
