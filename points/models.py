"""Imports every model module, so SQLModel.metadata knows every table (Alembic needs this)."""

import importlib

from sqlmodel import SQLModel

MODEL_MODULES = (
    "points.org.models",
    "points.people.models",
    "points.auth.models",
    "points.audit.models",
    "points.scheduler",
    "points.ledger.models",
    "points.board.models",
    "points.demands.models",
    "points.checkin.models",
    "points.store.models",
    "points.supervision.models",
    "points.notices.models",
    "points.onboarding.models",
    "points.evaluation.models",
)


def load_all() -> type[SQLModel]:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return SQLModel
