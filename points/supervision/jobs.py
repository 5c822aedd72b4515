"""The nightly anomaly run."""

from __future__ import annotations

from datetime import datetime

from points.scheduler import register_job
from points.supervision.operations import run_detectors


@register_job("anomaly_flags", cron={"hour": 3, "minute": 15}, takes_period=True)
def anomaly_flags(*, now: datetime, period: str) -> str:
    """Run every anomaly detector over the window ending with the period's local day and record
    its flags (one per detector, subject and period: a rerun adds nothing)."""
    counts = run_detectors(day=period, now=now)
    return ", ".join(f"{name} {count}" for name, count in counts.items())
