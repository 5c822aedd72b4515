"""Every change in QR check-in: station keys and codes, activities, check-in and check-out,
member cards. Awards are asked of the ledger in the same transaction (key
`checkin:{id}:award`).

Who may move an activity or a check-in where is `points.checkin.transitions`; each module
here enforces it for its own changes.
"""

from points.checkin.operations.activities import (
    cancel_activity,
    confirm_activity_rate,
    create_activity,
    end_activity,
)
from points.checkin.operations.cards import (
    card_token,
    ensure_member_card,
    member_card_for,
    people_for_cards,
    reissue_member_card,
)
from points.checkin.operations.scanning import (
    Device,
    ScanResult,
    check_in_or_out,
    close_open_checkins,
    credited_minutes,
    duration_points,
    scan_code,
    staff_check_in,
)
from points.checkin.operations.stations import (
    StationCodeOut,
    ensure_station_key,
    rotate_station_key,
    station_code,
)

__all__ = [
    "Device",
    "ScanResult",
    "StationCodeOut",
    "cancel_activity",
    "card_token",
    "check_in_or_out",
    "close_open_checkins",
    "confirm_activity_rate",
    "create_activity",
    "credited_minutes",
    "duration_points",
    "end_activity",
    "ensure_member_card",
    "ensure_station_key",
    "member_card_for",
    "people_for_cards",
    "reissue_member_card",
    "rotate_station_key",
    "scan_code",
    "staff_check_in",
    "station_code",
]
