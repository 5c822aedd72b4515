"""Every detector, in the order README lists them; each takes a `Window` and answers `Found`s."""

from points.supervision.detectors.awards import discretionary_clusters, mutual_approvals
from points.supervision.detectors.base import DEFAULTS, Found, Window, setting
from points.supervision.detectors.checkins import (
    checkin_bursts,
    overlapping_stays,
    puppet_accounts,
    shared_devices,
)
from points.supervision.detectors.claims import fast_verifications
from points.supervision.detectors.jumps import monthly_jumps

DETECTORS = (
    mutual_approvals,
    checkin_bursts,
    overlapping_stays,
    shared_devices,
    discretionary_clusters,
    puppet_accounts,
    monthly_jumps,
    fast_verifications,
)

__all__ = ["DEFAULTS", "DETECTORS", "Found", "Window", "setting"]
